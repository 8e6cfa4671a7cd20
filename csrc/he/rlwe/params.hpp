// Parameters of an RLWE scheme instance: ring degree, ciphertext primes Q, special primes
// P, key-switching digits, security level; validated against the security tables. The
// fingerprint ties every object (key, ciphertext, plaintext) to its parameters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "he/rlwe/security.hpp"

namespace ppml::rlwe {

enum class Scheme : uint8_t { Ckks = 1, Bfv = 2 };

struct Params {
  Scheme scheme = Scheme::Ckks;
  uint64_t n = 0;
  std::vector<uint64_t> q;  // ciphertext (data) primes q_0 .. q_L
  std::vector<uint64_t> p;  // special primes for key switching
  int dnum = 0;             // key-switching digits (0 = one per data prime)
  int security_level = 128; // 0 = none (explicit opt-out)
  SecurityStandard standard = SecurityStandard::Guidelines2024;
  uint64_t plain_modulus = 0;  // BFV only

  // Throws ParameterError on anything invalid, including a modulus over the security
  // table (unless security_level == 0).
  void validate() const;
  double log_qp() const;
  int digits() const;       // effective number of digits
  int digit_size() const;   // primes per digit (alpha)
  uint64_t fingerprint() const;
};

}  // namespace ppml::rlwe
