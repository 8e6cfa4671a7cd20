#include "ntt/ntt_tables.hpp"

#include <map>
#include <mutex>
#include <utility>

#include "math/primes.hpp"

namespace ppml::ntt {
namespace {

uint64_t shoup52(uint64_t w, uint64_t q) {
  // floor(w * 2^52 / q); only meaningful for q < 2^52 (IFMA lanes).
  if (q >= (uint64_t{1} << 52)) return 0;
  return static_cast<uint64_t>((static_cast<math::u128>(w) << 52) / q);
}

}  // namespace

NttTables::NttTables(uint64_t n, uint64_t q) : n_(n), modulus_() {
  math::check_ring_degree("NttTables", n);
  math::check_ntt_prime("NttTables", n, q);
  modulus_ = math::Modulus(q);
  log_n_ = __builtin_ctzll(n);
  psi_ = math::minimal_primitive_root(2 * n, q);
  roots_ = AlignedBuffer<uint64_t>(n);
  roots_shoup_ = AlignedBuffer<uint64_t>(n);
  roots_shoup52_ = AlignedBuffer<uint64_t>(n);
  inv_roots_ = AlignedBuffer<uint64_t>(n);
  inv_roots_shoup_ = AlignedBuffer<uint64_t>(n);
  inv_roots_shoup52_ = AlignedBuffer<uint64_t>(n);
  // Powers psi^k in natural order, then scattered to bit-reversed positions.
  uint64_t power = 1;
  uint64_t psi_inv = modulus_.inv(psi_);
  uint64_t inv_power = 1;
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t idx = bit_reverse(k, log_n_);
    roots_[idx] = power;
    inv_roots_[idx] = inv_power;
    power = modulus_.mul(power, psi_);
    inv_power = modulus_.mul(inv_power, psi_inv);
  }
  for (uint64_t i = 0; i < n; ++i) {
    roots_shoup_[i] = modulus_.shoup(roots_[i]);
    roots_shoup52_[i] = shoup52(roots_[i], q);
    inv_roots_shoup_[i] = modulus_.shoup(inv_roots_[i]);
    inv_roots_shoup52_[i] = shoup52(inv_roots_[i], q);
  }
  inv_n_ = modulus_.inv(n % q);
  inv_n_shoup_ = modulus_.shoup(inv_n_);
  inv_n_shoup52_ = shoup52(inv_n_, q);
  inv_n_w_ = modulus_.mul(inv_n_, inv_roots_[1]);
  inv_n_w_shoup_ = modulus_.shoup(inv_n_w_);
  inv_n_w_shoup52_ = shoup52(inv_n_w_, q);
}

std::shared_ptr<const NttTables> NttTables::get(uint64_t n, uint64_t q) {
  static std::mutex mutex;
  static std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<const NttTables>> cache;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find({n, q});
    if (it != cache.end()) return it->second;
  }
  auto tables = std::make_shared<const NttTables>(n, q);  // may throw; built unlocked
  std::lock_guard<std::mutex> lock(mutex);
  return cache.emplace(std::make_pair(n, q), std::move(tables)).first->second;
}

}  // namespace ppml::ntt
