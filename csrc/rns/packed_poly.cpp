#include "rns/packed_poly.hpp"

#include <cstring>

#include "common/fixed_width_packing.hpp"

namespace ppml::rns {

int packed_width(const math::Modulus& q) { return q.bits() > kMaxPackedBits ? 64 : q.bits(); }

PackedPoly::PackedPoly(const RnsPoly& p) : n_(p.n()), base_(p.base()), form_(p.form()) {
  offsets_.push_back(0);
  for (std::size_t i = 0; i < p.limbs(); ++i) {
    widths_.push_back(packed_width((*base_)[i]));
    offsets_.push_back(offsets_.back() + n_ / 8 * static_cast<std::size_t>(widths_.back()));
  }
  data_ = AlignedBuffer<uint8_t>(offsets_.back() + kGroupOverread, Uninitialized{});
  std::memset(data_.data() + offsets_.back(), 0, kGroupOverread);
  for (std::size_t i = 0; i < p.limbs(); ++i) pack_fixed_width(p.limb(i), n_, widths_[i], limb_bytes(i));
}

void PackedPoly::unpack_limb(std::size_t i, uint64_t* out) const {
  unpack_groups(limb_bytes(i), widths_[i], n_ / 8, out);
}

RnsPoly PackedPoly::unpack() const {
  RnsPoly p(n_, base_, form_, /*secret=*/false, Uninitialized{});
  for (std::size_t i = 0; i < limbs(); ++i) unpack_limb(i, p.limb(i));
  return p;
}

}  // namespace ppml::rns
