// Unary-encoding perturbation by lazy byte-wise comparison with 64-bit thresholds, and
// the server's column counts.
#include "dp/local/unary_bits.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "dp/local/byte_stream.hpp"

namespace ppml::dp::local {
namespace {

// Finishes the comparison U < t after the top byte tied: bytes 2..8 of U from the stream.
bool below_rest(ByteStream& s, uint64_t t) {
  for (int shift = 48; shift >= 0; shift -= 8) {
    unsigned tb = static_cast<unsigned>(t >> shift) & 0xff;
    unsigned b = s.next();
    if (b != tb) return b < tb;
  }
  return false;  // U == t
}

}  // namespace

void unary_perturb(random::Prng& prng, const uint32_t* positions, std::size_t n, std::size_t width, uint64_t t_hit,
                   uint64_t t_other, uint8_t* out) {
  ByteStream s(prng);
  const std::size_t stride = row_bytes(width);
  const uint8_t top_other = static_cast<uint8_t>(t_other >> 56);
  const uint8_t top_hit = static_cast<uint8_t>(t_hit >> 56);
  for (std::size_t i = 0; i < n; ++i) {
    uint8_t* row = out + i * stride;
    const std::size_t pos = positions[i];
    for (std::size_t start = 0; start < width; start += 64) {
      const std::size_t k = width - start < 64 ? width - start : 64;
      const uint8_t* r = s.take(k);
      uint64_t lt = 0, eq = 0;
      for (std::size_t j = 0; j < k; ++j) {
        lt |= static_cast<uint64_t>(r[j] < top_other) << j;
        eq |= static_cast<uint64_t>(r[j] == top_other) << j;
      }
      const std::size_t own = pos - start;  // wraps to a huge value when pos < start
      if (own < k) {
        uint64_t bit = uint64_t{1} << own;
        lt = (lt & ~bit) | (r[own] < top_hit ? bit : 0);
        eq = (eq & ~bit) | (r[own] == top_hit ? bit : 0);
      }
      // r is not used below: resolving ties reads further bytes and may refill the buffer.
      while (eq) {
        unsigned j = static_cast<unsigned>(__builtin_ctzll(eq));
        eq &= eq - 1;
        if (below_rest(s, j == own ? t_hit : t_other)) lt |= uint64_t{1} << j;
      }
      for (std::size_t b = 0; b * 8 < k; ++b) row[start / 8 + b] = static_cast<uint8_t>(lt >> (8 * b));
    }
  }
}

void bit_column_counts(const uint8_t* bits, std::size_t n, std::size_t width, const uint32_t* groups,
                       uint64_t* counts) {
  // Byte-sliced counters: one uint64 holds eight 8-bit counters, for the 8 columns of one
  // byte; spread[v] has byte k = bit k of v, so a row byte costs one lookup and one add.
  // A group's counters are flushed into `counts` before any can pass 255.
  static const auto spread = [] {
    std::array<uint64_t, 256> t{};
    for (unsigned v = 0; v < 256; ++v)
      for (unsigned k = 0; k < 8; ++k) t[v] |= static_cast<uint64_t>((v >> k) & 1u) << (8 * k);
    return t;
  }();
  const std::size_t stride = row_bytes(width);
  std::size_t n_groups = 1;
  if (groups)
    for (std::size_t i = 0; i < n; ++i) n_groups = std::max<std::size_t>(n_groups, std::size_t{groups[i]} + 1);
  std::vector<uint64_t> acc(n_groups * stride, 0);
  std::vector<uint32_t> since(n_groups, 0);
  auto flush = [&](std::size_t g) {
    uint64_t* a = acc.data() + g * stride;
    uint64_t* c = counts + g * width;
    for (std::size_t b = 0; b < stride; ++b) {
      const uint64_t v = a[b];
      a[b] = 0;
      for (std::size_t k = 0; k < 8 && 8 * b + k < width; ++k) c[8 * b + k] += (v >> (8 * k)) & 0xff;
    }
    since[g] = 0;
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t g = groups ? groups[i] : 0;
    const uint8_t* row = bits + i * stride;
    uint64_t* a = acc.data() + g * stride;
    for (std::size_t b = 0; b < stride; ++b) a[b] += spread[row[b]];
    if (++since[g] == 255) flush(g);
  }
  for (std::size_t g = 0; g < n_groups; ++g) flush(g);
}

}  // namespace ppml::dp::local
