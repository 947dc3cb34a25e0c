//! States derived from stored facts and the clock, never stored themselves.

use chrono::NaiveDateTime;

/// A coupon's state, derived in this order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponState {
    Deleted,
    Archived,
    /// Tripped its velocity limit (SPEC section 12) until staff resume it.
    Paused,
    Scheduled,
    Expired,
    Exhausted,
    Active,
}

impl CouponState {
    pub const ALL: [CouponState; 7] = [
        CouponState::Active,
        CouponState::Paused,
        CouponState::Scheduled,
        CouponState::Exhausted,
        CouponState::Expired,
        CouponState::Archived,
        CouponState::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CouponState::Deleted => "deleted",
            CouponState::Archived => "archived",
            CouponState::Paused => "paused",
            CouponState::Scheduled => "scheduled",
            CouponState::Expired => "expired",
            CouponState::Exhausted => "exhausted",
            CouponState::Active => "active",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CouponState::Deleted => "Deleted",
            CouponState::Archived => "Archived",
            CouponState::Paused => "Paused",
            CouponState::Scheduled => "Scheduled",
            CouponState::Expired => "Expired",
            CouponState::Exhausted => "Exhausted",
            CouponState::Active => "Active",
        }
    }

    pub fn parse(raw: &str) -> Option<CouponState> {
        CouponState::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// The stored facts a coupon's state depends on.
#[derive(Debug, Clone, Copy)]
pub struct CouponFacts {
    pub deleted: bool,
    pub archived: bool,
    pub paused: bool,
    pub starts_at: Option<NaiveDateTime>,
    pub redeem_by: Option<NaiveDateTime>,
    pub times_redeemed: i64,
    pub max_redemptions: Option<i64>,
}

impl CouponFacts {
    pub fn state(&self, now: NaiveDateTime) -> CouponState {
        if self.deleted {
            CouponState::Deleted
        } else if self.archived {
            CouponState::Archived
        } else if self.paused {
            CouponState::Paused
        } else if self.starts_at.is_some_and(|s| now < s) {
            CouponState::Scheduled
        } else if self.redeem_by.is_some_and(|r| now >= r) {
            CouponState::Expired
        } else if self
            .max_redemptions
            .is_some_and(|m| self.times_redeemed >= m)
        {
            CouponState::Exhausted
        } else {
            CouponState::Active
        }
    }

    /// Redemptions left, or `None` when unlimited.
    pub fn remaining(&self) -> Option<i64> {
        self.max_redemptions
            .map(|m| (m - self.times_redeemed).max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn states_follow_their_precedence() {
        let now = chrono::Utc::now().naive_utc();
        let hour = TimeDelta::hours(1);
        let base = CouponFacts {
            deleted: false,
            archived: false,
            paused: false,
            starts_at: None,
            redeem_by: None,
            times_redeemed: 0,
            max_redemptions: None,
        };
        assert_eq!(base.state(now), CouponState::Active);
        let exhausted = CouponFacts {
            times_redeemed: 3,
            max_redemptions: Some(3),
            ..base
        };
        assert_eq!(exhausted.state(now), CouponState::Exhausted);
        assert_eq!(exhausted.remaining(), Some(0));
        let expired = CouponFacts {
            redeem_by: Some(now - hour),
            ..exhausted
        };
        assert_eq!(expired.state(now), CouponState::Expired);
        let scheduled = CouponFacts {
            starts_at: Some(now + hour),
            ..expired
        };
        assert_eq!(scheduled.state(now), CouponState::Scheduled);
        let paused = CouponFacts {
            paused: true,
            ..scheduled
        };
        assert_eq!(paused.state(now), CouponState::Paused);
        let archived = CouponFacts {
            archived: true,
            ..paused
        };
        assert_eq!(archived.state(now), CouponState::Archived);
        let deleted = CouponFacts {
            deleted: true,
            ..archived
        };
        assert_eq!(deleted.state(now), CouponState::Deleted);
        assert_eq!(base.remaining(), None);
        for state in CouponState::ALL {
            assert_eq!(CouponState::parse(state.as_str()), Some(state));
        }
    }
}
