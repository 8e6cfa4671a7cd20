// C ABI of Shamir t-of-n sharing over p = 2^61 - 1 (the layout of pyppml.mpc.shamir_share:
// row j - 1 holds party j's shares, f(j)), from a fresh OS-keyed CSPRNG per call.
#include <string>

#include "capi/boundary.hpp"
#include "mpc/shamir.hpp"
#include "random/prng.hpp"

extern "C" {

uint64_t ppml_shamir_prime(void) { return ppml::mpc::kShamirPrime; }

int ppml_shamir_share(const uint64_t* secrets, size_t count, size_t parties, size_t threshold, uint64_t* shares,
                      size_t shares_len) {
  const char* api = "ppml_shamir_share";
  return ppml::capi::guard(api, [&] {
    using namespace ppml::capi;
    if (parties < 1 || parties > ppml::mpc::kMaxShamirParties)
      ppml::throw_parameter(api, "parties", "is out of range",
                            "1 <= parties <= " + std::to_string(ppml::mpc::kMaxShamirParties), parties);
    if (threshold < 1 || threshold > parties)
      ppml::throw_parameter(api, "threshold", "is out of range", "1 <= threshold <= parties", threshold);
    if (count) {
      require_pointer(api, "secrets", secrets);
      require_pointer(api, "shares", shares);
    }
    if (count > (size_t{1} << 40)) ppml::throw_parameter(api, "count", "is too large", "at most 2^40", count);
    require_length(api, "shares_len", shares_len, parties * count);
    require_below(api, "secrets", secrets, count, ppml::mpc::kShamirPrime);
    ppml::random::Prng prng;
    if (count) ppml::mpc::shamir_share(prng, secrets, count, parties, threshold, shares);
  });
}

int ppml_shamir_reconstruct(const uint64_t* points, size_t k, const uint64_t* shares, size_t shares_len, size_t count,
                            uint64_t* secrets) {
  const char* api = "ppml_shamir_reconstruct";
  return ppml::capi::guard(api, [&] {
    using namespace ppml::capi;
    if (k < 1 || k > ppml::mpc::kMaxShamirParties)
      ppml::throw_parameter(api, "k", "is out of range", "1 <= k <= " + std::to_string(ppml::mpc::kMaxShamirParties), k);
    require_pointer(api, "points", points);
    if (count > (size_t{1} << 40)) ppml::throw_parameter(api, "count", "is too large", "at most 2^40", count);
    require_length(api, "shares_len", shares_len, k * count);
    if (count) {
      require_pointer(api, "shares", shares);
      require_pointer(api, "secrets", secrets);
    }
    require_below(api, "shares", shares, k * count, ppml::mpc::kShamirPrime);
    if (count) ppml::mpc::shamir_reconstruct(points, shares, k, count, secrets);
  });
}

}  // extern "C"
