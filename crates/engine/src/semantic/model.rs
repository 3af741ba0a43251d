//! The sentence-embedding model: all-MiniLM-L6-v2 (BERT, 6 layers, 384 dimensions) run by
//! hitbot's encoder ([`super::bert`], on candle's tensors) in f32, with sentence-transformers'
//! pooling (masked mean, then L2 norm), so the vectors equal the Python library's to four decimals
//! (docs/semantic-probe.md).
//!
//! Files in the model folder: `model.safetensors` (fp16 on disk, computed in f32), `tokenizer.json`
//! (no padding, truncation at 256 tokens) and `config.json`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use candle_core::{DType, Device, Tensor, D};

use super::bert::{Bert, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer};

use super::SemanticError;

/// Texts embedded together when building the index; sorted by length first, so padding stays small.
const BATCH: usize = 16;

/// The models a process has loaded, by folder and `int8`.
type Loaded = HashMap<(PathBuf, bool), Arc<Model>>;

/// A loaded model. Cheap to share: every advisor of a process uses the same one ([`Model::shared`]).
pub struct Model {
    bert: Bert,
    tokenizer: Tokenizer,
    /// The same tokenizer padding to the longest input of a batch. Built once: cloning a tokenizer
    /// copies its 30,000-word vocabulary.
    batch_tokenizer: Tokenizer,
    device: Device,
    /// Hash of the three model files: vectors on disk are keyed by it.
    hash: String,
    dir: PathBuf,
    /// Vectors of knowledge texts already embedded by this process: a reload after editing one
    /// entry embeds only that entry's texts.
    memo: Mutex<HashMap<String, Arc<[f32]>>>,
}

impl Model {
    /// The model in `dir`, loaded once per process and shared by every advisor (reloads included).
    pub fn shared(dir: &Path, int8: bool) -> Result<Arc<Model>, SemanticError> {
        static MODELS: OnceLock<Mutex<Loaded>> = OnceLock::new();
        let key = (
            dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
            int8,
        );
        let models = MODELS.get_or_init(Default::default);
        if let Some(m) = lock(models).get(&key) {
            return Ok(m.clone());
        }
        // Loaded outside the lock; two threads racing load twice and keep the first.
        let model = Arc::new(Model::load(dir, int8)?);
        Ok(lock(models).entry(key).or_insert(model).clone())
    }

    /// Loads the model files in `dir`. `int8`: a question's vector is computed with 8-bit weights
    /// and activations where the CPU multiplies them fast (AVX-512 VNNI), about 2.5 times faster
    /// than f32 and within 0.01 of its cosine (docs/performance.md); the knowledge's vectors are
    /// always computed in f32.
    pub fn load(dir: &Path, int8: bool) -> Result<Model, SemanticError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|error| SemanticError::Io {
                path,
                error: error.into(),
            })
        };
        let bad = |name: &str, e: &dyn std::fmt::Display| SemanticError::Model {
            path: dir.join(name),
            message: e.to_string(),
        };
        let config_bytes = read("config.json")?;
        let tokenizer_bytes = read("tokenizer.json")?;
        let weights = read("model.safetensors")?;
        let hash = model_hash(&[&config_bytes, &tokenizer_bytes, &weights]);
        let config: Config =
            serde_json::from_slice(&config_bytes).map_err(|e| bad("config.json", &e))?;
        let mut tokenizer =
            Tokenizer::from_bytes(&tokenizer_bytes).map_err(|e| bad("tokenizer.json", &e))?;
        // One question at a time needs no padding (and padding would slow the pass five-fold).
        tokenizer.with_padding(None);
        let mut batch_tokenizer = tokenizer.clone();
        batch_tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        let device = Device::Cpu;
        let bert = candle_core::safetensors::load_buffer(&weights, &device)
            .and_then(|tensors| Bert::load(tensors, &config, int8))
            .map_err(|e| bad("model.safetensors", &e))?;
        Ok(Model {
            bert,
            tokenizer,
            batch_tokenizer,
            device,
            hash,
            dir: dir.to_path_buf(),
            memo: Mutex::new(HashMap::new()),
        })
    }

    /// Hash of the model files (16 hex digits).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The vector of one text: unit length, 384 numbers.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, SemanticError> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| self.failed(&*e))?;
        let run = || -> candle_core::Result<Vec<f32>> {
            let ids = Tensor::new(enc.get_ids(), &self.device)?.unsqueeze(0)?;
            let mask = Tensor::new(enc.get_attention_mask(), &self.device)?.unsqueeze(0)?;
            let hidden = self.bert.forward(&ids, &mask, false)?;
            mean_pool_normalize(&hidden, &mask)?.squeeze(0)?.to_vec1()
        };
        run().map_err(|e| self.failed(&e))
    }

    /// The vectors of many texts (knowledge texts, at index build), in order. Texts this process
    /// embedded before come from memory.
    pub fn embed_all(&self, texts: &[&str]) -> Result<Vec<Arc<[f32]>>, SemanticError> {
        let mut out: Vec<Option<Arc<[f32]>>> = {
            let memo = lock(&self.memo);
            texts.iter().map(|t| memo.get(*t).cloned()).collect()
        };
        let mut todo: Vec<usize> = (0..texts.len()).filter(|i| out[*i].is_none()).collect();
        todo.sort_by_key(|i| texts[*i].len());
        todo.dedup_by_key(|i| texts[*i]);
        for chunk in todo.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|i| texts[*i]).collect();
            let vectors = self.embed_batch(&batch)?;
            let mut memo = lock(&self.memo);
            for (text, v) in batch.into_iter().zip(vectors) {
                memo.insert(text.to_string(), v.into());
            }
        }
        let memo = lock(&self.memo);
        for (i, slot) in out.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = memo.get(texts[i]).cloned();
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, SemanticError> {
        let encs = self
            .batch_tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| self.failed(&*e))?;
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let stack = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| {
                let rows = encs
                    .iter()
                    .map(|e| Tensor::new(f(e), &self.device))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                Tensor::stack(&rows, 0)
            };
            let ids = stack(&|e| e.get_ids())?;
            let mask = stack(&|e| e.get_attention_mask())?;
            let hidden = self.bert.forward(&ids, &mask, true)?;
            mean_pool_normalize(&hidden, &mask)?.to_vec2()
        };
        run().map_err(|e| self.failed(&e))
    }

    fn failed(&self, e: &dyn std::fmt::Display) -> SemanticError {
        SemanticError::Model {
            path: self.dir.clone(),
            message: e.to_string(),
        }
    }
}

