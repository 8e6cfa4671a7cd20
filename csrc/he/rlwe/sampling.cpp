#include "he/rlwe/sampling.hpp"

#include "common/aligned_buffer.hpp"
#include "random/samplers.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::rlwe {

void small_to_rns(const int8_t* values, rns::RnsPoly& out) {
  const uint64_t n = out.n();
  for (std::size_t i = 0; i < out.limbs(); ++i) {
    const uint64_t q = (*out.base())[i].value();
    uint64_t* dst = out.limb(i);
    // Branch-free: add q where negative (the values are secret).
    for (uint64_t k = 0; k < n; ++k) {
      int64_t v = values[k];
      dst[k] = static_cast<uint64_t>(v) + (q & static_cast<uint64_t>(v >> 63));
    }
  }
}

namespace {
template <void (*Sampler)(random::Prng&, int8_t*, std::size_t)>
rns::RnsPoly sample_small(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base) {
  AlignedBuffer<int8_t> v(n, /*secret=*/true);
  Sampler(prng, v.data(), n);
  rns::RnsPoly out(n, std::move(base), rns::Form::Coefficient, /*secret=*/true);
  small_to_rns(v.data(), out);
  return out;
}
}  // namespace

rns::RnsPoly sample_ternary(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base) {
  return sample_small<random::sample_ternary>(prng, n, std::move(base));
}

rns::RnsPoly sample_error(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base) {
  return sample_small<random::sample_cbd>(prng, n, std::move(base));
}

rns::RnsPoly sample_error_eval(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base) {
  rns::RnsPoly e = sample_error(prng, n, std::move(base));
  rns::ntt_forward(e);
  return e;
}

rns::RnsPoly sample_uniform(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base,
                            rns::Form form) {
  rns::RnsPoly out(n, base, form);
  for (std::size_t i = 0; i < out.limbs(); ++i) random::sample_uniform_mod(prng, (*base)[i].value(), out.limb(i), n);
  return out;
}

}  // namespace ppml::rlwe
