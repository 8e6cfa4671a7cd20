// The bodies of the CUDA kernels as __host__ __device__ functions: each kernel in
// ntt_cuda.cu / eltwise_cuda.cu is a thin wrapper that passes its block and thread
// indices, and emulation/emulated_kernels.cpp runs the same bodies in host loops (one
// "thread" doing every iteration, `sync` a no-op), so the index arithmetic, tables and
// plans are tested bit for bit against the CPU without a GPU (tests/gpu).
#pragma once

#include <cmath>
#include <cstdint>

#include "gpu/kernels.hpp"
#include "gpu/mod_arith.hpp"

namespace ppml::gpu::body {

constexpr int kTileLog = 11;
constexpr int kTile = 1 << kTileLog;  // words of one shared-memory NTT tile

// ---------------------------------------------------------------------------- NTT
// Two kernels per direction, each on a 2048-word tile: "strided" runs the log2(n) - 11
// stages whose butterflies span more than a tile, on R x C tiles (R = 2^log_r rows n/R
// apart, C = 2048/R contiguous columns); "chunk" the others on contiguous 2048-word chunks.
// Thread `tid` of `threads` handles iterations tid, tid + threads, ...; `sync` is the
// block barrier.

#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <typename Sync>
PPML_HD void forward_strided(uint64_t* sh, uint64_t* a, const uint64_t* w, const uint64_t* ws, uint64_t q,
                             uint64_t n, int log_r, uint64_t tile, int tid, int threads, Sync sync) {
  const int log_c = kTileLog - log_r;
  const uint64_t stride = n >> log_r, o0 = tile << log_c;
  for (int e = tid; e < kTile; e += threads) sh[e] = a[o0 + (e & ((1 << log_c) - 1)) + uint64_t(e >> log_c) * stride];
  sync();
  for (int log_m = 0; log_m < log_r; ++log_m) {
    const int log_gap = log_r - 1 - log_m;  // in rows
    const uint32_t m = 1u << log_m;
    for (int bf = tid; bf < kTile / 2; bf += threads) {
      const int c = bf & ((1 << log_c) - 1), bb = bf >> log_c;
      const int i = bb >> log_gap, j = bb & ((1 << log_gap) - 1);
      const int x = (((i << (log_gap + 1)) + j) << log_c) + c, y = x + (1 << (log_gap + log_c));
      uint64_t X = sh[x], Y = sh[y];
      ct_butterfly(X, Y, w[m + i], ws[m + i], q);
      sh[x] = X, sh[y] = Y;
    }
    sync();
  }
  for (int e = tid; e < kTile; e += threads) a[o0 + (e & ((1 << log_c) - 1)) + uint64_t(e >> log_c) * stride] = sh[e];
}

// Stages m = R .. n/2 on chunk `chunk` of B = min(n, 2048) words, then [0, 4q) -> [0, q).
#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <typename Sync>
PPML_HD void forward_chunk(uint64_t* sh, uint64_t* a, const uint64_t* w, const uint64_t* ws, uint64_t q,
                           int log_n, int log_r, uint64_t chunk, int tid, int threads, Sync sync) {
  const int log_b = log_n < kTileLog ? log_n : kTileLog;
  const int B = 1 << log_b;
  const uint64_t base = chunk << log_b;
  a += base;
  for (int e = tid; e < B; e += threads) sh[e] = a[e];
  sync();
  for (int log_m = log_r; log_m < log_n; ++log_m) {
    const int log_gap = log_n - 1 - log_m;
    const uint64_t first = (uint64_t{1} << log_m) + (base >> (log_gap + 1));
    for (int bf = tid; bf < B / 2; bf += threads) {
      const int il = bf >> log_gap, j = bf & ((1 << log_gap) - 1);
      const int x = (il << (log_gap + 1)) + j, y = x + (1 << log_gap);
      uint64_t X = sh[x], Y = sh[y];
      ct_butterfly(X, Y, w[first + il], ws[first + il], q);
      sh[x] = X, sh[y] = Y;
    }
    sync();
  }
  for (int e = tid; e < B; e += threads) a[e] = reduce_from_4q(sh[e], q);
}

// The last inverse layer (m = 1) with n^-1 merged (ntt_scalar.cpp): x, y in [0, 2q) -> [0, q).
PPML_HD void inverse_last(uint64_t& x, uint64_t& y, const NttScalars& s, uint64_t q) {
  const uint64_t two_q = 2 * q;
  uint64_t S = x + y;
  S = S >= two_q ? S - two_q : S;
  const uint64_t D = x - y + two_q;
  x = mul_shoup(S, s.inv_n, s.inv_n_shoup, q);
  y = mul_shoup(D, s.inv_n_w, s.inv_n_w_shoup, q);
}

// Inverse stages m = n/2 .. max(R, 2) on a chunk; with R = 1 also the last one.
#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <typename Sync>
PPML_HD void inverse_chunk(uint64_t* sh, uint64_t* a, const uint64_t* w, const uint64_t* ws, const NttScalars& s,
                           uint64_t q, int log_n, int log_r, uint64_t chunk, int tid, int threads, Sync sync) {
  const int log_b = log_n < kTileLog ? log_n : kTileLog;
  const int B = 1 << log_b;
  const uint64_t base = chunk << log_b;
  a += base;
  for (int e = tid; e < B; e += threads) sh[e] = a[e];
  sync();
  const int last = log_r > 0 ? log_r : 1;
  for (int log_m = log_n - 1; log_m >= last; --log_m) {
    const int log_gap = log_n - 1 - log_m;
    const uint64_t first = (uint64_t{1} << log_m) + (base >> (log_gap + 1));
    for (int bf = tid; bf < B / 2; bf += threads) {
      const int il = bf >> log_gap, j = bf & ((1 << log_gap) - 1);
      const int x = (il << (log_gap + 1)) + j, y = x + (1 << log_gap);
      uint64_t X = sh[x], Y = sh[y];
      gs_butterfly(X, Y, w[first + il], ws[first + il], q);
      sh[x] = X, sh[y] = Y;
    }
    sync();
  }
  if (log_r == 0) {
    for (int j = tid; j < B / 2; j += threads) inverse_last(sh[j], sh[j + B / 2], s, q);
    sync();
  }
  for (int e = tid; e < B; e += threads) a[e] = sh[e];
}

// Inverse stages m = R/2 .. 1 on R x C tiles; the last one with n^-1, output in [0, q).
#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <typename Sync>
PPML_HD void inverse_strided(uint64_t* sh, uint64_t* a, const uint64_t* w, const uint64_t* ws, const NttScalars& s,
                             uint64_t q, uint64_t n, int log_r, uint64_t tile, int tid, int threads, Sync sync) {
  const int log_c = kTileLog - log_r;
  const uint64_t stride = n >> log_r, o0 = tile << log_c;
  for (int e = tid; e < kTile; e += threads) sh[e] = a[o0 + (e & ((1 << log_c) - 1)) + uint64_t(e >> log_c) * stride];
  sync();
  for (int log_m = log_r - 1; log_m >= 1; --log_m) {
    const int log_gap = log_r - 1 - log_m;
    const uint32_t m = 1u << log_m;
    for (int bf = tid; bf < kTile / 2; bf += threads) {
      const int c = bf & ((1 << log_c) - 1), bb = bf >> log_c;
      const int i = bb >> log_gap, j = bb & ((1 << log_gap) - 1);
      const int x = (((i << (log_gap + 1)) + j) << log_c) + c, y = x + (1 << (log_gap + log_c));
      uint64_t X = sh[x], Y = sh[y];
      gs_butterfly(X, Y, w[m + i], ws[m + i], q);
      sh[x] = X, sh[y] = Y;
    }
    sync();
  }
  for (int e = tid; e < kTile / 2; e += threads) inverse_last(sh[e], sh[e + kTile / 2], s, q);
  sync();
  for (int e = tid; e < kTile; e += threads) a[o0 + (e & ((1 << log_c) - 1)) + uint64_t(e >> log_c) * stride] = sh[e];
}

// ---------------------------------------------------------------------- element-wise
// Functors called once per index idx < total (idx = limb * n + k unless stated): the
// CUDA launcher runs one thread per index, the emulation a loop.

struct Binary {
  EltOp op;
  const uint64_t *a, *b;
  uint64_t* out;
  uint64_t n;
  const ModConst* mods;  // limb i: mods[i] (offset applied by the launcher)
  PPML_HD void operator()(uint64_t idx) const {
    const ModConst& m = mods[idx / n];
    const uint64_t x = a[idx], y = b[idx];
    out[idx] = op == EltOp::Add ? add_mod(x, y, m.q) : op == EltOp::Sub ? sub_mod(x, y, m.q) : mul_mod(x, y, m);
  }
};

struct Negate {
  const uint64_t* a;
  uint64_t* out;
  uint64_t n;
  const ModConst* mods;
  PPML_HD void operator()(uint64_t idx) const { out[idx] = neg_mod(a[idx], mods[idx / n].q); }
};

// out = a * s[limb] (MulScalars) or a + s[limb] (AddScalars), s[limb] < q.
template <bool Mul>
struct Scalars {
  const uint64_t *a, *s;
  uint64_t* out;
  uint64_t n;
  const ModConst* mods;
  PPML_HD void operator()(uint64_t idx) const {
    const uint64_t l = idx / n;
    out[idx] = Mul ? mul_mod(a[idx], s[l], mods[l]) : add_mod(a[idx], s[l], mods[l].q);
  }
};

struct Tensor {
  const uint64_t *a0, *a1, *b0, *b1;
  uint64_t *c0, *c1, *c2;
  uint64_t n;
  const ModConst* mods;
  PPML_HD void operator()(uint64_t idx) const {
    const ModConst& m = mods[idx / n];
    const uint64_t x0 = a0[idx], x1 = a1[idx], y0 = b0[idx], y1 = b1[idx];
    c0[idx] = mul_mod(x0, y0, m);
    c1[idx] = reduce128(static_cast<u128>(x0) * y1 + static_cast<u128>(x1) * y0, m);
    c2[idx] = mul_mod(x1, y1, m);
  }
};

struct Permute {
  const uint64_t* in;
  const uint32_t* perm;
  uint64_t* out;
  uint64_t n;
  PPML_HD void operator()(uint64_t idx) const {
    const uint64_t l = idx / n, k = idx - l * n;
    out[idx] = in[l * n + perm[k]];
  }
};

// Coefficient-form X -> X^k (rns::automorphism_coeff_limb), scattering input word idx.
struct AutomorphismCoeff {
  const uint64_t* in;
  uint64_t k;
  uint64_t* out;
  uint64_t n;
  const ModConst* mods;
  PPML_HD void operator()(uint64_t idx) const {
    const uint64_t l = idx / n, i = idx - l * n;
    const uint64_t j = (i * k) & (2 * n - 1);
    const uint64_t v = in[idx], q = mods[l].q;
    if (j < n)
      out[l * n + j] = v;
    else
      out[l * n + j - n] = v == 0 ? 0 : q - v;
  }
};

// ModDown's last step: (acc - conv) * P^-1 (+ add).
struct ModDownFinish {
  const uint64_t *acc, *conv, *pinv, *add;
  uint64_t* out;
  uint64_t n;
  const ModConst* mods;
  PPML_HD void operator()(uint64_t idx) const {
    const uint64_t l = idx / n;
    const ModConst& m = mods[l];
    uint64_t r = mul_mod(sub_mod(acc[idx], conv[idx], m.q), pinv[l], m);
    if (add) r = add_mod(r, add[idx], m.q);
    out[idx] = r;
  }
};

// Rescale: idx = (batch * limbs + i) * n + k; last limbs of the batches at stride n.
struct RescaleLift {
  const uint64_t* last;
  uint64_t ql, half;
  uint64_t* t;
  uint64_t limbs, n;
  const ModConst* mods;
  PPML_HD void operator()(uint64_t idx) const {
    const uint64_t row = idx / n, k = idx - row * n;
    const uint64_t b = row / limbs, l = row - b * limbs;
    const ModConst& m = mods[l];
    const uint64_t r = add_mod(last[b * n + k], half, ql);
    t[idx] = sub_mod(reduce64(r, m), reduce64(half, m), m.q);
  }
};

struct SubMulScalars {
  const uint64_t *a, *t, *inv;
  uint64_t* out;
  uint64_t n;
  const ModConst* mods;
  PPML_HD void operator()(uint64_t idx) const {
    const uint64_t l = idx / n;
    const ModConst& m = mods[l];
    out[idx] = mul_mod(sub_mod(a[idx], t[idx], m.q), inv[l], m);
  }
};

// Fast base conversion of coefficient k (rns::BaseConverter, bit for bit): y_i computed
// once and kept in `y` (kMaxFrom words), then every target. The floating-point alpha
// uses explicit round-to-nearest operations (no FMA contraction), in the CPU's order.
constexpr uint32_t kMaxFrom = 64;

PPML_HD double fmul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
PPML_HD double fadd_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
PPML_HD double u64_to_double(uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __ull2double_rn(x);
#else
  return static_cast<double>(x);
#endif
}

PPML_HD void convert_one(const uint64_t* in, uint64_t* out, const ConvPlan& plan, ConvMode mode, uint64_t n,
                          const ModConst* mods, uint64_t k) {
  uint64_t y[kMaxFrom];
  const uint32_t kb = plan.from_count;
  for (uint32_t i = 0; i < kb; ++i) {
    const uint64_t q = mods[plan.from_prime[i]].q;
    y[i] = mul_shoup(in[i * n + k], plan.inv_punct[i], plan.inv_punct_shoup[i], q);
  }
  uint64_t alpha = 0;
  if (mode != ConvMode::Approx) {
    double s = 0.0;
    for (uint32_t i = 0; i < kb; ++i) s = fadd_rn(s, fmul_rn(u64_to_double(y[i]), plan.inv_q[i]));
    double v = floor(fadd_rn(s, 0.5));
    if (mode == ConvMode::Exact && fadd_rn(s, -v) < 0) v = fadd_rn(v, -1.0);
    alpha = static_cast<uint64_t>(v);
  }
  for (uint32_t t = 0; t < plan.to_count; ++t) {
    const ModConst m = mods[plan.to_prime[t]];
    uint64_t r;
    if (kb == 1 && mode == ConvMode::Approx) {
      r = reduce64(in[k], m);  // convert_approx's one-prime case: x itself
    } else {
      const uint64_t* c = plan.punct_mod + uint64_t(t) * kb;
      u128 acc = 0;
      for (uint32_t i = 0; i < kb; ++i) {
        acc += static_cast<u128>(y[i]) * c[i];
        if ((i & 31) == 31) acc = reduce128(acc, m);  // products < 2^122: 32 fit
      }
      r = reduce128(acc, m);
    }
    if (mode != ConvMode::Approx) r = sub_mod(r, mul_mod(reduce64(alpha, m), plan.q_mod[t], m), m.q);
    if (plan.h) r = sub_mod(r, plan.h[t], m.q);
    out[uint64_t(plan.to_slot[t]) * n + k] = r;
  }
}

// Key-switching inner product at idx = t * n + k (rlwe::apply_switch_key).
PPML_HD void inner_product_one(const uint64_t* digits, uint32_t digit_count, uint64_t digit_stride, const uint32_t* perm,
                           const uint64_t* kb, const uint64_t* ka, uint64_t qp_count, uint64_t* acc0, uint64_t* acc1,
                           int level, uint64_t q_count, uint64_t n, const ModConst* mods, uint64_t idx) {
  const uint64_t t = idx / n, k = idx - t * n;
  const uint64_t ki = t <= static_cast<uint64_t>(level) ? t : q_count + (t - level - 1);
  const ModConst m = mods[ki];
  const uint64_t src = t * n + (perm ? perm[k] : k);
  u128 s0 = 0, s1 = 0;
  for (uint32_t j = 0; j < digit_count; ++j) {
    const uint64_t d = digits[j * digit_stride + src];
    const uint64_t key = (j * qp_count + ki) * n + k;
    s0 += static_cast<u128>(d) * kb[key];
    s1 += static_cast<u128>(d) * ka[key];
    if ((j & 31) == 31) s0 = reduce128(s0, m), s1 = reduce128(s1, m);
  }
  acc0[idx] = reduce128(s0, m);
  acc1[idx] = reduce128(s1, m);
}

// idx = batch * n + k.
struct BaseConvert {
  const uint64_t* in;
  uint64_t* out;
  ConvPlan plan;
  ConvMode mode;
  uint64_t n;
  const ModConst* mods;
  uint64_t in_stride, out_stride;
  PPML_HD void operator()(uint64_t idx) const {
    const uint64_t b = idx / n, k = idx - b * n;
    convert_one(in + b * in_stride, out + b * out_stride, plan, mode, n, mods, k);
  }
};

struct InnerProduct {
  const uint64_t* digits;
  uint32_t digit_count;
  uint64_t digit_stride;
  const uint32_t* perm;
  const uint64_t *kb, *ka;
  uint64_t qp_count;
  uint64_t *acc0, *acc1;
  int level;
  uint64_t q_count, n;
  const ModConst* mods;
  PPML_HD void operator()(uint64_t idx) const {
    inner_product_one(digits, digit_count, digit_stride, perm, kb, ka, qp_count, acc0, acc1, level, q_count, n, mods, idx);
  }
};

}  // namespace ppml::gpu::body
