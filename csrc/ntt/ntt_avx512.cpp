// AVX-512 (F/DQ) negacyclic NTT on 64-bit lanes for any q < 2^61: Shoup multiplication
// with w' = floor(w 2^64 / q), its quotient estimated from three 32 x 32-bit vpmuludq
// products; lazy values in [0, 4q) < 2^63.
// [Harvey 2014, "Faster arithmetic for number-theoretic transforms"; Intel HEXL
// ntt/fwd-ntt-avx512.cpp (64-bit path), util/avx512-util.hpp (_mm512_hexl_mulhi_epi<64>)]
#include <immintrin.h>

#include "ntt/ntt.hpp"
#include "ntt/ntt_passes_avx512.hpp"

namespace ppml::ntt::detail {
namespace {

struct Dq64 {
  V q, q2;
  uint64_t modulus;
  // reduce_grown's Barrett constant floor(2^(32 + k) / q) < 2^31 and shift k = bits(q) - 2,
  // for q >= 2^32 (else the Shoup product by 1).
  bool barrett;
  V barrett_c;
  __m128i barrett_k;
  struct Twiddle {
    V w, ws, ws_hi;
  };

  explicit Dq64(uint64_t modulus_value)
      : q(_mm512_set1_epi64(static_cast<long long>(modulus_value))),
        q2(_mm512_set1_epi64(static_cast<long long>(2 * modulus_value))),
        modulus(modulus_value),
        barrett(modulus_value >> 32 != 0) {
    const int k = barrett ? 62 - __builtin_clzll(modulus_value) : 0;  // bits(q) - 2
    barrett_c = _mm512_set1_epi64(barrett ? static_cast<long long>(((__uint128_t{1} << (32 + k)) / modulus_value))
                                          : 0);
    barrett_k = _mm_cvtsi32_si128(k);
  }

  Twiddle twiddle(V w, V ws) const { return {w, ws, _mm512_srli_epi64(ws, 32)}; }
  // floor(2^64 / q) = floor((2^64 - 1) / q) as q is odd.
  Twiddle one() const {
    return twiddle(_mm512_set1_epi64(1), _mm512_set1_epi64(static_cast<long long>(~uint64_t{0} / modulus)));
  }

  // Lazy values below 2^63 keep x + 2q - t and the unsigned compares free of overflow.
  static constexpr uint64_t kGrowBound = uint64_t{1} << 63;

  // y w mod q in [0, 2q) for any y < 2^64. The Shoup quotient floor(y w' / 2^64) is
  // taken from three 32 x 32-bit products, dropping the low x low one and the carries of
  // the middle sum's low halves: those add up to less than 3 * 2^64, so the estimate is
  // short by at most 2 and y w - estimate q lies in [0, 2q + 2q) < 2^63, exact mod 2^64;
  // one conditional subtraction restores [0, 2q). Cheaper than the exact high product
  // (four products and six more additions and shifts).
  V mul_lazy(V y, const Twiddle& t) const {
    const V y_hi = _mm512_srli_epi64(y, 32);
    const V lo_hi = _mm512_mul_epu32(y, t.ws_hi);
    const V hi_lo = _mm512_mul_epu32(y_hi, t.ws);
    const V hi_hi = _mm512_mul_epu32(y_hi, t.ws_hi);
    const V quot =
        _mm512_add_epi64(_mm512_add_epi64(hi_hi, _mm512_srli_epi64(lo_hi, 32)), _mm512_srli_epi64(hi_lo, 32));
    const V r = _mm512_sub_epi64(_mm512_mullo_epi64(y, t.w), _mm512_mullo_epi64(quot, q));
    return reduce_once(r, q2);
  }

  // Every bit of a 64-bit lane is meaningful here: the grown transform's product is the same.
  V mul_lazy_grow(V y, const Twiddle& t) const { return mul_lazy(y, t); }

  // x mod q in [0, q) for a grown lazy value x < 2^63 (the forward transform's last layer
  // in grow mode, x < (1 + 2 log n) q). With x = xt 2^32 + xl, est = floor(xt c / 2^k)
  // falls short of floor(x / q) by less than 2^32 / q + xt / 2^k + 1 < 3 (q > 2^(k+1) >=
  // 2^32, xt < 2^31 <= 2^k), so x - est q is in [0, 3q): two conditional subtractions.
  // One 32-bit product instead of the Shoup product's three and a vpmullq fewer.
  V reduce_grown(V x, const Twiddle& one) const {
    if (!barrett) return reduce_once(mul_lazy(x, one), q);
    const V est = _mm512_srl_epi64(_mm512_mul_epu32(_mm512_srli_epi64(x, 32), barrett_c), barrett_k);
    const V r = _mm512_sub_epi64(x, _mm512_mullo_epi64(est, q));
    return reduce_once(reduce_once(r, q2), q);
  }

  // Radix-8 passes: 8 data vectors plus temporaries fit the 32 registers; radix 16 spills.
  static constexpr int kMaxPassLayers = 3;

  static const uint64_t* shoup(const NttTables& t) { return t.root_powers_shoup(); }
  static const uint64_t* inv_shoup(const NttTables& t) { return t.inv_root_powers_shoup(); }
  static uint64_t inv_n_shoup(const NttTables& t) { return t.inv_n_shoup(); }
  static uint64_t inv_n_w_shoup(const NttTables& t) { return t.inv_n_w_shoup(); }
};

}  // namespace

void forward_avx512(uint64_t* a, const NttTables& t) { forward_avx512_passes<Dq64>(a, t); }

void forward_avx512_from(const uint64_t* in, uint64_t shift, uint64_t* out, const NttTables& t) {
  forward_avx512_passes<Dq64>(out, t, in, shift);
}

void inverse_avx512(uint64_t* a, const NttTables& t) { inverse_avx512_passes<Dq64>(a, t); }

void inverse_avx512_from(const uint64_t* in, uint64_t* out, const NttTables& t) {
  inverse_avx512_passes<Dq64>(out, t, in);
}

}  // namespace ppml::ntt::detail
