// AES-128 CTR with AES-NI on 128-bit registers: eight independent blocks in flight hide the
// latency of AESENC. Bit-identical to the portable cipher of aes_ctr.cpp. The file gets the
// AVX2 flags from CMake; AES-NI is enabled per function, and aes_ctr.cpp calls it only when
// the CPU reports AES and a non-scalar backend (hence AVX2) is in effect.
#include <immintrin.h>

#include "random/aes_ctr.hpp"

#define PPML_AESNI __attribute__((target("aes,avx2")))

namespace ppml::random::detail {
namespace {

PPML_AESNI inline __m128i encrypt(__m128i x, const __m128i rk[11]) {
  x = _mm_xor_si128(x, rk[0]);
  for (int r = 1; r < 10; ++r) x = _mm_aesenc_si128(x, rk[r]);
  return _mm_aesenclast_si128(x, rk[10]);
}

}  // namespace

PPML_AESNI void aes128_ctr_aesni(const Aes128Key& key, uint64_t nonce, uint64_t counter, uint8_t* out,
                                 std::size_t blocks) {
  __m128i rk[11];
  for (int r = 0; r < 11; ++r) rk[r] = _mm_load_si128(reinterpret_cast<const __m128i*>(key.round_keys[r]));
  // Low qword = counter, high qword = nonce: the block's bytes 0..7 and 8..15, little-endian.
  // _mm_add_epi64 on the low lane wraps modulo 2^64 without carrying into the nonce.
  __m128i ctr = _mm_set_epi64x(static_cast<long long>(nonce), static_cast<long long>(counter));
  const __m128i one = _mm_set_epi64x(0, 1);
  constexpr int kLanes = 8;
  for (; blocks >= kLanes; blocks -= kLanes, out += 16 * kLanes) {
    __m128i x[kLanes];
    for (int j = 0; j < kLanes; ++j) {
      x[j] = _mm_xor_si128(ctr, rk[0]);
      ctr = _mm_add_epi64(ctr, one);
    }
    for (int r = 1; r < 10; ++r)
      for (int j = 0; j < kLanes; ++j) x[j] = _mm_aesenc_si128(x[j], rk[r]);
    for (int j = 0; j < kLanes; ++j)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * j), _mm_aesenclast_si128(x[j], rk[10]));
  }
  for (; blocks > 0; --blocks, out += 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), encrypt(ctr, rk));
    ctr = _mm_add_epi64(ctr, one);
  }
}

}  // namespace ppml::random::detail
