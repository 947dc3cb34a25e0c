//! Coupon set use cases: open a set, add codes, delete (SPEC section 5).
//! Opening and adding queue the generation as a job in the same transaction
//! (SPEC section 11) and return its `Run`; `start` runs a small one at once
//! under this process's lease and wakes the worker for a large one, which
//! any server process may then run (`generate`). CSV imports stream a
//! temporary file and live in `web::coupon_sets::import` for now.

use crate::app::jobs::Jobs;
use crate::db::coupon_sets::generate::{Ended, Run};
use crate::db::coupon_sets::{Holder, SetWriteError};
use crate::db::jobs::Lease;
use crate::db::stores::Store;
use crate::db::{self, Conn, DbError};
use crate::domain::coupon_set::{self, SetInput};
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::{CouponId, CouponSetId};

/// Why a set was not written.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// Field → message, for the form or the API's `errors`.
    #[error("the coupon set is invalid")]
    Invalid(FormErrors),
    #[error("no such coupon set")]
    NotFound,
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for SetError {
    fn from(e: DbError) -> SetError {
        match e {
            DbError::NotFound => SetError::NotFound,
            e => SetError::Db(e),
        }
    }
}

/// A write refusal, as a message beside its field.
fn refused(e: SetWriteError) -> SetError {
    let (field, message) = match e {
        SetWriteError::NameTaken => ("name", "Another set of this store has this name."),
        SetWriteError::CouponGone => (
            "coupon_id",
            "Choose a coupon of this store that is not deleted or archived.",
        ),
        SetWriteError::NoRoom => (
            "count",
            "That many codes do not fit in the code space of this length: use longer codes.",
        ),
        SetWriteError::Busy => (
            "count",
            "The set is still generating codes: wait until it is done.",
        ),
        SetWriteError::Db(e) => return e.into(),
    };
    let mut errors = FormErrors::default();
    errors.add(field, message);
    SetError::Invalid(errors)
}

/// Who runs a generation of `count` codes: this process at once for a small
/// one, any worker for a large one.
fn holder(jobs: &Jobs, count: u64) -> Holder<'_> {
    (count <= INLINE_MAX).then(|| (jobs.holder(), jobs.lease_end()))
}

/// Opens a set from the form; returns the generation to start.
pub fn create(
    conn: &mut Conn,
    jobs: &Jobs,
    store: &Store,
    input: &SetInput,
) -> Result<Run, SetError> {
    let coupon_ok = match input.coupon_id.trim().parse::<i64>() {
        Ok(id) => match db::coupons::find_live(conn, store.id(), CouponId(id)) {
            Ok(c) => c.archived_at.is_none(),
            Err(DbError::NotFound) => false,
            Err(e) => return Err(SetError::Db(e)),
        },
        Err(_) => false,
    };
    let draft = coupon_set::check(input, coupon_ok).map_err(SetError::Invalid)?;
    db::coupon_sets::create(conn, store.id(), &draft, holder(jobs, draft.count)).map_err(refused)
}

/// Adds `raw_count` codes to set `id`; returns the generation to start.
pub fn add_codes(
    conn: &mut Conn,
    jobs: &Jobs,
    store: &Store,
    id: CouponSetId,
    raw_count: &str,
) -> Result<Run, SetError> {
    let count = coupon_set::parse_count(raw_count).map_err(|message| {
        let mut errors = FormErrors::default();
        errors.add("count", message);
        SetError::Invalid(errors)
    })?;
    db::coupon_sets::add_codes(conn, store.id(), id, count, holder(jobs, count)).map_err(refused)
}

/// Deletes set `id`: its generation stops, its unused codes go, its used
/// codes are archived.
pub fn delete(conn: &mut Conn, store: &Store, id: CouponSetId) -> Result<(), SetError> {
    db::coupon_sets::delete(conn, store.id(), id).map_err(refused)
}

/// Codes generated while the request waits; larger runs are left to the
/// workers (the API answers 202 and the set shows its progress).
pub const INLINE_MAX: u64 = 20_000;

/// Runs a small generation now, under the lease it was queued with
/// (`true`: done), or wakes this process's worker for a large one
/// (`false`: generating). A small run this process cannot finish (it
/// stopped, or the lease was lost) is left to the workers too.
pub fn start(conn: &mut Conn, jobs: &Jobs, run: Run) -> Result<bool, DbError> {
    if run.count <= INLINE_MAX {
        let ended = generate(conn, &jobs.lease(run.job), run.set, &|| false)?;
        Ok(ended == Ended::Finished || matches!(ended, Ended::Failed(_)))
    } else {
        jobs.wake();
        Ok(false)
    }
}

/// The `generate_codes` job: runs or resumes the generation of `set` under
/// `lease`, batch by batch, asking `stop` between batches.
pub fn generate(
    conn: &mut Conn,
    lease: &Lease,
    set: CouponSetId,
    stop: &dyn Fn() -> bool,
) -> Result<Ended, DbError> {
    db::coupon_sets::generate::run(conn, lease, set, stop)
}

/// Ends a generation job that kept failing: its run is undone and the set
/// says why.
pub fn give_up(conn: &mut Conn, lease: &Lease, set: CouponSetId, why: &str) -> Result<(), DbError> {
    db::coupon_sets::generate::give_up(conn, lease, set, why)
}

/// The most codes one API import takes.
pub const IMPORT_MAX: usize = 10_000;

