#include "he/rlwe/serialization.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "he/rlwe/object_format.hpp"
#include "he/rlwe/encryptor.hpp"
#include "he/rlwe/sampling.hpp"

namespace ppml::rlwe {

using namespace format;

namespace {
// A ciphertext's seed flag: how c1 comes from the seed (encryptor.hpp).
constexpr uint8_t kSeedChaCha = 1;     // one ChaCha20 stream (2.0-2.2)
constexpr uint8_t kSeedAesBlocks = 2;  // AES-128-CTR blocks per limb (2.3)
}  // namespace

std::string save_params(const Params& p) {
  ByteWriter w;
  auto at = begin(w, ObjectKind::Params, static_cast<uint8_t>(p.scheme), p.fingerprint(), 0);
  w.u64(p.n);
  w.u16(static_cast<uint16_t>(p.q.size()));
  w.u16(static_cast<uint16_t>(p.p.size()));
  for (uint64_t v : p.q) w.u64(v);
  for (uint64_t v : p.p) w.u64(v);
  w.u16(static_cast<uint16_t>(p.dnum));
  w.u16(static_cast<uint16_t>(p.security_level));
  w.u8(static_cast<uint8_t>(p.standard));
  w.u64(p.plain_modulus);
  return finish(w, at);
}

Params load_params(const std::string& data, const LoadLimits& limits) {
  ByteReader r = open_checked(data, "Context.from_bytes");
  Header h = read_header(r);
  if (h.kind != ObjectKind::Params) throw_format(r.api(), "data", "holds another kind of object", "parameters", kind_name(h.kind));
  Params p;
  if (h.scheme != 1 && h.scheme != 2) throw_format(r.api(), "data", "has an unknown scheme", "1 (CKKS) or 2 (BFV)", static_cast<int>(h.scheme));
  p.scheme = static_cast<Scheme>(h.scheme);
  p.n = r.u64("n");
  if (p.n > limits.max_poly_degree)
    throw_format(r.api(), "data", "asks for a ring degree over the limit",
                 "n <= max_poly_degree = " + std::to_string(limits.max_poly_degree), p.n);
  std::size_t nq = r.u16("the prime count"), np = r.u16("the prime count");
  if (nq + np > std::min<std::size_t>(limits.max_primes, 256))
    throw_format(r.api(), "data", "asks for more primes than the limit",
                 "at most max_primes = " + std::to_string(std::min<std::size_t>(limits.max_primes, 256)), nq + np);
  check_body(r, 8 * (nq + np) + 2 + 2 + 1 + 8);
  for (std::size_t i = 0; i < nq; ++i) p.q.push_back(r.u64("a prime"));
  for (std::size_t i = 0; i < np; ++i) p.p.push_back(r.u64("a prime"));
  p.dnum = r.u16("dnum");
  p.security_level = r.u16("the security level");
  // The level in the bytes is the sender's claim: it must meet the receiver's floor
  // (level 0, "no table", only when the receiver opted out with min_security 0).
  if (p.security_level < limits.min_security)
    throw_format(r.api(), "data", "has a security level below the minimum",
                 "at least min_security = " + std::to_string(limits.min_security) + " bits",
                 p.security_level == 0 ? std::string("0 (none)") : std::to_string(p.security_level));
  uint8_t standard = r.u8("the security standard");
  if (standard > 1) throw_format(r.api(), "data", "has an unknown security standard", "0 or 1", static_cast<int>(standard));
  p.standard = static_cast<SecurityStandard>(standard);
  p.plain_modulus = r.u64("the plain modulus");
  try {
    p.validate();
  } catch (const ParameterError& e) {
    throw FormatError(std::string("Context.from_bytes: data holds invalid parameters; ") + e.what());
  }
  // The table byte is the sender's claim too: bytes made under the 2018 table must also meet
  // the 2024 one (up to 13 bits of log Q more at n = 2^15) unless the receiver opted in.
  if (p.security_level != 0 && p.standard == SecurityStandard::HEStandard2018 &&
      limits.security_standard == SecurityStandard::Guidelines2024) {
    const int max_bits = max_modulus_bits(p.n, p.security_level, SecurityStandard::Guidelines2024);
    if (max_bits < 0 || p.log_qp() > max_bits) {
      const std::string bound = max_bits < 0 ? "an entry of the 2024 table" : "log2(Q*P) <= " + std::to_string(max_bits);
      throw_format(r.api(), "security_standard", "is '2024' and the data meets only the 2018 table",
                   bound + " for " + std::to_string(p.security_level) + "-bit security at n = " + std::to_string(p.n) +
                       ", or security_standard='2018' to accept the 2018 table",
                   std::to_string(p.log_qp()) + " bits");
    }
  }
  if (p.fingerprint() != h.fingerprint)
    throw_format(r.api(), "data", "has a wrong fingerprint", std::to_string(p.fingerprint()), h.fingerprint);
  return p;
}

ObjectKind peek_kind(const std::string& data) {
  ByteReader r = open_checked(data, "from_bytes");
  return read_header(r).kind;
}

std::string save(const Context& ctx, const Plaintext& pt) {
  ByteWriter w;
  auto at = begin(w, ObjectKind::Plaintext, static_cast<uint8_t>(ctx.params().scheme), ctx.fingerprint(), 0);
  w.u16(static_cast<uint16_t>(pt.poly.limbs()));
  w.u8(static_cast<uint8_t>(pt.poly.form()));
  w.f64(pt.scale);
  write_poly(w, pt.poly, ctx, identity);
  return finish(w, at);
}

Plaintext load_plaintext(const Context& ctx, const std::string& data) {
  ByteReader r = open_checked(data, "Plaintext.from_bytes");
  const bool packed = expect(r, ctx, ObjectKind::Plaintext).minor >= 1;
  std::size_t limbs = r.u16("the limb count");
  uint8_t form = r.u8("the form");
  if (limbs < 1 || limbs > ctx.q_count()) throw_format(r.api(), "data", "has an invalid level", "1.." + std::to_string(ctx.q_count()) + " limbs", limbs);
  if (form > 1) throw_format(r.api(), "data", "has an invalid form", "0 or 1", static_cast<int>(form));
  Plaintext pt;
  pt.scale = r.f64("the scale");
  check_scale(r, ctx, pt.scale);
  check_body(r, poly_bytes(ctx, limbs, packed, identity));
  pt.poly = rns::RnsPoly(ctx.n(), ctx.q_base(static_cast<int>(limbs) - 1), static_cast<rns::Form>(form));
  read_poly(r, pt.poly, ctx, packed, identity);
  pt.fingerprint = ctx.fingerprint();
  return pt;
}

std::string save(const Context& ctx, const Ciphertext& ct) {
  ByteWriter w;
  auto at = begin(w, ObjectKind::Ciphertext, static_cast<uint8_t>(ctx.params().scheme), ctx.fingerprint(), ct.key_id);
  w.u8(static_cast<uint8_t>(ct.size()));
  w.u8(ct.seeded ? (ct.legacy_expansion ? kSeedChaCha : kSeedAesBlocks) : 0);
  w.u16(static_cast<uint16_t>(ct.level() + 1));
  w.u8(static_cast<uint8_t>(ct.form()));
  w.f64(ct.scale);
  if (ct.seeded) {
    w.raw(ct.seed.data(), ct.seed.size());
    write_poly(w, ct.polys[0], ctx, identity);
  } else {
    for (const auto& p : ct.polys) write_poly(w, p, ctx, identity);
  }
  return finish(w, at);
}

Ciphertext load_ciphertext(const Context& ctx, const std::string& data) {
  ByteReader r = open_checked(data, "Ciphertext.from_bytes");
  Header h = expect(r, ctx, ObjectKind::Ciphertext);
  std::size_t size = r.u8("the size");
  uint8_t seeded = r.u8("the seed flag");
  std::size_t limbs = r.u16("the limb count");
  uint8_t form = r.u8("the form");
  if (size < 2 || size > 3) throw_format(r.api(), "data", "has an invalid size", "2 or 3 components", size);
  // Flag 2 (AES-CTR blocks) exists since format 2.3.
  if (seeded > (h.minor >= 3 ? kSeedAesBlocks : kSeedChaCha) || (seeded && size != 2))
    throw_format(r.api(), "data", "has an invalid seed flag",
                 h.minor >= 3 ? "0, or 1 or 2 with 2 components" : "0, or 1 with 2 components (format 2." +
                                                                            std::to_string(h.minor) + ")",
                 static_cast<int>(seeded));
  if (limbs < 1 || limbs > ctx.q_count()) throw_format(r.api(), "data", "has an invalid level", "1.." + std::to_string(ctx.q_count()) + " limbs", limbs);
  // No operation of either scheme outputs a coefficient-form ciphertext, and decryption
  // reads the rows as evaluation form: form 0 could only decrypt to garbage.
  if (form != 1)
    throw_format(r.api(), "data", "has an invalid form", "1 (evaluation form: no ciphertext is stored in coefficient form)",
                 static_cast<int>(form));
  Ciphertext ct;
  ct.scale = r.f64("the scale");
  check_scale(r, ctx, ct.scale);
  const bool packed = h.minor >= 1;
  const std::size_t row_bytes = poly_bytes(ctx, limbs, packed, identity);
  check_body(r, seeded ? 32 + row_bytes : size * row_bytes);
  const int level = static_cast<int>(limbs) - 1;
  if (seeded) {
    r.raw(ct.seed.data(), 32, "the seed");
    rns::RnsPoly c0(ctx.n(), ctx.q_base(level), rns::Form::Evaluation);
    read_poly(r, c0, ctx, packed, identity);
    ct.polys.push_back(std::move(c0));
    ct.legacy_expansion = seeded == kSeedChaCha;
    ct.polys.push_back(expand_ciphertext_uniform(ctx, ct.seed, level, ct.legacy_expansion));
    ct.seeded = true;
  } else {
    for (std::size_t c = 0; c < size; ++c) {
      rns::RnsPoly p(ctx.n(), ctx.q_base(level), static_cast<rns::Form>(form));
      read_poly(r, p, ctx, packed, identity);
      ct.polys.push_back(std::move(p));
    }
  }
  ct.fingerprint = ctx.fingerprint();
  ct.key_id = h.key_id;
  return ct;
}

std::string save(const Context& ctx, const PublicKey& pk) {
  ByteWriter w;
  auto at = begin(w, ObjectKind::PublicKey, static_cast<uint8_t>(ctx.params().scheme), ctx.fingerprint(), pk.key_id);
  w.raw(pk.seed.data(), 32);
  write_poly(w, pk.b, ctx, identity);
  return finish(w, at);
}

PublicKey load_public_key(const Context& ctx, const std::string& data) {
  ByteReader r = open_checked(data, "PublicKey.from_bytes");
  Header h = expect(r, ctx, ObjectKind::PublicKey);
  const bool packed = h.minor >= 1;
  check_body(r, 32 + poly_bytes(ctx, ctx.q_count(), packed, identity));
  PublicKey pk;
  r.raw(pk.seed.data(), 32, "the seed");
  pk.b = rns::RnsPoly(ctx.n(), ctx.q_base(ctx.max_level()), rns::Form::Evaluation);
  read_poly(r, pk.b, ctx, packed, identity);
  random::Prng expand(pk.seed, 0);
  pk.a = sample_uniform(expand, ctx.n(), ctx.q_base(ctx.max_level()), rns::Form::Evaluation);
  pk.fingerprint = ctx.fingerprint();
  pk.key_id = h.key_id;
  return pk;
}

}  // namespace ppml::rlwe
