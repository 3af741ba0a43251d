//! The semantic stage: a sentence-embedding model ([`model`]) and the vectors of the knowledge's
//! texts, so the advisor can tell how close a question is in meaning to each entry's alternate
//! questions and answer, and to the questions the guide does not cover (`scope.toml`
//! `not_covered`). It re-ranks what tantivy finds; it searches nothing itself: with 67 entries the
//! vectors are a few hundred rows, compared in a few microseconds.
//!
//! The knowledge's vectors are embedded when the index is built and kept beside it
//! (`index/<name>/vectors-<model hash>.bin`), keyed by the model's hash and the knowledge
//! fingerprint, so start-up reads them instead of running the model.

mod bert;
mod model;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hitbot_knowledge::Knowledge;

use crate::cache::Cache;
pub use model::Model;

/// Length of the model's vectors.
pub const DIM: usize = 384;

/// First bytes of a vectors file (bumped when the layout or the embedded texts change).
const MAGIC: &[u8; 8] = b"HITVEC02";

/// Cloneable (the I/O error is shared) so that every caller of a coalesced reload gets its result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SemanticError {
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::sync::Arc<std::io::Error>,
    },
    #[error("the sentence-embedding model in {path}: {message}")]
    Model { path: PathBuf, message: String },
}

/// Which text a row of vectors is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    /// An entry's title or one of its alternate questions.
    Question(usize),
    /// An entry's answer.
    Answer(usize),
    /// One of `scope.toml`'s `not_covered` questions.
    NotCovered(usize),
}

/// How close a question is to every entry (cosine similarity of unit vectors, in -1..1).
#[derive(Debug, Clone, PartialEq)]
pub struct Similarity {
    /// Per entry: the closest of its title and alternate questions.
    pub question: Vec<f32>,
    /// Per entry: its answer.
    pub answer: Vec<f32>,
    /// The closest `not_covered` question and its similarity.
    pub not_covered: Option<(usize, f32)>,
}

impl Similarity {
    /// Entries by their question similarity, best first.
    pub fn nearest(&self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.question.len()).collect();
        order.sort_by(|a, b| self.question[*b].total_cmp(&self.question[*a]));
        order.truncate(n);
        order
    }

    pub fn not_covered_score(&self) -> f32 {
        self.not_covered.map_or(0.0, |(_, s)| s)
    }
}

/// The model with the knowledge's vectors, and a cache of recent questions' vectors.
pub struct Semantic {
    model: Arc<Model>,
    rows: Vec<Row>,
    /// `rows.len() × DIM`, row-major, unit vectors.
    vectors: Vec<f32>,
    entries: usize,
    cache: Cache<String, Arc<[f32]>>,
}

impl Semantic {
    /// The knowledge's vectors from `folder` (the index build's folder) when they were made by this
    /// model from this knowledge; otherwise embeds the texts and writes them there.
    pub fn open(
        model: Arc<Model>,
        knowledge: &Knowledge,
        folder: &Path,
        cache: usize,
    ) -> Result<Semantic, SemanticError> {
        let (rows, texts) = texts(knowledge);
        let path = folder.join(format!("vectors-{}.bin", model.hash()));
        let vectors = match read_vectors(&path, model.hash(), &knowledge.fingerprint, rows.len()) {
            Some(v) => v,
            None => {
                let started = std::time::Instant::now();
                let embedded = model.embed_all(&texts)?;
                let flat: Vec<f32> = embedded.iter().flat_map(|v| v.iter().copied()).collect();
                log::info!(
                    "embedded {} knowledge texts in {:.1} s",
                    texts.len(),
                    started.elapsed().as_secs_f32()
                );
                if let Err(e) = write_vectors(&path, model.hash(), &knowledge.fingerprint, &flat) {
                    // Still usable: the next start embeds again.
                    log::warn!("cannot keep the vectors in {}: {e}", path.display());
                }
                flat
            }
        };
        Ok(Semantic {
            model,
            rows,
            vectors,
            entries: knowledge.entries.len(),
            cache: Cache::new(cache, None),
        })
    }

    /// The question's vector: from the cache when it was asked lately, else one forward pass.
    pub fn vector(&self, question: &str) -> Result<Arc<[f32]>, SemanticError> {
        let key = question.trim().to_lowercase();
        if let Some(v) = self.cache.get(&key) {
            return Ok(v);
        }
        let v: Arc<[f32]> = self.model.embed(question.trim())?.into();
        self.cache.insert(key, v.clone());
        Ok(v)
    }

