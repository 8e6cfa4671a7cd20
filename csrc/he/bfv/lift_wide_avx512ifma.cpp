// AVX-512 IFMA52 kernels of bfv/lift.hpp when Q_l has primes in [2^50, 2^61) (SEAL's
// 54- and 60-bit chains) and B stays below 2^50.
//   wide sources (Q -> B, the product's scaling): a residue x = xh 2^52 + xl enters a sum
//     mod p_j as xl c (vpmadd52luq/huq) plus xh (c 2^52 mod p_j) (vpmadd52luq when it fits
//     52 bits, i.e. q < 2^54, else vpmullq); the low accumulator is folded into the high
//     one every 8 terms (unfused), and the sum hi 2^52 + lo leaves by one Montgomery step
//     (constants in Montgomery form) and a Barrett reduction on 52 bits.
//   wide targets (B -> Q): y < 2^50 times c = c_top 2^52 + c_lo as above, accumulated as
//     A 2^52 + B in 64-bit lanes, reduced once: A 2^52 by Shoup on 64 bits (vpmuludq
//     pieces), then a double-precision quotient of the < 2^64 sum.
// (Q/q_i)^-1 x_i mod q_i for wide q_i is Shoup on 64 bits as well. The centered lift's
// alpha is the double sum of lift_avx512ifma.cpp, so the lifts are bit-identical to the
// scalar conversion; the scaling's fraction is kept on 104 bits (the scalar one on 64):
// the two differ by at most ceil((l+1) max(q) / 2^64) units of rounding (the scalar's
// error; one unit for any 54-bit chain), noise only (tests/bfv/test_bfv_lift_wide.py).
#include <immintrin.h>

#include "he/bfv/context.hpp"
#include "he/bfv/ifma52_ops.hpp"
#include "he/bfv/lift.hpp"
#include "rns/lanes64_avx512.hpp"

