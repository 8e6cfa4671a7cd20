// C ABI of HE evaluation: encoding (CKKS real slots, BFV batched slots), encryption,
// decryption, add/sub/multiply, relinearize, rescale, rotate, and ciphertext bytes in the
// format of the Python API's Ciphertext.to_bytes. Every operand is checked to belong to
// the context it is used with.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "capi/he_handles.hpp"
#include "common/secure_zero.hpp"
#include "he/bfv/encryptor.hpp"
#include "he/bfv/multiply.hpp"
#include "he/bfv/plain_ops.hpp"
#include "he/ckks/evaluator.hpp"
#include "he/rlwe/encryptor.hpp"
#include "he/rlwe/serialization.hpp"
#include "random/prng.hpp"

namespace {

using namespace ppml::capi;
namespace rlwe = ppml::rlwe;


const rlwe::Ciphertext& ct_of(const char* api, const char* arg, const ppml_context& h, const ppml_ciphertext* ct) {
  const auto& c = handle<ppml_ciphertext>(api, arg, ct)->ct;
  h.require_own(api, arg, c.fingerprint);
  return c;
}

const rlwe::Plaintext& pt_of(const char* api, const ppml_context& h, const ppml_plaintext* pt) {
  const auto& p = handle<ppml_plaintext>(api, "plaintext", pt)->pt;
  h.require_own(api, "plaintext", p.fingerprint);
  return p;
}

// CKKS operands added together must carry the same scale (the Python layer aligns them first).
void require_same_scale(const char* api, const ppml_context& h, double a, double b) {
  if (h.is_ckks() && std::fabs(a - b) > 1e-9 * std::fmax(std::fabs(a), std::fabs(b)))
    ppml::throw_mismatch(api, "operands", "have different scales", "equal scales (rescale or re-encode first)",
                         std::to_string(a) + " and " + std::to_string(b));
}

// The Python layer's scale limits (pyppml.ckks.ciphertext.scale_limits): at least
// 2^10 sqrt(n), below which the rounding of encoding and rescaling eats the values, and
// at most Q_level / 2, the integer headroom of |value| <= 1. Outside them a result
// decrypts wrong without a word.
void check_ckks_scale(const char* api, const ppml_context& h, double scale, int level, const char* what) {
  const double lo = std::ldexp(std::sqrt(static_cast<double>(h.ctx->n())), 10);
  if (!(scale >= lo))
    ppml::throw_parameter(api, what, "scale is too small", "scale >= 2^10 sqrt(n) = " + std::to_string(lo), scale);
  const double log_q = h.ctx->log2_q(level);
  if (!(std::log2(scale) <= log_q - 1))
    ppml::throw_parameter(api, what, "scale exceeds the modulus",
                          "scale <= Q_level / 2 = 2^" + std::to_string(log_q - 1) + " (headroom for |value| <= 1)",
                          "2^" + std::to_string(std::log2(scale)));
}

// Runs `op(context, operands...)` and hands the resulting ciphertext out.
template <typename Op>
int produce(const char* api, const ppml_context* ctx, ppml_ciphertext** out, Op op) {
  return guard(api, [&] {
    require_out(api, out);
    const auto& h = ctx_of(api, ctx);
    emit(op(h), out);
  });
}

template <typename T>
void decoded_out(const char* api, const std::vector<T>& values, T* buf, size_t cap, size_t* needed) {
  if (output_room(api, values.size(), buf, "values", cap, "capacity", "values", needed))
    std::copy(values.begin(), values.end(), buf);
}

}  // namespace

