// Scalar negacyclic NTT with Harvey's lazy butterflies: the reference every SIMD kernel
// is tested against. Values stay in [0, 4q) (forward) / [0, 2q) (inverse) between layers.
#include "ntt/ntt.hpp"

namespace ppml::ntt::detail {

void forward_scalar(uint64_t* a, const NttTables& t) {
  const uint64_t n = t.n();
  const uint64_t q = t.q(), two_q = 2 * q;
  const uint64_t* w = t.root_powers();
  const uint64_t* ws = t.root_powers_shoup();
  uint64_t gap = n;
  for (uint64_t m = 1; m < n; m <<= 1) {
    gap >>= 1;
    for (uint64_t i = 0; i < m; ++i) {
      const uint64_t W = w[m + i], Ws = ws[m + i];
      uint64_t* x = a + 2 * i * gap;
      uint64_t* y = x + gap;
      for (uint64_t j = 0; j < gap; ++j) {
        uint64_t X = x[j];
        X = X >= two_q ? X - two_q : X;  // [0, 2q)
        uint64_t T = y[j] * W - math::mul_hi(y[j], Ws) * q;  // [0, 2q)
        x[j] = X + T;          // [0, 4q)
        y[j] = X - T + two_q;  // [0, 4q)
      }
    }
  }
  for (uint64_t j = 0; j < n; ++j) {
    uint64_t X = a[j];
    X = X >= two_q ? X - two_q : X;
    a[j] = X >= q ? X - q : X;
  }
}

void inverse_scalar(uint64_t* a, const NttTables& t) {
  const uint64_t n = t.n();
  const uint64_t q = t.q(), two_q = 2 * q;
  const uint64_t* w = t.inv_root_powers();
  const uint64_t* ws = t.inv_root_powers_shoup();
  uint64_t gap = 1;
  for (uint64_t m = n >> 1; m > 1; m >>= 1) {
    for (uint64_t i = 0; i < m; ++i) {
      const uint64_t W = w[m + i], Ws = ws[m + i];
      uint64_t* x = a + 2 * i * gap;
      uint64_t* y = x + gap;
      for (uint64_t j = 0; j < gap; ++j) {
        uint64_t X = x[j], Y = y[j];  // [0, 2q)
        uint64_t S = X + Y;
        x[j] = S >= two_q ? S - two_q : S;
        uint64_t D = X - Y + two_q;  // [0, 4q)
        y[j] = D * W - math::mul_hi(D, Ws) * q;
      }
    }
    gap <<= 1;
  }
  // Last layer (m = 1) with n^-1 merged into both outputs.
  const uint64_t ninv = t.inv_n(), ninv_s = t.inv_n_shoup();
  const uint64_t nw = t.inv_n_w(), nw_s = t.inv_n_w_shoup();
  uint64_t* x = a;
  uint64_t* y = a + gap;
  for (uint64_t j = 0; j < gap; ++j) {
    uint64_t X = x[j], Y = y[j];
    uint64_t S = X + Y;
    S = S >= two_q ? S - two_q : S;
    uint64_t D = X - Y + two_q;
    uint64_t r0 = S * ninv - math::mul_hi(S, ninv_s) * q;
    uint64_t r1 = D * nw - math::mul_hi(D, nw_s) * q;
    x[j] = r0 >= q ? r0 - q : r0;
    y[j] = r1 >= q ? r1 - q : r1;
  }
}

}  // namespace ppml::ntt::detail
