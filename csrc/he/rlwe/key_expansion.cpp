#include "he/rlwe/key_expansion.hpp"

#include <algorithm>

#include "common/thread_pool.hpp"
#include "he/rlwe/sampling.hpp"

namespace ppml::rlwe {

random::Aes128Key key_expander(const random::Seed& seed) { return random::aes128_expand_key(seed.data()); }

void expand_key_uniform_range(const random::Aes128Key& aes, uint64_t digit, std::size_t limb, uint64_t q,
                              uint64_t n, std::size_t first, std::size_t count, uint64_t* out) {
  const std::size_t block = std::min<std::size_t>(n, kKeyExpandBlock);
  // One AES-CTR stream per block: nonce = digit | limb | block index, each field far
  // wider than its range (digits and limbs < 2^16, blocks < 2^24 for n <= 2^32).
  // Consecutive blocks are consecutive nonces (the index field never carries).
  const uint64_t nonce = (digit << 48) | (static_cast<uint64_t>(limb) << 32) | (first / block);
  random::uniform_mod_ctr_streams(aes, nonce, q, out, count / block, block);
}

rns::RnsPoly expand_key_uniform(const Context& ctx, const random::Seed& seed, uint64_t digit) {
  rns::RnsPoly a(ctx.n(), ctx.qp_base(), rns::Form::Evaluation);
  const random::Aes128Key aes = key_expander(seed);
  parallel_for(a.limbs(), [&](std::size_t i) {
    expand_key_uniform_range(aes, digit, i, (*a.base())[i].value(), ctx.n(), 0, ctx.n(), a.limb(i));
  });
  return a;
}

rns::RnsPoly expand_key_uniform_legacy(const Context& ctx, const random::Seed& seed, uint64_t digit) {
  random::Prng expand(seed, digit);
  return sample_uniform(expand, ctx.n(), ctx.qp_base(), rns::Form::Evaluation);
}

}  // namespace ppml::rlwe
