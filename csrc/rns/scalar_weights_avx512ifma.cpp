// AVX-512 IFMA52 kernels for products by broadcast scalars (q < 2^50): a * w for any 64-bit
// a, the base conversions' weighted sums, and ((a - b) w + c u), the tail of ModDown and of
// the rescale fused with it. Entries of kEltwiseAvx512Ifma (rns/eltwise_avx512ifma.cpp).
// Bit-identical to rns/eltwise_scalar.cpp; every output in [0, q).
#include <immintrin.h>

#include <vector>

#include "rns/eltwise.hpp"
#include "rns/ifma52_avx512.hpp"

namespace ppml::rns::detail {
namespace {

// out = sum_t y[t] w[t] mod q for y < 2^y_bits and w < q. Wider y (a 60-bit prime's
// residues) split as y = y_hi 2^52 + y_lo with w2 = w 2^52 mod q: y w = y_lo w + y_hi w2.
// Each product's high part (above 2^52) is bounded by `hi_bound`, so the high accumulator
// is folded back below q every `period` terms, the most that keep it under 2^52.
template <int V, bool kWide>
inline void weighted_sum_block(const uint64_t* const* y, const uint64_t* w, const uint64_t* w2, std::size_t terms,
                               uint64_t* out, std::size_t k, __mmask8 mask, const Ifma& c, std::size_t period) {
  __m512i lo[V], hi[V];
  for (int v = 0; v < V; ++v) lo[v] = hi[v] = _mm512_setzero_si512();
  for (std::size_t t = 0; t < terms; ++t) {
    const __m512i wv = _mm512_set1_epi64(static_cast<long long>(w[t]));
    const __m512i w2v = _mm512_set1_epi64(static_cast<long long>(kWide ? w2[t] : 0));
    for (int v = 0; v < V; ++v) {
      const __mmask8 mv = v == V - 1 ? mask : static_cast<__mmask8>(0xFF);
      __m512i xv = _mm512_maskz_loadu_epi64(mv, y[t] + k + 8 * v);
      if constexpr (kWide) {
        const __m512i xh = _mm512_srli_epi64(xv, 52);
        xv = _mm512_and_si512(xv, c.mask52);
        lo[v] = _mm512_madd52lo_epu64(lo[v], xh, w2v);
        hi[v] = _mm512_madd52hi_epu64(hi[v], xh, w2v);
      }
      lo[v] = _mm512_madd52lo_epu64(lo[v], xv, wv);
      hi[v] = _mm512_madd52hi_epu64(hi[v], xv, wv);
    }
    if ((t + 1) % period == 0)
      for (int v = 0; v < V; ++v) {
        hi[v] = reduce52(_mm512_add_epi64(hi[v], _mm512_srli_epi64(lo[v], 52)), c);
        lo[v] = _mm512_and_si512(lo[v], c.mask52);
      }
  }
  for (int v = 0; v < V; ++v) {
    __m512i h = reduce52(_mm512_add_epi64(hi[v], _mm512_srli_epi64(lo[v], 52)), c);
    __m512i l = reduce52(_mm512_and_si512(lo[v], c.mask52), c);
    const __mmask8 mv = v == V - 1 ? mask : static_cast<__mmask8>(0xFF);
    _mm512_mask_storeu_epi64(out + k + 8 * v, mv, mul_add_vec(h, c.pow52, l, c));
  }
}

template <bool kWide>
void weighted_sums(const uint64_t* const* y, const uint64_t* w, const uint64_t* w2, std::size_t terms, uint64_t* out,
                   std::size_t n, const Ifma& c, std::size_t period) {
  constexpr int kBlock = 8;
  std::size_t k = 0;
  for (; k + 8 * kBlock <= n; k += 8 * kBlock) weighted_sum_block<kBlock, kWide>(y, w, w2, terms, out, k, 0xFF, c, period);
  for (; k + 8 <= n; k += 8) weighted_sum_block<1, kWide>(y, w, w2, terms, out, k, 0xFF, c, period);
  if (k < n)
    weighted_sum_block<1, kWide>(y, w, w2, terms, out, k, static_cast<__mmask8>((1u << (n - k)) - 1), c, period);
}

// ((a - b) w + c u) mod q: a - b + q is below 2q < 2^52, a valid Shoup multiplicand, so
// each product takes three IFMA ops to [0, 2q) (no Barrett reduction of a 104-bit
// product), and the sum two conditional subtractions.
template <bool kB, bool kC>
void scale_diff_add_vecs(const uint64_t* a, const uint64_t* b, uint64_t w, const uint64_t* c, uint64_t u,
                         uint64_t* out, std::size_t n, const math::Modulus& m) {
  const Ifma k(m);
  const __m512i q2 = _mm512_add_epi64(k.q, k.q);
  const auto bcast = [](uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); };
  const __m512i vw = bcast(w), vws = bcast(shoup52(w, m)), vu = bcast(u), vus = bcast(shoup52(u, m));
  const auto step = [&](std::size_t i, __mmask8 mask) {
    __m512i d = _mm512_maskz_loadu_epi64(mask, a + i);
    if constexpr (kB) d = _mm512_sub_epi64(_mm512_add_epi64(d, k.q), _mm512_maskz_loadu_epi64(mask, b + i));
    __m512i r = mul_shoup52(d, vw, vws, k);  // [0, 2q)
    if constexpr (kC) r = csub(_mm512_add_epi64(r, mul_shoup52(_mm512_maskz_loadu_epi64(mask, c + i), vu, vus, k)), q2);
    _mm512_mask_storeu_epi64(out + i, mask, csub(r, k.q));
  };
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) step(i, 0xFF);
  if (i < n) step(i, static_cast<__mmask8>((1u << (n - i)) - 1));
}

}  // namespace

