//! The engine's settings: where the knowledge and its index live, and the `[answer]` section of
//! `config.toml` (parsed by the binary, which composes every crate's section).

use std::path::PathBuf;

use serde::Deserialize;

/// What the engine needs to open: never the whole application config.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Folder of the human-edited knowledge files.
    pub knowledge_dir: PathBuf,
    /// Folder of the built search index (generated).
    pub index_dir: PathBuf,
    pub answer: AnswerConfig,
    pub semantic: SemanticConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            knowledge_dir: PathBuf::from("knowledge"),
            index_dir: PathBuf::from("index"),
            answer: AnswerConfig::default(),
            semantic: SemanticConfig::default(),
        }
    }
}

/// `[answer]`: how the advisor answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnswerConfig {
    /// Longest answer a knowledge entry may have (checked by `hitbot check`).
    pub max_chars: usize,
    /// Below this confidence the advisor declines instead of guessing.
    pub min_confidence: f32,
    /// How many related entries to offer under an answer.
    pub related: usize,
    /// A runner-up within this share of the best answer's rank is offered as "did you mean".
    pub did_you_mean_margin: f32,
    /// How long a chat's last answer is remembered for follow-up questions.
    pub followup_minutes: u64,
    /// Longer questions are cut to this many characters for searching (never rejected), on every
    /// front end: a pasted essay costs no more than a paragraph.
    pub max_question_chars: usize,
}

impl Default for AnswerConfig {
    fn default() -> Self {
        AnswerConfig {
            max_chars: hitbot_knowledge::DEFAULT_MAX_ANSWER_CHARS,
            min_confidence: 0.5,
            related: 3,
            did_you_mean_margin: 0.9,
            followup_minutes: 30,
            max_question_chars: 1000,
        }
    }
}

impl AnswerConfig {
    /// Checks the ranges; an error names the key (within `[answer]`) and what it must be.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        check_int("max_chars", self.max_chars as u64, 1, 4000)?;
        check_unit("min_confidence", self.min_confidence)?;
        check_int("related", self.related as u64, 0, 3)?;
        check_unit("did_you_mean_margin", self.did_you_mean_margin)?;
        check_int("followup_minutes", self.followup_minutes, 0, 24 * 60)?;
        check_int(
            "max_question_chars",
            self.max_question_chars as u64,
            50,
            4096,
        )
    }
}

/// `[semantic]`: the sentence-embedding stage that re-ranks tantivy's candidates by meaning.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SemanticConfig {
    /// Off: purely lexical answers (no model loaded). Builds without the `semantic` feature are
    /// always purely lexical.
    pub enabled: bool,
    /// Folder of the model files (model.safetensors, tokenizer.json, config.json).
    pub model_dir: PathBuf,
    /// How many recent questions' vectors are kept, so a repeated question skips the model.
    pub cache: usize,
    /// A lexical answer covering at least this share of the question is given without running the
    /// model. 1 runs the model on every question the lexical stage does not cover entirely.
    pub lexical_sure: f32,
    /// A question's vector in 8-bit arithmetic on CPUs with AVX-512 VNNI (about 2.5× faster,
    /// answers the same on the evaluation sets); false computes it in f32 everywhere.
    pub int8: bool,
}

impl Default for SemanticConfig {
    fn default() -> Self {
        SemanticConfig {
            enabled: true,
            model_dir: PathBuf::from("models/all-minilm-l6-v2"),
            cache: 4096,
            lexical_sure: 0.9,
            int8: true,
        }
    }
}

impl SemanticConfig {
    /// Checks the ranges; an error names the key (within `[semantic]`) and what it must be.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        check_int("cache", self.cache as u64, 1, 1_000_000)?;
        check_unit("lexical_sure", self.lexical_sure)
    }
}

fn check_int(key: &'static str, v: u64, lo: u64, hi: u64) -> Result<(), (&'static str, String)> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err((key, format!("must be an integer from {lo} to {hi}")))
    }
}

fn check_unit(key: &'static str, v: f32) -> Result<(), (&'static str, String)> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err((key, "must be a number from 0 to 1".into()))
    }
}