namespace ppml::bfv::detail {
namespace {

using namespace ifma52;

// acc + x c for x c < 2^64: fused when the product is known to fit 52 bits.
template <bool kFused>
inline __m512i add_product(__m512i acc, __m512i x, __m512i c) {
  if constexpr (kFused)
    return _mm512_madd52lo_epu64(acc, x, c);
  else
    return _mm512_add_epi64(acc, _mm512_mullo_epi64(x, c));
}

// A wide target q in [2^20, 2^61): the shared 64-bit-lane reduction's constants.
using rns::detail::lanes64::reduce_wide;
using rns::detail::lanes64::shoup64;
struct Wide : rns::detail::lanes64::Wide {
  explicit Wide(const WideModulus& m) : rns::detail::lanes64::Wide(m.q, m.pow52, m.pow52_shoup, m.inv) {}
};

// ((hi 2^52 + lo) 2^-52 + post) mod p in [0, p) for a narrow p, hi < 2^58, lo < 2^63,
// post < 2^58: one Montgomery step (R = 2^52), then Barrett on the < 2^60 remainder.
template <bool kPost>
inline __m512i fold_mont(__m512i lo, __m512i hi, __m512i post, const Target& c, __m512i mask) {
  const __m512i z = _mm512_setzero_si512();
  const __m512i m = _mm512_madd52lo_epu64(z, lo, c.mont_inv);  // lo + m p = 0 mod 2^52
  const __m512i t = _mm512_madd52lo_epu64(lo, m, c.p);
  __m512i r = _mm512_add_epi64(_mm512_madd52hi_epu64(hi, m, c.p), _mm512_srli_epi64(t, 52));
  if constexpr (kPost) r = _mm512_add_epi64(r, post);
  // r < 2^60 < 2^(2 bits(p)): qh >= floor(r / p) - 2, r - qh p in [0, 3p) < 2^52.
  const __m512i qh = _mm512_madd52hi_epu64(z, _mm512_srl_epi64(r, c.barrett_shift), c.barrett);
  r = _mm512_and_si512(_mm512_sub_epi64(r, _mm512_madd52lo_epu64(z, qh, c.p)), mask);
  return csub(csub(r, c.p2), c.p);
}

// out[v] = (sum_i (xl[i][v] c[i] + xh[i][v] ct[i]) + extra[v] e) 2^-52 + post[v] mod p for
// a narrow p: xl < 2^52, xh < 2^9, c, ct, e < p (Montgomery form), extra < 2^52, post < 2^58.
template <int V, bool kFused, bool kPost>
inline void dot_wide_from(const __m512i (*xl)[V], const __m512i (*xh)[V], const uint64_t* c, const uint64_t* ct,
                          std::size_t count, const __m512i* extra, uint64_t e, const __m512i* post, const Target& t,
                          __m512i mask, uint64_t* out) {
  __m512i lo[V], hi[V];
  const __m512i ev = bcast(e), z = _mm512_setzero_si512();
  for (int v = 0; v < V; ++v) {
    lo[v] = _mm512_madd52lo_epu64(z, extra[v], ev);
    hi[v] = _mm512_madd52hi_epu64(z, extra[v], ev);
  }
  for (std::size_t i = 0; i < count; ++i) {
    const __m512i w = bcast(c[i]), wt = bcast(ct[i]);
    for (int v = 0; v < V; ++v) {
      lo[v] = _mm512_madd52lo_epu64(lo[v], xl[i][v], w);
      hi[v] = _mm512_madd52hi_epu64(hi[v], xl[i][v], w);  // < 2^50 a term
      lo[v] = add_product<kFused>(lo[v], xh[i][v], wt);    // < 2^52 + 2^59 a term
    }
    // Unfused: 8 terms keep lo < 2^52 + 8 (2^52 + 2^59) < 2^63; fused: 64 terms of 2^53.
    if (!kFused && (i & 7) == 7)
      for (int v = 0; v < V; ++v) {
        hi[v] = _mm512_add_epi64(hi[v], _mm512_srli_epi64(lo[v], 52));
        lo[v] = _mm512_and_si512(lo[v], mask);
      }
  }
  for (int v = 0; v < V; ++v)
    _mm512_storeu_si512(out + 8 * v, fold_mont<kPost>(lo[v], hi[v], kPost ? post[v] : z, t, mask));
}

// out[v] = (sum_i y[i][v] c[i] + alpha[v] nq) mod q for a wide q: y, alpha < 2^50,
// c = ct 2^52 + cl (nq likewise); an intermediate reduction every `group` terms.
template <int V, bool kFused>
inline void dot_wide_to(const __m512i (*y)[V], const uint64_t* cl, const uint64_t* ct, std::size_t count,
                        const __m512i* alpha, uint64_t nq_lo, uint64_t nq_top, const Wide& q, std::size_t group,
                        uint64_t* out) {
  __m512i a[V], b[V];
  const __m512i z = _mm512_setzero_si512();
  {
    const __m512i wl = bcast(nq_lo), wt = bcast(nq_top);
    for (int v = 0; v < V; ++v) {
      b[v] = _mm512_madd52lo_epu64(z, alpha[v], wl);
      a[v] = add_product<kFused>(_mm512_madd52hi_epu64(z, alpha[v], wl), alpha[v], wt);
    }
  }
  std::size_t used = 1;
  for (std::size_t i = 0; i < count; ++i, ++used) {
    if (used == group) {
      for (int v = 0; v < V; ++v) b[v] = reduce_wide(a[v], b[v], q), a[v] = z;
      used = 1;
    }
    const __m512i wl = bcast(cl[i]), wt = bcast(ct[i]);
    for (int v = 0; v < V; ++v) {
      b[v] = _mm512_madd52lo_epu64(b[v], y[i][v], wl);                                  // < 2^52 a term
      a[v] = add_product<kFused>(_mm512_madd52hi_epu64(a[v], y[i][v], wl), y[i][v], wt);  // < 2^50 (ct + 1)
    }
  }
  for (int v = 0; v < V; ++v) _mm512_storeu_si512(out + 8 * v, reduce_wide(a[v], b[v], q));
}

// The kernels walk 15..64 limbs at stride n in step: more streams than the hardware
// prefetchers follow, so each limb's block kPrefetch blocks ahead is requested here.
constexpr std::size_t kPrefetch = 2;

inline void prefetch_block(const uint64_t* p) {
  const char* c = reinterpret_cast<const char*>(p + kPrefetch * 8 * kV);
  for (int l = 0; l < kV; ++l) _mm_prefetch(c + 64 * l, _MM_HINT_T0);
}

// Residues x < 2^61 as (x mod 2^52, x >> 52).
inline void split(__m512i x, __m512i mask, __m512i& lo, __m512i& hi) {
  lo = _mm512_and_si512(x, mask);
  hi = _mm512_srli_epi64(x, 52);
}

template <bool kFused>
void lift_wide_from(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n, std::size_t begin,
                    std::size_t end) {
  const std::size_t kf = c.q.size(), kt = c.to.size();
  const __m512i mask = bcast(kMask52);
  std::vector<Target> targets(c.to.begin(), c.to.end());
  __m512i yl[kMaxLimbs][kV], yh[kMaxLimbs][kV], alpha[kV];
  const __m512d half = _mm512_set1_pd(0.5);
  for (std::size_t k = begin; k < end; k += 8 * kV) {
    __m512d s[kV];
    for (int v = 0; v < kV; ++v) s[v] = half;
    for (std::size_t i = 0; i < kf; ++i) {
      // y_i = x_i (Q/q_i)^-1 mod q_i: Shoup on 64 bits, [0, 4q) -> [0, q).
      const __m512i q = bcast(c.q[i]), q2 = bcast(2 * c.q[i]), w = bcast(c.qhat_inv[i]);
      const __m512i ws = bcast(c.qhat_inv_shoup[i]), ws_hi = bcast(c.qhat_inv_shoup[i] >> 32);
      const __m512d iq = _mm512_set1_pd(c.inv_q[i]);
      prefetch_block(in + i * n + k);
      for (int v = 0; v < kV; ++v) {
        const __m512i x = _mm512_loadu_si512(in + i * n + k + 8 * v);
        const __m512i y = csub(csub(shoup64(x, w, ws, ws_hi, q), q2), q);
        s[v] = _mm512_fmadd_pd(_mm512_cvtepu64_pd(y), iq, s[v]);
        split(y, mask, yl[i][v], yh[i][v]);
      }
    }
    // alpha = round(sum y_i / q_i): x = sum y_i Q/q_i - alpha Q is the centered lift.
    for (int v = 0; v < kV; ++v) alpha[v] = _mm512_cvttpd_epu64(s[v]);
    for (std::size_t j = 0; j < kt; ++j)
      dot_wide_from<kV, kFused, false>(yl, yh, c.punctured.data() + j * kf, c.punctured_top.data() + j * kf, kf, alpha,
                                       c.neg_q[j], nullptr, targets[j], mask, out + j * n + k);
  }
}

template <bool kFused>
void lift_wide_to(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n, std::size_t begin,
                  std::size_t end) {
  const std::size_t kf = c.q.size(), kt = c.to_wide.size();
  const __m512i mask = bcast(kMask52);
  std::vector<Wide> targets(c.to_wide.begin(), c.to_wide.end());
  __m512i y[kMaxLimbs][kV], alpha[kV];
  const __m512d half = _mm512_set1_pd(0.5);
  for (std::size_t k = begin; k < end; k += 8 * kV) {
    __m512d s[kV];
    for (int v = 0; v < kV; ++v) s[v] = half;
    for (std::size_t i = 0; i < kf; ++i) {
      const __m512i q = bcast(c.q[i]), w = bcast(c.qhat_inv[i]), ws = bcast(c.qhat_inv_shoup[i]);
      const __m512d iq = _mm512_set1_pd(c.inv_q[i]);
      prefetch_block(in + i * n + k);
      for (int v = 0; v < kV; ++v) {
        const __m512i x = _mm512_loadu_si512(in + i * n + k + 8 * v);
        y[i][v] = csub(shoup52(x, w, ws, q, mask), q);
        s[v] = _mm512_fmadd_pd(_mm512_cvtepu64_pd(y[i][v]), iq, s[v]);
      }
    }
    for (int v = 0; v < kV; ++v) alpha[v] = _mm512_cvttpd_epu64(s[v]);
    for (std::size_t j = 0; j < kt; ++j)
      dot_wide_to<kV, kFused>(y, c.punctured.data() + j * kf, c.punctured_top.data() + j * kf, kf, alpha, c.neg_q[j],
                              c.neg_q_top[j], targets[j], c.group, out + j * n + k);
  }
}

template <bool kFused>
void scale_wide(const LevelTables& lt, const ScaleTables& st, const uint64_t* xq, const uint64_t* yb, uint64_t* out,
                std::size_t n, std::size_t begin, std::size_t end) {
  const std::size_t count = lt.level + 1, kb = st.aux.size();
  const __m512i mask = bcast(kMask52), z = _mm512_setzero_si512(), round = bcast(uint64_t{1} << 51);
  std::vector<Target> targets(st.aux.begin(), st.aux.end());
  __m512i xl[kMaxLimbs][kV], xh[kMaxLimbs][kV], r[kV], yj[kV];
  for (std::size_t k = begin; k < end; k += 8 * kV) {
    // sum_i x_i f_i / 2^104 with f_i = fh 2^52 + fl and x_i = xh 2^52 + xl: xh fh is an
    // integer (in w_top), xl fh + xh fl has weight 2^-52, xl fl weight 2^-104 (its high
    // half kept). f0: weight 2^-52 (with the rounding half), f1: weight 1.
    __m512i f0[kV], f1[kV];
    for (int v = 0; v < kV; ++v) f0[v] = round, f1[v] = z;
    for (std::size_t i = 0; i < count; ++i) {
      const __m512i fh = bcast(st.frac_hi[i]), fl = bcast(st.frac_lo[i]);
      prefetch_block(xq + i * n + k);
      for (int v = 0; v < kV; ++v) {
        split(_mm512_loadu_si512(xq + i * n + k + 8 * v), mask, xl[i][v], xh[i][v]);
        f0[v] = _mm512_madd52lo_epu64(f0[v], xl[i][v], fh);
        f1[v] = _mm512_madd52hi_epu64(f1[v], xl[i][v], fh);
        f0[v] = _mm512_madd52lo_epu64(f0[v], xh[i][v], fl);
        f1[v] = _mm512_madd52hi_epu64(f1[v], xh[i][v], fl);
        f0[v] = _mm512_madd52hi_epu64(f0[v], xl[i][v], fl);
      }
    }
    for (int v = 0; v < kV; ++v) r[v] = _mm512_add_epi64(f1[v], _mm512_srli_epi64(f0[v], 52));
    for (std::size_t j = 0; j < kb; ++j) {
      prefetch_block(yb + j * n + k);
      for (int v = 0; v < kV; ++v) yj[v] = _mm512_loadu_si512(yb + j * n + k + 8 * v);
      dot_wide_from<kV, kFused, true>(xl, xh, st.w_mont.data() + j * count, st.w_top.data() + j * count, count, yj,
                                      st.v_mont[j], r, targets[j], mask, out + j * n + k);
    }
  }
}

}  // namespace

void lift_centered_wide_from_avx512ifma(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n,
                                        std::size_t begin, std::size_t end) {
  if (c.fused_hi) return lift_wide_from<true>(c, in, out, n, begin, end);
  lift_wide_from<false>(c, in, out, n, begin, end);
}

void lift_centered_wide_to_avx512ifma(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n,
                                      std::size_t begin, std::size_t end) {
  if (c.fused_hi) return lift_wide_to<true>(c, in, out, n, begin, end);
  lift_wide_to<false>(c, in, out, n, begin, end);
}

void scale_to_aux_wide_avx512ifma(const LevelTables& lt, const ScaleTables& st, const uint64_t* xq, const uint64_t* yb,
                                  uint64_t* out, std::size_t n, std::size_t begin, std::size_t end) {
  if (st.fused_hi) return scale_wide<true>(lt, st, xq, yb, out, n, begin, end);
  scale_wide<false>(lt, st, xq, yb, out, n, begin, end);
}

}  // namespace ppml::bfv::detail
