#include "he/ckks/release.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "common/errors.hpp"
#include "common/secure_zero.hpp"
#include "dp/discrete_gaussian.hpp"
#include "he/ckks/release_count.hpp"
#include "he/rlwe/arith.hpp"
#include "he/rlwe/encryptor.hpp"

namespace ppml::ckks {

namespace {

constexpr const char* kApi = "decrypt_for_release";
// B fails with probability at most 2^-64 over all n coefficients.
constexpr int kTailBits = 64;
// CBD(21) errors: variance 10.5, also their sub-Gaussian proxy (each +-1 difference of two
// fair bits has E exp(l X) = cosh(l/2)^2 <= exp(l^2/4)).
constexpr double kErrorVariance = 10.5;
// Ternary values (the secret, the encryption's u): proxy 2/3.
constexpr double kTernaryProxy = 2.0 / 3.0;
// The widest single exact draw (dp::discrete_gaussian takes sigma < 2^31).
constexpr int kSingleDrawBits = 30;
// The widest flooding: 2^27 A + C with A below 2^31 (int64 sums with room to spare).
constexpr int kMaxFloodingBits = 57;

// t / sqrt(V): a sub-Gaussian of proxy V exceeds t with probability 2 exp(-t^2 / 2V); over
// n coefficients at most 2^-64.
double tail(double n) { return std::sqrt(2.0 * (std::log(2.0 * n) + kTailBits * std::log(2.0))); }

double fresh_proxy(const rlwe::Context& ctx) {
  const double n = static_cast<double>(ctx.n());
  return kErrorVariance + kErrorVariance * n + kTernaryProxy * 2 * kErrorVariance * n;
}

// Heuristic (the digits treated as fixed, the key's error as random).
double key_switch_proxy(const rlwe::Context& ctx) {
  const auto& prm = ctx.params();
  const double n = static_cast<double>(ctx.n());
  std::vector<double> q_bits;
  for (uint64_t q : prm.q) q_bits.push_back(std::log2(static_cast<double>(q)));
  std::sort(q_bits.begin(), q_bits.end(), std::greater<double>());
  double p_bits = 0;
  for (uint64_t p : prm.p) p_bits += std::log2(static_cast<double>(p));
  const std::size_t digits = static_cast<std::size_t>(std::max(1, ctx.digits()));
  const std::size_t per_digit = (q_bits.size() + digits - 1) / digits;
  double digit_bits = 0;  // the largest digit
  for (std::size_t i = 0; i < per_digit && i < q_bits.size(); ++i) digit_bits += q_bits[i];
  return static_cast<double>(digits) * kErrorVariance * n * std::exp2(2 * (digit_bits - p_bits)) + (1 + n) / 4.0;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

double fresh_noise_bound(const rlwe::Context& ctx) {
  return tail(static_cast<double>(ctx.n())) * std::sqrt(fresh_proxy(ctx));
}

double default_noise_bound(const rlwe::Context& ctx) {
  const double n = static_cast<double>(ctx.n());
  return tail(n) * std::sqrt(fresh_proxy(ctx) + key_switch_proxy(ctx) + (1 + n) / 4.0);
}

ReleasePlan plan_release(const char* api, const rlwe::Context& ctx, double scale, double bits_of_precision, double noise_bound,
                         int security_bits, uint64_t max_releases) {
  if (!(bits_of_precision >= 1 && bits_of_precision <= 50))
    throw_parameter(api, "bits_of_precision", "is out of range", "1..50", bits_of_precision);
  if (security_bits < 40 || security_bits > 128)
    throw_parameter(api, "security_bits", "is out of range", "an integer in 40..128", security_bits);
  if (max_releases < 1) throw_parameter(api, "max_releases", "is invalid", "an integer >= 1", max_releases);
  if (!(std::isfinite(noise_bound) && noise_bound >= 1))
    throw_parameter(api, "noise_bound", "is invalid", "a finite number >= 1 (coefficient units)", noise_bound);
  if (!(std::isfinite(scale) && scale > 0)) throw_parameter(api, "ciphertext", "has no valid scale", "scale > 0", scale);
  ReleasePlan plan;
  plan.noise_bound = noise_bound;
  plan.security_bits = security_bits;
  plan.max_releases = max_releases;
  plan.sigma_min = std::sqrt(12.0 * static_cast<double>(max_releases)) * std::exp2(security_bits / 2.0) * noise_bound;
  // Coefficient variance v gives slot real/imaginary variance v * (n/2) / scale^2.
  const double spread = std::sqrt(static_cast<double>(ctx.n()) / 2) / scale;
  plan.max_bits = -std::log2(plan.sigma_min * spread);
  if (bits_of_precision > plan.max_bits)
    throw_parameter(api, "bits_of_precision", "is too high for this ciphertext",
                    "<= " + fixed(plan.max_bits, 2) + " (scale 2^" + fixed(std::log2(scale), 1) + ", noise bound 2^" +
                        fixed(std::log2(noise_bound), 1) + ", s = " + std::to_string(security_bits) +
                        ", max_releases = " + std::to_string(max_releases) + ")",
                    bits_of_precision);
  plan.slot_sigma = std::exp2(-bits_of_precision);
  plan.sigma = plan.slot_sigma / spread;
  plan.step = std::exp2(-std::ceil(bits_of_precision));
  return plan;
}

void wide_discrete_gaussian(random::Prng& prng, double sigma, int64_t* out, std::size_t n) {
  if (!(sigma >= 1 && sigma < std::exp2(kMaxFloodingBits)))
    throw_parameter(kApi, "sigma", "is out of range for the flooding sampler", "1 <= sigma < 2^57", sigma);
  if (sigma < std::exp2(kSingleDrawBits)) {
    const auto s = static_cast<uint64_t>(std::ceil(sigma));
    dp::discrete_gaussian(prng, s * s, 1, out, n);
    return;
  }
  const int k = static_cast<int>(std::ceil(std::log2(sigma))) - kSingleDrawBits;
  const double sigma_c = std::ldexp(8.0, k);
  const auto sigma_a = static_cast<uint64_t>(std::llround(std::sqrt(sigma * sigma - sigma_c * sigma_c) / std::ldexp(1.0, k)));
  const auto c = static_cast<uint64_t>(sigma_c);
  std::vector<int64_t> low(n);
  dp::discrete_gaussian(prng, sigma_a * sigma_a, 1, out, n);
  dp::discrete_gaussian(prng, c * c, 1, low.data(), n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<int64_t>(static_cast<uint64_t>(out[i]) << k) + low[i];
  secure_zero(low.data(), n * sizeof(int64_t));
}

namespace {

std::vector<cdouble> decrypt_for_release(const rlwe::Context& ctx, const Encoder& encoder, const rlwe::SecretKey& sk,
                                         const rlwe::Ciphertext& ct, const ReleasePlan& plan, random::Prng& prng) {
  const std::size_t n = ctx.n();
  std::vector<int64_t> noise(n);
  wide_discrete_gaussian(prng, plan.sigma, noise.data(), n);
  rns::RnsPoly m = rlwe::decrypt(ctx, sk, ct);
  // m + e + noise: the noise meets the key-dependent error in Z_Q, before any rounding.
  std::vector<double> coeffs = encoder.lift_centered(m, noise.data());
  secure_zero(m.data(), m.limbs() * m.n() * sizeof(uint64_t));
  secure_zero(noise.data(), n * sizeof(int64_t));
  std::vector<cdouble> values = encoder.decode_coefficients(coeffs.data(), ct.scale);
  secure_zero(coeffs.data(), n * sizeof(double));
  for (auto& v : values) v = {std::round(v.real() / plan.step) * plan.step, std::round(v.imag() / plan.step) * plan.step};
  return values;
}

}  // namespace

std::vector<cdouble> release(const char* api, const rlwe::Context& ctx, const Encoder& encoder,
                             const rlwe::SecretKey& sk, const rlwe::Ciphertext& ct, double bits_of_precision,
                             double noise_bound, int security_bits, uint64_t max_releases, random::Prng& prng) {
  rlwe::check_key_id(api, sk.key_id, ct.key_id);
  const ReleasePlan plan = plan_release(api, ctx, ct.scale, bits_of_precision, noise_bound, security_bits, max_releases);
  // Refused here, before the release is counted, rather than by the sampler after it.
  if (!(plan.sigma < std::exp2(kMaxFloodingBits)))
    throw_parameter(api, "bits_of_precision", "is too low for this ciphertext's scale",
                    "a flooding width below 2^" + std::to_string(kMaxFloodingBits) + " (more bits, or rescale first)",
                    bits_of_precision);
  claim_release(api, sk.fingerprint, sk.key_id, max_releases);
  return decrypt_for_release(ctx, encoder, sk, ct, plan, prng);
}


}  // namespace ppml::ckks
