// Shamir secret sharing over p = 2^61 - 1 (see shamir.hpp).
#include "mpc/shamir.hpp"

#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/secure_zero.hpp"
#include "random/samplers.hpp"

namespace ppml::mpc {

const math::Modulus& shamir_field() {
  static const math::Modulus field(kShamirPrime);
  return field;
}

namespace {
void check_below_p(const char* api, const char* arg, const uint64_t* v, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i)
    if (v[i] >= kShamirPrime)
      throw_parameter(api, arg, "has a value out of range", "every value < p = 2^61 - 1",
                      "a value at flat index " + std::to_string(i));  // never the secret or share
}

// Evaluation points: nonzero, below p, distinct. `arg` names them ("points", "indices").
void check_points(const char* api, const char* arg, const uint64_t* xs, std::size_t k) {
  const std::string noun = std::string(arg) == "indices" ? "index" : "point";
  for (std::size_t i = 0; i < k; ++i) {
    if (xs[i] == 0 || xs[i] >= kShamirPrime)
      throw_parameter(api, arg, "has a point out of range", "1 <= " + noun + " < p", xs[i]);
    for (std::size_t m = 0; m < i; ++m)
      if (xs[m] == xs[i]) throw_parameter(api, arg, "has a repeated point", std::string("distinct ") + arg, xs[i]);
  }
}

// f_c(x) for every point and secret, with t - 1 fresh uniform coefficients per secret.
void evaluate_random_polynomials(random::Prng& prng, const uint64_t* secrets, std::size_t count,
                                 const uint64_t* xs, std::size_t k, std::size_t t, uint64_t* out) {
  const math::Modulus& f = shamir_field();
  // Coefficients 1 .. t-1 of every polynomial, degree-major: coeffs[(d - 1) * count + c].
  std::vector<uint64_t> coeffs((t - 1) * count);
  random::sample_uniform_mod(prng, kShamirPrime, coeffs.data(), coeffs.size());
  for (std::size_t i = 0; i < k; ++i) {
    const uint64_t x = xs[i];
    uint64_t* row = out + i * count;
    // Horner from the top coefficient: f(x) = (..(c_{t-1} x + c_{t-2}) x + ..) x + secret.
    for (std::size_t c = 0; c < count; ++c) {
      uint64_t acc = 0;
      for (std::size_t d = t - 1; d >= 1; --d) acc = f.add(f.mul(acc, x), coeffs[(d - 1) * count + c]);
      row[c] = f.add(f.mul(acc, x), secrets[c]);
    }
  }
  secure_zero(coeffs.data(), coeffs.size() * sizeof(uint64_t));
}
}  // namespace

void shamir_share(random::Prng& prng, const uint64_t* secrets, std::size_t count, std::size_t n, std::size_t t,
                  uint64_t* out) {
  if (n < 1 || n > kMaxShamirParties)
    throw_parameter("shamir_share", "n", "is out of range", "1 <= n <= " + std::to_string(kMaxShamirParties), n);
  if (t < 1 || t > n)
    throw_parameter("shamir_share", "t", "is out of range", "1 <= t <= n = " + std::to_string(n), t);
  check_below_p("shamir_share", "secrets", secrets, count);
  std::vector<uint64_t> xs(n);
  for (std::size_t j = 0; j < n; ++j) xs[j] = j + 1;
  evaluate_random_polynomials(prng, secrets, count, xs.data(), n, t, out);
}

void shamir_share_at(random::Prng& prng, const uint64_t* secrets, std::size_t count, const uint64_t* xs,
                     std::size_t k, std::size_t t, uint64_t* out) {
  if (k < 1 || k > kMaxShamirParties)
    throw_parameter("shamir_share_at", "points", "has a count out of range",
                    "1 <= count <= " + std::to_string(kMaxShamirParties), k);
  if (t < 1 || t > k)
    throw_parameter("shamir_share_at", "t", "is out of range", "1 <= t <= len(points) = " + std::to_string(k), t);
  check_points("shamir_share_at", "points", xs, k);
  check_below_p("shamir_share_at", "secrets", secrets, count);
  evaluate_random_polynomials(prng, secrets, count, xs, k, t, out);
}

void lagrange_at_zero(const uint64_t* xs, std::size_t k, uint64_t* out) {
  if (k > kMaxShamirParties)
    throw_parameter("shamir_reconstruct", "k", "is out of range", "at most " + std::to_string(kMaxShamirParties) +
                    " shares", k);
  check_points("shamir_reconstruct", "indices", xs, k);
  const math::Modulus& f = shamir_field();
  for (std::size_t i = 0; i < k; ++i) {
    uint64_t num = 1, den = 1;
    for (std::size_t m = 0; m < k; ++m) {
      if (m == i) continue;
      num = f.mul(num, xs[m]);
      den = f.mul(den, f.sub(xs[m], xs[i]));
    }
    out[i] = f.mul(num, f.inv(den));
  }
}

void shamir_reconstruct(const uint64_t* xs, const uint64_t* shares, std::size_t k, std::size_t count,
                        uint64_t* out) {
  if (k < 1) throw_parameter("shamir_reconstruct", "shares", "is empty", "at least t shares", k);
  check_below_p("shamir_reconstruct", "shares", shares, k * count);
  std::vector<uint64_t> lambda(k);
  lagrange_at_zero(xs, k, lambda.data());
  const math::Modulus& f = shamir_field();
  // Accumulate 128-bit products lazily: each term < p^2 < 2^122, so up to 63 terms fit
  // in 128 bits before one reduction.
  for (std::size_t c = 0; c < count; ++c) {
    math::u128 acc = 0;
    uint64_t total = 0;
    for (std::size_t i = 0; i < k; ++i) {
      acc += static_cast<math::u128>(lambda[i]) * shares[i * count + c];
      if ((i & 63) == 62) {
        total = f.add(total, f.reduce128(acc));
        acc = 0;
      }
    }
    out[c] = f.add(total, f.reduce128(acc));
  }
}

}  // namespace ppml::mpc
