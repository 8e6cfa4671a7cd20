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
}  // namespace

void shamir_share(random::Prng& prng, const uint64_t* secrets, std::size_t count, std::size_t n, std::size_t t,
                  uint64_t* out) {
  if (n < 1 || n > kMaxShamirParties)
    throw_parameter("shamir_share", "n", "is out of range", "1 <= n <= " + std::to_string(kMaxShamirParties), n);
  if (t < 1 || t > n)
    throw_parameter("shamir_share", "t", "is out of range", "1 <= t <= n = " + std::to_string(n), t);
  check_below_p("shamir_share", "secrets", secrets, count);
  const math::Modulus& f = shamir_field();
  // Coefficients 1 .. t-1 of every polynomial, degree-major: coeffs[(d - 1) * count + k].
  std::vector<uint64_t> coeffs((t - 1) * count);
  random::sample_uniform_mod(prng, kShamirPrime, coeffs.data(), coeffs.size());
  for (std::size_t j = 1; j <= n; ++j) {
    uint64_t* row = out + (j - 1) * count;
    // Horner from the top coefficient: f(j) = (..(c_{t-1} j + c_{t-2}) j + ..) j + secret.
    for (std::size_t k = 0; k < count; ++k) {
      uint64_t acc = 0;
      for (std::size_t d = t - 1; d >= 1; --d) acc = f.add(f.mul(acc, j), coeffs[(d - 1) * count + k]);
      row[k] = f.add(f.mul(acc, j), secrets[k]);
    }
  }
  secure_zero(coeffs.data(), coeffs.size() * sizeof(uint64_t));
}

void lagrange_at_zero(const uint64_t* xs, std::size_t k, uint64_t* out) {
  if (k > kMaxShamirParties)
    throw_parameter("shamir_reconstruct", "k", "is out of range", "at most " + std::to_string(kMaxShamirParties) +
                    " shares", k);
  const math::Modulus& f = shamir_field();
  for (std::size_t i = 0; i < k; ++i) {
    if (xs[i] == 0 || xs[i] >= kShamirPrime)
      throw_parameter("shamir_reconstruct", "indices", "has a point out of range", "1 <= index < p",
                      xs[i]);
    for (std::size_t m = 0; m < i; ++m)
      if (xs[m] == xs[i])
        throw_parameter("shamir_reconstruct", "indices", "has a repeated point", "distinct indices", xs[i]);
  }
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
