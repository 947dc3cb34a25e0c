//! The store form shared by "New store" and the settings page.

use std::sync::LazyLock;

use crate::db::stores::Store;
use crate::domain::money::CurrencyCode;
use crate::domain::store::TimeZone;

pub use crate::domain::store::StoreInput as StoreForm;

/// The form filled with the store as it is.
pub fn form_of(store: &Store) -> StoreForm {
    StoreForm {
        name: store.name.clone(),
        slug: store.slug.clone(),
        currency: store.currency.to_string(),
        timezone: store.timezone.name().to_string(),
        public_base_url: store.public_base_url.clone().unwrap_or_default(),
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
