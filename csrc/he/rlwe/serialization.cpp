#include "he/rlwe/serialization.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/checksum.hpp"
#include "common/fixed_width_packing.hpp"
#include "common/aligned_buffer.hpp"
#include "common/secure_zero.hpp"
#include "he/rlwe/byte_io.hpp"
#include "he/rlwe/encryptor.hpp"
#include "he/rlwe/key_expansion.hpp"
#include "he/rlwe/sampling.hpp"
#include "ntt/ntt.hpp"

namespace ppml::rlwe {
namespace {

constexpr char kMagic[4] = {'P', 'P', 'M', 'L'};

std::size_t begin(ByteWriter& w, ObjectKind kind, uint8_t scheme, uint64_t fingerprint, uint64_t key_id,
                  uint8_t minor = kFormatMinor) {
  w.raw(kMagic, 4);
  w.u8(kFormatMajor);
  w.u8(minor);
  w.u8(static_cast<uint8_t>(kind));
  w.u8(scheme);
  w.u64(fingerprint);
  w.u64(key_id);
  std::size_t at = w.size();
  w.u64(0);  // body length, patched by finish
  return at;
}

std::string finish(ByteWriter& w, std::size_t length_at) {
  w.patch_u64(length_at, w.size() - kHeaderSize);
  w.u64(checksum64(w.str().data(), w.size()));  // trailer over header and body
  return std::move(w.str());
}

struct Header {
  ObjectKind kind;
  uint8_t scheme;
  uint8_t minor;
  uint64_t fingerprint, key_id, body;
};

const char* kind_name(ObjectKind k) {
  switch (k) {
    case ObjectKind::Params: return "parameters";
    case ObjectKind::Plaintext: return "a plaintext";
    case ObjectKind::Ciphertext: return "a ciphertext";
    case ObjectKind::PublicKey: return "a public key";
    case ObjectKind::RelinKey: return "a relinearization key";
    case ObjectKind::GaloisKeys: return "Galois keys";
    case ObjectKind::SecretKey: return "a secret key";
  }
  return "unknown";
}

uint8_t read_magic_and_version(ByteReader& r) {
  char magic[4];
  r.raw(magic, 4, "the magic");
  if (std::memcmp(magic, kMagic, 4) != 0)
    throw_format(r.api(), "data", "is not a pyppml object", "magic 'PPML'", "other bytes");
  uint8_t major = r.u8("the version"), minor = r.u8("the version");
  if (major != kFormatMajor || minor > kFormatMinor)
    throw_format(r.api(), "data", "has an unsupported format version",
                 std::to_string(kFormatMajor) + "." + std::to_string(kFormatMinor) + " or older minor",
                 std::to_string(major) + "." + std::to_string(minor));
  return minor;
}

// A reader over header and body once the trailer matches: foreign and older bytes get their
// own message first, then any corruption is refused before a field is trusted.
ByteReader open_checked(const std::string& data, const char* api) {
  ByteReader probe(data.data(), data.size(), api);
  read_magic_and_version(probe);
  if (data.size() < kHeaderSize + kChecksumSize)
    throw_format(api, "data", "is truncated", std::to_string(kHeaderSize + kChecksumSize) + " bytes at least",
                 std::to_string(data.size()) + " bytes");
  const std::size_t covered = data.size() - kChecksumSize;
  uint64_t stored;
  std::memcpy(&stored, data.data() + covered, kChecksumSize);
  if (checksum64(data.data(), covered) != stored)
    throw_format(api, "data", "is corrupted", "bytes matching their checksum", "a checksum mismatch");
  return ByteReader(data.data(), covered, api);
}

Header read_header(ByteReader& r) {
  const std::size_t covered = r.remaining();
  Header h;
  h.minor = read_magic_and_version(r);
  uint8_t kind = r.u8("the kind");
  if (kind < 1 || kind > 7) throw_format(r.api(), "data", "has an unknown object kind", "1..7", static_cast<int>(kind));
  h.kind = static_cast<ObjectKind>(kind);
  h.scheme = r.u8("the scheme");
  h.fingerprint = r.u64("the fingerprint");
  h.key_id = r.u64("the key id");
  h.body = r.u64("the body length");
  if (h.body != covered - kHeaderSize)
    throw_format(r.api(), "data", "has the wrong length",
                 std::to_string(h.body + kHeaderSize + kChecksumSize) + " bytes (from its header)",
                 std::to_string(covered + kChecksumSize) + " bytes");
  return h;
}

Header expect(ByteReader& r, const Context& ctx, ObjectKind kind) {
  Header h = read_header(r);
  if (h.kind != kind)
    throw_format(r.api(), "data", "holds another kind of object", kind_name(kind), kind_name(h.kind));
  if (h.fingerprint != ctx.fingerprint())
    throw_format(r.api(), "data", "belongs to other parameters", "fingerprint " + std::to_string(ctx.fingerprint()),
                 h.fingerprint);
  if (h.scheme != static_cast<uint8_t>(ctx.params().scheme))
    throw_format(r.api(), "data", "names another scheme", std::to_string(static_cast<int>(ctx.params().scheme)),
                 static_cast<int>(h.scheme));
  return h;
}

// Polynomial rows: row i holds coefficients < prime `index(i)`, stored as n 64-bit words
// (format 2.0) or bit-packed at that prime's width (2.1 and later).
int row_bits(const Context& ctx, std::size_t prime_index) {
  const uint64_t q = ctx.modulus(prime_index).value();
  return 64 - __builtin_clzll(q);  // q < 2^bits, so every coefficient fits
}

template <typename IndexOf>
std::size_t poly_bytes(const Context& ctx, std::size_t limbs, bool packed, IndexOf index) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < limbs; ++i)
    total += packed ? packed_size(ctx.n(), row_bits(ctx, index(i))) : ctx.n() * 8;
  return total;
}