extern "C" {

void ppml_plaintext_free(ppml_plaintext* pt) { release("ppml_plaintext_free", pt); }
void ppml_ciphertext_free(ppml_ciphertext* ct) { release("ppml_ciphertext_free", ct); }

int ppml_ckks_encode(const ppml_context* ctx, const double* values, size_t count, double scale, int level,
                     ppml_plaintext** out) {
  const char* api = "ppml_ckks_encode";
  return guard(api, [&] {
    require_out(api, out);
    const auto& h = ctx_of(api, ctx);
    h.require_scheme(api, PPML_SCHEME_CKKS);
    if (count) require_pointer(api, "values", values);
    if (count > h.ckks->slots())
      ppml::throw_parameter(api, "count", "exceeds the slots", "at most " + std::to_string(h.ckks->slots()), count);
    for (size_t i = 0; i < count; ++i)
      if (!std::isfinite(values[i])) ppml::throw_parameter(api, "values", "are not all finite", "finite doubles", "NaN or inf");
    if (std::isnan(scale)) ppml::throw_parameter(api, "scale", "is not a number", "> 0, or <= 0 for the default", "NaN");
    const double s = scale > 0 ? scale : h.scale;
    const int l = level < 0 ? h.ctx->max_level() : level;
    h.ctx->check_level(api, l);
    check_ckks_scale(api, h, s, l, "plaintext");
    emit(h.ckks->encode_real(values, count, s, l), out);
  });
}

int ppml_ckks_decode(const ppml_context* ctx, const ppml_plaintext* pt, double* values, size_t capacity,
                     size_t* needed) {
  const char* api = "ppml_ckks_decode";
  return guard(api, [&] {
    const auto& h = ctx_of(api, ctx);
    h.require_scheme(api, PPML_SCHEME_CKKS);
    const auto slots = h.ckks->decode(pt_of(api, h, pt));
    std::vector<double> re(slots.size());
    for (size_t i = 0; i < slots.size(); ++i) re[i] = slots[i].real();
    decoded_out(api, re, values, capacity, needed);
  });
}

int ppml_bfv_encode(const ppml_context* ctx, const uint64_t* values, size_t count, ppml_plaintext** out) {
  const char* api = "ppml_bfv_encode";
  return guard(api, [&] {
    require_out(api, out);
    const auto& h = ctx_of(api, ctx);
    h.require_scheme(api, PPML_SCHEME_BFV);
    if (!h.batch)
      ppml::throw_parameter(api, "context", "does not support batching", "a prime plain modulus t = 1 mod 2n", h.bfv->t());
    if (count) require_pointer(api, "values", values);
    if (count > h.ctx->n()) ppml::throw_parameter(api, "count", "exceeds the slots", "at most " + std::to_string(h.ctx->n()), count);
    require_below(api, "values", values, count, h.bfv->t());
    emit(h.batch->encode(values, count), out);
  });
}

int ppml_bfv_decode(const ppml_context* ctx, const ppml_plaintext* pt, uint64_t* values, size_t capacity,
                    size_t* needed) {
  const char* api = "ppml_bfv_decode";
  return guard(api, [&] {
    const auto& h = ctx_of(api, ctx);
    h.require_scheme(api, PPML_SCHEME_BFV);
    if (!h.batch)
      ppml::throw_parameter(api, "context", "does not support batching", "a prime plain modulus t = 1 mod 2n", h.bfv->t());
    const auto& p = pt_of(api, h, pt);
    ppml::bfv::check_plaintext(api, *h.bfv, p);
    std::vector<uint64_t> slots(h.ctx->n());
    h.batch->decode(p, slots.data());
    decoded_out(api, slots, values, capacity, needed);
  });
}

int ppml_encrypt(const ppml_context* ctx, const ppml_public_key* pk, const ppml_plaintext* pt, ppml_ciphertext** out) {
  const char* api = "ppml_encrypt";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto& key = handle<ppml_public_key>(api, "public_key", pk)->key;
    h.require_own(api, "public_key", key.fingerprint);
    const auto& p = pt_of(api, h, pt);
    auto& prng = ppml::random::thread_prng();
    if (!h.is_ckks()) return ppml::bfv::encrypt_public(*h.bfv, key, p, prng);
    auto c = rlwe::encrypt_public(*h.ctx, key, p.poly, prng);
    c.scale = p.scale;
    return c;
  });
}

