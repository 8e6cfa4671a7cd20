#include "rns/automorphism.hpp"

#include <map>
#include <mutex>
#include <string>

#include "common/backend.hpp"
#include "common/errors.hpp"
#include "ntt/ntt_tables.hpp"

namespace ppml::rns {
#ifdef PPML_HAVE_AUTOMORPHISM_AVX512
namespace detail {
void automorphism_eval_limb_avx512(const uint64_t* in, const uint32_t* perm, uint64_t* out, uint64_t n);
void automorphism_eval_limb_streaming_avx512(const uint64_t* in, const uint32_t* perm, const uint32_t* targets,
                                             uint64_t* out, uint64_t n);
void automorphism_eval_limbs_avx512(const uint64_t* const* in, std::size_t count, const uint32_t* perm, uint64_t* out,
                                    uint64_t n);
void automorphism_eval_limb_add_avx512(const uint64_t* in, const uint32_t* perm, uint64_t* acc, uint64_t n, uint64_t q);
}  // namespace detail
#endif

std::shared_ptr<const std::vector<uint32_t>> automorphism_permutation(uint64_t n, uint64_t k) {
  static std::mutex mutex;
  static std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<const std::vector<uint32_t>>> cache;
  const uint64_t two_n = 2 * n;
  k %= two_n;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find({n, k});
  if (it != cache.end()) return it->second;
  // Slot j holds a(psi^e), e = 2*bitrev(j)+1; a(X^k) there is a(psi^(e*k)), found in the
  // slot j' with 2*bitrev(j')+1 = e*k mod 2n.
  const int log_n = __builtin_ctzll(n);
  auto perm = std::make_shared<std::vector<uint32_t>>(n);
  for (uint64_t j = 0; j < n; ++j) {
    uint64_t e = 2 * ntt::bit_reverse(j, log_n) + 1;
    uint64_t ek = (e * k) % two_n;
    (*perm)[j] = static_cast<uint32_t>(ntt::bit_reverse((ek - 1) / 2, log_n));
  }
  return cache.emplace(std::make_pair(n, k), perm).first->second;
}

void automorphism_coeff_limb(const uint64_t* in, uint64_t k, uint64_t* out, uint64_t n, uint64_t q) {
  const uint64_t mask = 2 * n - 1;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t idx = (i * k) & mask;
    if (idx < n)
      out[idx] = in[i];
    else
      out[idx - n] = in[i] == 0 ? 0 : q - in[i];
  }
}

void automorphism_eval_limb(const uint64_t* in, const uint32_t* perm, uint64_t* out, uint64_t n) {
#ifdef PPML_HAVE_AUTOMORPHISM_AVX512
  // Every permutation of automorphism_permutation keeps aligned blocks of 8 together.
  if (n % 8 == 0 && effective_backend() == Backend::Avx512) return detail::automorphism_eval_limb_avx512(in, perm, out, n);
#endif
  for (uint64_t j = 0; j < n; ++j) out[j] = in[perm[j]];
}

void automorphism_eval_limbs(const uint64_t* const* in, std::size_t count, const uint32_t* perm, uint64_t* out,
                             uint64_t n) {
#ifdef PPML_HAVE_AUTOMORPHISM_AVX512
  if (n % 8 == 0 && effective_backend() == Backend::Avx512)
    return detail::automorphism_eval_limbs_avx512(in, count, perm, out, n);
#endif
  for (std::size_t c = 0; c < count; ++c) automorphism_eval_limb(in[c], perm, out + c * n, n);
}

void automorphism_eval_limb_add(const uint64_t* in, const uint32_t* perm, uint64_t* acc, uint64_t n, uint64_t q) {
#ifdef PPML_HAVE_AUTOMORPHISM_AVX512
  if (n % 8 == 0 && effective_backend() == Backend::Avx512)
    return detail::automorphism_eval_limb_add_avx512(in, perm, acc, n, q);
#endif
  for (uint64_t j = 0; j < n; ++j) {
    const uint64_t sum = acc[j] + in[perm[j]];
    acc[j] = sum >= q ? sum - q : sum;
  }
}

std::vector<uint32_t> automorphism_block_targets(const uint32_t* perm, uint64_t n) {
  std::vector<uint32_t> targets(n / 8);
  for (uint64_t j = 0; j < n; j += 8) targets[perm[j] / 8] = static_cast<uint32_t>(j);
  return targets;
}

void automorphism_eval_limb_streaming(const uint64_t* in, const uint32_t* perm, const uint32_t* targets,
                                      uint64_t* out, uint64_t n) {
#ifdef PPML_HAVE_AUTOMORPHISM_AVX512
  if (effective_backend() == Backend::Avx512) return detail::automorphism_eval_limb_streaming_avx512(in, perm, targets, out, n);
#endif
  for (uint64_t b = 0; b < n / 8; ++b)
    for (uint64_t m = 0; m < 8; ++m) out[targets[b] + m] = in[perm[targets[b] + m]];
}

void automorphism(const RnsPoly& a, uint64_t k, RnsPoly& out) {
  if ((k & 1) == 0) throw_parameter("automorphism", "k", "is even", "an odd integer", k);
  if (&out == &a) throw_parameter("automorphism", "out", "aliases the input", "a distinct polynomial", "the input");
  const uint64_t n = a.n();
  k %= 2 * n;
  if (out.n() != n || out.base() != a.base()) out = RnsPoly(n, a.base(), a.form(), a.secret());
  out.set_form(a.form());
  if (a.form() == Form::Coefficient) {
    for (std::size_t i = 0; i < a.limbs(); ++i)
      automorphism_coeff_limb(a.limb(i), k, out.limb(i), n, (*a.base())[i].value());
  } else {
    auto perm = automorphism_permutation(n, k);
    for (std::size_t i = 0; i < a.limbs(); ++i) automorphism_eval_limb(a.limb(i), perm->data(), out.limb(i), n);
  }
}

}  // namespace ppml::rns
