// Decryption for release, against IND-CPA^D attacks on CKKS (Li-Micciancio 2021;
// Li-Micciancio-Schultz-Sorrell 2022; Guo et al. 2024; SECURITY.md section 3): the
// decrypted coefficients are flooded with an exact discrete Gaussian, added in Z_Q before
// anything is rounded, then decoded and rounded to a grid. The width follows OpenFHE's
// NOISE_FLOODING_DECRYPT rule (2022/816): sigma >= sqrt(12 tau) 2^(s/2) B, with B a bound
// on every error coefficient, s the statistical security and tau the releases allowed
// under the key (release_count.hpp counts them). pyppml.ckks.release documents the same
// rules for Python; both call this file.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "he/ckks/encoder.hpp"
#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"
#include "he/rlwe/keys.hpp"
#include "random/prng.hpp"

namespace ppml::ckks {

constexpr int kDefaultReleaseSecurityBits = 40;

// B for a fresh public-key encryption (coefficient units): e = u e_pk + e0 + e1 s, per
// coefficient a sub-Gaussian of proxy 10.5 + 10.5 h + 2/3 ||e_pk||^2 with h <= n and
// ||e_pk||^2 <= 2 * 10.5 n (except with probability < 2^-40 for n >= 2048), times the
// tail factor that bounds all n coefficients except with probability 2^-64. A symmetric
// encryption has only e0 and is covered.
double fresh_noise_bound(const rlwe::Context& ctx);
// B after a fresh public-key encryption, one key switch (proxy: digits x 10.5 n
// (q_digit / P)^2 for the largest digit, plus the mod-down rounding (1 + n) / 4) and one
// rescale ((1 + n) / 4): the proxies add, then the same tail.
double default_noise_bound(const rlwe::Context& ctx);

struct ReleasePlan {
  double noise_bound = 0;  // B (coefficient units)
  int security_bits = kDefaultReleaseSecurityBits;
  uint64_t max_releases = 1;  // tau
  double sigma_min = 0;       // sqrt(12 tau) 2^(s/2) B
  double sigma = 0;           // the flooding drawn (coefficient units), >= sigma_min
  double slot_sigma = 0;      // its standard deviation in each real slot component: 2^-bits
  double step = 0;            // the output grid, 2^-ceil(bits)
  double max_bits = 0;        // the most precision this ciphertext can release so
};

// The flooding for a ciphertext at `scale` releasing `bits_of_precision` bits. Throws
// ParameterError (naming `api`) for bits outside [1, 50], security_bits
// outside [40, 128], max_releases < 1, a noise bound not finite or below 1, or when
// sigma_min exceeds 2^-bits * scale / sqrt(n/2) (too much precision for this scale).
ReleasePlan plan_release(const char* api, const rlwe::Context& ctx, double scale, double bits_of_precision, double noise_bound,
                         int security_bits, uint64_t max_releases);

// n samples of (nearly) the discrete Gaussian D_Z(sigma) for sigma in [1, 2^57). Up to
// 2^30 one exact draw (dp::discrete_gaussian, variance ceil(sigma)^2). Above, 2^k A + C
// with A ~ D_Z(sigma_a), sigma_a < 2^31, and C ~ D_Z(8 * 2^k): 8 * 2^k is far above the
// smoothing parameter of 2^k Z, so the sum is within statistical distance ~2^-100 of
// D_Z(sqrt(4^k sigma_a^2 + 64 * 4^k)) (Peikert 2010, Thm 3.1), sigma to a relative 2^-30.
void wide_discrete_gaussian(random::Prng& prng, double sigma, int64_t* out, std::size_t n);

// One release: plans (refusing what plan_release refuses, and a flooding too wide to draw,
// 2^57 and above), counts it under the key (release_count.hpp: refused beyond
// max_releases), then decrypts `ct` with `sk`, adds D_Z(sigma) to every coefficient in
// Z_Q, decodes at the ciphertext's scale and rounds every real and imaginary part to the
// plan's step: n/2 slots. Nothing is counted for a refusal. The caller has checked that
// key and ciphertext belong to ctx.
std::vector<cdouble> release(const char* api, const rlwe::Context& ctx, const Encoder& encoder,
                             const rlwe::SecretKey& sk, const rlwe::Ciphertext& ct, double bits_of_precision,
                             double noise_bound, int security_bits, uint64_t max_releases, random::Prng& prng);

}  // namespace ppml::ckks
