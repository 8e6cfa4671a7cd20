// Sparse-secret encapsulation for bootstrapping (Bossuat, Troncoso-Pastoriza, Hubaux,
// ePrint 2022/024): the level-0 ciphertext is switched from the dense secret s to an
// ephemeral sparse secret s' of Hamming weight h before ModRaise, which bounds the
// overflow I of ModRaise by about sqrt(h), and switched back to s right after.
//
// The key s -> s' is an RLWE sample under the SPARSE secret, so only its level-0 part
// (modulus q_0 * P) may exist: the rows of the other data primes are zeroed here, and the
// security argument is made for q_0 * P alone (docs/bootstrapping.md). The key s' -> s is
// an ordinary key-switching key under the dense secret.
#pragma once

#include <cstdint>

#include "he/rlwe/keys.hpp"

namespace ppml::ckks {

struct EphemeralKeys {
  rlwe::KeySwitchKey to_sparse;  // s -> s', level 0 only
  rlwe::KeySwitchKey to_dense;   // s' -> s
};

// Uniform ternary polynomial with exactly `weight` nonzero coefficients, over Q*P,
// evaluation form, wiped when freed.
rns::RnsPoly sample_sparse_ternary(const rlwe::Context& ctx, int weight, random::Prng& prng);

// `compact`: both keys without their a-halves (rlwe::KeySwitchKey::compact).
EphemeralKeys generate_ephemeral_keys(const rlwe::Context& ctx, const rlwe::SecretKey& sk, int weight,
                                      random::Prng& prng, bool compact = false);

// Zero every row of a key that a level-0 switch does not read (digits past the first, and
// the data primes q_1..q_L of the first).
void restrict_to_level0(const rlwe::Context& ctx, rlwe::KeySwitchKey& key);

}  // namespace ppml::ckks
