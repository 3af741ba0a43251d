//! The BERT encoder of the sentence-embedding model, written for what hitbot asks of it: one short
//! question at a time, on one core.
//!
//! It computes what candle-transformers' stock `BertModel` computes (and so what
//! sentence-transformers computes: `crates/engine/tests/data/minilm-reference.json` holds vectors
//! of the stock model, and a test holds this encoder to them), with candle's tensors for the
//! embeddings, layer norms and attention. The linear layers, 95% of the arithmetic, and GELU run
//! in `hitbot-kernels` instead of candle's matrix multiply and libm's `erff`: for the dozen rows
//! of a question, gemm spends more time repacking each weight matrix (a strided copy of the whole
//! matrix, every call) than multiplying, and [`linear`] reads each weight row once, in place, in
//! half precision, against all the question's tokens (docs/performance.md has the measurements).

use std::collections::HashMap;

use candle_core::{DType, Module, Tensor};
use candle_nn::{Embedding, LayerNorm};
use half::f16;
use hitbot_kernels::{gelu, int8_is_fast, linear, linear_int8, Int8Rows};

/// The fields of a BERT `config.json` that the encoder uses.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub hidden_act: String,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
}

/// Above this many rows (texts × tokens, when the index is built) a linear layer goes to candle's
/// gemm, which packs once and then multiplies faster than [`linear`] does.
const GEMM_ROWS: usize = 96;

/// A BERT encoder: token ids in, one vector per token out.
pub struct Bert {
    word: Embedding,
    position: Embedding,
    /// Row 0 of the token-type table: every token of a single sentence is of type 0.
    token_type: Tensor,
    norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
    max_tokens: usize,
}

struct Layer {
    /// Query, key and value in one matrix (`3 × hidden` rows), one pass over the tokens.
    qkv: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    up: Dense,
    down: Dense,
    out_norm: LayerNorm,
}

/// A linear layer: `y = x · wᵀ + b`, `w` row-major `[out, in]` as stored by PyTorch, in half
/// precision as the model ships (each weight becomes the same f32 as candle's conversion gives,
/// in a register, so half the bytes cross from memory).
struct Dense {
    w: Vec<f16>,
    /// The same weights in 8 bits, when the encoder runs its few-row products in 8 bits.
    q: Option<Int8Rows>,
    b: Vec<f32>,
    out: usize,
    input: usize,
}

impl Bert {
    /// The encoder from its weights (any float type; kept in f32), named as Hugging Face names
    /// them (`embeddings.…`, `encoder.layer.N.…`, optionally under `bert.`).
    pub fn load(
        mut tensors: HashMap<String, Tensor>,
        config: &Config,
        int8: bool,
    ) -> candle_core::Result<Bert> {
        if config.hidden_act != "gelu" {
            candle_core::bail!(
                "hidden_act {:?} is not supported (only \"gelu\")",
                config.hidden_act
            );
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            candle_core::bail!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                config.hidden_size,
                config.num_attention_heads
            );
        }
        let prefix = if tensors.keys().any(|k| k.starts_with("bert.")) {
            "bert."
        } else {
            ""
        };
        let mut take = |name: &str, shape: &[usize]| -> candle_core::Result<Tensor> {
            let full = format!("{prefix}{name}");
            let t = tensors
                .remove(&full)
                .ok_or_else(|| candle_core::Error::Msg(format!("the weights lack {full}")))?;
            if t.dims() != shape {
                candle_core::bail!("{full} has shape {:?}, expected {shape:?}", t.dims());
            }
            t.to_dtype(DType::F32)
        };
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let mut norm = |name: &str| -> candle_core::Result<LayerNorm> {
            Ok(LayerNorm::new(
                take(&format!("{name}.weight"), &[h])?,
                take(&format!("{name}.bias"), &[h])?,
                eps,
            ))
        };
        // `norm` borrows `take`; the embeddings' norm first, then the tables.
        let embeddings_norm = norm("embeddings.LayerNorm")?;
        let mut layer_norms = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            layer_norms.push((
                norm(&format!("{p}.attention.output.LayerNorm"))?,
                norm(&format!("{p}.output.LayerNorm"))?,
            ));
        }
        let word = take("embeddings.word_embeddings.weight", &[config.vocab_size, h])?;
        let position = take(
            "embeddings.position_embeddings.weight",
            &[config.max_position_embeddings, h],
        )?;
        let token_type = take(
            "embeddings.token_type_embeddings.weight",
            &[config.type_vocab_size, h],
        )?
        .get(0)?;
        let int8 = int8 && int8_is_fast();
        let mut dense = |names: &[&str], out: usize, input: usize| -> candle_core::Result<Dense> {
            let mut w = Vec::with_capacity(names.len() * out * input);
            let mut b = Vec::with_capacity(names.len() * out);
            for name in names {
                let t = take(&format!("{name}.weight"), &[out, input])?;
                w.extend(t.to_dtype(DType::F16)?.flatten_all()?.to_vec1::<f16>()?);
                b.extend(take(&format!("{name}.bias"), &[out])?.to_vec1::<f32>()?);
            }
            let out = names.len() * out;
            let q = int8.then(|| Int8Rows::quantize(&w, out, input));
            Ok(Dense {
                w,
                q,
                b,
                out,
                input,
            })
        };
        let inter = config.intermediate_size;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for (i, (attention_norm, out_norm)) in layer_norms.into_iter().enumerate() {
            let p = format!("encoder.layer.{i}");
            let s = format!("{p}.attention.self");
            layers.push(Layer {
                qkv: dense(
                    &[
                        &format!("{s}.query"),
                        &format!("{s}.key"),
                        &format!("{s}.value"),
                    ],
                    h,
                    h,
                )?,
                attention_out: dense(&[&format!("{p}.attention.output.dense")], h, h)?,
                attention_norm,
                up: dense(&[&format!("{p}.intermediate.dense")], inter, h)?,
                down: dense(&[&format!("{p}.output.dense")], h, inter)?,
                out_norm,
            });
        }
        Ok(Bert {
            word: Embedding::new(word, h),
            position: Embedding::new(position, h),
            token_type,
            norm: embeddings_norm,
            layers,
            heads: config.num_attention_heads,
            hidden: h,
            max_tokens: config.max_position_embeddings,
        })
    }

    /// The last hidden state, `[batch, tokens, hidden]`, of `ids` (`[batch, tokens]`, u32) whose
    /// `mask` (`[batch, tokens]`, 0/1) marks the real tokens of padded rows. `exact`: the linear
    /// layers in f32 even when the encoder was loaded with 8-bit weights (the knowledge's vectors
    /// at index build, so that what is stored does not depend on the CPU or the setting).
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, exact: bool) -> candle_core::Result<Tensor> {
        let (b, t) = ids.dims2()?;
        if t > self.max_tokens {
            candle_core::bail!("{t} tokens, more than the model's {}", self.max_tokens);
        }
        let device = ids.device();
        let words = self.word.forward(&ids.flatten_all()?)?;
        let positions = self
            .position
            .forward(&Tensor::arange(0u32, t as u32, device)?)?
            .repeat((b, 1))?;
        let x = (words + positions)?.broadcast_add(&self.token_type)?;
        let mut x = self.norm.forward(&x)?;
        // Padding gets a large negative score before the softmax (as Hugging Face does); a
        // question alone has none.
        let padded = mask.to_dtype(DType::F32)?;
        let bias = if padded.min_all()?.to_scalar::<f32>()? < 1.0 {
            Some(((1.0 - padded)? * f64::from(f32::MIN))?.reshape((b, 1, 1, t))?)
        } else {
            None
        };
        for layer in &self.layers {
            x = layer.forward(&x, b, t, self.heads, bias.as_ref(), exact)?;
        }
        x.reshape((b, t, self.hidden))
    }
}

