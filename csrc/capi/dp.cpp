// C ABI of the DP layer: exact discrete Gaussian and discrete Laplace noise into caller
// int64 buffers, from a fresh OS-keyed CSPRNG per call (as pyppml.dp.noise does).
#include "capi/boundary.hpp"
#include "dp/discrete_gaussian.hpp"
#include "dp/discrete_laplace.hpp"
#include "random/prng.hpp"

extern "C" {

int ppml_dp_discrete_gaussian(uint64_t sigma2_num, uint64_t sigma2_den, int64_t* out, size_t len) {
  const char* api = "ppml_dp_discrete_gaussian";
  return ppml::capi::guard(api, [&] {
    if (len) ppml::capi::require_pointer(api, "out", out);
    ppml::random::Prng prng;
    ppml::dp::discrete_gaussian(prng, sigma2_num, sigma2_den, out, len);
  });
}

int ppml_dp_discrete_laplace(uint64_t scale_num, uint64_t scale_den, int64_t* out, size_t len) {
  const char* api = "ppml_dp_discrete_laplace";
  return ppml::capi::guard(api, [&] {
    if (len) ppml::capi::require_pointer(api, "out", out);
    ppml::random::Prng prng;
    ppml::dp::discrete_laplace(prng, scale_num, scale_den, out, len);
  });
}

}  // extern "C"
