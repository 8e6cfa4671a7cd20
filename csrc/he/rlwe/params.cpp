#include "he/rlwe/params.hpp"

#include <cmath>
#include <set>
#include <string>

#include "common/errors.hpp"
#include "math/primes.hpp"

namespace ppml::rlwe {

double Params::log_qp() const {
  double bits = 0;
  for (uint64_t v : q) bits += std::log2(static_cast<double>(v));
  for (uint64_t v : p) bits += std::log2(static_cast<double>(v));
  return bits;
}

int Params::digits() const {
  int L = static_cast<int>(q.size());
  return dnum <= 0 ? L : std::min(dnum, L);
}

int Params::digit_size() const {
  int L = static_cast<int>(q.size());
  return (L + digits() - 1) / digits();
}

void Params::validate() const {
  const char* api = "Context";
  math::check_ring_degree(api, n, 1024);
  if (q.empty()) throw_parameter(api, "coeff_mod_bits", "is empty", "at least one data prime", 0);
  if (q.size() + p.size() > 256)
    throw_parameter(api, "moduli", "are too many", "at most 256 primes", q.size() + p.size());
  std::set<uint64_t> seen;
  for (uint64_t v : q) {
    math::check_ntt_prime(api, n, v);
    if (v >= (uint64_t{1} << 61)) throw_parameter(api, "q", "is too large", "primes < 2^61", v);
    if (!seen.insert(v).second) throw_parameter(api, "moduli", "repeat a prime", "distinct primes", v);
  }
  for (uint64_t v : p) {
    math::check_ntt_prime(api, n, v);
    if (!seen.insert(v).second) throw_parameter(api, "moduli", "repeat a prime", "distinct primes", v);
  }
  // Key generation and key switching index P unconditionally (the gadget P*s', ModDown),
  // so a context without a special prime is refused even with a single data prime.
  if (p.empty())
    throw_parameter(api, "special_mod_bits", "is empty", "at least one special prime for key switching", 0);
  if (dnum < 0 || dnum > static_cast<int>(q.size()))
    throw_parameter(api, "dnum", "is out of range", "0 (one digit per prime) to " + std::to_string(q.size()), dnum);
  if (security_level != 0) {
    if (security_level != 128 && security_level != 192 && security_level != 256)
      throw_parameter(api, "security", "is not a supported level", "128, 192, 256 or None", security_level);
    int max_bits = max_modulus_bits(n, security_level, standard);
    double bits = log_qp();
    if (max_bits < 0)
      throw_parameter(api, "security", "has no table entry for this ring degree",
                      "a (poly_degree, security) pair in the " + security_standard_name(standard) +
                          " table, or security=None",
                      std::to_string(security_level) + " at n = " + std::to_string(n));
    if (bits > max_bits)
      throw_parameter(api, "coeff_mod_bits", "exceed the security bound",
                      "log2(Q*P) <= " + std::to_string(max_bits) + " for " + std::to_string(security_level) +
                          "-bit security at n = " + std::to_string(n) + " (" + security_standard_name(standard) +
                          " table), or security=None",
                      std::to_string(bits) + " bits");
  }
}

uint64_t Params::fingerprint() const {
  // FNV-1a over everything that changes the meaning of a ciphertext or key.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  mix(static_cast<uint64_t>(scheme));
  mix(n);
  mix(q.size());
  for (uint64_t v : q) mix(v);
  mix(p.size());
  for (uint64_t v : p) mix(v);
  mix(static_cast<uint64_t>(digits()));
  mix(plain_modulus);
  return h;
}

}  // namespace ppml::rlwe
