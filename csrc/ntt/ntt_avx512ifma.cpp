// AVX-512 IFMA52 negacyclic NTT for q < 2^50: Shoup multiplication on 52-bit lanes with
// vpmadd52huq (quotient) and vpmadd52luq (low products), lazy values in [0, 4q) < 2^52.
// [Harvey 2014, "Faster arithmetic for number-theoretic transforms"; Intel HEXL
// ntt/fwd-ntt-avx512.cpp (IFMA path)]
#include <immintrin.h>

#include "ntt/ntt.hpp"
#include "ntt/ntt_passes_avx512.hpp"

namespace ppml::ntt::detail {
namespace {

// Shoup with w' = floor(w 2^52 / q): Q = floor(y w' / 2^52) and y w - Q q in [0, 2q) for
// y < 2^52. The low products are taken mod 2^52 (-Q q as Q (2^52 - q)) and the sum masked
// back to 52 bits, exact because the true result is below 2q < 2^52.
struct Ifma52 {
  V q, q2, neg_q, mask;
  uint64_t one_shoup;  // floor(2^52 / q)
  struct Twiddle {
    V w, ws;
  };

  explicit Ifma52(uint64_t modulus)
      : q(_mm512_set1_epi64(static_cast<long long>(modulus))),
        q2(_mm512_set1_epi64(static_cast<long long>(2 * modulus))),
        neg_q(_mm512_set1_epi64(static_cast<long long>((uint64_t{1} << 52) - modulus))),
        mask(_mm512_set1_epi64(static_cast<long long>((uint64_t{1} << 52) - 1))),
        one_shoup((uint64_t{1} << 52) / modulus) {}

  Twiddle twiddle(V w, V ws) const { return {w, ws}; }
  Twiddle one() const { return {_mm512_set1_epi64(1), _mm512_set1_epi64(static_cast<long long>(one_shoup))}; }

  // IFMA multiplicands are 52 bits: every lazy value must stay below this.
  static constexpr uint64_t kGrowBound = uint64_t{1} << 52;

  V mul_lazy(V y, const Twiddle& t) const { return _mm512_and_si512(mul_lazy_grow(y, t), mask); }

  // mul_lazy without the mask: the result plus 2^52 when lo(y w) >= lo(Q q), the same
  // modulo 2^52, for the grown forward transform whose lanes are taken modulo 2^52 (y may
  // carry such bits too: IFMA reads only its low 52).
  V mul_lazy_grow(V y, const Twiddle& t) const {
    const V zero = _mm512_setzero_si512();
    const V quot = _mm512_madd52hi_epu64(zero, y, t.ws);
    return _mm512_madd52lo_epu64(_mm512_madd52lo_epu64(zero, y, t.w), quot, neg_q);
  }

  // x mod q in [0, q) for a grown lazy value x < 2^52 (read modulo 2^52): the Shoup
  // product by 1, whose low product x * 1 is x itself (the accumulator of the second IFMA).
  V reduce_grown(V x, const Twiddle& one) const {
    const V quot = _mm512_madd52hi_epu64(_mm512_setzero_si512(), x, one.ws);
    return reduce_once(_mm512_and_si512(_mm512_madd52lo_epu64(x, quot, neg_q), mask), q);
  }

  // Radix-8 passes: 8 data vectors plus temporaries fit the 32 registers; radix 16 spills.
  static constexpr int kMaxPassLayers = 3;

  static const uint64_t* shoup(const NttTables& t) { return t.root_powers_shoup52(); }
  static const uint64_t* inv_shoup(const NttTables& t) { return t.inv_root_powers_shoup52(); }
  static uint64_t inv_n_shoup(const NttTables& t) { return t.inv_n_shoup52(); }
  static uint64_t inv_n_w_shoup(const NttTables& t) { return t.inv_n_w_shoup52(); }
};

}  // namespace

void forward_avx512ifma(uint64_t* a, const NttTables& t) { forward_avx512_passes<Ifma52>(a, t); }

void forward_avx512ifma_from(const uint64_t* in, uint64_t shift, uint64_t* out, const NttTables& t) {
  forward_avx512_passes<Ifma52>(out, t, in, shift);
}

void inverse_avx512ifma(uint64_t* a, const NttTables& t) { inverse_avx512_passes<Ifma52>(a, t); }

void inverse_avx512ifma_from(const uint64_t* in, uint64_t* out, const NttTables& t) {
  inverse_avx512_passes<Ifma52>(out, t, in);
}

}  // namespace ppml::ntt::detail
