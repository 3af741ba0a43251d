//! hitbot's arithmetic kernels, the workspace's only `unsafe` code: the linear layers of the
//! sentence-embedding model for a question's dozen tokens (the engine's `semantic::bert`).
//!
//! For so few rows, gemm (candle's matrix multiply) spends more time repacking each weight matrix,
//! a strided copy of the whole matrix on every call, than multiplying. [`linear`] reads the weight
//! rows in place, in half precision as the model ships, against all the tokens at once. It is kept
//! in its own crate so that tests, built unoptimised, still run it optimised (the workspace's
//! `[profile.dev.package.hitbot-kernels]`).

use half::f16;
use half::slice::HalfFloatSliceExt;

/// `y = x · wᵀ + b` for row-major `x` (`rows × k`), `w` (`out × k`) and `y` (`rows × out`), `out`
/// being `b.len()`. Blocks of 4 weight rows × 2 tokens are computed together, so each weight row
/// is read in place (no repacking) and stays in the L1 cache across the tokens. With AVX2 and FMA
/// (checked at run time) eight lanes at a time in AVX registers; otherwise plain dot products.
pub fn linear(x: &[f32], w: &[f16], b: &[f32], y: &mut [f32], rows: usize, k: usize) {
    assert!(x.len() == rows * k && w.len() == b.len() * k && y.len() == rows * b.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F (which includes the half-to-single conversion).
        unsafe { linear_avx512(x, w, b, y, rows, k) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
    {
        // SAFETY: the CPU has AVX2, FMA and F16C, checked just above.
        unsafe { linear_avx2_fma(x, w, b, y, rows, k) };
        return;
    }
    linear_portable(x, w, b, y, rows, k);
}

const ROWS: usize = 4;

/// Calls `block(weight rows, token rows)` for every block of [`ROWS`] weight rows × `T` tokens and writes the sums plus bias into `y`. A short last block repeats its last row or token
/// and drops the copies.
#[inline(always)]
fn blocks<const T: usize>(
    x: &[f32],
    w: &[f16],
    b: &[f32],
    y: &mut [f32],
    rows: usize,
    k: usize,
    mut block: impl FnMut(&[&[f16]; ROWS], &[&[f32]; T]) -> [[f32; T]; ROWS],
) {
    let out = b.len();
    let mut j = 0;
    while j < out {
        let r = (out - j).min(ROWS);
        let ws: [&[f16]; ROWS] = std::array::from_fn(|n| {
            let row = j + n.min(r - 1);
            &w[row * k..(row + 1) * k]
        });
        let mut i = 0;
        while i < rows {
            let t = (rows - i).min(T);
            let xs: [&[f32]; T] = std::array::from_fn(|n| {
                let row = i + n.min(t - 1);
                &x[row * k..(row + 1) * k]
            });
            let sums = block(&ws, &xs);
            for (tn, xrow) in (i..i + t).enumerate() {
                for rn in 0..r {
                    y[xrow * out + j + rn] = sums[rn][tn] + b[j + rn];
                }
            }
            i += T;
        }
        j += ROWS;
    }
}

/// The portable block: plain dot products.
fn linear_portable(x: &[f32], w: &[f16], b: &[f32], y: &mut [f32], rows: usize, k: usize) {
    blocks::<2>(x, w, b, y, rows, k, |ws, xs| {
        std::array::from_fn(|r| {
            std::array::from_fn(|n| ws[r].iter().zip(xs[n]).map(|(a, b)| a.to_f32() * b).sum())
        })
    });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn linear_avx2_fma(x: &[f32], w: &[f16], b: &[f32], y: &mut [f32], rows: usize, k: usize) {
    use std::arch::x86_64::*;
    let whole = k / 8 * 8;
    blocks::<2>(x, w, b, y, rows, k, |ws, xs| {
        // SAFETY: every load reads 8 numbers at an offset below `whole` ≤ the rows' length `k`;
        // AVX2, FMA and F16C are enabled here.
        unsafe {
            // Eight named accumulators (not an array, which LLVM kept in memory).
            let z = _mm256_setzero_ps;
            let (mut a00, mut a01, mut a10, mut a11) = (z(), z(), z(), z());
            let (mut a20, mut a21, mut a30, mut a31) = (z(), z(), z(), z());
            let (x0, x1) = (xs[0].as_ptr(), xs[1].as_ptr());
            let (w0, w1, w2, w3) = (
                ws[0].as_ptr(),
                ws[1].as_ptr(),
                ws[2].as_ptr(),
                ws[3].as_ptr(),
            );
            let mut o = 0;
            while o < whole {
                let (v0, v1) = (_mm256_loadu_ps(x0.add(o)), _mm256_loadu_ps(x1.add(o)));
                let w = _mm256_cvtph_ps(_mm_loadu_si128(w0.add(o).cast()));
                a00 = _mm256_fmadd_ps(w, v0, a00);
                a01 = _mm256_fmadd_ps(w, v1, a01);
                let w = _mm256_cvtph_ps(_mm_loadu_si128(w1.add(o).cast()));
                a10 = _mm256_fmadd_ps(w, v0, a10);
                a11 = _mm256_fmadd_ps(w, v1, a11);
                let w = _mm256_cvtph_ps(_mm_loadu_si128(w2.add(o).cast()));
                a20 = _mm256_fmadd_ps(w, v0, a20);
                a21 = _mm256_fmadd_ps(w, v1, a21);
                let w = _mm256_cvtph_ps(_mm_loadu_si128(w3.add(o).cast()));
                a30 = _mm256_fmadd_ps(w, v0, a30);
                a31 = _mm256_fmadd_ps(w, v1, a31);
                o += 8;
            }
            // The four rows' sums for one token in one register: two rounds of pairwise adds.
            let sums4 = |a: __m256, b: __m256, c: __m256, d: __m256| -> [f32; 4] {
                let h = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
                let s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
                let mut out = [0f32; 4];
                _mm_storeu_ps(out.as_mut_ptr(), s);
                out
            };
            let by_token = [sums4(a00, a10, a20, a30), sums4(a01, a11, a21, a31)];
            let mut sums: [[f32; 2]; ROWS] =
                std::array::from_fn(|r| [by_token[0][r], by_token[1][r]]);
            if whole < k {
                for (r, row) in sums.iter_mut().enumerate() {
                    for (n, sum) in row.iter_mut().enumerate() {
                        *sum += (whole..k)
                            .map(|c| ws[r][c].to_f32() * xs[n][c])
                            .sum::<f32>();
                    }
                }
            }
            sums
        }
    });
}

/// Four weight rows × four tokens, sixteen lanes at a time: sixteen of AVX-512's 32 registers
/// accumulate, so each weight is converted once for four tokens.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn linear_avx512(x: &[f32], w: &[f16], b: &[f32], y: &mut [f32], rows: usize, k: usize) {
    use std::arch::x86_64::*;
    let whole = k / 16 * 16;
    blocks::<4>(x, w, b, y, rows, k, |ws, xs| {
        // SAFETY: every load reads 16 numbers at an offset below `whole` ≤ the rows' length `k`;
        // AVX-512F is enabled here.
        unsafe {
            let z = _mm512_setzero_ps;
            let mut acc = [
                [z(), z(), z(), z()],
                [z(), z(), z(), z()],
                [z(), z(), z(), z()],
                [z(), z(), z(), z()],
            ];
            let xp = [
                xs[0].as_ptr(),
                xs[1].as_ptr(),
                xs[2].as_ptr(),
                xs[3].as_ptr(),
            ];
            let wp = [
                ws[0].as_ptr(),
                ws[1].as_ptr(),
                ws[2].as_ptr(),
                ws[3].as_ptr(),
            ];
            let mut o = 0;
            while o < whole {
                let v = [
                    _mm512_loadu_ps(xp[0].add(o)),
                    _mm512_loadu_ps(xp[1].add(o)),
                    _mm512_loadu_ps(xp[2].add(o)),
                    _mm512_loadu_ps(xp[3].add(o)),
                ];
                for r in 0..ROWS {
                    let wv = _mm512_cvtph_ps(_mm256_loadu_si256(wp[r].add(o).cast()));
                    for n in 0..4 {
                        acc[r][n] = _mm512_fmadd_ps(wv, v[n], acc[r][n]);
                    }
                }
                o += 16;
            }
            let mut sums = [[0f32; 4]; ROWS];
            for r in 0..ROWS {
                for n in 0..4 {
                    sums[r][n] = _mm512_reduce_add_ps(acc[r][n])
                        + (whole..k)
                            .map(|c| ws[r][c].to_f32() * xs[n][c])
                            .sum::<f32>();
                }
            }
            sums
        }
    });
}

/// A weight matrix in 8-bit integers: row `r` is `scale[r] · q[r]`, each row's largest weight
/// mapped to ±127 (symmetric, per output row). Rows are zero-padded to a multiple of 64 columns,
/// one AVX-512 register of bytes, so the kernel needs no tail.
pub struct Int8Rows {
    q: Vec<i8>,
    scale: Vec<f32>,
    /// `Σ q[r]` per row: the unsigned activations' offset of 128 comes back out through it.
    sums: Vec<i32>,
    k: usize,
    stride: usize,
}

const LANE_BYTES: usize = 64;

impl Int8Rows {
    /// Quantizes `w` (row-major `out × k`).
    pub fn quantize(w: &[f16], out: usize, k: usize) -> Int8Rows {
        assert_eq!(w.len(), out * k);
        let stride = k.div_ceil(LANE_BYTES) * LANE_BYTES;
        let mut q = vec![0i8; out * stride];
        let mut scale = Vec::with_capacity(out);
        let mut sums = Vec::with_capacity(out);
        let mut f = vec![0f32; k];
        for (r, row) in w.chunks_exact(k.max(1)).take(out).enumerate() {
            row.convert_to_f32_slice(&mut f);
            let dst = &mut q[r * stride..r * stride + k];
            let (s, sum) = quantize_weights(&f, dst);
            sums.push(sum);
            scale.push(s);
        }
        Int8Rows {
            q,
            scale,
            sums,
            k,
            stride,
        }
    }

    /// The number of output rows.
    pub fn out(&self) -> usize {
        self.scale.len()
    }

    /// The number of inputs (columns) of a row.
    pub fn inputs(&self) -> usize {
        self.k
    }
}

/// One row of weights to signed bytes, its largest magnitude to ±127; returns the scale and the
/// bytes' sum. Written to vectorize: 22 million weights are quantized when the model loads.
fn quantize_weights(row: &[f32], dst: &mut [i8]) -> (f32, i32) {
    let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
    let s = if max > 0.0 { max / 127.0 } else { 1.0 };
    let inv = 1.0 / s;
    let mut sum = 0i32;
    for (d, v) in dst.iter_mut().zip(row) {
        // Round half away from zero; `as` saturates.
        let t = v * inv;
        let q = (t + 0.5f32.copysign(t)).clamp(-127.0, 127.0) as i32;
        sum += q;
        *d = q as i8;
    }
    (s, sum)
}

/// Whether [`linear_int8`] runs in AVX-512 VNNI on this CPU (else it runs in plain integer dot
/// products, slower than [`linear`]: callers choose [`linear`] then).
pub fn int8_is_fast() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f") && has!("avx512bw") && has!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `y = x · wᵀ + b` as [`linear`], with `w` in 8-bit integers and each row of `x` quantized to 8
/// bits on the fly (its largest magnitude mapped to 127): a quarter of the f32 bytes cross from
/// memory, and VNNI multiplies 64 bytes per instruction where f32 multiplies 16 numbers.
pub fn linear_int8(x: &[f32], w: &Int8Rows, b: &[f32], y: &mut [f32], rows: usize) {
    linear_int8_on(x, w, b, y, rows, int8_is_fast());
}

/// [`linear_int8`], in VNNI when `vnni` (which the CPU must have).
fn linear_int8_on(x: &[f32], w: &Int8Rows, b: &[f32], y: &mut [f32], rows: usize, vnni: bool) {
    let (k, stride, out) = (w.k, w.stride, w.out());
    assert!(x.len() == rows * k && b.len() == out && y.len() == rows * out);
    // Activations as unsigned bytes, `round(x / s) + 128`, zero-padded (128) to the stride.
    let mut xq = vec![128u8; rows * stride];
    let mut xs = Vec::with_capacity(rows);
    for (row, dst) in x.chunks_exact(k.max(1)).zip(xq.chunks_exact_mut(stride)) {
        xs.push(quantize_row(row, &mut dst[..k]));
    }
    #[cfg(target_arch = "x86_64")]
    if vnni {
        // SAFETY: the caller checked that the CPU has AVX-512F, BW and VNNI.
        unsafe { linear_int8_vnni(&xq, &xs, w, b, y, rows) };
        return;
    }
    for (t, (xrow, sx)) in xq.chunks_exact(stride).zip(&xs).enumerate() {
        for r in 0..out {
            let wrow = &w.q[r * stride..(r + 1) * stride];
            let dot: i32 = xrow
                .iter()
                .zip(wrow)
                .map(|(a, b)| i32::from(*a) * i32::from(*b))
                .sum();
            y[t * out + r] = (dot - 128 * w.sums[r]) as f32 * sx * w.scale[r] + b[r];
        }
    }
}

/// One row of activations to unsigned bytes; returns its scale.
#[inline]
fn quantize_row(row: &[f32], dst: &mut [u8]) -> f32 {
    let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
    let s = if max > 0.0 { max / 127.0 } else { 1.0 };
    let inv = 1.0 / s;
    for (d, v) in dst.iter_mut().zip(row) {
        // +128.5 and truncation: round half up, in 1..=255.
        *d = (v * inv + 128.5).clamp(1.0, 255.0) as i32 as u8;
    }
    s
}

/// Four weight rows × four tokens in sixteen registers of sixteen 32-bit sums; each
/// `vpdpbusd` adds 64 byte products.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn linear_int8_vnni(
    xq: &[u8],
    xs: &[f32],
    w: &Int8Rows,
    b: &[f32],
    y: &mut [f32],
    rows: usize,
) {
    use std::arch::x86_64::*;
    const T: usize = 4;
    let (stride, out) = (w.stride, w.out());
    let mut j = 0;
    while j < out {
        let r_n = (out - j).min(ROWS);
        let wp: [*const i8; ROWS] =
            std::array::from_fn(|n| w.q[(j + n.min(r_n - 1)) * stride..].as_ptr());
        let mut i = 0;
        while i < rows {
            let t_n = (rows - i).min(T);
            let xp: [*const u8; T] =
                std::array::from_fn(|n| xq[(i + n.min(t_n - 1)) * stride..].as_ptr());
            // SAFETY: every load reads 64 bytes at an offset below `stride`, within a row of
            // `stride` bytes; the features are enabled here.
            unsafe {
                let z = _mm512_setzero_si512;
                let mut acc = [
                    [z(), z(), z(), z()],
                    [z(), z(), z(), z()],
                    [z(), z(), z(), z()],
                    [z(), z(), z(), z()],
                ];
                let mut o = 0;
                while o < stride {
                    let v: [__m512i; T] =
                        std::array::from_fn(|n| _mm512_loadu_si512(xp[n].add(o).cast()));
                    for r in 0..ROWS {
                        let wv = _mm512_loadu_si512(wp[r].add(o).cast());
                        for n in 0..T {
                            acc[r][n] = _mm512_dpbusd_epi32(acc[r][n], v[n], wv);
                        }
                    }
                    o += LANE_BYTES;
                }
                for (tn, t) in (i..i + t_n).enumerate() {
                    for (rn, sums) in acc.iter().take(r_n).enumerate() {
                        let r = j + rn;
                        let dot = _mm512_reduce_add_epi32(sums[tn]) - 128 * w.sums[r];
                        y[t * out + r] = dot as f32 * xs[t] * w.scale[r] + b[r];
                    }
                }
            }
            i += T;
        }
        j += ROWS;
    }
}

/// GELU as BERT defines it, `x · (1 + erf(x / √2)) / 2`, in place. The error function is
/// Abramowitz and Stegun's 7.1.26 (absolute error below 1.5 × 10⁻⁷, the size of an f32 rounding
/// near 1) with its own exponential, branch-free so that the loop runs in vector registers; libm's
/// `erff`, one number at a time, cost a tenth of a forward pass.
pub fn gelu(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F, checked just above.
        unsafe { gelu_avx512(xs) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        unsafe { gelu_avx2(xs) };
        return;
    }
    gelu_all(xs);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn gelu_avx512(xs: &mut [f32]) {
    gelu_all(xs);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gelu_avx2(xs: &mut [f32]) {
    gelu_all(xs);
}

#[inline(always)]
fn gelu_all(xs: &mut [f32]) {
    for x in xs {
        *x = gelu_one(*x);
    }
}

#[inline(always)]
fn gelu_one(x: f32) -> f32 {
    let z = (x * std::f32::consts::FRAC_1_SQRT_2).abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152 + t * 1.061_405_4))));
    let erf = 1.0 - poly * exp_negative(-(z * z));
    0.5 * x * (1.0 + erf.copysign(x))
}

