// AVX-512 IFMA52 kernels of bfv/lift.hpp for primes < 2^50: products split by
// vpmadd52luq / vpmadd52huq into 52-bit halves accumulated in separate 64-bit lanes, a
// partial fold every 8 terms, one final reduction per output; the centered lift's
// correction alpha (HPS 2018, Lemma 2) from a double-precision sum of y_i / q_i, and the
// product's rounding from a 52-bit fixed-point fraction. Bit-identical to the scalar
// conversion (tests/bfv/test_bfv_kernels.py); the scaling may differ from the scalar one
// by one unit of rounding (noise only, see scale_round.hpp).
#include <immintrin.h>

#include "he/bfv/context.hpp"
#include "he/bfv/ifma52_ops.hpp"
#include "he/bfv/lift.hpp"

namespace ppml::bfv::detail {
namespace {

using namespace ifma52;

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

}  // namespace

void lift_centered_avx512ifma(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n, std::size_t begin,
                              std::size_t end) {
  const std::size_t kf = c.q.size(), kt = c.to.size();
  const __m512i mask = bcast(kMask52), z = _mm512_setzero_si512();
  std::vector<Target> targets(c.to.begin(), c.to.end());
  __m512i y[kMaxLimbs][kV], alpha[kV], zero[kV];
  const __m512d half = _mm512_set1_pd(0.5);
  for (int v = 0; v < kV; ++v) zero[v] = z;
  for (std::size_t k = begin; k < end; k += 8 * kV) {
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
                             const uint64_t* yb, uint64_t* out, std::size_t n, std::size_t begin, std::size_t end) {
  const std::size_t count = lt.level + 1, kb = aux.size();
  const __m512i mask = bcast(kMask52), z = _mm512_setzero_si512(), round = bcast(uint64_t{1} << 51);
  std::vector<Target> targets(aux.begin(), aux.end());
  uint64_t frac52[kMaxLimbs];
  for (std::size_t i = 0; i < count; ++i) frac52[i] = lt.frac[i] >> 12;
  __m512i x[kMaxLimbs][kV], r[kV], yj[kV];
  for (std::size_t k = begin; k < end; k += 8 * kV) {
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
