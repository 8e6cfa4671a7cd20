// Additive secret sharing over Z_2^64: x = x_0 + ... + x_{parties-1} mod 2^64, any
// parties-1 shares uniform and independent of x (the last share is x minus the others).
#pragma once

#include <cstddef>
#include <cstdint>

#include "random/prng.hpp"

namespace ppml::mpc {

// Splits `count` secrets into `parties` shares, written party-major: out[i * count + j] is
// party i's share of secrets[j]. Shares 0 .. parties-2 come from `prng`; the last closes
// the sum. Throws ParameterError if parties < 2.
void additive_share(random::Prng& prng, const uint64_t* secrets, std::size_t count, std::size_t parties,
                    uint64_t* out);

// out[j] = sum_i shares[i * count + j] mod 2^64.
void additive_reconstruct(const uint64_t* shares, std::size_t parties, std::size_t count, uint64_t* out);

}  // namespace ppml::mpc
