//! The query string of a list route: `limit`, `starting_after`, and the
//! filters that list reads. Each list names its filters once, as a type
//! (`filters!`): the handler takes `Listing<ThatType>`, which refuses any
//! other parameter, and the route table gives the same type to the OpenAPI
//! document, which lists exactly those parameters.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::ApiError;
use crate::db::paging::{Cursor, Page};

/// One query parameter: its name, its JSON schema type, what it does.
pub struct Filter {
    pub name: &'static str,
    pub kind: &'static str,
    pub description: &'static str,
}

/// The parameters every list reads.
pub const PAGING: &[Filter] = &[
    Filter {
        name: "limit",
        kind: "integer",
        description: "How many objects, 1 to 100 (default 20).",
    },
    Filter {
        name: "starting_after",
        kind: "integer",
        description: "The id of the last object of the previous page: the page after it.",
    },
];

/// The filters one list reads, besides `PAGING`.
pub trait Filters: 'static {
    const FILTERS: &'static [Filter];
}

/// Declares a list's filters as a type:
/// `filters!(pub CouponFilters: state "string" "…", q "string" "…");`.
/// Each name must be a field of `ListParams` (checked when it compiles).
macro_rules! filters {
    ($(#[$meta:meta])* $vis:vis $name:ident: $($param:ident $kind:literal $description:literal),*) => {
        $(#[$meta])*
        $vis struct $name;
        impl $crate::web::api::Filters for $name {
            const FILTERS: &'static [$crate::web::api::Filter] = &[$($crate::web::api::Filter {
                name: stringify!($param),
                kind: $kind,
                description: $description,
            }),*];
        }
        const _: fn(&$crate::web::api::ListParams) = |_p| { $(let _ = &_p.$param;)* };
    };
}
pub(crate) use filters;

/// What a list's query string said (each value as sent, read by the
/// methods below so each bad value gets its own message).
#[derive(Debug, Default)]
pub struct ListParams {
    pub limit: Option<String>,
    pub starting_after: Option<String>,
    pub state: Option<String>,
    pub coupon: Option<String>,
    pub q: Option<String>,
}

impl ListParams {
    /// Reads a query string for a list whose filters are `filters`: any
    /// other parameter, or one sent twice, is a 400 naming it.
    pub fn parse(query: &str, filters: &[Filter]) -> Result<ListParams, ApiError> {
        let pairs: Vec<(String, String)> = serde_html_form::from_str(query)
            .map_err(|e| ApiError::bad_request(format!("The query string cannot be read: {e}.")))?;
        let mut params = ListParams::default();
        for (name, value) in pairs {
            let read = PAGING.iter().chain(filters).any(|f| f.name == name);
            let slot = match name.as_str() {
                "limit" => &mut params.limit,
                "starting_after" => &mut params.starting_after,
                "state" => &mut params.state,
                "coupon" => &mut params.coupon,
                "q" => &mut params.q,
                _ => return Err(unknown(&name, filters)),
            };
            if !read {
                return Err(unknown(&name, filters));
            }
            if slot.replace(value).is_some() {
                return Err(ApiError::BadRequest {
                    message: format!("Send `{name}` once."),
                    param: Some(name),
                });
            }
        }
        Ok(params)
    }

    /// 1-100, default 20.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit.as_deref().map(str::trim) {
            None | Some("") => Ok(20),
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| ApiError::invalid_param("limit", "Use a limit from 1 to 100.")),
        }
    }

    pub fn cursor(&self) -> Result<Cursor, ApiError> {
        match self.starting_after.as_deref().map(str::trim) {
            None | Some("") => Ok(Cursor::First),
            Some(raw) => raw.parse::<i64>().map(Cursor::Next).map_err(|_| {
                ApiError::invalid_param("starting_after", "Use the id of the last object you got.")
            }),
        }
    }

    pub fn coupon(&self) -> Result<Option<i64>, ApiError> {
        match self.coupon.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => raw
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::invalid_param("coupon", "Use a coupon id.")),
        }
    }

    /// The `state` filter read by `parse`; `hint` lists the states.
    fn state<T>(
        &self,
        parse: impl Fn(&str) -> Option<T>,
        hint: &str,
    ) -> Result<Option<T>, ApiError> {
        match self.state.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => parse(raw)
                .map(Some)
                .ok_or_else(|| ApiError::invalid_param("state", hint)),
        }
    }

    /// One page of a list read whole (a store's products or sets): newest
    /// first, after `starting_after`, `limit` of them.
    pub fn page_in_memory<T>(
        &self,
        mut items: Vec<T>,
        id: impl Fn(&T) -> i64,
    ) -> Result<Page<T>, ApiError> {
        let limit = self.limit()?;
        items.sort_by_key(|i| std::cmp::Reverse(id(i)));
        if let Cursor::Next(after) = self.cursor()? {
            items.retain(|i| id(i) < after);
        }
        let has_next = items.len() as i64 > limit;
        items.truncate(limit as usize);
        Ok(Page {
            items,
            has_prev: false,
            has_next,
        })
    }

    pub fn q(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(String::from)
    }
}

/// 400 for a parameter this list does not read, naming those it does.
fn unknown(name: &str, filters: &[Filter]) -> ApiError {
    let names: Vec<&str> = PAGING.iter().chain(filters).map(|f| f.name).collect();
    ApiError::BadRequest {
        message: format!(
            "This list has no `{name}` parameter; it reads {}.",
            names.join(", ")
        ),
        param: Some(name.to_string()),
    }
}

/// The query of a list whose filters are `F` (the extractor).
pub struct Listing<F: Filters> {
    params: ListParams,
    _filters: PhantomData<F>,
}

impl<F: Filters> std::ops::Deref for Listing<F> {
    type Target = ListParams;

    fn deref(&self) -> &ListParams {
        &self.params
    }
}

impl<F: Filters> Listing<F> {
    /// The `state` filter read by `parse`; a state it cannot read gets
    /// the states the filter's description lists.
    pub fn state<T>(&self, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, ApiError> {
        let states = F::FILTERS
            .iter()
            .find(|f| f.name == "state")
            .map_or("", |f| f.description);
        self.params.state(parse, &format!("Use {states}"))
    }
}

impl<F: Filters> FromRequest for Listing<F> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            ListParams::parse(req.query_string(), F::FILTERS).map(|params| Listing {
                params,
                _filters: PhantomData,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    filters!(StateAndQ: state "string" "A state.", q "string" "A prefix.");

    #[test]
    fn a_list_reads_its_filters_and_refuses_the_others() {
        let read = ListParams::parse("limit=5&state=active&q=SUM", StateAndQ::FILTERS)
            .expect("its own filters");
        assert_eq!(read.limit().ok(), Some(5));
        assert_eq!(read.q().as_deref(), Some("SUM"));
        for query in [
            "coupon=3",
            "foo=1",
            "q=a&q=b",
            "state=active&limit=1&limit=2",
        ] {
            let refused = ListParams::parse(query, StateAndQ::FILTERS);
            assert!(
                matches!(refused, Err(ApiError::BadRequest { param: Some(_), .. })),
                "{query} is refused: {refused:?}"
            );
        }
        assert!(ListParams::parse("", &[]).is_ok());
        assert!(ListParams::parse("state=", &[]).is_err(), "even empty");
    }
}
