// Word-size modular arithmetic for q < 2^61 shared by the CUDA kernels and host code
// (__host__ __device__): the same Barrett and Shoup formulas as math::Modulus, so a
// kernel's result equals the CPU scalar path's word for word. Compiled by g++ as plain
// C++ too (tests/gpu/test_mod_arith_host.py checks it against Python integers).
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define PPML_HD __host__ __device__ __forceinline__
#else
#define PPML_HD inline
#endif

namespace ppml::gpu {

using u128 = unsigned __int128;

// A prime with the constants of math::Modulus the kernels read: floor(2^128 / q) as
// (ratio_hi, ratio_lo). Plain data, copied to device memory as is.
struct ModConst {
  uint64_t q;
  uint64_t ratio_hi;
  uint64_t ratio_lo;
};

PPML_HD uint64_t mul_hi64(uint64_t a, uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(a, b);
#else
  return static_cast<uint64_t>((static_cast<u128>(a) * b) >> 64);
#endif
}

// x mod q for any 64-bit x (math::Modulus::reduce).
PPML_HD uint64_t reduce64(uint64_t x, const ModConst& m) {
  const uint64_t r = x - mul_hi64(x, m.ratio_hi) * m.q;
  return r >= m.q ? r - m.q : r;
}

// x mod q for any 128-bit x (math::Modulus::reduce128): Barrett with the 128-bit ratio.
PPML_HD uint64_t reduce128(u128 x, const ModConst& m) {
  const uint64_t x0 = static_cast<uint64_t>(x), x1 = static_cast<uint64_t>(x >> 64);
  const u128 p00 = static_cast<u128>(x0) * m.ratio_lo;
  const u128 p01 = static_cast<u128>(x0) * m.ratio_hi;
  const u128 p10 = static_cast<u128>(x1) * m.ratio_lo;
  const u128 mid = (p00 >> 64) + static_cast<uint64_t>(p01) + static_cast<uint64_t>(p10);
  const uint64_t qhat = x1 * m.ratio_hi + static_cast<uint64_t>(p01 >> 64) + static_cast<uint64_t>(p10 >> 64) +
                        static_cast<uint64_t>(mid >> 64);
  // qhat >= floor(x / q) - 2, so r < 3q < 2^63.
  uint64_t r = x0 - qhat * m.q;
  r = r >= m.q ? r - m.q : r;
  return r >= m.q ? r - m.q : r;
}

// Inputs in [0, q), output in [0, q).
PPML_HD uint64_t add_mod(uint64_t a, uint64_t b, uint64_t q) {
  const uint64_t s = a + b;
  return s >= q ? s - q : s;
}
PPML_HD uint64_t sub_mod(uint64_t a, uint64_t b, uint64_t q) { return a >= b ? a - b : a + q - b; }
PPML_HD uint64_t neg_mod(uint64_t a, uint64_t q) { return a == 0 ? 0 : q - a; }
PPML_HD uint64_t mul_mod(uint64_t a, uint64_t b, const ModConst& m) {
  return reduce128(static_cast<u128>(a) * b, m);
}

// Shoup: x * w mod q in [0, 2q) for any 64-bit x, w < q and w' = floor(w 2^64 / q).
PPML_HD uint64_t mul_shoup_lazy(uint64_t x, uint64_t w, uint64_t w_shoup, uint64_t q) {
  return x * w - mul_hi64(x, w_shoup) * q;
}
PPML_HD uint64_t mul_shoup(uint64_t x, uint64_t w, uint64_t w_shoup, uint64_t q) {
  const uint64_t r = mul_shoup_lazy(x, w, w_shoup, q);
  return r >= q ? r - q : r;
}
// w' = floor(w 2^64 / q) (host: a 128-bit division).
inline uint64_t shoup_quotient(uint64_t w, uint64_t q) { return static_cast<uint64_t>((static_cast<u128>(w) << 64) / q); }

// Harvey's forward (Cooley-Tukey) butterfly, the one of ntt_scalar.cpp: x, y in [0, 4q)
// in and out.
PPML_HD void ct_butterfly(uint64_t& x, uint64_t& y, uint64_t w, uint64_t w_shoup, uint64_t q) {
  const uint64_t two_q = 2 * q;
  uint64_t X = x >= two_q ? x - two_q : x;               // [0, 2q)
  const uint64_t T = mul_shoup_lazy(y, w, w_shoup, q);   // [0, 2q)
  x = X + T;
  y = X - T + two_q;
}
// Harvey's inverse (Gentleman-Sande) butterfly: x, y in [0, 2q) in and out.
PPML_HD void gs_butterfly(uint64_t& x, uint64_t& y, uint64_t w, uint64_t w_shoup, uint64_t q) {
  const uint64_t two_q = 2 * q;
  const uint64_t S = x + y;
  const uint64_t D = x - y + two_q;
  x = S >= two_q ? S - two_q : S;
  y = mul_shoup_lazy(D, w, w_shoup, q);
}
// [0, 4q) -> [0, q).
PPML_HD uint64_t reduce_from_4q(uint64_t x, uint64_t q) {
  x = x >= 2 * q ? x - 2 * q : x;
  return x >= q ? x - q : x;
}

}  // namespace ppml::gpu
