// 52-bit modular helpers shared by the IFMA lift kernels (lift_avx512ifma.cpp,
// lift_wide_avx512ifma.cpp). Include only from *_avx512ifma.cpp files: they need the
// AVX-512 F/DQ + IFMA52 compile flags those files get.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "he/bfv/lift.hpp"

namespace ppml::bfv::detail::ifma52 {

constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;
constexpr int kMaxLimbs = 64;  // the kernels keep one block of every limb in registers/stack
constexpr int kV = 4;          // 32 coefficients per block (n >= 1024 is a multiple)

inline __m512i bcast(uint64_t v) { return _mm512_set1_epi64(static_cast<long long>(v)); }
inline __m512i csub(__m512i x, __m512i q) { return _mm512_min_epu64(x, _mm512_sub_epi64(x, q)); }

// A target prime p < 2^50 in vector form.
struct Target {
  __m512i p, p2, ratio, pow52, pow52s, mont_inv, barrett;
  __m128i barrett_shift;
  explicit Target(const Ifma52Modulus& m)
      : p(bcast(m.p)), p2(bcast(2 * m.p)), ratio(bcast(m.ratio)), pow52(bcast(m.pow52)), pow52s(bcast(m.pow52_shoup)),
        mont_inv(bcast(m.mont_inv)), barrett(bcast(m.barrett)),
        barrett_shift(_mm_set1_epi64x(static_cast<long long>(m.barrett_shift))) {}
};

// x mod p in [0, 3p) for x < 2^52 (qhat = floor(x floor(2^52/p) / 2^52) >= floor(x/p) - 2).
inline __m512i reduce52(__m512i x, const Target& c, __m512i mask) {
  __m512i qh = _mm512_madd52hi_epu64(_mm512_setzero_si512(), x, c.ratio);
  return _mm512_and_si512(_mm512_sub_epi64(x, _mm512_madd52lo_epu64(_mm512_setzero_si512(), qh, c.p)), mask);
}

// x w mod p in [0, 2p) for x < 2^52, w < p, ws = floor(w 2^52 / p) (Shoup on 52 bits).
inline __m512i shoup52(__m512i x, __m512i w, __m512i ws, __m512i p, __m512i mask) {
  const __m512i z = _mm512_setzero_si512();
  __m512i qh = _mm512_madd52hi_epu64(z, x, ws);
  return _mm512_and_si512(_mm512_sub_epi64(_mm512_madd52lo_epu64(z, x, w), _mm512_madd52lo_epu64(z, qh, p)), mask);
}

// (hi, lo) with value hi 2^52 + lo -> hi < p, lo < 2^52 (same value mod p). Needs
// hi + lo / 2^52 < 2^52.
inline void partial_fold(__m512i& lo, __m512i& hi, const Target& c, __m512i mask) {
  hi = _mm512_add_epi64(hi, _mm512_srli_epi64(lo, 52));
  lo = _mm512_and_si512(lo, mask);
  hi = csub(csub(reduce52(hi, c, mask), c.p), c.p);
}

// (hi 2^52 + lo) mod p in [0, p), for hi + lo / 2^52 < 2^52.
inline __m512i fold(__m512i lo, __m512i hi, const Target& c, __m512i mask) {
  hi = _mm512_add_epi64(hi, _mm512_srli_epi64(lo, 52));
  lo = _mm512_and_si512(lo, mask);
  __m512i a = shoup52(hi, c.pow52, c.pow52s, c.p, mask);  // hi (2^52 mod p) in [0, 2p)
  __m512i s = _mm512_add_epi64(a, reduce52(lo, c, mask));  // < 5p
  return csub(csub(csub(s, c.p2), c.p2), c.p);
}

}  // namespace ppml::bfv::detail::ifma52
