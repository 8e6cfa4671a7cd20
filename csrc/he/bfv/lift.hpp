// Exact centered base conversion (HPS 2018, section 2.3) and the product's scale-and-round
// as AVX-512 IFMA52 kernels for bases of primes < 2^50, with the scalar rns::BaseConverter
// and bfv/scale_round.cpp as their fallback and oracle. The dispatcher picks IFMA when the
// CPU and the backend setting allow it and every prime fits.
#pragma once

#include <cstdint>
#include <vector>

#include "rns/base_converter.hpp"
#include "rns/rns_base.hpp"

namespace ppml::bfv {

struct LevelTables;
class BfvContext;

// Reduction constants of one target prime p < 2^50 for the 52-bit kernels.
struct Ifma52Modulus {
  uint64_t p = 0, ratio = 0, pow52 = 0, pow52_shoup = 0;  // floor(2^52/p), 2^52 mod p, floor(pow52 2^52 / p)
  explicit Ifma52Modulus(uint64_t p = 0);
};

// Constants of the conversion from base F = {q_i} to base T = {p_j}.
struct LiftTables {
  std::vector<uint64_t> q, qhat_inv, qhat_inv_shoup;  // (Q/q_i)^-1 mod q_i, floor(. 2^52 / q_i)
  std::vector<double> inv_q;
  std::vector<Ifma52Modulus> to;
  std::vector<uint64_t> punctured;  // (Q/q_i) mod p_j at [j * |F| + i]
  std::vector<uint64_t> neg_q;      // -Q mod p_j
  LiftTables(const rns::RnsBase& from, const rns::RnsBase& to);
  // Every prime of both bases < 2^50.
  static bool fits(const rns::RnsBase& from, const rns::RnsBase& to);
};

// out = the centered lift of x in [0, Q) modulo every p_j, |F| limbs in, |T| limbs out.
void lift_centered(const LiftTables* fast, const rns::BaseConverter& fallback, const uint64_t* in, uint64_t* out,
                   std::size_t n);
// Product scaling (see scale_round.hpp): IFMA when lt has the fast tables.
void scale_to_aux_dispatch(const BfvContext& ctx, const LevelTables& lt, const uint64_t* xq, const uint64_t* yb,
                           uint64_t* out);

namespace detail {
void lift_centered_avx512ifma(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n);
// round(t x / Q) mod b_j with the fixed-point fraction on 52 bits (W52_i = frac_i >> 12).
void scale_to_aux_avx512ifma(const LevelTables& lt, const std::vector<Ifma52Modulus>& aux, const uint64_t* xq,
                             const uint64_t* yb, uint64_t* out, std::size_t n);
}  // namespace detail

}  // namespace ppml::bfv
