// The IFMA52 arithmetic shared by the AVX-512 IFMA element-wise units (q < 2^50): the
// broadcast constants of a modulus, conditional subtraction, Barrett reductions of 104-bit
// and 52-bit values, and Shoup products by a scalar. Internal linkage on purpose, as in
// rns/lanes64_avx512.hpp: only units built with IFMA flags include it.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "math/modulus.hpp"
#include "rns/lanes64_avx512.hpp"

namespace ppml::rns::detail {
namespace {

using lanes64::for_each_vec;

constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;

// Broadcast constants of one modulus q < 2^50 with L = bits(q) <= 50.
struct Ifma {
  __m512i q, neg_q;   // q and 2^52 - q (so that lo52(h * neg_q) = -h * q mod 2^52)
  __m512i barrett;    // floor(2^(L+51) / q), capped at 2^52 - 1
  __m512i ratio;      // floor(2^52 / q)
  __m512i pow52;      // 2^52 mod q
  __m512i mask52;
  __m128i shl, shr;   // 53 - L and L - 1

  explicit Ifma(const math::Modulus& m)
      : q(_mm512_set1_epi64(static_cast<long long>(m.value()))),
        neg_q(_mm512_set1_epi64(static_cast<long long>((uint64_t{1} << 52) - m.value()))),
        barrett(_mm512_set1_epi64(static_cast<long long>(m.barrett52()))),
        ratio(_mm512_set1_epi64(static_cast<long long>(m.ratio52()))),
        pow52(_mm512_set1_epi64(static_cast<long long>(m.pow52()))),
        mask52(_mm512_set1_epi64(static_cast<long long>(kMask52))),
        shl(_mm_cvtsi32_si128(53 - m.bits())),
        shr(_mm_cvtsi32_si128(m.bits() - 1)) {}
};

// x - q if x >= q else x, for x < 2^63 (x - q wraps above x when x < q).
inline __m512i csub(__m512i x, __m512i q) { return _mm512_min_epu64(x, _mm512_sub_epi64(x, q)); }

// x mod q for x = hi * 2^52 + lo < 2^(2L), hi < 2^52, lo < 2^53 (lo may carry one bit).
// q1 = floor(x / 2^(L-1)) < 2^(L+1) <= 2^51 fits the 52-bit multiplier input;
// qhat = floor(q1 * barrett / 2^52) is floor(x / q) - {0, 1, 2}, so r = x - qhat * q is in
// [0, 3q) < 2^52 and is exactly (lo - qhat * q) mod 2^52.
inline __m512i reduce_lohi(__m512i lo, __m512i hi, const Ifma& c) {
  __m512i q1 = _mm512_add_epi64(_mm512_sll_epi64(hi, c.shl), _mm512_srl_epi64(lo, c.shr));
  __m512i qhat = _mm512_madd52hi_epu64(_mm512_setzero_si512(), q1, c.barrett);
  __m512i r = _mm512_and_si512(_mm512_madd52lo_epu64(lo, qhat, c.neg_q), c.mask52);
  return csub(csub(r, c.q), c.q);
}

// x mod q for x < 2^52 and any q: qhat = floor(x * floor(2^52/q) / 2^52) is floor(x/q) - {0, 1}.
inline __m512i reduce52(__m512i x, const Ifma& c) {
  __m512i qhat = _mm512_madd52hi_epu64(_mm512_setzero_si512(), x, c.ratio);
  __m512i r = _mm512_and_si512(_mm512_madd52lo_epu64(x, qhat, c.neg_q), c.mask52);
  return csub(r, c.q);
}

// floor(w 2^52 / q): the 52-bit Shoup quotient of a scalar w < q.
inline uint64_t shoup52(uint64_t w, const math::Modulus& m) {
  return static_cast<uint64_t>((static_cast<math::u128>(w) << 52) / m.value());
}

// y w mod q in [0, 2q) for y < 2^52 and a scalar w < q with ws = shoup52(w) (Shoup:
// three IFMA ops, the low products taken mod 2^52 and masked back).
inline __m512i mul_shoup52(__m512i y, __m512i w, __m512i ws, const Ifma& c) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i quot = _mm512_madd52hi_epu64(zero, y, ws);
  return _mm512_and_si512(_mm512_madd52lo_epu64(_mm512_madd52lo_epu64(zero, y, w), quot, c.neg_q), c.mask52);
}

// out = a * b + acc mod q for a, b, acc in [0, q): a * b + acc < q^2 + q <= 2^(2L).
inline __m512i mul_add_vec(__m512i a, __m512i b, __m512i acc, const Ifma& c) {
  __m512i lo = _mm512_madd52lo_epu64(acc, a, b);
  __m512i hi = _mm512_madd52hi_epu64(_mm512_setzero_si512(), a, b);
  return reduce_lohi(lo, hi, c);
}

}  // namespace
}  // namespace ppml::rns::detail
