// The 64-bit-lane arithmetic of the AVX-512 (F/DQ) kernels for any q < 2^61 that more than
// one translation unit needs: the 128-bit product from four vpmuludq, the 128-bit
// reduction (Modulus::reduce128 lane by lane), the reduction of a 2^52 a + b sum by Shoup
// and a double quotient (IFMA kernels with wide primes: rns base conversion, BFV's
// lifts), and the key inner products in spans, with
// the rows read through a functor (plain words in eltwise_avx512.cpp, key rows packed to
// 51-57 bits unpacked with vpermb in eltwise_avx512ifma.cpp, built with VBMI).
// Internal linkage on purpose, as in ntt/ntt_butterfly_avx512.hpp: the units are compiled
// with different ISA flags.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "math/modulus.hpp"

namespace ppml::rns::detail {
namespace {
namespace lanes64 {

inline __m512i bcast(uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); }

// x - q if x >= q else x, for x < 2^63 (x - q wraps above x when x < q).
inline __m512i csub(__m512i x, __m512i q) { return _mm512_min_epu64(x, _mm512_sub_epi64(x, q)); }

// Full 128-bit product a * b = hi * 2^64 + lo from 32x32 -> 64-bit pieces.
inline void mul_wide(__m512i a, __m512i b, __m512i& hi, __m512i& lo) {
  const __m512i mask32 = bcast(0xFFFFFFFFu);
  __m512i a1 = _mm512_srli_epi64(a, 32), b1 = _mm512_srli_epi64(b, 32);
  __m512i p00 = _mm512_mul_epu32(a, b), p01 = _mm512_mul_epu32(a, b1);
  __m512i p10 = _mm512_mul_epu32(a1, b), p11 = _mm512_mul_epu32(a1, b1);
  // mid < 3 * 2^32: the carry into the high word never overflows.
  __m512i mid = _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(p00, 32), _mm512_and_si512(p01, mask32)),
                                 _mm512_and_si512(p10, mask32));
  hi = _mm512_add_epi64(_mm512_add_epi64(p11, _mm512_srli_epi64(p01, 32)),
                        _mm512_add_epi64(_mm512_srli_epi64(p10, 32), _mm512_srli_epi64(mid, 32)));
  lo = _mm512_or_si512(_mm512_slli_epi64(mid, 32), _mm512_and_si512(p00, mask32));
}

inline __m512i mul_hi(__m512i a, __m512i b) {
  __m512i hi, lo;
  mul_wide(a, b, hi, lo);
  return hi;
}

// Broadcast constants of one modulus q < 2^61 with L = bits(q).
struct Lanes {
  __m512i q, barrett, ratio_hi, ratio_lo;
  __m128i shl, shr;  // 65 - L and L - 1

  explicit Lanes(const math::Modulus& m)
      : q(bcast(m.value())),
        barrett(bcast(m.barrett64())),
        ratio_hi(bcast(m.ratio_hi())),
        ratio_lo(bcast(m.ratio_lo())),
        shl(_mm_cvtsi32_si128(65 - m.bits())),
        shr(_mm_cvtsi32_si128(m.bits() - 1)) {}
};

// floor(a b / 2^64) - d with d in {0, 1, 2}: the three high 32x32 products, no carries
// from the low one. b_hi = b >> 32.
inline __m512i mulhi_approx(__m512i a, __m512i b, __m512i b_hi) {
  const __m512i a_hi = _mm512_srli_epi64(a, 32);
  const __m512i p11 = _mm512_mul_epu32(a_hi, b_hi);
  const __m512i p01 = _mm512_mul_epu32(a, b_hi);
  const __m512i p10 = _mm512_mul_epu32(a_hi, b);
  return _mm512_add_epi64(p11, _mm512_add_epi64(_mm512_srli_epi64(p01, 32), _mm512_srli_epi64(p10, 32)));
}

