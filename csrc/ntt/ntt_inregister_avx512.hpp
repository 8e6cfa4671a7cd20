// The four NTT layers with gap <= 8 inside two AVX-512 registers per 16 coefficients:
// lane permutes between layers chosen so each layer's twiddles are one broadcast load.
// [Harvey 2014; Intel HEXL ntt/fwd-ntt-avx512.cpp (FwdT1/T2/T4), with a different layout]
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "ntt/ntt_butterfly_avx512.hpp"
#include "ntt/ntt_tables.hpp"

namespace ppml::ntt::detail {
namespace {  // internal linkage, as in ntt_butterfly_avx512.hpp

// Perfect shuffle of the 16 lanes of (lo, hi) and its inverse. Starting from natural
// order, each shuffle brings the pairs of the next smaller gap into matching lanes of the
// two registers, with the groups of that layer in the order a broadcast load yields:
//   gap 8: x = 0..7 (natural)                  one group, vpbroadcastq
//   gap 4: x = 0,8,1,9,2,10,3,11               groups 0,1,0,1,...: vbroadcasti64x2
//   gap 2: x = 0,4,8,12,1,5,9,13               groups 0,1,2,3,0,...: vbroadcasti64x4
//   gap 1: x = 0,2,4,...,14                    groups 0..7: a plain load
// so every twiddle comes straight from root_powers without a permute; a fourth shuffle
// restores natural order (the perfect shuffle of 16 = 2^4 elements has order 4).
struct Shuffle16 {
  V lo_idx, hi_idx, even_idx, odd_idx;
  Shuffle16()
      : lo_idx(index_vector(0, 8, 1, 9, 2, 10, 3, 11)),
        hi_idx(index_vector(4, 12, 5, 13, 6, 14, 7, 15)),
        even_idx(index_vector(0, 2, 4, 6, 8, 10, 12, 14)),
        odd_idx(index_vector(1, 3, 5, 7, 9, 11, 13, 15)) {}
  void interleave(V& x, V& y) const {
    const V lo = _mm512_permutex2var_epi64(x, lo_idx, y);
    y = _mm512_permutex2var_epi64(x, hi_idx, y);
    x = lo;
  }
  void deinterleave(V& x, V& y) const {
    const V even = _mm512_permutex2var_epi64(x, even_idx, y);
    y = _mm512_permutex2var_epi64(x, odd_idx, y);
    x = even;
  }
};

// p[0], p[1] repeated over the 8 lanes (vbroadcasti64x2), and p[0..3] (vbroadcasti64x4).
inline V load_x2(const uint64_t* p) {
  return _mm512_broadcast_i64x2(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline V load_x4(const uint64_t* p) {
  return _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// Forward layers with gap 8, 4, 2, 1 on the K 16-coefficient blocks from block b, then
// the final reduction to [0, q). K blocks side by side give the core K independent chains
// (each layer waits on the previous one's products and permutes). K = 4: the 64-bit
// lanes' Shoup product is a ~25-cycle chain (vpmullq alone takes 15 on Intel), which two
// chains left exposed (2^15, 54-bit q: 8% slower transforms); K = 8 spills registers.
template <int K, bool kGrow, class A>
inline void fwd_last4_blocks(const A& ar, uint64_t* a, const NttTables& t, const Shuffle16& sh,
                             const typename A::Twiddle& one, uint64_t b) {
  const uint64_t n = t.n();
  const uint64_t* w = t.root_powers();
  const uint64_t* ws = A::shoup(t);
  V x[K], y[K];
#pragma GCC unroll 4
  for (int k = 0; k < K; ++k) {
    x[k] = load(a + 16 * (b + k));
    y[k] = load(a + 16 * (b + k) + 8);
    fwd_bfly<!kGrow, kGrow>(ar, x[k], y[k], broadcast(ar, w, ws, n / 16 + b + k));
    sh.interleave(x[k], y[k]);
  }
#pragma GCC unroll 4
  for (int k = 0; k < K; ++k) {
    const uint64_t c = b + k;
    fwd_bfly<!kGrow, kGrow>(ar, x[k], y[k], ar.twiddle(load_x2(w + n / 8 + 2 * c), load_x2(ws + n / 8 + 2 * c)));
    sh.interleave(x[k], y[k]);
  }
#pragma GCC unroll 4
  for (int k = 0; k < K; ++k) {
    const uint64_t c = b + k;
    fwd_bfly<!kGrow, kGrow>(ar, x[k], y[k], ar.twiddle(load_x4(w + n / 4 + 4 * c), load_x4(ws + n / 4 + 4 * c)));
    sh.interleave(x[k], y[k]);
  }
#pragma GCC unroll 4
  for (int k = 0; k < K; ++k) {
    const uint64_t c = b + k;
    fwd_bfly<!kGrow, kGrow>(ar, x[k], y[k], ar.twiddle(load(w + n / 2 + 8 * c), load(ws + n / 2 + 8 * c)));
    if constexpr (kGrow) {
      x[k] = ar.reduce_grown(x[k], one);
      y[k] = ar.reduce_grown(y[k], one);
    } else {
      x[k] = reduce_once(reduce_once(x[k], ar.q2), ar.q);
      y[k] = reduce_once(reduce_once(y[k], ar.q2), ar.q);
    }
    sh.interleave(x[k], y[k]);
    store(a + 16 * c, x[k]);
    store(a + 16 * c + 8, y[k]);
  }
}

// The forward layers with gap 8, 4, 2, 1 on 16-coefficient blocks [b_begin, b_end), four
// blocks at a time while there are four.
template <bool kGrow, class A>
void fwd_last4(const A& ar, uint64_t* a, const NttTables& t, uint64_t b_begin, uint64_t b_end) {
  const Shuffle16 sh;
  const auto one = ar.one();
  uint64_t b = b_begin;
  for (; b + 4 <= b_end; b += 4) fwd_last4_blocks<4, kGrow>(ar, a, t, sh, one, b);
  for (; b + 2 <= b_end; b += 2) fwd_last4_blocks<2, kGrow>(ar, a, t, sh, one, b);
  if (b < b_end) fwd_last4_blocks<1, kGrow>(ar, a, t, sh, one, b);
}

// The inverse layers with gap 1, 2, 4, 8 on the K blocks from block b, mirroring
// fwd_last4_blocks, reading `in` and writing `a` (the same array or another). With kLast
// (n = 16) the gap-8 layer is the m = 1 layer and carries n^-1.
template <int K, bool kLast, class A>
inline void inv_first4_blocks(const A& ar, const uint64_t* in, uint64_t* a, const NttTables& t, const Shuffle16& sh,
                              const typename A::Twiddle& ninv, const typename A::Twiddle& ninv_w, uint64_t b) {
  const uint64_t n = t.n();
  const uint64_t* w = t.inv_root_powers();
  const uint64_t* ws = A::inv_shoup(t);
  V x[K], y[K];
#pragma GCC unroll 4
  for (int k = 0; k < K; ++k) {
    const uint64_t c = b + k;
    x[k] = load(in + 16 * c);
    y[k] = load(in + 16 * c + 8);
    sh.deinterleave(x[k], y[k]);
    inv_bfly<true>(ar, x[k], y[k], ar.twiddle(load(w + n / 2 + 8 * c), load(ws + n / 2 + 8 * c)));
  }
#pragma GCC unroll 4
  for (int k = 0; k < K; ++k) {
    const uint64_t c = b + k;
    sh.deinterleave(x[k], y[k]);
    inv_bfly(ar, x[k], y[k], ar.twiddle(load_x4(w + n / 4 + 4 * c), load_x4(ws + n / 4 + 4 * c)));
  }
#pragma GCC unroll 4
  for (int k = 0; k < K; ++k) {
    const uint64_t c = b + k;
    sh.deinterleave(x[k], y[k]);
    inv_bfly(ar, x[k], y[k], ar.twiddle(load_x2(w + n / 8 + 2 * c), load_x2(ws + n / 8 + 2 * c)));
  }
#pragma GCC unroll 4
  for (int k = 0; k < K; ++k) {
    const uint64_t c = b + k;
    sh.deinterleave(x[k], y[k]);
    if constexpr (kLast) {
      inv_last_bfly(ar, x[k], y[k], ninv, ninv_w);
    } else {
      inv_bfly(ar, x[k], y[k], broadcast(ar, w, ws, n / 16 + c));
    }
    store(a + 16 * c, x[k]);
    store(a + 16 * c + 8, y[k]);
  }
}

// The inverse layers with gap 1, 2, 4, 8 on 16-coefficient blocks [b_begin, b_end), from
// `in` to `a`.
template <bool kLast, class A>
void inv_first4(const A& ar, const uint64_t* in, uint64_t* a, const NttTables& t, uint64_t b_begin, uint64_t b_end,
                const typename A::Twiddle& ninv, const typename A::Twiddle& ninv_w) {
  const Shuffle16 sh;
  uint64_t b = b_begin;
  for (; b + 4 <= b_end; b += 4) inv_first4_blocks<4, kLast>(ar, in, a, t, sh, ninv, ninv_w, b);
  for (; b + 2 <= b_end; b += 2) inv_first4_blocks<2, kLast>(ar, in, a, t, sh, ninv, ninv_w, b);
  if (b < b_end) inv_first4_blocks<1, kLast>(ar, in, a, t, sh, ninv, ninv_w, b);
}

}  // namespace
}  // namespace ppml::ntt::detail