/// Imports `codes` (one per entry, as a CSV line's first cell) into set
/// `id`: each refused one is reported with its position (from 1) and why.
pub fn import_codes(
    conn: &mut Conn,
    store: &Store,
    id: CouponSetId,
    codes: &[String],
) -> Result<crate::db::coupon_sets::ImportReport, SetError> {
    use crate::db::coupon_sets::ImportCode;
    use crate::domain::coupon_set::{ImportLine, import_line};
    if codes.is_empty() || codes.len() > IMPORT_MAX {
        let mut errors = FormErrors::default();
        errors.add(
            "codes",
            format!("Send from 1 to {IMPORT_MAX} codes per request."),
        );
        return Err(SetError::Invalid(errors));
    }
    let start = db::coupon_sets::last_code_id(conn)?;
    let mut refused_lines = Vec::new();
    let mut list = Vec::new();
    for (i, raw) in codes.iter().enumerate() {
        match import_line(raw, false) {
            ImportLine::Code { text, normal } => list.push(ImportCode {
                line: i + 1,
                text,
                normal,
            }),
            ImportLine::Skip => refused_lines.push((i + 1, raw.clone(), "empty".to_string())),
            ImportLine::Refused(reason) => {
                refused_lines.push((i + 1, raw.clone(), reason.to_string()))
            }
        }
    }
    let mut report = db::coupon_sets::import(conn, store.id(), id, list, start).map_err(refused)?;
    report.refused.extend(refused_lines);
    report.refused.sort_by_key(|r| r.0);
    Ok(report)
}

/// The store's sets.
pub fn list(
    conn: &mut Conn,
    store: &Store,
) -> Result<Vec<crate::db::coupon_sets::SetRow>, DbError> {
    db::coupon_sets::list(conn, store.id())
}

/// The store's sets with their coupons' codes and uses left, for the list.
pub fn list_labelled(
    conn: &mut Conn,
    store: &Store,
) -> Result<Vec<crate::db::coupon_sets::LabelledSet>, DbError> {
    db::coupon_sets::list_labelled(conn, store.id())
}

/// Set `id` of the store.
pub fn find(
    conn: &mut Conn,
    store: &Store,
    id: CouponSetId,
) -> Result<crate::db::coupon_sets::SetRow, SetError> {
    Ok(db::coupon_sets::find(conn, store.id(), id)?)
}

/// One page of a set's codes; `state` narrows to `unused`, `used` or
/// `archived`.
pub fn codes(
    conn: &mut Conn,
    store: &Store,
    id: CouponSetId,
    state: Option<&str>,
    cursor: crate::db::paging::Cursor,
    limit: i64,
) -> Result<crate::db::paging::Page<crate::db::coupon_sets::CodeRow>, SetError> {
    find(conn, store, id)?;
    Ok(db::coupon_sets::codes(
        conn,
        store.id(),
        id,
        None,
        state,
        cursor,
        limit,
    )?)
}

/// The code of set `id` whose normal form is `normal`, if the set has it.
/// Set code `id` of the store: its set's id and its text.
pub fn code_by_id(
    conn: &mut Conn,
    store: &Store,
    id: i64,
) -> Result<Option<(i64, String)>, DbError> {
    db::coupon_sets::code_by_id(conn, store.id(), id)
}

pub fn code(
    conn: &mut Conn,
    store: &Store,
    id: CouponSetId,
    normal: &str,
) -> Result<Option<crate::db::coupon_sets::CodeRow>, SetError> {
    find(conn, store, id)?;
    Ok(db::coupon_sets::code_by_normal(
        conn,
        store.id(),
        id,
        normal,
    )?)
}

/// Up to `limit` codes of set `id` after code id `after`, for the CSV export.
pub fn export_chunk(
    conn: &mut Conn,
    id: CouponSetId,
    after: i64,
    limit: i64,
) -> Result<Vec<crate::db::coupon_sets::CodeRow>, DbError> {
    db::coupon_sets::export_chunk(conn, id, after, limit)
}

/// The highest set code id so far: taken before a file's first batch, it
/// tells the file's own codes from older ones.
pub fn import_start(conn: &mut Conn) -> Result<i64, DbError> {
    db::coupon_sets::last_code_id(conn)
}

/// Imports one batch of a CSV file into set `id` (see
/// `db::coupon_sets::import`).
pub fn import_batch(
    conn: &mut Conn,
    store: &Store,
    id: CouponSetId,
    codes: Vec<crate::db::coupon_sets::ImportCode>,
    file_start: i64,
) -> Result<crate::db::coupon_sets::ImportReport, crate::db::coupon_sets::SetWriteError> {
    db::coupon_sets::import(conn, store.id(), id, codes, file_start)
}

/// A set's page: the set, its coupon and a page of its codes matching
/// `prefix`.
pub fn page(
    conn: &mut Conn,
    store: &Store,
    id: CouponSetId,
    prefix: Option<&str>,
    cursor: crate::db::paging::Cursor,
    limit: i64,
) -> Result<
    (
        crate::db::coupon_sets::SetRow,
        crate::db::coupons::Coupon,
        crate::db::paging::Page<crate::db::coupon_sets::CodeRow>,
    ),
    DbError,
> {
    let set = db::coupon_sets::find(conn, store.id(), id)?;
    let coupon = db::coupons::find(conn, store.id(), CouponId(set.coupon_id))?;
    let codes = db::coupon_sets::codes(conn, store.id(), id, prefix, None, cursor, limit)?;
    Ok((set, coupon, codes))
}
