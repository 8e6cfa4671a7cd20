// AES-128 key expansion, the portable byte-oriented cipher (FIPS-197 section 5, written for
// clarity: it is the oracle of the AES-NI and VAES kernels), the CTR keystream, uniform
// residues by rejection, and the run-time choice of kernel. Table look-ups are acceptable
// here because key and data are public (see aes_ctr.hpp); nothing secret goes through AES.
#include "random/aes_ctr.hpp"

#include <cstring>

#include "common/backend.hpp"
#include "common/cpu_features.hpp"

namespace ppml::random {

// Kernels of the other translation units (same contract as the public functions).
namespace detail {
#ifdef PPML_HAVE_AES_CTR_AVX512
void aes128_ctr_vaes(const Aes128Key& key, uint64_t nonce, uint64_t counter, uint8_t* out, std::size_t blocks);
void uniform_mod_ctr_vaes(const Aes128Key& key, uint64_t nonce, uint64_t q, uint64_t* out, std::size_t count);
void uniform_mod_ctr_streams_vaes(const Aes128Key& key, uint64_t first_nonce, uint64_t q, uint64_t* out,
                                  std::size_t streams, std::size_t count);
#endif
#ifdef PPML_HAVE_AES_CTR_AVX2
void aes128_ctr_aesni(const Aes128Key& key, uint64_t nonce, uint64_t counter, uint8_t* out, std::size_t blocks);
#endif
}  // namespace detail

namespace {

constexpr uint8_t kSbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16};

// Multiplication by x in GF(2^8) mod x^8 + x^4 + x^3 + x + 1 (FIPS-197 4.2.1).
inline uint8_t xtime(uint8_t b) { return static_cast<uint8_t>((b << 1) ^ ((b >> 7) * 0x1b)); }

// One block, state byte s[r + 4c] = row r, column c (FIPS-197 3.4).
void encrypt_block(const Aes128Key& key, const uint8_t in[16], uint8_t out[16]) {
  uint8_t s[16];
  for (int i = 0; i < 16; ++i) s[i] = in[i] ^ key.round_keys[0][i];
  for (int round = 1; round <= 10; ++round) {
    uint8_t t[16];
    // SubBytes and ShiftRows: row r rotates left by r columns.
    for (int c = 0; c < 4; ++c)
      for (int r = 0; r < 4; ++r) t[r + 4 * c] = kSbox[s[r + 4 * ((c + r) % 4)]];
    if (round < 10) {  // MixColumns, omitted in the last round
      for (int c = 0; c < 4; ++c) {
        uint8_t* col = t + 4 * c;
        uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3], all = a0 ^ a1 ^ a2 ^ a3;
        col[0] = a0 ^ all ^ xtime(a0 ^ a1);
        col[1] = a1 ^ all ^ xtime(a1 ^ a2);
        col[2] = a2 ^ all ^ xtime(a2 ^ a3);
        col[3] = a3 ^ all ^ xtime(a3 ^ a0);
      }
    }
    for (int i = 0; i < 16; ++i) s[i] = t[i] ^ key.round_keys[round][i];
  }
  std::memcpy(out, s, 16);
}

inline void store_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // one load: GCC does not merge the byte-wise form here
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

void aes128_ctr_scalar(const Aes128Key& key, uint64_t nonce, uint64_t counter, uint8_t* out, std::size_t blocks) {
  uint8_t in[16];
  store_le64(in + 8, nonce);
  for (std::size_t b = 0; b < blocks; ++b) {
    store_le64(in, counter + b);  // wraps modulo 2^64; the nonce half is never touched
    encrypt_block(key, in, out + 16 * b);
  }
}

// Mask of the bit length of q - 1: a masked word is below q with probability > 1/2.
inline uint64_t rejection_mask(uint64_t q) {
  uint64_t m = q - 1;
  m |= m >> 1, m |= m >> 2, m |= m >> 4, m |= m >> 8, m |= m >> 16, m |= m >> 32;
  return m;
}

