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
  // Every rotation over Q_l * P is kept (x[0]: the identity term P * c; x[r + 1]: baby r,
  // ~0.5 GB for 15 babies at the top of a 2^16 chain) so that each partial sum is one
  // lazily reduced inner product per limb, its accumulators in registers: summing term
  // by term instead streamed the accumulators through memory once per diagonal, nearly
  // three times the traffic.
  std::vector<AlignedBuffer<uint64_t>> x0, x1;
  x0.push_back(std::move(scaled[0]));
  x1.push_back(std::move(scaled[1]));
  if (!elts.empty()) {
    const rlwe::Decomposition dec = rlwe::decompose(ctx, ct.polys[1]);
    std::vector<std::shared_ptr<const std::vector<uint32_t>>> perms;
    std::vector<const uint32_t*> perm_data;
    std::vector<uint64_t*> u0, u1;
    for (std::size_t r = 0; r < elts.size(); ++r) {
      if (keys[r]->key_id != ct.key_id) throw_mismatch("baby_step_sums", "keys", "belong to another key set", "the ciphertext's keys", "other keys");
      perms.push_back(rns::automorphism_permutation(n, elts[r]));
      perm_data.push_back(perms.back()->data());
      x0.emplace_back(limbs * n, Uninitialized{});
      x1.emplace_back(limbs * n, Uninitialized{});
      u0.push_back(x0.back().data());
      u1.push_back(x1.back().data());
    }
    // All babies' inner products in one pass over the digits.
    rlwe::key_inner_products_qp_many(ctx, dec, keys, perm_data, u0, u1);
    // The rotated ciphertexts over Q_l * P: (P sigma(c0) + u0, u1).
    parallel_for(elts.size() * q_limbs, [&](std::size_t x) {
      const std::size_t r = x / q_limbs, i = x % q_limbs;
      rns::automorphism_eval_limb_add(x0[0].data() + i * n, perm_data[r], u0[r] + i * n, n, ctx.modulus(i).value());
    });
  }
  std::vector<rlwe::Ciphertext> out;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::vector<BabyTerm>& group = groups[g];
    AlignedBuffer<uint64_t> acc0(limbs * n, Uninitialized{}), acc1(limbs * n, Uninitialized{});
    parallel_for(limbs, [&](std::size_t t) {
      const bool special = t >= q_limbs;
      std::vector<const uint64_t*> w(group.size()), y0(group.size()), y1(group.size());
      for (std::size_t k = 0; k < group.size(); ++k) {
        const HoistedDiagonal& d = *group[k].diagonal;
        w[k] = special ? d.p_part.limb(t - q_limbs) : d.q_part.poly.limb(t);
        y0[k] = x0[group[k].baby + 1].data() + t * n;
        y1[k] = x1[group[k].baby + 1].data() + t * n;
      }
      const math::Modulus& q = ctx.modulus(special ? ctx.q_count() + (t - q_limbs) : t);
      rns::inner_product2_mod(w.data(), y0.data(), y1.data(), group.size(), acc0.data() + t * n,
                              acc1.data() + t * n, n, q);
    });
    rlwe::Ciphertext c;
    c.polys.resize(2);
    rlwe::mod_down_qp(ctx, level, acc0.data(), acc1.data(), c.polys[0], c.polys[1]);
    c.scale = ct.scale * group.front().diagonal->q_part.scale;
    c.fingerprint = ct.fingerprint;
    c.key_id = ct.key_id;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace ppml::ckks