std::size_t identity(std::size_t i) { return i; }

// A scratch row that is wiped however the scope is left (it may hold a secret key's rows);
// sized once for the widest row, so it never reallocates and leaves a copy behind.
struct ScratchRow {
  explicit ScratchRow(std::size_t n) : bytes(packed_size(n, 64), '\0') {}
  ~ScratchRow() { secure_zero(bytes.data(), bytes.size()); }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(bytes.data()); }
  std::string bytes;
};

template <typename IndexOf>
void read_poly(ByteReader& r, rns::RnsPoly& p, const Context& ctx, bool packed, IndexOf index) {
  const uint64_t n = ctx.n();
  ScratchRow scratch(n);
  for (std::size_t i = 0; i < p.limbs(); ++i) {
    if (packed) {
      const int bits = row_bits(ctx, index(i));
      const std::size_t size = packed_size(n, bits);
      r.raw(scratch.data(), size, "polynomial data");
      check_packed_stream(scratch.data(), size, bits, n, r.api());
      unpack_fixed_width(scratch.data(), size, bits, n, p.limb(i));
    } else {
      r.raw(p.limb(i), n * 8, "polynomial data");
    }
    const uint64_t q = ctx.modulus(index(i)).value();
    const uint64_t* row = p.limb(i);
    for (uint64_t k = 0; k < n; ++k)
      if (row[k] >= q)
        throw_format(r.api(), "data", "has a coefficient out of range", "every value < its prime " + std::to_string(q),
                     std::to_string(row[k]) + " in limb " + std::to_string(i));
  }
}

template <typename IndexOf>
void write_poly(ByteWriter& w, const rns::RnsPoly& p, const Context& ctx, IndexOf index) {
  ScratchRow scratch(ctx.n());
  for (std::size_t i = 0; i < p.limbs(); ++i) {
    const int bits = row_bits(ctx, index(i));
    pack_fixed_width(p.limb(i), ctx.n(), bits, scratch.data());
    w.raw(scratch.data(), packed_size(ctx.n(), bits));
  }
}

void check_body(ByteReader& r, uint64_t expected) {
  if (r.remaining() != expected)
    throw_format(r.api(), "data", "has the wrong body length", std::to_string(expected) + " bytes for its contents",
                 std::to_string(r.remaining()) + " bytes");
}


