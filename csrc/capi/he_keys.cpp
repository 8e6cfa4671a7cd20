// C ABI of HE keys: generation (secret, public, relinearization, Galois keys for slot
// rotations), bytes in the formats of the Python API (Context.export_secret_key,
// Context.key_to_bytes), and freeing (the secret key's buffer is wiped).
#include <set>
#include <string>

#include "capi/he_handles.hpp"
#include "common/secure_zero.hpp"
#include "he/rlwe/serialization.hpp"
#include "random/prng.hpp"

namespace ppml::capi {

// Galois element of a left rotation by `steps` slots: CKKS 5^steps mod 2n over n/2 slots,
// BFV 3^steps mod 2n over rows of n/2 (the Python API's galois_element).
uint64_t galois_element(const ppml_context& h, int64_t steps) {
  const uint64_t n = h.ctx->n(), two_n = 2 * n, period = n / 2;
  int64_t s = steps % static_cast<int64_t>(period);
  if (s < 0) s += static_cast<int64_t>(period);
  const uint64_t g = h.is_ckks() ? 5 : 3;
  uint64_t e = 1;
  for (int64_t i = 0; i < s; ++i) e = e * g % two_n;
  return e;
}

}  // namespace ppml::capi

namespace {

using namespace ppml::capi;
namespace rlwe = ppml::rlwe;


template <typename H, typename Generate>
int generate(const char* api, const ppml_context* ctx, const ppml_secret_key* sk, H** out, Generate gen) {
  return guard(api, [&] {
    require_out(api, out);
    const auto& h = ctx_of(api, ctx);
    const auto& k = secret_of(api, h, sk);
    emit(gen(*h.ctx, k.key, ppml::random::thread_prng()), out);
  });
}

// Saves a public object of the context to the caller's buffer.
template <typename H, typename Get>
int save(const char* api, const char* arg, const ppml_context* ctx, const H* obj, uint8_t* buf, size_t cap,
         size_t* needed, Get get) {
  return guard(api, [&] {
    const auto& h = ctx_of(api, ctx);
    const auto& value = get(*handle<H>(api, arg, obj));
    h.require_own(api, arg, value.fingerprint);
    const std::string bytes = rlwe::save(*h.ctx, value);
    write_out(api, bytes.data(), bytes.size(), buf, cap, needed);
  });
}

template <typename H, typename Load>
int load(const char* api, const ppml_context* ctx, const uint8_t* data, size_t len, H** out, Load loader) {
  return guard(api, [&] {
    require_out(api, out);
    const auto& h = ctx_of(api, ctx);
    require_pointer(api, "data", data);
    std::string bytes(reinterpret_cast<const char*>(data), len);
    struct Wipe {  // the copy may be a secret key's bytes
      std::string& s;
      ~Wipe() { ppml::secure_zero(&s[0], s.size()); }
    } wipe{bytes};
    emit(loader(*h.ctx, bytes), out);
  });
}

}  // namespace

