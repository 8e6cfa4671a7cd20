// Additive secret sharing over Z_2^64 (see additive.hpp).
#include "mpc/additive.hpp"

#include <cstring>

#include "common/errors.hpp"

namespace ppml::mpc {

void additive_share(random::Prng& prng, const uint64_t* secrets, std::size_t count, std::size_t parties,
                    uint64_t* out) {
  if (parties < 2) throw_parameter("additive_share", "parties", "is too small", "parties >= 2", parties);
  uint64_t* last = out + (parties - 1) * count;
  std::memcpy(last, secrets, count * sizeof(uint64_t));
  for (std::size_t i = 0; i + 1 < parties; ++i) {
    uint64_t* share = out + i * count;
    prng.fill(share, count * sizeof(uint64_t));
    for (std::size_t j = 0; j < count; ++j) last[j] -= share[j];
  }
}

void additive_reconstruct(const uint64_t* shares, std::size_t parties, std::size_t count, uint64_t* out) {
  std::memset(out, 0, count * sizeof(uint64_t));
  for (std::size_t i = 0; i < parties; ++i) {
    const uint64_t* share = shares + i * count;
    for (std::size_t j = 0; j < count; ++j) out[j] += share[j];
  }
}

}  // namespace ppml::mpc
