// The rounding step of the exact base conversion, shared by the scalar and AVX-512 code
// (same operations, same bits): alpha from s = sum_i y_i / q_i = alpha + x / Q, or
// kAlphaUnsure when s lies within `margin` (the sum's worst rounding error) of the lift's
// boundary, where the doubles cannot decide and the integers must (base_converter.cpp).
#pragma once

#include <cstdint>

namespace ppml::rns::detail {

constexpr uint64_t kAlphaUnsure = ~uint64_t{0};

// Internal linkage on purpose: the including units are compiled with different ISA flags.
namespace {

inline uint64_t rounded_alpha(double s, bool centered, double margin) {
  double v = __builtin_floor(s + 0.5);
  const double r = s - v;  // in [-1/2, 1/2)
  const double dist = __builtin_fabs(r);
  // The boundary: +-1/2 for the centered lift, the integer for the plain one.
  if (centered ? 0.5 - dist < margin : dist < margin) return kAlphaUnsure;
  if (!centered && r < 0) v -= 1.0;
  return static_cast<uint64_t>(v);
}

}  // namespace
}  // namespace ppml::rns::detail
