// AVX2 negacyclic NTT on 4 x 64-bit lanes for any q < 2^61: Harvey's lazy butterflies
// with Shoup multiplication (w' = floor(w 2^64 / q)) built from 32 x 32-bit vpmuludq
// products, two layers per pass over memory, and the three layers with gap <= 4 inside two
// registers. Lazy values stay in [0, 4q) < 2^63, so signed compares act as unsigned ones.
// [Harvey 2014, "Faster arithmetic for number-theoretic transforms"; Intel HEXL ntt/]
#include <immintrin.h>

#include <algorithm>

#include "ntt/ntt.hpp"

namespace ppml::ntt::detail {
namespace {

using V4 = __m256i;

constexpr uint64_t kBlock = uint64_t{1} << 12;  // coefficients per cache block (32 KiB)

inline V4 load4(const uint64_t* p) { return _mm256_loadu_si256(reinterpret_cast<const V4*>(p)); }
inline void store4(uint64_t* p, V4 v) { _mm256_storeu_si256(reinterpret_cast<V4*>(p), v); }
inline V4 set1(uint64_t x) { return _mm256_set1_epi64x(static_cast<long long>(x)); }

// x mod b for x < 2b < 2^63 (signed compares are exact below 2^63). A mask and a
// subtraction: vblendvpd is three uops on recent Intel cores.
inline V4 reduce_once(V4 x, V4 b) {
  const V4 below = _mm256_cmpgt_epi64(b, x);
  return _mm256_sub_epi64(x, _mm256_andnot_si256(below, b));
}

struct Twiddle {
  V4 w, w_hi, ws, ws_hi;
};

inline Twiddle twiddle(V4 w, V4 ws) { return {w, _mm256_srli_epi64(w, 32), ws, _mm256_srli_epi64(ws, 32)}; }
inline Twiddle broadcast(const uint64_t* w, const uint64_t* ws, uint64_t i) { return twiddle(set1(w[i]), set1(ws[i])); }

struct Arith {
  V4 q, q_hi, q2;
  explicit Arith(uint64_t modulus) : q(set1(modulus)), q_hi(set1(modulus >> 32)), q2(set1(2 * modulus)) {}

  // y w mod q in [0, 2q) for any y < 2^64. The Shoup quotient floor(y w' / 2^64) is
  // estimated from three 32 x 32-bit products (the low x low one and the carries of the
  // middle sum's low halves dropped, less than 3 * 2^64 in all), so it is short by at most
  // 2 and y w - estimate q lies in [0, 4q) < 2^63; only its low 64 bits are computed.
  // One conditional subtraction restores [0, 2q).
  V4 mul_lazy(V4 y, const Twiddle& t) const {
    const V4 y_hi = _mm256_srli_epi64(y, 32);
    const V4 quot = _mm256_add_epi64(
        _mm256_add_epi64(_mm256_mul_epu32(y_hi, t.ws_hi), _mm256_srli_epi64(_mm256_mul_epu32(y, t.ws_hi), 32)),
        _mm256_srli_epi64(_mm256_mul_epu32(y_hi, t.ws), 32));
    const V4 quot_hi = _mm256_srli_epi64(quot, 32);
    const V4 low = _mm256_sub_epi64(_mm256_mul_epu32(y, t.w), _mm256_mul_epu32(quot, q));
    const V4 cross = _mm256_sub_epi64(_mm256_add_epi64(_mm256_mul_epu32(y, t.w_hi), _mm256_mul_epu32(y_hi, t.w)),
                                      _mm256_add_epi64(_mm256_mul_epu32(quot, q_hi), _mm256_mul_epu32(quot_hi, q)));
    return reduce_once(_mm256_add_epi64(low, _mm256_slli_epi64(cross, 32)), q2);
  }

  void fwd(V4& x, V4& y, const Twiddle& w) const {
    const V4 xr = reduce_once(x, q2);
    const V4 t = mul_lazy(y, w);
    x = _mm256_add_epi64(xr, t);
    y = _mm256_sub_epi64(_mm256_add_epi64(xr, q2), t);
  }