    /// How close the question is to every entry and to the not-covered questions.
    pub fn similarity(&self, question: &str) -> Result<Similarity, SemanticError> {
        let q = self.vector(question)?;
        let mut sim = Similarity {
            question: vec![-1.0; self.entries],
            answer: vec![-1.0; self.entries],
            not_covered: None,
        };
        for (row, v) in self.rows.iter().zip(self.vectors.chunks_exact(DIM)) {
            let s = dot(&q, v);
            match *row {
                Row::Question(e) => sim.question[e] = sim.question[e].max(s),
                Row::Answer(e) => sim.answer[e] = s,
                Row::NotCovered(n) => {
                    if sim.not_covered.is_none_or(|(_, best)| s > best) {
                        sim.not_covered = Some((n, s));
                    }
                }
            }
        }
        Ok(sim)
    }

    pub fn model(&self) -> &Model {
        &self.model
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The texts embedded for a knowledge, in row order: per entry its title, alternate questions and
/// answer, then the not-covered questions.
fn texts(knowledge: &Knowledge) -> (Vec<Row>, Vec<&str>) {
    let mut rows = Vec::new();
    let mut texts = Vec::new();
    for (i, e) in knowledge.entries.iter().enumerate() {
        for q in std::iter::once(&e.title).chain(&e.questions) {
            rows.push(Row::Question(i));
            texts.push(q.as_str());
        }
        rows.push(Row::Answer(i));
        texts.push(e.answer.as_str());
    }
    for (n, q) in knowledge.not_covered.iter().enumerate() {
        rows.push(Row::NotCovered(n));
        texts.push(q.as_str());
    }
    (rows, texts)
}

/// `text` with each word found (lower-cased) in `fixes` replaced by its fix; everything else kept.
pub fn rewrite(text: &str, fixes: &[(&str, &str)]) -> String {
    if fixes.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let lower = word.to_lowercase();
        match fixes.iter().find(|(typed, _)| *typed == lower) {
            Some((_, fixed)) => out.push_str(fixed),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The vectors file: `MAGIC`, the model hash and knowledge fingerprint (each a u32 length and
/// bytes), the row count and dimension (u32), then the rows as little-endian f32.
fn write_vectors(path: &Path, model: &str, fingerprint: &str, flat: &[f32]) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(64 + flat.len() * 4);
    bytes.extend_from_slice(MAGIC);
    for s in [model, fingerprint] {
        bytes.extend_from_slice(&(s.len() as u32).to_le_bytes());
        bytes.extend_from_slice(s.as_bytes());
    }
    bytes.extend_from_slice(&((flat.len() / DIM) as u32).to_le_bytes());
    bytes.extend_from_slice(&(DIM as u32).to_le_bytes());
    for x in flat {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    // Written aside and renamed: a reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The vectors in `path` if it holds `rows` rows made by `model` from `fingerprint`.
fn read_vectors(path: &Path, model: &str, fingerprint: &str, rows: usize) -> Option<Vec<f32>> {
    let bytes = std::fs::read(path).ok()?;
    let mut rest = bytes.strip_prefix(MAGIC)?;
    let u32_at = |rest: &mut &[u8]| -> Option<u32> {
        let (head, tail) = rest.split_at_checked(4)?;
        *rest = tail;
        Some(u32::from_le_bytes(head.try_into().ok()?))
    };
    for want in [model, fingerprint] {
        let n = u32_at(&mut rest)? as usize;
        let (s, tail) = rest.split_at_checked(n)?;
        if s != want.as_bytes() {
            return None;
        }
        rest = tail;
    }
    if u32_at(&mut rest)? as usize != rows || u32_at(&mut rest)? as usize != DIM {
        return None;
    }
    if rest.len() != rows * DIM * 4 {
        return None;
    }
    Some(
        rest.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_replaces_whole_words_only() {
        let fixes = [("salery", "salary"), ("techs", "technicians")];
        assert_eq!(
            rewrite("What's a tech's SALERY? Techs, techsy.", &fixes),
            "What's a tech's salary? technicians, techsy."
        );
        assert_eq!(rewrite("", &fixes), "");
    }

    #[test]
    fn vectors_round_trip_and_reject_other_models_and_knowledge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.bin");
        let flat: Vec<f32> = (0..2 * DIM).map(|i| i as f32 / 7.0).collect();
        write_vectors(&path, "m1", "k1", &flat).unwrap();
        assert_eq!(read_vectors(&path, "m1", "k1", 2), Some(flat));
        assert_eq!(read_vectors(&path, "m2", "k1", 2), None);
        assert_eq!(read_vectors(&path, "m1", "k2", 2), None);
        assert_eq!(read_vectors(&path, "m1", "k1", 3), None);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.pop();
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(read_vectors(&path, "m1", "k1", 2), None);
    }
}