void check_scale(ByteReader& r, const Context& ctx, double scale) {
  if (!(std::isfinite(scale) && scale > 0 && scale < std::ldexp(1.0, 1000)))
    throw_format(r.api(), "data", "has an invalid scale", "a positive finite scale", scale);
  if (ctx.params().scheme == Scheme::Bfv && scale != 1.0)
    throw_format(r.api(), "data", "has an invalid scale", "1 for BFV", scale);
}

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
  w.u8(ct.seeded ? 1 : 0);
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
  if (seeded > 1 || (seeded && size != 2)) throw_format(r.api(), "data", "has an invalid seed flag", "0, or 1 with 2 components", static_cast<int>(seeded));
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
    ct.polys.push_back(expand_ciphertext_uniform(ctx, ct.seed, level));
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

namespace {
// The digit count's top bit marks a-halves expanded with AES-128-CTR blocks (2.2); without
// it, the ChaCha20 streams of 2.0/2.1. A 2.1 reader refuses the flagged count instead of
// expanding the wrong a.
constexpr uint16_t kBlockExpansionFlag = 0x8000;

void write_switch_key(ByteWriter& w, const Context& ctx, const KeySwitchKey& key) {
  w.u16(static_cast<uint16_t>(key.b.size() | (key.legacy_expansion ? 0 : kBlockExpansionFlag)));
  w.raw(key.seed.data(), 32);
  for (const auto& b : key.b) write_poly(w, b.unpack(), ctx, identity);
}

std::size_t switch_key_bytes(const Context& ctx, bool packed) {
  return 2 + 32 + static_cast<std::size_t>(ctx.digits()) * poly_bytes(ctx, ctx.q_count() + ctx.p_count(), packed, identity);
}

KeySwitchKey read_switch_key(ByteReader& r, const Context& ctx, uint64_t key_id, uint8_t minor, bool compact) {
  const bool packed = minor >= 1;
  const uint16_t count = r.u16("the digit count");
  const std::size_t digits = count & ~kBlockExpansionFlag;
  if (digits != static_cast<std::size_t>(ctx.digits()))
    throw_format(r.api(), "data", "has the wrong digit count", std::to_string(ctx.digits()), digits);
  KeySwitchKey key;
  key.legacy_expansion = (count & kBlockExpansionFlag) == 0;
  // 2.2 writes every key flagged; an unflagged key in 2.2 bytes would expand the wrong a.
  if (key.legacy_expansion && minor >= 2)
    throw_format(r.api(), "data", "has a key without its expansion flag", "the AES-CTR flag in format 2.2", "none");
  r.raw(key.seed.data(), 32, "the seed");
  for (std::size_t j = 0; j < digits; ++j) {
    rns::RnsPoly b(ctx.n(), ctx.qp_base(), rns::Form::Evaluation);
    read_poly(r, b, ctx, packed, identity);
    key.b.emplace_back(b);
    if (key.legacy_expansion) key.a.emplace_back(expand_key_uniform_legacy(ctx, key.seed, j));
    else if (!compact) key.a.emplace_back(expand_key_uniform(ctx, key.seed, j));
  }
  key.fingerprint = ctx.fingerprint();
  key.key_id = key_id;
  attach_aux_key(ctx, key);
  return key;
}
}  // namespace

// Keys loaded from 2.0/2.1 bytes are written back as 2.1: their a-halves are ChaCha20
// streams, which 2.2 bytes would not reproduce.
uint8_t key_minor(bool legacy) { return legacy ? 1 : kFormatMinor; }

std::string save(const Context& ctx, const KeySwitchKey& key) {
  ByteWriter w;
  auto at = begin(w, ObjectKind::RelinKey, static_cast<uint8_t>(ctx.params().scheme), ctx.fingerprint(), key.key_id,
                  key_minor(key.legacy_expansion));
  write_switch_key(w, ctx, key);
  return finish(w, at);
}

KeySwitchKey load_relin_key(const Context& ctx, const std::string& data, bool compact) {
  ByteReader r = open_checked(data, "RelinKey.from_bytes");
  Header h = expect(r, ctx, ObjectKind::RelinKey);
  check_body(r, switch_key_bytes(ctx, h.minor >= 1));
  return read_switch_key(r, ctx, h.key_id, h.minor, compact);
}

