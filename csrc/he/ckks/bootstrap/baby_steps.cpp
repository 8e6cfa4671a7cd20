#include "he/ckks/bootstrap/baby_steps.hpp"

#include <string>

#include "common/aligned_buffer.hpp"
#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/key_switch.hpp"
#include "rns/automorphism.hpp"
#include "rns/eltwise.hpp"

namespace ppml::ckks {

namespace {

void check_terms(const rlwe::Context& ctx, const rlwe::Ciphertext& ct, std::size_t babies,
                 const std::vector<std::vector<BabyTerm>>& groups) {
  const char* api = "baby_step_sums";
  if (ct.size() != 2) throw_parameter(api, "ciphertext", "is not relinearized", "2 components", ct.size());
  if (ct.polys[0].form() != rns::Form::Evaluation) throw_parameter(api, "ciphertext", "is not in evaluation form", "evaluation form", "coefficient form");
  for (const auto& group : groups) {
    if (group.empty()) throw_parameter(api, "groups", "contain an empty group", "at least one term", 0);
    for (const BabyTerm& t : group) {
      if (t.baby < -1 || t.baby >= static_cast<int>(babies))
        throw_parameter(api, "groups", "name a missing baby rotation", "-1 <= baby < " + std::to_string(babies), t.baby);
      const HoistedDiagonal& d = *t.diagonal;
      if (d.q_part.level() != ct.level())
        throw_parameter(api, "diagonals", "are at another level", "level " + std::to_string(ct.level()), d.q_part.level());
      if (d.q_part.fingerprint != ctx.fingerprint() || d.p_part.limbs() != ctx.p_count() || d.p_part.n() != ctx.n())
        throw_parameter(api, "diagonals", "belong to other parameters", "diagonals of this context", "foreign ones");
      if (d.q_part.scale != group.front().diagonal->q_part.scale)
        throw_parameter(api, "diagonals", "have different scales", "one scale", d.q_part.scale);
    }
  }
}

// acc += diagonal * x over Q_l * P, x given as its Q_l limbs and its P limbs.
void multiply_accumulate(const rlwe::Context& ctx, const HoistedDiagonal& d, const uint64_t* x, uint64_t* acc,
                         std::size_t q_limbs) {
  const uint64_t n = ctx.n();
  parallel_for(q_limbs + ctx.p_count(), [&](std::size_t t) {
    const bool special = t >= q_limbs;
    const uint64_t* w = special ? d.p_part.limb(t - q_limbs) : d.q_part.poly.limb(t);
    const math::Modulus& q = ctx.modulus(special ? ctx.q_count() + (t - q_limbs) : t);
    rns::mul_add_mod(w, x + t * n, acc + t * n, n, q);
  });
}

}  // namespace

std::vector<rlwe::Ciphertext> baby_step_sums(const rlwe::Context& ctx, const rlwe::Ciphertext& ct,
                                             const std::vector<uint64_t>& elts,
                                             const std::vector<const rlwe::KeySwitchKey*>& keys,
                                             const std::vector<std::vector<BabyTerm>>& groups) {
  check_terms(ctx, ct, elts.size(), groups);
  if (keys.size() != elts.size())
    throw_parameter("baby_step_sums", "keys", "do not match the elements", std::to_string(elts.size()) + " keys", keys.size());
  const int level = ct.level();
  const uint64_t n = ctx.n();
  const std::size_t q_limbs = static_cast<std::size_t>(level) + 1, limbs = q_limbs + ctx.p_count();
  // P * (c0, c1) over Q_l * P (zero modulo P): the identity term and, permuted, the c0 of
  // every baby rotation, in the scale of the un-divided inner products.
  AlignedBuffer<uint64_t> scaled[2] = {AlignedBuffer<uint64_t>(limbs * n), AlignedBuffer<uint64_t>(limbs * n)};
  parallel_for(2 * q_limbs, [&](std::size_t x) {
    const std::size_t c = x / q_limbs, i = x % q_limbs;
    rns::mul_scalar_mod(ct.polys[c].limb(i), ctx.p_mod_q(i), scaled[c].data() + i * n, n, ctx.modulus(i));
  });
  std::vector<AlignedBuffer<uint64_t>> acc;
  for (std::size_t g = 0; g < 2 * groups.size(); ++g) acc.emplace_back(limbs * n);  // zeroed
  auto add_term = [&](std::size_t g, const HoistedDiagonal& d, const uint64_t* x0, const uint64_t* x1) {
    multiply_accumulate(ctx, d, x0, acc[2 * g].data(), q_limbs);
    multiply_accumulate(ctx, d, x1, acc[2 * g + 1].data(), q_limbs);
  };
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const BabyTerm& t : groups[g])
      if (t.baby < 0) add_term(g, *t.diagonal, scaled[0].data(), scaled[1].data());
  if (!elts.empty()) {
    const rlwe::Decomposition dec = rlwe::decompose(ctx, ct.polys[1]);
    AlignedBuffer<uint64_t> u0(limbs * n, Uninitialized{}), u1(limbs * n, Uninitialized{});
    for (std::size_t r = 0; r < elts.size(); ++r) {
      if (keys[r]->key_id != ct.key_id) throw_mismatch("baby_step_sums", "keys", "belong to another key set", "the ciphertext's keys", "other keys");
      auto perm = rns::automorphism_permutation(n, elts[r]);
      rlwe::key_inner_products_qp(ctx, dec, *keys[r], perm->data(), u0.data(), u1.data());
      // The rotated ciphertext over Q_l * P: (P sigma(c0) + u0, u1).
      parallel_for(q_limbs, [&](std::size_t i) {
        AlignedBuffer<uint64_t> t(n, Uninitialized{});
        rns::automorphism_eval_limb(scaled[0].data() + i * n, perm->data(), t.data(), n);
        rns::add_mod(u0.data() + i * n, t.data(), u0.data() + i * n, n, ctx.modulus(i));
      });
      for (std::size_t g = 0; g < groups.size(); ++g)
        for (const BabyTerm& t : groups[g])
          if (t.baby == static_cast<int>(r)) add_term(g, *t.diagonal, u0.data(), u1.data());
    }
  }
  std::vector<rlwe::Ciphertext> out;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    rlwe::Ciphertext c;
    c.polys.resize(2);
    rlwe::mod_down_qp(ctx, level, acc[2 * g].data(), acc[2 * g + 1].data(), c.polys[0], c.polys[1]);
    c.scale = ct.scale * groups[g].front().diagonal->q_part.scale;
    c.fingerprint = ct.fingerprint;
    c.key_id = ct.key_id;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace ppml::ckks
