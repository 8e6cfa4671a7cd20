// C ABI of HE contexts: creation from prime bit sizes (SEAL's prime choice, the security
// table check of the Python API), properties, and the context container of the Python API
// (ckks/bfv Context.to_bytes: "PPMLCTX2", five length-prefixed parts - parameters, public,
// relinearization and Galois keys, the scheme's extra - and a checksum), so contexts and
// their public keys cross between C and Python.
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "capi/he_handles.hpp"
#include "common/checksum.hpp"
#include "he/rlwe/prime_chain.hpp"
#include "he/rlwe/serialization.hpp"

namespace ppml::capi {

std::unique_ptr<ppml_context> make_context(const rlwe::Params& params, double scale) {
  auto h = std::make_unique<ppml_context>();
  auto ctx = std::make_shared<rlwe::Context>(params);
  h->ctx = ctx;
  if (params.scheme == rlwe::Scheme::Ckks) {
    h->ckks = std::make_unique<ckks::Encoder>(*ctx);
    h->scale = scale;
  } else {
    h->bfv = std::make_unique<bfv::BfvContext>(h->ctx);
    if (h->bfv->batching()) h->batch = std::make_unique<bfv::BatchEncoder>(*h->bfv);
  }
  return h;
}

}  // namespace ppml::capi

void ppml_context::require_scheme(const char* api, int scheme) const {
  const int mine = is_ckks() ? PPML_SCHEME_CKKS : PPML_SCHEME_BFV;
  if (mine != scheme)
    ppml::throw_parameter(api, "context", "is of the wrong scheme", scheme == PPML_SCHEME_CKKS ? "a CKKS context" : "a BFV context",
                          mine == PPML_SCHEME_CKKS ? "a CKKS context" : "a BFV context");
}

void ppml_context::require_own(const char* api, const char* arg, uint64_t fingerprint) const {
  if (fingerprint != ctx->fingerprint())
    ppml::throw_mismatch(api, arg, "belongs to another context",
                         "an object of this context (fingerprint " + std::to_string(ctx->fingerprint()) + ")", fingerprint);
}

namespace {

using namespace ppml::capi;
using ppml::rlwe::Params;

constexpr char kMagic[8] = {'P', 'P', 'M', 'L', 'C', 'T', 'X', '2'};

std::vector<int> bit_sizes(const char* api, const char* arg, const int* bits, size_t count) {
  if (count == 0) ppml::throw_parameter(api, arg, "is empty", "at least one prime bit size", 0);
  require_pointer(api, arg, bits);
  if (count > 256) ppml::throw_parameter(api, arg, "has too many primes", "at most 256", count);
  return std::vector<int>(bits, bits + count);
}

// A ppml_security argument as the core's level: 0 is the default 128 (as 0 is the default
// of every other limit), PPML_SECURITY_NONE the core's 0 ("no table check").
int security_level(const char* api, const char* arg, int security) {
  if (security == PPML_SECURITY_DEFAULT) return 128;
  if (security == PPML_SECURITY_NONE) return 0;
  if (security != 128 && security != 192 && security != 256)
    ppml::throw_parameter(api, arg, "is not a supported level",
                          "128, 192, 256, 0 (the default, 128) or PPML_SECURITY_NONE (-1, no check)", security);
  return security;
}

int create(const char* api, ppml::rlwe::Scheme scheme, uint64_t poly_degree, uint64_t plain_modulus, const int* q_bits,
           size_t q_count, const int* p_bits, size_t p_count, double scale, int security, ppml_context** out) {
  return guard(api, [&] {
    require_out(api, out);
    const int level = security_level(api, "security", security);
    if (scheme == ppml::rlwe::Scheme::Ckks && !(scale >= 1.0 && scale < 0x1p1000))
      ppml::throw_parameter(api, "scale", "is out of range", "1 <= scale < 2^1000", scale);
    std::vector<int> bits = bit_sizes(api, "q_bits", q_bits, q_count);
    const std::vector<int> pb = bit_sizes(api, "p_bits", p_bits, p_count);
    bits.insert(bits.end(), pb.begin(), pb.end());
    const std::vector<uint64_t> primes = ppml::rlwe::select_primes(poly_degree, bits);
    Params params;
    params.scheme = scheme;
    params.n = poly_degree;
    params.q.assign(primes.begin(), primes.begin() + static_cast<std::ptrdiff_t>(q_count));
    params.p.assign(primes.begin() + static_cast<std::ptrdiff_t>(q_count), primes.end());
    params.security_level = level;
    params.plain_modulus = plain_modulus;
    auto h = make_context(params, scale);
    register_handle(h.get(), ppml_context::kKind);
    *out = h.release();
  });
}

void put_part(std::string& out, const std::string& part) {
  uint64_t size = part.size();
  char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(size >> (8 * i));
  out.append(le, 8);
  out += part;
}

uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string export_bytes(const ppml_context& h, const ppml_public_key* pk, const ppml_relin_key* rk,
                         const ppml_galois_keys* gk) {
  const char* api = "ppml_context_export";
  const auto& ctx = *h.ctx;
  std::string out(kMagic, 8);
  put_part(out, ppml::rlwe::save_params(ctx.params()));
  if (pk) h.require_own(api, "public_key", pk->key.fingerprint);
  if (rk) h.require_own(api, "relin_key", rk->key.fingerprint);
  if (gk) h.require_own(api, "galois_keys", gk->keys.fingerprint);
  std::set<uint64_t> ids;
  if (pk) ids.insert(pk->key.key_id);
  if (rk) ids.insert(rk->key.key_id);
  if (gk) ids.insert(gk->keys.key_id);
  if (ids.size() > 1) ppml::throw_mismatch(api, "keys", "are of different key sets", "one key id", ids.size());
  put_part(out, pk ? ppml::rlwe::save(ctx, pk->key) : std::string());
  put_part(out, rk ? ppml::rlwe::save(ctx, rk->key) : std::string());
  put_part(out, gk ? ppml::rlwe::save(ctx, gk->keys) : std::string());
  std::string extra;
  if (h.is_ckks()) {  // the default scale, little-endian IEEE double (Python: struct "<d")
    uint64_t bits;
    std::memcpy(&bits, &h.scale, 8);
    for (int i = 0; i < 8; ++i) extra.push_back(static_cast<char>(bits >> (8 * i)));
  }
  put_part(out, extra);
  const uint64_t sum = ppml::checksum64(out.data(), out.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(sum >> (8 * i)));
  return out;
}

}  // namespace

