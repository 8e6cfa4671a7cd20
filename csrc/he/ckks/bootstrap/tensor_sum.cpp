#include "he/ckks/bootstrap/tensor_sum.hpp"

#include <string>

#include "common/aligned_buffer.hpp"
#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/arith.hpp"
#include "rns/eltwise.hpp"

namespace ppml::ckks {

namespace {

constexpr const char* kApi = "tensor_sum";

void check_operand(const rlwe::Context& ctx, const rlwe::Ciphertext& c, const rlwe::Ciphertext& first, int level,
                   const char* what) {
  rlwe::check_same_params(kApi, ctx, c.fingerprint);
  rlwe::check_key_id(kApi, first.key_id, c.key_id);
  if (c.size() != 2 || c.level() < level || c.form() != rns::Form::Evaluation)
    throw_parameter(kApi, what, "differ in size, level or form",
                    "2-component ciphertexts in evaluation form at level >= " + std::to_string(level), c.level());
}

}  // namespace

rlwe::Ciphertext tensor_sum(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& lefts,
                            const std::vector<const rlwe::Ciphertext*>& rights, int level,
                            const std::vector<uint64_t>& factor, const rlwe::Ciphertext* addend,
                            const std::vector<uint64_t>& addend_factor) {
  if (lefts.empty() || lefts.size() != rights.size())
    throw_parameter(kApi, "rights", "do not match the lefts", "one per left factor, at least one", rights.size());
  ctx.check_level(kApi, level);
  const std::size_t limbs = static_cast<std::size_t>(level) + 1;
  if (factor.size() < limbs || (addend && addend_factor.size() < limbs))
    throw_parameter(kApi, "factor", "has too few residues", std::to_string(limbs), factor.size());
  const rlwe::Ciphertext& first = *lefts[0];
  for (std::size_t k = 0; k < lefts.size(); ++k) {
    check_operand(ctx, *lefts[k], first, level, "lefts");
    check_operand(ctx, *rights[k], first, level, "rights");
  }
  if (addend) check_operand(ctx, *addend, first, level, "addend");
  const uint64_t n = ctx.n();
  rlwe::Ciphertext out;
  out.fingerprint = first.fingerprint;
  out.key_id = first.key_id;
  out.scale = first.scale * rights[0]->scale;
  for (int c = 0; c < 3; ++c) out.polys.emplace_back(n, ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{});
  // Limb by limb: the products land in the result and every later step works on the
  // limb while it is in cache.
  parallel_for(limbs, [&](std::size_t i) {
    const math::Modulus& q = ctx.modulus(i);
    uint64_t* x0 = out.polys[0].limb(i);
    uint64_t* x1 = out.polys[1].limb(i);
    uint64_t* x2 = out.polys[2].limb(i);
    for (std::size_t k = 0; k < lefts.size(); ++k) {
      const uint64_t* a0 = lefts[k]->polys[0].limb(i);
      const uint64_t* a1 = lefts[k]->polys[1].limb(i);
      const uint64_t* b0 = rights[k]->polys[0].limb(i);
      const uint64_t* b1 = rights[k]->polys[1].limb(i);
      if (k == 0) {
        rns::mul_mod(a0, b0, x0, n, q);
        rns::mul_mod(a0, b1, x1, n, q);
        rns::mul_mod(a1, b1, x2, n, q);
      } else {
        rns::mul_add_mod(a0, b0, x0, n, q);
        rns::mul_add_mod(a0, b1, x1, n, q);
        rns::mul_add_mod(a1, b1, x2, n, q);
      }
      rns::mul_add_mod(a1, b0, x1, n, q);
    }
    const uint64_t f = q.reduce(factor[i]);
    if (f != 1)
      for (uint64_t* x : {x0, x1, x2}) rns::mul_scalar_mod(x, f, x, n, q);
    if (addend) {
      const uint64_t g = q.reduce(addend_factor[i]);
      AlignedBuffer<uint64_t> scaled(n, Uninitialized{});
      for (int c = 0; c < 2; ++c) {
        rns::mul_scalar_mod(addend->polys[c].limb(i), g, scaled.data(), n, q);
        rns::sub_mod(out.polys[c].limb(i), scaled.data(), out.polys[c].limb(i), n, q);
      }
    }
  });
  return out;
}

}  // namespace ppml::ckks
