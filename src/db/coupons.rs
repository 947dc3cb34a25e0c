//! Coupons: writes in one transaction each, limits by conditional updates,
//! an activity log, and a keyset-paginated list.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{coupon_events, coupon_products, coupons, users};
use super::{Conn, DbError, now};
use crate::domain::coupon::{CouponDraft, ExistingCoupon};
use crate::domain::discount::{Discount, Duration, Percent};
use crate::domain::ids::{CouponId, ProductId, StoreId, UserId};
use crate::domain::money::CurrencyCode;
use crate::domain::states::{CouponFacts, CouponState};

diesel::define_sql_function!(fn upper(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Debug, Clone, Queryable)]
struct Row {
    id: i64,
    code: String,
    name: Option<String>,
    discount_type: String,
    percent_off_bp: Option<i64>,
    amount_off: Option<i64>,
    currency: Option<String>,
    duration: String,
    duration_in_months: Option<i64>,
    max_redemptions: Option<i64>,
    times_redeemed: i64,
    starts_at: Option<NaiveDateTime>,
    redeem_by: Option<NaiveDateTime>,
    once_per_customer: bool,
    archived_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

type Columns = (
    coupons::id,
    coupons::code,
    coupons::name,
    coupons::discount_type,
    coupons::percent_off_bp,
    coupons::amount_off,
    coupons::currency,
    coupons::duration,
    coupons::duration_in_months,
    coupons::max_redemptions,
    coupons::times_redeemed,
    coupons::starts_at,
    coupons::redeem_by,
    coupons::once_per_customer,
    coupons::archived_at,
    coupons::deleted_at,
    coupons::created_at,
);
const COLUMNS: Columns = (
    coupons::id,
    coupons::code,
    coupons::name,
    coupons::discount_type,
    coupons::percent_off_bp,
    coupons::amount_off,
    coupons::currency,
    coupons::duration,
    coupons::duration_in_months,
    coupons::max_redemptions,
    coupons::times_redeemed,
    coupons::starts_at,
    coupons::redeem_by,
    coupons::once_per_customer,
    coupons::archived_at,
    coupons::deleted_at,
    coupons::created_at,
);

/// A stored coupon, its terms as domain types.
#[derive(Debug, Clone)]
pub struct Coupon {
    pub id: CouponId,
    pub code: String,
    pub name: Option<String>,
    pub discount: Discount,
    pub duration: Duration,
    pub max_redemptions: Option<i64>,
    pub times_redeemed: i64,
    pub starts_at: Option<NaiveDateTime>,
    pub redeem_by: Option<NaiveDateTime>,
    pub once_per_customer: bool,
    pub archived_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl Coupon {
    pub fn facts(&self) -> CouponFacts {
        CouponFacts {
            deleted: self.deleted_at.is_some(),
            archived: self.archived_at.is_some(),
            starts_at: self.starts_at,
            redeem_by: self.redeem_by,
            times_redeemed: self.times_redeemed,
            max_redemptions: self.max_redemptions,
        }
    }

    pub fn state(&self, now: NaiveDateTime) -> CouponState {
        self.facts().state(now)
    }

    pub fn existing(&self) -> ExistingCoupon {
        ExistingCoupon {
            code: self.code.clone(),
            discount: self.discount,
            duration: self.duration,
            times_redeemed: self.times_redeemed,
            starts_at: self.starts_at,
            redeem_by: self.redeem_by,
        }
    }
}

fn corrupt(what: &str, id: i64) -> DbError {
    DbError::DeserializationError(format!("coupon {id} has an invalid {what}").into())
}

impl TryFrom<Row> for Coupon {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Coupon, DbError> {
        let discount = match (
            r.discount_type.as_str(),
            r.percent_off_bp,
            r.amount_off,
            &r.currency,
        ) {
            ("percent", Some(bp), _, _) => Discount::Percent(
                Percent::from_basis_points(bp).ok_or_else(|| corrupt("percentage", r.id))?,
            ),
            ("value", _, Some(minor), Some(currency)) => Discount::Amount {
                minor,
                currency: CurrencyCode::parse(currency).map_err(|_| corrupt("currency", r.id))?,
            },
            _ => return Err(corrupt("discount", r.id)),
        };
        let duration = match (r.duration.as_str(), r.duration_in_months) {
            ("once", _) => Duration::Once,
            ("forever", _) => Duration::Forever,
            ("repeating", Some(months)) => Duration::Repeating { months },
            _ => return Err(corrupt("duration", r.id)),
        };
        Ok(Coupon {
            id: CouponId(r.id),
            code: r.code,
            name: r.name,
            discount,
            duration,
            max_redemptions: r.max_redemptions,
            times_redeemed: r.times_redeemed,
            starts_at: r.starts_at,
            redeem_by: r.redeem_by,
            once_per_customer: r.once_per_customer,
            archived_at: r.archived_at,
            deleted_at: r.deleted_at,
            created_at: r.created_at,
        })
    }
}

fn to_coupons(rows: Vec<Row>) -> QueryResult<Vec<Coupon>> {
    rows.into_iter().map(Coupon::try_from).collect()
}

/// Why a coupon could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CouponWriteError {
    #[error("the code is used by another coupon")]
    CodeTaken,
    #[error("the terms are locked after the first redemption")]
    Locked,
    #[error("the coupon was redeemed {0} times, more than the new limit")]
    BelowRedeemed(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn code_taken(
    conn: &mut Conn,
    store: StoreId,
    code: &str,
    except: Option<CouponId>,
) -> QueryResult<bool> {
    let found: Option<i64> = coupons::table
        .filter(coupons::store_id.eq(store.0))
        .filter(coupons::code.eq(code))
        .filter(coupons::deleted_at.is_null())
        .select(coupons::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some_and(|id| Some(CouponId(id)) != except))
}

fn code_conflict(e: DbError) -> CouponWriteError {
    if super::is_unique_violation(&e) {
        CouponWriteError::CodeTaken
    } else {
        CouponWriteError::Db(e)
    }
}

fn log(
    conn: &mut Conn,
    coupon: CouponId,
    user: Option<UserId>,
    action: &str,
    detail: &str,
) -> QueryResult<()> {
    diesel::insert_into(coupon_events::table)
        .values((
            coupon_events::coupon_id.eq(coupon.0),
            coupon_events::user_id.eq(user.map(|u| u.0)),
            coupon_events::action.eq(action),
            coupon_events::detail.eq(detail),
            coupon_events::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

fn set_products(conn: &mut Conn, coupon: CouponId, products: &[ProductId]) -> QueryResult<()> {
    diesel::delete(coupon_products::table.filter(coupon_products::coupon_id.eq(coupon.0)))
        .execute(conn)?;
    for product in products {
        diesel::insert_into(coupon_products::table)
            .values((
                coupon_products::coupon_id.eq(coupon.0),
                coupon_products::product_id.eq(product.0),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The terms columns of a draft, for insert and update.
struct Terms {
    kind: &'static str,
    percent: Option<i64>,
    amount: Option<i64>,
    currency: Option<&'static str>,
    duration: &'static str,
    months: Option<i64>,
}

fn terms(draft: &CouponDraft) -> Terms {
    let (percent, amount, currency) = match draft.discount {
        Discount::Percent(p) => (Some(p.basis_points()), None, None),
        Discount::Amount { minor, currency } => (None, Some(minor), Some(currency.code())),
    };
    Terms {
        kind: draft.discount.type_str(),
        percent,
        amount,
        currency,
        duration: draft.duration.as_str(),
        months: draft.duration.months(),
    }
}

/// Creates a coupon; `detail` goes into the "created" entry of its log.
pub fn insert(
    conn: &mut Conn,
    store: StoreId,
    draft: &CouponDraft,
    user: UserId,
    detail: &str,
) -> Result<CouponId, CouponWriteError> {
    super::write_transaction(conn, |conn| {
        if code_taken(conn, store, draft.code.as_str(), None)? {
            return Err(CouponWriteError::CodeTaken);
        }
        let t = terms(draft);
        let at = now();
        diesel::insert_into(coupons::table)
            .values((
                coupons::store_id.eq(store.0),
                coupons::code.eq(draft.code.as_str()),
                coupons::name.eq(draft.name.as_deref()),
                coupons::discount_type.eq(t.kind),
                coupons::percent_off_bp.eq(t.percent),
                coupons::amount_off.eq(t.amount),
                coupons::currency.eq(t.currency),
                coupons::duration.eq(t.duration),
                coupons::duration_in_months.eq(t.months),
                coupons::max_redemptions.eq(draft.max_redemptions),
                coupons::times_redeemed.eq(0),
                coupons::starts_at.eq(draft.starts_at),
                coupons::redeem_by.eq(draft.redeem_by),
                coupons::once_per_customer.eq(draft.once_per_customer),
                coupons::created_at.eq(at),
                coupons::updated_at.eq(at),
            ))
            .execute(conn)
            .map_err(code_conflict)?;
        let id = CouponId(super::last_insert_id(conn)?);
        set_products(conn, id, &draft.applies_to)?;
        log(conn, id, Some(user), "created", detail)?;
        Ok(id)
    })
}

/// What an edit changed, in words, for the log.
fn changes(old: &Coupon, old_products: &[ProductId], new: &CouponDraft) -> String {
    let mut changed = Vec::new();
    if old.code != new.code.as_str() {
        changed.push("code");
    }
    if old.name != new.name {
        changed.push("name");
    }
    if old.discount != new.discount {
        changed.push("discount");
    }
    if old.duration != new.duration {
        changed.push("duration");
    }
    if old.max_redemptions != new.max_redemptions {
        changed.push("redemption limit");
    }
    if old.starts_at != new.starts_at {
        changed.push("start");
    }
    if old.redeem_by != new.redeem_by {
        changed.push("redeem by");
    }
    if old.once_per_customer != new.once_per_customer {
        changed.push("once per customer");
    }
    if old_products != new.applies_to.as_slice() {
        changed.push("products");
    }
    if changed.is_empty() {
        "nothing changed".into()
    } else {
        format!("changed {}", changed.join(", "))
    }
}

/// Saves an edit. Terms (and the code) only change while the coupon was
/// never redeemed, and the limit never goes below `times_redeemed`: both are
/// conditions of the UPDATE itself, so a redemption racing with the edit
/// cannot slip between a check and the write.
pub fn update(
    conn: &mut Conn,
    store: StoreId,
    id: CouponId,
    draft: &CouponDraft,
    user: UserId,
) -> Result<(), CouponWriteError> {
    super::write_transaction(conn, |conn| {
        let old = find_live(conn, store, id)?;
        let old_products = applies_to(conn, id)?;
        if old.code != draft.code.as_str()
            && code_taken(conn, store, draft.code.as_str(), Some(id))?
        {
            return Err(CouponWriteError::CodeTaken);
        }
        let terms_changed = old.code != draft.code.as_str()
            || old.discount != draft.discount
            || old.duration != draft.duration
            || old.starts_at != draft.starts_at;
        let t = terms(draft);
        // times_redeemed must be 0 to change terms, and within the new limit.
        let redeemed_at_most = if terms_changed { 0 } else { i64::MAX };
        let target = coupons::table
            .filter(coupons::id.eq(id.0))
            .filter(coupons::deleted_at.is_null())
            .filter(coupons::times_redeemed.le(redeemed_at_most))
            .filter(coupons::times_redeemed.le(draft.max_redemptions.unwrap_or(i64::MAX)));
        let updated = diesel::update(target)
            .set((
                coupons::code.eq(draft.code.as_str()),
                coupons::name.eq(draft.name.as_deref()),
                coupons::discount_type.eq(t.kind),
                coupons::percent_off_bp.eq(t.percent),
                coupons::amount_off.eq(t.amount),
                coupons::currency.eq(t.currency),
                coupons::duration.eq(t.duration),
                coupons::duration_in_months.eq(t.months),
                coupons::max_redemptions.eq(draft.max_redemptions),
                coupons::starts_at.eq(draft.starts_at),
                coupons::redeem_by.eq(draft.redeem_by),
                coupons::once_per_customer.eq(draft.once_per_customer),
                coupons::updated_at.eq(now()),
            ))
            .execute(conn)
            .map_err(code_conflict)?;
        if updated == 0 {
            let current = find_live(conn, store, id)?;
            return Err(match draft.max_redemptions {
                Some(max) if current.times_redeemed > max => {
                    CouponWriteError::BelowRedeemed(current.times_redeemed)
                }
                _ => CouponWriteError::Locked,
            });
        }
        set_products(conn, id, &draft.applies_to)?;
        log(
            conn,
            id,
            Some(user),
            "edited",
            &changes(&old, &old_products, draft),
        )?;
        Ok(())
    })
}

/// A lifecycle action on a coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Archive,
    Unarchive,
    Delete,
}

impl Lifecycle {
    pub fn past_tense(self) -> &'static str {
        match self {
            Lifecycle::Archive => "archived",
            Lifecycle::Unarchive => "unarchived",
            Lifecycle::Delete => "deleted",
        }
    }
}

/// Archives, unarchives or deletes a live coupon. Returns false when the
/// coupon was already in that state (nothing written).
pub fn apply(
    conn: &mut Conn,
    store: StoreId,
    id: CouponId,
    action: Lifecycle,
    user: UserId,
) -> QueryResult<bool> {
    super::write_transaction(conn, |conn| {
        find_live(conn, store, id)?;
        let live = coupons::table
            .filter(coupons::id.eq(id.0))
            .filter(coupons::deleted_at.is_null());
        let at = now();
        let updated = match action {
            Lifecycle::Archive => diesel::update(live.filter(coupons::archived_at.is_null()))
                .set((
                    coupons::archived_at.eq(Some(at)),
                    coupons::updated_at.eq(at),
                ))
                .execute(conn)?,
            Lifecycle::Unarchive => diesel::update(live.filter(coupons::archived_at.is_not_null()))
                .set((
                    coupons::archived_at.eq(None::<NaiveDateTime>),
                    coupons::updated_at.eq(at),
                ))
                .execute(conn)?,
            Lifecycle::Delete => diesel::update(live)
                .set((coupons::deleted_at.eq(Some(at)), coupons::updated_at.eq(at)))
                .execute(conn)?,
        };
        if updated > 0 {
            log(conn, id, Some(user), action.past_tense(), "")?;
        }
        Ok(updated > 0)
    })
}

/// A coupon of the store, deleted ones included (their history stays).
pub fn find(conn: &mut Conn, store: StoreId, id: CouponId) -> QueryResult<Coupon> {
    let row: Row = coupons::table
        .filter(coupons::store_id.eq(store.0))
        .filter(coupons::id.eq(id.0))
        .select(COLUMNS)
        .first(conn)?;
    Coupon::try_from(row)
}

/// A coupon of the store that is not deleted.
pub fn find_live(conn: &mut Conn, store: StoreId, id: CouponId) -> QueryResult<Coupon> {
    let coupon = find(conn, store, id)?;
    if coupon.deleted_at.is_some() {
        return Err(DbError::NotFound);
    }
    Ok(coupon)
}

pub fn applies_to(conn: &mut Conn, id: CouponId) -> QueryResult<Vec<ProductId>> {
    let ids: Vec<i64> = coupon_products::table
        .filter(coupon_products::coupon_id.eq(id.0))
        .select(coupon_products::product_id)
        .order(coupon_products::product_id.asc())
        .load(conn)?;
    Ok(ids.into_iter().map(ProductId).collect())
}

/// One entry of a coupon's activity log.
#[derive(Debug, Clone)]
pub struct Event {
    pub at: NaiveDateTime,
    pub user_email: Option<String>,
    pub action: String,
    pub detail: String,
}

pub fn events(conn: &mut Conn, id: CouponId) -> QueryResult<Vec<Event>> {
    let rows: Vec<(NaiveDateTime, Option<String>, String, String)> = coupon_events::table
        .left_join(users::table)
        .filter(coupon_events::coupon_id.eq(id.0))
        .select((
            coupon_events::created_at,
            users::email.nullable(),
            coupon_events::action,
            coupon_events::detail,
        ))
        .order(coupon_events::id.desc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, user_email, action, detail)| Event {
            at,
            user_email,
            action,
            detail,
        })
        .collect())
}

/// Where a page of the list starts, in the list's order (newest first; by
/// code when searching).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    First,
    /// The page after the coupon with this id.
    Next(i64),
    /// The page before the coupon with this id.
    Prev(i64),
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub state: Option<CouponState>,
    /// A code prefix, matched ignoring case.
    pub prefix: Option<String>,
    pub cursor: Cursor,
    pub limit: i64,
}

/// One page of the list, and whether there are pages before and after it.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub coupons: Vec<Coupon>,
    pub has_prev: bool,
    pub has_next: bool,
}

type Backend = <Conn as diesel::Connection>::Backend;

/// The store's coupons matching the query, one page, by keyset: newest first
/// (on the id), or by code when searching by code prefix.
pub fn list(
    conn: &mut Conn,
    store: StoreId,
    q: &ListQuery,
    now: NaiveDateTime,
) -> QueryResult<ListPage> {
    let mut query: coupons::BoxedQuery<'_, Backend, _> = coupons::table
        .filter(coupons::store_id.eq(store.0))
        .select(COLUMNS)
        .into_boxed();
    query = match q.state {
        Some(CouponState::Deleted) => query.filter(coupons::deleted_at.is_not_null()),
        _ => query.filter(coupons::deleted_at.is_null()),
    };
    let started = coupons::starts_at.is_null().or(coupons::starts_at.le(now));
    let not_expired = coupons::redeem_by.is_null().or(coupons::redeem_by.gt(now));
    let not_exhausted = coupons::max_redemptions
        .is_null()
        .or(coupons::times_redeemed.lt(coupons::max_redemptions.assume_not_null()));
    query = match q.state {
        None | Some(CouponState::Deleted) => query,
        Some(CouponState::Archived) => query.filter(coupons::archived_at.is_not_null()),
        Some(live) => {
            let query = query.filter(coupons::archived_at.is_null());
            match live {
                CouponState::Scheduled => query.filter(coupons::starts_at.gt(now)),
                CouponState::Expired => query.filter(started).filter(coupons::redeem_by.le(now)),
                CouponState::Exhausted => query
                    .filter(started)
                    .filter(not_expired)
                    .filter(coupons::times_redeemed.ge(coupons::max_redemptions.assume_not_null())),
                _ => query
                    .filter(started)
                    .filter(not_expired)
                    .filter(not_exhausted),
            }
        }
    };
    if let Some(prefix) = q.prefix.as_deref().filter(|p| !p.is_empty()) {
        let low = prefix.to_uppercase();
        let high = format!("{low}\u{7f}");
        query = query
            .filter(upper(coupons::code).ge(low))
            .filter(upper(coupons::code).lt(high));
    }
    let fetch = q.limit + 1;
    let searching = q.prefix.as_deref().is_some_and(|p| !p.is_empty());
    let (mut rows, backwards): (Vec<Row>, bool) = if searching {
        // By code, so the code index gives the order and a short prefix that
        // matches most coupons still reads only one page.
        let key = match q.cursor {
            Cursor::First => None,
            Cursor::Next(id) | Cursor::Prev(id) => coupons::table
                .filter(coupons::store_id.eq(store.0))
                .filter(coupons::id.eq(id))
                .select(upper(coupons::code))
                .first::<String>(conn)
                .optional()?
                .map(|code| (code, id)),
        };
        let by_code = upper(coupons::code);
        match (q.cursor, key) {
            (Cursor::Next(_), Some((code, id))) => (
                query
                    .filter(by_code.ge(code.clone()))
                    .filter(by_code.gt(code).or(coupons::id.gt(id)))
                    .order((by_code.asc(), coupons::id.asc()))
                    .limit(fetch)
                    .load(conn)?,
                false,
            ),
            (Cursor::Prev(_), Some((code, id))) => (
                query
                    .filter(by_code.le(code.clone()))
                    .filter(by_code.lt(code).or(coupons::id.lt(id)))
                    .order((by_code.desc(), coupons::id.desc()))
                    .limit(fetch)
                    .load(conn)?,
                true,
            ),
            _ => (
                query
                    .order((by_code.asc(), coupons::id.asc()))
                    .limit(fetch)
                    .load(conn)?,
                false,
            ),
        }
    } else {
        match q.cursor {
            Cursor::First => (
                query.order(coupons::id.desc()).limit(fetch).load(conn)?,
                false,
            ),
            Cursor::Next(id) => (
                query
                    .filter(coupons::id.lt(id))
                    .order(coupons::id.desc())
                    .limit(fetch)
                    .load(conn)?,
                false,
            ),
            Cursor::Prev(id) => (
                query
                    .filter(coupons::id.gt(id))
                    .order(coupons::id.asc())
                    .limit(fetch)
                    .load(conn)?,
                true,
            ),
        }
    };
    let more = rows.len() as i64 > q.limit;
    rows.truncate(q.limit as usize);
    if backwards {
        rows.reverse();
    }
    let (has_prev, has_next) = match q.cursor {
        Cursor::First => (false, more),
        Cursor::Next(_) => (true, more),
        Cursor::Prev(_) => (more, true),
    };
    Ok(ListPage {
        coupons: to_coupons(rows)?,
        has_prev,
        has_next,
    })
}
