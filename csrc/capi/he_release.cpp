// C ABI of CKKS decryption for release (ABI 2.2): the flooded decryption of
// he/ckks/release.hpp, the noise bound a caller may pass for a fresh ciphertext, and the
// count of releases under a key. ppml_decrypt returns m + e, a function of the key, and
// is for the key owner only; these are for results that leave the owner.
#include <vector>

#include "capi/he_handles.hpp"
#include "he/ckks/release.hpp"
#include "he/ckks/release_count.hpp"
#include "random/prng.hpp"

namespace {

using namespace ppml::capi;
namespace ckks = ppml::ckks;

const ppml_context& ckks_context(const char* api, const ppml_context* ctx) {
  const auto& h = ctx_of(api, ctx);
  h.require_scheme(api, PPML_SCHEME_CKKS);
  return h;
}

}  // namespace

int ppml_ckks_default_noise_bound(const ppml_context* ctx, double* out) {
  const char* api = "ppml_ckks_default_noise_bound";
  return guard(api, [&] {
    require_pointer(api, "out", out);
    *out = ckks::default_noise_bound(*ckks_context(api, ctx).ctx);
  });
}

int ppml_ckks_decrypt_for_release(const ppml_context* ctx, const ppml_secret_key* sk, const ppml_ciphertext* ct,
                                  double bits_of_precision, double noise_bound, int security_bits,
                                  uint64_t max_releases, double* values, size_t capacity, size_t* needed) {
  const char* api = "ppml_ckks_decrypt_for_release";
  return guard(api, [&] {
    const auto& h = ckks_context(api, ctx);
    const auto& key = secret_of(api, h, sk).key;
    const auto& c = handle<ppml_ciphertext>(api, "ciphertext", ct)->ct;
    h.require_own(api, "ciphertext", c.fingerprint);
    // The size query and a short buffer are answered before anything is counted.
    if (!output_room(api, h.ckks->slots(), values, "values", capacity, "capacity", "values", needed)) return;
    if (security_bits < 0)
      ppml::throw_parameter(api, "security_bits", "is negative", "0 (the default, 40) or 40..128", security_bits);
    const int s = security_bits == 0 ? ckks::kDefaultReleaseSecurityBits : security_bits;
    const uint64_t tau = max_releases == 0 ? 1 : max_releases;
    const auto slots = ckks::release(api, *h.ctx, *h.ckks, key, c, bits_of_precision, noise_bound, s, tau,
                                     ppml::random::thread_prng());
    for (size_t i = 0; i < slots.size(); ++i) values[i] = slots[i].real();
  });
}

int ppml_ckks_releases_made(const ppml_context* ctx, const ppml_secret_key* sk, uint64_t* made) {
  const char* api = "ppml_ckks_releases_made";
  return guard(api, [&] {
    require_pointer(api, "made", made);
    const auto& h = ckks_context(api, ctx);
    const auto& key = secret_of(api, h, sk).key;
    *made = ckks::release_count(key.fingerprint, key.key_id).made;
  });
}
