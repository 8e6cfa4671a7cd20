// RLWE encryption of a plaintext polynomial (public or secret key) and decryption.
// All polynomials in evaluation form at the plaintext's level.
#pragma once

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::rlwe {

// (u*b + e0 + m, u*a + e1) with u ternary.
Ciphertext encrypt_public(const Context& ctx, const PublicKey& pk, const rns::RnsPoly& m, random::Prng& prng);
// (-a*s + e + m, a) with a = uniform(fresh seed); the ciphertext remembers the seed.
Ciphertext encrypt_secret(const Context& ctx, const SecretKey& sk, const rns::RnsPoly& m, random::Prng& prng);
// c0 + c1 s (+ c2 s^2), evaluation form, at the ciphertext's level.
rns::RnsPoly decrypt(const Context& ctx, const SecretKey& sk, const Ciphertext& ct);

// Uniform c1 of a seeded ciphertext at `level` (used on load).
rns::RnsPoly expand_ciphertext_uniform(const Context& ctx, const random::Seed& seed, int level);

}  // namespace ppml::rlwe
