//! A store's own fields: slug, name, currency, time zone and public base URL.

use super::form_errors::FormErrors;
use super::money::CurrencyCode;

/// Path segments the application itself uses; no store may take them.
pub const RESERVED_SLUGS: [&str; 9] = [
    "admin", "api", "static", "healthz", "readyz", "metrics", "login", "logout", "setup",
];

/// The store's URL name: `[a-z0-9-]{3,40}`, not a reserved word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSlug(String);

impl StoreSlug {
    pub fn parse(raw: &str) -> Result<StoreSlug, String> {
        let slug = raw.trim();
        if slug.is_empty() {
            return Err("Enter a slug: it is the store's name in URLs.".into());
        }
        if slug.chars().any(|c| c.is_ascii_uppercase()) {
            return Err("Use lowercase letters only (a–z), digits and dashes.".into());
        }
        if !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("Use only lowercase letters (a–z), digits and dashes.".into());
        }
        let len = slug.len();
        if !(3..=40).contains(&len) {
            return Err(format!("Use 3 to 40 characters (this one has {len})."));
        }
        if RESERVED_SLUGS.contains(&slug) {
            return Err(format!(
                "“{slug}” is reserved by Promodesk; choose another slug."
            ));
        }
        Ok(StoreSlug(slug.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The store's display name: 1–80 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreName(String);

impl StoreName {
    pub fn parse(raw: &str) -> Result<StoreName, String> {
        super::text::name(raw, Some("Enter the store's name."), 80).map(StoreName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name, e.g. `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<TimeZone, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Choose a time zone.".into());
        }
        name.parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| format!("“{name}” is not an IANA time zone name (e.g. Europe/Berlin)."))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The zone, for converting times.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    /// Every IANA zone name, for pickers.
    pub fn all() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
}

impl std::fmt::Display for TimeZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A stored zone name read back (`db::stores::Store`): one that no longer
/// parses is an error, never a silent UTC.
impl TryFrom<String> for TimeZone {
    type Error = String;

    fn try_from(stored: String) -> Result<TimeZone, String> {
        TimeZone::parse(&stored)
    }
}

/// The address shareable URLs start with, e.g. `https://shop.example`. No
/// trailing slash, no query or fragment; empty means the server's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

impl PublicBaseUrl {
    pub fn parse_optional(raw: &str) -> Result<Option<PublicBaseUrl>, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let bad =
            || "Enter a full http:// or https:// address, like https://shop.example.".to_string();
        let url = url::Url::parse(raw).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("Leave out the query (?…) and fragment (#…).".into());
        }
        if raw.len() > 200 {
            return Err("Use at most 200 characters.".into());
        }
        Ok(Some(PublicBaseUrl(
            url.as_str().trim_end_matches('/').to_string(),
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A store's fields, all checked.
#[derive(Debug, Clone)]
pub struct StoreFields {
    pub slug: StoreSlug,
    pub name: StoreName,
    pub currency: CurrencyCode,
    pub timezone: TimeZone,
    pub public_base_url: Option<PublicBaseUrl>,
}

/// The store form, shared by "New store" and the settings page.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct StoreInput {
    pub name: String,
    pub slug: String,
    pub currency: String,
    pub timezone: String,
    pub public_base_url: String,
}

impl Default for StoreInput {
    fn default() -> Self {
        StoreInput {
            name: String::new(),
            slug: String::new(),
            currency: "USD".into(),
            timezone: "UTC".into(),
            public_base_url: String::new(),
        }
    }
}

impl StoreInput {
    pub fn check(&self) -> Result<StoreFields, FormErrors> {
        let mut errors = FormErrors::default();
        let name = errors.check("name", StoreName::parse(&self.name));
        let slug = errors.check("slug", StoreSlug::parse(&self.slug));
        let currency = errors.check("currency", CurrencyCode::parse(&self.currency));
        let timezone = errors.check("timezone", TimeZone::parse(&self.timezone));
        let public_base_url = errors.check(
            "public_base_url",
            PublicBaseUrl::parse_optional(&self.public_base_url),
        );
        match (name, slug, currency, timezone, public_base_url) {
            (Some(name), Some(slug), Some(currency), Some(timezone), Some(public_base_url)) => {
                Ok(StoreFields {
                    slug,
                    name,
                    currency,
                    timezone,
                    public_base_url,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_rules() {
        for good in ["abc", "my-store", "store42", &"a".repeat(40)] {
            assert!(StoreSlug::parse(good).is_ok(), "{good} refused");
        }
        let cases = [
            ("", "Enter a slug"),
            ("ab", "3 to 40"),
            (&"a".repeat(41), "3 to 40"),
            ("MyStore", "lowercase"),
            ("my store", "Use only lowercase"),
            ("my_store", "Use only lowercase"),
            ("admin", "reserved"),
            ("healthz", "reserved"),
        ];
        for (bad, msg) in cases {
            let err = StoreSlug::parse(bad).err().unwrap_or_default();
            assert!(err.contains(msg), "{bad:?}: {err:?} lacks {msg:?}");
        }
        for reserved in RESERVED_SLUGS {
            assert!(StoreSlug::parse(reserved).is_err());
        }
    }

    #[test]
    fn time_zones() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").map(|t| t.name()),
            Ok("Europe/Berlin")
        );
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn base_url_is_normalised() {
        assert_eq!(
            PublicBaseUrl::parse_optional("https://shop.example/").map(|u| u.map(|u| u.0)),
            Ok(Some("https://shop.example".to_string()))
        );
        assert_eq!(PublicBaseUrl::parse_optional("  "), Ok(None));
        for bad in [
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/?a=1",
        ] {
            assert!(PublicBaseUrl::parse_optional(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_stored_zone_that_no_longer_parses_is_an_error_not_utc() {
        let berlin = TimeZone::try_from("Europe/Berlin".to_string()).map(|z| z.tz());
        assert_eq!(berlin, Ok(chrono_tz::Tz::Europe__Berlin));
        assert!(TimeZone::try_from("Mars/Olympus_Mons".to_string()).is_err());
    }
}
