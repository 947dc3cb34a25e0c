//! Activity log entries, as the coupon and promotion code logs store them.

use chrono::NaiveDateTime;

/// One entry of an activity log.
#[derive(Debug, Clone)]
pub struct Event {
    pub at: NaiveDateTime,
    pub user_email: Option<String>,
    /// The API key that made the change, when it came through the API.
    pub api_key: Option<String>,
    pub action: String,
    pub detail: String,
}

/// The columns a log query selects: when, who (staff email or API key
/// name), what, details.
pub type EventRow = (
    NaiveDateTime,
    Option<String>,
    Option<String>,
    String,
    String,
);

impl From<EventRow> for Event {
    fn from((at, user_email, api_key, action, detail): EventRow) -> Event {
        Event {
            at,
            user_email,
            api_key,
            action,
            detail,
        }
    }
}
