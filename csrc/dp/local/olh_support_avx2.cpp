// AVX2 kernel of the OLH support counts: 32 items per tile in 8 registers of 64-bit
// counters. AVX2 has only a signed 64-bit compare, so both sides are offset by 2^63
// (t + 2^63 < w + 2^63 signed <=> t < w unsigned); the offset rides along in t's start.
#include <immintrin.h>

#include "dp/local/olh_support.hpp"

namespace ppml::dp::local::detail {

void olh_count_avx2(const uint64_t* a, const uint64_t* c, const uint64_t* w, std::size_t n, uint64_t d,
                    uint64_t* counts) {
  constexpr uint64_t kTile = 32;
  constexpr uint64_t kSign = uint64_t{1} << 63;
  const uint64_t full = d - d % kTile;
  for (uint64_t x0 = 0; x0 < full; x0 += kTile) {
    __m256i acc[8];
    for (auto& r : acc) r = _mm256_setzero_si256();
    for (std::size_t i = 0; i < n; ++i) {
      const uint64_t ai = a[i];
      const uint64_t t0 = ai * x0 + c[i] + kSign;
      const __m256i step = _mm256_set1_epi64x(static_cast<long long>(ai * 4));
      const __m256i bound = _mm256_set1_epi64x(static_cast<long long>(w[i] + kSign));
      __m256i t = _mm256_setr_epi64x(static_cast<long long>(t0), static_cast<long long>(t0 + ai),
                                     static_cast<long long>(t0 + 2 * ai), static_cast<long long>(t0 + 3 * ai));
      for (auto& r : acc) {
        r = _mm256_sub_epi64(r, _mm256_cmpgt_epi64(bound, t));  // mask is -1 where t < bound
        t = _mm256_add_epi64(t, step);
      }
    }
    for (int k = 0; k < 8; ++k) {
      __m256i* dst = reinterpret_cast<__m256i*>(counts + x0 + 4 * k);
      _mm256_storeu_si256(dst, _mm256_add_epi64(_mm256_loadu_si256(dst), acc[k]));
    }
  }
  if (full < d) {
    for (std::size_t s = 0; s < n; s += 1024) {
      const std::size_t m = n - s < 1024 ? n - s : 1024;
      uint64_t cs[1024];
      for (std::size_t i = 0; i < m; ++i) cs[i] = c[s + i] + a[s + i] * full;
      olh_count_scalar(a + s, cs, w + s, m, d - full, counts + full);
    }
  }
}

}  // namespace ppml::dp::local::detail
