//! Counting events per key in a sliding window, with the time passed in:
//! the guess limit on unknown codes and the cap on stored refused checkouts
//! (SPEC section 12). The caller holds it behind a lock.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// At most `limit` events per key in any `window`.
#[derive(Debug)]
pub struct Window<K> {
    limit: usize,
    window: Duration,
    events: HashMap<K, VecDeque<Instant>>,
    /// When stale keys were last swept out.
    swept: Option<Instant>,
}

impl<K: Eq + Hash + Clone> Window<K> {
    pub fn new(limit: usize, window: Duration) -> Window<K> {
        Window {
            limit,
            window,
            events: HashMap::new(),
            swept: None,
        }
    }

    /// Has `key` reached the limit at `now`? `Some(wait)` says how long
    /// until its oldest counted event leaves the window.
    pub fn blocked(&mut self, key: &K, now: Instant) -> Option<Duration> {
        let window = self.window;
        let times = self.events.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() < self.limit {
            return None;
        }
        times
            .front()
            .map(|oldest| window.saturating_sub(now.saturating_duration_since(*oldest)))
    }

    /// Counts one event for `key` at `now`, unless the key is at the limit
    /// already; says whether it was counted.
    pub fn record(&mut self, key: K, now: Instant) -> bool {
        self.sweep(now);
        if self.blocked(&key, now).is_some() {
            return false;
        }
        let times = self.events.entry(key).or_default();
        times.push_back(now);
        true
    }

    /// Drops keys whose events have all left the window, at most once per
    /// window, so memory follows the clients seen lately.
    fn sweep(&mut self, now: Instant) {
        if self
            .swept
            .is_some_and(|t| now.saturating_duration_since(t) < self.window)
        {
            return;
        }
        let window = self.window;
        self.events.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.saturating_duration_since(*t) < window)
        });
        self.swept = Some(now);
    }

    /// How many keys are tracked (for tests).
    pub fn keys(&self) -> usize {
        self.events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_oldest_leaves_the_window() {
        let start = Instant::now();
        let minute = Duration::from_secs(60);
        let mut w = Window::new(3, 10 * minute);
        for i in 0..3 {
            assert_eq!(w.blocked(&"a", start + i * minute), None);
            assert!(w.record("a", start + i * minute));
        }
        assert_eq!(w.blocked(&"a", start + 3 * minute), Some(7 * minute));
        assert!(
            !w.record("a", start + 3 * minute),
            "not counted past the limit"
        );
        // Another key is not affected.
        assert_eq!(w.blocked(&"b", start + 3 * minute), None);
        // Ten minutes after the first event, one slot is free again.
        assert_eq!(w.blocked(&"a", start + 10 * minute), None);
        assert!(w.record("a", start + 10 * minute));
        assert!(w.blocked(&"a", start + 10 * minute).is_some());
    }

    #[test]
    fn quiet_keys_are_forgotten() {
        let start = Instant::now();
        let window = Duration::from_secs(60);
        let mut w = Window::new(5, window);
        for key in 0..1000 {
            w.record(key, start);
        }
        assert_eq!(w.keys(), 1000);
        w.record(5000, start + 2 * window);
        assert_eq!(w.keys(), 1);
    }
}