  void inv(V4& x, V4& y, const Twiddle& w) const {
    const V4 s = _mm256_add_epi64(x, y);
    const V4 d = _mm256_sub_epi64(_mm256_add_epi64(x, q2), y);
    x = reduce_once(s, q2);
    y = mul_lazy(d, w);
  }

  // The m = 1 inverse layer with n^-1 merged; outputs in [0, q).
  void inv_last(V4& x, V4& y, const Twiddle& ninv, const Twiddle& ninv_w) const {
    const V4 s = reduce_once(_mm256_add_epi64(x, y), q2);
    const V4 d = _mm256_sub_epi64(_mm256_add_epi64(x, q2), y);
    x = reduce_once(mul_lazy(s, ninv), q);
    y = reduce_once(mul_lazy(d, ninv_w), q);
  }
};

// Forward passes of one or two layers from the layer with m0 groups and gap g0 >= 8.
void fwd_pass(const Arith& ar, int layers, uint64_t* a, uint64_t m0, uint64_t g0, uint64_t i_begin,
              uint64_t i_end, const uint64_t* w, const uint64_t* ws) {
  for (uint64_t i = i_begin; i < i_end; ++i) {
    uint64_t* x = a + 2 * i * g0;
    const Twiddle t0 = broadcast(w, ws, m0 + i);
    if (layers == 1) {
      for (uint64_t j = 0; j < g0; j += 4) {
        V4 v0 = load4(x + j), v1 = load4(x + j + g0);
        ar.fwd(v0, v1, t0);
        store4(x + j, v0);
        store4(x + j + g0, v1);
      }
      continue;
    }
    const Twiddle t1 = broadcast(w, ws, 2 * (m0 + i)), t2 = broadcast(w, ws, 2 * (m0 + i) + 1);
    const uint64_t s = g0 / 2;  // >= 8
    // Two columns per iteration: the butterfly is a long dependency chain, so give the
    // core eight independent ones per layer.
    for (uint64_t j = 0; j < s; j += 8) {
      V4 v0 = load4(x + j), v1 = load4(x + j + s), v2 = load4(x + j + 2 * s), v3 = load4(x + j + 3 * s);
      V4 u0 = load4(x + j + 4), u1 = load4(x + j + 4 + s), u2 = load4(x + j + 4 + 2 * s), u3 = load4(x + j + 4 + 3 * s);
      ar.fwd(v0, v2, t0);
      ar.fwd(u0, u2, t0);
      ar.fwd(v1, v3, t0);
      ar.fwd(u1, u3, t0);
      ar.fwd(v0, v1, t1);
      ar.fwd(u0, u1, t1);
      ar.fwd(v2, v3, t2);
      ar.fwd(u2, u3, t2);
      store4(x + j, v0);
      store4(x + j + s, v1);
      store4(x + j + 2 * s, v2);
      store4(x + j + 3 * s, v3);
      store4(x + j + 4, u0);
      store4(x + j + 4 + s, u1);
      store4(x + j + 4 + 2 * s, u2);
      store4(x + j + 4 + 3 * s, u3);
    }
  }
}

// Inverse passes of one or two layers from the layer with m0 groups and gap g0 >= 4;
// kLast: the pass ends with the m = 1 layer.
template <bool kLast>
void inv_pass(const Arith& ar, int layers, uint64_t* a, uint64_t m0, uint64_t g0, uint64_t i_begin,
              uint64_t i_end, const uint64_t* w, const uint64_t* ws, const Twiddle& ninv, const Twiddle& ninv_w) {
  for (uint64_t i = i_begin; i < i_end; ++i) {
    if (layers == 1) {
      uint64_t* x = a + 2 * i * g0;
      const Twiddle t0 = broadcast(w, ws, m0 + i);
      for (uint64_t j = 0; j < g0; j += 4) {
        V4 v0 = load4(x + j), v1 = load4(x + j + g0);
        if constexpr (kLast) {
          ar.inv_last(v0, v1, ninv, ninv_w);
        } else {
          ar.inv(v0, v1, t0);
        }
        store4(x + j, v0);
        store4(x + j + g0, v1);
      }
      continue;
    }
    uint64_t* x = a + 4 * i * g0;
    const Twiddle t1 = broadcast(w, ws, m0 + 2 * i), t2 = broadcast(w, ws, m0 + 2 * i + 1);
    const Twiddle t0 = broadcast(w, ws, m0 / 2 + i);
    for (uint64_t j = 0; j < g0; j += 4) {
      V4 v0 = load4(x + j), v1 = load4(x + j + g0), v2 = load4(x + j + 2 * g0), v3 = load4(x + j + 3 * g0);
      ar.inv(v0, v1, t1);
      ar.inv(v2, v3, t2);
      if constexpr (kLast) {
        ar.inv_last(v0, v2, ninv, ninv_w);
        ar.inv_last(v1, v3, ninv, ninv_w);
      } else {
        ar.inv(v0, v2, t0);
        ar.inv(v1, v3, t0);
      }
      store4(x + j, v0);
      store4(x + j + g0, v1);
      store4(x + j + 2 * g0, v2);
      store4(x + j + 3 * g0, v3);
    }
  }
}

// Gap-2 twiddles of block b: [w[n/4 + 2b] x2, w[n/4 + 2b + 1] x2].
inline V4 pairs(const uint64_t* p) {
  return _mm256_permute4x64_epi64(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 0x50);
}

// Forward layers with gap 4, 2, 1 on 8-coefficient blocks, then reduction to [0, q).
// Lanes: gap 2 x = 0,1,4,5 y = 2,3,6,7; gap 1 x = even, y = odd.
void fwd_last3(const Arith& ar, uint64_t* a, const NttTables& t, uint64_t b_begin, uint64_t b_end) {
  const uint64_t n = t.n();
  const uint64_t* w = t.root_powers();
  const uint64_t* ws = t.root_powers_shoup();
  for (uint64_t b = b_begin; b < b_end; ++b) {
    uint64_t* p = a + 8 * b;
    V4 x = load4(p), y = load4(p + 4);
    ar.fwd(x, y, broadcast(w, ws, n / 8 + b));
    V4 x2 = _mm256_permute2x128_si256(x, y, 0x20), y2 = _mm256_permute2x128_si256(x, y, 0x31);
    ar.fwd(x2, y2, twiddle(pairs(w + n / 4 + 2 * b), pairs(ws + n / 4 + 2 * b)));
    V4 x1 = _mm256_unpacklo_epi64(x2, y2), y1 = _mm256_unpackhi_epi64(x2, y2);
    ar.fwd(x1, y1, twiddle(load4(w + n / 2 + 4 * b), load4(ws + n / 2 + 4 * b)));
    x1 = reduce_once(reduce_once(x1, ar.q2), ar.q);
    y1 = reduce_once(reduce_once(y1, ar.q2), ar.q);
    const V4 lo = _mm256_unpacklo_epi64(x1, y1), hi = _mm256_unpackhi_epi64(x1, y1);
    store4(p, _mm256_permute2x128_si256(lo, hi, 0x20));
    store4(p + 4, _mm256_permute2x128_si256(lo, hi, 0x31));
  }
}

// Inverse layers with gap 1, 2, 4 on 8-coefficient blocks; kLast (n = 8): gap 4 is m = 1.
template <bool kLast>
void inv_first3(const Arith& ar, uint64_t* a, const NttTables& t, uint64_t b_begin, uint64_t b_end,
                const Twiddle& ninv, const Twiddle& ninv_w) {
  const uint64_t n = t.n();
  const uint64_t* w = t.inv_root_powers();
  const uint64_t* ws = t.inv_root_powers_shoup();
  for (uint64_t b = b_begin; b < b_end; ++b) {
    uint64_t* p = a + 8 * b;
    const V4 lo = load4(p), hi = load4(p + 4);
    const V4 x2 = _mm256_permute2x128_si256(lo, hi, 0x20), y2 = _mm256_permute2x128_si256(lo, hi, 0x31);
    V4 x1 = _mm256_unpacklo_epi64(x2, y2), y1 = _mm256_unpackhi_epi64(x2, y2);
    ar.inv(x1, y1, twiddle(load4(w + n / 2 + 4 * b), load4(ws + n / 2 + 4 * b)));
    V4 x = _mm256_unpacklo_epi64(x1, y1), y = _mm256_unpackhi_epi64(x1, y1);
    ar.inv(x, y, twiddle(pairs(w + n / 4 + 2 * b), pairs(ws + n / 4 + 2 * b)));
    V4 u = _mm256_permute2x128_si256(x, y, 0x20), v = _mm256_permute2x128_si256(x, y, 0x31);
    if constexpr (kLast) {
      ar.inv_last(u, v, ninv, ninv_w);
    } else {
      ar.inv(u, v, broadcast(w, ws, n / 8 + b));
    }
    store4(p, u);
    store4(p + 4, v);
  }
}

}  // namespace

// Requires n >= 8. Passes whose groups exceed a cache block sweep the array; the rest run
// block by block, ending with the in-register layers.
void forward_avx2(uint64_t* a, const NttTables& t) {
  const Arith ar(t.q());
  const uint64_t n = t.n();
  const uint64_t* w = t.root_powers();
  const uint64_t* ws = t.root_powers_shoup();
  const uint64_t block = std::min(n, kBlock);
  const int layers = t.log_n() - 3;  // layers with gap >= 8
  int done = 0;
  uint64_t m = 1, gap = n / 2;
  for (; done < layers && 2 * gap > block; done += std::min(2, layers - done)) {
    const int l = std::min(2, layers - done);
    fwd_pass(ar, l, a, m, gap, 0, m, w, ws);
    m <<= l;
    gap >>= l;
  }
  for (uint64_t b0 = 0; b0 < n; b0 += block) {
    uint64_t mb = m, gb = gap;
    for (int d = done; d < layers; d += std::min(2, layers - d)) {
      const int l = std::min(2, layers - d);
      fwd_pass(ar, l, a, mb, gb, b0 / (2 * gb), (b0 + block) / (2 * gb), w, ws);
      mb <<= l;
      gb >>= l;
    }
    fwd_last3(ar, a, t, b0 / 8, (b0 + block) / 8);
  }
}

void inverse_avx2(uint64_t* a, const NttTables& t) {
  const Arith ar(t.q());
  const uint64_t n = t.n();
  const uint64_t* w = t.inv_root_powers();
  const uint64_t* ws = t.inv_root_powers_shoup();
  const Twiddle ninv = twiddle(set1(t.inv_n()), set1(t.inv_n_shoup()));
  const Twiddle ninv_w = twiddle(set1(t.inv_n_w()), set1(t.inv_n_w_shoup()));
  const uint64_t block = std::min(n, kBlock);
  const int layers = t.log_n() - 3;
  // One pass of l layers from (m, gap) over the output groups inside [lo, hi).
  auto pass = [&](int l, uint64_t m, uint64_t gap, uint64_t lo, uint64_t hi) {
    const uint64_t span = gap << l;
    if (m >> (l - 1) == 1) {
      inv_pass<true>(ar, l, a, m, gap, lo / span, hi / span, w, ws, ninv, ninv_w);
    } else {
      inv_pass<false>(ar, l, a, m, gap, lo / span, hi / span, w, ws, ninv, ninv_w);
    }
  };
  int done = 0;
  uint64_t m = n / 16, gap = 8;
  for (uint64_t b0 = 0; b0 < n; b0 += block) {
    if (layers == 0) {
      inv_first3<true>(ar, a, t, b0 / 8, (b0 + block) / 8, ninv, ninv_w);
      continue;
    }
    inv_first3<false>(ar, a, t, b0 / 8, (b0 + block) / 8, ninv, ninv_w);
    uint64_t mb = n / 16, gb = 8;
    int d = 0;
    for (; d < layers; d += std::min(2, layers - d)) {
      const int l = std::min(2, layers - d);
      if ((gb << l) > block) break;
      pass(l, mb, gb, b0, b0 + block);
      mb >>= l;
      gb <<= l;
    }
    done = d;
    m = mb;
    gap = gb;
  }
  for (int d = done; d < layers; d += std::min(2, layers - d)) {
    const int l = std::min(2, layers - d);
    pass(l, m, gap, 0, n);
    m >>= l;
    gap <<= l;
  }
}

}  // namespace ppml::ntt::detail
