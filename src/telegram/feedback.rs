//! 👍 / 👎 feedback on answers: where presses go. The front end only knows the [`FeedbackSink`]
//! trait; [`FeedbackCounter`] keeps counts in memory (storing them is the operations issue's job).

use std::collections::HashMap;
use std::sync::Mutex;

/// Receives one vote on the answer from `entry`.
pub trait FeedbackSink: Send + Sync {
    fn record(&self, entry: &str, helpful: bool);
}

/// Votes per entry, in memory.
#[derive(Debug, Default)]
pub struct FeedbackCounter {
    votes: Mutex<HashMap<String, Votes>>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Votes {
    pub helpful: u64,
    pub not_helpful: u64,
}

impl FeedbackCounter {
    pub fn new() -> FeedbackCounter {
        FeedbackCounter::default()
    }

    /// The votes on one entry so far.
    pub fn votes(&self, entry: &str) -> Votes {
        self.lock().get(entry).copied().unwrap_or_default()
    }

    /// All votes so far.
    pub fn total(&self) -> Votes {
        self.lock().values().fold(Votes::default(), |a, v| Votes {
            helpful: a.helpful + v.helpful,
            not_helpful: a.not_helpful + v.not_helpful,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Votes>> {
        self.votes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FeedbackSink for FeedbackCounter {
    fn record(&self, entry: &str, helpful: bool) {
        let mut votes = self.lock();
        let v = votes.entry(entry.to_string()).or_default();
        if helpful {
            v.helpful += 1;
        } else {
            v.not_helpful += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_votes_per_entry() {
        let c = FeedbackCounter::new();
        c.record("salary", true);
        c.record("salary", true);
        c.record("salary", false);
        c.record("skills", false);
        assert_eq!(
            c.votes("salary"),
            Votes {
                helpful: 2,
                not_helpful: 1
            }
        );
        assert_eq!(c.votes("faq"), Votes::default());
        assert_eq!(
            c.total(),
            Votes {
                helpful: 2,
                not_helpful: 2
            }
        );
    }
}
