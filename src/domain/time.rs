//! Date-times entered and shown in the store's time zone, stored in UTC.

use chrono::{Datelike, NaiveDateTime, TimeZone as _};
use chrono_tz::Tz;

/// The HTML `datetime-local` format.
pub const INPUT_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// The years a date may name (SPEC section 9). Any UTC time of them is
/// stored with a four-digit year, so stored text sorts as time does.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2999;

/// Parses an optional `YYYY-MM-DDTHH:MM` in zone `tz` into UTC.
pub fn parse_local(raw: &str, tz: Tz) -> Result<Option<NaiveDateTime>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(raw, INPUT_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| "Enter a date and time like 2026-12-31T23:59.".to_string())?;
    if !YEARS.contains(&naive.year()) {
        return Err(format!(
            "Choose a date in the years {} to {}.",
            YEARS.start(),
            YEARS.end()
        ));
    }
    match tz.from_local_datetime(&naive).earliest() {
        Some(local) => Ok(Some(local.naive_utc())),
        None => Err(format!(
            "{raw} does not exist in {} (the clocks skip it); choose another time.",
            tz.name()
        )),
    }
}

/// The first moment (UTC) of an optional `YYYY-MM-DD` day in zone `tz`;
/// `next_day` gives the first moment of the day after instead (an
/// exclusive end).
pub fn parse_day(raw: &str, tz: Tz, next_day: bool) -> Result<Option<NaiveDateTime>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let day = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| "Enter a date like 2026-12-31.".to_string())?;
    let day = if next_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    // Midnight may not exist where clocks skip it: the day starts at the
    // first moment that does.
    (0..3)
        .find_map(|h| parse_local(&format!("{}T{h:02}:00", day.format("%Y-%m-%d")), tz).ok())
        .ok_or_else(|| {
            format!(
                "Choose a date in the years {} to {}.",
                YEARS.start(),
                YEARS.end()
            )
        })
}

/// A UTC time as the `datetime-local` value in zone `tz`.
pub fn to_input(utc: NaiveDateTime, tz: Tz) -> String {
    tz.from_utc_datetime(&utc).format(INPUT_FORMAT).to_string()
}

/// A UTC time for people, in zone `tz`: `Dec 31, 2026 23:59 CET`.
pub fn display(utc: NaiveDateTime, tz: Tz) -> String {
    tz.from_utc_datetime(&utc)
        .format("%b %-d, %Y %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_round_trip_through_utc() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
        let utc = parse_local("2026-12-31T23:59", berlin).ok().flatten();
        assert_eq!(
            utc.map(|u| u.to_string()),
            Some("2026-12-31 22:59:00".into())
        );
        assert_eq!(
            utc.map(|u| to_input(u, berlin)),
            Some("2026-12-31T23:59".into())
        );
        assert_eq!(
            utc.map(|u| display(u, berlin)),
            Some("Dec 31, 2026 23:59 CET".into())
        );
        assert_eq!(parse_local("  ", berlin), Ok(None));
        assert!(parse_local("31/12/2026", berlin).is_err());
        // 02:30 on the last Sunday of March does not exist in Berlin.
        assert!(parse_local("2026-03-29T02:30", berlin).is_err());
    }

    #[test]
    fn dates_stay_within_years_2000_to_2999_and_sort_as_text() {
        let la: Tz = "America/Los_Angeles".parse().unwrap_or(Tz::UTC);
        for bad in [
            "9999-12-31T23:59",
            "3000-01-01T00:00",
            "1999-12-31T23:59",
            "0001-01-01T00:00",
        ] {
            assert!(parse_local(bad, la).is_err(), "{bad} was accepted");
        }
        let last = parse_local("2999-12-31T23:59", la).ok().flatten();
        let first = parse_local("2000-01-01T00:00", la).ok().flatten();
        // What SQLite stores: the text must sort like the times.
        let texts: Vec<String> = [first, last]
            .iter()
            .flatten()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(texts, ["2000-01-01 08:00:00", "3000-01-01 07:59:00"]);
        assert!(texts[1] > db_now_text(), "the far future sorts after today");
    }

    fn db_now_text() -> String {
        chrono::Utc::now().naive_utc().to_string()
    }
}
