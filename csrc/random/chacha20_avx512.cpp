// ChaCha20 [RFC 8439] keystream, 16 blocks in parallel with AVX-512F: one zmm register per
// state word, lane b holding block `counter + b`; bit-identical to chacha20_blocks_scalar.
// Compiled with -mavx512f... only; reached through chacha20_blocks when the effective
// backend is avx512.
#include <immintrin.h>

#include <cstring>

#include "common/secure_zero.hpp"
#include "random/chacha20.hpp"

namespace ppml::random::detail {
namespace {

#define PPML_QR16(a, b, c, d)                      \
  a = _mm512_add_epi32(a, b);                      \
  d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 16); \
  c = _mm512_add_epi32(c, d);                      \
  b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 12); \
  a = _mm512_add_epi32(a, b);                      \
  d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 8);  \
  c = _mm512_add_epi32(c, d);                      \
  b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 7)

// 16 blocks starting at `counter` written to out[0 .. 1024).
inline void sixteen_blocks(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out) {
  // Words 12..13 are the 64-bit block counter of each lane; the carry into word 13 is
  // computed in scalar so that a counter crossing 2^32 inside the batch stays exact.
  alignas(64) uint32_t lo[16], hi[16];
  for (int b = 0; b < 16; ++b) {
    uint64_t c = counter + static_cast<uint64_t>(b);
    lo[b] = static_cast<uint32_t>(c);
    hi[b] = static_cast<uint32_t>(c >> 32);
  }
  __m512i s[16];
  s[0] = _mm512_set1_epi32(0x61707865);
  s[1] = _mm512_set1_epi32(0x3320646e);
  s[2] = _mm512_set1_epi32(0x79622d32);
  s[3] = _mm512_set1_epi32(0x6b206574);
  for (int i = 0; i < 8; ++i) s[4 + i] = _mm512_set1_epi32(static_cast<int>(key[i]));
  s[12] = _mm512_load_si512(lo);
  s[13] = _mm512_load_si512(hi);
  s[14] = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream)));
  s[15] = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream >> 32)));

  __m512i x0 = s[0], x1 = s[1], x2 = s[2], x3 = s[3], x4 = s[4], x5 = s[5], x6 = s[6], x7 = s[7];
  __m512i x8 = s[8], x9 = s[9], x10 = s[10], x11 = s[11], x12 = s[12], x13 = s[13], x14 = s[14],
          x15 = s[15];
  for (int round = 0; round < 10; ++round) {
    PPML_QR16(x0, x4, x8, x12);
    PPML_QR16(x1, x5, x9, x13);
    PPML_QR16(x2, x6, x10, x14);
    PPML_QR16(x3, x7, x11, x15);
    PPML_QR16(x0, x5, x10, x15);
    PPML_QR16(x1, x6, x11, x12);
    PPML_QR16(x2, x7, x8, x13);
    PPML_QR16(x3, x4, x9, x14);
  }
  __m512i v[16] = {x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15};
  for (int i = 0; i < 16; ++i) v[i] = _mm512_add_epi32(v[i], s[i]);

  // Transpose 16x16 words: v[w] lane b -> block b word w. First a 4x4 transpose inside
  // each 128-bit lane for each group of four words, then regroup the 128-bit lanes.
  __m512i g[4][4];  // g[group][r]: words 4*group..4*group+3 of blocks 4j+r in 128-bit lane j
  for (int grp = 0; grp < 4; ++grp) {
    __m512i a0 = _mm512_unpacklo_epi32(v[4 * grp + 0], v[4 * grp + 1]);
    __m512i a1 = _mm512_unpackhi_epi32(v[4 * grp + 0], v[4 * grp + 1]);
    __m512i a2 = _mm512_unpacklo_epi32(v[4 * grp + 2], v[4 * grp + 3]);
    __m512i a3 = _mm512_unpackhi_epi32(v[4 * grp + 2], v[4 * grp + 3]);
    g[grp][0] = _mm512_unpacklo_epi64(a0, a2);
    g[grp][1] = _mm512_unpackhi_epi64(a0, a2);
    g[grp][2] = _mm512_unpacklo_epi64(a1, a3);
    g[grp][3] = _mm512_unpackhi_epi64(a1, a3);
  }
  for (int r = 0; r < 4; ++r) {
    __m512i p0 = _mm512_shuffle_i32x4(g[0][r], g[1][r], 0x44);
    __m512i p1 = _mm512_shuffle_i32x4(g[0][r], g[1][r], 0xEE);
    __m512i q0 = _mm512_shuffle_i32x4(g[2][r], g[3][r], 0x44);
    __m512i q1 = _mm512_shuffle_i32x4(g[2][r], g[3][r], 0xEE);
    _mm512_storeu_si512(out + 64 * (0 + r), _mm512_shuffle_i32x4(p0, q0, 0x88));
    _mm512_storeu_si512(out + 64 * (4 + r), _mm512_shuffle_i32x4(p0, q0, 0xDD));
    _mm512_storeu_si512(out + 64 * (8 + r), _mm512_shuffle_i32x4(p1, q1, 0x88));
    _mm512_storeu_si512(out + 64 * (12 + r), _mm512_shuffle_i32x4(p1, q1, 0xDD));
  }
}
#undef PPML_QR16

}  // namespace

void chacha20_blocks_avx512(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out,
                            std::size_t blocks) {
  std::size_t b = 0;
  for (; b + 16 <= blocks; b += 16) sixteen_blocks(key, counter + b, stream, out + 64 * b);
  if (b < blocks) {
    // Partial batch: compute 16 blocks into a scratch buffer, keep what was asked for,
    // and wipe the rest (it is keystream that must not linger).
    alignas(64) uint8_t scratch[64 * 16];
    sixteen_blocks(key, counter + b, stream, scratch);
    std::memcpy(out + 64 * b, scratch, 64 * (blocks - b));
    secure_zero(scratch, sizeof(scratch));
  }
}

}  // namespace ppml::random::detail
