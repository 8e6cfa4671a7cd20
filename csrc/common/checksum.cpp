#include "common/checksum.hpp"

#include <cstring>

namespace ppml {
namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// One word into one lane: x -> rotl(lane + w * P2, 31) * P1 is a bijection of the lane for
// a fixed word, so two inputs differing in one word leave that lane different.
inline uint64_t absorb(uint64_t lane, uint64_t word) { return rotl(lane + word * kPrime2, 31) * kPrime1; }

inline uint64_t load_le64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian hosts only (x86-64, AArch64), as the format is
  return v;
}

inline uint64_t avalanche(uint64_t h) {
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

}  // namespace

uint64_t checksum64(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t lane[4] = {kPrime1 + kPrime2, kPrime2, 0, 0 - kPrime1};
  std::size_t i = 0;
  for (; i + 32 <= bytes; i += 32)
    for (int k = 0; k < 4; ++k) lane[k] = absorb(lane[k], load_le64(p + i + 8 * k));
  uint64_t h = rotl(lane[0], 1) + rotl(lane[1], 7) + rotl(lane[2], 12) + rotl(lane[3], 18);
  for (int k = 0; k < 4; ++k) h = (h ^ absorb(0, lane[k])) * kPrime1 + kPrime3;
  h += static_cast<uint64_t>(bytes);
  for (; i + 8 <= bytes; i += 8) h = rotl(h ^ absorb(0, load_le64(p + i)), 27) * kPrime1 + kPrime3;
  for (; i < bytes; ++i) h = rotl(h ^ (static_cast<uint64_t>(p[i]) * kPrime3), 11) * kPrime1;
  return avalanche(h);
}

}  // namespace ppml
