// Discrete Laplace noise: the fast exact table sampler and the textbook CKS algorithm
// [CKS20, Algorithm 2] that serves as its oracle.
#include "dp/discrete_laplace.hpp"

#include <stdexcept>
#include <string>

#include "common/errors.hpp"
#include "dp/bernoulli.hpp"
#include "dp/table_sampler.hpp"

namespace ppml::dp {
namespace {

void check_scale(const char* api, uint64_t sn, uint64_t sd) {
  if (sn == 0) throw_parameter(api, "scale numerator", "is not positive", "scale > 0", sn);
  if (sd == 0 || sd > kMaxDenominator)
    throw_parameter(api, "scale denominator", "is out of range", "1 <= denominator <= 2^32", sd);
  if (sn >= (uint64_t{1} << 62))
    throw_parameter(api, "scale numerator", "is too large", "numerator < 2^62", sn);
  if (sn / sd >= (uint64_t{1} << 40))
    throw_parameter(api, "scale", "is too large", "scale <= 2^40", std::to_string(sn) + "/" + std::to_string(sd));
}

}  // namespace

uint64_t geometric_exp(RandomBits& bits, u128 xn, u128 xd) {
  uint64_t v = 0;
  while (bernoulli_exp(bits, xn, xd)) ++v;
  return v;
}

void discrete_laplace(random::Prng& prng, uint64_t sn, uint64_t sd, int64_t* out, std::size_t n,
                      bool exact_fallback_only) {
  check_scale("dp.discrete_laplace", sn, sd);
  auto table = laplace_table(sn, sd);
  RandomBits bits(prng);
  table->fill(bits, out, n, exact_fallback_only);
}

int64_t discrete_laplace_reference(RandomBits& bits, uint64_t sn, uint64_t sd) {
  const uint64_t t = sn, s = sd;
  for (;;) {
    uint64_t u = bits.uniform_below(t);
    if (!bernoulli_exp(bits, u, t)) continue;
    u128 x = u128{u} + u128{t} * geometric_exp(bits, 1, 1);
    u128 y = x / s;
    bool negative = bits.bit();
    if (negative && y == 0) continue;  // so that 0 is not counted twice
    if (y >= (u128{1} << 63)) throw std::runtime_error("dp: sampled magnitude does not fit in int64");
    int64_t v = static_cast<int64_t>(y);
    return negative ? -v : v;
  }
}

void discrete_laplace_reference(random::Prng& prng, uint64_t sn, uint64_t sd, int64_t* out, std::size_t n) {
  check_scale("dp.discrete_laplace_reference", sn, sd);
  RandomBits bits(prng);
  for (std::size_t i = 0; i < n; ++i) out[i] = discrete_laplace_reference(bits, sn, sd);
}

}  // namespace ppml::dp
