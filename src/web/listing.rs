//! The links of a filtered, sortable list (coupons, promotion codes): its
//! pages, its column headings, its Sort options and its CSV export, each
//! keeping the list's filters.

use crate::db::paging::{Page, Sort};
use crate::web::coupons::list::StateOption;

/// The orders a list offers, as (`sort` value, label).
const SORTS: [(&str, &str); 10] = [
    ("", "Newest first"),
    ("created", "Oldest first"),
    ("code", "Code, A to Z"),
    ("-code", "Code, Z to A"),
    ("-used", "Most used"),
    ("used", "Least used"),
    ("remaining", "Fewest uses left"),
    ("-remaining", "Most uses left"),
    ("expiry", "Ending soonest"),
    ("-expiry", "Ending last"),
];

/// A column heading that sorts by its column.
pub struct SortHeading {
    pub href: String,
    /// " ▲" or " ▼" on the column the list is sorted by.
    pub mark: &'static str,
}

/// A list's path, filters and order.
pub struct Listing {
    /// e.g. `/admin/s/acme/coupons`.
    path: String,
    /// The filters as (parameter, value); empty ones are left out of links.
    filters: Vec<(&'static str, String)>,
    sort: Option<Sort>,
}

impl Listing {
    pub fn new(path: String, filters: Vec<(&'static str, String)>, sort: Option<Sort>) -> Listing {
        Listing {
            path,
            filters: filters.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
            sort,
        }
    }

    fn with(&self, path: &str, extra: &[(&str, String)]) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.filters.iter().map(|(n, v)| (*n, v)).chain(
            extra
                .iter()
                .map(|(n, v)| (*n, v))
                .filter(|(_, v)| !v.is_empty()),
        ) {
            query.append_pair(name, value);
        }
        match query.finish() {
            q if q.is_empty() => path.to_string(),
            q => format!("{path}?{q}"),
        }
    }

    /// The CSV export of what the filters match (`{path}.csv?...`).
    pub fn csv(&self) -> String {
        self.with(&format!("{}.csv", self.path), &[])
    }

    /// The `sort` parameter of the list's order ("" for newest first).
    fn param(&self) -> String {
        self.sort.map(|s| s.param()).unwrap_or_default()
    }

    /// The previous and next pages: by number in a chosen order, else by
    /// keyset from the first and last row shown.
    pub fn pages<T>(
        &self,
        page: &Page<T>,
        id: impl Fn(&T) -> i64,
    ) -> (Option<String>, Option<String>) {
        match self.sort {
            Some(sort) => {
                let numbered = |n: i64| {
                    self.with(
                        &self.path,
                        &[("sort", sort.param()), ("page", n.to_string())],
                    )
                };
                (
                    page.has_prev.then(|| numbered(sort.page - 1)),
                    page.has_next.then(|| numbered(sort.page + 1)),
                )
            }
            None => crate::web::pager_links(page, id, |dir, id| {
                self.with(&self.path, &[(dir, id.to_string())])
            }),
        }
    }

    /// The Code, Used and Remaining headings: each sorts by its column,
    /// and the other way round when the list is sorted by it already.
    pub fn headings(&self) -> [SortHeading; 3] {
        let current = self.param();
        ["code", "used", "remaining"].map(|key| {
            let descending = format!("-{key}");
            let (param, mark) = if current == key {
                (descending, " ▲")
            } else if current == descending {
                (key.to_string(), " ▼")
            } else {
                (key.to_string(), "")
            };
            SortHeading {
                href: self.with(&self.path, &[("sort", param)]),
                mark,
            }
        })
    }

    /// The Sort select's options, the current order selected.
    pub fn options(&self) -> Vec<StateOption> {
        let current = self.param();
        SORTS
            .iter()
            .map(|(value, label)| StateOption {
                value,
                label,
                selected: *value == current,
            })
            .collect()
    }

    /// How the pager names the order: "newest first", "by code" (a search
    /// without a chosen order) or nothing (the Sort select says it).
    pub fn order(&self, searching: bool) -> &'static str {
        match self.sort {
            Some(_) => "",
            None if searching => "by code",
            None => "newest first",
        }
    }
}

/// "1,204 coupons" / "1 promotion code".
pub fn total(n: i64, noun: &str) -> String {
    format!(
        "{} {noun}{}",
        crate::domain::text::thousands(n),
        if n == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::paging::SortKey;

    #[test]
    fn links_keep_the_filters_and_flip_the_sorted_column() {
        let sort = Sort::parse("used", 0);
        let list = Listing::new(
            "/admin/s/acme/coupons".into(),
            vec![
                ("state", "active".into()),
                ("q", "su mmer".into()),
                ("coupon", String::new()),
            ],
            sort,
        );
        assert_eq!(
            list.csv(),
            "/admin/s/acme/coupons.csv?state=active&q=su+mmer"
        );
        let [code, used, _] = list.headings();
        assert_eq!(
            code.href,
            "/admin/s/acme/coupons?state=active&q=su+mmer&sort=code"
        );
        assert_eq!((used.href.ends_with("sort=-used"), used.mark), (true, " ▲"));
        assert!(
            list.options()
                .iter()
                .any(|o| o.selected && o.value == "used")
        );
        assert_eq!(sort.map(|s| s.key), Some(SortKey::Used));
        let page = Page {
            items: vec![1, 2],
            has_prev: false,
            has_next: true,
        };
        let (prev, next) = list.pages(&page, |i| *i);
        assert_eq!(prev, None);
        assert!(next.is_some_and(|n| n.ends_with("sort=used&page=1")));
        assert_eq!(total(1_204, "coupon"), "1,204 coupons");
        assert_eq!(total(1, "coupon"), "1 coupon");
    }
}