/// `eˣ` for `x ≤ 0` (below −87 it is 0): `x = n·ln 2 + r`, `2ⁿ` from the exponent bits and `eʳ`
/// from Cephes' `expf` polynomial; relative error about 10⁻⁷.
#[inline(always)]
fn exp_negative(x: f32) -> f32 {
    let x = x.max(-87.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    // ln 2 in two parts, so that n·ln 2 is exact enough.
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5e-1;
    let er = p * r * r + r + 1.0;
    er * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Kernel = fn(&[f32], &[f16], &[f32], &mut [f32], usize, usize);

    /// Repeatable numbers in [-0.5, 0.5) (a linear congruential generator).
    fn numbers(mut seed: u64) -> impl FnMut() -> f32 {
        move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        }
    }

    /// `linear` against a plain f64 product, over shapes that leave partial blocks and lanes.
    #[test]
    fn linear_is_the_matrix_product_plus_bias() {
        let mut next = numbers(7u64);
        for (rows, k, out) in [
            (1, 8, 4),
            (3, 13, 5),
            (12, 384, 1152),
            (5, 1536, 7),
            (2, 3, 1),
            (7, 40, 9),
        ] {
            let x: Vec<f32> = (0..rows * k).map(|_| next()).collect();
            let w: Vec<f16> = (0..out * k).map(|_| f16::from_f32(next())).collect();
            let b: Vec<f32> = (0..out).map(|_| next()).collect();
            // Every path this CPU can run, and the dispatcher.
            let mut paths: Vec<(&str, Kernel)> =
                vec![("linear", linear), ("portable", linear_portable)];
            #[cfg(target_arch = "x86_64")]
            {
                use std::arch::is_x86_feature_detected as has;
                if has!("avx2") && has!("fma") && has!("f16c") {
                    paths.push(("avx2", |x, w, b, y, r, k| unsafe {
                        linear_avx2_fma(x, w, b, y, r, k)
                    }));
                }
                if has!("avx512f") {
                    paths.push(("avx512", |x, w, b, y, r, k| unsafe {
                        linear_avx512(x, w, b, y, r, k)
                    }));
                }
            }
            let ys: Vec<(&str, Vec<f32>)> = paths
                .iter()
                .map(|(name, kernel)| {
                    let mut y = vec![f32::NAN; rows * out];
                    kernel(&x, &w, &b, &mut y, rows, k);
                    (*name, y)
                })
                .collect();
            for i in 0..rows {
                for j in 0..out {
                    let want: f64 = b[j] as f64
                        + (0..k)
                            .map(|c| x[i * k + c] as f64 * w[j * k + c].to_f64())
                            .sum::<f64>();
                    for (name, y) in &ys {
                        let got = y[i * out + j];
                        assert!(
                            (got as f64 - want).abs() < 1e-4,
                            "{name}: {rows}×{k}·{out} at ({i},{j}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// The 8-bit product against the f64 product of the f16 weights: within the rounding of two
    /// 8-bit quantizations (relative to the rows' magnitudes), on every path this CPU runs.
    #[test]
    fn linear_int8_is_the_product_within_quantization_error() {
        let mut next = numbers(11u64);
        for (rows, k, out) in [
            (1, 8, 4),
            (3, 13, 5),
            (12, 384, 1152),
            (5, 1536, 7),
            (7, 70, 9),
        ] {
            let x: Vec<f32> = (0..rows * k).map(|_| next()).collect();
            let w: Vec<f16> = (0..out * k).map(|_| f16::from_f32(next())).collect();
            let b: Vec<f32> = (0..out).map(|_| next()).collect();
            let q = Int8Rows::quantize(&w, out, k);
            assert_eq!((q.out(), q.inputs()), (out, k));
            let mut paths = vec![false];
            if int8_is_fast() {
                paths.push(true);
            }
            for vnni in paths {
                let mut y = vec![f32::NAN; rows * out];
                linear_int8_on(&x, &q, &b, &mut y, rows, vnni);
                for i in 0..rows {
                    for j in 0..out {
                        let want: f64 = b[j] as f64
                            + (0..k)
                                .map(|c| x[i * k + c] as f64 * w[j * k + c].to_f64())
                                .sum::<f64>();
                        // Each factor is off by at most half a step (max/254); the sum of k such
                        // errors, with |x|, |w| ≤ 0.5, stays below k · 0.5 · 0.5 / 127.
                        let bound = k as f64 * 0.25 / 127.0 + 1e-5;
                        let got = y[i * out + j] as f64;
                        assert!(
                            (got - want).abs() < bound,
                            "vnni {vnni}: {rows}×{k}·{out} at ({i},{j}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_zero_row_quantizes_to_zero() {
        let w = vec![f16::from_f32(0.0); 2 * 5];
        let q = Int8Rows::quantize(&w, 2, 5);
        let mut y = vec![f32::NAN; 2];
        linear_int8(&[0.0; 5], &q, &[1.0, -2.0], &mut y, 1);
        assert_eq!(y, vec![1.0, -2.0]);
    }

    /// erf by its Taylor series in f64, exact to about 10⁻⁹ for |x| ≤ 4 (±1 beyond, within 10⁻⁸).
    fn erf(x: f64) -> f64 {
        if x.abs() > 4.0 {
            return x.signum();
        }
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn gelu_is_x_times_the_normal_cdf() {
        let mut xs: Vec<f32> = (-1200..=1200).map(|i| i as f32 / 100.0).collect();
        xs.extend([
            0.0,
            -0.0,
            1e-6,
            -1e-6,
            30.0,
            -30.0,
            100.0,
            -100.0,
            f32::MIN_POSITIVE,
        ]);
        let want: Vec<f64> = xs
            .iter()
            .map(|&x| 0.5 * x as f64 * (1.0 + erf(x as f64 / std::f64::consts::SQRT_2)))
            .collect();
        let mut dispatched = xs.clone();
        gelu(&mut dispatched);
        let mut portable = xs.clone();
        gelu_all(&mut portable);
        for (i, &x) in xs.iter().enumerate() {
            for got in [dispatched[i], portable[i]] {
                let tolerance = 3e-7 * (1.0 + x.abs() as f64);
                assert!(
                    (got as f64 - want[i]).abs() <= tolerance,
                    "gelu({x}) = {got}, want {}",
                    want[i]
                );
            }
        }
    }
}
