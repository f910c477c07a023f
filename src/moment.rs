//! A cache for what the public reads most and what changes often: a viral
//! petition's count. An entry is trusted for a moment, and not at all once this
//! process changed anything it may show; another server's changes show within
//! that moment.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Entries kept at most; past this the cache starts afresh.
const MAX_ENTRIES: usize = 1024;

/// Values by key, each trusted for `ttl` while `changes` stays where it was.
#[derive(Debug)]
pub struct MomentCache<T> {
    ttl: Duration,
    changes: &'static AtomicU64,
    entries: Mutex<HashMap<String, (T, Instant, u64)>>,
}

impl<T: Clone> MomentCache<T> {
    /// `changes` is the count this process bumps after each change to what the
    /// cache holds.
    pub fn new(ttl: Duration, changes: &'static AtomicU64) -> Self {
        Self {
            ttl,
            changes,
            entries: Mutex::default(),
        }
    }

    pub fn get(&self, key: &str) -> Option<T> {
        let now = self.changes.load(Ordering::Acquire);
        let entries = self.entries.lock().ok()?;
        let (value, at, seen) = entries.get(key)?;
        (*seen == now && at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// The count of changes to pass to [`MomentCache::put`]: read it before reading
    /// the value, so a change made meanwhile is never hidden.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// How many entries are held, current or not.
    pub fn held(&self) -> usize {
        self.entries.lock().map_or(0, |entries| entries.len())
    }

    pub fn put(&self, key: String, value: T, changes_before: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(key, (value, Instant::now(), changes_before));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static CHANGES: AtomicU64 = AtomicU64::new(0);

    #[test]
    fn an_entry_is_dropped_by_a_local_change_or_by_time() {
        let cache = MomentCache::new(Duration::from_millis(50), &CHANGES);
        let before = cache.changes();
        cache.put("a".into(), 1, before);
        assert_eq!(cache.get("a"), Some(1));
        CHANGES.fetch_add(1, Ordering::Release);
        assert_eq!(cache.get("a"), None, "a local change");
        cache.put("a".into(), 2, cache.changes());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("a"), None, "too old");
    }
}
