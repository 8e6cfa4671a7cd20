// Galois automorphisms X -> X^k (k odd, taken mod 2n) of RnsPoly in both forms. In
// evaluation form the map is a permutation of the bit-reversed slots, precomputed once
// per (n, k).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "rns/rns_poly.hpp"

namespace ppml::rns {

// Permutation for evaluation form: out[j] = in[perm[j]].
std::shared_ptr<const std::vector<uint32_t>> automorphism_permutation(uint64_t n, uint64_t k);

// out = a(X^k); k must be odd. `out` must not alias `a`.
void automorphism(const RnsPoly& a, uint64_t k, RnsPoly& out);

// Raw limb kernels (used by the HE layer on limb subsets).
void automorphism_coeff_limb(const uint64_t* in, uint64_t k, uint64_t* out, uint64_t n, uint64_t q);
// out[j] = in[perm[j]] for a permutation from automorphism_permutation (the AVX-512 kernel
// relies on its property that aligned blocks of 8 slots stay together).
void automorphism_eval_limb(const uint64_t* in, const uint32_t* perm, uint64_t* out, uint64_t n);
// automorphism_eval_limb of in[0 .. count-1] into out + c * n, one permutation for all
// (`perm` may point into a longer permutation: slots j .. j + n - 1 of the output).
void automorphism_eval_limbs(const uint64_t* const* in, std::size_t count, const uint32_t* perm, uint64_t* out,
                             uint64_t n);
// acc[j] = (acc[j] + in[perm[j]]) mod q (values below q < 2^63): a permuted limb added
// without a buffer for it.
void automorphism_eval_limb_add(const uint64_t* in, const uint32_t* perm, uint64_t* acc, uint64_t n, uint64_t q);
// For such a permutation (n a multiple of 8): targets[b] = the first output slot of the
// aligned block that receives input block b (slots 8b .. 8b + 7).
std::vector<uint32_t> automorphism_block_targets(const uint32_t* perm, uint64_t n);
// The same result as automorphism_eval_limb, walking `in` in order and writing each block
// where it belongs: a limb that comes from memory streams at full bandwidth (reading it
// in output order is a random access per 64 bytes) while the output stays in cache.
void automorphism_eval_limb_streaming(const uint64_t* in, const uint32_t* perm, const uint32_t* targets,
                                      uint64_t* out, uint64_t n);

}  // namespace ppml::rns
