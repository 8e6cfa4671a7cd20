// AVX-512 IFMA52 kernels of bfv/lift.hpp for primes < 2^50: products split by
// vpmadd52luq / vpmadd52huq into 52-bit halves accumulated in separate 64-bit lanes, a
// partial fold every 8 terms, one final reduction per output; the centered lift's
// correction alpha (HPS 2018, Lemma 2) from a double-precision sum of y_i / q_i, and the
// product's rounding from a 52-bit fixed-point fraction. Bit-identical to the scalar
// conversion (tests/bfv/test_bfv_kernels.py); the scaling may differ from the scalar one
// by one unit of rounding (noise only, see scale_round.hpp).
#include <immintrin.h>

#include "he/bfv/context.hpp"
#include "he/bfv/lift.hpp"

namespace ppml::bfv::detail {
namespace {

constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;
constexpr int kMaxLimbs = 64;

struct Target {
  __m512i p, p2, ratio, pow52, pow52s;
  explicit Target(const Ifma52Modulus& m)
      : p(_mm512_set1_epi64(static_cast<long long>(m.p))),
        p2(_mm512_set1_epi64(static_cast<long long>(2 * m.p))),
        ratio(_mm512_set1_epi64(static_cast<long long>(m.ratio))),
        pow52(_mm512_set1_epi64(static_cast<long long>(m.pow52))),
        pow52s(_mm512_set1_epi64(static_cast<long long>(m.pow52_shoup))) {}
};

inline __m512i bcast(uint64_t v) { return _mm512_set1_epi64(static_cast<long long>(v)); }
inline __m512i csub(__m512i x, __m512i q) { return _mm512_min_epu64(x, _mm512_sub_epi64(x, q)); }

// x mod p in [0, 3p) for x < 2^52 (qhat = floor(x floor(2^52/p) / 2^52) >= floor(x/p) - 2).
inline __m512i reduce52(__m512i x, const Target& c, __m512i mask) {
  __m512i qh = _mm512_madd52hi_epu64(_mm512_setzero_si512(), x, c.ratio);
  return _mm512_and_si512(_mm512_sub_epi64(x, _mm512_madd52lo_epu64(_mm512_setzero_si512(), qh, c.p)), mask);
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
  const __m512i z = _mm512_setzero_si512();
  hi = _mm512_add_epi64(hi, _mm512_srli_epi64(lo, 52));
  lo = _mm512_and_si512(lo, mask);
  // hi * (2^52 mod p) by Shoup on 52 bits: in [0, 2p).
  __m512i qh = _mm512_madd52hi_epu64(z, hi, c.pow52s);
  __m512i a = _mm512_and_si512(
      _mm512_sub_epi64(_mm512_madd52lo_epu64(z, hi, c.pow52), _mm512_madd52lo_epu64(z, qh, c.p)), mask);
  __m512i s = _mm512_add_epi64(a, reduce52(lo, c, mask));  // < 5p
  return csub(csub(csub(s, c.p2), c.p2), c.p);
}

// sum_i v[i] * coef[i] (+ lo0) mod p over `count` 52-bit vectors.
inline __m512i dot(const __m512i* v, const uint64_t* coef, std::size_t count, __m512i lo0, __m512i extra,
                   uint64_t extra_coef, const Target& c, __m512i mask) {
  __m512i lo = _mm512_madd52lo_epu64(lo0, extra, bcast(extra_coef));
  __m512i hi = _mm512_madd52hi_epu64(_mm512_setzero_si512(), extra, bcast(extra_coef));
  for (std::size_t i = 0; i < count; ++i) {
    const __m512i w = bcast(coef[i]);
    lo = _mm512_madd52lo_epu64(lo, v[i], w);
    hi = _mm512_madd52hi_epu64(hi, v[i], w);
    if ((i & 7) == 6) partial_fold(lo, hi, c, mask);
  }
  return fold(lo, hi, c, mask);
}

}  // namespace

void lift_centered_avx512ifma(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n) {
  const std::size_t kf = c.q.size(), kt = c.to.size();
  const __m512i mask = bcast(kMask52), z = _mm512_setzero_si512();
  std::vector<Target> targets(c.to.begin(), c.to.end());
  __m512i y[kMaxLimbs];
  const __m512d half = _mm512_set1_pd(0.5);
  for (std::size_t k = 0; k < n; k += 8) {
    __m512d s = half;
    for (std::size_t i = 0; i < kf; ++i) {
      // y_i = x_i (Q/q_i)^-1 mod q_i (Shoup on 52 bits, then one conditional subtraction).
      const __m512i x = _mm512_loadu_si512(in + i * n + k), q = bcast(c.q[i]);
      __m512i qh = _mm512_madd52hi_epu64(z, x, bcast(c.qhat_inv_shoup[i]));
      __m512i r = _mm512_and_si512(
          _mm512_sub_epi64(_mm512_madd52lo_epu64(z, x, bcast(c.qhat_inv[i])), _mm512_madd52lo_epu64(z, qh, q)), mask);
      y[i] = csub(r, q);
      s = _mm512_fmadd_pd(_mm512_cvtepu64_pd(y[i]), _mm512_set1_pd(c.inv_q[i]), s);
    }
    // alpha = round(sum y_i / q_i): x = sum y_i Q/q_i - alpha Q is the centered lift.
    const __m512i alpha = _mm512_cvttpd_epu64(s);
    for (std::size_t j = 0; j < kt; ++j)
      _mm512_storeu_si512(out + j * n + k,
                          dot(y, c.punctured.data() + j * kf, kf, z, alpha, c.neg_q[j], targets[j], mask));
  }
}

void scale_to_aux_avx512ifma(const LevelTables& lt, const std::vector<Ifma52Modulus>& aux, const uint64_t* xq,
                             const uint64_t* yb, uint64_t* out, std::size_t n) {
  const std::size_t count = lt.level + 1, kb = aux.size();
  const __m512i mask = bcast(kMask52), z = _mm512_setzero_si512(), round = bcast(uint64_t{1} << 51);
  std::vector<Target> targets(aux.begin(), aux.end());
  uint64_t frac52[kMaxLimbs];
  for (std::size_t i = 0; i < count; ++i) frac52[i] = lt.frac[i] >> 12;
  __m512i x[kMaxLimbs];
  for (std::size_t k = 0; k < n; k += 8) {
    // R = round(sum_i x_i r_i / q_i) from the 52-bit fraction (error < count * 2^-2).
    __m512i flo = round, fhi = z;
    for (std::size_t i = 0; i < count; ++i) {
      x[i] = _mm512_loadu_si512(xq + i * n + k);
      flo = _mm512_madd52lo_epu64(flo, x[i], bcast(frac52[i]));
      fhi = _mm512_madd52hi_epu64(fhi, x[i], bcast(frac52[i]));
    }
    const __m512i r = _mm512_add_epi64(fhi, _mm512_srli_epi64(flo, 52));
    for (std::size_t j = 0; j < kb; ++j) {
      const __m512i yj = _mm512_loadu_si512(yb + j * n + k);
      _mm512_storeu_si512(out + j * n + k, dot(x, lt.w.data() + j * count, count, r, yj, lt.v[j], targets[j], mask));
    }
  }
}

}  // namespace ppml::bfv::detail
