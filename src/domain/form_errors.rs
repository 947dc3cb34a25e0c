//! Per-field error messages of a submitted form, kept for re-rendering it.

use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct FormErrors(BTreeMap<String, String>);

impl FormErrors {
    /// Keeps the value of a parse, or records its message against `field`.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Records a message against `field` (the first one for a field wins).
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    /// Every (field, message), in field name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Every message in one line, for a flash or a plain error page.
    pub fn summary(&self) -> String {
        self.iter().map(|(_, m)| m).collect::<Vec<_>>().join(" ")
    }

    /// The first field with a message, in name order.
    pub fn first_field(&self) -> Option<&str> {
        self.0.keys().next().map(String::as_str)
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl FormErrors {
    /// The fields with a message, in the order given by `order` (the form's
    /// field order), for the summary and for choosing which tab to open.
    pub fn in_order<'a>(
        &'a self,
        order: &'a [&'static str],
    ) -> impl Iterator<Item = (&'static str, &'a str)> + 'a {
        order
            .iter()
            .filter_map(|field| self.0.get(*field).map(|v| (*field, v.as_str())))
    }
}