// out = a * w mod q for any 64-bit a: a = hi 2^52 + lo is already a reduce_lohi input
// (a < 2^64 <= 2^(2L) when L >= 32), then a 52-bit Shoup product with w' = floor(w 2^52 / q)
// unless w = 1 (the reduction of a wider prime's residues: the key-switching raise and
// ModDown). Cheaper than the 64-bit lanes' emulated high products.
void mul_scalar_ifma(const uint64_t* a, uint64_t w, uint64_t w_shoup, uint64_t* out, std::size_t n,
                     const math::Modulus& m) {
  if (m.bits() < 32) return mul_scalar_avx512(a, w, w_shoup, out, n, m);
  const Ifma c(m);
  const __m512i vw = _mm512_set1_epi64(static_cast<long long>(w));
  const __m512i vws = _mm512_set1_epi64(static_cast<long long>(shoup52(w, m)));
  const auto op = [&](__m512i x) {
    const __m512i r = reduce_lohi(_mm512_and_si512(x, c.mask52), _mm512_srli_epi64(x, 52), c);
    return w == 1 ? r : csub(mul_shoup52(r, vw, vws, c), c.q);
  };
  for_each_vec<false>(a, a, out, n, [&op](__m512i x, __m512i, __m512i) { return op(x); });
}

void weighted_sum_ifma(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out, std::size_t n,
                       const math::Modulus& m, int y_bits) {
  const Ifma c(m);
  const int L = m.bits();
  const bool wide = y_bits > 52;
  // High parts per term: below 2^(min(y_bits, 52) + L - 52), plus 2^(y_bits - 104 + L)
  // for the wide half; after a fold hi < q. Up to 8 terms (16 low parts: carries < 32).
  const auto pow2 = [](int e) { return e <= 0 ? uint64_t{1} : uint64_t{1} << e; };
  const uint64_t per_term = pow2((wide ? 52 : y_bits) + L - 52) + (wide ? pow2(y_bits - 104 + L) : 0);
  const uint64_t room = (uint64_t{1} << 52) - m.value() - 64;
  std::size_t period = static_cast<std::size_t>(room / per_term);
  period = period < 1 ? 1 : (period > 8 ? 8 : period);
  if (!wide) return weighted_sums<false>(y, w, nullptr, terms, out, n, c, period);
  std::vector<uint64_t> w2(terms);
  for (std::size_t t = 0; t < terms; ++t) w2[t] = m.mul(w[t], m.pow52());
  weighted_sums<true>(y, w, w2.data(), terms, out, n, c, period);
}

void scale_diff_add_ifma(const uint64_t* a, const uint64_t* b, uint64_t w, const uint64_t* c, uint64_t u,
                         uint64_t* out, std::size_t n, const math::Modulus& m) {
  if (b && c) return scale_diff_add_vecs<true, true>(a, b, w, c, u, out, n, m);
  if (b) return scale_diff_add_vecs<true, false>(a, b, w, c, u, out, n, m);
  if (c) return scale_diff_add_vecs<false, true>(a, b, w, c, u, out, n, m);
  scale_diff_add_vecs<false, false>(a, b, w, c, u, out, n, m);
}

}  // namespace ppml::rns::detail
