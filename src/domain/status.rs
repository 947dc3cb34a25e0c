//! Stored statuses as types: each is a text column with a CHECK in the
//! schema, read back through `TryFrom<String>` (an unknown value is an
//! error, never a silent default) and written with `as_str()`.

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }

            pub fn parse(raw: &str) -> Option<$name> {
                match raw {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(stored: String) -> Result<$name, String> {
                $name::parse(&stored).ok_or_else(|| {
                    format!("unknown {} {stored:?} in the database", stringify!($name))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// `orders.status`.
    OrderStatus { Paid => "paid", Refunded => "refunded" }
);

text_enum!(
    /// `set_codes.state`.
    SetCodeState { Unused => "unused", Used => "used", Archived => "archived" }
);

text_enum!(
    /// `coupon_sets.status`.
    SetStatus { Generating => "generating", Ready => "ready", Failed => "failed" }
);

text_enum!(
    /// `jobs.status`: `pending` until it is done, cancelled (its subject
    /// went) or failed for good.
    JobStatus { Pending => "pending", Done => "done", Cancelled => "cancelled", Failed => "failed" }
);

text_enum!(
    /// `jobs.kind`: what a job does with its `subject_id`.
    JobKind { GenerateCodes => "generate_codes", DeliverWebhooks => "deliver_webhooks" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_what_it_writes() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::try_from(s.as_str().to_string()), Ok(*s));
        }
        for s in SetCodeState::ALL {
            assert_eq!(SetCodeState::try_from(s.as_str().to_string()), Ok(*s));
        }
        for s in SetStatus::ALL {
            assert_eq!(SetStatus::try_from(s.as_str().to_string()), Ok(*s));
        }
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::try_from(s.as_str().to_string()), Ok(*s));
        }
        for s in JobKind::ALL {
            assert_eq!(JobKind::try_from(s.as_str().to_string()), Ok(*s));
        }
        assert!(OrderStatus::try_from("lost".to_string()).is_err());
    }
}
