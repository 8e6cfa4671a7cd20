// Unary-encoding perturbation (dispatcher, scalar bit deposit) and the server's column counts.
#include "dp/local/unary_bits.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "common/backend.hpp"
#include "dp/local/unary_bits_impl.hpp"

namespace ppml::dp::local {

namespace detail {
void unary_perturb_bmi2(random::Prng& prng, const uint32_t* positions, std::size_t n, std::size_t width,
                        uint64_t t_hit, uint64_t t_other, uint8_t* out);
}  // namespace detail

const char* unary_perturb_kernel_name() {
#ifdef PPML_HAVE_UNARY_BITS_AVX2
  if (effective_backend() != Backend::Scalar) return "bmi2";
#endif
  return "scalar";
}

void unary_perturb(random::Prng& prng, const uint32_t* positions, std::size_t n, std::size_t width, uint64_t t_hit,
                   uint64_t t_other, uint8_t* out) {
#ifdef PPML_HAVE_UNARY_BITS_AVX2
  if (effective_backend() != Backend::Scalar)
    return detail::unary_perturb_bmi2(prng, positions, n, width, t_hit, t_other, out);
#endif
  // Software bit deposit: bit j of v goes to the j-th set bit of mask.
  detail::unary_perturb_impl(prng, positions, n, width, t_hit, t_other, out, [](uint64_t v, uint64_t mask) {
    uint64_t r = 0;
    for (; mask; mask &= mask - 1, v >>= 1) r |= (v & 1) ? (mask & -mask) : 0;
    return r;
  });
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
