// BFV modulus switching: divide every component by the last prime of the level and round
// (round(Q_{l-1} / Q_l * c)), which keeps the message and its scale Q/t, so a ciphertext
// can be cut to fewer primes before sending it. Evaluation form in and out.
#pragma once

#include "he/bfv/context.hpp"
#include "he/rlwe/ciphertext.hpp"

namespace ppml::bfv {

// One level down. Throws ParameterError at level 0.
rlwe::Ciphertext mod_switch_to_next(const BfvContext& ctx, const rlwe::Ciphertext& a);
// Down to `level` (0 <= level <= a.level()).
rlwe::Ciphertext mod_switch_to(const BfvContext& ctx, const rlwe::Ciphertext& a, int level);

}  // namespace ppml::bfv
