//! Telegram's rate limits for bots, kept so that one chat's wait never holds up another: about 30
//! messages a second overall ([`Pace`], shared), one a second in a chat and 20 a minute in a group
//! ([`ChatPace`], owned by the chat's delivery task). A `429 retry_after` is waited out by the chat
//! that got it, in its own task: the others go on.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Messages a second to all chats together.
pub const PER_SECOND_OVERALL: u32 = 30;
/// Least time between two messages to one chat.
pub const CHAT_GAP: Duration = Duration::from_secs(1);
/// Messages a minute to one group, supergroup or channel.
pub const GROUP_PER_MINUTE: usize = 20;
const MINUTE: Duration = Duration::from_secs(60);

/// The overall limit: each send takes the next free slot, 1/30 s after the one before.
pub struct Pace {
    next: Mutex<Instant>,
    gap: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Pace::new(PER_SECOND_OVERALL)
    }
}

impl Pace {
    pub fn new(per_second: u32) -> Pace {
        Pace {
            next: Mutex::new(Instant::now()),
            gap: Duration::from_secs(1) / per_second.max(1),
        }
    }

    /// Takes the next slot; returns when it comes.
    pub async fn slot(&self) {
        let at = self.take(Instant::now());
        tokio::time::sleep_until(at).await;
    }

    /// Reserves the next slot at or after `now`.
    fn take(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let at = (*next).max(now);
        *next = at + self.gap;
        at
    }
}

/// One chat's recent sends.
pub struct ChatPace {
    /// Send times within the last minute (groups), or the last one (private chats).
    sent: VecDeque<Instant>,
    group: bool,
}

impl ChatPace {
    /// Groups, supergroups and channels have negative ids.
    pub fn new(chat: i64) -> ChatPace {
        ChatPace {
            sent: VecDeque::new(),
            group: chat < 0,
        }
    }

    /// When the next message to this chat may go, at `now` or later.
    pub fn next_at(&self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(&last) = self.sent.back() {
            at = at.max(last + CHAT_GAP);
        }
        if self.group && self.sent.len() >= GROUP_PER_MINUTE {
            let oldest = self.sent[self.sent.len() - GROUP_PER_MINUTE];
            at = at.max(oldest + MINUTE);
        }
        at
    }

    /// Notes a send at `at`.
    pub fn sent(&mut self, at: Instant) {
        self.sent.push_back(at);
        let keep = if self.group { GROUP_PER_MINUTE } else { 1 };
        while self.sent.len() > keep {
            self.sent.pop_front();
        }
    }
}

/// A [`ChatPace`] a delivery task can share with the requests it retries.
pub struct ChatTurn(Mutex<ChatPace>);

impl ChatTurn {
    pub fn new(chat: i64) -> ChatTurn {
        ChatTurn(Mutex::new(ChatPace::new(chat)))
    }

    /// Waits for this chat's turn, then for an overall slot; notes the send. Without `overall`
    /// (`throttle = false`) there is no wait.
    pub async fn wait(&self, overall: Option<&Pace>) {
        let Some(overall) = overall else { return };
        let at = self.lock().next_at(Instant::now());
        tokio::time::sleep_until(at).await;
        overall.slot().await;
        self.lock().sent(Instant::now());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ChatPace> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_chat_gets_one_message_a_second() {
        let t = Instant::now();
        let mut p = ChatPace::new(42);
        assert_eq!(p.next_at(t), t);
        p.sent(t);
        assert_eq!(p.next_at(t), t + CHAT_GAP);
        assert_eq!(
            p.next_at(t + Duration::from_secs(5)),
            t + Duration::from_secs(5)
        );
    }

    #[test]
    fn a_group_gets_twenty_messages_a_minute() {
        let t = Instant::now();
        let mut p = ChatPace::new(-100);
        for k in 0..20 {
            p.sent(t + CHAT_GAP * k);
        }
        // The 21st waits until a minute after the first.
        assert_eq!(p.next_at(t + CHAT_GAP * 20), t + MINUTE);
    }

    #[test]
    fn the_overall_slots_are_a_thirtieth_of_a_second_apart() {
        let pace = Pace::new(30);
        let t = Instant::now();
        let a = pace.take(t);
        let b = pace.take(t);
        let c = pace.take(t);
        assert_eq!(b - a, Duration::from_secs(1) / 30);
        assert_eq!(c - b, Duration::from_secs(1) / 30);
        // A quiet spell leaves no debt.
        let later = t + Duration::from_secs(10);
        assert_eq!(pace.take(later), later);
    }
}
