#include "random/samplers.hpp"

#include <vector>

#include "common/secure_zero.hpp"

namespace ppml::random {

void sample_uniform_mod(Prng& prng, uint64_t q, uint64_t* out, std::size_t n) {
  int bits = 64 - __builtin_clzll(q - 1);
  uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  std::size_t i = 0;
  uint64_t chunk[64];
  while (i < n) {
    prng.fill(chunk, sizeof(chunk));
    for (uint64_t v : chunk) {
      v &= mask;
      if (v < q) {
        out[i++] = v;
        if (i == n) break;
      }
    }
  }
  secure_zero(chunk, sizeof(chunk));  // it held the draws: Shamir coefficients, for one
}

void sample_ternary(Prng& prng, int8_t* out, std::size_t n) {
  // A byte below 255 is uniform mod 3 (255 = 3 * 85); 255 is rejected.
  std::size_t i = 0;
  uint8_t chunk[256];
  while (i < n) {
    prng.fill(chunk, sizeof(chunk));
    for (uint8_t b : chunk) {
      if (b == 255) continue;
      out[i++] = static_cast<int8_t>(b % 3) - 1;
      if (i == n) break;
    }
  }
  secure_zero(chunk, sizeof(chunk));
}

void sample_cbd(Prng& prng, int8_t* out, std::size_t n) {
  // Two 21-bit halves of one 64-bit word: popcount(a) - popcount(b).
  constexpr uint64_t mask = (uint64_t{1} << kCbdEta) - 1;
  std::size_t i = 0;
  uint64_t chunk[128];
  while (i < n) {
    prng.fill(chunk, sizeof(chunk));
    for (std::size_t k = 0; k < 128 && i < n; ++k, ++i) {
      uint64_t w = chunk[k];
      out[i] = static_cast<int8_t>(__builtin_popcountll(w & mask) - __builtin_popcountll((w >> kCbdEta) & mask));
    }
  }
  secure_zero(chunk, sizeof(chunk));
}

}  // namespace ppml::random
