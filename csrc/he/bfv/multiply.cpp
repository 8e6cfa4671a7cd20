#include "he/bfv/multiply.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/bfv/lift.hpp"
#include "he/bfv/scale_round.hpp"
#include "he/rlwe/arith.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::bfv {
namespace {

// Evaluation form over Q_l -> evaluation form over Q_l * B (centered lift) for several
// polynomials at once: (l+1) data-prime limbs, then |B| auxiliary limbs each. Each phase
// is split over (polynomial, limb) pairs, the lift itself over polynomials.
void lift_all(const BfvContext& ctx, const LevelTables& lt, const rns::RnsPoly* const* polys, uint64_t* const* outs,
              std::size_t count) {
  const std::size_t n = ctx.n(), lq = lt.level + 1, kb = ctx.aux_base()->size();
  AlignedBuffer<uint64_t> scratch(count * lq * n, Uninitialized{});
  parallel_for(count * lq, [&](std::size_t x) {
    const std::size_t c = x / lq, i = x % lq;
    std::memcpy(outs[c] + i * n, polys[c]->limb(i), n * sizeof(uint64_t));
    std::memcpy(scratch.data() + x * n, polys[c]->limb(i), n * sizeof(uint64_t));
    ntt::inverse_inplace(scratch.data() + x * n, ctx.rlwe().ntt(i));
  });
  parallel_for(count, [&](std::size_t c) {
    lift_centered(lt.q_to_b_fast.get(), *lt.q_to_b, scratch.data() + c * lq * n, outs[c] + lq * n, n);
  });
  parallel_for(count * kb, [&](std::size_t x) {
    const std::size_t c = x / kb, k = x % kb;
    ntt::forward_inplace(outs[c] + (lq + k) * n, ctx.aux_ntt(k));
  });
}

const math::Modulus& modulus_at(const BfvContext& ctx, std::size_t lq, std::size_t idx) {
  return idx < lq ? ctx.rlwe().modulus(idx) : (*ctx.aux_base())[idx - lq];
}

// Evaluation form over Q_l * B -> round(t c / Q_l) in evaluation form over Q_l, for the
// three tensor components at once (phases split as in lift_all).
void scale_down_all(const BfvContext& ctx, const LevelTables& lt, uint64_t* const c[3], std::vector<rns::RnsPoly>& out) {
  const std::size_t n = ctx.n(), lq = lt.level + 1, kb = ctx.aux_base()->size(), limbs = lq + kb;
  parallel_for(3 * limbs, [&](std::size_t x) {
    const std::size_t p = x / limbs, i = x % limbs;
    if (i < lq)
      ntt::inverse_inplace(c[p] + i * n, ctx.rlwe().ntt(i));
    else
      ntt::inverse_inplace(c[p] + i * n, ctx.aux_ntt(i - lq));
  });
  for (int p = 0; p < 3; ++p) out.emplace_back(n, ctx.rlwe().q_base(lt.level), rns::Form::Evaluation, false, Uninitialized{});
  AlignedBuffer<uint64_t> scratch(3 * kb * n, Uninitialized{});
  parallel_for(3, [&](std::size_t p) {
    uint64_t* s = scratch.data() + p * kb * n;
    scale_to_aux_dispatch(ctx, lt, c[p], c[p] + lq * n, s);
    lift_centered(lt.b_to_q_fast.get(), *lt.b_to_q, s, out[p].data(), n);
  });
  parallel_for(3 * lq, [&](std::size_t x) {
    const std::size_t p = x / lq, i = x % lq;
    ntt::forward_inplace(out[p].limb(i), ctx.rlwe().ntt(i));
  });
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
  AlignedBuffer<uint64_t> a0(size, Uninitialized{}), a1(size, Uninitialized{});
  AlignedBuffer<uint64_t> b0, b1;
  const uint64_t *pb0 = a0.data(), *pb1 = a1.data();
  if (b) {
    b0 = AlignedBuffer<uint64_t>(size, Uninitialized{});
    b1 = AlignedBuffer<uint64_t>(size, Uninitialized{});
    pb0 = b0.data();
    pb1 = b1.data();
  }
  const rns::RnsPoly* polys[4] = {&a.polys[0], &a.polys[1], b ? &b->polys[0] : nullptr, b ? &b->polys[1] : nullptr};
  uint64_t* outs[4] = {a0.data(), a1.data(), b0.data(), b1.data()};
  lift_all(ctx, lt, polys, outs, b ? 4 : 2);
  // Tensor, limb by limb.
  AlignedBuffer<uint64_t> c0(size, Uninitialized{}), c1(size, Uninitialized{}), c2(size, Uninitialized{});
  parallel_for(limbs, [&](std::size_t i) {
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
  });
  rlwe::Ciphertext out;
  out.fingerprint = a.fingerprint;
  out.key_id = a.key_id;
  uint64_t* const comps[3] = {c0.data(), c1.data(), c2.data()};
  scale_down_all(ctx, lt, comps, out.polys);
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
