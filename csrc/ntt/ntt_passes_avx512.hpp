// The pass structure of the AVX-512 negacyclic NTTs: several layers per pass over memory
// (radix 2^L on 2^L vectors held in registers, two columns at a time), cache-blocked
// passes, and the in-register last (forward) or first (inverse) four layers.
// [Harvey 2014, "Faster arithmetic for number-theoretic transforms"; Intel HEXL ntt/]
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "ntt/ntt_butterfly_avx512.hpp"
#include "ntt/ntt_inregister_avx512.hpp"
#include "ntt/ntt_tables.hpp"

namespace ppml::ntt::detail {
namespace {  // internal linkage, as in ntt_butterfly_avx512.hpp

// Coefficients per cache block (32 KiB): passes after the first ones stay in L1.
constexpr uint64_t kBlock = uint64_t{1} << 12;

// Where the forward transform reduces x before its butterflies. kGrow applies when
// (1 + 2 log n) q is below the policy's kGrowBound: values then stay below that bound
// with no reduction at all (each layer adds less than 2q), which saves two of the nine
// vector operations of a butterfly (three with IFMA, whose lanes then go unmasked, see
// fwd_bfly); the last layer reduces fully with a Shoup product by 1. Small moduli
// (below about 2^47 for IFMA, 2^58 for 64-bit lanes, at n = 2^14) qualify.
enum FwdMode { kReduceAll, kSkipFirstLayer, kGrow };

// Forward layer l of a radix-2^L pass over v[0 .. 2^L): rows r and r + h of each of the
// 2^l sub-blocks, twiddle index (m0 + i) 2^l + sub-block.
// K columns side by side (column k in v[k 2^L ..]) share the twiddles.
template <int L, int l, FwdMode kMode, int K, class A>
inline void fwd_layers(const A& ar, V* v, uint64_t group, const uint64_t* w, const uint64_t* ws) {
  if constexpr (l < L) {
    constexpr int h = (1 << L) >> (l + 1);
#pragma GCC unroll 8
    for (int t = 0; t < (1 << l); ++t) {
      const auto tw = broadcast(ar, w, ws, (group << l) + t);
#pragma GCC unroll 8
      for (int r = 0; r < h; ++r) {
#pragma GCC unroll 2
        for (int k = 0; k < K; ++k) {
          V* c = v + (k << L);
          fwd_bfly<kMode == kReduceAll || (kMode == kSkipFirstLayer && l > 0), kMode == kGrow>(
              ar, c[2 * h * t + r], c[2 * h * t + r + h], tw);
        }
      }
    }
    fwd_layers<L, l + 1, kMode, K>(ar, v, group, w, ws);
  }
}

// L forward layers starting at the layer with m0 groups and gap g0, for the groups
// i in [i_begin, i_end) of that layer (each a contiguous span of 2 g0 coefficients),
// reading `in` and writing `a` (the same array but in the very first pass). With kShift
// the input is (in + shift) mod q, for in in [0, 2q) and shift in [0, q): the key-switching
// digits are raised, reduced and centred in this load instead of separate passes.
template <int L, FwdMode kMode, bool kShift = false, class A>
void fwd_pass(const A& ar, const uint64_t* in, uint64_t* a, uint64_t m0, uint64_t g0, uint64_t i_begin,
              uint64_t i_end, const uint64_t* w, const uint64_t* ws, V shift = _mm512_setzero_si512()) {
  constexpr int R = 1 << L;
  const uint64_t s = g0 >> (L - 1);  // gap of the pass's last layer, a multiple of 8
  auto read = [&](const uint64_t* p) {
    if constexpr (kShift) return reduce_once(reduce_once(_mm512_add_epi64(load(p), shift), ar.q2), ar.q);
    return load(p);
  };
  for (uint64_t i = i_begin; i < i_end; ++i) {
    const uint64_t* src = in + 2 * i * g0;
    uint64_t* base = a + 2 * i * g0;
    uint64_t j = 0;
    // Two columns at a time when there are two: independent chains for the core.
    for (; j + 16 <= s; j += 16) {
      V v[2 * R];
#pragma GCC unroll 16
      for (int k = 0; k < R; ++k) {
        v[k] = read(src + j + k * s);
        v[R + k] = read(src + j + 8 + k * s);
      }
      fwd_layers<L, 0, kMode, 2>(ar, v, m0 + i, w, ws);
#pragma GCC unroll 16
      for (int k = 0; k < R; ++k) {
        store(base + j + k * s, v[k]);
        store(base + j + 8 + k * s, v[R + k]);
      }
    }
    if (j < s) {
      V v[R];
#pragma GCC unroll 16
      for (int k = 0; k < R; ++k) v[k] = read(src + j + k * s);
      fwd_layers<L, 0, kMode, 1>(ar, v, m0 + i, w, ws);
#pragma GCC unroll 16
      for (int k = 0; k < R; ++k) store(base + j + k * s, v[k]);
    }
  }
}

// Inverse layer l of a radix-2^L pass: rows r and r + 2^l of each sub-block, twiddle
// index (m0 >> l) + i 2^(L-1-l) + sub-block. With kLast the pass's final layer is m = 1.
// K columns side by side (column k in v[k 2^L ..]) share the twiddles.
template <int L, int l, bool kLast, int K, class A>
inline void inv_layers(const A& ar, V* v, uint64_t m0, uint64_t i, const uint64_t* w, const uint64_t* ws,
                       const typename A::Twiddle& ninv, const typename A::Twiddle& ninv_w) {
  if constexpr (l < L) {
    constexpr int h = 1 << l;
    if constexpr (kLast && l == L - 1) {
#pragma GCC unroll 8
      for (int r = 0; r < h; ++r) {
#pragma GCC unroll 2
        for (int k = 0; k < K; ++k) inv_last_bfly(ar, v[(k << L) + r], v[(k << L) + r + h], ninv, ninv_w);
      }
    } else {
#pragma GCC unroll 8
      for (int t = 0; t < (1 << (L - 1 - l)); ++t) {
        const auto tw = broadcast(ar, w, ws, (m0 >> l) + (i << (L - 1 - l)) + t);
#pragma GCC unroll 8
        for (int r = 0; r < h; ++r) {
#pragma GCC unroll 2
          for (int k = 0; k < K; ++k) {
            V* c = v + (k << L);
            inv_bfly(ar, c[2 * h * t + r], c[2 * h * t + r + h], tw);
          }
        }
      }
    }
    inv_layers<L, l + 1, kLast, K>(ar, v, m0, i, w, ws, ninv, ninv_w);
  }
}

// L inverse layers starting at the layer with m0 groups and gap g0 (m0 >> (L-1) groups at
// the end), for the output groups i in [i_begin, i_end), each spanning 2^L g0 coefficients.
template <int L, bool kLast, class A>
void inv_pass(const A& ar, uint64_t* a, uint64_t m0, uint64_t g0, uint64_t i_begin, uint64_t i_end,
              const uint64_t* w, const uint64_t* ws, const typename A::Twiddle& ninv,
              const typename A::Twiddle& ninv_w) {
  constexpr int R = 1 << L;
  for (uint64_t i = i_begin; i < i_end; ++i) {
    uint64_t* base = a + i * R * g0;
    uint64_t j = 0;
    // Two columns at a time when there are two: independent chains for the core.
    for (; j + 16 <= g0; j += 16) {
      V v[2 * R];
#pragma GCC unroll 16
      for (int k = 0; k < R; ++k) {
        v[k] = load(base + j + k * g0);
        v[R + k] = load(base + j + 8 + k * g0);
      }
      inv_layers<L, 0, kLast, 2>(ar, v, m0, i, w, ws, ninv, ninv_w);
#pragma GCC unroll 16
      for (int k = 0; k < R; ++k) {
        store(base + j + k * g0, v[k]);
        store(base + j + 8 + k * g0, v[R + k]);
      }
    }
    if (j < g0) {
      V v[R];
#pragma GCC unroll 16
      for (int k = 0; k < R; ++k) v[k] = load(base + j + k * g0);
      inv_layers<L, 0, kLast, 1>(ar, v, m0, i, w, ws, ninv, ninv_w);
#pragma GCC unroll 16
      for (int k = 0; k < R; ++k) store(base + j + k * g0, v[k]);
    }
  }
}

// Splits the `layers` layers with gap >= 16 into passes of at most kMaxPass, largest first.
template <int kMaxPass>
inline int split_layers(int layers, int* sizes) {
  static_assert(kMaxPass >= 1 && kMaxPass <= 3, "run_fwd_pass/run_inv_pass dispatch 1 to 3 layers");
  const int count = (layers + kMaxPass - 1) / kMaxPass;
  for (int c = 0; c < count; ++c) sizes[c] = layers / count + (c < layers % count ? 1 : 0);
  return count;
}

template <FwdMode kMode, bool kShift = false, class A>
void run_fwd_pass(int L, const A& ar, const uint64_t* in, uint64_t* a, uint64_t m0, uint64_t g0, uint64_t i_begin,
                  uint64_t i_end, const uint64_t* w, const uint64_t* ws, V shift = _mm512_setzero_si512()) {
  switch (L) {
    case 1:
      return fwd_pass<1, kMode, kShift>(ar, in, a, m0, g0, i_begin, i_end, w, ws, shift);
    case 2:
      return fwd_pass<2, kMode, kShift>(ar, in, a, m0, g0, i_begin, i_end, w, ws, shift);
    default:
      return fwd_pass<3, kMode, kShift>(ar, in, a, m0, g0, i_begin, i_end, w, ws, shift);
  }
}

// The first pass starts at m = 1 and its input is in [0, q).
template <bool kShift = false, class A>
void run_fwd_pass(bool grow, int L, const A& ar, const uint64_t* in, uint64_t* a, uint64_t m0, uint64_t g0,
                  uint64_t i_begin, uint64_t i_end, const uint64_t* w, const uint64_t* ws,
                  V shift = _mm512_setzero_si512()) {
  if (grow) return run_fwd_pass<kGrow, kShift>(L, ar, in, a, m0, g0, i_begin, i_end, w, ws, shift);
  if (m0 == 1) return run_fwd_pass<kSkipFirstLayer, kShift>(L, ar, in, a, m0, g0, i_begin, i_end, w, ws, shift);
  run_fwd_pass<kReduceAll, kShift>(L, ar, in, a, m0, g0, i_begin, i_end, w, ws, shift);
}

template <bool kLast, class A>
void run_inv_pass(int L, const A& ar, uint64_t* a, uint64_t m0, uint64_t g0, uint64_t i_begin, uint64_t i_end,
                  const uint64_t* w, const uint64_t* ws, const typename A::Twiddle& ninv,
                  const typename A::Twiddle& ninv_w) {
  switch (L) {
    case 1:
      return inv_pass<1, kLast>(ar, a, m0, g0, i_begin, i_end, w, ws, ninv, ninv_w);
    case 2:
      return inv_pass<2, kLast>(ar, a, m0, g0, i_begin, i_end, w, ws, ninv, ninv_w);
    default:
      return inv_pass<3, kLast>(ar, a, m0, g0, i_begin, i_end, w, ws, ninv, ninv_w);
  }
}

// Forward: the passes whose groups exceed a cache block sweep the whole array; the rest,
// and the in-register last four layers, run block by block. Requires n >= 16. With `in`
// the transform reads (in + shift) mod q (in < 2q, shift < q) and writes `a`; `in` may be
// `a`.
template <class A>
void forward_avx512_passes(uint64_t* a, const NttTables& t, const uint64_t* in = nullptr, uint64_t shift = 0) {
  const A ar(t.q());
  const uint64_t n = t.n();
  const uint64_t* w = t.root_powers();
  const uint64_t* ws = A::shoup(t);
  int sizes[8];
  const int count = split_layers<A::kMaxPassLayers>(t.log_n() - 4, sizes);
  const uint64_t block = std::min(n, kBlock);
  const bool grow = t.q() < A::kGrowBound / (1 + 2 * static_cast<uint64_t>(t.log_n()));
  int c = 0;
  uint64_t m = 1, gap = n / 2;
  if (in && !(count > 0 && 2 * gap > block)) {
    // No whole-array pass to fold the load into (n <= one cache block): a short pre-pass.
    const V vs = _mm512_set1_epi64(static_cast<long long>(shift));
    for (uint64_t k = 0; k < n; k += 8)
      store(a + k, reduce_once(reduce_once(_mm512_add_epi64(load(in + k), vs), ar.q2), ar.q));
    in = nullptr;
  }
  for (; c < count && 2 * gap > block; ++c) {
    if (c == 0 && in) {
      run_fwd_pass<true>(grow, sizes[c], ar, in, a, m, gap, 0, m, w, ws,
                         _mm512_set1_epi64(static_cast<long long>(shift)));
    } else {
      run_fwd_pass(grow, sizes[c], ar, a, a, m, gap, 0, m, w, ws);
    }
    m <<= sizes[c];
    gap >>= sizes[c];
  }
  for (uint64_t b0 = 0; b0 < n; b0 += block) {
    uint64_t mb = m, gb = gap;
    for (int cb = c; cb < count; ++cb) {
      run_fwd_pass(grow, sizes[cb], ar, a, a, mb, gb, b0 / (2 * gb), (b0 + block) / (2 * gb), w, ws);
      mb <<= sizes[cb];
      gb >>= sizes[cb];
    }
    if (grow) {
      fwd_last4<true>(ar, a, t, b0 / 16, (b0 + block) / 16);
    } else {
      fwd_last4<false>(ar, a, t, b0 / 16, (b0 + block) / 16);
    }
  }
}

// Inverse: block by block while a pass's groups fit a cache block, then whole-array
// passes; the pass holding the m = 1 layer merges n^-1. Requires n >= 16. With `in` the
// first (in-register) layers read it instead of `a`: an out-of-place transform without a
// copy.
template <class A>
void inverse_avx512_passes(uint64_t* a, const NttTables& t, const uint64_t* in = nullptr) {
  if (!in) in = a;
  const A ar(t.q());
  const uint64_t n = t.n();
  const uint64_t* w = t.inv_root_powers();
  const uint64_t* ws = A::inv_shoup(t);
  const auto ninv = ar.twiddle(_mm512_set1_epi64(static_cast<long long>(t.inv_n())),
                               _mm512_set1_epi64(static_cast<long long>(A::inv_n_shoup(t))));
  const auto ninv_w = ar.twiddle(_mm512_set1_epi64(static_cast<long long>(t.inv_n_w())),
                                 _mm512_set1_epi64(static_cast<long long>(A::inv_n_w_shoup(t))));
  int sizes[8];
  const int count = split_layers<A::kMaxPassLayers>(t.log_n() - 4, sizes);
  std::reverse(sizes, sizes + count);  // the whole-array pass, if any, gets the most layers
  const uint64_t block = std::min(n, kBlock);
  // Passes [0, c_blk) run inside blocks: their output groups span <= block coefficients.
  int c_blk = 0;
  for (uint64_t span = 16; c_blk < count && (span << sizes[c_blk]) <= block; ++c_blk) span <<= sizes[c_blk];
  for (uint64_t b0 = 0; b0 < n; b0 += block) {
    if (count == 0) {
      inv_first4<true>(ar, in, a, t, b0 / 16, (b0 + block) / 16, ninv, ninv_w);
      continue;
    }
    inv_first4<false>(ar, in, a, t, b0 / 16, (b0 + block) / 16, ninv, ninv_w);
    uint64_t m = n / 32, gap = 16;
    for (int c = 0; c < c_blk; ++c) {
      const uint64_t span = gap << sizes[c];
      if (m >> (sizes[c] - 1) == 1) {
        run_inv_pass<true>(sizes[c], ar, a, m, gap, b0 / span, (b0 + block) / span, w, ws, ninv, ninv_w);
      } else {
        run_inv_pass<false>(sizes[c], ar, a, m, gap, b0 / span, (b0 + block) / span, w, ws, ninv, ninv_w);
      }
      m >>= sizes[c];
      gap <<= sizes[c];
    }
  }
  uint64_t m = n / 32, gap = 16;
  for (int c = 0; c < count; ++c) {
    if (c >= c_blk) {
      const uint64_t groups = n / (gap << sizes[c]);
      if (m >> (sizes[c] - 1) == 1) {
        run_inv_pass<true>(sizes[c], ar, a, m, gap, 0, groups, w, ws, ninv, ninv_w);
      } else {
        run_inv_pass<false>(sizes[c], ar, a, m, gap, 0, groups, w, ws, ninv, ninv_w);
      }
    }
    m >>= sizes[c];
    gap <<= sizes[c];
  }
}

}  // namespace
}  // namespace ppml::ntt::detail
