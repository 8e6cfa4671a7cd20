// C ABI of the ring layer: NTT tables and transforms on caller arrays, element-wise
// modular arithmetic. A thin layer over ntt/ and rns/eltwise: the same kernels (and the
// same run-time dispatch) as pyppml.ring, so results are bit-identical.
#include <memory>

#include "capi/boundary.hpp"
#include "math/modulus.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

struct ppml_ntt_tables {
  static constexpr ppml::capi::Kind kKind = ppml::capi::Kind::NttTables;
  std::shared_ptr<const ppml::ntt::NttTables> tables;
};

namespace {

using namespace ppml::capi;

using Tables = ppml_ntt_tables;

template <void (*Transform)(uint64_t*, const ppml::ntt::NttTables&)>
int transform(const char* api, const ppml_ntt_tables* t, uint64_t* data, size_t len) {
  return guard(api, [&] {
    const auto& tables = *handle<Tables>(api, "tables", t)->tables;
    require_pointer(api, "data", data);
    require_length(api, "len", len, tables.n());
    require_below(api, "data", data, len, tables.q());
    Transform(data, tables);
  });
}

// Checks shared by the binary element-wise kernels.
ppml::math::Modulus binary_args(const char* api, const uint64_t* a, const uint64_t* b, const uint64_t* out,
                                size_t len, uint64_t modulus) {
  require_pointer(api, "a", a);
  require_pointer(api, "b", b);
  require_pointer(api, "out", out);
  ppml::math::Modulus m(modulus);  // ParameterError unless 2 <= modulus < 2^61
  // out may be an input itself, but not shifted against one: the kernels read ahead of
  // what they write, so a partial overlap reads values already overwritten.
  for (const uint64_t* in : {a, b})
    if (in != out && overlaps(in, len, out, len))
      ppml::throw_parameter(api, "out", "partly overlaps an input", "the same buffer or a separate one",
                            "a shifted one");
  require_below(api, "a", a, len, modulus);
  require_below(api, "b", b, len, modulus);
  return m;
}

template <void (*Kernel)(const uint64_t*, const uint64_t*, uint64_t*, std::size_t, const ppml::math::Modulus&)>
int binary(const char* api, const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len, uint64_t modulus) {
  return guard(api, [&] {
    const auto m = binary_args(api, a, b, out, len, modulus);
    if (len) Kernel(a, b, out, len, m);
  });
}

}  // namespace

extern "C" {

int ppml_ntt_tables_create(uint64_t n, uint64_t modulus, ppml_ntt_tables** out) {
  return guard("ppml_ntt_tables_create", [&] {
    require_pointer("ppml_ntt_tables_create", "out", out);
    *out = nullptr;
    auto h = std::make_unique<Tables>();
    h->tables = ppml::ntt::NttTables::get(n, modulus);
    register_handle(h.get(), Tables::kKind);
    *out = h.release();
  });
}

void ppml_ntt_tables_free(ppml_ntt_tables* t) { release("ppml_ntt_tables_free", t); }

int ppml_ntt_tables_info(const ppml_ntt_tables* t, uint64_t* n, uint64_t* modulus) {
  return guard("ppml_ntt_tables_info", [&] {
    const auto& tables = *handle<Tables>("ppml_ntt_tables_info", "tables", t)->tables;
    if (n) *n = tables.n();
    if (modulus) *modulus = tables.q();
  });
}

int ppml_ntt_forward(const ppml_ntt_tables* t, uint64_t* data, size_t len) {
  return transform<ppml::ntt::forward_inplace>("ppml_ntt_forward", t, data, len);
}

int ppml_ntt_inverse(const ppml_ntt_tables* t, uint64_t* data, size_t len) {
  return transform<ppml::ntt::inverse_inplace>("ppml_ntt_inverse", t, data, len);
}

int ppml_eltwise_add_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len, uint64_t modulus) {
  return binary<ppml::rns::add_mod>("ppml_eltwise_add_mod", a, b, out, len, modulus);
}

int ppml_eltwise_sub_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len, uint64_t modulus) {
  return binary<ppml::rns::sub_mod>("ppml_eltwise_sub_mod", a, b, out, len, modulus);
}

int ppml_eltwise_mul_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len, uint64_t modulus) {
  return binary<ppml::rns::mul_mod>("ppml_eltwise_mul_mod", a, b, out, len, modulus);
}

int ppml_eltwise_mul_scalar_mod(const uint64_t* a, uint64_t scalar, uint64_t* out, size_t len, uint64_t modulus) {
  const char* api = "ppml_eltwise_mul_scalar_mod";
  return guard(api, [&] {
    require_pointer(api, "a", a);
    require_pointer(api, "out", out);
    const ppml::math::Modulus m(modulus);
    if (scalar >= modulus)
      throw ppml::ParameterError(ppml::describe(api, "scalar", "is out of range", "scalar < modulus", scalar));
    if (a != out && overlaps(a, len, out, len))
      ppml::throw_parameter(api, "out", "partly overlaps a", "the same buffer or a separate one", "a shifted one");
    if (len) ppml::rns::mul_scalar_mod(a, scalar, out, len, m);
  });
}

}  // extern "C"
