// The HE handle types of the C ABI: a context (parameters + the scheme's encoder), keys,
// plaintexts and ciphertexts, each wrapping the core's object unchanged, so bytes and
// results are those of the Python API.
#pragma once

#include <memory>

#include "capi/boundary.hpp"
#include "he/bfv/context.hpp"
#include "he/bfv/encoder.hpp"
#include "he/ckks/encoder.hpp"
#include "he/rlwe/arith.hpp"
#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"
#include "he/rlwe/keys.hpp"

struct ppml_context {
  static constexpr ppml::capi::Kind kKind = ppml::capi::Kind::Context;
  std::shared_ptr<const ppml::rlwe::Context> ctx;
  std::unique_ptr<ppml::ckks::Encoder> ckks;         // CKKS only
  std::unique_ptr<ppml::bfv::BfvContext> bfv;        // BFV only
  std::unique_ptr<ppml::bfv::BatchEncoder> batch;    // BFV with a batching t only
  double scale = 0.0;                                // CKKS default scale

  bool is_ckks() const { return ckks != nullptr; }
  // Throws ParameterError unless the context is of `scheme` (PPML_SCHEME_*).
  void require_scheme(const char* api, int scheme) const;
  // Throws MismatchError unless `fingerprint` is this context's.
  void require_own(const char* api, const char* arg, uint64_t fingerprint) const;
};

struct ppml_secret_key {
  static constexpr ppml::capi::Kind kKind = ppml::capi::Kind::SecretKey;
  ppml::rlwe::SecretKey key;  // its RnsPoly is marked secret: wiped when freed
};
struct ppml_public_key {
  static constexpr ppml::capi::Kind kKind = ppml::capi::Kind::PublicKey;
  ppml::rlwe::PublicKey key;
};
struct ppml_relin_key {
  static constexpr ppml::capi::Kind kKind = ppml::capi::Kind::RelinKey;
  ppml::rlwe::KeySwitchKey key;
};
struct ppml_galois_keys {
  static constexpr ppml::capi::Kind kKind = ppml::capi::Kind::GaloisKeys;
  ppml::rlwe::GaloisKeys keys;
};
struct ppml_plaintext {
  static constexpr ppml::capi::Kind kKind = ppml::capi::Kind::Plaintext;
  ppml::rlwe::Plaintext pt;
};
struct ppml_ciphertext {
  static constexpr ppml::capi::Kind kKind = ppml::capi::Kind::Ciphertext;
  ppml::rlwe::Ciphertext ct;
};

namespace ppml::capi {

inline const ppml_context& ctx_of(const char* api, const ppml_context* ctx) {
  return *handle<ppml_context>(api, "context", ctx);
}

// A secret key handle that belongs to the context's parameters.
inline const ppml_secret_key& secret_of(const char* api, const ppml_context& h, const ppml_secret_key* sk) {
  const auto& k = *handle<ppml_secret_key>(api, "secret_key", sk);
  h.require_own(api, "secret_key", k.key.fingerprint);
  return k;
}

inline void assign(ppml_secret_key& h, rlwe::SecretKey&& v) { h.key = std::move(v); }
inline void assign(ppml_public_key& h, rlwe::PublicKey&& v) { h.key = std::move(v); }
inline void assign(ppml_relin_key& h, rlwe::KeySwitchKey&& v) { h.key = std::move(v); }
inline void assign(ppml_galois_keys& h, rlwe::GaloisKeys&& v) { h.keys = std::move(v); }
inline void assign(ppml_plaintext& h, rlwe::Plaintext&& v) { h.pt = std::move(v); }
inline void assign(ppml_ciphertext& h, rlwe::Ciphertext&& v) { h.ct = std::move(v); }

// Registers a new handle holding `value` and stores it in *out (out checked non-NULL first
// by the caller's require_pointer).
template <typename H, typename V>
void emit(V&& value, H** out) {
  auto h = std::make_unique<H>();
  assign(*h, std::forward<V>(value));
  register_handle(h.get(), H::kKind);
  *out = h.release();
}

// Output pointer check that also clears *out, so a failed call never leaves a stale value.
template <typename H>
void require_out(const char* api, H** out) {
  require_pointer(api, "out", out);
  *out = nullptr;
}

// Galois element of a left rotation by `steps` slots (the Python API's galois_element).
uint64_t galois_element(const ppml_context& h, int64_t steps);

// A new context handle for validated parameters (CKKS: `scale` is the default scale).
std::unique_ptr<ppml_context> make_context(const rlwe::Params& params, double scale);

}  // namespace ppml::capi