std::string save(const Context& ctx, const GaloisKeys& keys) {
  ByteWriter w;
  bool legacy = false;
  for (const auto& kv : keys.keys) legacy |= kv.second.legacy_expansion;
  auto at = begin(w, ObjectKind::GaloisKeys, static_cast<uint8_t>(ctx.params().scheme), ctx.fingerprint(), keys.key_id,
                  key_minor(legacy));
  w.u32(static_cast<uint32_t>(keys.keys.size()));
  for (const auto& [elt, key] : keys.keys) {
    w.u64(elt);
    write_switch_key(w, ctx, key);
  }
  return finish(w, at);
}

GaloisKeys load_galois_keys(const Context& ctx, const std::string& data, bool compact) {
  ByteReader r = open_checked(data, "GaloisKeys.from_bytes");
  Header h = expect(r, ctx, ObjectKind::GaloisKeys);
  std::size_t count = r.u32("the key count");
  if (count > ctx.n()) throw_format(r.api(), "data", "has too many keys", "at most n", count);
  check_body(r, count * (8 + switch_key_bytes(ctx, h.minor >= 1)));
  GaloisKeys keys;
  for (std::size_t i = 0; i < count; ++i) {
    uint64_t elt = r.u64("a Galois element");
    if ((elt & 1) == 0 || elt >= 2 * ctx.n() || keys.keys.count(elt))
      throw_format(r.api(), "data", "has an invalid Galois element", "distinct odd integers < 2n", elt);
    keys.keys.emplace(elt, read_switch_key(r, ctx, h.key_id, h.minor, compact));
  }
  keys.fingerprint = ctx.fingerprint();
  keys.key_id = h.key_id;
  return keys;
}

std::string save(const Context& ctx, const SecretKey& sk) {
  ByteWriter w;
  w.reserve(kHeaderSize + poly_bytes(ctx, sk.s.limbs(), true, identity) + kChecksumSize);
  auto at = begin(w, ObjectKind::SecretKey, static_cast<uint8_t>(ctx.params().scheme), ctx.fingerprint(), sk.key_id);
  write_poly(w, sk.s, ctx, identity);
  return finish(w, at);
}

namespace {

// Every secret key of this library is ternary: each coefficient is -1, 0 or 1 modulo every
// prime. A key whose limbs disagree is corrupt or not ours (the checksum is no MAC), and
// refused before it decrypts anything. The values checked are secret: scratch is wiped and
// the message names no coefficient.
void require_ternary(const Context& ctx, const rns::RnsPoly& s, const char* api) {
  const std::size_t n = ctx.n();
  AlignedBuffer<uint64_t> coeffs(n, Uninitialized{}, /*secret=*/true);
  AlignedBuffer<int8_t> sign(n, Uninitialized{}, /*secret=*/true);
  uint64_t bad = 0;  // no branch on a secret coefficient: flags are or-ed, decided at the end
  for (std::size_t i = 0; i < s.limbs(); ++i) {
    const uint64_t q = ctx.modulus(i).value();
    ntt::inverse(s.limb(i), coeffs.data(), ctx.ntt(i));
    for (std::size_t j = 0; j < n; ++j) {
      const uint64_t c = coeffs[j];
      const int8_t v = static_cast<int8_t>(static_cast<int>(c == 1) - static_cast<int>(c == q - 1));
      if (i == 0) sign[j] = v;  // the limb index is public
      bad |= static_cast<uint64_t>(!((c == 0) | (c == 1) | (c == q - 1))) | static_cast<uint64_t>(v != sign[j]);
    }
  }
  const bool ternary = bad == 0;
  if (!ternary)
    throw_format(api, "data", "is not a secret key of this library", "ternary coefficients, the same modulo every prime",
                 "other values");
}

}  // namespace

SecretKey load_secret_key(const Context& ctx, const std::string& data) {
  ByteReader r = open_checked(data, "SecretKey.from_bytes");
  Header h = expect(r, ctx, ObjectKind::SecretKey);
  const bool packed = h.minor >= 1;
  check_body(r, poly_bytes(ctx, ctx.q_count() + ctx.p_count(), packed, identity));
  SecretKey sk;
  sk.s = rns::RnsPoly(ctx.n(), ctx.qp_base(), rns::Form::Evaluation, /*secret=*/true);
  read_poly(r, sk.s, ctx, packed, identity);
  require_ternary(ctx, sk.s, r.api());
  sk.fingerprint = ctx.fingerprint();
  sk.key_id = h.key_id;
  return sk;
}

}  // namespace ppml::rlwe
