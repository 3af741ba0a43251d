//! Per-conversation memory for follow-up questions: the last entry answered in each chat, for a
//! bounded time and a bounded number of chats (the oldest are forgotten first).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Chats remembered at most; beyond this the least recently used is forgotten.
pub const DEFAULT_CAPACITY: usize = 10_000;

pub struct Memory {
    ttl: Duration,
    capacity: usize,
    chats: Mutex<HashMap<i64, (String, Instant)>>,
}

impl Memory {
    pub fn new(ttl: Duration, capacity: usize) -> Memory {
        Memory {
            ttl,
            capacity: capacity.max(1),
            chats: Mutex::new(HashMap::new()),
        }
    }

    /// The last entry answered in `chat`, if recent enough.
    pub fn last(&self, chat: i64) -> Option<String> {
        self.last_at(chat, Instant::now())
    }

    pub fn last_at(&self, chat: i64, now: Instant) -> Option<String> {
        let chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        chats
            .get(&chat)
            .filter(|(_, at)| now.saturating_duration_since(*at) <= self.ttl)
            .map(|(id, _)| id.clone())
    }

    pub fn remember(&self, chat: i64, entry: &str) {
        self.remember_at(chat, entry, Instant::now());
    }

    pub fn remember_at(&self, chat: i64, entry: &str, now: Instant) {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        if chats.len() >= self.capacity && !chats.contains_key(&chat) {
            chats.retain(|_, (_, at)| now.saturating_duration_since(*at) <= self.ttl);
            if chats.len() >= self.capacity {
                if let Some(oldest) = chats.iter().min_by_key(|(_, (_, at))| *at).map(|(k, _)| *k) {
                    chats.remove(&oldest);
                }
            }
        }
        chats.insert(chat, (entry.to_string(), now));
    }

    pub fn len(&self) -> usize {
        self.chats.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
