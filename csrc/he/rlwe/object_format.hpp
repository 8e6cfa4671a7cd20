// The framing every serialized RLWE object shares (serialization.hpp describes the
// format): the header, the checksum trailer, the checks of a header against a context,
// and polynomial rows bit-packed at their prime's width. Internal to serialization.cpp
// (parameters, plaintexts, ciphertexts, public keys) and key_serialization.cpp
// (key-switching, Galois and secret keys).
#pragma once

#include <cstdint>
#include <string>

#include "common/fixed_width_packing.hpp"
#include "common/secure_zero.hpp"
#include "he/rlwe/byte_io.hpp"
#include "he/rlwe/context.hpp"
#include "he/rlwe/serialization.hpp"

namespace ppml::rlwe::format {

struct Header {
  ObjectKind kind;
  uint8_t scheme;
  uint8_t minor;
  uint64_t fingerprint, key_id, body;
};

// Writes the header with a zero body length; returns where finish() patches it.
std::size_t begin(ByteWriter& w, ObjectKind kind, uint8_t scheme, uint64_t fingerprint, uint64_t key_id,
                  uint8_t minor = kFormatMinor);
// Patches the body length and appends the checksum trailer.
std::string finish(ByteWriter& w, std::size_t length_at);
const char* kind_name(ObjectKind k);
// A reader over header and body once the trailer matches: foreign and older bytes get their
// own message first, then any corruption is refused before a field is trusted.
ByteReader open_checked(const std::string& data, const char* api);
Header read_header(ByteReader& r);
// read_header, then the kind, the parameters' fingerprint and the scheme against ctx.
Header expect(ByteReader& r, const Context& ctx, ObjectKind kind);
void check_body(ByteReader& r, uint64_t expected);
void check_scale(ByteReader& r, const Context& ctx, double scale);

// Polynomial rows: row i holds coefficients < prime `index(i)`, stored as n 64-bit words
// (format 2.0) or bit-packed at that prime's width (2.1 and later).
int row_bits(const Context& ctx, std::size_t prime_index);
inline std::size_t identity(std::size_t i) { return i; }

template <typename IndexOf>
inline std::size_t poly_bytes(const Context& ctx, std::size_t limbs, bool packed, IndexOf index) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < limbs; ++i)
    total += packed ? packed_size(ctx.n(), row_bits(ctx, index(i))) : ctx.n() * 8;
  return total;
}

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

}  // namespace ppml::rlwe::format