// a w mod q in [0, 4q) for any 64-bit a, w < q < 2^61, ws = floor(w 2^64 / q) (Shoup's
// [0, 2q) plus at most 2q from the approximate quotient).
inline __m512i shoup64(__m512i a, __m512i w, __m512i ws, __m512i ws_hi, __m512i q) {
  return _mm512_sub_epi64(_mm512_mullo_epi64(a, w), _mm512_mullo_epi64(mulhi_approx(a, ws, ws_hi), q));
}

// Broadcast constants of a wide modulus q in [2^20, 2^61) for reduce_wide: 2^52 mod q, its
// Shoup quotient floor(pow52 2^64 / q) and 1 / q.
struct Wide {
  __m512i q, pow52, pow52s, pow52s_hi;
  __m512d inv;
  Wide(uint64_t qv, uint64_t pow52v, uint64_t pow52_shoup, double invv)
      : q(bcast(qv)), pow52(bcast(pow52v)), pow52s(bcast(pow52_shoup)), pow52s_hi(bcast(pow52_shoup >> 32)),
        inv(_mm512_set1_pd(invv)) {}
  explicit Wide(uint64_t qv)
      : Wide(qv, (uint64_t{1} << 52) % qv,
             static_cast<uint64_t>((static_cast<unsigned __int128>((uint64_t{1} << 52) % qv) << 64) / qv),
             1.0 / static_cast<double>(qv)) {}
};

// (a 2^52 + b) mod q in [0, q) for any 64-bit a and b < 2^63.
inline __m512i reduce_wide(__m512i a, __m512i b, const Wide& c) {
  // x < 4q + 2^63 < 2^64; x / q < 2^44, so the double quotient is within one of floor(x / q).
  const __m512i x = _mm512_add_epi64(shoup64(a, c.pow52, c.pow52s, c.pow52s_hi, c.q), b);
  const __m512i qt = _mm512_cvttpd_epu64(_mm512_mul_pd(_mm512_cvtepu64_pd(x), c.inv));
  __m512i r = _mm512_sub_epi64(x, _mm512_mullo_epi64(qt, c.q));  // [-q, 2q)
  r = _mm512_mask_add_epi64(r, _mm512_cmplt_epi64_mask(r, _mm512_setzero_si512()), r, c.q);
  return csub(r, c.q);
}

// x mod q for any x = x1 * 2^64 + x0 < 2^128: Modulus::reduce128 lane by lane.
inline __m512i reduce128(__m512i x1, __m512i x0, const Lanes& c) {
  __m512i h00 = mul_hi(x0, c.ratio_lo);
  __m512i p01h, p01l, p10h, p10l;
  mul_wide(x0, c.ratio_hi, p01h, p01l);
  mul_wide(x1, c.ratio_lo, p10h, p10l);
  __m512i mid = _mm512_add_epi64(h00, p01l);
  __mmask8 c1 = _mm512_cmplt_epu64_mask(mid, p01l);
  mid = _mm512_add_epi64(mid, p10l);
  __mmask8 c2 = _mm512_cmplt_epu64_mask(mid, p10l);
  const __m512i one = bcast(1);
  __m512i qhat = _mm512_add_epi64(_mm512_mullo_epi64(x1, c.ratio_hi), _mm512_add_epi64(p01h, p10h));
  qhat = _mm512_mask_add_epi64(qhat, c1, qhat, one);
  qhat = _mm512_mask_add_epi64(qhat, c2, qhat, one);
  // qhat >= floor(x / q) - 2, so r < 3q.
  __m512i r = _mm512_sub_epi64(x0, _mm512_mullo_epi64(qhat, c.q));
  return csub(csub(r, c.q), c.q);
}

// Requests the cache line at p into L1 ahead of its use. Key switching reads 3 x terms
// rows (45 at 2^15 on SEAL's chain) in runs of one span each: more streams than the
// hardware prefetchers follow, so every run began with a miss to memory (BFV
// relinearization at 2^15, Intel Xeon: inner products 16.0 -> 12.4 ms of 52 ms).
inline void span_prefetch(const uint64_t* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }

