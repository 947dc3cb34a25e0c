//! Money: integer minor units in an ISO 4217 currency whose exponent (JPY 0,
//! USD 2, KWD 3) comes from the iso_currency crate. Never floats.

use iso_currency::IntoEnumIterator;

/// An ISO 4217 currency with a minor unit, e.g. `USD`, `JPY`, `KWD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrencyCode(iso_currency::Currency);

/// A stored currency read back (`Store`, `Product` rows): one that no
/// longer parses is an error, never a silent default.
impl TryFrom<String> for CurrencyCode {
    type Error = String;

    fn try_from(stored: String) -> Result<CurrencyCode, String> {
        CurrencyCode::parse(&stored)
    }
}

impl std::fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl CurrencyCode {
    pub fn parse(raw: &str) -> Result<CurrencyCode, String> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err("Choose a currency.".into());
        }
        iso_currency::Currency::from_code(&code)
            .filter(|c| c.exponent().is_some())
            .map(CurrencyCode)
            .ok_or_else(|| {
                format!("“{code}” is not an ISO 4217 currency code (e.g. USD, EUR, JPY).")
            })
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point: JPY 0, USD 2, KWD 3.
    pub fn exponent(&self) -> u32 {
        self.0.exponent().map_or(0, u32::from)
    }

    /// Every currency with a minor unit, sorted by code: (code, name).
    pub fn all() -> Vec<(&'static str, String)> {
        let mut all: Vec<_> = iso_currency::Currency::iter()
            .filter(|c| c.exponent().is_some())
            .map(|c| (c.code(), c.name().to_string()))
            .collect();
        all.sort_unstable();
        all
    }

    /// Parses an amount in major units (`5`, `5.5`, `5.00`) into minor units,
    /// refusing more decimals than the currency has.
    pub fn parse_major(&self, raw: &str) -> Result<i64, String> {
        let raw = raw.trim();
        let exponent = self.exponent();
        let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (raw.contains('.') && !digits(fraction)) {
            return Err("Enter an amount like 5 or 5.00, with a dot for decimals.".into());
        }
        if fraction.len() > exponent as usize {
            return Err(match exponent {
                0 => format!("{} has no decimals: enter a whole amount.", self.code()),
                1 => format!("{} has 1 decimal place at most.", self.code()),
                n => format!("{} has {n} decimal places at most.", self.code()),
            });
        }
        let scale = 10i64.pow(exponent);
        let whole: i64 = whole
            .parse()
            .ok()
            .filter(|w: &i64| *w <= i64::MAX / scale / 10)
            .ok_or("This amount is too large.")?;
        let padded = format!("{fraction:0<width$}", width = exponent as usize);
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| "Enter a valid amount.")?
        };
        Ok(whole * scale + fraction)
    }

    /// Formats minor units in major units with exactly the currency's
    /// decimals: `500` USD → `5.00`, `500` JPY → `500`.
    pub fn format_major(&self, minor: i64) -> String {
        let exponent = self.exponent();
        let sign = if minor < 0 { "-" } else { "" };
        let minor = minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{minor}");
        }
        let scale = 10u64.pow(exponent);
        format!(
            "{sign}{}.{:0width$}",
            minor / scale,
            minor % scale,
            width = exponent as usize
        )
    }

    /// A price for people: `$5.00`, `€12.50`, `¥500`, `KWD 1.250`.
    pub fn display(&self, minor: i64) -> String {
        let symbol = self.0.symbol().symbol;
        let amount = self.format_major(minor);
        if symbol.chars().count() == 1 {
            format!("{symbol}{amount}")
        } else {
            format!("{} {amount}", self.code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> CurrencyCode {
        CurrencyCode::parse(code).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn exponents_come_from_the_currency_table() {
        assert_eq!(c("JPY").exponent(), 0);
        assert_eq!(c("usd").exponent(), 2);
        assert_eq!(c("KWD").exponent(), 3);
        assert!(CurrencyCode::parse("XYZ1").is_err());
        assert!(CurrencyCode::all().iter().any(|(code, _)| *code == "JPY"));
    }

    #[test]
    fn major_amounts_parse_per_currency() {
        assert_eq!(c("USD").parse_major("5"), Ok(500));
        assert_eq!(c("USD").parse_major("5.5"), Ok(550));
        assert_eq!(c("USD").parse_major(" 5.05 "), Ok(505));
        assert_eq!(c("JPY").parse_major("500"), Ok(500));
        assert_eq!(c("KWD").parse_major("1.250"), Ok(1250));
        for (code, bad) in [
            ("USD", "5.001"),
            ("JPY", "5.0"),
            ("KWD", "1.2345"),
            ("USD", "-5"),
            ("USD", "5,00"),
            ("USD", ""),
            ("USD", "."),
            ("USD", "1e3"),
            ("USD", "99999999999999999999"),
        ] {
            assert!(
                c(code).parse_major(bad).is_err(),
                "{code} {bad:?} was accepted"
            );
        }
        assert!(
            c("JPY")
                .parse_major("5.0")
                .err()
                .unwrap_or_default()
                .contains("no decimals")
        );
    }

    #[test]
    fn formatting_round_trips() {
        for (code, minor, text) in [
            ("USD", 500, "5.00"),
            ("USD", 5, "0.05"),
            ("JPY", 500, "500"),
            ("KWD", 1250, "1.250"),
        ] {
            assert_eq!(c(code).format_major(minor), text);
            assert_eq!(c(code).parse_major(text), Ok(minor));
        }
        assert_eq!(c("USD").display(500), "$5.00");
    }
}
