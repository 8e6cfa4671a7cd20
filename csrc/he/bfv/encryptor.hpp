// BFV encryption of a plaintext (round(Q m / t) at the top level, through the shared
// RLWE encryptors), decryption (round(t x / Q_l) mod t) and the invariant noise budget.
// The noise figures are for the key owner only (SECURITY.md 3c): a decryption oracle
// that reports failures or noise helps key-recovery attacks on BFV (ePrint 2024/127).
#pragma once

#include "he/bfv/context.hpp"
#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/keys.hpp"
#include "random/prng.hpp"

namespace ppml::bfv {

rlwe::Ciphertext encrypt_public(const BfvContext& ctx, const rlwe::PublicKey& pk, const rlwe::Plaintext& pt,
                                random::Prng& prng);
rlwe::Ciphertext encrypt_secret(const BfvContext& ctx, const rlwe::SecretKey& sk, const rlwe::Plaintext& pt,
                                random::Prng& prng);

// m = round(t (c0 + c1 s (+ c2 s^2)) / Q_l) mod t. If `noise` is given, it receives the
// largest distance of t x / Q_l to an integer as a 64-bit fraction (2^63 = 1/2): the
// invariant noise, accurate to about 2^-14 (decryption is unreliable above 2^62 = 1/4).
rlwe::Plaintext decrypt(const BfvContext& ctx, const rlwe::SecretKey& sk, const rlwe::Ciphertext& ct,
                        uint64_t* noise = nullptr);
// Invariant noise (decrypt's `noise`) from which decryption is refused: 1/4.
constexpr uint64_t kDecryptionNoiseLimit = uint64_t{1} << 62;

// Invariant noise budget in bits, exactly (SEAL's definition): floor(-log2(2 ||v||)) with
// t x / Q_l = m + v (mod t), 0 when decryption fails. Multi-precision; for tests/debugging.
int noise_budget(const BfvContext& ctx, const rlwe::SecretKey& sk, const rlwe::Ciphertext& ct);

}  // namespace ppml::bfv
