// The fast base conversion's weighted sums for narrow inputs (y < 2^52: digits of 40-50-bit
// primes, the bootstrap chain's special primes) into a wide prime q in [2^50, 2^61) on
// AVX-512 IFMA52: each weight w = wt 2^52 + wl enters as y wl (vpmadd52luq / vpmadd52huq)
// plus y wt (one vpmullq), instead of the 64-bit lanes' four 32-bit products and carries.
// Bit-identical to rns/eltwise_scalar.cpp (outputs in [0, q)).
#include <immintrin.h>

#include <vector>

#include "rns/eltwise.hpp"
#include "rns/lanes64_avx512.hpp"

namespace ppml::rns::detail {
namespace {

using lanes64::reduce_wide;
using lanes64::Wide;

constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;

// Sums on V vectors from coefficient k as a 2^52 + b: b takes the low halves of y wl
// (< 2^52 a term), a their high halves and y wt (< 2^61 a term); a is folded into b every
// `group` terms so that it never reaches 2^64.
template <int V>
inline void weighted_sum_wide_block(const uint64_t* const* y, const uint64_t* wl, const uint64_t* wt,
                                    std::size_t terms, std::size_t group, uint64_t* out, std::size_t k, __mmask8 mask,
                                    const Wide& c) {
  __m512i a[V], b[V];
  for (int v = 0; v < V; ++v) a[v] = b[v] = _mm512_setzero_si512();
  for (std::size_t t = 0; t < terms; ++t) {
    if (t > 0 && t % group == 0)
      for (int v = 0; v < V; ++v) b[v] = reduce_wide(a[v], b[v], c), a[v] = _mm512_setzero_si512();
    const __m512i l = lanes64::bcast(wl[t]), h = lanes64::bcast(wt[t]);
    for (int v = 0; v < V; ++v) {
      const __m512i x = _mm512_maskz_loadu_epi64(v == V - 1 ? mask : static_cast<__mmask8>(0xFF), y[t] + k + 8 * v);
      b[v] = _mm512_madd52lo_epu64(b[v], x, l);
      a[v] = _mm512_add_epi64(_mm512_madd52hi_epu64(a[v], x, l), _mm512_mullo_epi64(x, h));
    }
  }
  for (int v = 0; v < V; ++v)
    _mm512_mask_storeu_epi64(out + k + 8 * v, v == V - 1 ? mask : static_cast<__mmask8>(0xFF), reduce_wide(a[v], b[v], c));
}

}  // namespace

void weighted_sum_wide_target(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out,
                              std::size_t n, const math::Modulus& m) {
  const Wide c(m.value());
  std::vector<uint64_t> wl(terms), wt(terms);
  for (std::size_t t = 0; t < terms; ++t) wl[t] = w[t] & kMask52, wt[t] = w[t] >> 52;
  // a gains < 2^52 (1 + wt) a term (wt < 2^9 for q < 2^61): groups short enough to keep a
  // below 2^63, and b (< 2^52 a term, plus a folded residue < q) below 2^63 as
  // reduce_wide needs; smaller weights allow longer groups.
  uint64_t top = 0;
  for (std::size_t t = 0; t < terms; ++t) top = wt[t] > top ? wt[t] : top;
  const uint64_t per_term = (uint64_t{1} << 52) * (top + 1);
  std::size_t group = static_cast<std::size_t>((uint64_t{1} << 63) / per_term);
  group = group < 1 ? 1 : (group > 64 ? 64 : group);
  constexpr int kBlock = 4;
  std::size_t k = 0;
  for (; k + 8 * kBlock <= n; k += 8 * kBlock)
    weighted_sum_wide_block<kBlock>(y, wl.data(), wt.data(), terms, group, out, k, 0xFF, c);
  for (; k + 8 <= n; k += 8) weighted_sum_wide_block<1>(y, wl.data(), wt.data(), terms, group, out, k, 0xFF, c);
  if (k < n)
    weighted_sum_wide_block<1>(y, wl.data(), wt.data(), terms, group, out, k,
                               static_cast<__mmask8>((1u << (n - k)) - 1), c);
}

}  // namespace ppml::rns::detail
