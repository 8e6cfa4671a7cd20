// The baby-step half of a baby-step giant-step linear transform with double hoisting
// (Bossuat, Mouchet, Troncoso-Pastoriza, Hubaux, Eurocrypt 2021, sec. 5): c1 is decomposed
// once; each baby rotation's key inner product stays over Q_l * P (no ModDown), the
// pre-rotated diagonals multiply there, and each giant step's partial sum takes a single
// ModDown. A baby rotation then costs its inner product and one automorphism instead of
// a full ModDown, so plans can afford many more baby steps than giant steps.
#pragma once

#include <cstdint>
#include <vector>

#include "common/aligned_buffer.hpp"
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

// A group's sum over Q_l * P before its ModDown: about P times the ciphertext (acc0, acc1:
// level + 1 + |P| limbs each, data primes first, evaluation form) of scale `scale`.
struct QpPartial {
  AlignedBuffer<uint64_t> acc0, acc1;
  double scale = 0;
};

// baby_step_sums without the ModDowns (giant_steps.hpp's linear_transform_rescale divides
// only what a rotation needs).
std::vector<QpPartial> baby_step_partials(const rlwe::Context& ctx, const rlwe::Ciphertext& ct,
                                          const std::vector<uint64_t>& elts,
                                          const std::vector<const rlwe::KeySwitchKey*>& keys,
                                          const std::vector<std::vector<BabyTerm>>& groups);

// For every group, sum_t rot(ct, elts[baby_t]) * diagonal_t as one ciphertext at ct's
// level, scale ct.scale * diagonal scale. keys[r] switches elts[r].
std::vector<rlwe::Ciphertext> baby_step_sums(const rlwe::Context& ctx, const rlwe::Ciphertext& ct,
                                             const std::vector<uint64_t>& elts,
                                             const std::vector<const rlwe::KeySwitchKey*>& keys,
                                             const std::vector<std::vector<BabyTerm>>& groups);

}  // namespace ppml::ckks