int ppml_encrypt_symmetric(const ppml_context* ctx, const ppml_secret_key* sk, const ppml_plaintext* pt,
                           ppml_ciphertext** out) {
  const char* api = "ppml_encrypt_symmetric";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto& key = secret_of(api, h, sk).key;
    const auto& p = pt_of(api, h, pt);
    auto& prng = ppml::random::thread_prng();
    if (!h.is_ckks()) return ppml::bfv::encrypt_secret(*h.bfv, key, p, prng);
    auto c = rlwe::encrypt_secret(*h.ctx, key, p.poly, prng);
    c.scale = p.scale;
    return c;
  });
}

int ppml_decrypt(const ppml_context* ctx, const ppml_secret_key* sk, const ppml_ciphertext* ct, ppml_plaintext** out) {
  const char* api = "ppml_decrypt";
  return guard(api, [&] {
    require_out(api, out);
    const auto& h = ctx_of(api, ctx);
    const auto& key = secret_of(api, h, sk).key;
    const auto& c = ct_of(api, "ciphertext", h, ct);
    rlwe::check_key_id(api, key.key_id, c.key_id);
    if (!h.is_ckks()) {
      uint64_t noise = 0;
      rlwe::Plaintext p = ppml::bfv::decrypt(*h.bfv, key, c, &noise);
      // Past the budget the rounding is wrong: nothing is emitted (the Python API's
      // DecryptionError), and the wrong plaintext, a function of the error, is wiped.
      if (noise >= ppml::bfv::kDecryptionNoiseLimit) {
        ppml::secure_zero(p.poly.data(), p.poly.limbs() * p.poly.n() * sizeof(uint64_t));
        char got[32];
        std::snprintf(got, sizeof got, "%.3f", std::ldexp(static_cast<double>(noise), -64));
        throw Error(PPML_ERR_DECRYPTION,
                    ppml::describe(api, "ciphertext", "has no noise budget left",
                                   "invariant noise < 1/4 (the result would be wrong)", got));
      }
      emit(std::move(p), out);
      return;
    }
    rlwe::Plaintext p;
    p.poly = rlwe::decrypt(*h.ctx, key, c);
    p.scale = c.scale;
    p.fingerprint = c.fingerprint;
    emit(std::move(p), out);
  });
}

int ppml_add(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_ciphertext* b, ppml_ciphertext** out) {
  const char* api = "ppml_add";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto &x = ct_of(api, "a", h, a), &y = ct_of(api, "b", h, b);
    require_same_scale(api, h, x.scale, y.scale);
    return rlwe::add(*h.ctx, x, y);
  });
}

int ppml_sub(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_ciphertext* b, ppml_ciphertext** out) {
  const char* api = "ppml_sub";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto &x = ct_of(api, "a", h, a), &y = ct_of(api, "b", h, b);
    require_same_scale(api, h, x.scale, y.scale);
    return rlwe::sub(*h.ctx, x, y);
  });
}

int ppml_multiply(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_ciphertext* b, ppml_ciphertext** out) {
  const char* api = "ppml_multiply";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto &x = ct_of(api, "a", h, a), &y = ct_of(api, "b", h, b);
    if (!h.is_ckks()) return ppml::bfv::multiply(*h.bfv, x, y);
    check_ckks_scale(api, h, x.scale * y.scale, std::min(x.level(), y.level()), "product");
    return ppml::ckks::multiply(*h.ctx, x, y);
  });
}

int ppml_add_plain(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_plaintext* pt, ppml_ciphertext** out) {
  const char* api = "ppml_add_plain";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto& x = ct_of(api, "a", h, a);
    const auto& p = pt_of(api, h, pt);
    if (!h.is_ckks()) return ppml::bfv::add_plain(*h.bfv, x, p);
    require_same_scale(api, h, x.scale, p.scale);
    return rlwe::add_plain(*h.ctx, x, p.poly);
  });
}

int ppml_multiply_plain(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_plaintext* pt,
                        ppml_ciphertext** out) {
  const char* api = "ppml_multiply_plain";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto& x = ct_of(api, "a", h, a);
    const auto& p = pt_of(api, h, pt);
    if (!h.is_ckks()) return ppml::bfv::multiply_plain(*h.bfv, x, p);
    check_ckks_scale(api, h, x.scale * p.scale, x.level(), "product");
    return ppml::ckks::multiply_plain(*h.ctx, x, p);
  });
}