extern "C" {

int ppml_secret_key_generate(const ppml_context* ctx, ppml_secret_key** out) {
  const char* api = "ppml_secret_key_generate";
  return guard(api, [&] {
    require_out(api, out);
    const auto& h = ctx_of(api, ctx);
    emit(rlwe::generate_secret_key(*h.ctx, ppml::random::thread_prng()), out);
  });
}

int ppml_public_key_generate(const ppml_context* ctx, const ppml_secret_key* sk, ppml_public_key** out) {
  return generate("ppml_public_key_generate", ctx, sk, out, rlwe::generate_public_key);
}

int ppml_relin_key_generate(const ppml_context* ctx, const ppml_secret_key* sk, ppml_relin_key** out) {
  return generate("ppml_relin_key_generate", ctx, sk, out, [](const auto& c, const auto& k, auto& prng) {
    return rlwe::generate_relin_key(c, k, prng);
  });
}

int ppml_galois_keys_generate(const ppml_context* ctx, const ppml_secret_key* sk, const int64_t* steps, size_t count,
                              int conjugate, ppml_galois_keys** out) {
  const char* api = "ppml_galois_keys_generate";
  return guard(api, [&] {
    require_out(api, out);
    const auto& h = ctx_of(api, ctx);
    const auto& k = secret_of(api, h, sk);
    if (count) require_pointer(api, "steps", steps);
    std::set<uint64_t> elements;
    for (size_t i = 0; i < count; ++i) {
      const uint64_t e = galois_element(h, steps[i]);
      if (e != 1) elements.insert(e);  // a rotation by a multiple of the period is the identity
    }
    if (conjugate) elements.insert(2 * h.ctx->n() - 1);
    rlwe::GaloisKeys gk;
    gk.fingerprint = h.ctx->fingerprint();
    gk.key_id = k.key.key_id;
    for (uint64_t e : elements) gk.keys.emplace(e, rlwe::generate_galois_key(*h.ctx, k.key, e, ppml::random::thread_prng()));
    emit(std::move(gk), out);
  });
}

void ppml_secret_key_free(ppml_secret_key* sk) { release("ppml_secret_key_free", sk); }
void ppml_public_key_free(ppml_public_key* pk) { release("ppml_public_key_free", pk); }
void ppml_relin_key_free(ppml_relin_key* rk) { release("ppml_relin_key_free", rk); }
void ppml_galois_keys_free(ppml_galois_keys* gk) { release("ppml_galois_keys_free", gk); }

int ppml_secret_key_export(const ppml_context* ctx, const ppml_secret_key* sk, uint8_t* buf, size_t cap,
                           size_t* needed) {
  const char* api = "ppml_secret_key_export";
  return guard(api, [&] {
    const auto& h = ctx_of(api, ctx);
    const auto& k = secret_of(api, h, sk);
    std::string bytes = rlwe::save(*h.ctx, k.key);
    struct Wipe {  // the serialized key is as secret as the key
      std::string& s;
      ~Wipe() { ppml::secure_zero(&s[0], s.size()); }
    } wipe{bytes};
    write_out(api, bytes.data(), bytes.size(), buf, cap, needed);
  });
}

int ppml_secret_key_import(const ppml_context* ctx, const uint8_t* data, size_t len, ppml_secret_key** out) {
  return load("ppml_secret_key_import", ctx, data, len, out, rlwe::load_secret_key);
}

int ppml_secret_key_check(const ppml_context* ctx, const ppml_secret_key* sk, const ppml_public_key* pk) {
  const char* api = "ppml_secret_key_check";
  return guard(api, [&] {
    const auto& h = ctx_of(api, ctx);
    const auto& k = secret_of(api, h, sk);
    const auto& p = handle<ppml_public_key>(api, "public_key", pk)->key;
    h.require_own(api, "public_key", p.fingerprint);
    if (k.key.key_id != p.key_id || !rlwe::secret_matches_public(*h.ctx, k.key, p))
      throw Error(PPML_ERR_MISMATCH, ppml::describe(api, "secret_key", "is not the key of public_key",
                                              "b + a s to be the public key's small error", "another residue"));
  });
}

int ppml_public_key_save(const ppml_context* ctx, const ppml_public_key* pk, uint8_t* buf, size_t cap, size_t* needed) {
  return save("ppml_public_key_save", "public_key", ctx, pk, buf, cap, needed,
              [](const ppml_public_key& k) -> const rlwe::PublicKey& { return k.key; });
}
int ppml_relin_key_save(const ppml_context* ctx, const ppml_relin_key* rk, uint8_t* buf, size_t cap, size_t* needed) {
  return save("ppml_relin_key_save", "relin_key", ctx, rk, buf, cap, needed,
              [](const ppml_relin_key& k) -> const rlwe::KeySwitchKey& { return k.key; });
}
int ppml_galois_keys_save(const ppml_context* ctx, const ppml_galois_keys* gk, uint8_t* buf, size_t cap,
                          size_t* needed) {
  return save("ppml_galois_keys_save", "galois_keys", ctx, gk, buf, cap, needed,
              [](const ppml_galois_keys& k) -> const rlwe::GaloisKeys& { return k.keys; });
}
int ppml_public_key_load(const ppml_context* ctx, const uint8_t* data, size_t len, ppml_public_key** out) {
  return load("ppml_public_key_load", ctx, data, len, out, rlwe::load_public_key);
}
int ppml_relin_key_load(const ppml_context* ctx, const uint8_t* data, size_t len, ppml_relin_key** out) {
  return load("ppml_relin_key_load", ctx, data, len, out,
              [](const auto& c, const std::string& bytes) { return rlwe::load_relin_key(c, bytes); });
}
int ppml_galois_keys_load(const ppml_context* ctx, const uint8_t* data, size_t len, ppml_galois_keys** out) {
  return load("ppml_galois_keys_load", ctx, data, len, out,
              [](const auto& c, const std::string& bytes) { return rlwe::load_galois_keys(c, bytes); });
}

}  // extern "C"
