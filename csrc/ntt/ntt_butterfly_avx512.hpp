// Harvey's lazy butterflies on 8 x 64-bit lanes for the AVX-512 negacyclic NTTs, with
// the modular multiplication as a policy `A`: 52-bit IFMA (ntt_avx512ifma.cpp) or 64-bit
// lanes with 32-bit products (ntt_avx512.cpp). Value ranges are stated per function.
// [Harvey 2014, "Faster arithmetic for number-theoretic transforms"; Intel HEXL ntt/]
//
// Policy `A` provides: members q, q2 (= 2q) broadcast; `Twiddle twiddle(w, ws)`;
// `mul_lazy(y, tw)` = y * w mod q in [0, 2q) for y < kGrowBound; `mul_lazy_grow(y, tw)`,
// the same but only modulo 2^64 / kGrowBound (see fwd_bfly); `one()`, the twiddle 1
// with its quotient; kMaxPassLayers; and the Shoup quotient tables it reads (`shoup(t)`,
// `inv_shoup(t)`, `inv_n_shoup(t)`, `inv_n_w_shoup(t)`).
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace ppml::ntt::detail {
// Internal linkage on purpose: the IFMA and DQ translation units are compiled with
// different ISA flags, so no inline function of this header may be merged across them.
namespace {

using V = __m512i;

inline V load(const uint64_t* p) { return _mm512_loadu_si512(p); }
inline void store(uint64_t* p, V v) { _mm512_storeu_si512(p, v); }
inline V index_vector(uint64_t i0, uint64_t i1, uint64_t i2, uint64_t i3, uint64_t i4, uint64_t i5,
                      uint64_t i6, uint64_t i7) {
  return _mm512_set_epi64(i7, i6, i5, i4, i3, i2, i1, i0);
}

// x in [0, 2^64) with x < 2b: x mod b for b = q or 2q (unsigned min picks x - b unless
// it wrapped around).
inline V reduce_once(V x, V b) { return _mm512_min_epu64(x, _mm512_sub_epi64(x, b)); }

// Cooley-Tukey: x, y in [0, 4q) -> x + wy, x - wy in [0, 4q). Without kReduceX, x is
// used as it is: below 2q in the first layer (input in [0, q)), or anywhere in the
// growing mode (see FwdMode), where outputs are below x + 2q. With kGrow the lanes hold
// their values only modulo 2^52 for IFMA (bits above are carries the mask would clear):
// nothing compares them, IFMA reads only the low 52 bits of a multiplicand, and 64-bit
// sums keep every residue modulo 2^52, so the grown transform drops that mask and only
// its final reduction (reduce_grown) takes the value back to [0, q).
template <bool kReduceX = true, bool kGrow = false, class A>
inline void fwd_bfly(const A& ar, V& x, V& y, const typename A::Twiddle& w) {
  const V xr = kReduceX ? reduce_once(x, ar.q2) : x;
  const V t = kGrow ? ar.mul_lazy_grow(y, w) : ar.mul_lazy(y, w);
  x = _mm512_add_epi64(xr, t);
  y = _mm512_sub_epi64(_mm512_add_epi64(xr, ar.q2), t);
}

// Gentleman-Sande: x, y in [0, 2q) -> x + y, (x - y) w in [0, 2q). kInputReduced: x, y
// are in [0, q) (the first layer), so x + y needs no reduction.
template <bool kInputReduced = false, class A>
inline void inv_bfly(const A& ar, V& x, V& y, const typename A::Twiddle& w) {
  const V s = _mm512_add_epi64(x, y);
  const V d = _mm512_sub_epi64(_mm512_add_epi64(x, ar.q2), y);
  x = kInputReduced ? s : reduce_once(s, ar.q2);
  y = ar.mul_lazy(d, w);
}

// The inverse layer with m = 1: n^-1 merged into both outputs, which end in [0, q).
template <class A>
inline void inv_last_bfly(const A& ar, V& x, V& y, const typename A::Twiddle& ninv,
                          const typename A::Twiddle& ninv_w) {
  const V s = _mm512_add_epi64(x, y);  // [0, 4q): a valid multiplicand, no reduction needed
  const V d = _mm512_sub_epi64(_mm512_add_epi64(x, ar.q2), y);
  x = reduce_once(ar.mul_lazy(s, ninv), ar.q);
  y = reduce_once(ar.mul_lazy(d, ninv_w), ar.q);
}

template <class A>
inline typename A::Twiddle broadcast(const A& ar, const uint64_t* w, const uint64_t* ws, uint64_t i) {
  return ar.twiddle(_mm512_set1_epi64(static_cast<long long>(w[i])),
                    _mm512_set1_epi64(static_cast<long long>(ws[i])));
}

}  // namespace
}  // namespace ppml::ntt::detail
