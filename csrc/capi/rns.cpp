// C ABI of the RNS layer: fast base conversion between two RNS bases (approximate, exact,
// exact centered) and Galois automorphisms X -> X^k of one limb in either form, the same
// kernels as pyppml.ring.BaseConverter and RnsPoly.automorphism.
#include <memory>
#include <vector>

#include "capi/boundary.hpp"
#include "rns/automorphism.hpp"
#include "rns/base_converter.hpp"

struct ppml_base_converter {
  static constexpr ppml::capi::Kind kKind = ppml::capi::Kind::BaseConverter;
  std::unique_ptr<ppml::rns::BaseConverter> conv;
};

namespace {

using namespace ppml::capi;

std::shared_ptr<const ppml::rns::RnsBase> base_of(const char* api, const char* arg, const uint64_t* moduli, size_t count) {
  require_pointer(api, arg, moduli);
  // The count before the read: `count` words are read from the caller's array.
  if (count < 1 || count > 256)
    ppml::throw_parameter(api, arg, "has a count out of range", "1 <= count <= 256", count);
  return std::make_shared<ppml::rns::RnsBase>(std::vector<uint64_t>(moduli, moduli + count));
}

}  // namespace

extern "C" {

int ppml_base_converter_create(const uint64_t* from, size_t from_count, const uint64_t* to, size_t to_count,
                               ppml_base_converter** out) {
  const char* api = "ppml_base_converter_create";
  return guard(api, [&] {
    require_pointer(api, "out", out);
    *out = nullptr;
    auto h = std::make_unique<ppml_base_converter>();
    h->conv = std::make_unique<ppml::rns::BaseConverter>(base_of(api, "from", from, from_count),
                                                         base_of(api, "to", to, to_count));
    register_handle(h.get(), ppml_base_converter::kKind);
    *out = h.release();
  });
}

void ppml_base_converter_free(ppml_base_converter* c) { release("ppml_base_converter_free", c); }

int ppml_base_convert(const ppml_base_converter* c, const uint64_t* in, size_t in_len, uint64_t* out, size_t out_len,
                      size_t n, int mode) {
  const char* api = "ppml_base_convert";
  return guard(api, [&] {
    const auto& conv = *handle<ppml_base_converter>(api, "converter", c)->conv;
    require_pointer(api, "in", in);
    require_pointer(api, "out", out);
    const size_t from = conv.from().size(), to = conv.to().size();
    if (n == 0 || n > (size_t{1} << 40)) ppml::throw_parameter(api, "n", "is out of range", "1 <= n <= 2^40", n);
    require_length(api, "in_len", in_len, from * n);
    require_length(api, "out_len", out_len, to * n);
    // The conversion reads every source limb while it writes the targets.
    if (overlaps(in, from * n, out, to * n))
      ppml::throw_parameter(api, "out", "overlaps in", "a separate buffer", "an overlapping one");
    for (size_t i = 0; i < from; ++i) require_below(api, "in", in + i * n, n, conv.from()[i].value());
    switch (mode) {
      case PPML_CONVERT_APPROX: conv.convert_approx(in, out, n); break;
      case PPML_CONVERT_EXACT: conv.convert_exact(in, out, n, false); break;
      case PPML_CONVERT_EXACT_CENTERED: conv.convert_exact(in, out, n, true); break;
      default:
        ppml::throw_parameter(api, "mode", "is unknown", "PPML_CONVERT_APPROX, _EXACT or _EXACT_CENTERED", mode);
    }
  });
}

int ppml_automorphism(const uint64_t* in, uint64_t* out, size_t n, uint64_t modulus, int64_t k, int form) {
  const char* api = "ppml_automorphism";
  return guard(api, [&] {
    require_pointer(api, "in", in);
    require_pointer(api, "out", out);
    if (n < 2 || n > (size_t{1} << 17) || (n & (n - 1)))
      ppml::throw_parameter(api, "n", "is not a supported ring degree", "a power of two in [2, 2^17]", n);
    const ppml::math::Modulus q(modulus);
    const int64_t two_n = static_cast<int64_t>(2 * n);
    const uint64_t kk = static_cast<uint64_t>(((k % two_n) + two_n) % two_n);
    if ((kk & 1) == 0) ppml::throw_parameter(api, "k", "is even", "an odd exponent (mod 2n)", k);
    if (overlaps(in, n, out, n))
      ppml::throw_parameter(api, "out", "overlaps in", "a separate buffer", "an overlapping one");
    require_below(api, "in", in, n, modulus);
    if (form == PPML_FORM_COEFFICIENT)
      ppml::rns::automorphism_coeff_limb(in, kk, out, n, q.value());
    else if (form == PPML_FORM_EVALUATION)
      ppml::rns::automorphism_eval_limb(in, ppml::rns::automorphism_permutation(n, kk)->data(), out, n);
    else
      ppml::throw_parameter(api, "form", "is unknown", "PPML_FORM_COEFFICIENT or PPML_FORM_EVALUATION", form);
  });
}

}  // extern "C"
