// Strided bit packing for the comparison circuit (see bit_pack.hpp).
#include "mpc/bit_pack.hpp"

#include "common/errors.hpp"

namespace ppml::mpc {

uint64_t stride_mask(int log_f) {
  if (log_f < 0 || log_f > 6) throw_parameter("stride_mask", "log_f", "is out of range", "0 <= log_f <= 6", log_f);
  uint64_t m = 0;
  for (int pos = 0; pos < 64; pos += 1 << log_f) m |= uint64_t{1} << pos;
  return m;
}

void pack_strided(const uint64_t* x, std::size_t n, int log_f, uint64_t* out, int shift) {
  if (shift < 0 || shift >= 64) throw_parameter("pack_strided", "shift", "is out of range", "0 <= shift < 64", shift);
  const uint64_t mask = stride_mask(log_f);
  const std::size_t f = std::size_t{1} << log_f;
  const std::size_t words = (n + f - 1) / f;
  for (std::size_t w = 0; w < words; ++w) {
    const std::size_t base = w * f;
    const std::size_t count = n - base < f ? n - base : f;
    uint64_t acc = 0;
    for (std::size_t k = 0; k < count; ++k) acc |= ((x[base + k] >> shift) & mask) << k;
    out[w] = acc;
  }
}

void pack_tree4_inputs(const uint64_t* p, const uint64_t* g, std::size_t n, int log_f, int s, uint64_t* out) {
  const std::size_t f = std::size_t{1} << log_f;
  const std::size_t words = (n + f - 1) / f;
  const uint64_t* src[7] = {p, p, p, p, g, g, g};
  const int shift[7] = {3 * s, 2 * s, s, 0, 2 * s, s, 0};
  for (int row = 0; row < 7; ++row) pack_strided(src[row], n, log_f, out + row * words, shift[row]);
}

void unpack_strided(const uint64_t* w, std::size_t n, int log_f, uint64_t* out) {
  const uint64_t mask = stride_mask(log_f);
  const std::size_t f = std::size_t{1} << log_f;
  for (std::size_t i = 0; i < n; ++i) out[i] = (w[i / f] >> (i % f)) & mask;
}

}  // namespace ppml::mpc
