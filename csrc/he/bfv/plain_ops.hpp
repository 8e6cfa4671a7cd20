// Products and sums of a BFV ciphertext with a plaintext or an integer constant: the
// plaintext is lifted to the ciphertext's level (round(Q_l m / t) for sums, centered m
// for products) and the shared RLWE arithmetic does the rest.
#pragma once

#include <cstdint>

#include "he/bfv/context.hpp"
#include "he/rlwe/ciphertext.hpp"

namespace ppml::bfv {

rlwe::Ciphertext add_plain(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Plaintext& pt);
rlwe::Ciphertext sub_plain(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Plaintext& pt);
rlwe::Ciphertext multiply_plain(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Plaintext& pt);
// a * c for an integer c in [0, t) (taken centered: c > t/2 means c - t).
rlwe::Ciphertext multiply_scalar(const BfvContext& ctx, const rlwe::Ciphertext& a, uint64_t c);

}  // namespace ppml::bfv
