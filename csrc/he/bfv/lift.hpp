// Exact centered base conversion (HPS 2018, section 2.3) and the product's scale-and-round
// as AVX-512 IFMA52 kernels, with the scalar rns::BaseConverter and bfv/scale_round.cpp as
// their fallback and oracle. Two families: both bases of primes < 2^50 ("narrow",
// lift_avx512ifma.cpp), and one base of primes in [2^50, 2^61) ("wide", e.g. SEAL's
// 54-bit chains at n = 2^15) against the narrow auxiliary base (lift_wide_avx512ifma.cpp):
// wide residues are split at bit 52 and the high part gets its own constant. The
// dispatcher picks IFMA when the CPU and the backend setting allow it.
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
  // Montgomery (R = 2^52) and Barrett constants of the wide-source kernels: -p^-1 mod 2^52;
  // floor(2^(L+51) / p) with L = bits(p), and L - 1.
  uint64_t mont_inv = 0, barrett = 0, barrett_shift = 0;
  explicit Ifma52Modulus(uint64_t p = 0);
};

// Constants of one wide target prime q in [2^50, 2^61) (64-bit lanes, no IFMA reduction).
struct WideModulus {
  uint64_t q = 0, pow52 = 0, pow52_shoup = 0;  // 2^52 mod q, floor(pow52 2^64 / q)
  double inv = 0;                              // 1 / q
  explicit WideModulus(uint64_t q = 0);
};

// Constants of the conversion from base F = {q_i} to base T = {p_j}.
struct LiftTables {
  bool wide_from = false, wide_to = false;  // F (resp. T) has a prime >= 2^50
  // The high-part products fit 52 bits (vpmadd52luq instead of vpmullq + add).
  bool fused_hi = false;
  std::vector<uint64_t> q, qhat_inv, qhat_inv_shoup;  // (Q/q_i)^-1 mod q_i; Shoup quotient on 52 bits (64 if wide_from)
  std::vector<double> inv_q;
  std::vector<Ifma52Modulus> to;    // narrow targets
  std::vector<WideModulus> to_wide;  // wide targets
  // (Q/q_i) mod p_j at [j * |F| + i]; for wide targets its low 52 bits, the rest in punctured_top.
  // Wide sources: in Montgomery form (times 2^52 mod p_j), and punctured_top = (Q/q_i) 2^104
  // mod p_j, the weight of a residue's bits >= 52.
  std::vector<uint64_t> punctured, punctured_top;
  std::vector<uint64_t> neg_q, neg_q_top;  // -Q mod p_j (split, resp. Montgomery, like punctured)
  // Terms a wide-target sum may take before an intermediate reduction (64-bit lanes).
  std::size_t group = 0;
  LiftTables(const rns::RnsBase& from, const rns::RnsBase& to);
  // A kernel exists: every prime < 2^61, one base narrow, at most 64 limbs each side.
  static bool supported(const rns::RnsBase& from, const rns::RnsBase& to);
};

// Constants of the product's scaling Q_l * B -> B (see LevelTables) for the IFMA kernels.
struct ScaleTables {
  std::vector<Ifma52Modulus> aux;
  bool wide = false, fused_hi = false;  // as in LiftTables, for Q_l -> B
  // Wide: the fraction floor(2^104 r_i / q_i) = frac_hi_i 2^52 + frac_lo_i; in Montgomery
  // form (times 2^52 mod b_k): w_mont = w, w_top[k * (l+1) + i] = w_ki 2^52 + frac_hi_i
  // (the residue bits >= 52), v_mont = v.
  std::vector<uint64_t> frac_hi, frac_lo, w_mont, w_top, v_mont;
  ScaleTables(const LevelTables& lt, const rns::RnsBase& q, const rns::RnsBase& aux);
};

// out = the centered lift of x in [0, Q) modulo every p_j, |F| limbs in, |T| limbs out.
void lift_centered(const LiftTables* fast, const rns::BaseConverter& fallback, const uint64_t* in, uint64_t* out,
                   std::size_t n);
// Product scaling (see scale_round.hpp): IFMA when lt has the fast tables.
void scale_to_aux_dispatch(const BfvContext& ctx, const LevelTables& lt, const uint64_t* xq, const uint64_t* yb,
                           uint64_t* out);

// Coefficient ranges: when the IFMA kernels run (`fast` present, CPU and backend allow it)
// the work of one polynomial splits into independent blocks of kBlock coefficients, so a
// caller may spread [0, n) over threads; limbs keep the stride n.
constexpr std::size_t kBlock = 32;
bool blocks_enabled(const void* fast, std::size_t n);
// [begin, end), multiples of kBlock; only when blocks_enabled(fast, n).
void lift_centered_range(const LiftTables& fast, const uint64_t* in, uint64_t* out, std::size_t n, std::size_t begin,
                         std::size_t end);
void scale_to_aux_range(const LevelTables& lt, const uint64_t* xq, const uint64_t* yb, uint64_t* out, std::size_t n,
                        std::size_t begin, std::size_t end);

namespace detail {
// Coefficients [begin, end) (multiples of kBlock) of limbs of stride n.
void lift_centered_avx512ifma(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n, std::size_t begin,
                              std::size_t end);
// round(t x / Q) mod b_j with the fixed-point fraction on 52 bits (W52_i = frac_i >> 12).
void scale_to_aux_avx512ifma(const LevelTables& lt, const std::vector<Ifma52Modulus>& aux, const uint64_t* xq,
                             const uint64_t* yb, uint64_t* out, std::size_t n, std::size_t begin, std::size_t end);
// Wide sources (Q -> B) or wide targets (B -> Q).
void lift_centered_wide_from_avx512ifma(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n,
                                        std::size_t begin, std::size_t end);
void lift_centered_wide_to_avx512ifma(const LiftTables& c, const uint64_t* in, uint64_t* out, std::size_t n,
                                      std::size_t begin, std::size_t end);
// Wide Q_l: the fraction on 104 bits.
void scale_to_aux_wide_avx512ifma(const LevelTables& lt, const ScaleTables& st, const uint64_t* xq, const uint64_t* yb,
                                  uint64_t* out, std::size_t n, std::size_t begin, std::size_t end);
}  // namespace detail

}  // namespace ppml::bfv
