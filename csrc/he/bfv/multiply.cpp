#include "he/bfv/multiply.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/bfv/lift.hpp"
#include "he/bfv/scale_round.hpp"
#include "he/rlwe/arith.hpp"
#include "he/rlwe/key_switch.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::bfv {
namespace {

// Coefficients per task when the IFMA lift kernels split a polynomial (see lift.hpp):
// several tasks per polynomial balance 3 polynomials over 2 threads, and a task's limbs
// (32 KiB each) stay in cache between the scaling and the lift back.
constexpr std::size_t kChunk = 4096;

// Calls fn(c, begin, end) over `count` polynomials of n coefficients, split in chunks
// when `split` (the kernels work block by block), else one call per polynomial.
template <typename Fn>
void for_each_chunk(std::size_t count, std::size_t n, bool split, Fn fn) {
  const std::size_t chunks = split ? (n + kChunk - 1) / kChunk : 1;
  parallel_for(count * chunks, [&](std::size_t x) {
    const std::size_t c = x / chunks, begin = (x % chunks) * kChunk;
    fn(c, split ? begin : 0, split ? std::min(n, begin + kChunk) : n);
  });
}

// Evaluation form over Q_l -> the |B| auxiliary limbs (evaluation form) of the centered
// lift, for several polynomials at once; their Q_l limbs are the polynomials' own.
void lift_all(const BfvContext& ctx, const LevelTables& lt, const rns::RnsPoly* const* polys, uint64_t* const* ext,
              std::size_t count) {
  const std::size_t n = ctx.n(), lq = lt.level + 1, kb = ctx.aux_base()->size();
  AlignedBuffer<uint64_t> scratch(count * lq * n, Uninitialized{});
  parallel_for(count * lq, [&](std::size_t x) {
    const std::size_t c = x / lq, i = x % lq;
    ntt::inverse(polys[c]->limb(i), scratch.data() + x * n, ctx.rlwe().ntt(i));
  });
  const bool split = blocks_enabled(lt.q_to_b_fast.get(), n);
  for_each_chunk(count, n, split, [&](std::size_t c, std::size_t begin, std::size_t end) {
    const uint64_t* in = scratch.data() + c * lq * n;
    if (split)
      lift_centered_range(*lt.q_to_b_fast, in, ext[c], n, begin, end);
    else
      lift_centered(lt.q_to_b_fast.get(), *lt.q_to_b, in, ext[c], n);
  });
  parallel_for(count * kb, [&](std::size_t x) {
    const std::size_t c = x / kb, k = x % kb;
    ntt::forward_inplace(ext[c] + k * n, ctx.aux_ntt(k));
  });
}

const math::Modulus& modulus_at(const BfvContext& ctx, std::size_t lq, std::size_t idx) {
  return idx < lq ? ctx.rlwe().modulus(idx) : (*ctx.aux_base())[idx - lq];
}

// Evaluation form over Q_l * B -> round(t c / Q_l) in evaluation form over Q_l, for the
// three tensor components at once (the scaling and the lift back chunk by chunk). With
// c2_coeff (lq limbs), the components stay in coefficient form: the third in c2_coeff (and
// transformed into out[2] only with c2_eval), the first two in out[0] and out[1].
void scale_down_all(const BfvContext& ctx, const LevelTables& lt, uint64_t* const c[3], std::vector<rns::RnsPoly>& out,
                    uint64_t* c2_coeff, bool c2_eval) {
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
  const bool split = blocks_enabled(lt.scale_fast.get(), n) && blocks_enabled(lt.b_to_q_fast.get(), n);
  // Where each component's coefficient form goes: its output, or c2_coeff.
  auto coeff_of = [&](std::size_t p) { return p == 2 && c2_coeff ? c2_coeff : out[p].data(); };
  for_each_chunk(3, n, split, [&](std::size_t p, std::size_t begin, std::size_t end) {
    uint64_t* s = scratch.data() + p * kb * n;
    if (split) {
      scale_to_aux_range(lt, c[p], c[p] + lq * n, s, n, begin, end);
      lift_centered_range(*lt.b_to_q_fast, s, coeff_of(p), n, begin, end);
    } else {
      scale_to_aux_dispatch(ctx, lt, c[p], c[p] + lq * n, s);
      lift_centered(lt.b_to_q_fast.get(), *lt.b_to_q, s, coeff_of(p), n);
    }
  });
  if (c2_coeff) {
    if (c2_eval) parallel_for(lq, [&](std::size_t i) { ntt::forward(c2_coeff + i * n, 0, out[2].limb(i), ctx.rlwe().ntt(i)); });
    return;
  }
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

// a * b (b null: a * a), 3 components; c2_coeff (may be null) and c2_eval: see
// scale_down_all.
rlwe::Ciphertext product(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Ciphertext* b,
                         uint64_t* c2_coeff = nullptr, bool c2_eval = true) {
  const LevelTables& lt = ctx.level(a.level());
  const std::size_t n = ctx.n(), lq = lt.level + 1, kb = ctx.aux_base()->size(), limbs = lq + kb;
  const std::size_t count = b ? 4 : 2;
  const rns::RnsPoly* polys[4] = {&a.polys[0], &a.polys[1], b ? &b->polys[0] : nullptr, b ? &b->polys[1] : nullptr};
  AlignedBuffer<uint64_t> aux(count * kb * n, Uninitialized{});
  uint64_t* ext[4] = {};
  for (std::size_t c = 0; c < count; ++c) ext[c] = aux.data() + c * kb * n;
  lift_all(ctx, lt, polys, ext, count);
  // Limb i of operand polynomial c over Q_l * B.
  auto limb = [&](std::size_t c, std::size_t i) -> const uint64_t* {
    return i < lq ? polys[c]->limb(i) : ext[c] + (i - lq) * n;
  };
  // Tensor, limb by limb.
  const std::size_t size = limbs * n;
  AlignedBuffer<uint64_t> c0(size, Uninitialized{}), c1(size, Uninitialized{}), c2(size, Uninitialized{});
  parallel_for(limbs, [&](std::size_t i) {
    const math::Modulus& q = modulus_at(ctx, lq, i);
    const std::size_t o = i * n;
    const uint64_t *a0 = limb(0, i), *a1 = limb(1, i), *b0 = b ? limb(2, i) : a0, *b1 = b ? limb(3, i) : a1;
    rns::mul_mod(a0, b0, c0.data() + o, n, q);
    if (b) {
      rns::mul_mod(a0, b1, c1.data() + o, n, q);
      rns::mul_add_mod(a1, b0, c1.data() + o, n, q);
    } else {
      rns::mul_mod(a0, a1, c1.data() + o, n, q);
      rns::add_mod(c1.data() + o, c1.data() + o, c1.data() + o, n, q);
    }
    rns::mul_mod(a1, b1, c2.data() + o, n, q);
  });
  rlwe::Ciphertext out;
  out.fingerprint = a.fingerprint;
  out.key_id = a.key_id;
  uint64_t* const comps[3] = {c0.data(), c1.data(), c2.data()};
  scale_down_all(ctx, lt, comps, out.polys, c2_coeff, c2_eval);
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

rlwe::Ciphertext multiply_relinearize(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Ciphertext* b,
                                      const rlwe::KeySwitchKey& relin_key) {
  const char* api = b ? "multiply" : "square";
  check_operand(api, ctx, a);
  if (b) {
    check_operand(api, ctx, *b);
    rlwe::check_pair(api, ctx.rlwe(), a, *b);
  }
  rlwe::check_key_id("relinearize", relin_key.key_id, a.key_id);
  // All three components stay in coefficient form: ModDown adds the first two before its
  // transforms (one per limb instead of two), and with one-prime digits the key switch
  // reads only the third's coefficient form (its limbs stay allocated, unwritten, for
  // the shape).
  AlignedBuffer<uint64_t> c2_coeff((a.level() + std::size_t{1}) * ctx.n(), Uninitialized{});
  rlwe::Ciphertext t = product(ctx, a, b, c2_coeff.data(), !rlwe::one_prime_digits(ctx.rlwe(), a.level()));
  rns::RnsPoly u0, u1;
  rlwe::switch_key_add(ctx.rlwe(), t.polys[2], relin_key, c2_coeff.data(), t.polys[0].data(), t.polys[1].data(), u0,
                       u1);
  t.polys.clear();
  t.polys.push_back(std::move(u0));
  t.polys.push_back(std::move(u1));
  return t;
}

}  // namespace ppml::bfv
