//! 👍 / 👎 feedback on answers: where presses go. The front end only knows the [`FeedbackSink`]
//! trait; [`FeedbackCounter`] keeps counts in memory. Every press is also recorded in the operator
//! store as an event (see `handlers.rs`); [`Asked`] remembers the question behind each chat's last
//! answers so that the event can carry it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

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

/// The question and confidence behind recent answers, by (chat, entry), bounded in size (the oldest
/// are forgotten first).
pub struct Asked {
    capacity: usize,
    answers: Mutex<HashMap<(i64, String), AskedQuestion>>,
}

/// A question, the confidence of its answer, and when it was asked.
type AskedQuestion = (String, f32, Instant);

impl Asked {
    pub fn new(capacity: usize) -> Asked {
        Asked {
            capacity: capacity.max(1),
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers that `question` in `chat` was answered from `entry` with `confidence`.
    pub fn remember(&self, chat: i64, entry: &str, question: &str, confidence: f32) {
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        let key = (chat, entry.to_string());
        if answers.len() >= self.capacity && !answers.contains_key(&key) {
            // Forget the oldest tenth at once, so that a full map is not scanned on every answer.
            let mut ages: Vec<Instant> = answers.values().map(|(_, _, at)| *at).collect();
            let k = (self.capacity / 10).min(ages.len() - 1);
            let (_, cutoff, _) = ages.select_nth_unstable(k);
            let cutoff = *cutoff;
            answers.retain(|_, (_, _, at)| *at > cutoff);
        }
        answers.insert(key, (question.to_string(), confidence, Instant::now()));
    }

    /// The question (and confidence) last answered from `entry` in `chat`, if remembered.
    pub fn question(&self, chat: i64, entry: &str) -> Option<(String, f32)> {
        let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        answers
            .get(&(chat, entry.to_string()))
            .map(|(q, c, _)| (q.clone(), *c))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.answers.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asked_questions_are_remembered_and_bounded() {
        let asked = Asked::new(20);
        asked.remember(1, "salary", "how much?", 0.9);
        assert_eq!(asked.question(1, "salary"), Some(("how much?".into(), 0.9)));
        assert_eq!(asked.question(2, "salary"), None);
        for chat in 0..1000 {
            asked.remember(chat, "skills", "what skills?", 0.8);
            assert!(asked.len() <= 20);
        }
        assert!(asked.question(999, "skills").is_some());
    }

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
