//! Who may try a password now (SPEC section 9): the failing client is
//! throttled, not the account, and every failed login costs one password
//! verification whether or not the email has an account.

use chrono::{NaiveDateTime, TimeDelta};

/// Failures for one email, from clients that have failed for it, before
/// that client is throttled for that email.
pub const EMAIL_MAX_FAILURES: i64 = 5;
/// Failures from one client address (any emails) before it is throttled.
pub const CLIENT_MAX_FAILURES: i64 = 20;
/// How long a failure counts.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);

/// Failed logins within the window, as the database counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// From this client, for any email.
    pub client: i64,
    pub client_oldest: Option<NaiveDateTime>,
    /// For this email, from any client.
    pub email: i64,
    pub email_oldest: Option<NaiveDateTime>,
    /// For this email, from this client.
    pub email_from_client: i64,
}

/// Why a login is not even tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// This client failed too often, whatever the emails.
    Client { minutes: i64 },
    /// This email failed too often, and this client is one that failed.
    Email { minutes: i64 },
}

/// May this client try a password for this email now?
pub fn gate(f: &Failures, now: NaiveDateTime) -> Result<(), Throttle> {
    let minutes = |oldest: Option<NaiveDateTime>| {
        let lifts = oldest.unwrap_or(now) + WINDOW;
        (((lifts - now).num_seconds() + 59) / 60).max(1)
    };
    if f.client >= CLIENT_MAX_FAILURES {
        return Err(Throttle::Client {
            minutes: minutes(f.client_oldest),
        });
    }
    if f.email >= EMAIL_MAX_FAILURES && f.email_from_client > 0 {
        return Err(Throttle::Email {
            minutes: minutes(f.email_oldest),
        });
    }
    Ok(())
}

/// Checks `typed` against the account's hash, or against `dummy` when the
/// email has no account: exactly one verification either way, so a wrong
/// password and an unknown email take the same time.
pub fn password_matches(
    stored: Option<&str>,
    dummy: &str,
    typed: &str,
    verify: impl FnOnce(&str, &str) -> bool,
) -> bool {
    let matched = verify(typed, stored.unwrap_or(dummy));
    matched && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(12, minute, 0))
            .expect("a valid time")
    }

    #[test]
    fn each_path_verifies_exactly_once() {
        for (stored, typed, expected) in [
            (Some("hash"), "right", true),
            (Some("hash"), "wrong", false),
            (None, "right", false),
            (None, "wrong", false),
        ] {
            let mut calls = 0;
            let matched = password_matches(stored, "dummy", typed, |t, h| {
                calls += 1;
                t == "right" && (h == "hash" || h == "dummy")
            });
            assert_eq!((matched, calls), (expected, 1), "{stored:?} {typed}");
        }
    }

    #[test]
    fn a_client_that_has_not_failed_may_try_a_busy_email() {
        let busy = Failures {
            email: 50,
            email_oldest: Some(at(0)),
            ..Failures::default()
        };
        assert_eq!(gate(&busy, at(5)), Ok(()));
        let failed_once = Failures {
            email_from_client: 1,
            client: 1,
            ..busy
        };
        assert_eq!(
            gate(&failed_once, at(5)),
            Err(Throttle::Email { minutes: 10 })
        );
    }

    #[test]
    fn a_client_failing_on_many_emails_is_throttled() {
        let spraying = Failures {
            client: CLIENT_MAX_FAILURES,
            client_oldest: Some(at(1)),
            ..Failures::default()
        };
        assert_eq!(
            gate(&spraying, at(1)),
            Err(Throttle::Client { minutes: 15 })
        );
        let below = Failures {
            client: CLIENT_MAX_FAILURES - 1,
            ..spraying
        };
        assert_eq!(gate(&below, at(1)), Ok(()));
    }
}
