//! 👍 / 👎 feedback on answers. A press is recorded once, as an `Event` in the operator store (see
//! `handlers.rs`); [`Asked`] remembers the question behind each chat's recent answers so that the
//! event can carry it.

use hitbot_engine::cache::Cache;

/// The question and confidence behind recent answers, by (chat, entry), bounded in size (the least
/// recently used are forgotten first).
pub struct Asked {
    answers: Cache<(i64, String), (String, f32)>,
}

impl Asked {
    pub fn new(capacity: usize) -> Asked {
        Asked {
            answers: Cache::new(capacity, None),
        }
    }

    /// Remembers that `question` in `chat` was answered from `entry` with `confidence`.
    pub fn remember(&self, chat: i64, entry: &str, question: &str, confidence: f32) {
        self.answers.insert(
            (chat, entry.to_string()),
            (question.to_string(), confidence),
        );
    }

    /// The question (and confidence) last answered from `entry` in `chat`, if remembered.
    pub fn question(&self, chat: i64, entry: &str) -> Option<(String, f32)> {
        self.answers.get(&(chat, entry.to_string()))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.answers.len()
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
        // The oldest are the ones forgotten.
        assert_eq!(asked.question(1, "salary"), None);
        assert_eq!(asked.question(0, "skills"), None);
    }
}
