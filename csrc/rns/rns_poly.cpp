#include "rns/rns_poly.hpp"

#include <cstring>

#include "common/errors.hpp"
#include "math/primes.hpp"

namespace ppml::rns {

RnsPoly::RnsPoly(uint64_t n, std::shared_ptr<const RnsBase> base, Form form, bool secret)
    : n_(n), base_(std::move(base)), form_(form) {
  math::check_ring_degree("RnsPoly", n);
  if (!base_) throw_parameter("RnsPoly", "base", "is missing", "an RnsBase", "None");
  data_ = AlignedBuffer<uint64_t>(base_->size() * n, secret);
}

RnsPoly::RnsPoly(uint64_t n, std::shared_ptr<const RnsBase> base, Form form, bool secret, Uninitialized)
    : n_(n), base_(std::move(base)), form_(form) {
  math::check_ring_degree("RnsPoly", n);
  if (!base_) throw_parameter("RnsPoly", "base", "is missing", "an RnsBase", "None");
  data_ = AlignedBuffer<uint64_t>(base_->size() * n, Uninitialized{}, secret);
}

void RnsPoly::drop_to(std::size_t count, std::shared_ptr<const RnsBase> prefix_base) {
  if (count > limbs() || prefix_base->size() != count)
    throw_parameter("RnsPoly.drop_to", "count", "is out of range", "<= " + std::to_string(limbs()), count);
  AlignedBuffer<uint64_t> kept(count * n_, Uninitialized{}, data_.secret());
  std::memcpy(kept.data(), data_.data(), count * n_ * sizeof(uint64_t));
  data_ = std::move(kept);
  base_ = std::move(prefix_base);
}

}  // namespace ppml::rns
