// Serialization of keys: key-switching (relinearization) keys, Galois keys and the secret
// key, in the format of serialization.hpp.
#include <string>

#include "common/aligned_buffer.hpp"
#include "he/rlwe/key_expansion.hpp"
#include "he/rlwe/object_format.hpp"
#include "he/rlwe/serialization.hpp"
#include "ntt/ntt.hpp"

namespace ppml::rlwe {

using namespace format;

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
