// Precomputed twiddles of the negacyclic NTT of degree n modulo a prime q = 1 mod 2n.
// Roots are stored in the order the Harvey butterflies read them (bit-reversed powers of
// psi, the smallest primitive 2n-th root), each with its Shoup quotient for 64-bit lanes
// and for 52-bit IFMA lanes. [Harvey 2014; Longa-Naehrig 2016]
#pragma once

#include <cstdint>
#include <memory>

#include "common/aligned_buffer.hpp"
#include "math/modulus.hpp"

namespace ppml::ntt {

class NttTables {
 public:
  // Throws ParameterError unless n is a power of two in [2, 2^17] and q is a prime
  // < 2^61 with q = 1 mod 2n.
  NttTables(uint64_t n, uint64_t q);

  // Shared tables for (n, q), built once per process.
  static std::shared_ptr<const NttTables> get(uint64_t n, uint64_t q);

  uint64_t n() const { return n_; }
  int log_n() const { return log_n_; }
  const math::Modulus& modulus() const { return modulus_; }
  uint64_t q() const { return modulus_.value(); }
  uint64_t psi() const { return psi_; }

  // Forward: root_powers[m + i] = psi^bitrev_{log n}(m + i), used by the CT butterflies of
  // the layer with m groups. Index 0 is unused (1).
  const uint64_t* root_powers() const { return roots_.data(); }
  const uint64_t* root_powers_shoup() const { return roots_shoup_.data(); }
  const uint64_t* root_powers_shoup52() const { return roots_shoup52_.data(); }
  // Inverse: inv_root_powers[m + i] = root_powers[m + i]^-1, read by the GS butterflies.
  const uint64_t* inv_root_powers() const { return inv_roots_.data(); }
  const uint64_t* inv_root_powers_shoup() const { return inv_roots_shoup_.data(); }
  const uint64_t* inv_root_powers_shoup52() const { return inv_roots_shoup52_.data(); }
  // n^-1 and n^-1 * inv_root_powers[1], merged into the last inverse layer.
  uint64_t inv_n() const { return inv_n_; }
  uint64_t inv_n_shoup() const { return inv_n_shoup_; }
  uint64_t inv_n_shoup52() const { return inv_n_shoup52_; }
  uint64_t inv_n_w() const { return inv_n_w_; }
  uint64_t inv_n_w_shoup() const { return inv_n_w_shoup_; }
  uint64_t inv_n_w_shoup52() const { return inv_n_w_shoup52_; }

 private:
  uint64_t n_;
  int log_n_;
  math::Modulus modulus_;
  uint64_t psi_;
  AlignedBuffer<uint64_t> roots_, roots_shoup_, roots_shoup52_;
  AlignedBuffer<uint64_t> inv_roots_, inv_roots_shoup_, inv_roots_shoup52_;
  uint64_t inv_n_, inv_n_shoup_, inv_n_shoup52_, inv_n_w_, inv_n_w_shoup_, inv_n_w_shoup52_;
};

// Bit reversal of the low `bits` bits of x.
inline uint64_t bit_reverse(uint64_t x, int bits) {
  uint64_t r = 0;
  for (int i = 0; i < bits; ++i) {
    r = (r << 1) | (x & 1);
    x >>= 1;
  }
  return r;
}

}  // namespace ppml::ntt
