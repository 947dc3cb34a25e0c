//! Coupon set writes. Generation itself is in `generate`; these open a run
//! (the set says "generating") or end a set's codes.

use crate::db::FirstRow;
use crate::db::jobs;
use crate::db::webhooks::Subject;
use crate::domain::status::{JobKind, SetCodeState, SetStatus};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::generate::Run;
use super::{SetRow, find};
use crate::db::codes::lock_store;
use crate::db::schema::{coupon_sets, set_codes};
use crate::db::{Conn, DbError, now};
use crate::domain::coupon_set::{EndedCodes, SetDraft, fits};
use crate::domain::ids::{CouponId, CouponSetId, StoreId};

#[derive(Debug, thiserror::Error)]
pub enum SetWriteError {
    #[error("another set has this name")]
    NameTaken,
    #[error("the coupon is deleted, archived or not in this store")]
    CouponGone,
    #[error("the code space cannot hold that many more codes")]
    NoRoom,
    #[error("the set is still generating")]
    Busy,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Every set code of the store: the space new codes must avoid.
fn store_set_codes(conn: &mut Conn, store: StoreId) -> QueryResult<i64> {
    let totals: Vec<i64> = coupon_sets::table
        .filter(coupon_sets::store_id.eq(store))
        .select(coupon_sets::total_codes)
        .load(conn)?;
    Ok(totals.into_iter().sum())
}

/// Who runs a new generation job: `Some((holder, lease end))` when the
/// caller runs it at once (it starts out claimed by that process), `None`
/// for any process's worker.
pub type Holder<'a> = Option<(&'a str, NaiveDateTime)>;

/// Creates a set and queues its first run as a job in the same transaction.
pub fn create(
    conn: &mut Conn,
    store: StoreId,
    draft: &SetDraft,
    holder: Holder<'_>,
) -> Result<Run, SetWriteError> {
    crate::db::write_transaction(conn, |conn| {
        lock_store(conn, store)?;
        let coupon = match crate::db::coupons::find_live(conn, store, CouponId(draft.coupon_id)) {
            Ok(coupon) if coupon.archived_at.is_none() => coupon,
            Ok(_) | Err(DbError::NotFound) => return Err(SetWriteError::CouponGone),
            Err(e) => return Err(e.into()),
        };
        let taken: i64 = coupon_sets::table
            .filter(coupon_sets::store_id.eq(store))
            .filter(coupon_sets::name.eq(&draft.name))
            .filter(coupon_sets::deleted_at.is_null())
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(SetWriteError::NameTaken);
        }
        if !fits(
            store_set_codes(conn, store)? as u64,
            draft.count,
            draft.code_length,
        ) {
            return Err(SetWriteError::NoRoom);
        }
        diesel::insert_into(coupon_sets::table)
            .values((
                coupon_sets::store_id.eq(store),
                coupon_sets::coupon_id.eq(coupon.id),
                coupon_sets::name.eq(&draft.name),
                coupon_sets::prefix.eq(&draft.prefix),
                coupon_sets::code_length.eq(i64::from(draft.code_length)),
                coupon_sets::status.eq(SetStatus::Generating.as_str()),
                coupon_sets::generation.eq(1),
                coupon_sets::requested.eq(draft.count as i64),
                coupon_sets::generated.eq(0),
                coupon_sets::created_at.eq(now()),
            ))
            .execute(conn)
            .map_err(|e| {
                if crate::db::is_unique_violation(&e) {
                    SetWriteError::NameTaken
                } else {
                    SetWriteError::Db(e)
                }
            })?;
        let id = CouponSetId(crate::db::last_insert_id(conn)?);
        let job = jobs::enqueue(conn, JobKind::GenerateCodes, store, id.0, holder)?;
        crate::db::webhooks::record(conn, store, "coupon_set.created", Subject::CouponSet(id.0))?;
        Ok(Run {
            store,
            set: id,
            job,
            count: draft.count,
        })
    })
}

