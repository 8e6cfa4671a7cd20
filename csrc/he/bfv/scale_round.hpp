// The two scale-and-round kernels of BFV in RNS, integer-only with a 64-bit fixed-point
// fraction [Halevi-Polyakov-Shoup 2018, Lemma 3 ("simple scaling") and section 4.2]:
//   decryption   x mod Q_l          -> round(t x / Q_l) mod t
//   product      x mod Q_l * B      -> round(t x / Q_l) mod B
// Inputs in coefficient form, each limb in [0, q). The fraction sum_i x_i r_i / q_i is
// computed with frac_i = floor(2^64 r_i / q_i): absolute error below (l+1) 2^-3 for
// 61-bit primes, 2^-14 per prime below 2^50 - exact rounding except within that
// distance of a half-integer, which only a ciphertext at the edge of decryption reaches.
#pragma once

#include <cstdint>

#include "he/bfv/context.hpp"

namespace ppml::bfv {

// out[k] = round(t x_k / Q_l) mod t. Returns the largest distance of t x_k / Q_l to its
// rounding over all k, as a 64-bit fraction of 1 (2^63 = 1/2): the invariant noise.
uint64_t scale_to_plain(const BfvContext& ctx, const LevelTables& lt, const uint64_t* x, uint64_t* out);

// xq: l+1 limbs mod q_i, yb: |B| limbs mod b_k, of one integer per coefficient;
// out: |B| limbs of round(t x / Q_l) mod b_k.
void scale_to_aux(const BfvContext& ctx, const LevelTables& lt, const uint64_t* xq, const uint64_t* yb, uint64_t* out);

}  // namespace ppml::bfv
