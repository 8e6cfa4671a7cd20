#include "he/bfv/multiply.hpp"

#include <cstring>
#include <string>

#include "common/errors.hpp"
#include "he/bfv/lift.hpp"
#include "he/bfv/scale_round.hpp"
#include "he/rlwe/arith.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::bfv {
namespace {

// Evaluation form over Q_l -> evaluation form over Q_l * B (centered lift): (l+1)
// data-prime limbs, then |B| auxiliary limbs.
void lift(const BfvContext& ctx, const LevelTables& lt, const rns::RnsPoly& p, uint64_t* out, uint64_t* scratch) {
  const std::size_t n = ctx.n(), lq = lt.level + 1, kb = ctx.aux_base()->size();
  std::memcpy(out, p.data(), lq * n * sizeof(uint64_t));
  std::memcpy(scratch, p.data(), lq * n * sizeof(uint64_t));
  for (std::size_t i = 0; i < lq; ++i) ntt::inverse_inplace(scratch + i * n, ctx.rlwe().ntt(i));
  uint64_t* aux = out + lq * n;
  lift_centered(lt.q_to_b_fast.get(), *lt.q_to_b, scratch, aux, n);
  for (std::size_t k = 0; k < kb; ++k) ntt::forward_inplace(aux + k * n, ctx.aux_ntt(k));
}

const math::Modulus& modulus_at(const BfvContext& ctx, std::size_t lq, std::size_t idx) {
  return idx < lq ? ctx.rlwe().modulus(idx) : (*ctx.aux_base())[idx - lq];
}

// Evaluation form over Q_l * B -> round(t c / Q_l) in evaluation form over Q_l.
rns::RnsPoly scale_down(const BfvContext& ctx, const LevelTables& lt, uint64_t* c, uint64_t* scratch) {
  const std::size_t n = ctx.n(), lq = lt.level + 1, kb = ctx.aux_base()->size();
  for (std::size_t i = 0; i < lq; ++i) ntt::inverse_inplace(c + i * n, ctx.rlwe().ntt(i));
  for (std::size_t k = 0; k < kb; ++k) ntt::inverse_inplace(c + (lq + k) * n, ctx.aux_ntt(k));
  scale_to_aux_dispatch(ctx, lt, c, c + lq * n, scratch);
  rns::RnsPoly out(n, ctx.rlwe().q_base(lt.level), rns::Form::Evaluation, false, Uninitialized{});
  lift_centered(lt.b_to_q_fast.get(), *lt.b_to_q, scratch, out.data(), n);
  for (std::size_t i = 0; i < lq; ++i) ntt::forward_inplace(out.limb(i), ctx.rlwe().ntt(i));
  return out;
}

void check_operand(const char* api, const BfvContext& ctx, const rlwe::Ciphertext& a) {
  rlwe::check_same_params(api, ctx.rlwe(), a.fingerprint);
  if (a.size() != 2)
    throw_parameter(api, "ciphertext", "is not relinearized", "2 components", a.size());
  if (a.form() != rns::Form::Evaluation)
    throw_mismatch(api, "ciphertext", "is in coefficient form", "evaluation form", "coefficient form");
}

rlwe::Ciphertext product(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Ciphertext* b) {
  const LevelTables& lt = ctx.level(a.level());
  const std::size_t n = ctx.n(), lq = lt.level + 1, kb = ctx.aux_base()->size(), limbs = lq + kb;
  const std::size_t size = limbs * n;
  AlignedBuffer<uint64_t> scratch(std::max(lq, kb) * n, Uninitialized{});
  AlignedBuffer<uint64_t> a0(size, Uninitialized{}), a1(size, Uninitialized{});
  lift(ctx, lt, a.polys[0], a0.data(), scratch.data());
  lift(ctx, lt, a.polys[1], a1.data(), scratch.data());
  AlignedBuffer<uint64_t> b0, b1;
  const uint64_t *pb0 = a0.data(), *pb1 = a1.data();
  if (b) {
    b0 = AlignedBuffer<uint64_t>(size, Uninitialized{});
    b1 = AlignedBuffer<uint64_t>(size, Uninitialized{});
    lift(ctx, lt, b->polys[0], b0.data(), scratch.data());
    lift(ctx, lt, b->polys[1], b1.data(), scratch.data());
    pb0 = b0.data();
    pb1 = b1.data();
  }
  // Tensor, limb by limb.
  AlignedBuffer<uint64_t> c0(size, Uninitialized{}), c1(size, Uninitialized{}), c2(size, Uninitialized{});
  for (std::size_t i = 0; i < limbs; ++i) {
    const math::Modulus& q = modulus_at(ctx, lq, i);
    const std::size_t o = i * n;
    rns::mul_mod(a0.data() + o, pb0 + o, c0.data() + o, n, q);
    if (b) {
      rns::mul_mod(a0.data() + o, pb1 + o, c1.data() + o, n, q);
      rns::mul_add_mod(a1.data() + o, pb0 + o, c1.data() + o, n, q);
    } else {
      rns::mul_mod(a0.data() + o, a1.data() + o, c1.data() + o, n, q);
      rns::add_mod(c1.data() + o, c1.data() + o, c1.data() + o, n, q);
    }
    rns::mul_mod(a1.data() + o, pb1 + o, c2.data() + o, n, q);
  }
  rlwe::Ciphertext out;
  out.fingerprint = a.fingerprint;
  out.key_id = a.key_id;
  out.polys.push_back(scale_down(ctx, lt, c0.data(), scratch.data()));
  out.polys.push_back(scale_down(ctx, lt, c1.data(), scratch.data()));
  out.polys.push_back(scale_down(ctx, lt, c2.data(), scratch.data()));
  return out;
}

}  // namespace

rlwe::Ciphertext multiply(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Ciphertext& b) {
  check_operand("multiply", ctx, a);
  check_operand("multiply", ctx, b);
  rlwe::check_pair("multiply", ctx.rlwe(), a, b);
  return product(ctx, a, &b);
}

rlwe::Ciphertext square(const BfvContext& ctx, const rlwe::Ciphertext& a) {
  check_operand("square", ctx, a);
  return product(ctx, a, nullptr);
}

}  // namespace ppml::bfv