/// Opens a run that adds `count` codes to a ready (or failed) set, queued as
/// a job in the same transaction.
pub fn add_codes(
    conn: &mut Conn,
    store: StoreId,
    id: CouponSetId,
    count: u64,
    holder: Holder<'_>,
) -> Result<Run, SetWriteError> {
    crate::db::write_transaction(conn, |conn| {
        lock_store(conn, store)?;
        let set: SetRow = find(conn, store, id)?;
        if set.generating() {
            return Err(SetWriteError::Busy);
        }
        let length = set.code_length as u32;
        if !fits(store_set_codes(conn, store)? as u64, count, length) {
            return Err(SetWriteError::NoRoom);
        }
        let generation = set.generation + 1;
        diesel::update(coupon_sets::table.find(id))
            .set((
                coupon_sets::status.eq(SetStatus::Generating.as_str()),
                coupon_sets::generation.eq(generation),
                coupon_sets::requested.eq(count as i64),
                coupon_sets::generated.eq(0),
                coupon_sets::error.eq(None::<String>),
            ))
            .execute(conn)?;
        let job = jobs::enqueue(conn, JobKind::GenerateCodes, store, id.0, holder)?;
        Ok(Run {
            store,
            set: id,
            job,
            count,
        })
    })
}

/// Ends a set's codes: unused ones are deleted, used ones archived; the
/// counters follow.
/// Ends a set's codes; returns how many unused codes were deleted and how
/// many used ones archived.
fn end_codes(conn: &mut Conn, set: CouponSetId) -> QueryResult<(i64, i64)> {
    let deleted = diesel::delete(
        set_codes::table
            .filter(set_codes::set_id.eq(set))
            .filter(set_codes::state.eq(SetCodeState::Unused.as_str())),
    )
    .execute(conn)? as i64;
    let archived = diesel::update(
        set_codes::table
            .filter(set_codes::set_id.eq(set))
            .filter(set_codes::state.eq(SetCodeState::Used.as_str())),
    )
    .set(set_codes::state.eq(SetCodeState::Archived.as_str()))
    .execute(conn)? as i64;
    diesel::update(coupon_sets::table.find(set))
        .set((
            coupon_sets::total_codes.eq(coupon_sets::total_codes - deleted),
            coupon_sets::used_codes.eq(coupon_sets::used_codes - archived),
            coupon_sets::archived_codes.eq(coupon_sets::archived_codes + archived),
        ))
        .execute(conn)?;
    Ok((deleted, archived))
}

