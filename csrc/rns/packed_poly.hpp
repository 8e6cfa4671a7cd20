// An RNS polynomial kept in memory with as many bits per coefficient as its primes need:
// the resident form of key-switching keys, whose inner products stream the whole key from
// DRAM on every switch (2^15, 20 digits, two halves: 215 MB as 64-bit words, 140 MB packed
// for a chain of 40-bit primes).
//
// Limb i holds n values of width(i) bits in the bit-stream layout of
// common/fixed_width_packing.hpp; n is a multiple of 8, so 8 values fill width(i) bytes and
// every limb starts on a 64-byte boundary. Primes of more than kMaxPackedBits bits keep
// plain 64-bit words: a value must fit one 8-byte window, which the kernels read with one
// vpermb per 8 values next to the products (IFMA below 2^50, 64-bit lanes for 51-57
// bits). Unpacked span by span instead, the 51-57-bit rows had cost 5% on BFV's 54-bit
// relinearization for their sixth fewer bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/aligned_buffer.hpp"
#include "rns/rns_poly.hpp"

namespace ppml::rns {

constexpr int kMaxPackedBits = 57;  // one 8-byte window per value

// Bits per coefficient of a limb modulo q: q's bit length, or 64 above kMaxPackedBits.
int packed_width(const math::Modulus& q);

class PackedPoly {
 public:
  PackedPoly() = default;
  // Packs p; every value below its prime (as every reduced RnsPoly is).
  explicit PackedPoly(const RnsPoly& p);

  uint64_t n() const { return n_; }
  std::size_t limbs() const { return widths_.size(); }
  Form form() const { return form_; }
  const std::shared_ptr<const RnsBase>& base() const { return base_; }
  int width(std::size_t i) const { return widths_[i]; }

  // Limb i's bytes (n * width(i) / 8 of them).
  const uint8_t* limb_bytes(std::size_t i) const { return data_.data() + offsets_[i]; }
  uint8_t* limb_bytes(std::size_t i) { return data_.data() + offsets_[i]; }
  std::size_t limb_size(std::size_t i) const { return offsets_[i + 1] - offsets_[i]; }
  // Limb i of a 64-bit-wide limb as words.
  const uint64_t* words(std::size_t i) const { return reinterpret_cast<const uint64_t*>(limb_bytes(i)); }

  void unpack_limb(std::size_t i, uint64_t* out) const;
  RnsPoly unpack() const;
  // Bytes of coefficient data (what key_memory_bytes reports).
  std::size_t memory_bytes() const { return offsets_.empty() ? 0 : offsets_.back(); }

 private:
  uint64_t n_ = 0;
  std::shared_ptr<const RnsBase> base_;
  Form form_ = Form::Coefficient;
  std::vector<int> widths_;
  std::vector<std::size_t> offsets_;  // limbs + 1 byte offsets
  AlignedBuffer<uint8_t> data_;       // kGroupOverread bytes of padding past the last limb
};

}  // namespace ppml::rns
