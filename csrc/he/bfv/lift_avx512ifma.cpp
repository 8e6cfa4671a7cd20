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

// out[v] = (sum_i x[i][v] * coef[i] + extra[v] * extra_coef + lo0[v]) mod p for V
// independent vectors (V chains hide the IFMA latency).
template <int V>
inline void dot(const __m512i (*x)[V], const uint64_t* coef, std::size_t count, const __m512i* lo0,
                const __m512i* extra, uint64_t extra_coef, const Target& c, __m512i mask, uint64_t* out) {
  __m512i lo[V], hi[V];
  const __m512i e = bcast(extra_coef), z = _mm512_setzero_si512();
  for (int v = 0; v < V; ++v) {
    lo[v] = _mm512_madd52lo_epu64(lo0[v], extra[v], e);
    hi[v] = _mm512_madd52hi_epu64(z, extra[v], e);
  }
  for (std::size_t i = 0; i < count; ++i) {
    const __m512i w = bcast(coef[i]);
    for (int v = 0; v < V; ++v) {
      lo[v] = _mm512_madd52lo_epu64(lo[v], x[i][v], w);
      hi[v] = _mm512_madd52hi_epu64(hi[v], x[i][v], w);
    }
    if ((i & 7) == 6)
      for (int v = 0; v < V; ++v) partial_fold(lo[v], hi[v], c, mask);
  }
  for (int v = 0; v < V; ++v) _mm512_storeu_si512(out + 8 * v, fold(lo[v], hi[v], c, mask));
}

constexpr int kV = 4;  // 32 coefficients per block (n >= 1024 is a multiple)

}  // namespace

void lift_centered_avx512ifma(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n) {
  const std::size_t kf = c.q.size(), kt = c.to.size();
  const __m512i mask = bcast(kMask52), z = _mm512_setzero_si512();
  std::vector<Target> targets(c.to.begin(), c.to.end());
  __m512i y[kMaxLimbs][kV], alpha[kV], zero[kV];
  const __m512d half = _mm512_set1_pd(0.5);
  for (int v = 0; v < kV; ++v) zero[v] = z;
  for (std::size_t k = 0; k < n; k += 8 * kV) {
    __m512d s[kV];
    for (int v = 0; v < kV; ++v) s[v] = half;
    for (std::size_t i = 0; i < kf; ++i) {
      // y_i = x_i (Q/q_i)^-1 mod q_i (Shoup on 52 bits, then one conditional subtraction).
      const __m512i q = bcast(c.q[i]), w = bcast(c.qhat_inv[i]), ws = bcast(c.qhat_inv_shoup[i]);
      const __m512d iq = _mm512_set1_pd(c.inv_q[i]);
      for (int v = 0; v < kV; ++v) {
        const __m512i x = _mm512_loadu_si512(in + i * n + k + 8 * v);
        __m512i qh = _mm512_madd52hi_epu64(z, x, ws);
        __m512i r = _mm512_and_si512(_mm512_sub_epi64(_mm512_madd52lo_epu64(z, x, w), _mm512_madd52lo_epu64(z, qh, q)), mask);
        y[i][v] = csub(r, q);
        s[v] = _mm512_fmadd_pd(_mm512_cvtepu64_pd(y[i][v]), iq, s[v]);
      }
    }
    // alpha = round(sum y_i / q_i): x = sum y_i Q/q_i - alpha Q is the centered lift.
    for (int v = 0; v < kV; ++v) alpha[v] = _mm512_cvttpd_epu64(s[v]);
    for (std::size_t j = 0; j < kt; ++j)
      dot<kV>(y, c.punctured.data() + j * kf, kf, zero, alpha, c.neg_q[j], targets[j], mask, out + j * n + k);
  }
}

void scale_to_aux_avx512ifma(const LevelTables& lt, const std::vector<Ifma52Modulus>& aux, const uint64_t* xq,
                             const uint64_t* yb, uint64_t* out, std::size_t n) {
  const std::size_t count = lt.level + 1, kb = aux.size();
  const __m512i mask = bcast(kMask52), z = _mm512_setzero_si512(), round = bcast(uint64_t{1} << 51);
  std::vector<Target> targets(aux.begin(), aux.end());
  uint64_t frac52[kMaxLimbs];
  for (std::size_t i = 0; i < count; ++i) frac52[i] = lt.frac[i] >> 12;
  __m512i x[kMaxLimbs][kV], r[kV], yj[kV];
  for (std::size_t k = 0; k < n; k += 8 * kV) {
    // R = round(sum_i x_i r_i / q_i) from the 52-bit fraction (error < count * 2^-2).
    __m512i flo[kV], fhi[kV];
    for (int v = 0; v < kV; ++v) flo[v] = round, fhi[v] = z;
    for (std::size_t i = 0; i < count; ++i) {
      const __m512i f = bcast(frac52[i]);
      for (int v = 0; v < kV; ++v) {
        x[i][v] = _mm512_loadu_si512(xq + i * n + k + 8 * v);
        flo[v] = _mm512_madd52lo_epu64(flo[v], x[i][v], f);
        fhi[v] = _mm512_madd52hi_epu64(fhi[v], x[i][v], f);
      }
    }
    for (int v = 0; v < kV; ++v) r[v] = _mm512_add_epi64(fhi[v], _mm512_srli_epi64(flo[v], 52));
    for (std::size_t j = 0; j < kb; ++j) {
      for (int v = 0; v < kV; ++v) yj[v] = _mm512_loadu_si512(yb + j * n + k + 8 * v);
      dot<kV>(x, lt.w.data() + j * count, count, r, yj, lt.v[j], targets[j], mask, out + j * n + k);
    }
  }
}

}  // namespace ppml::bfv::detail
