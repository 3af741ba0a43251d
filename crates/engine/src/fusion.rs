//! Fusion: one calibrated confidence in 0..1 from what the lexical and the semantic stages know of a
//! candidate entry. It is a logistic model, `p = 1 / (1 + e^-(w · x))`, fitted on labelled
//! candidates: for each question of the question files named in [`WEIGHTS`]' doc, every candidate
//! is labelled 1 when its answer holds the expected facts and 0 otherwise (every candidate of a
//! question the guide does not answer is 0). So `p` estimates the chance that the answer is right,
//! and `min_confidence` 0.5 answers when right is likelier than wrong.
//!
//! Refit after changing a feature: `cargo run --release -p hitbot-engine --example features --
//! tests/data/regression.jsonl tests/data/fresh-1.jsonl > /tmp/features.jsonl` then
//! `python3 crates/engine/examples/calibrate.py /tmp/features.jsonl`, and paste its weights here.

use serde::Serialize;

/// What is known of one candidate entry for one question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Features {
    /// Lexical coverage: the idf-weighted share of the question's words the entry holds (0..1).
    pub coverage: f32,
    /// BM25 from tantivy, relative to the best candidate's (0..1; 0 when tantivy did not find it).
    pub bm25: f32,
    /// Cosine similarity of the question to the entry's closest title or alternate question.
    pub question: f32,
    /// Cosine similarity of the question to the entry's answer.
    pub answer: f32,
    /// Cosine similarity of the question to the closest `not_covered` question of scope.toml.
    pub not_covered: f32,
    /// How far the entry's question similarity leads the best other entry's (negative when
    /// another entry is closer in meaning).
    pub lead: f32,
    /// The lexical rank (coverage, BM25 and the closest alternate question's word overlap) relative
    /// to the best lexical candidate's (0..1; 0 when tantivy did not find it).
    pub lexical: f32,
}

impl Features {
    /// The inputs of the logistic model, in [`WEIGHTS`] order after the bias.
    pub fn inputs(&self) -> [f32; 8] {
        let margin = self.question - self.not_covered;
        [
            self.coverage,
            self.bm25,
            self.question,
            self.answer,
            self.not_covered,
            margin.max(0.0),
            self.lead,
            self.lexical,
        ]
    }

    /// The calibrated chance that this candidate's answer is right.
    pub fn confidence(&self) -> f32 {
        let z = self
            .inputs()
            .iter()
            .zip(&WEIGHTS[1..])
            .fold(WEIGHTS[0], |z, (x, w)| z + x * w);
        1.0 / (1.0 + (-z).exp())
    }
}

/// Bias, then one weight per [`Features::inputs`], fitted on tests/data/regression.jsonl and
/// tests/data/fresh-1.jsonl (never on the shared dev set or on tests/data/fresh-2.jsonl, which
/// judge the result).
pub const WEIGHTS: [f32; 9] = [
    -1.100, 2.190, 0.534, 0.750, 3.735, -4.551, -0.160, 1.892, -0.173,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_rises_with_coverage_and_meaning_and_falls_near_not_covered() {
        let base = Features {
            coverage: 0.5,
            bm25: 0.5,
            question: 0.6,
            answer: 0.4,
            not_covered: 0.3,
            lead: 0.05,
            lexical: 0.5,
        };
        let p = base.confidence();
        assert!((0.0..=1.0).contains(&p));
        let more = |f: Features| f.confidence() > p;
        assert!(more(Features {
            coverage: 0.9,
            ..base
        }));
        assert!(more(Features {
            question: 0.8,
            ..base
        }));
        assert!(!more(Features {
            not_covered: 0.7,
            ..base
        }));
    }
}
