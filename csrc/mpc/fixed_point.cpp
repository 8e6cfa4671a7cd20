// Fixed-point encoding and SecureML local truncation (see fixed_point.hpp).
#include "mpc/fixed_point.hpp"

#include <cmath>

#include "common/errors.hpp"

namespace ppml::mpc {

namespace {
void check_frac_bits(const char* api, int frac_bits) {
  if (frac_bits < 0 || frac_bits > kMaxFracBits)
    throw_parameter(api, "frac_bits", "is out of range", "0 <= frac_bits <= " + std::to_string(kMaxFracBits),
                    frac_bits);
}
}  // namespace

void fixed_encode(const double* x, std::size_t count, int frac_bits, uint64_t* out) {
  check_frac_bits("fixed_encode", frac_bits);
  const double scale = std::ldexp(1.0, frac_bits);
  const double limit = std::ldexp(1.0, 62);
  for (std::size_t j = 0; j < count; ++j) {
    double v = std::nearbyint(x[j] * scale);  // default rounding mode: ties to even
    if (!(std::fabs(v) < limit))
      throw_parameter("fixed_encode", "x", "has a value out of range",
                      "finite |x| < 2^" + std::to_string(62 - frac_bits) + " for frac_bits = " +
                          std::to_string(frac_bits),
                      "a value at flat index " + std::to_string(j));  // never the private value
    out[j] = static_cast<uint64_t>(static_cast<int64_t>(v));
  }
}

void fixed_decode(const uint64_t* v, std::size_t count, int frac_bits, double* out) {
  check_frac_bits("fixed_decode", frac_bits);
  const double inv = std::ldexp(1.0, -frac_bits);
  for (std::size_t j = 0; j < count; ++j) out[j] = static_cast<double>(static_cast<int64_t>(v[j])) * inv;
}

void truncate_share_inplace(uint64_t* share, std::size_t count, int party, int bits) {
  if (party != 0 && party != 1)
    throw_parameter("truncate_share_inplace", "party", "is not a two-party index", "0 or 1", party);
  if (bits < 0 || bits >= 64)
    throw_parameter("truncate_share_inplace", "bits", "is out of range", "0 <= bits < 64", bits);
  if (bits == 0) return;
  if (party == 0) {
    for (std::size_t j = 0; j < count; ++j) share[j] >>= bits;
  } else {
    for (std::size_t j = 0; j < count; ++j) share[j] = 0 - ((0 - share[j]) >> bits);
  }
}

}  // namespace ppml::mpc
