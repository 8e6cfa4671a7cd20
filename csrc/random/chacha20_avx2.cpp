// ChaCha20 [RFC 8439] keystream, 8 blocks in parallel with AVX2: one ymm register per state
// word, lane b holding block `counter + b`; bit-identical to chacha20_blocks_scalar.
// Compiled with -mavx2 only; reached through chacha20_blocks when the effective backend is
// avx2 (or avx512 on a build without the AVX-512 kernel).
#include <immintrin.h>

#include <cstring>

#include "common/secure_zero.hpp"
#include "random/chacha20.hpp"

namespace ppml::random::detail {
namespace {

#define PPML_ROTL8X(x, r) _mm256_or_si256(_mm256_slli_epi32(x, r), _mm256_srli_epi32(x, 32 - (r)))
#define PPML_QR8(a, b, c, d)                            \
  a = _mm256_add_epi32(a, b);                           \
  d = PPML_ROTL8X(_mm256_xor_si256(d, a), 16);          \
  c = _mm256_add_epi32(c, d);                           \
  b = PPML_ROTL8X(_mm256_xor_si256(b, c), 12);          \
  a = _mm256_add_epi32(a, b);                           \
  d = PPML_ROTL8X(_mm256_xor_si256(d, a), 8);           \
  c = _mm256_add_epi32(c, d);                           \
  b = PPML_ROTL8X(_mm256_xor_si256(b, c), 7)

// 8 blocks starting at `counter` written to out[0 .. 512).
inline void eight_blocks(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out) {
  alignas(32) uint32_t lo[8], hi[8];
  for (int b = 0; b < 8; ++b) {
    uint64_t c = counter + static_cast<uint64_t>(b);  // 64-bit counter: carry into word 13
    lo[b] = static_cast<uint32_t>(c);
    hi[b] = static_cast<uint32_t>(c >> 32);
  }
  __m256i s[16];
  s[0] = _mm256_set1_epi32(0x61707865);
  s[1] = _mm256_set1_epi32(0x3320646e);
  s[2] = _mm256_set1_epi32(0x79622d32);
  s[3] = _mm256_set1_epi32(0x6b206574);
  for (int i = 0; i < 8; ++i) s[4 + i] = _mm256_set1_epi32(static_cast<int>(key[i]));
  s[12] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
  s[13] = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
  s[14] = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream)));
  s[15] = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream >> 32)));
  __m256i x[16];
  for (int i = 0; i < 16; ++i) x[i] = s[i];
  for (int round = 0; round < 10; ++round) {
    PPML_QR8(x[0], x[4], x[8], x[12]);
    PPML_QR8(x[1], x[5], x[9], x[13]);
    PPML_QR8(x[2], x[6], x[10], x[14]);
    PPML_QR8(x[3], x[7], x[11], x[15]);
    PPML_QR8(x[0], x[5], x[10], x[15]);
    PPML_QR8(x[1], x[6], x[11], x[12]);
    PPML_QR8(x[2], x[7], x[8], x[13]);
    PPML_QR8(x[3], x[4], x[9], x[14]);
  }
  for (int i = 0; i < 16; ++i) x[i] = _mm256_add_epi32(x[i], s[i]);
  // Transpose each half (words 8h .. 8h+7) as an 8x8 matrix of words: 4x4 inside the
  // 128-bit lanes, then pair the lanes.
  for (int h = 0; h < 2; ++h) {
    const __m256i* v = x + 8 * h;
    __m256i u[8];
    for (int grp = 0; grp < 2; ++grp) {
      __m256i t0 = _mm256_unpacklo_epi32(v[4 * grp + 0], v[4 * grp + 1]);
      __m256i t1 = _mm256_unpackhi_epi32(v[4 * grp + 0], v[4 * grp + 1]);
      __m256i t2 = _mm256_unpacklo_epi32(v[4 * grp + 2], v[4 * grp + 3]);
      __m256i t3 = _mm256_unpackhi_epi32(v[4 * grp + 2], v[4 * grp + 3]);
      u[4 * grp + 0] = _mm256_unpacklo_epi64(t0, t2);  // blocks 4j + 0
      u[4 * grp + 1] = _mm256_unpackhi_epi64(t0, t2);  // blocks 4j + 1
      u[4 * grp + 2] = _mm256_unpacklo_epi64(t1, t3);  // blocks 4j + 2
      u[4 * grp + 3] = _mm256_unpackhi_epi64(t1, t3);  // blocks 4j + 3
    }
    for (int r = 0; r < 4; ++r) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 64 * r + 32 * h),
                          _mm256_permute2x128_si256(u[r], u[4 + r], 0x20));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 64 * (4 + r) + 32 * h),
                          _mm256_permute2x128_si256(u[r], u[4 + r], 0x31));
    }
  }
}
#undef PPML_QR8
#undef PPML_ROTL8X

}  // namespace

void chacha20_blocks_avx2(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out,
                          std::size_t blocks) {
  std::size_t b = 0;
  for (; b + 8 <= blocks; b += 8) eight_blocks(key, counter + b, stream, out + 64 * b);
  if (b < blocks) {
    alignas(32) uint8_t scratch[64 * 8];
    eight_blocks(key, counter + b, stream, scratch);
    std::memcpy(out + 64 * b, scratch, 64 * (blocks - b));
    secure_zero(scratch, sizeof(scratch));
  }
}

}  // namespace ppml::random::detail
