// The object Python holds for one parameter set: the RLWE context, its scheme's encoder,
// and the CSPRNG used for its keys and encryptions.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "common/errors.hpp"
#include "he/ckks/encoder.hpp"
#include "he/rlwe/context.hpp"
#include "random/prng.hpp"

namespace ppml::bindings {

struct HeContext {
  std::shared_ptr<rlwe::Context> ctx;
  std::unique_ptr<ckks::Encoder> encoder;

  static std::shared_ptr<HeContext> create(const std::string& scheme, uint64_t n, const std::vector<uint64_t>& q,
                                           const std::vector<uint64_t>& p, int dnum, int security,
                                           const std::string& standard, uint64_t plain_modulus) {
    rlwe::Params params;
    if (scheme == "ckks")
      params.scheme = rlwe::Scheme::Ckks;
    else if (scheme == "bfv")
      params.scheme = rlwe::Scheme::Bfv;
    else
      throw_parameter("Context", "scheme", "is unknown", "'ckks' or 'bfv'", "'" + scheme + "'");
    params.n = n;
    params.q = q;
    params.p = p;
    params.dnum = dnum;
    params.security_level = security;
    params.standard = rlwe::parse_security_standard(standard);
    params.plain_modulus = plain_modulus;
    return from_params(params);
  }

  static std::shared_ptr<HeContext> from_params(const rlwe::Params& params) {
    auto h = std::make_shared<HeContext>();
    h->ctx = std::make_shared<rlwe::Context>(params);
    if (params.scheme == rlwe::Scheme::Ckks) h->encoder = std::make_unique<ckks::Encoder>(*h->ctx);
    return h;
  }

  std::string scheme_name() const { return ctx->params().scheme == rlwe::Scheme::Ckks ? "ckks" : "bfv"; }

  const ckks::Encoder& ckks_encoder() const {
    if (!encoder) throw_parameter("encode", "context", "is not a CKKS context", "scheme 'ckks'", scheme_name());
    return *encoder;
  }

  // The calling thread's CSPRNG (safe with the GIL released, re-keyed after fork).
  random::Prng& prng() { return random::thread_prng(); }

  void check_key(uint64_t fingerprint, const char* api) const {
    if (fingerprint != ctx->fingerprint())
      throw_mismatch(api, "operand", "belongs to other parameters",
                     "an object of this context (fingerprint " + std::to_string(ctx->fingerprint()) + ")", fingerprint);
  }
};

// A Python integer (any size, any sign) modulo every data prime of the context.
inline std::vector<uint64_t> residues_of(const HeContext& hc, const pybind11::int_& value) {
  std::vector<uint64_t> r;
  pybind11::object v = value;
  for (std::size_t i = 0; i < hc.ctx->q_count(); ++i) r.push_back(v.attr("__mod__")(hc.ctx->params().q[i]).cast<uint64_t>());
  return r;
}

}  // namespace ppml::bindings
