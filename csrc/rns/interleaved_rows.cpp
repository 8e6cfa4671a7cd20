#include "rns/interleaved_rows.hpp"

#include <cstring>

#include "common/aligned_buffer.hpp"
#include "common/fixed_width_packing.hpp"

namespace ppml::rns {

std::size_t interleaved_span_bytes(std::size_t stored, int bits) {
  return stored * 2 * (kInterleaveSpan / 8) * static_cast<std::size_t>(bits);
}

std::size_t interleaved_bytes(std::size_t stored, int bits, std::size_t n) {
  // A group is read as the 64 bytes from its start (the VBMI unpacking): behind the last
  // one, up to 64 - bits bytes of padding.
  constexpr std::size_t kVectorOverread = 64;
  const std::size_t spans = (n + kInterleaveSpan - 1) / kInterleaveSpan;
  return spans * interleaved_span_bytes(stored, bits) + kVectorOverread;
}

std::size_t interleaved_offset(std::size_t stored, int bits, int half, std::size_t t, std::size_t k) {
  const std::size_t t0 = t / kInterleaveGroup * kInterleaveGroup;
  const std::size_t group = stored - t0 < kInterleaveGroup ? stored - t0 : kInterleaveGroup;
  const std::size_t vec = k % kInterleaveSpan / 8, b = static_cast<std::size_t>(bits);
  return k / kInterleaveSpan * interleaved_span_bytes(stored, bits) + t0 * (kInterleaveSpan / 8) * 2 * b +
         ((vec * group + (t - t0)) * 2 + static_cast<std::size_t>(half)) * b;
}

void pack_interleaved(const uint64_t* values, std::size_t n, std::size_t stored, int bits, int half, std::size_t t,
                      uint8_t* base) {
  // Packed whole (8 values fill `bits` bytes), then each group to its place.
  const std::size_t b = static_cast<std::size_t>(bits);
  AlignedBuffer<uint8_t> packed(n / 8 * b, Uninitialized{});
  pack_fixed_width(values, n, bits, packed.data());
  for (std::size_t k = 0; k < n; k += 8)
    std::memcpy(base + interleaved_offset(stored, bits, half, t, k), packed.data() + k / 8 * b, b);
}

}  // namespace ppml::rns
