// RLWE ciphertexts and plaintexts: RnsPolys at one level (the first level+1 data primes),
// tagged with the parameter fingerprint and, for CKKS, the scale.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "random/prng.hpp"
#include "rns/rns_poly.hpp"

namespace ppml::rlwe {

// A form of a plaintext derived on first use and kept (BFV: the centred message in
// evaluation form at the level it was last multiplied at, so that reusing a plaintext
// costs no transforms). Shared by copies: a plaintext's message never changes once
// encoded; objects that are filled after construction are not used before.
struct PlaintextCache {
  std::mutex mutex;
  int level = -1;
  std::shared_ptr<const rns::RnsPoly> evaluation;
};

struct Plaintext {
  rns::RnsPoly poly;
  double scale = 1.0;
  uint64_t fingerprint = 0;
  std::shared_ptr<PlaintextCache> cache = std::make_shared<PlaintextCache>();
  int level() const { return static_cast<int>(poly.limbs()) - 1; }
};

struct Ciphertext {
  std::vector<rns::RnsPoly> polys;  // c0, c1 (, c2 before relinearization)
  double scale = 1.0;
  uint64_t fingerprint = 0;
  uint64_t key_id = 0;  // the key set it is encrypted under
  // A fresh symmetric encryption has c1 = uniform(seed): serialized as the seed.
  bool seeded = false;
  random::Seed seed{};
  // c1 from the seed's one ChaCha20 stream (format 2.0-2.2); else AES-CTR blocks (2.3).
  bool legacy_expansion = false;

  int level() const { return polys.empty() ? -1 : static_cast<int>(polys[0].limbs()) - 1; }
  std::size_t size() const { return polys.size(); }
  rns::Form form() const { return polys[0].form(); }
  uint64_t n() const { return polys[0].n(); }
};

}  // namespace ppml::rlwe