/// sentence-transformers' `Pooling(mean)` + `Normalize`: the mean of the token vectors the mask
/// keeps, scaled to unit length. `hidden`: (batch, tokens, dim); `mask`: (batch, tokens) of 0/1.
fn mean_pool_normalize(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let hidden = hidden.to_dtype(DType::F32)?;
    let m = mask.to_dtype(DType::F32)?.unsqueeze(D::Minus1)?;
    let summed = hidden.broadcast_mul(&m)?.sum(1)?;
    let counts = m.sum(1)?.clamp(1e-9f32, f32::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norm = mean
        .sqr()?
        .sum_keepdim(1)?
        .sqrt()?
        .clamp(1e-12f32, f32::MAX)?;
    mean.broadcast_div(&norm)
}

/// FNV-1a over the files, eight bytes at a step (the weights are 45 MB; hashing them costs a few
/// milliseconds at start-up), each file ended by its length.
fn model_hash(files: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |word: u64| {
        h ^= word;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for bytes in files {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            eat(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        eat(u64::from_le_bytes(tail));
        eat(bytes.len() as u64);
    }
    format!("{h:016x}")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(int8: bool) -> Model {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        Model::load(&Path::new(root).join("models/all-minilm-l6-v2"), int8).unwrap()
    }

    /// The stock model's (text, vector) pairs.
    fn reference() -> Vec<(String, Vec<f32>)> {
        let reference: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/minilm-reference.json")).unwrap();
        reference["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let text = r["text"].as_str().unwrap().to_string();
                (text, serde_json::from_value(r["vector"].clone()).unwrap())
            })
            .collect()
    }

    /// The shipped model through hitbot's encoder gives the vectors of candle-transformers' stock
    /// BERT (sentence-transformers' to four decimals), alone and in a padded batch.
    #[test]
    fn vectors_equal_the_reference_model_alone_and_batched() {
        let model = shipped(false);
        let reference = reference();
        let texts: Vec<&str> = reference.iter().map(|(t, _)| t.as_str()).collect();
        let batched = model.embed_batch(&texts).unwrap();
        for ((text, want), batch) in reference.iter().zip(&batched) {
            let alone = model.embed(text).unwrap();
            for got in [&alone, batch] {
                assert_eq!(got.len(), want.len());
                let worst = got
                    .iter()
                    .zip(want.iter())
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                assert!(worst < 1e-4, "{text:?}: off by {worst}");
            }
        }
    }

    /// With 8-bit arithmetic (where the CPU has VNNI) a question's vector stays within 0.01 of the
    /// reference's cosine, while a batch (the knowledge's vectors) is still computed exactly.
    #[test]
    fn int8_vectors_stay_near_the_reference_and_batches_stay_exact() {
        let model = shipped(true);
        let reference = reference();
        let texts: Vec<&str> = reference.iter().map(|(t, _)| t.as_str()).collect();
        let batched = model.embed_batch(&texts).unwrap();
        for ((text, want), batch) in reference.iter().zip(&batched) {
            let alone = model.embed(text).unwrap();
            let cosine: f32 = alone.iter().zip(want).map(|(a, b)| a * b).sum();
            assert!(cosine > 0.99, "{text:?}: cosine {cosine}");
            let worst = batch
                .iter()
                .zip(want)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-4, "{text:?} batched: off by {worst}");
        }
    }

    #[test]
    fn model_hash_sees_every_byte_and_the_lengths() {
        let a = model_hash(&[b"abcdefghij", b"k"]);
        assert_eq!(a, model_hash(&[b"abcdefghij", b"k"]));
        assert_ne!(a, model_hash(&[b"abcdefghiJ", b"k"]));
        assert_ne!(a, model_hash(&[b"abcdefghijk"]));
        assert_ne!(model_hash(&[b"ab"]), model_hash(&[b"ab\0"]));
    }
}
