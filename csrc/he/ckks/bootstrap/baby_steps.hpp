// The baby-step half of a baby-step giant-step linear transform with double hoisting
// (Bossuat, Mouchet, Troncoso-Pastoriza, Hubaux, Eurocrypt 2021, sec. 5): c1 is decomposed
// once; each baby rotation's key inner product stays over Q_l * P (no ModDown), the
// pre-rotated diagonals multiply there, and each giant step's partial sum takes a single
// ModDown. A baby rotation then costs its inner product and one automorphism instead of
// a full ModDown, so plans can afford many more baby steps than giant steps.
#pragma once

#include <cstdint>
#include <vector>

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::ckks {

// A diagonal over Q_l * P: the plaintext at level l and its residues modulo P (from
// Encoder::encode and Encoder::encode_special on the same values).
struct HoistedDiagonal {
  rlwe::Plaintext q_part;
  rns::RnsPoly p_part;
};

// One term of a partial sum: the baby rotation (-1: none; else an index into the
// elements) times a diagonal.
struct BabyTerm {
  int baby;
  const HoistedDiagonal* diagonal;
};

// For every group, sum_t rot(ct, elts[baby_t]) * diagonal_t as one ciphertext at ct's
// level, scale ct.scale * diagonal scale. keys[r] switches elts[r].
std::vector<rlwe::Ciphertext> baby_step_sums(const rlwe::Context& ctx, const rlwe::Ciphertext& ct,
                                             const std::vector<uint64_t>& elts,
                                             const std::vector<const rlwe::KeySwitchKey*>& keys,
                                             const std::vector<std::vector<BabyTerm>>& groups);

}  // namespace ppml::ckks