// One product x * y added to the five-part 128-bit sum of inner_product_block (x1, y1 the
// high 32-bit halves): p00 and the cross terms with carry counters, p11 directly.
inline void add_product(__m512i xv, __m512i x1, __m512i yv, __m512i y1, __m512i& s00, __m512i& c00, __m512i& sx,
                        __m512i& cx, __m512i& s11) {
  const __m512i one = bcast(1);
  const __m512i p00 = _mm512_mul_epu32(xv, yv);
  const __m512i cross = _mm512_add_epi64(_mm512_mul_epu32(xv, y1), _mm512_mul_epu32(x1, yv));
  s11 = _mm512_add_epi64(s11, _mm512_mul_epu32(x1, y1));
  s00 = _mm512_add_epi64(s00, p00);
  c00 = _mm512_mask_add_epi64(c00, _mm512_cmplt_epu64_mask(s00, p00), c00, one);
  sx = _mm512_add_epi64(sx, cross);
  cx = _mm512_mask_add_epi64(cx, _mm512_cmplt_epu64_mask(sx, cross), cx, one);
}

// sum = s00 + sx * 2^32 + (c00 + s11 + cx * 2^32) * 2^64, known to be < 2^128, mod q.
inline __m512i reduce_sum(__m512i s00, __m512i c00, __m512i sx, __m512i cx, __m512i s11, const Lanes& c) {
  const __m512i lo = _mm512_add_epi64(s00, _mm512_slli_epi64(sx, 32));
  const __mmask8 carry = _mm512_cmplt_epu64_mask(lo, s00);
  __m512i hi = _mm512_add_epi64(_mm512_add_epi64(c00, s11),
                                _mm512_add_epi64(_mm512_slli_epi64(cx, 32), _mm512_srli_epi64(sx, 32)));
  hi = _mm512_mask_add_epi64(hi, carry, hi, bcast(1));
  return reduce128(hi, lo, c);
}

// Sums over terms of V vectors of coefficients starting at k, kept in registers across the
// terms. With x = x1 * 2^32 + x0 and y likewise (x1, y1 < 2^29 since q < 2^61), each product
// is p00 + (p01 + p10) * 2^32 + p11 * 2^64 with p01 + p10 < 2^62 and p11 < 2^58; p00 and the
// cross sums are accumulated with carry counters, p11 directly. Terms go in chunks of 32, so
// the chunk sum (plus the previous chunk's residue < q) is < 2^127 and p11's sum < 2^63; each
// chunk ends with one 128-bit reduction whose residue seeds the next chunk, as the scalar
// kernel does. `mask` selects the valid lanes of the last vector (tail); no terms give 0.
// `operands(t, v, mask, x, y)` loads term t's factors for vector v.
template <int V, typename Operands>
inline void product_sum_block(std::size_t terms, uint64_t* out, std::size_t k, __mmask8 mask, const Lanes& c,
                              const Operands& operands) {
  constexpr std::size_t kChunk = 32;
  __m512i res[V];
  for (int v = 0; v < V; ++v) res[v] = _mm512_setzero_si512();
  for (std::size_t t0 = 0; t0 < terms; t0 += kChunk) {
    const std::size_t t1 = terms - t0 < kChunk ? terms : t0 + kChunk;
    __m512i s00[V], c00[V], sx[V], cx[V], s11[V];
    for (int v = 0; v < V; ++v) {
      s00[v] = res[v];
      c00[v] = sx[v] = cx[v] = s11[v] = _mm512_setzero_si512();
    }
    for (std::size_t t = t0; t < t1; ++t) {
      for (int v = 0; v < V; ++v) {
        __m512i xv, yv;
        operands(t, v, v == V - 1 ? mask : static_cast<__mmask8>(0xFF), xv, yv);
        add_product(xv, _mm512_srli_epi64(xv, 32), yv, _mm512_srli_epi64(yv, 32), s00[v], c00[v], sx[v], cx[v],
                    s11[v]);
      }
    }
    for (int v = 0; v < V; ++v) res[v] = reduce_sum(s00[v], c00[v], sx[v], cx[v], s11[v], c);
  }
  for (int v = 0; v < V; ++v) {
    const __mmask8 mv = v == V - 1 ? mask : static_cast<__mmask8>(0xFF);
    _mm512_mask_storeu_epi64(out + k + 8 * v, mv, res[v]);
  }
}

