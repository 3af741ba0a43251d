//! Flood control (pure): at most `limit` messages per user in any `window` (a minute in production).
//! The first message over the limit gets one notice; the rest are ignored until the oldest counted
//! message is older than the window. Memory is bounded: a user quiet for a whole window is forgotten
//! when room is needed, and at most `capacity` users are tracked (the longest quiet go first).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Users tracked at most.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Pass,
    /// Over the limit for the first time in this stretch: tell the user once, don't answer.
    Notice,
    /// Over the limit and already told: ignore.
    Silent,
}

struct User {
    /// When the messages counted in the window arrived, oldest first (at most `limit`).
    times: VecDeque<Instant>,
    /// The user was told about the limit since their last counted message.
    noticed: bool,
    last_seen: Instant,
}

/// Per-user sliding-window counters.
pub struct FloodGate {
    /// Messages allowed per window; 0 = no limit.
    limit: usize,
    window: Duration,
    capacity: usize,
    users: Mutex<HashMap<i64, User>>,
}

impl FloodGate {
    pub fn new(limit: u32, window: Duration, capacity: usize) -> FloodGate {
        FloodGate {
            limit: limit as usize,
            window,
            capacity: capacity.max(1),
            users: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a message from `user` now.
    pub fn check(&self, user: i64) -> Verdict {
        self.check_at(user, Instant::now())
    }

    pub fn check_at(&self, user: i64, now: Instant) -> Verdict {
        if self.limit == 0 {
            return Verdict::Pass;
        }
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if users.len() >= self.capacity && !users.contains_key(&user) {
            self.evict(&mut users, now);
        }
        let u = users.entry(user).or_insert_with(|| User {
            times: VecDeque::with_capacity(self.limit.min(64)),
            noticed: false,
            last_seen: now,
        });
        u.last_seen = now;
        while u
            .times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            u.times.pop_front();
        }
        if u.times.len() < self.limit {
            u.times.push_back(now);
            u.noticed = false;
            return Verdict::Pass;
        }
        if u.noticed {
            Verdict::Silent
        } else {
            u.noticed = true;
            Verdict::Notice
        }
    }

    /// Users tracked now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.users.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Makes room: forgets users quiet for a whole window; if that frees nothing, the tenth of users
    /// quiet the longest (so that a stream of new users does not scan the map on every message).
    fn evict(&self, users: &mut HashMap<i64, User>, now: Instant) {
        users.retain(|_, u| now.saturating_duration_since(u.last_seen) < self.window);
        if users.len() < self.capacity {
            return;
        }
        let mut seen: Vec<Instant> = users.values().map(|u| u.last_seen).collect();
        let k = (self.capacity / 10).max(1).min(seen.len() - 1);
        let (_, cutoff, _) = seen.select_nth_unstable(k);
        let cutoff = *cutoff;
        users.retain(|_, u| u.last_seen >= cutoff);
        // Ties at the cutoff could keep everyone: drop arbitrary ones down to size.
        while users.len() >= self.capacity {
            match users.keys().next().copied() {
                Some(k) => users.remove(&k),
                None => break,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn the_excess_gets_one_notice_then_silence_until_the_window_passes() {
        let gate = FloodGate::new(3, MINUTE, 100);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(gate.check_at(1, at(0)), Verdict::Pass);
        assert_eq!(gate.check_at(1, at(1)), Verdict::Pass);
        assert_eq!(gate.check_at(1, at(2)), Verdict::Pass);
        assert_eq!(gate.check_at(1, at(3)), Verdict::Notice);
        assert_eq!(gate.check_at(1, at(4)), Verdict::Silent);
        assert_eq!(gate.check_at(1, at(59)), Verdict::Silent);
        // Another user is not affected.
        assert_eq!(gate.check_at(2, at(5)), Verdict::Pass);
        // The first message leaves the window: one more may pass, then a new notice.
        assert_eq!(gate.check_at(1, at(60)), Verdict::Pass);
        assert_eq!(gate.check_at(1, at(60)), Verdict::Notice);
        // At 62 s the messages of 1 s and 2 s have left too: two more.
        assert_eq!(gate.check_at(1, at(62)), Verdict::Pass);
        assert_eq!(gate.check_at(1, at(62)), Verdict::Pass);
        assert_eq!(gate.check_at(1, at(62)), Verdict::Notice);
        assert_eq!(gate.check_at(1, at(200)), Verdict::Pass);
    }

    #[test]
    fn zero_means_no_limit() {
        let gate = FloodGate::new(0, MINUTE, 10);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert_eq!(gate.check_at(1, t0), Verdict::Pass);
        }
        assert_eq!(gate.len(), 0);
    }

    #[test]
    fn memory_is_bounded() {
        let gate = FloodGate::new(2, MINUTE, 100);
        let t0 = Instant::now();
        for user in 0..10_000 {
            gate.check_at(user, t0 + Duration::from_millis(user as u64));
            assert!(gate.len() <= 100, "{}", gate.len());
        }
        // The most recent users are the ones kept: the last one is still counted.
        assert_eq!(
            gate.check_at(9_999, t0 + Duration::from_millis(9_999)),
            Verdict::Pass
        );
        assert_eq!(
            gate.check_at(9_999, t0 + Duration::from_millis(9_999)),
            Verdict::Notice
        );
        // Quiet users are forgotten first.
        let later = t0 + 2 * MINUTE;
        gate.check_at(-1, later);
        assert!(gate.len() <= 2, "{}", gate.len());
    }
}
