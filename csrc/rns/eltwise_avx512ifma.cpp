// AVX-512 IFMA52 element-wise kernels for q < 2^50: 104-bit products from vpmadd52luq /
// vpmadd52huq and a Barrett reduction with 52-bit constants (the IFMA approach of HEXL's
// EltwiseMultMod [HEXL]; Barrett [Barrett86], bound of HAC 14.42). Bit-identical to
// rns/eltwise_scalar.cpp; every output in [0, q).
#include <immintrin.h>

#include <vector>

#include "common/cpu_features.hpp"
#include "rns/eltwise.hpp"
#include "rns/ifma52_avx512.hpp"
#include "rns/lanes64_avx512.hpp"

namespace ppml::rns::detail {
namespace {

void add_ifma(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& m) {
  const __m512i q = _mm512_set1_epi64(static_cast<long long>(m.value()));
  for_each_vec<false>(a, b, out, n, [q](__m512i x, __m512i y, __m512i) { return csub(_mm512_add_epi64(x, y), q); });
}

void sub_ifma(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& m) {
  const __m512i q = _mm512_set1_epi64(static_cast<long long>(m.value()));
  // d = a - b wraps above 2^63 when a < b; then d + q is the smaller of the two.
  for_each_vec<false>(a, b, out, n, [q](__m512i x, __m512i y, __m512i) {
    __m512i d = _mm512_sub_epi64(x, y);
    return _mm512_min_epu64(d, _mm512_add_epi64(d, q));
  });
}

void mul_ifma(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& m) {
  const Ifma c(m);
  for_each_vec<false>(a, b, out, n, [&c](__m512i x, __m512i y, __m512i z) { return mul_add_vec(x, y, z, c); });
}

void mul_add_ifma(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& m) {
  const Ifma c(m);
  for_each_vec<true>(a, b, out, n, [&c](__m512i x, __m512i y, __m512i z) { return mul_add_vec(x, y, z, c); });
}

// Inner product over V vectors of coefficients starting at k, kept in registers across all
// terms. Each product a*b < 2^100 is split into lo = a*b mod 2^52 and hi = floor(a*b / 2^52)
// < 2^48, summed into separate 64-bit accumulators: the sum is hi_acc * 2^52 + lo_acc.
// Every 8 terms the carries of lo_acc move into hi_acc and hi_acc is reduced mod q, so
// hi_acc < 2^50 + 8 * 2^48 + 8 < 2^52 stays a valid 52-bit multiplier input, for any
// number of terms. `mask` selects the valid lanes of the last vector (tail).
template <int V, int Outs>
inline void inner_product_block(const uint64_t* const* a, const uint64_t* const* const* b, std::size_t terms,
                                uint64_t* const* out, std::size_t k, __mmask8 mask, const Ifma& c) {
  __m512i lo[Outs][V], hi[Outs][V];
  for (int o = 0; o < Outs; ++o)
    for (int v = 0; v < V; ++v) lo[o][v] = hi[o][v] = _mm512_setzero_si512();
  for (std::size_t t = 0; t < terms; ++t) {
    const uint64_t* x = a[t] + k;
    for (int v = 0; v < V; ++v) {
      const __mmask8 mv = v == V - 1 ? mask : static_cast<__mmask8>(0xFF);
      __m512i xv = _mm512_maskz_loadu_epi64(mv, x + 8 * v);
      for (int o = 0; o < Outs; ++o) {
        __m512i yv = _mm512_maskz_loadu_epi64(mv, b[o][t] + k + 8 * v);
        lo[o][v] = _mm512_madd52lo_epu64(lo[o][v], xv, yv);
        hi[o][v] = _mm512_madd52hi_epu64(hi[o][v], xv, yv);
      }
    }
    if ((t & 7) == 7) {
      for (int o = 0; o < Outs; ++o)
        for (int v = 0; v < V; ++v) {
          hi[o][v] = reduce52(_mm512_add_epi64(hi[o][v], _mm512_srli_epi64(lo[o][v], 52)), c);
          lo[o][v] = _mm512_and_si512(lo[o][v], c.mask52);
        }
    }
  }
  for (int o = 0; o < Outs; ++o)
    for (int v = 0; v < V; ++v) {
      // sum = h * 2^52 + l with h < 2^52, l < 2^52; fold to (h mod q) * (2^52 mod q) + (l mod q)
      // < q^2 <= 2^(2L) and reduce that once.
      __m512i h = reduce52(_mm512_add_epi64(hi[o][v], _mm512_srli_epi64(lo[o][v], 52)), c);
      __m512i l = reduce52(_mm512_and_si512(lo[o][v], c.mask52), c);
      __m512i r = mul_add_vec(h, c.pow52, l, c);
      const __mmask8 mv = v == V - 1 ? mask : static_cast<__mmask8>(0xFF);
      _mm512_mask_storeu_epi64(out[o] + k + 8 * v, mv, r);
    }
}

// Coefficients per block of the span kernels below.
constexpr std::size_t kSpan = 512;

// The span kernels' accumulators: Outs pairs (lo, hi) of kSpan lanes kept in L1 across
// the groups of terms. load/store bracket one vector of 8 coefficients within a group
// (folding the carries into hi every 8 terms, as inner_product_block does); finish reduces
// the span into out[o][k0 ..].
template <int Outs>
class SpanAccumulators {
 public:
  void load(std::size_t v, bool first, __m512i* lo, __m512i* hi) const {
    for (int o = 0; o < Outs; ++o) {
      lo[o] = first ? _mm512_setzero_si512() : _mm512_load_si512(lo_[o] + v);
      hi[o] = first ? _mm512_setzero_si512() : _mm512_load_si512(hi_[o] + v);
    }
  }
  void store(std::size_t v, bool fold, __m512i* lo, __m512i* hi, const Ifma& c) {
    for (int o = 0; o < Outs; ++o) {
      if (fold) {
        hi[o] = reduce52(_mm512_add_epi64(hi[o], _mm512_srli_epi64(lo[o], 52)), c);
        lo[o] = _mm512_and_si512(lo[o], c.mask52);
      }
      _mm512_store_si512(lo_[o] + v, lo[o]);
      _mm512_store_si512(hi_[o] + v, hi[o]);
    }
  }
  void finish(std::size_t terms, uint64_t* const* out, std::size_t k0, const Ifma& c) const {
    for (int o = 0; o < Outs; ++o)
      for (std::size_t v = 0; v < kSpan; v += 8) {
        __m512i lo = terms ? _mm512_load_si512(lo_[o] + v) : _mm512_setzero_si512();
        __m512i hi = terms ? _mm512_load_si512(hi_[o] + v) : _mm512_setzero_si512();
        __m512i h = reduce52(_mm512_add_epi64(hi, _mm512_srli_epi64(lo, 52)), c);
        __m512i l = reduce52(_mm512_and_si512(lo, c.mask52), c);
        _mm512_storeu_si512(out[o] + k0 + v, mul_add_vec(h, c.pow52, l, c));
      }
  }

