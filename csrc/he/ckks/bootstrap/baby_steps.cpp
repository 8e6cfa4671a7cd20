#include "he/ckks/bootstrap/baby_steps.hpp"

#include <algorithm>
#include <memory>
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

std::vector<QpPartial> baby_step_partials(const rlwe::Context& ctx, const rlwe::Ciphertext& ct,
                                          const std::vector<uint64_t>& elts,
                                          const std::vector<const rlwe::KeySwitchKey*>& keys,
                                          const std::vector<std::vector<BabyTerm>>& groups) {
  check_terms(ctx, ct, elts.size(), groups);
  if (keys.size() != elts.size())
    throw_parameter("baby_step_sums", "keys", "do not match the elements", std::to_string(elts.size()) + " keys", keys.size());
  const int level = ct.level();
  const uint64_t n = ctx.n();
  const std::size_t q_limbs = static_cast<std::size_t>(level) + 1, limbs = q_limbs + ctx.p_count();
  // P * (c0, c1) over Q_l * P (zero modulo P): the identity term, and P * sigma(c0) is
  // the c0 of every baby rotation, in the scale of the un-divided inner products.
  AlignedBuffer<uint64_t> scaled[2] = {AlignedBuffer<uint64_t>(limbs * n), AlignedBuffer<uint64_t>(limbs * n)};
  parallel_for(2 * q_limbs, [&](std::size_t x) {
    const std::size_t c = x / q_limbs, i = x % q_limbs;
    rns::mul_scalar_mod(ct.polys[c].limb(i), ctx.p_mod_q(i), scaled[c].data() + i * n, n, ctx.modulus(i));
  });
  const std::size_t count = elts.size();
  rlwe::Decomposition dec;
  std::vector<std::shared_ptr<const std::vector<uint32_t>>> perms;
  std::vector<const uint32_t*> perm_data;
  for (std::size_t r = 0; r < count; ++r) {
    if (!keys[r]) throw_parameter("baby_step_sums", "keys", "lack a rotation key", "a key per baby rotation", "none");
    if (keys[r]->key_id != ct.key_id) throw_mismatch("baby_step_sums", "keys", "belong to another key set", "the ciphertext's keys", "other keys");
    perms.push_back(rns::automorphism_permutation(n, elts[r]));
    perm_data.push_back(perms.back()->data());
  }
  if (count) dec = rlwe::decompose(ctx, ct.polys[1]);
  const rlwe::HoistedKeyProducts products(ctx, dec, keys, perm_data);
  std::vector<AlignedBuffer<uint64_t>> acc0, acc1;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    acc0.emplace_back(limbs * n, Uninitialized{});
    acc1.emplace_back(limbs * n, Uninitialized{});
  }
  // Limb by limb, a chunk of coefficients at a time: every baby rotation's chunk (its key
  // inner products plus P sigma(c0)) is formed in cache and multiplied by the diagonals of
  // every group at once. Stored whole over Q_l * P, the rotations (~0.5 GB for 15 babies
  // at the top of a 2^16 chain) went to memory and came back once per group. Each limb is
  // split into a few ranges so that many threads still find tasks.
  const std::size_t chunk = std::min<std::size_t>(n, 4 * rlwe::kKeyPiece);
  const std::size_t ranges = std::max<std::size_t>(1, std::min<std::size_t>(4, n / chunk));
  const std::size_t span = n / ranges;
  parallel_for(limbs * ranges, [&](std::size_t x) {
    const std::size_t t = x / ranges, begin = (x % ranges) * span;
    const bool special = t >= q_limbs;
    const math::Modulus& q = ctx.modulus(special ? ctx.q_count() + (t - q_limbs) : t);
    AlignedBuffer<uint64_t> rotated(2 * count * chunk, Uninitialized{});
    std::vector<const uint64_t*> w, y0, y1;
    for (std::size_t k = begin; k < begin + span; k += chunk) {
      for (std::size_t r = 0; r < count; ++r) {
        uint64_t* u0 = rotated.data() + 2 * r * chunk;
        products.compute(r, t, k, k + chunk, u0, u0 + chunk);
        if (!special) rns::automorphism_eval_limb_add(scaled[0].data() + t * n, perm_data[r] + k, u0, chunk, q.value());
      }
      for (std::size_t g = 0; g < groups.size(); ++g) {
        const std::vector<BabyTerm>& group = groups[g];
        w.clear();
        y0.clear();
        y1.clear();
        for (const BabyTerm& term : group) {
          const HoistedDiagonal& d = *term.diagonal;
          w.push_back((special ? d.p_part.limb(t - q_limbs) : d.q_part.poly.limb(t)) + k);
          if (term.baby < 0) {
            y0.push_back(scaled[0].data() + t * n + k);
            y1.push_back(scaled[1].data() + t * n + k);
          } else {
            y0.push_back(rotated.data() + 2 * static_cast<std::size_t>(term.baby) * chunk);
            y1.push_back(y0.back() + chunk);
          }
        }
        rns::inner_product2_mod(w.data(), y0.data(), y1.data(), group.size(), acc0[g].data() + t * n + k,
                                acc1[g].data() + t * n + k, chunk, q);
      }
    }
  });
  std::vector<QpPartial> out(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    out[g].acc0 = std::move(acc0[g]);
    out[g].acc1 = std::move(acc1[g]);
    out[g].scale = ct.scale * groups[g].front().diagonal->q_part.scale;
  }
  return out;
}

std::vector<rlwe::Ciphertext> baby_step_sums(const rlwe::Context& ctx, const rlwe::Ciphertext& ct,
                                             const std::vector<uint64_t>& elts,
                                             const std::vector<const rlwe::KeySwitchKey*>& keys,
                                             const std::vector<std::vector<BabyTerm>>& groups) {
  std::vector<rlwe::Ciphertext> out;
  for (QpPartial& p : baby_step_partials(ctx, ct, elts, keys, groups)) {
    rlwe::Ciphertext c;
    c.polys.resize(2);
    rlwe::mod_down_qp(ctx, ct.level(), p.acc0.data(), p.acc1.data(), c.polys[0], c.polys[1]);
    c.scale = p.scale;
    c.fingerprint = ct.fingerprint;
    c.key_id = ct.key_id;
    out.push_back(std::move(c));
    p = QpPartial();  // its memory goes back before the next ModDown
  }
  return out;
}

}  // namespace ppml::ckks
