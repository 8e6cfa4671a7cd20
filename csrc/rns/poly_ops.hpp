// Whole-polynomial operations on RnsPoly: pointwise arithmetic per limb, NTT of all
// limbs, and divide-and-round by the last prime. Operands must share n, base and form
// (MismatchError otherwise).
#pragma once

#include <cstdint>
#include <vector>

#include "rns/rns_poly.hpp"

namespace ppml::rns {

void check_compatible(const char* api, const RnsPoly& a, const RnsPoly& b);

void add(const RnsPoly& a, const RnsPoly& b, RnsPoly& out);
void sub(const RnsPoly& a, const RnsPoly& b, RnsPoly& out);
void negate(const RnsPoly& a, RnsPoly& out);
// Pointwise product per limb (the ring product when both are in evaluation form).
void multiply(const RnsPoly& a, const RnsPoly& b, RnsPoly& out);
// out += a * b pointwise.
void multiply_add(const RnsPoly& a, const RnsPoly& b, RnsPoly& out);
// out = a * scalars[i] in limb i (scalars reduced modulo each limb's prime by the caller).
void multiply_scalar(const RnsPoly& a, const std::vector<uint64_t>& scalars, RnsPoly& out);

// Coefficient -> evaluation form (and back) over every limb, in place.
void ntt_forward(RnsPoly& a);
void ntt_inverse(RnsPoly& a);

// Divides by the last prime q_l and rounds: the result has one limb fewer (base `target`
// = the prefix without q_l). Works in either form; the result keeps the form.
void rescale_by_last(const RnsPoly& a, RnsPoly& out);
// Same, with the target base (the prefix without q_l) supplied by the caller.
void rescale_by_last(const RnsPoly& a, std::shared_ptr<const RnsBase> target, RnsPoly& out);

}  // namespace ppml::rns
