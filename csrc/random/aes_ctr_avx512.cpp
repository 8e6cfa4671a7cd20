// AES-128 CTR with VAES on zmm registers (4 blocks per register, 8 registers in flight to
// cover the AESENC latency) and rejection sampling fused on the keystream: mask, compare,
// compress the accepted words into a register, store it whole. Compress-to-register then a
// plain store, because the compress-to-memory form is microcoded and slow on Zen 4.
// Bit-identical to the portable path of aes_ctr.cpp. CMake gives this file the AVX-512
// flags only; VAES/AES are enabled per function, and aes_ctr.cpp calls it only when the CPU
// reports both and the avx512 backend is in effect.
#include <immintrin.h>

#include <algorithm>

#include "random/aes_ctr.hpp"

#define PPML_VAES __attribute__((target("vaes,aes,popcnt,avx512f,avx512bw,avx512dq,avx512vl")))

namespace ppml::random::detail {
namespace {

constexpr int kLanes = 8;  // zmm registers in flight: 32 blocks, 512 bytes, 64 words

// Added to a counter register: `k` on each counter qword (even lanes), 0 on the nonce qwords.
PPML_VAES inline __m512i counter_step(long long k) { return _mm512_set_epi64(0, k, 0, k, 0, k, 0, k); }

// Lanes 2i, 2i+1 = counter + i, nonce: block i's bytes 0..7 and 8..15, little-endian. The
// 64-bit adds wrap each counter modulo 2^64 and never carry into the nonce.
PPML_VAES inline __m512i first_counters(uint64_t nonce, uint64_t counter) {
  __m512i base = _mm512_set_epi64(static_cast<long long>(nonce), static_cast<long long>(counter),
                                  static_cast<long long>(nonce), static_cast<long long>(counter),
                                  static_cast<long long>(nonce), static_cast<long long>(counter),
                                  static_cast<long long>(nonce), static_cast<long long>(counter));
  return _mm512_add_epi64(base, _mm512_set_epi64(0, 3, 0, 2, 0, 1, 0, 0));
}

// Each round key broadcast to all four 128-bit lanes, not written four times to memory and
// read back as one zmm (which stalls on the failed store forwarding). The zero-masked form:
// GCC 12 warns about the undefined pass-through operand of the unmasked one under a target
// attribute.
PPML_VAES inline void load_keys(const Aes128Key& key, __m512i rk[11]) {
  for (int r = 0; r < 11; ++r)
    rk[r] = _mm512_maskz_broadcast_i32x4(static_cast<__mmask16>(0xffff),
                                         _mm_load_si128(reinterpret_cast<const __m128i*>(key.round_keys[r])));
}

PPML_VAES inline __m512i encrypt4(__m512i ctr, const __m512i rk[11]) {
  __m512i x = _mm512_xor_si512(ctr, rk[0]);
  for (int r = 1; r < 10; ++r) x = _mm512_aesenc_epi128(x, rk[r]);
  return _mm512_aesenclast_epi128(x, rk[10]);
}

// x[j] = the 4 blocks at counters ctr + 4j: 32 consecutive blocks.
PPML_VAES inline void encrypt32(__m512i ctr, const __m512i rk[11], __m512i x[kLanes]) {
  const __m512i four = counter_step(4);
  for (int j = 0; j < kLanes; ++j) {
    x[j] = _mm512_xor_si512(ctr, rk[0]);
    ctr = _mm512_add_epi64(ctr, four);
  }
  for (int r = 1; r < 10; ++r)
    for (int j = 0; j < kLanes; ++j) x[j] = _mm512_aesenc_epi128(x[j], rk[r]);
  for (int j = 0; j < kLanes; ++j) x[j] = _mm512_aesenclast_epi128(x[j], rk[10]);
}

}  // namespace

PPML_VAES void aes128_ctr_vaes(const Aes128Key& key, uint64_t nonce, uint64_t counter, uint8_t* out,
                               std::size_t blocks) {
  __m512i rk[11];
  load_keys(key, rk);
  __m512i ctr = first_counters(nonce, counter);
  for (; blocks >= 4 * kLanes; blocks -= 4 * kLanes, out += 64 * kLanes) {
    __m512i x[kLanes];
    encrypt32(ctr, rk, x);
    for (int j = 0; j < kLanes; ++j) _mm512_storeu_si512(out + 64 * j, x[j]);
    ctr = _mm512_add_epi64(ctr, counter_step(4 * kLanes));
  }
  for (; blocks > 0; blocks -= std::min<std::size_t>(blocks, 4), out += 64) {
    __m512i x = encrypt4(ctr, rk);
    ctr = _mm512_add_epi64(ctr, counter_step(4));
    // Two qwords per block; a masked store does not touch (or fault on) the lanes left out.
    const __mmask8 keep = blocks >= 4 ? 0xff : static_cast<__mmask8>((1u << (2 * blocks)) - 1);
    _mm512_mask_storeu_epi64(out, keep, x);
  }
}

namespace {

PPML_VAES void uniform_mod_stream(const __m512i rk[11], uint64_t nonce, uint64_t q, uint64_t* out, std::size_t count) {
  uint64_t m = q - 1;  // mask of the bit length of q - 1, as in the portable path
  m |= m >> 1, m |= m >> 2, m |= m >> 4, m |= m >> 8, m |= m >> 16, m |= m >> 32;
  const __m512i mask = _mm512_set1_epi64(static_cast<long long>(m));
  const __m512i qv = _mm512_set1_epi64(static_cast<long long>(q));
  __m512i ctr = first_counters(nonce, 0);
  std::size_t pos = 0;
  // 32 blocks in flight (one register at a time would wait out AESENC's latency on every
  // round; key expansion asks for 256-word streams, so a short tail matters), storing only
  // the values still wanted; unused keystream is dropped, which leaves the output a prefix
  // of the same stream.
  while (pos < count) {
    __m512i x[kLanes];
    encrypt32(ctr, rk, x);
    ctr = _mm512_add_epi64(ctr, counter_step(4 * kLanes));
    for (int j = 0; j < kLanes && pos < count; ++j) {
      __m512i v = _mm512_and_si512(x[j], mask);
      __mmask8 ok = _mm512_cmplt_epu64_mask(v, qv);
      std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(__builtin_popcount(ok)), count - pos);
      _mm512_mask_storeu_epi64(out + pos, static_cast<__mmask8>((1u << take) - 1), _mm512_maskz_compress_epi64(ok, v));
      pos += take;
    }
  }
}

}  // namespace

PPML_VAES void uniform_mod_ctr_vaes(const Aes128Key& key, uint64_t nonce, uint64_t q, uint64_t* out,
                                    std::size_t count) {
  __m512i rk[11];
  load_keys(key, rk);
  uniform_mod_stream(rk, nonce, q, out, count);
}

PPML_VAES void uniform_mod_ctr_streams_vaes(const Aes128Key& key, uint64_t first_nonce, uint64_t q, uint64_t* out,
                                            std::size_t streams, std::size_t count) {
  __m512i rk[11];
  load_keys(key, rk);
  for (std::size_t k = 0; k < streams; ++k) uniform_mod_stream(rk, first_nonce + k, q, out + k * count, count);
}

}  // namespace ppml::random::detail
