//! Filters the templates share. askama looks a filter up as
//! `filters::NAME` in the module that derives the template, so such a
//! module says `use crate::web::filters;`.

/// A count with thousands separators: `{{ n|count }}` → `1,004`, for
/// every count a page shows (SPEC: counts read as merchants write them).
/// Machine-readable figures (money in minor units) stay in hidden
/// `data-field` spans; counts are shown, and read, as the page writes them.
#[askama::filter_fn]
pub fn count<T: std::fmt::Display>(n: T, _: &dyn askama::Values) -> askama::Result<String> {
    let text = n.to_string();
    Ok(text
        .parse::<i64>()
        .map(crate::domain::text::thousands)
        .unwrap_or(text))
}
