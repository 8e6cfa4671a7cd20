#include "he/rlwe/object_format.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "common/checksum.hpp"

namespace ppml::rlwe::format {

namespace {

constexpr char kMagic[4] = {'P', 'P', 'M', 'L'};

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

}  // namespace

std::size_t begin(ByteWriter& w, ObjectKind kind, uint8_t scheme, uint64_t fingerprint, uint64_t key_id,
                  uint8_t minor) {
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

int row_bits(const Context& ctx, std::size_t prime_index) {
  const uint64_t q = ctx.modulus(prime_index).value();
  return 64 - __builtin_clzll(q);  // q < 2^bits, so every coefficient fits
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

}  // namespace ppml::rlwe::format
