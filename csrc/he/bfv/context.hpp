// BFV on top of the RLWE context: the plaintext modulus t, the scaled encoding constants
// of every level, the auxiliary RNS base B of the scale-invariant multiplication and the
// constants of the two scale-and-round steps (Q_l -> t for decryption, Q_l*B -> B for
// the product). [Fan-Vercauteren 2012; Halevi-Polyakov-Shoup 2018, sections 2.3 and 4]
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "he/bfv/lift.hpp"
#include "he/rlwe/context.hpp"
#include "math/modulus.hpp"
#include "rns/base_converter.hpp"
#include "rns/rns_base.hpp"

namespace ppml::bfv {

// Constants of one level l (data primes q_0 .. q_l, Q_l their product).
struct LevelTables {
  int level = 0;
  // Encoding of m in [0, t): round(Q_l m / t) = Delta m + floor(((Q_l mod t) m + t/2) / t).
  std::vector<uint64_t> delta;  // floor(Q_l / t) mod q_i
  uint64_t q_mod_t = 0;         // Q_l mod t
  uint64_t q_mod_t_shoup = 0;   // Shoup quotient of q_mod_t modulo t
  // round(t x / Q_l) for x given by its residues x_i: with r_i = t (Q_l/q_i)^-1 mod q_i,
  //   t x / Q_l = sum_i x_i (theta_i + r_i / q_i)  (mod t),
  // theta_i = floor(t [(Q_l/q_i)^-1]_{q_i} / q_i) mod t, frac_i = floor(2^64 r_i / q_i).
  std::vector<uint64_t> theta_mod_t;
  std::vector<uint64_t> frac;
  // The next 64 bits, floor(2^128 r_i / q_i) - 2^64 frac_i: decryption sums the 128-bit
  // fractions, whose truncation costs x_i / 2^128 per limb. With 64 bits it cost up to
  // q_i / 2^64 (1/8 at 61 bits): 12 such limbs misread fresh ciphertexts (review
  // 2026-12-08). The product's scaling keeps 64 bits: its error is noise it bounds.
  std::vector<uint64_t> frac_lo;
  // Product (HPS): round(t x / Q_l) mod b_k for x given modulo Q_l * B is
  //   sum_i x_i w_ki + round(sum_i x_i r_i / q_i) + y_k v_k  (mod b_k),
  // w_ki = -r_i q_i^-1 mod b_k (w[k * (l+1) + i]), v_k = t Q_l^-1 mod b_k.
  std::vector<uint64_t> w;
  std::vector<uint64_t> v;
  std::unique_ptr<rns::BaseConverter> q_to_b;  // centered lift Q_l -> B
  std::unique_ptr<rns::BaseConverter> b_to_q;  // centered lift B -> Q_l
  // IFMA52 constants of the same conversions and of the product's scaling, present when
  // a kernel exists (LiftTables::supported: B is below 2^50, Q_l below 2^61).
  std::unique_ptr<LiftTables> q_to_b_fast, b_to_q_fast;
  std::unique_ptr<ScaleTables> scale_fast;
};

class BfvContext {
 public:
  // Throws ParameterError unless the RLWE context is a BFV one with 2 <= t < every data
  // prime and t < 2^60.
  explicit BfvContext(std::shared_ptr<const rlwe::Context> ctx);

  const rlwe::Context& rlwe() const { return *ctx_; }
  const std::shared_ptr<const rlwe::Context>& rlwe_ptr() const { return ctx_; }
  uint64_t n() const { return ctx_->n(); }
  uint64_t t() const { return t_.value(); }
  const math::Modulus& plain_modulus() const { return t_; }
  // True when t is a prime = 1 mod 2n (the batch encoder works).
  bool batching() const { return batching_; }

  // ParameterError for a level outside 0..max_level.
  const LevelTables& level(int l) const {
    ctx_->check_level("bfv.Context", l);
    return *levels_[static_cast<std::size_t>(l)];
  }
  // Auxiliary base B of the product: NTT primes < 2^50 (the IFMA kernels), none of the
  // chain's, with B > 8 t n Q so that round(t c / Q) of a tensor coefficient c lifts
  // exactly from B.
  const std::shared_ptr<const rns::RnsBase>& aux_base() const { return aux_; }
  const ntt::NttTables& aux_ntt(std::size_t k) const { return *aux_->ntt_tables(n())[k]; }

 private:
  std::shared_ptr<const rlwe::Context> ctx_;
  math::Modulus t_;
  bool batching_ = false;
  std::shared_ptr<const rns::RnsBase> aux_;
  std::vector<std::unique_ptr<LevelTables>> levels_;
};

}  // namespace ppml::bfv
