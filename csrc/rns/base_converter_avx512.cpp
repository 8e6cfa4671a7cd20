// AVX-512 kernels of the exact base conversion (rns/base_converter.cpp): the estimate of
// alpha = round(sum_i y_i / q_i) [Halevi-Polyakov-Shoup 2018, Lemma 2] in double lanes,
// the same operations in the same order as the scalar loop (no fused multiply-add), and
// the subtraction of alpha Q mod p from a table. Bit-identical to the scalar code.
#pragma GCC optimize("fp-contract=off")
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "rns/exact_alpha.hpp"

namespace ppml::rns::detail {

// alpha[k] for the coefficients k in [k0, k1) of kb rows of n words, kAlphaUnsure where
// the doubles cannot decide (within `margin` of the boundary).
void exact_alpha_avx512(const uint64_t* y, std::size_t kb, std::size_t n, std::size_t k0, std::size_t k1,
                        const double* inv_q, bool centered, double margin, uint64_t* alpha) {
  const __m512d half = _mm512_set1_pd(0.5), one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
  const __m512d vmargin = _mm512_set1_pd(margin);
  const __m512i unsure = _mm512_set1_epi64(static_cast<long long>(kAlphaUnsure));
  std::size_t k = k0;
  for (; k + 8 <= k1; k += 8) {
    __m512d s = zero;
    for (std::size_t i = 0; i < kb; ++i)
      s = _mm512_add_pd(s, _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_loadu_si512(y + i * n + k)), _mm512_set1_pd(inv_q[i])));
    __m512d v = _mm512_roundscale_pd(_mm512_add_pd(s, half), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512d r = _mm512_sub_pd(s, v);  // in [-1/2, 1/2)
    const __m512d dist = _mm512_abs_pd(r);
    // The boundary: the integer for the plain lift, +-1/2 for the centered one.
    const __mmask8 near = centered ? _mm512_cmp_pd_mask(_mm512_sub_pd(half, dist), vmargin, _CMP_LT_OQ)
                                   : _mm512_cmp_pd_mask(dist, vmargin, _CMP_LT_OQ);
    if (!centered) v = _mm512_mask_sub_pd(v, _mm512_cmp_pd_mask(r, zero, _CMP_LT_OQ), v, one);
    _mm512_storeu_si512(alpha + k, _mm512_mask_mov_epi64(_mm512_cvttpd_epu64(v), near, unsure));
  }
  for (; k < k1; ++k) {
    double s = 0.0;
    for (std::size_t i = 0; i < kb; ++i) s += static_cast<double>(y[i * n + k]) * inv_q[i];
    alpha[k] = rounded_alpha(s, centered, margin);
  }
}

// out[k] = out[k] - table[alpha[k]] mod p (table[a] = a Q mod p for a < entries, out and
// table in [0, p)). Up to 16 entries the table sits in two registers and one permute
// picks each lane's entry (vpermt2q) instead of a gather of 8 loads (2.5% of a 2^16
// rotation's profile on AMD EPYC, whose gathers are slow).
void subtract_alpha_avx512(uint64_t* out, const uint64_t* alpha, const uint64_t* table, std::size_t entries,
                           std::size_t n, uint64_t p) {
  const __m512i vp = _mm512_set1_epi64(static_cast<long long>(p));
  auto subtract = [&](std::size_t k, __m512i t) {
    __m512i d = _mm512_sub_epi64(_mm512_loadu_si512(out + k), t);
    _mm512_storeu_si512(out + k, _mm512_min_epu64(d, _mm512_add_epi64(d, vp)));
  };
  std::size_t k = 0;
  if (entries <= 16) {
    const auto lanes = [](std::size_t c) { return static_cast<__mmask8>(c >= 8 ? 0xFF : (1u << c) - 1); };
    const __m512i lo = _mm512_maskz_loadu_epi64(lanes(entries), table);
    const __m512i hi = entries > 8 ? _mm512_maskz_loadu_epi64(lanes(entries - 8), table + 8) : _mm512_setzero_si512();
    for (; k + 8 <= n; k += 8) subtract(k, _mm512_permutex2var_epi64(lo, _mm512_loadu_si512(alpha + k), hi));
  } else {
    for (; k + 8 <= n; k += 8)
      subtract(k, _mm512_i64gather_epi64(_mm512_loadu_si512(alpha + k), reinterpret_cast<const long long*>(table), 8));
  }
  for (; k < n; ++k) out[k] = out[k] >= table[alpha[k]] ? out[k] - table[alpha[k]] : out[k] + p - table[alpha[k]];
}

}  // namespace ppml::rns::detail
