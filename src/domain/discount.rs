//! A coupon's discount terms: percent off (in basis points) or an amount off
//! (minor units in a currency), and how long it lasts.

use super::money::CurrencyCode;

/// A percentage greater than 0 and at most 100 with at most 2 decimals,
/// held as basis points (25% = 2500).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent(i64);

pub const FULL: Percent = Percent(10_000);

impl Percent {
    pub fn parse(raw: &str) -> Result<Percent, String> {
        let raw = raw.trim().trim_end_matches('%').trim();
        if raw.is_empty() {
            return Err("Enter the percentage off, e.g. 25 or 12.5.".into());
        }
        let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (raw.contains('.') && !digits(fraction)) {
            return Err("Enter a number like 25 or 12.5.".into());
        }
        if fraction.len() > 2 {
            return Err("Use at most 2 decimal places, e.g. 12.75.".into());
        }
        let whole: i64 = whole
            .parse()
            .ok()
            .filter(|w| *w <= 100)
            .ok_or("The percentage must be at most 100.")?;
        let fraction: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
        let bp = whole * 100 + fraction;
        if bp == 0 {
            return Err("The percentage must be greater than 0.".into());
        }
        if bp > 10_000 {
            return Err("The percentage must be at most 100.".into());
        }
        Ok(Percent(bp))
    }

    pub fn from_basis_points(bp: i64) -> Option<Percent> {
        (1..=10_000).contains(&bp).then_some(Percent(bp))
    }

    pub fn basis_points(self) -> i64 {
        self.0
    }

    /// `25`, `12.5`, `12.75`: no trailing zeros.
    pub fn display(self) -> String {
        let (whole, fraction) = (self.0 / 100, self.0 % 100);
        match fraction {
            0 => whole.to_string(),
            f if f % 10 == 0 => format!("{whole}.{}", f / 10),
            f => format!("{whole}.{f:02}"),
        }
    }
}

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    Percent(Percent),
    Amount { minor: i64, currency: CurrencyCode },
}

impl Discount {
    pub fn type_str(&self) -> &'static str {
        match self {
            Discount::Percent(_) => "percent",
            Discount::Amount { .. } => "value",
        }
    }

    /// "25% off", "$5.00 off".
    pub fn describe(&self) -> String {
        match self {
            Discount::Percent(p) => format!("{}% off", p.display()),
            Discount::Amount { minor, currency } => format!("{} off", currency.display(*minor)),
        }
    }
}

/// How long a discount lasts on a recurring product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duration {
    Once,
    Forever,
    Repeating { months: i64 },
}

pub const MAX_MONTHS: i64 = 240;

impl Duration {
    pub fn parse(kind: &str, months: &str) -> Result<Duration, (&'static str, String)> {
        let months = months.trim();
        let no_months = |d: Duration| {
            if months.is_empty() {
                Ok(d)
            } else {
                Err((
                    "duration_in_months",
                    "Leave the number of months empty unless the duration is repeating.".into(),
                ))
            }
        };
        match kind.trim() {
            "once" => no_months(Duration::Once),
            "forever" => no_months(Duration::Forever),
            "repeating" => {
                if months.is_empty() {
                    return Err((
                        "duration_in_months",
                        "Enter for how many months (billing cycles) the discount repeats.".into(),
                    ));
                }
                match months.parse::<i64>() {
                    Ok(m) if (1..=MAX_MONTHS).contains(&m) => Ok(Duration::Repeating { months: m }),
                    _ => Err((
                        "duration_in_months",
                        format!("Enter a whole number of months from 1 to {MAX_MONTHS}."),
                    )),
                }
            }
            "" => Err(("duration", "Choose how long the discount lasts.".into())),
            _ => Err(("duration", "Choose once, forever or repeating.".into())),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Duration::Once => "once",
            Duration::Forever => "forever",
            Duration::Repeating { .. } => "repeating",
        }
    }

    pub fn months(&self) -> Option<i64> {
        match self {
            Duration::Repeating { months } => Some(*months),
            _ => None,
        }
    }

    /// "once", "forever", "3 months".
    pub fn describe(&self) -> String {
        match self {
            Duration::Once => "once".into(),
            Duration::Forever => "forever".into(),
            Duration::Repeating { months: 1 } => "1 month".into(),
            Duration::Repeating { months } => format!("{months} months"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rules() {
        assert_eq!(Percent::parse("25").map(Percent::basis_points), Ok(2500));
        assert_eq!(Percent::parse("12.5").map(Percent::basis_points), Ok(1250));
        assert_eq!(Percent::parse("0.01").map(Percent::basis_points), Ok(1));
        assert_eq!(Percent::parse("100").map(Percent::basis_points), Ok(10_000));
        assert_eq!(
            Percent::parse("100.00").map(Percent::basis_points),
            Ok(10_000)
        );
        for bad in [
            "", "0", "0.00", "100.01", "101", "-5", "12.555", "abc", "1e2", "12.",
        ] {
            assert!(Percent::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(
            Percent::parse("12.555")
                .err()
                .unwrap_or_default()
                .contains("2 decimal")
        );
    }

    #[test]
    fn percent_display_drops_trailing_zeros() {
        for (bp, text) in [(2500, "25"), (1250, "12.5"), (1275, "12.75"), (1, "0.01")] {
            assert_eq!(
                Percent::from_basis_points(bp).map(Percent::display),
                Some(text.into())
            );
        }
    }

    #[test]
    fn duration_rules() {
        assert_eq!(Duration::parse("once", ""), Ok(Duration::Once));
        assert_eq!(
            Duration::parse("repeating", "3"),
            Ok(Duration::Repeating { months: 3 })
        );
        assert_eq!(
            Duration::parse("repeating", "3").map(|d| d.describe()),
            Ok("3 months".into())
        );
        for (kind, months, field) in [
            ("once", "3", "duration_in_months"),
            ("forever", "1", "duration_in_months"),
            ("repeating", "", "duration_in_months"),
            ("repeating", "0", "duration_in_months"),
            ("repeating", "241", "duration_in_months"),
            ("repeating", "1.5", "duration_in_months"),
            ("weekly", "", "duration"),
            ("", "", "duration"),
        ] {
            assert_eq!(
                Duration::parse(kind, months).err().map(|e| e.0),
                Some(field),
                "{kind} {months}"
            );
        }
    }
}
