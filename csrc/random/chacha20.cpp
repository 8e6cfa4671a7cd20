#include "random/chacha20.hpp"

#include <cstring>

#include "common/backend.hpp"

namespace ppml::random {
namespace {

inline uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

#define PPML_QR(a, b, c, d) \
  a += b;                  \
  d = rotl(d ^ a, 16);     \
  c += d;                  \
  b = rotl(b ^ c, 12);     \
  a += b;                  \
  d = rotl(d ^ a, 8);      \
  c += d;                  \
  b = rotl(b ^ c, 7)

inline void store_le32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

}  // namespace

void chacha20_block(const uint32_t key[8], const uint32_t tail[4], uint8_t out[64]) {
  uint32_t s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  std::memcpy(s + 4, key, 32);
  std::memcpy(s + 12, tail, 16);
  uint32_t x[16];
  std::memcpy(x, s, sizeof(s));
  for (int round = 0; round < 10; ++round) {
    PPML_QR(x[0], x[4], x[8], x[12]);
    PPML_QR(x[1], x[5], x[9], x[13]);
    PPML_QR(x[2], x[6], x[10], x[14]);
    PPML_QR(x[3], x[7], x[11], x[15]);
    PPML_QR(x[0], x[5], x[10], x[15]);
    PPML_QR(x[1], x[6], x[11], x[12]);
    PPML_QR(x[2], x[7], x[8], x[13]);
    PPML_QR(x[3], x[4], x[9], x[14]);
  }
  for (int i = 0; i < 16; ++i) store_le32(out + 4 * i, x[i] + s[i]);
}
#undef PPML_QR

namespace detail {
void chacha20_blocks_scalar(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out,
                            std::size_t blocks) {
  for (std::size_t b = 0; b < blocks; ++b) {
    uint64_t c = counter + b;
    uint32_t tail[4] = {static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32),
                        static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)};
    chacha20_block(key, tail, out + 64 * b);
  }
}
}  // namespace detail

const char* chacha20_kernel_name() {
#ifdef PPML_HAVE_CHACHA20_AVX512
  if (effective_backend() == Backend::Avx512) return "avx512";
#endif
#ifdef PPML_HAVE_CHACHA20_AVX2
  if (effective_backend() != Backend::Scalar) return "avx2";
#endif
  return "scalar";
}

void chacha20_blocks(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out,
                     std::size_t blocks) {
#ifdef PPML_HAVE_CHACHA20_AVX512
  if (effective_backend() == Backend::Avx512) return detail::chacha20_blocks_avx512(key, counter, stream, out, blocks);
#endif
#ifdef PPML_HAVE_CHACHA20_AVX2
  if (effective_backend() != Backend::Scalar) return detail::chacha20_blocks_avx2(key, counter, stream, out, blocks);
#endif
  detail::chacha20_blocks_scalar(key, counter, stream, out, blocks);
}

}  // namespace ppml::random
