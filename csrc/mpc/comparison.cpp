// Local steps of the secure comparison and ReLU (see comparison.hpp).
#include "mpc/comparison.hpp"

#include "common/errors.hpp"

namespace ppml::mpc {

namespace {
constexpr uint64_t kLow63 = (uint64_t{1} << 63) - 1;
constexpr uint64_t kBit63 = uint64_t{1} << 63;

void check_party(const char* api, int party) {
  if (party != 0 && party != 1) throw_parameter(api, "party", "is not a two-party index", "0 or 1", party);
}
}  // namespace

void comparison_start(int party, const uint64_t* c, const uint64_t* rb, std::size_t n, uint64_t* g, uint64_t* p) {
  check_party("comparison_start", party);
  for (std::size_t j = 0; j < n; ++j) {
    const uint64_t not_c = ~c[j];
    g[j] = rb[j] & not_c & kLow63;
    p[j] = party == 0 ? ((rb[j] ^ not_c) & kLow63) | kBit63 : rb[j] & kLow63;
  }
}

void comparison_nonnegative(int party, const uint64_t* c, const uint64_t* rb, const uint64_t* g, std::size_t n,
                            uint64_t* out) {
  check_party("comparison_nonnegative", party);
  for (std::size_t j = 0; j < n; ++j) {
    uint64_t msb = (g[j] & 1) ^ (rb[j] >> 63);
    if (party == 0) msb ^= (c[j] >> 63) ^ 1;  // public c_63, and b = 1 ^ msb
    out[j] = msb;
  }
}

void relu_finish(const uint64_t* t, const uint64_t* x, const uint64_t* d, const uint64_t* s, const uint64_t* as,
                 std::size_t n, uint64_t* out) {
  for (std::size_t j = 0; j < n; ++j) out[j] = t[j] * x[j] + (1 - 2 * t[j]) * (d[j] * s[j] + as[j]);
}

}  // namespace ppml::mpc
