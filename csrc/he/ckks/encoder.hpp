// CKKS encoder: the canonical embedding of Z[X]/(X^n + 1) restricted to n/2 slots
// (z_j = m(zeta^(5^j)), zeta = exp(i pi / n)) via the "special FFT" [Cheon-Kim-Kim-Song
// 2017; Cheon-Han-Kim-Kim-Song 2018 (HEAAN)]. Encoding scales by `scale`, rounds, and
// writes residues of every prime of the level in evaluation form.
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"

namespace ppml::ckks {

using cdouble = std::complex<double>;

class Encoder {
 public:
  explicit Encoder(const rlwe::Context& ctx);

  std::size_t slots() const { return slots_; }

  // values: up to n/2 complex numbers (zero-padded). Throws ParameterError when a scaled
  // coefficient is not finite or exceeds 2^(bits of Q_level - 1).
  rlwe::Plaintext encode(const cdouble* values, std::size_t count, double scale, int level) const;
  // The same polynomial as encode() modulo the special primes P (evaluation form, over
  // p_base()): with the Q_level part, a plaintext over Q_level * P for products taken
  // before ModDown (double-hoisted linear transforms).
  rns::RnsPoly encode_special(const cdouble* values, std::size_t count, double scale, int level) const;
  // Real input: the imaginary parts are 0.
  rlwe::Plaintext encode_real(const double* values, std::size_t count, double scale, int level) const;
  // A constant in every slot.
  rlwe::Plaintext encode_constant(cdouble value, double scale, int level) const;
  // round(scaled_value) modulo each prime of Q_level (checked as encode() checks): the
  // residues of the constant plaintext, for products by a real constant without one.
  std::vector<uint64_t> constant_residues(double scaled_value, int level) const;
  // slots() complex values.
  std::vector<cdouble> decode(const rlwe::Plaintext& pt) const;
  // Slots of a real coefficient vector (n values) at `scale`.
  std::vector<cdouble> decode_coefficients(const double* coeffs, double scale) const;
  // Coefficients (centered, as doubles, unscaled) of an evaluation-form polynomial. With
  // `add` (n signed integers), add[j] is added to coefficient j in Z_Q, exactly, before the
  // lift: flooding noise must meet the key-dependent error before any rounding to double,
  // or a coefficient above 2^53 sigma rounds as its error dictates (release decryption).
  std::vector<double> lift_centered(const rns::RnsPoly& poly, const int64_t* add = nullptr) const;

  // In-place special FFT on slots() values: embed (decode direction) and its inverse.
  void embed(cdouble* values) const;
  void embed_inverse(cdouble* values) const;

 private:
  // The n scaled coefficients of `values` (checked as encode() does).
  std::vector<double> scaled_coefficients(const cdouble* values, std::size_t count, double scale, int level) const;
  rlwe::Plaintext from_coefficients(const std::vector<double>& coeffs, double scale, int level) const;
  // The constant polynomial round(scaled_value), written in evaluation form directly.
  rlwe::Plaintext constant_plaintext(double scaled_value, double scale, int level) const;
  int coefficient_log_bound(int level) const;

  const rlwe::Context& ctx_;
  std::size_t slots_;
  uint64_t m_;                       // 2n
  std::vector<uint64_t> rot_group_;  // 5^j mod 2n
  std::vector<cdouble> ksi_;         // exp(2 pi i k / 2n), k in [0, 2n]
  std::vector<uint32_t> bit_rev_;
  // Twiddles of every butterfly stage, in the order the loops read them.
  std::vector<cdouble> embed_twiddles_, inverse_twiddles_;
};

}  // namespace ppml::ckks
