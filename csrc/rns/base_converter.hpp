// Fast RNS base conversion from base B = {q_i} to base C = {p_j} without leaving RNS:
// y_i = [x_i (Q/q_i)^-1]_{q_i}, out_j = sum_i y_i (Q/q_i) mod p_j. The plain ("approx")
// result is x + alpha*Q with 0 <= alpha < |B| [Bajard-Eynard-Hasan-Zucca 2016]; the exact
// variant removes alpha*Q with a floating-point estimate of alpha
// [Halevi-Polyakov-Shoup 2018], giving x (or its centered lift) modulo every p_j.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "rns/rns_base.hpp"

namespace ppml::rns {

class BaseConverter {
 public:
  BaseConverter(std::shared_ptr<const RnsBase> from, std::shared_ptr<const RnsBase> to);

  const RnsBase& from() const { return *from_; }
  const RnsBase& to() const { return *to_; }

  // in: |B| limbs of n words (limb-major, each < q_i); out: |C| limbs of n words.
  void convert_approx(const uint64_t* in, uint64_t* out, std::size_t n) const;
  // Exact: out_j = x mod p_j for x in [0, Q) (centered = false) or for the centered
  // representative in [-Q/2, Q/2) (centered = true), for every x: the doubles of HPS18
  // (Lemma 2) decide alpha except within their rounding error of the lift's boundary,
  // where the integers do.
  void convert_exact(const uint64_t* in, uint64_t* out, std::size_t n, bool centered) const;

  // convert_approx in two steps, for callers that consume a few target limbs at a time
  // while they are in cache: y_i = [x_i (Q/q_i)^-1]_{q_i} for the source limb i, in place
  // (once per limb), then the limbs of `targets` (indices into C) from all |B| scaled
  // limbs, read once for all of them (block by block). The same values as convert_approx.
  void scale_input(std::size_t i, uint64_t* x, std::size_t n) const;
  void convert_scaled_to(const uint64_t* const* y, const std::vector<std::size_t>& targets,
                         const std::vector<uint64_t*>& outs, std::size_t n) const;

 private:
  void scaled_inputs(const uint64_t* in, uint64_t* y, std::size_t n) const;
  // alpha of coefficient k of the scaled rows y, from the integers (the slow, certain way).
  uint64_t exact_alpha(const uint64_t* y, std::size_t n, std::size_t k, bool centered) const;
  void accumulate(const uint64_t* y, uint64_t* out, std::size_t n) const;

  std::shared_ptr<const RnsBase> from_, to_;
  // punctured_mod_[j * |B| + i] = (Q / q_i) mod p_j
  std::vector<uint64_t> punctured_mod_;
  // Q mod p_j
  std::vector<uint64_t> q_mod_;
  std::vector<double> inv_q_;  // 1 / q_i
  std::vector<uint64_t> alpha_q_mod_;  // [j * (|B| + 1) + a] = a Q mod p_j: the exact lift's correction
  int from_bits_ = 0;                  // bits of the largest q_i: bounds the scaled inputs y_i
  double alpha_margin_ = 0;            // twice the worst rounding error of sum_i y_i / q_i
};

}  // namespace ppml::rns
