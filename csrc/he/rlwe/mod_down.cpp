// ModDown: the division of a key-switching sum over Q_l * P by P, alone or fused with the
// rescale by q_l that follows a product (the second half of key switching; key_switch.cpp
// forms the sums).
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/key_switch.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::rlwe {
namespace {

// ModDown: (acc - [acc]_P) * P^-1 over Q_l, with [acc]_P the CENTRED remainder converted
// exactly (acc has level+1+|P| limbs in evaluation form). A remainder in [0, P) floors
// instead of rounding, and the approximate conversion adds alpha * P with alpha in [0, |P|):
// both biases are the same on every coefficient and decrypt to a multiple of (1 + s) times
// the all-ones polynomial, whose slots near the roots +-1 reach 2n/pi: errors 100x the
// median in the same few slots of every ciphertext.
// With c (coefficient form, level+1 limbs each) the outputs are u + c, and each limb takes
// one forward transform instead of two (the remainder's and c's): u + c =
// acc P^-1 + NTT(c - [acc]_P P^-1).
// With acc_coeff (acc in coefficient form: key switching through the auxiliary bases) the
// special limbs need no inverse transform and each output limb one forward transform:
// u (+ c) = NTT(acc P^-1 - [acc]_P P^-1 (+ c)).
void mod_down(const Context& ctx, int level, const uint64_t* const acc[2], rns::RnsPoly* out[2],
              const uint64_t* const* c = nullptr, bool acc_coeff = false) {
  const uint64_t n = ctx.n();
  const std::size_t K = ctx.p_count();
  const std::size_t limbs = static_cast<std::size_t>(level) + 1;
  // Params::validate guarantees a special prime; without one there is nothing to divide by.
  if (K == 0) throw std::logic_error("mod_down: context has no special prime");
  // Both polynomials (u0, u1) in each parallel pass: twice the independent limbs (one
  // polynomial when acc[1] is null).
  const std::size_t polys = acc[1] ? 2 : 1;
  AlignedBuffer<uint64_t> special(polys * K * n, Uninitialized{});
  parallel_for(polys * K, [&](std::size_t x) {
    const std::size_t c = x / K, k = x % K;
    uint64_t* dst = special.data() + x * n;
    if (acc_coeff)
      std::memcpy(dst, acc[c] + (limbs + k) * n, n * sizeof(uint64_t));
    else
      ntt::inverse(acc[c] + (limbs + k) * n, dst, ctx.ntt(ctx.q_count() + k));
  });
  AlignedBuffer<uint64_t> converted(polys * limbs * n, Uninitialized{});
  rns::RnsPoly result[2] = {
      rns::RnsPoly(n, ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{}),
      rns::RnsPoly(n, ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{})};
  if (K == 1) {
    // One special prime: the centred remainder is ((x + h) mod p) - h, h = (p - 1) / 2.
    const math::Modulus& p = ctx.modulus(ctx.q_count());
    const uint64_t h = (p.value() - 1) >> 1;
    parallel_for(polys, [&](std::size_t c) { rns::add_scalar_mod(special.data() + c * n, h, special.data() + c * n, n, p); });
    // x mod q_i; the shift by -[h]_i rides on the NTT's first pass below, and so does the
    // reduction when p < 2 q_i and nothing else reads these residues (that pass reads the
    // special limb itself).
    parallel_for(polys * limbs, [&](std::size_t x) {
      const std::size_t k = x / limbs, i = x % limbs;
      if (!c && !acc_coeff && ntt::forward_reduces(p.value(), ctx.modulus(i).value())) return;
      rns::mul_scalar_mod(special.data() + k * n, 1, converted.data() + x * n, n, ctx.modulus(i));
    });
  } else {
    // One polynomial after the other: the conversion spreads its own target primes over
    // the pool (two tasks of a whole conversion each would idle every thread beyond two).
    for (std::size_t c = 0; c < polys; ++c)
      ctx.mod_down_converter(level).convert_exact(special.data() + c * K * n, converted.data() + c * limbs * n, n,
                                                  /*centered=*/true);
  }
  const uint64_t p1 = K == 1 ? ctx.modulus(ctx.q_count()).value() : 0;
  const uint64_t h_p = K == 1 ? (p1 - 1) >> 1 : 0;
  // Limbs last-first, both polynomials of a limb together: the key-switching sums of the
  // last targets are the ones still in L2.
  parallel_for(polys * limbs, [&](std::size_t y) {
    const std::size_t k = y % polys, i = limbs - 1 - y / polys;
    uint64_t* ci = converted.data() + (k * limbs + i) * n;
    const math::Modulus& qi = ctx.modulus(i);
    // The special limb itself where the NTT's first pass reduces it (one prime, no c).
    const bool unreduced = K == 1 && !c && !acc_coeff && ntt::forward_reduces(p1, qi.value());
    // The remainder is (src - h) mod q_i: the special limb (+ h mod p) or its residues.
    const uint64_t* src = unreduced ? special.data() + k * n : ci;
    uint64_t* r = result[k].limb(i);
    const uint64_t p_inv = ctx.p_inv_mod_q(i);
    const uint64_t* acc_i = acc[k] + i * n;
    const uint64_t* c_i = c ? c[k] + i * n : nullptr;
    if (acc_coeff) {
      // (acc - (src - h)) P^-1 (+ c), the constant h P^-1 riding on the NTT's first pass.
      rns::scale_diff_add_mod(acc_i, src, p_inv, c_i, 1, r, n, qi);
      ntt::forward(r, qi.mul(qi.reduce(h_p), p_inv), r, ctx.ntt(i));
      return;
    }
    if (!c) {
      ntt::forward(src, qi.neg(qi.reduce(h_p)), ci, ctx.ntt(i));
      rns::scale_diff_add_mod(acc_i, ci, p_inv, nullptr, 0, r, n, qi);  // (acc - [acc]_P) P^-1
      return;
    }
    // c - (src - h) P^-1 = (c - src P^-1) + h P^-1: the constant rides on the NTT's first pass.
    rns::scale_diff_add_mod(c_i, nullptr, 1, src, qi.neg(p_inv), ci, n, qi);
    ntt::forward(ci, qi.mul(qi.reduce(h_p), p_inv), ci, ctx.ntt(i));
    rns::scale_diff_add_mod(acc_i, nullptr, p_inv, ci, 1, r, n, qi);
  });
  *out[0] = std::move(result[0]);
  if (polys == 2) *out[1] = std::move(result[1]);
}

void mod_down(const Context& ctx, int level, const uint64_t* acc0, const uint64_t* acc1, rns::RnsPoly& u0,
              rns::RnsPoly& u1, const uint64_t* c0, const uint64_t* c1, bool acc_coeff) {
  const uint64_t* const acc[2] = {acc0, acc1};
  const uint64_t* const c[2] = {c0, c1};
  rns::RnsPoly* out[2] = {&u0, &u1};
  mod_down(ctx, level, acc, out, c0 ? c : nullptr, acc_coeff);
}

// ModDown by q_l * P with the ciphertext folded in: (u0, u1) over Q_{l-1} with
// u = round((P c + acc) / (q_l P)) = round((c + acc / P) / q_l), the relinearized product
// rescaled in one division instead of two (the rescale's transforms of every limb go).
// The remainder modulo q_l P is centred by the exact conversion, so this rounds.
// ModDown by P fused with the rescale by q_l that follows a product, for (c0, c1) + the
// key-switching sum acc: w = round(round(x / P) / q_l) with x = acc + P c, rounded exactly
// as mod_down then rescale_by_last would (same bits) but with one transform per kept limb
// instead of three. In the coefficient domain: r = [x]_P (centred) on every limb, then
// u = (x - r) / P on the q_l limb only, t = [u]_ql (centred), and for the other limbs one
// NTT of v = r + P t: w = (x - v) (P q_l)^-1, written as (acc - v) (P q_l)^-1 + c q_l^-1.
// With acc_coeff (acc in coefficient form) the special limbs are taken as they are, x_l is
// formed from c_l's coefficients, and each kept limb transforms (acc - v) instead of v.
void mod_down_rescale(const Context& ctx, int level, uint64_t* const acc[2], const rns::RnsPoly* const c[2],
                      rns::RnsPoly* out[2], bool acc_coeff) {
  const uint64_t n = ctx.n();
  const std::size_t K = ctx.p_count(), l = static_cast<std::size_t>(level), limbs = l + 1;
  if (K == 0) throw std::logic_error("mod_down_rescale: context has no special prime");
  const math::Modulus& ql = ctx.modulus(l);
  const uint64_t half = ql.value() >> 1;
  // The special limbs in coefficient form. One prime: sp = [x]_p + h (mod p), whose
  // residues are r + h (the -h goes into constants below); several: r by exact conversion.
  const uint64_t h_p = K == 1 ? (ctx.modulus(ctx.q_count()).value() - 1) >> 1 : 0;
  AlignedBuffer<uint64_t> special(2 * K * n, Uninitialized{});
  parallel_for(2 * K, [&](std::size_t x) {
    const std::size_t k = x / K, j = x % K;
    uint64_t* dst = special.data() + x * n;
    if (acc_coeff)
      std::memcpy(dst, acc[k] + (limbs + j) * n, n * sizeof(uint64_t));
    else
      ntt::inverse(acc[k] + (limbs + j) * n, dst, ctx.ntt(ctx.q_count() + j));
    if (K == 1) rns::add_scalar_mod(dst, h_p, dst, n, ctx.modulus(ctx.q_count()));
  });
  AlignedBuffer<uint64_t> r;  // [x]_P on q_0 .. q_l (several special primes)
  if (K > 1) {
    r = AlignedBuffer<uint64_t>(2 * limbs * n, Uninitialized{});
    for (std::size_t k = 0; k < 2; ++k)  // each conversion parallel inside (see mod_down)
      ctx.mod_down_converter(level).convert_exact(special.data() + k * K * n, r.data() + k * limbs * n, n,
                                                  /*centered=*/true);
  }
  // r_i + [h]_i on limb i: the residues of sp (one prime, into dst) or r itself (no copy).
  auto shifted_r = [&](std::size_t k, std::size_t i, uint64_t* dst) -> const uint64_t* {
    if (K > 1) return r.data() + (k * limbs + i) * n;
    rns::mul_scalar_mod(special.data() + k * n, 1, dst, n, ctx.modulus(i));
    return dst;
  };
  // t = u + half (mod q_l), u = (x_l - r_l) / P, coefficient form.
  AlignedBuffer<uint64_t> t(2 * n, Uninitialized{});
  parallel_for(2, [&](std::size_t k) {
    uint64_t* u = t.data() + k * n;
    AlignedBuffer<uint64_t> rl(K == 1 ? n : 0, Uninitialized{});
    if (!c[k]) {
      std::memcpy(u, acc[k] + l * n, n * sizeof(uint64_t));  // x_l = acc_l
      if (!acc_coeff) ntt::inverse_inplace(u, ctx.ntt(l));
    } else if (acc_coeff) {
      ntt::inverse(c[k]->limb(l), u, ctx.ntt(l));
      rns::mul_scalar_mod(u, ctx.p_mod_q(l), u, n, ql);  // x_l = acc_l + P c_l
      rns::add_mod(u, acc[k] + l * n, u, n, ql);
    } else {
      rns::mul_scalar_mod(c[k]->limb(l), ctx.p_mod_q(l), u, n, ql);  // x_l = acc_l + P c_l
      rns::add_mod(u, acc[k] + l * n, u, n, ql);
      ntt::inverse_inplace(u, ctx.ntt(l));
    }
    const uint64_t* rl_shifted = shifted_r(k, l, rl.data());
    if (K == 1) rns::add_scalar_mod(rl.data(), ql.neg(ql.reduce(h_p)), rl.data(), n, ql);
    rns::sub_mod(u, rl_shifted, u, n, ql);
    rns::mul_scalar_mod(u, ctx.p_inv_mod_q(l), u, n, ql);
    rns::add_scalar_mod(u, half, u, n, ql);
  });
  rns::RnsPoly result[2] = {
      rns::RnsPoly(n, ctx.q_base(level - 1), rns::Form::Evaluation, false, Uninitialized{}),
      rns::RnsPoly(n, ctx.q_base(level - 1), rns::Form::Evaluation, false, Uninitialized{})};
  parallel_for(2 * l, [&](std::size_t y) {  // last-first, as in mod_down
    const std::size_t k = y % 2, i = l - 1 - y / 2;
    const math::Modulus& qi = ctx.modulus(i);
    const uint64_t p_i = ctx.p_mod_q(i), ql_i = qi.reduce(ql.value());
    AlignedBuffer<uint64_t> v(n, Uninitialized{}), a(K == 1 ? n : 0, Uninitialized{});
    // v = (r_i + [h]_i) + P ([t]_i): the constants -[h]_i - P [half]_i ride on the NTT's first pass.
    const uint64_t* ri = shifted_r(k, i, a.data());
    const uint64_t* ti = t.data() + k * n;  // below q_l
    if (ql.value() <= qi.value()) {
      rns::scale_diff_add_mod(ti, nullptr, p_i, ri, 1, v.data(), n, qi);
    } else {
      rns::mul_scalar_mod(ti, p_i, v.data(), n, qi);  // any 64-bit input
      rns::add_mod(v.data(), ri, v.data(), n, qi);
    }
    const uint64_t shift = qi.neg(qi.add(qi.reduce(h_p), qi.mul(p_i, qi.reduce(half))));
    uint64_t* w = result[k].limb(i);
    const uint64_t* acc_i = acc[k] + i * n;
    // w = (acc - v) (P q_l)^-1 + c q_l^-1 in one pass after the transform.
    const uint64_t w_factor = qi.inv(qi.mul(ql_i, p_i)), c_factor = qi.inv(ql_i);
    const uint64_t* c_i = c[k] ? c[k]->limb(i) : nullptr;
    if (acc_coeff) {
      // acc - (v + shift) = (acc - v) + (-shift), then to evaluation form.
      rns::sub_mod(acc_i, v.data(), v.data(), n, qi);
      ntt::forward(v.data(), qi.neg(shift), v.data(), ctx.ntt(i));
      rns::scale_diff_add_mod(v.data(), nullptr, w_factor, c_i, c_factor, w, n, qi);
      return;
    }
    ntt::forward(v.data(), shift, v.data(), ctx.ntt(i));
    rns::scale_diff_add_mod(acc_i, v.data(), w_factor, c_i, c_factor, w, n, qi);
  });
  *out[0] = std::move(result[0]);
  *out[1] = std::move(result[1]);
}

}  // namespace

void mod_down_qp(const Context& ctx, int level, const uint64_t* acc0, const uint64_t* acc1, rns::RnsPoly& u0,
                 rns::RnsPoly& u1, bool acc_coeff) {
  mod_down(ctx, level, acc0, acc1, u0, u1, nullptr, nullptr, acc_coeff);
}

void mod_down_one_qp(const Context& ctx, int level, const uint64_t* acc, rns::RnsPoly& u) {
  const uint64_t* const accs[2] = {acc, nullptr};
  rns::RnsPoly* out[2] = {&u, nullptr};
  mod_down(ctx, level, accs, out);
}

void mod_down_add_qp(const Context& ctx, int level, const uint64_t* acc0, const uint64_t* acc1, const uint64_t* c0,
                     const uint64_t* c1, rns::RnsPoly& u0, rns::RnsPoly& u1, bool acc_coeff) {
  mod_down(ctx, level, acc0, acc1, u0, u1, c0, c1, acc_coeff);
}

void mod_down_rescale_qp(const Context& ctx, int level, uint64_t* acc0, uint64_t* acc1, const rns::RnsPoly* c0,
                         const rns::RnsPoly* c1, rns::RnsPoly& u0, rns::RnsPoly& u1, bool acc_coeff) {
  if (level < 1)
    throw_parameter("mod_down_rescale", "ciphertext", "is at level 0", "a level >= 1 (no prime left to divide by)",
                    level);
  uint64_t* const acc[2] = {acc0, acc1};
  const rns::RnsPoly* const c[2] = {c0, c1};
  rns::RnsPoly* out[2] = {&u0, &u1};
  mod_down_rescale(ctx, level, acc, c, out, acc_coeff);
}

}  // namespace ppml::rlwe
