#include "he/rlwe/sampling.hpp"

#include "common/aligned_buffer.hpp"
#include "common/thread_pool.hpp"
#include "ntt/ntt.hpp"
#include "random/samplers.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::rlwe {

void small_to_residues(const int8_t* values, uint64_t n, uint64_t q, uint64_t* dst) {
  // Branch-free: add q where negative (the values are secret).
  for (uint64_t k = 0; k < n; ++k) {
    int64_t v = values[k];
    dst[k] = static_cast<uint64_t>(v) + (q & static_cast<uint64_t>(v >> 63));
  }
}

namespace {

// The values are drawn on the calling thread (the only randomness: the same bits whatever
// the thread count); each limb's residues, and its transform when `evaluation`, are one
// pool task, so the limb is transformed while it is still in the core's cache.
template <void (*Sampler)(random::Prng&, int8_t*, std::size_t)>
rns::RnsPoly sample_small(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base, bool evaluation) {
  AlignedBuffer<int8_t> v(n, /*secret=*/true);
  Sampler(prng, v.data(), n);
  rns::RnsPoly out(n, base, rns::Form::Coefficient, /*secret=*/true, Uninitialized{});
  const auto* tables = evaluation ? &base->ntt_tables(n) : nullptr;
  parallel_for(out.limbs(), [&](std::size_t i) {
    small_to_residues(v.data(), n, (*base)[i].value(), out.limb(i));
    if (tables) ntt::forward_inplace(out.limb(i), *(*tables)[i]);
  });
  if (evaluation) out.set_form(rns::Form::Evaluation);
  return out;
}

}  // namespace

void small_to_rns(const int8_t* values, rns::RnsPoly& out) {
  const uint64_t n = out.n();
  parallel_for(out.limbs(), [&](std::size_t i) { small_to_residues(values, n, (*out.base())[i].value(), out.limb(i)); });
}

rns::RnsPoly sample_ternary(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base) {
  return sample_small<random::sample_ternary>(prng, n, std::move(base), false);
}

rns::RnsPoly sample_ternary_eval(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base) {
  return sample_small<random::sample_ternary>(prng, n, std::move(base), true);
}

rns::RnsPoly sample_error(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base) {
  return sample_small<random::sample_cbd>(prng, n, std::move(base), false);
}

rns::RnsPoly sample_error_eval(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base) {
  return sample_small<random::sample_cbd>(prng, n, std::move(base), true);
}

rns::RnsPoly sample_uniform(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base,
                            rns::Form form) {
  rns::RnsPoly out(n, base, form);
  for (std::size_t i = 0; i < out.limbs(); ++i) random::sample_uniform_mod(prng, (*base)[i].value(), out.limb(i), n);
  return out;
}

}  // namespace ppml::rlwe