 private:
  alignas(64) uint64_t lo_[Outs][kSpan];
  alignas(64) uint64_t hi_[Outs][kSpan];
};

// Outs inner products sharing the `a` terms (key switching: the digits against both key
// halves). The operands (a key of 2^15 x 21 limbs x 20 digits is 215 MB per switch) come
// from DRAM: reading all 3 * terms streams a few vectors at a time defeats the prefetchers
// (a third of the bandwidth). Instead the coefficients go in blocks of kSpan whose
// accumulators stay in L1, and the terms in groups of kGroup: each operand is read as a
// run of kSpan words. The fold every 8 terms is the one of inner_product_block, so the
// result is the same. `load_b(o, t, k)` gives the 8 values of b[o][t] from coefficient k
// (plain words or unpacked key rows), `prefetch_b(o, t, k)` requests their line: each line
// read also requests the same line of the next span, as the 64-bit lanes' kernel does
// (rns/lanes64_avx512.hpp). Returns the first coefficient not done (n rounded down to kSpan).
template <int Outs, typename LoadB, typename PrefetchB>
std::size_t inner_product_spans(const uint64_t* const* a, const LoadB& load_b, const PrefetchB& prefetch_b,
                                std::size_t terms, uint64_t* const* out, std::size_t n, const Ifma& c) {
  constexpr std::size_t kGroup = 4;
  SpanAccumulators<Outs> acc;
  std::size_t k0 = 0;
  for (; k0 + kSpan <= n; k0 += kSpan) {
    const bool ahead = k0 + 2 * kSpan <= n;
    for (std::size_t t0 = 0; t0 < terms; t0 += kGroup) {
      const std::size_t group = terms - t0 < kGroup ? terms - t0 : kGroup;
      const bool fold = ((t0 + group) & 7) == 0;
      for (std::size_t v = 0; v < kSpan; v += 8) {
        __m512i lo[Outs], hi[Outs];
        acc.load(v, t0 == 0, lo, hi);
        for (std::size_t g = 0; g < group; ++g) {
          if (ahead) {
            lanes64::span_prefetch(a[t0 + g] + k0 + v + kSpan);
            for (int o = 0; o < Outs; ++o) prefetch_b(o, t0 + g, k0 + v + kSpan);
          }
          __m512i xv = _mm512_loadu_si512(a[t0 + g] + k0 + v);
          for (int o = 0; o < Outs; ++o) {
            __m512i yv = load_b(o, t0 + g, k0 + v);
            lo[o] = _mm512_madd52lo_epu64(lo[o], xv, yv);
            hi[o] = _mm512_madd52hi_epu64(hi[o], xv, yv);
          }
        }
        acc.store(v, fold, lo, hi, c);
      }
    }
    acc.finish(terms, out, k0, c);
  }
  return k0;
}

template <int Outs>
void inner_products(const uint64_t* const* a, const uint64_t* const* const* b, std::size_t terms,
                    uint64_t* const* out, std::size_t n, const math::Modulus& m) {
  const Ifma c(m);
  const std::size_t k0 = inner_product_spans<Outs>(
      a, [b](int o, std::size_t t, std::size_t k) { return _mm512_loadu_si512(b[o][t] + k); },
      [b](int o, std::size_t t, std::size_t k) { lanes64::span_prefetch(b[o][t] + k); }, terms, out, n, c);
  // Short rings and tails: kBlock vectors in registers across all terms.
  constexpr int kBlock = Outs == 1 ? 8 : 4;
  std::size_t k = k0;
  for (; k + 8 * kBlock <= n; k += 8 * kBlock) inner_product_block<kBlock, Outs>(a, b, terms, out, k, 0xFF, c);
  for (; k + 8 <= n; k += 8) inner_product_block<1, Outs>(a, b, terms, out, k, 0xFF, c);
  if (k < n)
    inner_product_block<1, Outs>(a, b, terms, out, k, static_cast<__mmask8>((1u << (n - k)) - 1), c);
}

void inner_product_ifma(const uint64_t* const* a, const uint64_t* const* b, std::size_t terms, uint64_t* out,
                        std::size_t n, const math::Modulus& m) {
  const uint64_t* const* bs[1] = {b};
  uint64_t* outs[1] = {out};
  inner_products<1>(a, bs, terms, outs, n, m);
}

void inner_product2_ifma(const uint64_t* const* a, const uint64_t* const* b0, const uint64_t* const* b1,
                         std::size_t terms, uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& m) {
  const uint64_t* const* bs[2] = {b0, b1};
  uint64_t* outs[2] = {out0, out1};
  inner_products<2>(a, bs, terms, outs, n, m);
}

// The 8 values of a packed group (bits <= 57) in one vector: byte k * bits / 8 + j of
// the group to byte j of lane k (vpermb), then each lane's shift (k * bits mod 8) and mask.
// Reads the 64 bytes from the group's start (the rows' padding covers the last group).
class GroupUnpack {
 public:
  explicit GroupUnpack(int bits) : mask_(_mm512_set1_epi64(static_cast<long long>((uint64_t{1} << bits) - 1))) {
    alignas(64) uint8_t index[64];
    alignas(64) uint64_t shift[8];
    for (int k = 0; k < 8; ++k) {
      for (int j = 0; j < 8; ++j) index[8 * k + j] = static_cast<uint8_t>(k * bits / 8 + j);
      shift[k] = static_cast<uint64_t>(k * bits % 8);
    }
    index_ = _mm512_load_si512(index);
    shift_ = _mm512_load_si512(shift);
  }
  __m512i operator()(const uint8_t* group) const {
    const __m512i bytes = _mm512_permutexvar_epi8(index_, _mm512_loadu_si512(group));
    return _mm512_and_si512(_mm512_srlv_epi64(bytes, shift_), mask_);
  }

