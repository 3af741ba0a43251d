//! What the operator's inbox asks of the engine: the entries a missed question most likely belongs
//! to ([`Advisor::suggest`]), the check a knowledge edit must pass ([`check_folder`], the same as
//! `hitbot check`), and how the question is answered once the edit is serving
//! ([`Advisor::outcome`]).

use std::path::Path;

use serde::Serialize;

use hitbot_knowledge::Problem;

use crate::advisor::{load_checked, Advisor, AdvisorError, EntryRef};
use crate::config::EngineConfig;

/// A candidate entry for a missed question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub entry: EntryRef,
    /// The fused, calibrated confidence the advisor gave it for the question.
    pub confidence: f32,
}

/// How a question is answered now, for the message after an edit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Answered from the entry it was added to.
    Answered { confidence: f32 },
    /// Answered, but from another entry.
    Elsewhere { entry: EntryRef, confidence: f32 },
    /// Still declined.
    Declined { confidence: f32 },
}

impl Outcome {
    /// "now answered with confidence 0.91", "but it is still declined (confidence 0.42)"…
    pub fn describe(&self) -> String {
        match self {
            Outcome::Answered { confidence } => {
                format!("now answered with confidence {confidence:.2}")
            }
            Outcome::Elsewhere { entry, confidence } => format!(
                "but it is still answered from ‘{}’ (confidence {confidence:.2})",
                entry.title
            ),
            Outcome::Declined { confidence } => {
                format!("but it is still declined (confidence {confidence:.2})")
            }
        }
    }

    /// The same after recording a question as not covered: declining is what is wanted.
    pub fn describe_not_covered(&self) -> String {
        match self {
            Outcome::Declined { .. } => "now declined as not covered".into(),
            Outcome::Answered { confidence } | Outcome::Elsewhere { confidence, .. } => {
                let title = match self {
                    Outcome::Elsewhere { entry, .. } => entry.title.as_str(),
                    _ => "an entry",
                };
                format!("but it is still answered from ‘{title}’ (confidence {confidence:.2})")
            }
        }
    }
}

impl Advisor {
    /// The entries `question` most likely belongs to, best first, at most `limit`: the candidates
    /// the advisor judged it by (tantivy's and, when the model ran, the nearest in meaning), with
    /// their fused confidence. None for a question naming another career or topic (`scope.toml`):
    /// adding it to an entry would not make it answered.
    pub fn suggest(&self, question: &str, limit: usize) -> Vec<Suggestion> {
        self.candidates(question, limit)
            .into_iter()
            .map(|(entry, confidence)| Suggestion { entry, confidence })
            .collect()
    }

    /// How `question` is answered by this advisor, compared with entry `id`.
    pub fn outcome(&self, question: &str, id: &str) -> Outcome {
        let reply = self.answer(question);
        match reply.entry {
            Some(entry) if reply.confident && entry.id == id => Outcome::Answered {
                confidence: reply.confidence,
            },
            Some(entry) if reply.confident => Outcome::Elsewhere {
                entry,
                confidence: reply.confidence,
            },
            _ => Outcome::Declined {
                confidence: reply.confidence,
            },
        }
    }
}

/// Every problem `hitbot check` finds in the knowledge folder `dir` with `config`'s settings (its
/// answer length limit); empty when the knowledge would load.
pub fn check_folder(config: &EngineConfig, dir: &Path) -> Vec<Problem> {
    let config = EngineConfig {
        knowledge_dir: dir.to_path_buf(),
        ..config.clone()
    };
    match load_checked(&config) {
        Ok(_) => Vec::new(),
        Err(AdvisorError::Knowledge { problems, .. }) => problems,
        Err(e) => vec![Problem {
            file: dir.to_path_buf(),
            line: 0,
            entry: None,
            message: e.to_string(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_described() {
        let entry = EntryRef {
            id: "skills".into(),
            title: "Skills".into(),
        };
        assert_eq!(
            Outcome::Answered { confidence: 0.912 }.describe(),
            "now answered with confidence 0.91"
        );
        assert_eq!(
            Outcome::Elsewhere {
                entry,
                confidence: 0.7
            }
            .describe(),
            "but it is still answered from ‘Skills’ (confidence 0.70)"
        );
        assert!(Outcome::Declined { confidence: 0.4 }
            .describe()
            .contains("still declined"));
    }

    #[test]
    fn the_check_is_that_of_hitbot_check() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let config = EngineConfig::default();
        assert!(check_folder(&config, &root.join("knowledge")).is_empty());
        let broken = check_folder(&config, &root.join("tests/fixtures/broken"));
        assert!(!broken.is_empty());
        assert!(broken
            .iter()
            .all(|p| p.file.starts_with(root.join("tests/fixtures/broken"))));
    }
}
