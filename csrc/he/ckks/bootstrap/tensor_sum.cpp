#include "he/ckks/bootstrap/tensor_sum.hpp"

#include <algorithm>
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
                            const std::vector<uint64_t>& addend_factor, const std::vector<uint64_t>* constant) {
  if (lefts.empty() || lefts.size() != rights.size())
    throw_parameter(kApi, "rights", "do not match the lefts", "one per left factor, at least one", rights.size());
  ctx.check_level(kApi, level);
  const std::size_t limbs = static_cast<std::size_t>(level) + 1;
  if (factor.size() < limbs || (addend && addend_factor.size() < limbs) || (constant && constant->size() < limbs))
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
  // Limb by limb, a chunk of coefficients at a time: the factor and the addend work on
  // the products while they are in L1 (whole limbs of the three results and six operands
  // outgrow L2, and each later pass over them went to memory again).
  constexpr std::size_t kChunk = 2048;
  parallel_for(limbs, [&](std::size_t i) {
    const math::Modulus& q = ctx.modulus(i);
    const uint64_t f = q.reduce(factor[i]);
    const uint64_t g = addend ? q.reduce(addend_factor[i]) : 0;
    const uint64_t m = constant ? q.reduce((*constant)[i]) : 0;
    AlignedBuffer<uint64_t> scaled(addend ? std::min<std::size_t>(n, kChunk) : 0, Uninitialized{});
    for (std::size_t k = 0; k < n; k += kChunk) {
      const std::size_t len = std::min<std::size_t>(kChunk, n - k);
      uint64_t* x[3] = {out.polys[0].limb(i) + k, out.polys[1].limb(i) + k, out.polys[2].limb(i) + k};
      for (std::size_t j = 0; j < lefts.size(); ++j) {
        const uint64_t* a0 = lefts[j]->polys[0].limb(i) + k;
        const uint64_t* a1 = lefts[j]->polys[1].limb(i) + k;
        const uint64_t* b0 = rights[j]->polys[0].limb(i) + k;
        const uint64_t* b1 = rights[j]->polys[1].limb(i) + k;
        if (j == 0) {
          rns::mul_mod(a0, b0, x[0], len, q);
          rns::mul_mod(a0, b1, x[1], len, q);
          rns::mul_mod(a1, b1, x[2], len, q);
        } else {
          rns::mul_add_mod(a0, b0, x[0], len, q);
          rns::mul_add_mod(a0, b1, x[1], len, q);
          rns::mul_add_mod(a1, b1, x[2], len, q);
        }
        rns::mul_add_mod(a1, b0, x[1], len, q);
      }
      if (f == 2)  // the Chebyshev steps' doubling: an addition, cheaper than a product
        for (uint64_t* xc : x) rns::add_mod(xc, xc, xc, len, q);
      else if (f != 1)
        for (uint64_t* xc : x) rns::mul_scalar_mod(xc, f, xc, len, q);
      if (addend)
        for (int c = 0; c < 2; ++c) {
          rns::mul_scalar_mod(addend->polys[c].limb(i) + k, g, scaled.data(), len, q);
          rns::sub_mod(x[c], scaled.data(), x[c], len, q);
        }
      if (m) rns::add_scalar_mod(x[0], m, x[0], len, q);  // a constant is the same in every slot of the NTT domain
    }
  });
  return out;
}

}  // namespace ppml::ckks
