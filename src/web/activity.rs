//! Activity logs as pages show them.

use chrono_tz::Tz;

use crate::db::events::Event;
use crate::domain::time;

pub struct EventView {
    pub at: String,
    pub who: String,
    pub action: String,
    pub detail: String,
}

impl EventView {
    /// The log's entries, times in the store's zone.
    pub fn list(events: Vec<Event>, tz: Tz) -> Vec<EventView> {
        events
            .into_iter()
            .map(|e| EventView {
                at: time::display(e.at, tz),
                who: match (e.user_email, e.api_key) {
                    (Some(email), _) => email,
                    (None, Some(key)) => format!("API key “{key}”"),
                    // Only Promodesk itself pauses a code.
                    (None, None) if e.action == "paused" => "Promodesk (velocity limit)".into(),
                    (None, None) => "a removed user or key".into(),
                },
                action: e.action,
                detail: e.detail,
            })
            .collect()
    }
}