 private:
  __m512i index_, shift_, mask_;
};

}  // namespace

void unpack_groups_vbmi(const uint8_t* in, int bits, std::size_t groups, uint64_t* out) {
  const GroupUnpack unpack(bits);
  for (std::size_t g = 0; g < groups; ++g) _mm512_storeu_si512(out + 8 * g, unpack(in + g * bits));
}

namespace {

// The two key halves' rows (packed or plain words) as the span kernels read them:
// load(o, t, k) the 8 values of half o, row t, from coefficient k; prefetch(o, t, k) the
// line that holds them.
template <bool kPacked0, bool kPacked1>
class KeyRows {
 public:
  KeyRows(PackedRows b0, PackedRows b1) : b0_(b0), b1_(b1), unpack0_(kPacked0 ? b0.bits : 1), unpack1_(kPacked1 ? b1.bits : 1) {}
  __m512i load(int o, std::size_t t, std::size_t k) const {
    if (o == 0) return kPacked0 ? unpack0_(address(b0_, t, k)) : _mm512_loadu_si512(address(b0_, t, k));
    return kPacked1 ? unpack1_(address(b1_, t, k)) : _mm512_loadu_si512(address(b1_, t, k));
  }
  void prefetch(int o, std::size_t t, std::size_t k) const {
    _mm_prefetch(reinterpret_cast<const char*>(address(o == 0 ? b0_ : b1_, t, k)), _MM_HINT_T0);
  }

