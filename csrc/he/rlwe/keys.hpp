// Secret, public and key-switching keys, and their generation. Key-switching keys use the
// hybrid method (Han-Ki 2020): digits of alpha data primes, special modulus P, and
// b_j = -a_j s + e_j + P * [digit j] * s' over Q*P, so that switching d gives
// (u0, u1) with u0 + u1 s ~ d s'.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "he/rlwe/context.hpp"
#include "he/rlwe/key_switch_aux.hpp"
#include "random/prng.hpp"
#include "rns/packed_poly.hpp"
#include "rns/rns_poly.hpp"

namespace ppml::rlwe {

// Every key set has a random key_id, carried by its public and evaluation keys and by
// every ciphertext encrypted under it, so objects of different key sets never mix.
struct SecretKey {
  rns::RnsPoly s;  // over Q*P, evaluation form, wiped when freed
  uint64_t fingerprint = 0;
  uint64_t key_id = 0;
};

struct PublicKey {
  rns::RnsPoly b, a;  // over Q (top level), evaluation form; a = uniform(seed)
  random::Seed seed{};
  uint64_t fingerprint = 0;
  uint64_t key_id = 0;
};

struct KeySwitchKey {
  // One per digit, over Q*P, evaluation form, packed to each prime's width: every switch
  // streams the whole key from memory, and a 40-bit prime's limb takes 5 bytes of 8.
  std::vector<rns::PackedPoly> b;
  // a_j = expand_key_uniform(seed, j) (key_expansion.hpp); empty for a compact key, whose
  // a-halves key switching regenerates block by block (half the memory and traffic), and
  // for a key with rows over the auxiliary bases (attach_aux_key).
  std::vector<rns::PackedPoly> a;
  random::Seed seed{};
  bool legacy_expansion = false;  // a_j from format 2.0/2.1 ChaCha20 streams: never compact
  uint64_t fingerprint = 0;
  uint64_t key_id = 0;
  // The key's rows over the auxiliary bases (key_switch_aux.hpp), derived from b and a
  // where that method pays; null otherwise.
  std::shared_ptr<const AuxKey> aux;

  bool compact() const { return a.empty() && !b.empty(); }
};

struct GaloisKeys {
  std::map<uint64_t, KeySwitchKey> keys;  // Galois element -> key
  uint64_t fingerprint = 0;
  uint64_t key_id = 0;
};

SecretKey generate_secret_key(const Context& ctx, random::Prng& prng);
PublicKey generate_public_key(const Context& ctx, const SecretKey& sk, random::Prng& prng);
// Key switching from s' (over Q*P, evaluation form) to s.
// `compact`: keep only the b-halves and the seed.
KeySwitchKey generate_switch_key(const Context& ctx, const SecretKey& sk, const rns::RnsPoly& s_from,
                                 random::Prng& prng, bool compact = false);
KeySwitchKey generate_relin_key(const Context& ctx, const SecretKey& sk, random::Prng& prng, bool compact = false);
// Key for X -> X^galois_elt (odd, < 2n).
KeySwitchKey generate_galois_key(const Context& ctx, const SecretKey& sk, uint64_t galois_elt, random::Prng& prng,
                                 bool compact = false);

// True when pk was made with sk: b + a s mod q_0 is the public key's small error
// (|e| <= kCbdEta). A ternary secret of another key (-s, 0, a forged one) gives a uniform
// residue instead. Scratch holds e (secret): wiped.
bool secret_matches_public(const Context& ctx, const SecretKey& sk, const PublicKey& pk);

// Bytes of a key's polynomials in memory (packed).
std::size_t key_memory_bytes(const KeySwitchKey& key);

}  // namespace ppml::rlwe
