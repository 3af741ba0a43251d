//! Flood control (pure): at most `limit` messages per user in any `window` (a minute in production).
//! The first message over the limit gets one notice; the rest are ignored until the oldest counted
//! message is older than the window. Memory is bounded: the users are kept in the one cache type
//! (`hitbot_engine::cache::Cache`), so a user quiet for a whole window is forgotten, and at most
//! `capacity` users are tracked (the longest quiet go first).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hitbot_engine::cache::Cache;

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

#[derive(Debug, Clone, Default)]
struct User {
    /// When the messages counted in the window arrived, oldest first (at most `limit`).
    times: VecDeque<Instant>,
    /// The user was told about the limit since their last counted message.
    noticed: bool,
}

/// Per-user sliding-window counters.
pub struct FloodGate {
    /// Messages allowed per window; 0 = no limit.
    limit: usize,
    window: Duration,
    /// Each user's counter, written at their last message: it lives a window after it (by then
    /// every message it counted has left the window, so forgetting it changes nothing).
    users: Cache<i64, User>,
}

impl FloodGate {
    pub fn new(limit: u32, window: Duration, capacity: usize) -> FloodGate {
        FloodGate {
            limit: limit as usize,
            window,
            users: Cache::new(capacity, Some(window)),
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
        self.users.update_at(user, now, |slot| {
            let u = slot.get_or_insert_with(User::default);
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
        })
    }

    /// Users tracked now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.users.len()
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
        // The first users were forgotten: they start over (remembered, user 0 would be over the
        // limit at its second message here).
        assert_eq!(gate.check_at(0, t0 + MINUTE / 2), Verdict::Pass);
        assert_eq!(gate.check_at(0, t0 + MINUTE / 2), Verdict::Pass);
    }

    #[test]
    fn the_longest_quiet_are_forgotten_first() {
        let gate = FloodGate::new(2, MINUTE, 3);
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // Users 1, 2, 3 each reach the limit; then 1 writes again (told once).
        for user in 1..=3 {
            assert_eq!(gate.check_at(user, at(user as u64)), Verdict::Pass);
            assert_eq!(gate.check_at(user, at(user as u64)), Verdict::Pass);
        }
        assert_eq!(gate.check_at(1, at(10)), Verdict::Notice);
        // A fourth user needs room: 2, the longest quiet, is forgotten, while 1 and 3 are still
        // held to the limit.
        assert_eq!(gate.check_at(4, at(11)), Verdict::Pass);
        assert_eq!(gate.len(), 3);
        assert_eq!(gate.check_at(1, at(12)), Verdict::Silent);
        assert_eq!(gate.check_at(3, at(13)), Verdict::Notice);
        assert_eq!(gate.check_at(2, at(14)), Verdict::Pass);
    }

    #[test]
    fn a_user_quiet_for_a_window_is_forgotten() {
        let gate = FloodGate::new(1, MINUTE, 100);
        let t0 = Instant::now();
        assert_eq!(gate.check_at(1, t0), Verdict::Pass);
        assert_eq!(gate.check_at(1, t0), Verdict::Notice);
        // Past the window the counter is gone, not merely emptied: a fresh start.
        let later = t0 + MINUTE + Duration::from_secs(1);
        assert_eq!(gate.users.get_at(&1, later).map(|u| u.times.len()), None);
        assert_eq!(gate.check_at(1, later), Verdict::Pass);
        assert_eq!(gate.check_at(1, later), Verdict::Notice);
    }
}