// The inner product of rows a[t] and b[t] on V vectors from coefficient k.
template <int V>
inline void inner_product_block(const uint64_t* const* a, const uint64_t* const* b, std::size_t terms,
                                uint64_t* out, std::size_t k, __mmask8 mask, const Lanes& c) {
  product_sum_block<V>(terms, out, k, mask, c, [&](std::size_t t, int v, __mmask8 mv, __m512i& x, __m512i& y) {
    x = _mm512_maskz_loadu_epi64(mv, a[t] + k + 8 * v);
    y = _mm512_maskz_loadu_epi64(mv, b[t] + k + 8 * v);
  });
}

// Outs inner products sharing `a`, in coefficient blocks of kSpan whose accumulators
// (five per vector, as in inner_product_block) stay in L1 while the terms stream past in
// groups of kGroup: each operand is read as a run of kSpan words, which the prefetchers
// follow (see the IFMA kernel), and each line read also requests the same line of the
// next span (span_prefetch). Chunks of 32 terms end in the same 128-bit reduction.
// `load_b(o, t, k)` gives the 8 values of b[o][t] from coefficient k (plain words or
// unpacked key rows), `prefetch_b(o, t, k)` requests their line. Returns the first
// coefficient not done (n rounded down to kSpan).
constexpr std::size_t kSpan = 256;

template <int Outs, typename LoadB, typename PrefetchB>
std::size_t inner_product_spans(const uint64_t* const* a, const LoadB& load_b, const PrefetchB& prefetch_b,
                                std::size_t terms, uint64_t* const* out, std::size_t n, const Lanes& c) {
  constexpr std::size_t kGroup = 4, kChunk = 32;
  alignas(64) uint64_t acc[Outs][5][kSpan], res[Outs][kSpan];
  std::size_t k0 = 0;
  for (; k0 + kSpan <= n; k0 += kSpan) {
    const bool ahead = k0 + 2 * kSpan <= n;
    for (int o = 0; o < Outs; ++o)
      for (std::size_t v = 0; v < kSpan; v += 8) _mm512_store_si512(res[o] + v, _mm512_setzero_si512());
    for (std::size_t t0 = 0; t0 < terms; t0 += kChunk) {
      const std::size_t t1 = terms - t0 < kChunk ? terms : t0 + kChunk;
      for (std::size_t g0 = t0; g0 < t1; g0 += kGroup) {
        const std::size_t g1 = t1 - g0 < kGroup ? t1 : g0 + kGroup;
        for (std::size_t v = 0; v < kSpan; v += 8) {
          __m512i s00[Outs], c00[Outs], sx[Outs], cx[Outs], s11[Outs];
          for (int o = 0; o < Outs; ++o) {
            if (g0 == t0) {
              s00[o] = _mm512_load_si512(res[o] + v);
              c00[o] = sx[o] = cx[o] = s11[o] = _mm512_setzero_si512();
            } else {
              s00[o] = _mm512_load_si512(acc[o][0] + v);
              c00[o] = _mm512_load_si512(acc[o][1] + v);
              sx[o] = _mm512_load_si512(acc[o][2] + v);
              cx[o] = _mm512_load_si512(acc[o][3] + v);
              s11[o] = _mm512_load_si512(acc[o][4] + v);
            }
          }
          for (std::size_t t = g0; t < g1; ++t) {
            if (ahead) {
              span_prefetch(a[t] + k0 + v + kSpan);
              for (int o = 0; o < Outs; ++o) prefetch_b(o, t, k0 + v + kSpan);
            }
            const __m512i xv = _mm512_loadu_si512(a[t] + k0 + v), x1 = _mm512_srli_epi64(xv, 32);
            for (int o = 0; o < Outs; ++o) {
              const __m512i yv = load_b(o, t, k0 + v);
              add_product(xv, x1, yv, _mm512_srli_epi64(yv, 32), s00[o], c00[o], sx[o], cx[o], s11[o]);
            }
          }
          for (int o = 0; o < Outs; ++o) {
            if (g1 == t1) {
              _mm512_store_si512(res[o] + v, reduce_sum(s00[o], c00[o], sx[o], cx[o], s11[o], c));
            } else {
              _mm512_store_si512(acc[o][0] + v, s00[o]);
              _mm512_store_si512(acc[o][1] + v, c00[o]);
              _mm512_store_si512(acc[o][2] + v, sx[o]);
              _mm512_store_si512(acc[o][3] + v, cx[o]);
              _mm512_store_si512(acc[o][4] + v, s11[o]);
            }
          }
        }
      }
    }
    for (int o = 0; o < Outs; ++o) std::memcpy(out[o] + k0, res[o], sizeof(res[o]));
  }
  return k0;
}