/// Stops the generations of `sets`, in the caller's transaction and before
/// their codes are ended: the jobs are cancelled (on PostgreSQL this waits
/// for a batch in progress, so the codes it commits are ended too; a batch
/// after it finds its job cancelled and writes nothing), and a set still
/// generating says why it stopped.
fn stop_generation(conn: &mut Conn, sets: &[i64], why: &str) -> QueryResult<()> {
    jobs::cancel(conn, JobKind::GenerateCodes, sets)?;
    diesel::update(
        coupon_sets::table
            .filter(coupon_sets::id.eq_any(sets))
            .filter(coupon_sets::status.eq(SetStatus::Generating.as_str())),
    )
    .set((
        coupon_sets::status.eq(SetStatus::Ready.as_str()),
        coupon_sets::error.eq(Some(why)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Deletes a set: its generation stops, its unused codes go, its used codes
/// are archived.
pub fn delete(conn: &mut Conn, store: StoreId, id: CouponSetId) -> Result<(), SetWriteError> {
    crate::db::write_transaction(conn, |conn| {
        find(conn, store, id)?;
        stop_generation(conn, &[id.0], "Generation stopped: the set was deleted.")?;
        end_codes(conn, id)?;
        crate::db::webhooks::record(conn, store, "coupon_set.deleted", Subject::CouponSet(id.0))?;
        diesel::update(coupon_sets::table.find(id))
            .set(coupon_sets::deleted_at.eq(Some(now())))
            .execute(conn)?;
        Ok(())
    })
}

/// Archiving or deleting a coupon ends the codes of its sets (SPEC 3), and
/// stops their generations first (`why` says which). Call inside the
/// coupon's write transaction.
pub fn archive_codes_of_coupon(
    conn: &mut Conn,
    coupon: CouponId,
    why: &str,
) -> QueryResult<EndedCodes> {
    let sets: Vec<i64> = coupon_sets::table
        .filter(coupon_sets::coupon_id.eq(coupon))
        .select(coupon_sets::id)
        .load(conn)?;
    stop_generation(conn, &sets, why)?;
    let mut ended = EndedCodes::default();
    for set in sets {
        let (unused, used) = end_codes(conn, CouponSetId(set))?;
        ended.add(unused, used);
    }
    Ok(ended)
}

/// A code read from an imported file: its line, text and normal form.
pub struct ImportCode {
    pub line: usize,
    pub text: String,
    pub normal: String,
}

/// What an import did: codes added, and each refused line with the reason.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub added: usize,
    pub refused: Vec<(usize, String, String)>,
}

/// The highest set code id so far (0 when there is none): taken before a
/// file's first batch, it tells the file's own codes from older ones.
pub fn last_code_id(conn: &mut Conn) -> QueryResult<i64> {
    set_codes::table
        .select(diesel::dsl::max(set_codes::id))
        .first_row::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// Imports one batch of codes into a set in one transaction (the caller
/// sends a large file in batches, so the writer lock is never held long):
/// duplicates (in the batch, in
/// any set, or held by a coupon or promotion code) are refused line by line,
/// the rest are added. Codes of this set with an id above `file_start` (see
/// `last_code_id`) came from earlier batches of the same file, and are
/// refused as duplicates of an earlier line.
pub fn import(
    conn: &mut Conn,
    store: StoreId,
    id: CouponSetId,
    codes: Vec<ImportCode>,
    file_start: i64,
) -> Result<ImportReport, SetWriteError> {
    crate::db::write_transaction(conn, |conn| {
        lock_store(conn, store)?;
        let set: SetRow = find(conn, store, id)?;
        if set.generating() {
            return Err(SetWriteError::Busy);
        }
        let mut report = ImportReport::default();
        let mut seen = std::collections::HashSet::new();
        let mut fresh = Vec::new();
        for code in codes {
            if seen.insert(code.normal.clone()) {
                fresh.push(code);
            } else {
                report
                    .refused
                    .push((code.line, code.text, "duplicate of an earlier line".into()));
            }
        }
        let mut rows = Vec::with_capacity(fresh.len());
        for chunk in fresh.chunks(1_000) {
            let normals: Vec<String> = chunk.iter().map(|c| c.normal.clone()).collect();
            let in_sets: std::collections::HashMap<String, (i64, i64)> = set_codes::table
                .filter(set_codes::store_id.eq(store))
                .filter(set_codes::normal.eq_any(&normals))
                .select((set_codes::normal, (set_codes::id, set_codes::set_id)))
                .load::<(String, (i64, i64))>(conn)?
                .into_iter()
                .collect();
            let elsewhere = super::generate::held_elsewhere(conn, store, &normals)?;
            for code in chunk {
                if let Some(&(code_id, set_id)) = in_sets.get(&code.normal) {
                    let reason = if set_id == id.0 && code_id > file_start {
                        "duplicate of an earlier line"
                    } else {
                        "already a code of a coupon set"
                    };
                    report
                        .refused
                        .push((code.line, code.text.clone(), reason.into()));
                } else if elsewhere.contains(&code.normal) {
                    report.refused.push((
                        code.line,
                        code.text.clone(),
                        "already a coupon or promotion code".into(),
                    ));
                } else {
                    rows.push((code.text.clone(), code.normal.clone()));
                }
            }
        }
        // In index order, in one go.
        rows.sort_unstable_by(|a: &(String, String), b| a.1.cmp(&b.1));
        report.added = super::bulk::add(conn, store, id, set.generation, &rows)?;
        diesel::update(coupon_sets::table.find(id))
            .set(coupon_sets::total_codes.eq(coupon_sets::total_codes + report.added as i64))
            .execute(conn)?;
        report.refused.sort_by_key(|r| r.0);
        Ok(report)
    })
}