extern "C" {

int ppml_ckks_context_create(uint64_t poly_degree, const int* q_bits, size_t q_count, const int* p_bits, size_t p_count,
                             double scale, int security, ppml_context** out) {
  return create("ppml_ckks_context_create", ppml::rlwe::Scheme::Ckks, poly_degree, 0, q_bits, q_count, p_bits, p_count,
                scale, security, out);
}

int ppml_bfv_context_create(uint64_t poly_degree, uint64_t plain_modulus, const int* q_bits, size_t q_count,
                            const int* p_bits, size_t p_count, int security, ppml_context** out) {
  return create("ppml_bfv_context_create", ppml::rlwe::Scheme::Bfv, poly_degree, plain_modulus, q_bits, q_count, p_bits,
                p_count, 0.0, security, out);
}

void ppml_context_free(ppml_context* ctx) { release("ppml_context_free", ctx); }

int ppml_context_info(const ppml_context* ctx, int* scheme, uint64_t* poly_degree, int* max_level,
                      uint64_t* plain_modulus, double* scale) {
  const char* api = "ppml_context_info";
  return guard(api, [&] {
    const ppml_context& h = *handle<ppml_context>(api, "context", ctx);
    if (scheme) *scheme = h.is_ckks() ? PPML_SCHEME_CKKS : PPML_SCHEME_BFV;
    if (poly_degree) *poly_degree = h.ctx->n();
    if (max_level) *max_level = h.ctx->max_level();
    if (plain_modulus) *plain_modulus = h.ctx->params().plain_modulus;
    if (scale) *scale = h.scale;
  });
}

int ppml_context_export(const ppml_context* ctx, const ppml_public_key* pk, const ppml_relin_key* rk,
                        const ppml_galois_keys* gk, uint8_t* buf, size_t cap, size_t* needed) {
  const char* api = "ppml_context_export";
  return guard(api, [&] {
    const ppml_context& h = *handle<ppml_context>(api, "context", ctx);
    // Keys are optional (NULL: not included), but a non-NULL one must be a live key.
    const ppml_public_key* p = pk ? handle<ppml_public_key>(api, "public_key", pk) : nullptr;
    const ppml_relin_key* r = rk ? handle<ppml_relin_key>(api, "relin_key", rk) : nullptr;
    const ppml_galois_keys* g = gk ? handle<ppml_galois_keys>(api, "galois_keys", gk) : nullptr;
    const std::string bytes = export_bytes(h, p, r, g);
    write_out(api, bytes.data(), bytes.size(), buf, cap, needed);
  });
}

int ppml_context_import(const uint8_t* data, size_t len, int min_security, uint64_t max_poly_degree,
                        size_t max_primes, ppml_context** ctx, ppml_public_key** pk, ppml_relin_key** rk,
                        ppml_galois_keys** gk) {
  return ppml_context_import_standard(data, len, min_security, PPML_STANDARD_2024, max_poly_degree, max_primes, ctx,
                                      pk, rk, gk);
}

int ppml_context_import_standard(const uint8_t* data, size_t len, int min_security, int security_standard,
                                 uint64_t max_poly_degree, size_t max_primes, ppml_context** ctx,
                                 ppml_public_key** pk, ppml_relin_key** rk, ppml_galois_keys** gk) {
  const char* api = "ppml_context_import_standard";
  return guard(api, [&] {
    require_out(api, ctx);
    if (pk) *pk = nullptr;
    if (rk) *rk = nullptr;
    if (gk) *gk = nullptr;
    require_pointer(api, "data", data);
    ppml::rlwe::LoadLimits limits;
    limits.min_security = security_level(api, "min_security", min_security);
    if (security_standard != PPML_STANDARD_2024 && security_standard != PPML_STANDARD_2018)
      ppml::throw_parameter(api, "security_standard", "is not a known table",
                            "PPML_STANDARD_2024 (0) or PPML_STANDARD_2018 (1)", security_standard);
    limits.security_standard = security_standard == PPML_STANDARD_2018 ? ppml::rlwe::SecurityStandard::HEStandard2018
                                                                       : ppml::rlwe::SecurityStandard::Guidelines2024;
    limits.max_poly_degree = max_poly_degree ? max_poly_degree : 32768;
    limits.max_primes = max_primes ? max_primes : 64;
    if (len < 16 || std::memcmp(data, kMagic, 8) != 0)
      ppml::throw_format(api, "data", "is not a pyppml context", "magic 'PPMLCTX2'", "other bytes");
    if (ppml::checksum64(data, len - 8) != get_u64(data + len - 8))
      ppml::throw_format(api, "data", "is corrupted", "bytes matching their checksum", "a mismatch");
    const size_t end = len - 8;
    std::string parts[5];
    size_t pos = 8;
    for (auto& part : parts) {
      if (end - pos < 8) ppml::throw_format(api, "data", "is truncated", "a length field at byte " + std::to_string(pos), end);
      const uint64_t size = get_u64(data + pos);
      pos += 8;
      if (size > end - pos)
        ppml::throw_format(api, "data", "is truncated", std::to_string(size) + " more bytes", end - pos);
      part.assign(reinterpret_cast<const char*>(data + pos), size);
      pos += size;
    }
    if (pos != end) ppml::throw_format(api, "data", "has trailing bytes", std::to_string(pos + 8) + " bytes", len);
    const Params params = ppml::rlwe::load_params(parts[0], limits);
    double scale = 0.0;
    if (params.scheme == ppml::rlwe::Scheme::Ckks) {
      if (parts[4].size() != 8) ppml::throw_format(api, "data", "has a wrong scale field", "8 bytes", parts[4].size());
      uint64_t bits = get_u64(reinterpret_cast<const uint8_t*>(parts[4].data()));
      std::memcpy(&scale, &bits, 8);
      if (!(scale >= 1.0 && scale < 0x1p1000)) ppml::throw_format(api, "data", "has a scale out of range", "[1, 2^1000)", scale);
    } else if (!parts[4].empty()) {
      ppml::throw_format(api, "data", "has an extra part for BFV", "an empty part", parts[4].size());
    }
    auto h = make_context(params, scale);
    const auto& c = *h->ctx;
    std::unique_ptr<ppml_public_key> p;
    std::unique_ptr<ppml_relin_key> r;
    std::unique_ptr<ppml_galois_keys> g;
    std::set<uint64_t> ids;
    if (!parts[1].empty()) { p = std::make_unique<ppml_public_key>(); p->key = ppml::rlwe::load_public_key(c, parts[1]); ids.insert(p->key.key_id); }
    if (!parts[2].empty()) { r = std::make_unique<ppml_relin_key>(); r->key = ppml::rlwe::load_relin_key(c, parts[2]); ids.insert(r->key.key_id); }
    if (!parts[3].empty()) { g = std::make_unique<ppml_galois_keys>(); g->keys = ppml::rlwe::load_galois_keys(c, parts[3]); ids.insert(g->keys.key_id); }
    if (ids.size() > 1) ppml::throw_format(api, "data", "mixes keys of different key sets", "one key id", ids.size());
    // Nothing can fail from here: register and hand out (keys the caller did not ask for are dropped).
    register_handle(h.get(), ppml_context::kKind);
    *ctx = h.release();
    if (pk && p) { register_handle(p.get(), ppml_public_key::kKind); *pk = p.release(); }
    if (rk && r) { register_handle(r.get(), ppml_relin_key::kKind); *rk = r.release(); }
    if (gk && g) { register_handle(g.get(), ppml_galois_keys::kKind); *gk = g.release(); }
  });
}

}  // extern "C"