// Outs inner products of plain rows: the spans, then short rings and tails.
template <int Outs>
void inner_products(const uint64_t* const* a, const uint64_t* const* const* b, std::size_t terms,
                    uint64_t* const* out, std::size_t n, const Lanes& c) {
  const std::size_t k0 = inner_product_spans<Outs>(
      a, [b](int o, std::size_t t, std::size_t k) { return _mm512_loadu_si512(b[o][t] + k); },
      [b](int o, std::size_t t, std::size_t k) { span_prefetch(b[o][t] + k); }, terms, out, n, c);
  // Short rings and tails: 32 coefficients in registers across all terms, per output.
  constexpr int kBlock = 4;  // 20 accumulators + temporaries in 32 registers
  for (int o = 0; o < Outs; ++o) {
    std::size_t k = k0;
    for (; k + 8 * kBlock <= n; k += 8 * kBlock) inner_product_block<kBlock>(a, b[o], terms, out[o], k, 0xFF, c);
    for (; k + 8 <= n; k += 8) inner_product_block<1>(a, b[o], terms, out[o], k, 0xFF, c);
    if (k < n) inner_product_block<1>(a, b[o], terms, out[o], k, static_cast<__mmask8>((1u << (n - k)) - 1), c);
  }
}

// Applies `op(a_vec, b_vec, out_vec)` over n words; the tail (n mod 8) uses masked
// loads of zeros, which are valid inputs, and a masked store.
template <bool kReadsOut, typename Op>
inline void for_each_vec(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, Op op) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i x = _mm512_loadu_si512(a + i), y = _mm512_loadu_si512(b + i);
    __m512i z = kReadsOut ? _mm512_loadu_si512(out + i) : _mm512_setzero_si512();
    _mm512_storeu_si512(out + i, op(x, y, z));
  }
  if (i < n) {
    const __mmask8 m = static_cast<__mmask8>((1u << (n - i)) - 1);
    __m512i x = _mm512_maskz_loadu_epi64(m, a + i), y = _mm512_maskz_loadu_epi64(m, b + i);
    __m512i z = kReadsOut ? _mm512_maskz_loadu_epi64(m, out + i) : _mm512_setzero_si512();
    _mm512_mask_storeu_epi64(out + i, m, op(x, y, z));
  }
}

}  // namespace lanes64
}  // namespace
}  // namespace ppml::rns::detail
