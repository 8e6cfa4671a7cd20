// The unary-encoding perturbation with the BMI2 bit deposit (pdep), used by the avx2 and
// avx512 backends (this file is built with the AVX2 flags, which include -mbmi2).
#include <immintrin.h>

#include "dp/local/unary_bits_impl.hpp"

namespace ppml::dp::local::detail {

void unary_perturb_bmi2(random::Prng& prng, const uint32_t* positions, std::size_t n, std::size_t width,
                        uint64_t t_hit, uint64_t t_other, uint8_t* out) {
  unary_perturb_impl(prng, positions, n, width, t_hit, t_other, out,
                     [](uint64_t v, uint64_t mask) { return static_cast<uint64_t>(_pdep_u64(v, mask)); });
}

}  // namespace ppml::dp::local::detail
