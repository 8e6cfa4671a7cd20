// Fixed-width bit packing. Hot path: groups of 8 values, which fill exactly `bits` bytes, by
// a kernel instantiated per width (1..64), so every byte offset and shift in it is a constant
// (one 8-byte window load or store, one immediate shift and one mask per value, no branch).
// The last few values go through a byte-exact path that never touches a byte past either
// buffer's end. Portable C++ (no ISA-specific code): the compiler sees constant shifts.
#include "common/fixed_width_packing.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "common/errors.hpp"

namespace ppml {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the 8-byte window loads and stores assume a little-endian host");

using u128 = unsigned __int128;

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline void store64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

constexpr uint64_t low_mask(int bits) { return bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

// ---- Per-width group kernels -------------------------------------------------------------
// A group is 8 values = 8 * B bits = B bytes, so every group starts on a byte boundary and
// value k of a group sits at the constant bit offset k * B from the group's first byte.
// The window of a group: its 8-byte loads / stores reach byte 7B/8 + 8 (+1 for the ninth
// byte when a value straddles 9 bytes), so group kernels only run where that is in bounds.

constexpr std::size_t group_window(int bits) { return static_cast<std::size_t>(7 * bits / 8 + 9); }

// Value K of the group at g.
template <int B, int K>
inline uint64_t extract(const uint8_t* g) {
  constexpr int pos = K * B, byte = pos / 8, s = pos % 8;
  constexpr uint64_t mask = low_mask(B);
  if constexpr (s + B <= 64) {
    return (load64(g + byte) >> s) & mask;
  } else {  // 65..71 bits: 8 bytes plus the ninth (s >= 1 here)
    return ((load64(g + byte) >> s) | (uint64_t{g[byte + 8]} << (64 - s))) & mask;
  }
}

// Writes value K of the group at g. `pending` holds the stream bits below K * B that are not
// yet in a completed byte ((K * B) % 8 of them); bytes stored past the completed ones are
// rewritten by the next store.
template <int B, int K>
inline void deposit(uint8_t* g, uint64_t v, uint64_t& pending) {
  constexpr int pos = K * B, byte = pos / 8, s = pos % 8, completed = (pos + B) / 8 - byte;
  if constexpr (s + B <= 64) {
    pending |= v << s;
    store64(g + byte, pending);
    if constexpr (completed == 8) {
      pending = 0;
    } else {
      pending >>= 8 * completed;
    }
  } else {  // the low 64 bits complete 8 bytes; s + B - 64 bits carry over (s >= 1 here)
    store64(g + byte, pending | (v << s));
    pending = v >> (64 - s);
  }
}

template <int B, std::size_t... K>
inline void unpack_group(const uint8_t* g, uint64_t* out, std::index_sequence<K...>) {
  ((out[K] = extract<B, K>(g)), ...);
}

// OR over the group of (q1 - v) | v: its top bit is set iff some v > q1 (q1 < 2^63).
template <int B, std::size_t... K>
inline uint64_t check_group(const uint8_t* g, uint64_t q1, std::index_sequence<K...>) {
  uint64_t bad = 0;
  ((bad |= (q1 - extract<B, K>(g)) | (B == 64 ? extract<B, K>(g) : 0)), ...);
  return bad;
}

// a, v < q < 2^63, so a + v < 2^64: one conditional subtraction (compiled to a select).
inline uint64_t add_mod(uint64_t a, uint64_t v, uint64_t q) {
  const uint64_t s = a + v;
  return s >= q ? s - q : s;
}

template <int B, std::size_t... K>
inline void accumulate_group(const uint8_t* g, uint64_t* acc, uint64_t q, std::index_sequence<K...>) {
  ((acc[K] = add_mod(acc[K], extract<B, K>(g), q)), ...);
}

template <int B, std::size_t... K>
inline void pack_group(const uint64_t* in, uint8_t* g, std::index_sequence<K...>) {
  uint64_t pending = 0;
  (deposit<B, K>(g, in[K], pending), ...);
}

using Seq8 = std::make_index_sequence<8>;

struct GroupKernels {
  void (*unpack)(const uint8_t* in, std::size_t groups, uint64_t* out);
  uint64_t (*check)(const uint8_t* in, std::size_t groups, uint64_t q1);
  void (*accumulate)(const uint8_t* in, std::size_t groups, uint64_t* acc, uint64_t q);
  void (*pack)(const uint64_t* in, std::size_t groups, uint8_t* out);
};

template <int B>
struct Width {
  static void unpack(const uint8_t* in, std::size_t groups, uint64_t* out) {
    for (std::size_t i = 0; i < groups; ++i, in += B, out += 8) unpack_group<B>(in, out, Seq8{});
  }
  static uint64_t check(const uint8_t* in, std::size_t groups, uint64_t q1) {
    uint64_t bad = 0;
    for (std::size_t i = 0; i < groups; ++i, in += B) bad |= check_group<B>(in, q1, Seq8{});
    return bad;
  }
  static void accumulate(const uint8_t* in, std::size_t groups, uint64_t* acc, uint64_t q) {
    for (std::size_t i = 0; i < groups; ++i, in += B, acc += 8) accumulate_group<B>(in, acc, q, Seq8{});
  }
  static void pack(const uint64_t* in, std::size_t groups, uint8_t* out) {
    for (std::size_t i = 0; i < groups; ++i, in += 8, out += B) pack_group<B>(in, out, Seq8{});
  }
};

template <std::size_t... I>
constexpr std::array<GroupKernels, sizeof...(I)> make_table(std::index_sequence<I...>) {
  return {{GroupKernels{&Width<int(I) + 1>::unpack, &Width<int(I) + 1>::check, &Width<int(I) + 1>::accumulate,
                        &Width<int(I) + 1>::pack}...}};
}

// kGroupKernels[bits - 1], bits in [1, 64].
constexpr std::array<GroupKernels, 64> kGroupKernels = make_table(std::make_index_sequence<64>{});

// Whole groups whose window lies inside a stream of nbytes bytes (count values in all).
// No overflow: nbytes = packed_size(count, bits), so 8 * nbytes <= count * bits + 7.
std::size_t fast_groups(std::size_t nbytes, int bits, std::size_t count) {
  const std::size_t window = group_window(bits);
  if (nbytes < window) return 0;
  return std::min(count / 8, (nbytes - window) / static_cast<std::size_t>(bits) + 1);
}

// ---- Byte-exact paths for the last values (and the reference shape of the format) -----------

// Calls f(i, v_i) for i = first .. count - 1.
template <typename F>
void for_each_tail(const uint8_t* in, std::size_t nbytes, int bits, std::size_t first, std::size_t count, F&& f) {
  const uint64_t mask = low_mask(bits);
  const std::size_t step = static_cast<std::size_t>(bits);
  for (std::size_t i = first, pos = first * step; i < count; ++i, pos += step) {
    uint8_t w[16] = {};  // the value's (at most 9) bytes, zero past the end of the stream
    std::memcpy(w, in + pos / 8, std::min<std::size_t>(9, nbytes - pos / 8));
    const unsigned s = pos % 8;
    // `<< 1 << (63 - s)` is `<< (64 - s)` without the undefined shift by 64 when s = 0.
    f(i, ((load64(w) >> s) | (uint64_t{w[8]} << 1 << (63 - s))) & mask);
  }
}

// Packs in[first .. count) into the bytes from out + first * bits / 8 (a byte boundary).
void pack_tail(const uint64_t* in, std::size_t first, std::size_t count, int bits, uint8_t* out) {
  uint8_t* o = out + first * static_cast<std::size_t>(bits) / 8;
  u128 buf = 0;    // pending bits, the lowest at o
  unsigned nb = 0;  // < 8 between values
  for (std::size_t i = first; i < count; ++i) {
    buf |= static_cast<u128>(in[i]) << nb;
    for (nb += static_cast<unsigned>(bits); nb >= 8; nb -= 8) {
      *o++ = static_cast<uint8_t>(buf);
      buf >>= 8;
    }
  }
  if (nb != 0) *o = static_cast<uint8_t>(buf);  // its padding bits are zero
}

// ---- Argument checks ----------------------------------------------------------------------

std::size_t checked_size(const char* api, std::size_t count, int bits) {
  if (bits < 1 || bits > 64) throw_parameter(api, "bits", "is out of range", "1 <= bits <= 64", bits);
  const std::size_t b = static_cast<std::size_t>(bits);
  const std::size_t max_count = (std::numeric_limits<std::size_t>::max() - 7) / b;
  if (count > max_count)
    throw_parameter(api, "count", "is too large",
                    "count <= " + std::to_string(max_count) + " for " + std::to_string(bits) + "-bit values", count);
  return (count * b + 7) / 8;
}

// Length and padding of a packed stream (FormatError); also checks bits and count.
void check_stream(const char* api, const uint8_t* in, std::size_t nbytes, int bits, std::size_t count) {
  const std::size_t expected = checked_size(api, count, bits);
  if (nbytes != expected)
    throw_format(api, "data", "has the wrong length",
                 std::to_string(expected) + " bytes for " + std::to_string(count) + " values of " +
                     std::to_string(bits) + " bits",
                 std::to_string(nbytes) + " bytes");
  const unsigned used = static_cast<unsigned>((count * static_cast<std::size_t>(bits)) % 8);
  if (used != 0 && (in[nbytes - 1] >> used) != 0)
    throw_format(api, "data", "has non-zero padding bits",
                 "the top " + std::to_string(8 - used) + " bits of the last byte zero",
                 "last byte " + std::to_string(in[nbytes - 1]));
}

}  // namespace

std::size_t packed_size(std::size_t count, int bits, const char* api) { return checked_size(api, count, bits); }

void pack_fixed_width(const uint64_t* in, std::size_t count, int bits, uint8_t* out) {
  const char* api = "pack_fixed_width";
  const std::size_t nbytes = checked_size(api, count, bits);
  if (bits < 64) {
    uint64_t any = 0;  // OR of all values: some value >= 2^bits iff a bit >= bits is set
    for (std::size_t i = 0; i < count; ++i) any |= in[i];
    if (any >> bits)
      for (std::size_t i = 0; i < count; ++i)
        if (in[i] >> bits)
          throw_parameter(api, "values", "has a value too wide", "every value < 2^" + std::to_string(bits),
                          std::to_string(in[i]) + " at index " + std::to_string(i));
  }
  const std::size_t groups = fast_groups(nbytes, bits, count);
  kGroupKernels[bits - 1].pack(in, groups, out);
  pack_tail(in, 8 * groups, count, bits, out);
}

void check_packed_stream(const uint8_t* in, std::size_t nbytes, int bits, std::size_t count, const char* api) {
  check_stream(api, in, nbytes, bits, count);
}

void unpack_fixed_width(const uint8_t* in, std::size_t nbytes, int bits, std::size_t count, uint64_t* out) {
  check_stream("unpack_fixed_width", in, nbytes, bits, count);
  const std::size_t groups = fast_groups(nbytes, bits, count);
  kGroupKernels[bits - 1].unpack(in, groups, out);
  for_each_tail(in, nbytes, bits, 8 * groups, count, [out](std::size_t i, uint64_t v) { out[i] = v; });
}

void unpack_groups(const uint8_t* in, int bits, std::size_t groups, uint64_t* out) {
  kGroupKernels[bits - 1].unpack(in, groups, out);
}

void accumulate_packed_mod(uint64_t* acc, std::size_t count, const uint8_t* in, std::size_t nbytes, int bits,
                           uint64_t modulus) {
  const char* api = "accumulate_packed_mod";
  checked_size(api, count, bits);
  if (modulus < 2 || (modulus >> 63) != 0)
    throw_parameter(api, "modulus", "is out of range", "2 <= modulus < 2^63", modulus);
  check_stream(api, in, nbytes, bits, count);
  const auto acc_begin = reinterpret_cast<std::uintptr_t>(acc);
  const auto in_begin = reinterpret_cast<std::uintptr_t>(in);
  if (count != 0 && acc_begin < in_begin + nbytes && in_begin < acc_begin + count * sizeof(uint64_t))
    throw_parameter(api, "acc", "overlaps the packed bytes", "separate buffers", "overlapping ones");

  // Validation pass: nothing is written until every input is known to be below modulus.
  // A top bit set in (q1 - x) | x means x > q1 = modulus - 1 (modulus < 2^63).
  const uint64_t q1 = modulus - 1;
  const std::size_t groups = fast_groups(nbytes, bits, count);
  const GroupKernels& kernels = kGroupKernels[bits - 1];
  // When 2^bits <= modulus every packed value is below modulus by construction.
  if (!(bits < 64 && (uint64_t{1} << bits) <= modulus)) {
    uint64_t bad = kernels.check(in, groups, q1);
    for_each_tail(in, nbytes, bits, 8 * groups, count, [&](std::size_t, uint64_t v) { bad |= (q1 - v) | v; });
    if (bad >> 63) {
      std::size_t index = count;
      uint64_t value = 0;
      for_each_tail(in, nbytes, bits, 0, count, [&](std::size_t i, uint64_t v) {
        if (v > q1 && index == count) index = i, value = v;
      });
      throw_format(api, "data", "has a value out of range", "every value < modulus = " + std::to_string(modulus),
                   std::to_string(value) + " at index " + std::to_string(index));
    }
  }
  uint64_t bad = 0;
  for (std::size_t i = 0; i < count; ++i) bad |= (q1 - acc[i]) | acc[i];
  if (bad >> 63)
    for (std::size_t i = 0; i < count; ++i)
      if (acc[i] > q1)
        throw_parameter(api, "acc", "has a value out of range", "every value < modulus = " + std::to_string(modulus),
                        std::to_string(acc[i]) + " at index " + std::to_string(i));

  kernels.accumulate(in, groups, acc, modulus);
  for_each_tail(in, nbytes, bits, 8 * groups, count,
                [acc, modulus](std::size_t i, uint64_t v) { acc[i] = add_mod(acc[i], v, modulus); });
}

}  // namespace ppml
