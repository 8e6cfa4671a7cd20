// AES-128 [FIPS-197] in counter mode [SP 800-38A], used only to expand *public* uniform
// polynomials (the a-halves of key-switching keys) from a public seed, as FrodoKEM-AES
// expands its matrix A. Counter mode makes every block addressable, so key switching can
// regenerate a key's a-half block by block next to the inner product instead of reading it
// from memory (half the key bytes; see docs/key-switching.md). Secrets never go through it:
// secret randomness comes from the ChaCha20 generator of prng.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml::random {

struct Aes128Key {
  alignas(16) uint8_t round_keys[11][16];
};

Aes128Key aes128_expand_key(const uint8_t key[16]);

// `blocks` keystream blocks E_k(counter + i || nonce): bytes 0..7 of the input block are
// the 64-bit counter, bytes 8..15 the nonce, both little-endian. Same bytes on every path.
void aes128_ctr(const Aes128Key& key, uint64_t nonce, uint64_t counter, uint8_t* out, std::size_t blocks);

// `count` uniform residues in [0, q) (2 <= q < 2^63) of stream `nonce`: the keystream from
// counter 0 read as little-endian 64-bit words, each masked to the bit length of q - 1 and
// kept, in order, when below q (rejection: no modulo bias). Same values on every path.
void uniform_mod_ctr(const Aes128Key& key, uint64_t nonce, uint64_t q, uint64_t* out, std::size_t count);

// uniform_mod_ctr for the streams first_nonce, first_nonce + 1, ... (`streams` of them,
// `count` residues each, written one after the other): the same values, with the round
// keys loaded once (a key's a-half is expanded in 256-word streams).
void uniform_mod_ctr_streams(const Aes128Key& key, uint64_t first_nonce, uint64_t q, uint64_t* out,
                             std::size_t streams, std::size_t count);

// The kernel used under the current backend setting: "vaes", "aesni" or "scalar".
const char* aes128_ctr_kernel_name();

}  // namespace ppml::random
