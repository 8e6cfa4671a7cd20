// Discrete Gaussian noise: the fast exact table sampler and the textbook CKS algorithm
// [CKS20, Algorithm 3] that serves as its oracle.
#include "dp/discrete_gaussian.hpp"

#include <stdexcept>

#include "common/errors.hpp"
#include "dp/bernoulli.hpp"
#include "dp/discrete_laplace.hpp"
#include "dp/table_sampler.hpp"

namespace ppml::dp {
namespace {

void check_variance(const char* api, uint64_t a, uint64_t b, uint64_t max_a, uint64_t max_b) {
  if (a == 0) throw_parameter(api, "sigma^2 numerator", "is not positive", "sigma > 0", a);
  if (b == 0 || b > max_b)
    throw_parameter(api, "sigma^2 denominator", "is out of range",
                    "1 <= denominator <= " + std::to_string(max_b), b);
  if (a > max_a)
    throw_parameter(api, "sigma^2 numerator", "is too large", "numerator <= " + std::to_string(max_a), a);
}

uint64_t isqrt_floor(uint64_t x) {
  uint64_t r = 0;
  for (int bit = 31; bit >= 0; --bit) {
    uint64_t c = r | (uint64_t{1} << bit);
    if (c * c <= x) r = c;
  }
  return r;
}

}  // namespace

void discrete_gaussian(random::Prng& prng, uint64_t a, uint64_t b, int64_t* out, std::size_t n,
                       bool exact_fallback_only) {
  check_variance("dp.discrete_gaussian", a, b, (uint64_t{1} << 62) - 1, kMaxDenominator);
  auto table = gaussian_table(a, b);
  RandomBits bits(prng);
  table->fill(bits, out, n, exact_fallback_only);
}

int64_t discrete_gaussian_reference(RandomBits& bits, uint64_t a, uint64_t b) {
  // floor(sigma) = isqrt(floor(a / b)).
  const uint64_t t = isqrt_floor(a / b) + 1;
  const u128 den = 2 * u128{a} * b * t * t;  // < 2^84 by the limits
  for (;;) {
    int64_t y = discrete_laplace_reference(bits, t, 1);
    uint64_t mag = static_cast<uint64_t>(y < 0 ? -y : y);
    // With a <= 2^32, b <= 2^16 this needs |Y| >= 2^14 sigma: probability < exp(-2^14).
    if (u128{mag} * b * t >= (u128{1} << 63)) throw std::runtime_error("dp: reference sampler overflow");
    // (|Y| - sigma^2/t)^2 / (2 sigma^2) = (|Y| b t - a)^2 / (2 a b t^2).
    u128 ybt = u128{mag} * b * t;
    u128 diff = ybt > a ? ybt - a : a - ybt;
    if (bernoulli_exp(bits, diff * diff, den)) return y;
  }
}

void discrete_gaussian_reference(random::Prng& prng, uint64_t a, uint64_t b, int64_t* out, std::size_t n) {
  check_variance("dp.discrete_gaussian_reference", a, b, uint64_t{1} << 32, uint64_t{1} << 16);
  RandomBits bits(prng);
  for (std::size_t i = 0; i < n; ++i) out[i] = discrete_gaussian_reference(bits, a, b);
}

}  // namespace ppml::dp
