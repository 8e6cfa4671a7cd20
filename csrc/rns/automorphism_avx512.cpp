// AVX-512 evaluation-form automorphism. In the NTT's bit-reversed order an automorphism
// sends every aligned block of 8 slots to one aligned block of 8 slots (the block's low
// index bits become the top bits of the evaluation exponent, which an odd multiplier
// keeps within the top bits), permuted inside: one load, one lane permutation and one
// store per 8 slots instead of 8 dependent address loads.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace ppml::rns::detail {

// perm: the slot permutation (out[j] = in[perm[j]]) with the block property above; n a
// multiple of 8.
void automorphism_eval_limb_avx512(const uint64_t* in, const uint32_t* perm, uint64_t* out, uint64_t n) {
  const __m512i seven = _mm512_set1_epi64(7);
  for (uint64_t j = 0; j < n; j += 8) {
    const __m512i lanes =
        _mm512_and_si512(_mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(perm + j))), seven);
    const __m512i block = _mm512_loadu_si512(in + (perm[j] & ~uint32_t{7}));
    _mm512_storeu_si512(out + j, _mm512_permutexvar_epi64(lanes, block));
  }
}

// The same, walking `in` in order: block b goes to the output block at targets[b], its
// lanes placed by that block's permutation entries.
void automorphism_eval_limb_streaming_avx512(const uint64_t* in, const uint32_t* perm, const uint32_t* targets,
                                             uint64_t* out, uint64_t n) {
  const __m512i seven = _mm512_set1_epi64(7);
  for (uint64_t b = 0; b < n / 8; ++b) {
    const uint32_t j = targets[b];
    const __m512i lanes =
        _mm512_and_si512(_mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(perm + j))), seven);
    _mm512_storeu_si512(out + j, _mm512_permutexvar_epi64(lanes, _mm512_loadu_si512(in + 8 * b)));
  }
}

// automorphism_eval_limb on `count` limbs through one permutation (n slots each into
// out + c * n): each 8-slot block's lane indices are formed once for all of them.
void automorphism_eval_limbs_avx512(const uint64_t* const* in, std::size_t count, const uint32_t* perm, uint64_t* out,
                                    uint64_t n) {
  const __m512i seven = _mm512_set1_epi64(7);
  for (uint64_t j = 0; j < n; j += 8) {
    const __m512i lanes =
        _mm512_and_si512(_mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(perm + j))), seven);
    const uint32_t source = perm[j] & ~uint32_t{7};
    for (std::size_t c = 0; c < count; ++c)
      _mm512_storeu_si512(out + c * n + j, _mm512_permutexvar_epi64(lanes, _mm512_loadu_si512(in[c] + source)));
  }
}

// acc = (acc + sigma(in)) mod q for one limb (acc and in below q < 2^63): the sum's
// wrap-around test as a min (s - q is smaller exactly when s >= q), as the scalar loop.
void automorphism_eval_limb_add_avx512(const uint64_t* in, const uint32_t* perm, uint64_t* acc, uint64_t n, uint64_t q) {
  const __m512i seven = _mm512_set1_epi64(7), qv = _mm512_set1_epi64(static_cast<long long>(q));
  for (uint64_t j = 0; j < n; j += 8) {
    const __m512i lanes =
        _mm512_and_si512(_mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(perm + j))), seven);
    const __m512i v = _mm512_permutexvar_epi64(lanes, _mm512_loadu_si512(in + (perm[j] & ~uint32_t{7})));
    const __m512i sum = _mm512_add_epi64(_mm512_loadu_si512(acc + j), v);
    _mm512_storeu_si512(acc + j, _mm512_min_epu64(sum, _mm512_sub_epi64(sum, qv)));
  }
}

}  // namespace ppml::rns::detail
