// The public a-halves of key-switching keys, expanded from the key's seed. Since format
// 2.2 each a_j is AES-128-CTR output (random/aes_ctr.hpp) addressed by (digit, limb,
// 256-coefficient block), so a key may drop its a-halves ("compact": half the bytes) and
// key switching regenerates them block by block beside the inner product. Keys of format
// 2.0/2.1 used one ChaCha20 stream per digit, which cannot be entered mid-way: they load
// expanded and stay so.
#pragma once

#include <cstddef>
#include <cstdint>

#include "he/rlwe/context.hpp"
#include "random/aes_ctr.hpp"
#include "random/prng.hpp"
#include "rns/rns_poly.hpp"

namespace ppml::rlwe {

// Coefficients per independently addressable block of a_j (a whole limb when n is smaller).
constexpr std::size_t kKeyExpandBlock = 256;

// The expander of a key's a-halves: AES-128 keyed with the seed's first 16 bytes.
random::Aes128Key key_expander(const random::Seed& seed);

// Coefficients [first, first + count) of limb `limb` (index in the Q*P base, prime q) of
// a_digit; `first` and `count` multiples of min(n, kKeyExpandBlock).
void expand_key_uniform_range(const random::Aes128Key& aes, uint64_t digit, std::size_t limb, uint64_t q,
                              uint64_t n, std::size_t first, std::size_t count, uint64_t* out);

// The whole a_digit over Q*P, evaluation form.
rns::RnsPoly expand_key_uniform(const Context& ctx, const random::Seed& seed, uint64_t digit);

// Format 2.0/2.1: a_digit from the ChaCha20 stream `digit` of the seed.
rns::RnsPoly expand_key_uniform_legacy(const Context& ctx, const random::Seed& seed, uint64_t digit);

}  // namespace ppml::rlwe