int ppml_relinearize(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_relin_key* rk, ppml_ciphertext** out) {
  const char* api = "ppml_relinearize";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto& x = ct_of(api, "a", h, a);
    const auto& key = handle<ppml_relin_key>(api, "relin_key", rk)->key;
    h.require_own(api, "relin_key", key.fingerprint);
    return rlwe::relinearize(*h.ctx, x, key);
  });
}

int ppml_rescale(const ppml_context* ctx, const ppml_ciphertext* a, ppml_ciphertext** out) {
  const char* api = "ppml_rescale";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    h.require_scheme(api, PPML_SCHEME_CKKS);
    const auto& x = ct_of(api, "a", h, a);
    if (x.level() >= 1)
      check_ckks_scale(api, h, x.scale / static_cast<double>(h.ctx->modulus(x.level()).value()), x.level() - 1,
                       "result");
    return ppml::ckks::rescale(*h.ctx, x);
  });
}

int ppml_rotate(const ppml_context* ctx, const ppml_ciphertext* a, int64_t steps, const ppml_galois_keys* gk,
                ppml_ciphertext** out) {
  const char* api = "ppml_rotate";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto& x = ct_of(api, "a", h, a);
    const auto& keys = handle<ppml_galois_keys>(api, "galois_keys", gk)->keys;
    h.require_own(api, "galois_keys", keys.fingerprint);
    const uint64_t elt = galois_element(h, steps);
    if (elt == 1) return rlwe::Ciphertext(x);  // a whole number of periods: the identity
    auto it = keys.keys.find(elt);
    if (it == keys.keys.end())
      ppml::throw_parameter(api, "galois_keys", "lack the key for this rotation",
                            "a key generated for steps " + std::to_string(steps), "none");
    auto c = rlwe::apply_galois(*h.ctx, x, elt, it->second);
    return c;
  });
}

int ppml_conjugate(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_galois_keys* gk, ppml_ciphertext** out) {
  const char* api = "ppml_conjugate";
  return produce(api, ctx, out, [&](const ppml_context& h) {
    const auto& x = ct_of(api, "a", h, a);
    const auto& keys = handle<ppml_galois_keys>(api, "galois_keys", gk)->keys;
    h.require_own(api, "galois_keys", keys.fingerprint);
    const uint64_t elt = 2 * h.ctx->n() - 1;
    auto it = keys.keys.find(elt);
    if (it == keys.keys.end())
      ppml::throw_parameter(api, "galois_keys", "lack the conjugation key", "keys generated with conjugate = 1", "none");
    return rlwe::apply_galois(*h.ctx, x, elt, it->second);
  });
}

int ppml_ciphertext_info(const ppml_ciphertext* ct, int* level, double* scale, size_t* size) {
  const char* api = "ppml_ciphertext_info";
  return guard(api, [&] {
    const auto& c = handle<ppml_ciphertext>(api, "ciphertext", ct)->ct;
    if (level) *level = c.level();
    if (scale) *scale = c.scale;
    if (size) *size = c.size();
  });
}

int ppml_ciphertext_save(const ppml_context* ctx, const ppml_ciphertext* ct, uint8_t* buf, size_t cap, size_t* needed) {
  const char* api = "ppml_ciphertext_save";
  return guard(api, [&] {
    const auto& h = ctx_of(api, ctx);
    const std::string bytes = rlwe::save(*h.ctx, ct_of(api, "ciphertext", h, ct));
    write_out(api, bytes.data(), bytes.size(), buf, cap, needed);
  });
}

int ppml_ciphertext_load(const ppml_context* ctx, const uint8_t* data, size_t len, ppml_ciphertext** out) {
  const char* api = "ppml_ciphertext_load";
  return guard(api, [&] {
    require_out(api, out);
    const auto& h = ctx_of(api, ctx);
    require_pointer(api, "data", data);
    emit(rlwe::load_ciphertext(*h.ctx, std::string(reinterpret_cast<const char*>(data), len)), out);
  });
}

}  // extern "C"
