//! The one bounded, time-limited cache type: conversation memory, the asked-question memory behind
//! 👍/👎, the flood gate's counters and the uploaded pictures' `file_id`s all use [`Cache`]. At most
//! `capacity` keys (the least recently used go first); with a time limit, an entry not written for
//! that long is gone. Thread-safe behind one mutex; every operation is O(1).

use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lru::LruCache;

pub struct Cache<K: Hash + Eq, V> {
    /// How long an entry lives after it was last written; `None` = until evicted.
    ttl: Option<Duration>,
    entries: Mutex<LruCache<K, (V, Instant)>>,
}

impl<K: Hash + Eq, V: Clone> Cache<K, V> {
    pub fn new(capacity: usize, ttl: Option<Duration>) -> Cache<K, V> {
        Cache {
            ttl,
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).expect("at least 1"),
            )),
        }
    }

    fn live(&self, written: Instant, now: Instant) -> bool {
        self.ttl
            .is_none_or(|ttl| now.saturating_duration_since(written) <= ttl)
    }

    /// The value under `key`, if it is still live.
    pub fn get(&self, key: &K) -> Option<V> {
        self.get_at(key, Instant::now())
    }

    pub fn get_at(&self, key: &K, now: Instant) -> Option<V> {
        let mut entries = self.lock();
        match entries.get(key) {
            Some((v, at)) if self.live(*at, now) => Some(v.clone()),
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        }
    }

    pub fn insert(&self, key: K, value: V) {
        self.insert_at(key, value, Instant::now());
    }

    pub fn insert_at(&self, key: K, value: V, now: Instant) {
        self.lock().put(key, (value, now));
    }

    /// Reads and rewrites the entry under `key` in one step: `f` sees the live value (or `None`) and
    /// may change, set or clear it; a value left in the slot is stored as written `now`.
    pub fn update_at<R>(&self, key: K, now: Instant, f: impl FnOnce(&mut Option<V>) -> R) -> R {
        let mut entries = self.lock();
        let mut slot = match entries.pop(&key) {
            Some((v, at)) if self.live(at, now) => Some(v),
            _ => None,
        };
        let result = f(&mut slot);
        if let Some(v) = slot {
            entries.put(key, (v, now));
        }
        result
    }

    /// Keys held now (expired ones included until they are touched or evicted).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<K, (V, Instant)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_time_limit() {
        let c: Cache<i64, &str> = Cache::new(10, Some(Duration::from_secs(60)));
        let t0 = Instant::now();
        c.insert_at(1, "salary", t0);
        assert_eq!(c.get_at(&1, t0 + Duration::from_secs(30)), Some("salary"));
        assert_eq!(c.get_at(&1, t0 + Duration::from_secs(61)), None);
        assert_eq!(c.get_at(&2, t0), None);
    }

    #[test]
    fn the_least_recently_used_go_first() {
        let c: Cache<i64, i64> = Cache::new(3, None);
        let t0 = Instant::now();
        for k in 0..3 {
            c.insert_at(k, k, t0);
        }
        assert_eq!(c.get_at(&0, t0), Some(0)); // 0 is now the most recent
        c.insert_at(3, 3, t0);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get_at(&1, t0), None);
        assert_eq!(c.get_at(&0, t0), Some(0));
    }

    #[test]
    fn update_sees_only_live_values_and_stores_what_it_leaves() {
        let c: Cache<i64, u32> = Cache::new(3, Some(Duration::from_secs(10)));
        let t0 = Instant::now();
        c.update_at(1, t0, |v| *v = Some(v.unwrap_or(0) + 1));
        c.update_at(1, t0, |v| *v = Some(v.unwrap_or(0) + 1));
        assert_eq!(c.get_at(&1, t0), Some(2));
        let later = t0 + Duration::from_secs(11);
        assert_eq!(c.update_at(1, later, |v| v.take()), None);
        assert!(c.is_empty());
    }
}
