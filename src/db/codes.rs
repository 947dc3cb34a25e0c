//! The store's code namespace, shared by coupons, promotion codes (and set
//! codes later): who holds a text, and a per-store lock so that two writers
//! cannot both see a text as free.

use crate::db::FirstRow;
use crate::domain::status::SetCodeState;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{coupons, promotion_codes, set_codes};
use super::{Conn, upper};
use crate::domain::ids::{PromotionCodeId, StoreId};

/// Serialises writes to the store's codes. SQLite write transactions are
/// `BEGIN IMMEDIATE` already; PostgreSQL locks the store's row with `FOR NO
/// KEY UPDATE`, which two code writers cannot both hold but which does not
/// block the `FOR KEY SHARE` lock that every insert referencing the store
/// (orders, customers) takes: checkouts go on while a CSV import or a set
/// generation holds the lock (`FOR UPDATE` made each wait for a whole batch).
pub fn lock_store(conn: &mut Conn, store: StoreId) -> QueryResult<()> {
    if let Conn::Postgres(c) = conn {
        diesel::sql_query(format!(
            "SELECT id FROM stores WHERE id = {} FOR NO KEY UPDATE",
            store.0
        ))
        .execute(c)?;
    }
    Ok(())
}

/// Who already holds a code's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clash {
    /// A coupon's code, equal ignoring case.
    Coupon(String),
    /// A live promotion code with the same normal form.
    Promotion(String),
    /// An unused code of a coupon set.
    SetCode(String),
}

/// An unused set code with this normal form.
fn set_code_holding(conn: &mut Conn, store: StoreId, normal: &str) -> QueryResult<Option<String>> {
    set_codes::table
        .filter(set_codes::store_id.eq(store))
        .filter(set_codes::normal.eq(normal))
        .filter(set_codes::state.eq(SetCodeState::Unused.as_str()))
        .select(set_codes::code)
        .first_row(conn)
        .optional()
}

/// Is a live coupon's code equal, ignoring case, to this normal form?
pub fn coupon_holding(
    conn: &mut Conn,
    store: StoreId,
    normal: &str,
) -> QueryResult<Option<String>> {
    coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::deleted_at.is_null())
        .filter(upper(coupons::code).eq(normal))
        .select(coupons::code)
        .first_row(conn)
        .optional()
}

/// The live promotion codes with this normal form (active flag on, not
/// deleted, expired or exhausted, coupon not deleted): (code, restricted).
fn live_promotions(
    conn: &mut Conn,
    store: StoreId,
    normal: &str,
    except: Option<PromotionCodeId>,
    now: NaiveDateTime,
) -> QueryResult<Vec<(String, bool)>> {
    let rows: Vec<(i64, String, Option<String>)> = promotion_codes::table
        .inner_join(coupons::table)
        .filter(promotion_codes::store_id.eq(store))
        .filter(promotion_codes::normal.eq(normal))
        .filter(promotion_codes::deleted_at.is_null())
        .filter(promotion_codes::active.eq(true))
        .filter(
            promotion_codes::expires_at
                .is_null()
                .or(promotion_codes::expires_at.gt(now)),
        )
        .filter(promotion_codes::max_redemptions.is_null().or(
            promotion_codes::times_redeemed.lt(promotion_codes::max_redemptions.assume_not_null()),
        ))
        .filter(coupons::deleted_at.is_null())
        .select((
            promotion_codes::id,
            promotion_codes::code,
            promotion_codes::customer_email,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(id, _, _)| Some(PromotionCodeId(*id)) != except)
        .map(|(_, code, customer)| (code, customer.is_some()))
        .collect())
}

/// May a promotion code take this text? An unrestricted code needs it free
/// of every live promotion code; a customer-restricted one may share it with
/// other restricted codes. Neither may equal a coupon's code.
pub fn promotion_clash(
    conn: &mut Conn,
    store: StoreId,
    normal: &str,
    restricted: bool,
    except: Option<PromotionCodeId>,
    now: NaiveDateTime,
) -> QueryResult<Option<Clash>> {
    if let Some(code) = coupon_holding(conn, store, normal)? {
        return Ok(Some(Clash::Coupon(code)));
    }
    if let Some(code) = set_code_holding(conn, store, normal)? {
        return Ok(Some(Clash::SetCode(code)));
    }
    let live = live_promotions(conn, store, normal, except, now)?;
    Ok(live
        .into_iter()
        .find(|(_, other_restricted)| !restricted || !other_restricted)
        .map(|(code, _)| Clash::Promotion(code)))
}

/// Does a live promotion code or an unused set code hold this coupon code's
/// text (ignoring case)?
pub fn coupon_clash(
    conn: &mut Conn,
    store: StoreId,
    code: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let normal = code.to_uppercase();
    if let Some(code) = set_code_holding(conn, store, &normal)? {
        return Ok(Some(code));
    }
    Ok(live_promotions(conn, store, &normal, None, now)?
        .into_iter()
        .next()
        .map(|(code, _)| code))
}
