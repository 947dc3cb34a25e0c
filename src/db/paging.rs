//! Keyset pagination shared by the lists: a cursor names the row a page
//! starts after (or before), and one extra row tells whether more follow.

/// Where a page starts, in the list's own order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    First,
    /// The page after the row with this id.
    Next(i64),
    /// The page before the row with this id.
    Prev(i64),
}

/// One page of a list, and whether there are pages before and after it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_prev: bool,
    pub has_next: bool,
}

/// Turns `limit + 1` rows read from the cursor onwards (in reverse order for
/// `Prev`) into the page.
pub fn page<T>(mut rows: Vec<T>, limit: i64, cursor: Cursor) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    if matches!(cursor, Cursor::Prev(_)) {
        rows.reverse();
    }
    let (has_prev, has_next) = match cursor {
        Cursor::First => (false, more),
        Cursor::Next(_) => (true, more),
        Cursor::Prev(_) => (more, true),
    };
    Page {
        items: rows,
        has_prev,
        has_next,
    }
}

/// Turns `limit + 1` rows of page `sort.page` of a chosen order (read with
/// an offset) into the page.
pub fn numbered<T>(rows: Vec<T>, limit: i64, sort: Sort) -> Page<T> {
    let mut found = page(rows, limit, Cursor::First);
    found.has_prev = sort.page > 0;
    found
}

impl<T> Page<T> {
    /// No rows: the answer to a search no stored text can match (one with
    /// control characters, which no field accepts and PostgreSQL cannot
    /// even compare against).
    pub fn empty() -> Page<T> {
        Page {
            items: Vec::new(),
            has_prev: false,
            has_next: false,
        }
    }

    pub fn try_map<U, E>(self, f: impl FnOnce(Vec<T>) -> Result<Vec<U>, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: f(self.items)?,
            has_prev: self.has_prev,
            has_next: self.has_next,
        })
    }
}

/// What a list can be sorted by (coupons and promotion codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Code,
    Created,
    Used,
    Remaining,
    Expiry,
}

/// A chosen order and page (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub ascending: bool,
    pub page: i64,
}

impl Sort {
    /// `code`, `-code` (descending), `created`, `used`, `remaining`,
    /// `expiry`...; `None` for anything else.
    pub fn parse(raw: &str, page: i64) -> Option<Sort> {
        let (ascending, name) = match raw.trim().strip_prefix('-') {
            Some(name) => (false, name),
            None => (true, raw.trim()),
        };
        let key = match name {
            "code" => SortKey::Code,
            "created" => SortKey::Created,
            "used" => SortKey::Used,
            "remaining" => SortKey::Remaining,
            "expiry" => SortKey::Expiry,
            _ => return None,
        };
        Some(Sort {
            key,
            ascending,
            // No list has a billion pages: a larger number is the last page
            // there could be, never an overflow.
            page: page.clamp(0, 1_000_000_000),
        })
    }

    /// The `sort` parameter that names this order.
    pub fn param(&self) -> String {
        let name = match self.key {
            SortKey::Code => "code",
            SortKey::Created => "created",
            SortKey::Used => "used",
            SortKey::Remaining => "remaining",
            SortKey::Expiry => "expiry",
        };
        if self.ascending {
            name.to_string()
        } else {
            format!("-{name}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_know_their_neighbours() {
        let first = page(vec![5, 4, 3], 2, Cursor::First);
        assert_eq!(
            (first.items, first.has_prev, first.has_next),
            (vec![5, 4], false, true)
        );
        let last = page(vec![2, 1], 2, Cursor::Next(3));
        assert_eq!(
            (last.items, last.has_prev, last.has_next),
            (vec![2, 1], true, false)
        );
        // Read backwards (ascending), shown in list order.
        let back = page(vec![4, 5, 6], 2, Cursor::Prev(3));
        assert_eq!(
            (back.items, back.has_prev, back.has_next),
            (vec![5, 4], true, true)
        );
    }
}
