//! Per-conversation memory for follow-up questions: the last entry answered in each chat, for a
//! bounded time and a bounded number of chats (the least recently used are forgotten first).

use std::time::{Duration, Instant};

use crate::cache::Cache;

/// Chats remembered at most; beyond this the least recently used is forgotten.
pub const DEFAULT_CAPACITY: usize = 10_000;

pub struct Memory {
    chats: Cache<i64, String>,
}

impl Memory {
    pub fn new(ttl: Duration, capacity: usize) -> Memory {
        Memory {
            chats: Cache::new(capacity, Some(ttl)),
        }
    }

    /// The last entry answered in `chat`, if recent enough.
    pub fn last(&self, chat: i64) -> Option<String> {
        self.chats.get(&chat)
    }

    pub fn last_at(&self, chat: i64, now: Instant) -> Option<String> {
        self.chats.get_at(&chat, now)
    }

    pub fn remember(&self, chat: i64, entry: &str) {
        self.chats.insert(chat, entry.to_string());
    }

    pub fn remember_at(&self, chat: i64, entry: &str, now: Instant) {
        self.chats.insert_at(chat, entry.to_string(), now);
    }

    pub fn len(&self) -> usize {
        self.chats.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chats.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_within_ttl_only() {
        let m = Memory::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        m.remember_at(1, "salary", t0);
        assert_eq!(
            m.last_at(1, t0 + Duration::from_secs(30)).as_deref(),
            Some("salary")
        );
        assert_eq!(m.last_at(1, t0 + Duration::from_secs(61)), None);
        assert_eq!(m.last_at(2, t0), None);
    }

    #[test]
    fn memory_is_bounded() {
        let m = Memory::new(Duration::from_secs(60), 3);
        let t0 = Instant::now();
        for chat in 0..10 {
            m.remember_at(chat, "x", t0 + Duration::from_millis(chat as u64));
        }
        assert_eq!(m.len(), 3);
        assert!(m.last_at(9, t0).is_some());
        assert!(m.last_at(0, t0).is_none());
    }
}
