// AVX-512 (F/DQ) element-wise kernels on 64-bit lanes for any q < 2^61: the 64x64 -> 128-bit
// product is built from four vpmuludq, reduced by Barrett [Barrett86] with the constant
// Modulus::barrett64() (HAC 14.42 bound) or, for the 128-bit inner-product sums, with the
// 128-bit ratio exactly as Modulus::reduce128. Bit-identical to rns/eltwise_scalar.cpp;
// every output in [0, q).
#include <immintrin.h>

#include <cstring>

#include "rns/eltwise.hpp"
#include "rns/lanes64_avx512.hpp"

namespace ppml::rns::detail {
namespace {

using namespace lanes64;

// x mod q for x = hi * 2^64 + lo < 2^(2L): q1 = floor(x / 2^(L-1)) < 2^(L+1);
// qhat = floor(q1 * barrett / 2^64) is floor(x / q) - {0, 1, 2}, so x - qhat * q is in
// [0, 3q) < 2^63 and equals (lo - qhat * q) mod 2^64.
inline __m512i reduce_barrett(__m512i hi, __m512i lo, const Lanes& c) {
  __m512i q1 = _mm512_or_si512(_mm512_sll_epi64(hi, c.shl), _mm512_srl_epi64(lo, c.shr));
  __m512i qhat = mul_hi(q1, c.barrett);
  __m512i r = _mm512_sub_epi64(lo, _mm512_mullo_epi64(qhat, c.q));
  return csub(csub(r, c.q), c.q);
}

// a * b + acc mod q for a, b, acc in [0, q): a * b + acc < q^2 + q <= 2^(2L).
inline __m512i mul_add_vec(__m512i a, __m512i b, __m512i acc, const Lanes& c) {
  __m512i hi, lo;
  mul_wide(a, b, hi, lo);
  lo = _mm512_add_epi64(lo, acc);
  hi = _mm512_mask_add_epi64(hi, _mm512_cmplt_epu64_mask(lo, acc), hi, bcast(1));
  return reduce_barrett(hi, lo, c);
}

inline __m512i mul_vec(__m512i a, __m512i b, const Lanes& c) {
  __m512i hi, lo;
  mul_wide(a, b, hi, lo);
  return reduce_barrett(hi, lo, c);
}


void add_avx512(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& m) {
  const __m512i q = bcast(m.value());
  for_each_vec<false>(a, b, out, n, [q](__m512i x, __m512i y, __m512i) { return csub(_mm512_add_epi64(x, y), q); });
}

void sub_avx512(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& m) {
  const __m512i q = bcast(m.value());
  // d = a - b wraps above 2^63 when a < b; then d + q is the smaller of the two.
  for_each_vec<false>(a, b, out, n, [q](__m512i x, __m512i y, __m512i) {
    __m512i d = _mm512_sub_epi64(x, y);
    return _mm512_min_epu64(d, _mm512_add_epi64(d, q));
  });
}

void mul_avx512(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& m) {
  const Lanes c(m);
  for_each_vec<false>(a, b, out, n, [&c](__m512i x, __m512i y, __m512i) { return mul_vec(x, y, c); });
}

void mul_add_avx512(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& m) {
  const Lanes c(m);
  for_each_vec<true>(a, b, out, n, [&c](__m512i x, __m512i y, __m512i z) { return mul_add_vec(x, y, z, c); });
}


void inner_product_avx512(const uint64_t* const* a, const uint64_t* const* b, std::size_t terms, uint64_t* out,
                          std::size_t n, const math::Modulus& m) {
  const uint64_t* const* bs[1] = {b};
  uint64_t* outs[1] = {out};
  inner_products<1>(a, bs, terms, outs, n, Lanes(m));
}

void inner_product2_avx512(const uint64_t* const* a, const uint64_t* const* b0, const uint64_t* const* b1,
                           std::size_t terms, uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& m) {
  const uint64_t* const* bs[2] = {b0, b1};
  uint64_t* outs[2] = {out0, out1};
  inner_products<2>(a, bs, terms, outs, n, Lanes(m));
}

}  // namespace

// Shoup: r = a w - floor(a w' / 2^64) q in [0, 2q), then one conditional subtraction.
void mul_scalar_avx512(const uint64_t* a, uint64_t w, uint64_t w_shoup, uint64_t* out, std::size_t n,
                       const math::Modulus& m) {
  const __m512i q = bcast(m.value()), vw = bcast(w), vws = bcast(w_shoup);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i x = _mm512_loadu_si512(a + i);
    __m512i r = _mm512_sub_epi64(_mm512_mullo_epi64(x, vw), _mm512_mullo_epi64(mul_hi(x, vws), q));
    _mm512_storeu_si512(out + i, csub(r, q));
  }
  for (; i < n; ++i) {
    uint64_t r = a[i] * w - math::mul_hi(a[i], w_shoup) * m.value();
    out[i] = r >= m.value() ? r - m.value() : r;
  }
}

void add_scalar_avx512(const uint64_t* a, uint64_t w, uint64_t* out, std::size_t n, const math::Modulus& m) {
  const __m512i q = bcast(m.value()), vw = bcast(w);
  for_each_vec<false>(a, a, out, n, [q, vw](__m512i x, __m512i, __m512i) { return csub(_mm512_add_epi64(x, vw), q); });
}

namespace {

// Broadcast weights: the products and carries of inner_product_block with b = w[t], V
// vectors in registers across all terms (the sources are few: a digit's primes or P).
template <int V>
inline void weighted_sum_block(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out,
                               std::size_t k, __mmask8 mask, const Lanes& c) {
  product_sum_block<V>(terms, out, k, mask, c, [&](std::size_t t, int v, __mmask8 mv, __m512i& x, __m512i& b) {
    x = _mm512_maskz_loadu_epi64(mv, y[t] + k + 8 * v);
    b = bcast(w[t]);
  });
}

}  // namespace

void weighted_sum_avx512(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out,
                         std::size_t n, const math::Modulus& m, int /*y_bits*/) {
  const Lanes c(m);
  constexpr int kBlock = 4;
  std::size_t k = 0;
  for (; k + 8 * kBlock <= n; k += 8 * kBlock) weighted_sum_block<kBlock>(y, w, terms, out, k, 0xFF, c);
  for (; k + 8 <= n; k += 8) weighted_sum_block<1>(y, w, terms, out, k, 0xFF, c);
  if (k < n) weighted_sum_block<1>(y, w, terms, out, k, static_cast<__mmask8>((1u << (n - k)) - 1), c);
}

const EltwiseKernels kEltwiseAvx512 = {add_avx512,           sub_avx512,        mul_avx512,
                                       mul_add_avx512,       inner_product_avx512, mul_scalar_avx512,
                                       inner_product2_avx512, add_scalar_avx512, weighted_sum_avx512,
#ifdef PPML_HAVE_ELTWISE_AVX512IFMA
                                       inner_product2_packed_avx512,
#else
                                       nullptr,
#endif
                                       nullptr, nullptr};

}  // namespace ppml::rns::detail
