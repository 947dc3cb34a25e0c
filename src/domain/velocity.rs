//! The leak tripwire (SPEC section 12): at most `limit` redemptions of a
//! code per clock hour or per calendar day of the store. Windows are fixed
//! and numbered (`bucket`), so the database keeps one counter per code and
//! checks it in the redemption's own conditional UPDATE.

use chrono::{Datelike, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::form_errors::FormErrors;

/// The length of a velocity window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A clock hour (in UTC, which every time zone's hours line up with,
    /// save a few half-hour zones).
    Hour,
    /// A calendar day in the store's time zone.
    Day,
}

impl Window {
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Hour => "hour",
            Window::Day => "day",
        }
    }

    pub fn parse(raw: &str) -> Option<Window> {
        match raw {
            "hour" => Some(Window::Hour),
            "day" => Some(Window::Day),
            _ => None,
        }
    }
}

/// A code's velocity limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Velocity {
    pub limit: i64,
    pub window: Window,
}

impl Velocity {
    /// The stored pair, when both are there and make sense.
    pub fn from_stored(limit: Option<i64>, window: Option<&str>) -> Option<Velocity> {
        Some(Velocity {
            limit: limit.filter(|l| *l >= 1)?,
            window: Window::parse(window?)?,
        })
    }

    /// "10 per hour".
    pub fn describe(&self) -> String {
        format!(
            "{} per {}",
            super::text::thousands(self.limit),
            self.window.as_str()
        )
    }
}

/// The number of the window holding `at` (UTC), for each window length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buckets {
    pub hour: i64,
    pub day: i64,
}

impl Buckets {
    pub fn at(at: NaiveDateTime, tz: Tz) -> Buckets {
        let local = tz.from_utc_datetime(&at).date_naive();
        Buckets {
            hour: at.and_utc().timestamp().div_euclid(3600),
            day: i64::from(local.num_days_from_ce()),
        }
    }

    pub fn of(&self, window: Window) -> i64 {
        match window {
            Window::Hour => self.hour,
            Window::Day => self.day,
        }
    }
}

/// The form's `velocity_limit` and `velocity_window` (both optional: an
/// empty limit means none, and the window then does not matter).
pub fn check(limit: &str, window: &str, errors: &mut FormErrors) -> Option<Velocity> {
    let limit = limit.trim().replace(',', "");
    if limit.is_empty() {
        return None;
    }
    let parsed = match limit.parse::<i64>() {
        Ok(n) if (1..=1_000_000_000).contains(&n) => Some(n),
        _ => {
            errors.add(
                "velocity_limit",
                "Enter a whole number of at least 1, or leave it empty for no velocity limit.",
            );
            None
        }
    };
    let window = match Window::parse(window.trim()) {
        Some(w) => Some(w),
        None => {
            errors.add(
                "velocity_window",
                "Choose per hour or per day for the velocity limit.",
            );
            None
        }
    };
    Some(Velocity {
        limit: parsed?,
        window: window?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .expect("a valid time")
    }

    #[test]
    fn days_are_cut_at_the_stores_midnight() {
        let tz: Tz = "Pacific/Auckland".parse().expect("zone");
        // 10:59 and 11:01 UTC on Dec 2 are 23:59 on Dec 2 and 00:01 on
        // Dec 3 in Auckland (UTC+13 in summer).
        let before = Buckets::at(utc(2026, 12, 2, 10, 59), tz);
        let after = Buckets::at(utc(2026, 12, 2, 11, 1), tz);
        assert_eq!(after.day, before.day + 1);
        assert_eq!(after.hour, before.hour + 1);
        let utc_zone: Tz = "UTC".parse().expect("zone");
        assert_eq!(
            Buckets::at(utc(2026, 12, 2, 10, 59), utc_zone).day,
            Buckets::at(utc(2026, 12, 2, 11, 1), utc_zone).day
        );
        let same_hour = Buckets::at(utc(2026, 12, 2, 10, 1), tz);
        assert_eq!(same_hour.hour, before.hour);
        assert_eq!(same_hour.of(Window::Hour), before.of(Window::Hour));
    }

    #[test]
    fn the_form_fields_are_checked() {
        let mut errors = FormErrors::default();
        assert_eq!(check("", "day", &mut errors), None);
        assert_eq!(check(" ", "", &mut errors), None);
        assert!(errors.is_empty());
        assert_eq!(
            check("1,000", "hour", &mut errors),
            Some(Velocity {
                limit: 1000,
                window: Window::Hour
            })
        );
        assert!(errors.is_empty());
        assert_eq!(check("0", "day", &mut errors), None);
        assert!(errors.get("velocity_limit").is_some());
        let mut errors = FormErrors::default();
        assert_eq!(check("5", "week", &mut errors), None);
        assert!(errors.get("velocity_window").is_some());
        assert_eq!(
            Velocity::from_stored(Some(10), Some("day")).map(|v| v.describe()),
            Some("10 per day".to_string())
        );
        assert_eq!(Velocity::from_stored(None, Some("day")), None);
    }
}
