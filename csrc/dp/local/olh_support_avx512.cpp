// AVX-512 kernel of the OLH support counts: 128 items per tile in 16 registers of 64-bit
// counters, 8 items per instruction (unsigned 64-bit compare into a mask).
#include <immintrin.h>

#include "dp/local/olh_support.hpp"

namespace ppml::dp::local::detail {

void olh_count_avx512(const uint64_t* a, const uint64_t* c, const uint64_t* w, std::size_t n, uint64_t d,
                      uint64_t* counts) {
  constexpr uint64_t kTile = 128;
  const uint64_t full = d - d % kTile;
  const __m512i lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i one = _mm512_set1_epi64(1);
  for (uint64_t x0 = 0; x0 < full; x0 += kTile) {
    __m512i acc[16];
    for (auto& r : acc) r = _mm512_setzero_si512();
    for (std::size_t i = 0; i < n; ++i) {
      const __m512i step = _mm512_set1_epi64(static_cast<long long>(a[i] * 8));
      const __m512i bound = _mm512_set1_epi64(static_cast<long long>(w[i]));
      __m512i t = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(a[i] * x0 + c[i])),
                                   _mm512_mullo_epi64(_mm512_set1_epi64(static_cast<long long>(a[i])), lanes));
      for (auto& r : acc) {
        r = _mm512_mask_add_epi64(r, _mm512_cmplt_epu64_mask(t, bound), r, one);
        t = _mm512_add_epi64(t, step);
      }
    }
    for (int k = 0; k < 16; ++k) {
      __m512i* dst = reinterpret_cast<__m512i*>(counts + x0 + 8 * k);
      _mm512_storeu_si512(dst, _mm512_add_epi64(_mm512_loadu_si512(dst), acc[k]));
    }
  }
  if (full < d) {
    // The last partial tile: the scalar kernel on shifted offsets c + a * full.
    for (std::size_t s = 0; s < n; s += 1024) {
      const std::size_t m = n - s < 1024 ? n - s : 1024;
      uint64_t cs[1024];
      for (std::size_t i = 0; i < m; ++i) cs[i] = c[s + i] + a[s + i] * full;
      olh_count_scalar(a + s, cs, w + s, m, d - full, counts + full);
    }
  }
}

}  // namespace ppml::dp::local::detail
