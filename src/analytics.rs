//! Counting for analytics (SPEC 12), kept out of every redemption's
//! transaction: the use cases add to this process's `Tally` (a mutex-held
//! map, no database work), and a thread adds the sums to the per-day
//! tables every quarter second in one short transaction of its own
//! (`db::analytics::add`). Counting therefore never takes a lock on a
//! coupon row nor lengthens a redemption; what a process counted in its
//! last quarter second is lost if it is killed (it is flushed on a normal
//! stop), while the orders themselves are exact.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::db::Pool;
use crate::domain::analytics::CodeKey;
use crate::domain::ids::StoreId;

/// How often counts are written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// The counts of one code on one day (amounts in `currency`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub opens: i64,
    pub applied: i64,
    pub redeemed: i64,
    pub rolled_back: i64,
    pub discount: i64,
    pub revenue: i64,
}

impl Counts {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Counts) {
        self.opens += other.opens;
        self.applied += other.applied;
        self.redeemed += other.redeemed;
        self.rolled_back += other.rolled_back;
        self.discount += other.discount;
        self.revenue += other.revenue;
    }
}

/// Where counts go: store, code, day of the store, currency ("" when no
/// money is involved).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slot {
    pub store: StoreId,
    pub code: CodeKey,
    pub day: i64,
    pub currency: String,
}

/// A refused code: store, code (zeros when it matched none), day, reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefusalSlot {
    pub store: StoreId,
    pub code: CodeKey,
    pub day: i64,
    pub reason: &'static str,
}

#[derive(Debug, Default)]
pub struct Pending {
    pub codes: HashMap<Slot, Counts>,
    pub refusals: HashMap<RefusalSlot, i64>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.refusals.is_empty()
    }
}

/// This process's counts not yet written.
#[derive(Debug, Default)]
pub struct Tally {
    pending: Mutex<Pending>,
    /// Counting turned off (`ANALYTICS=0`, to measure what it costs).
    off: bool,
}

impl Tally {
    pub fn new() -> Arc<Tally> {
        Arc::new(Tally::default())
    }

    /// A tally that counts nothing.
    pub fn off() -> Arc<Tally> {
        Arc::new(Tally {
            off: true,
            ..Tally::default()
        })
    }

    /// Adds to a code's counts.
    pub fn add(&self, slot: Slot, f: impl FnOnce(&mut Counts)) {
        if self.off {
            return;
        }
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        f(pending.codes.entry(slot).or_default());
    }

    pub fn refused(&self, slot: RefusalSlot) {
        if self.off {
            return;
        }
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        *pending.refusals.entry(slot).or_default() += 1;
    }

    fn take(&self) -> Pending {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut *pending)
    }

    /// Puts back counts that could not be written, for the next flush.
    fn restore(&self, failed: Pending) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        for (slot, c) in failed.codes {
            pending.codes.entry(slot).or_default().add(&c);
        }
        for (slot, n) in failed.refusals {
            *pending.refusals.entry(slot).or_default() += n;
        }
    }

    /// Writes what was counted; on failure keeps it for the next try.
    pub fn flush(&self, pool: &Pool) {
        if let Err(e) = self.try_flush(pool) {
            tracing::warn!(error = %e, "analytics: counts not written yet");
        }
    }

    /// `flush`, saying why the counts could not be written (they are kept
    /// for the next try).
    pub fn try_flush(&self, pool: &Pool) -> Result<(), String> {
        let pending = self.take();
        if pending.is_empty() {
            return Ok(());
        }
        let written = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
            crate::db::analytics::add(&mut conn, &pending).map_err(|e| e.to_string())
        });
        if written.is_err() {
            self.restore(pending);
        }
        written
    }
}

/// Starts the thread that writes `tally` every `FLUSH_EVERY`, until the
/// tally is dropped.
pub fn spawn_flusher(tally: &Arc<Tally>, pool: Pool) -> std::io::Result<()> {
    let weak = Arc::downgrade(tally);
    std::thread::Builder::new()
        .name("promodesk-analytics".into())
        .spawn(move || {
            loop {
                std::thread::sleep(FLUSH_EVERY);
                let Some(tally) = weak.upgrade() else { break };
                tally.flush(&pool);
            }
        })
        .map(|_| ())
}