// Rejection sampling on the keystream from counter 0, generated `kChunk` blocks at a time
// by `ctr` (any of the aes128_ctr kernels): words are taken strictly in stream order.
template <typename Ctr>
void uniform_mod_with(Ctr ctr, const Aes128Key& key, uint64_t nonce, uint64_t q, uint64_t* out, std::size_t count) {
  constexpr std::size_t kChunk = 64;
  uint8_t buf[16 * kChunk];
  const uint64_t mask = rejection_mask(q);
  std::size_t pos = 0;
  if (count == 0) return;
  for (uint64_t counter = 0;; counter += kChunk) {
    ctr(key, nonce, counter, buf, kChunk);
    for (std::size_t w = 0; w < 2 * kChunk; ++w) {
      uint64_t v = load_le64(buf + 8 * w) & mask;
      out[pos] = v;  // branch-free: kept only if accepted, else overwritten by the next one
      pos += v < q;
      if (pos == count) return;
    }
  }
}

enum class Kernel { Scalar, Aesni, Vaes };

Kernel kernel() {
  [[maybe_unused]] const Backend b = effective_backend();
  [[maybe_unused]] const CpuFeatures& f = cpu_features();
#ifdef PPML_HAVE_AES_CTR_AVX512
  if (b == Backend::Avx512 && f.vaes && f.aes) return Kernel::Vaes;
#endif
#ifdef PPML_HAVE_AES_CTR_AVX2
  // The AES-NI file is compiled with the AVX2 flags: any non-scalar backend implies AVX2.
  if (b != Backend::Scalar && f.aes) return Kernel::Aesni;
#endif
  return Kernel::Scalar;
}

}  // namespace

Aes128Key aes128_expand_key(const uint8_t key[16]) {
  // FIPS-197 5.2 with Nk = 4: w[i] = w[i-4] ^ (i % 4 ? w[i-1] : SubWord(RotWord(w[i-1])) ^ Rcon).
  Aes128Key k;
  std::memcpy(k.round_keys[0], key, 16);
  uint8_t rcon = 0x01;
  for (int r = 1; r <= 10; ++r) {
    const uint8_t* prev = k.round_keys[r - 1];
    uint8_t* cur = k.round_keys[r];
    uint8_t t[4] = {static_cast<uint8_t>(kSbox[prev[13]] ^ rcon), kSbox[prev[14]], kSbox[prev[15]], kSbox[prev[12]]};
    for (int i = 0; i < 4; ++i) cur[i] = prev[i] ^ t[i];
    for (int i = 4; i < 16; ++i) cur[i] = prev[i] ^ cur[i - 4];
    rcon = xtime(rcon);
  }
  return k;
}

const char* aes128_ctr_kernel_name() {
  switch (kernel()) {
    case Kernel::Vaes:
      return "vaes";
    case Kernel::Aesni:
      return "aesni";
    default:
      return "scalar";
  }
}

void aes128_ctr(const Aes128Key& key, uint64_t nonce, uint64_t counter, uint8_t* out, std::size_t blocks) {
  switch (kernel()) {
#ifdef PPML_HAVE_AES_CTR_AVX512
    case Kernel::Vaes:
      return detail::aes128_ctr_vaes(key, nonce, counter, out, blocks);
#endif
#ifdef PPML_HAVE_AES_CTR_AVX2
    case Kernel::Aesni:
      return detail::aes128_ctr_aesni(key, nonce, counter, out, blocks);
#endif
    default:
      return aes128_ctr_scalar(key, nonce, counter, out, blocks);
  }
}

void uniform_mod_ctr(const Aes128Key& key, uint64_t nonce, uint64_t q, uint64_t* out, std::size_t count) {
  switch (kernel()) {
#ifdef PPML_HAVE_AES_CTR_AVX512
    case Kernel::Vaes:
      return detail::uniform_mod_ctr_vaes(key, nonce, q, out, count);
#endif
#ifdef PPML_HAVE_AES_CTR_AVX2
    case Kernel::Aesni:
      return uniform_mod_with(detail::aes128_ctr_aesni, key, nonce, q, out, count);
#endif
    default:
      return uniform_mod_with(aes128_ctr_scalar, key, nonce, q, out, count);
  }
}

void uniform_mod_ctr_streams(const Aes128Key& key, uint64_t first_nonce, uint64_t q, uint64_t* out,
                             std::size_t streams, std::size_t count) {
#ifdef PPML_HAVE_AES_CTR_AVX512
  if (kernel() == Kernel::Vaes) return detail::uniform_mod_ctr_streams_vaes(key, first_nonce, q, out, streams, count);
#endif
  for (std::size_t k = 0; k < streams; ++k) uniform_mod_ctr(key, first_nonce + k, q, out + k * count, count);
}

}  // namespace ppml::random