 private:
  // Coefficient k (a multiple of 8) starts at byte k / 8 * bits, plain words included.
  static const uint8_t* address(PackedRows b, std::size_t t, std::size_t k) {
    return b.rows[t] + k / 8 * static_cast<std::size_t>(b.bits);
  }
  PackedRows b0_, b1_;
  GroupUnpack unpack0_, unpack1_;
};

template <bool kPacked0, bool kPacked1>
void inner_product2_packed_spans(const uint64_t* const* a, PackedRows b0, PackedRows b1, std::size_t terms,
                                 uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& m) {
  const Ifma c(m);
  const KeyRows<kPacked0, kPacked1> rows(b0, b1);
  auto load = [&rows](int o, std::size_t t, std::size_t k) { return rows.load(o, t, k); };
  auto prefetch = [&rows](int o, std::size_t t, std::size_t k) { rows.prefetch(o, t, k); };
  uint64_t* outs[2] = {out0, out1};
  const std::size_t k0 = inner_product_spans<2>(a, load, prefetch, terms, outs, n, c);
  if (k0 < n) inner_product2_packed_blocks(kEltwiseAvx512Ifma, a, b0, b1, terms, out0, out1, k0, n, m);
}

// The 64-bit lanes' inner product (51-61-bit primes, rns/lanes64_avx512.hpp) on key rows
// packed to 51-57 bits, unpacked in registers: BFV's 54-bit keys take 16% fewer bytes
// from memory, which is what bounds that kernel.
template <bool kPacked0, bool kPacked1>
void inner_product2_packed_lanes64(const uint64_t* const* a, PackedRows b0, PackedRows b1, std::size_t terms,
                                   uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& m) {
  const lanes64::Lanes c(m);
  const KeyRows<kPacked0, kPacked1> rows(b0, b1);
  auto load = [&rows](int o, std::size_t t, std::size_t k) { return rows.load(o, t, k); };
  auto prefetch = [&rows](int o, std::size_t t, std::size_t k) { rows.prefetch(o, t, k); };
  uint64_t* outs[2] = {out0, out1};
  const std::size_t k0 = lanes64::inner_product_spans<2>(a, load, prefetch, terms, outs, n, c);
  if (k0 < n) inner_product2_packed_blocks(kEltwiseAvx512, a, b0, b1, terms, out0, out1, k0, n, m);
}

// Key rows unpacked in registers, next to the products (vpermb needs AVX-512 VBMI, which
// every IFMA processor has; checked anyway): no round trip through scratch.
void inner_product2_packed_ifma(const uint64_t* const* a, PackedRows b0, PackedRows b1, std::size_t terms,
                                uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& m) {
  const bool p0 = b0.bits < 64, p1 = b1.bits < 64;
  if (!cpu_features().avx512vbmi || (p0 && b0.bits > 52) || (p1 && b1.bits > 52))
    return inner_product2_packed_blocks(kEltwiseAvx512Ifma, a, b0, b1, terms, out0, out1, 0, n, m);
  if (p0 && p1) return inner_product2_packed_spans<true, true>(a, b0, b1, terms, out0, out1, n, m);
  if (p0) return inner_product2_packed_spans<true, false>(a, b0, b1, terms, out0, out1, n, m);
  if (p1) return inner_product2_packed_spans<false, true>(a, b0, b1, terms, out0, out1, n, m);
  inner_product2_packed_spans<false, false>(a, b0, b1, terms, out0, out1, n, m);
}

// inner_product_spans' loops over key rows interleaved in their order (InterleavedRows):
// the key is one sequential stream, its pointer advanced with the loops, and each vector
// step requests the lines kInterleavePrefetch bytes ahead (the hardware prefetchers stop
// at 4 KiB pages; without it a 2^16 CKKS rotation took 170 ms instead of 127, AMD EPYC).
// Key bits <= 52 and n a multiple of kSpan (whole spans; the caller takes the rest).
constexpr std::size_t kInterleavePrefetch = 8192;

void inner_product2_interleaved_spans(const uint64_t* const* a, InterleavedRows key, std::size_t terms,
                                      uint64_t* out0, uint64_t* out1, std::size_t n, const Ifma& c) {
  static_assert(kSpan == kInterleaveSpan && kInterleaveGroup == 4, "the layout follows these loops");
  constexpr std::size_t kGroup = kInterleaveGroup;
  const GroupUnpack unpack(key.bits);
  const std::size_t bits = static_cast<std::size_t>(key.bits);
  const std::size_t span_bytes = interleaved_span_bytes(key.stored, key.bits);
  uint64_t* outs[2] = {out0, out1};
  SpanAccumulators<2> acc;
  for (std::size_t k0 = 0; k0 < n; k0 += kSpan) {
    const uint8_t* span_key = key.base + k0 / kSpan * span_bytes;
    for (std::size_t t0 = 0; t0 < terms; t0 += kGroup) {
      const std::size_t group = terms - t0 < kGroup ? terms - t0 : kGroup;
      const std::size_t stored = key.stored - t0 < kGroup ? key.stored - t0 : kGroup;
      const std::size_t vec_bytes = stored * 2 * bits;
      const uint8_t* p = span_key + t0 * (kSpan / 8) * 2 * bits;
      const bool fold = ((t0 + group) & 7) == 0;
      for (std::size_t v = 0; v < kSpan; v += 8, p += vec_bytes) {
        for (std::size_t line = 0; line < vec_bytes; line += 64)
          _mm_prefetch(reinterpret_cast<const char*>(p + kInterleavePrefetch + line), _MM_HINT_T0);
        __m512i lo[2], hi[2];
        acc.load(v, t0 == 0, lo, hi);
        for (std::size_t g = 0; g < group; ++g) {
          const __m512i xv = _mm512_loadu_si512(a[t0 + g] + k0 + v);
          for (int o = 0; o < 2; ++o) {
            const __m512i yv = unpack(p + (2 * g + static_cast<std::size_t>(o)) * bits);
            lo[o] = _mm512_madd52lo_epu64(lo[o], xv, yv);
            hi[o] = _mm512_madd52hi_epu64(hi[o], xv, yv);
          }
        }
        acc.store(v, fold, lo, hi, c);
      }
    }
    acc.finish(terms, outs, k0, c);
  }
}

void inner_product2_interleaved_ifma(const uint64_t* const* a, InterleavedRows key, std::size_t terms, uint64_t* out0,
                                     uint64_t* out1, std::size_t n, const math::Modulus& m) {
  if (!cpu_features().avx512vbmi || key.bits > 52)
    return inner_product2_interleaved_blocks(kEltwiseAvx512Ifma, a, key, terms, out0, out1, 0, n, m);
  const std::size_t whole = n / kSpan * kSpan;
  inner_product2_interleaved_spans(a, key, terms, out0, out1, whole, Ifma(m));
  if (whole < n) inner_product2_interleaved_blocks(kEltwiseAvx512Ifma, a, key, terms, out0, out1, whole, n, m);
}

}  // namespace

// For kEltwiseAvx512's table: this unit is the one built with VBMI, checked here at run time
// (every IFMA processor has it) before any of its instructions run.
void inner_product2_packed_avx512(const uint64_t* const* a, PackedRows b0, PackedRows b1, std::size_t terms,
                                  uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& m) {
  const bool p0 = b0.bits < 64, p1 = b1.bits < 64;
  const CpuFeatures& f = cpu_features();
  if (!f.avx512vbmi || !f.avx512ifma || (p0 && b0.bits > 57) || (p1 && b1.bits > 57))
    return inner_product2_packed_blocks(kEltwiseAvx512, a, b0, b1, terms, out0, out1, 0, n, m);
  if (p0 && p1) return inner_product2_packed_lanes64<true, true>(a, b0, b1, terms, out0, out1, n, m);
  if (p0) return inner_product2_packed_lanes64<true, false>(a, b0, b1, terms, out0, out1, n, m);
  if (p1) return inner_product2_packed_lanes64<false, true>(a, b0, b1, terms, out0, out1, n, m);
  inner_product2_packed_lanes64<false, false>(a, b0, b1, terms, out0, out1, n, m);
}

const EltwiseKernels kEltwiseAvx512Ifma = {add_ifma,           sub_ifma,           mul_ifma,
                                           mul_add_ifma,       inner_product_ifma, mul_scalar_ifma,
                                           inner_product2_ifma, add_scalar_avx512,  weighted_sum_ifma,
                                           inner_product2_packed_ifma, inner_product2_interleaved_ifma,
                                           scale_diff_add_ifma};

}  // namespace ppml::rns::detail
