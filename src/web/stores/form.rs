//! The store form shared by "New store" and the settings page.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::db::stores::{Store, StoreFields};
use crate::domain::money::CurrencyCode;
use crate::domain::store::{PublicBaseUrl, StoreName, StoreSlug, TimeZone};
use crate::web::forms::FormErrors;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct StoreForm {
    pub name: String,
    pub slug: String,
    pub currency: String,
    pub timezone: String,
    pub public_base_url: String,
}

impl Default for StoreForm {
    fn default() -> Self {
        StoreForm {
            name: String::new(),
            slug: String::new(),
            currency: "USD".into(),
            timezone: "UTC".into(),
            public_base_url: String::new(),
        }
    }
}

impl StoreForm {
    pub fn from_store(store: &Store) -> StoreForm {
        StoreForm {
            name: store.name.clone(),
            slug: store.slug.clone(),
            currency: store.currency.clone(),
            timezone: store.timezone.name().to_string(),
            public_base_url: store.public_base_url.clone().unwrap_or_default(),
        }
    }

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

/// The options of the currency and time zone pickers, built once.
pub struct Choices {
    pub currencies: &'static [(&'static str, String)],
    pub timezones: &'static [&'static str],
}

impl Choices {
    pub fn get() -> Choices {
        static CURRENCIES: LazyLock<Vec<(&'static str, String)>> = LazyLock::new(CurrencyCode::all);
        static ZONES: LazyLock<Vec<&'static str>> = LazyLock::new(|| TimeZone::all().collect());
        Choices {
            currencies: &CURRENCIES,
            timezones: &ZONES,
        }
    }
}