impl Layer {
    /// `x`: `[batch × tokens, hidden]`.
    fn forward(
        &self,
        x: &Tensor,
        b: usize,
        t: usize,
        heads: usize,
        bias: Option<&Tensor>,
        exact: bool,
    ) -> candle_core::Result<Tensor> {
        let h = x.dim(1)?;
        let d = h / heads;
        let qkv = self.qkv.forward(x, exact)?.reshape((b, t, 3, heads, d))?;
        let part = |i: usize| -> candle_core::Result<Tensor> {
            qkv.narrow(2, i, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        let scores = (q.matmul(&k.t()?)? / (d as f64).sqrt())?;
        let scores = match bias {
            Some(bias) => scores.broadcast_add(bias)?,
            None => scores,
        };
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b * t, h))?;
        let attended = self
            .attention_norm
            .forward(&(self.attention_out.forward(&context, exact)? + x)?)?;
        let up = self.up.forward_gelu(&attended, exact)?;
        self.out_norm
            .forward(&(self.down.forward(&up, exact)? + &attended)?)
    }
}

impl Dense {
    /// `x`: `[rows, input]` → `[rows, out]`.
    fn forward(&self, x: &Tensor, exact: bool) -> candle_core::Result<Tensor> {
        self.run(x, false, exact)
    }

    /// [`Dense::forward`], then GELU.
    fn forward_gelu(&self, x: &Tensor, exact: bool) -> candle_core::Result<Tensor> {
        self.run(x, true, exact)
    }

    fn run(&self, x: &Tensor, then_gelu: bool, exact: bool) -> candle_core::Result<Tensor> {
        let (rows, input) = x.dims2()?;
        if input != self.input {
            candle_core::bail!("a linear layer of {} inputs got {input}", self.input);
        }
        let device = x.device();
        if rows > GEMM_ROWS {
            let w = Tensor::from_slice(&self.w, (self.out, self.input), device)?
                .to_dtype(DType::F32)?;
            let b = Tensor::from_slice(&self.b, self.out, device)?;
            let y = x.matmul(&w.t()?)?.broadcast_add(&b)?;
            return if then_gelu { y.gelu_erf() } else { Ok(y) };
        }
        let xs = x.flatten_all()?.to_vec1::<f32>()?;
        let mut y = vec![0f32; rows * self.out];
        match self.q.as_ref().filter(|_| !exact) {
            Some(q) => linear_int8(&xs, q, &self.b, &mut y, rows),
            None => linear(&xs, &self.w, &self.b, &mut y, rows, self.input),
        }
        if then_gelu {
            gelu(&mut y);
        }
        Tensor::from_vec(y, (rows, self.out), device)
    }
}
