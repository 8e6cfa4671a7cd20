// 64x64 -> 128-bit helpers.
#pragma once

#include <cstdint>

namespace ppml::math {

using u128 = unsigned __int128;

inline uint64_t mul_hi(uint64_t a, uint64_t b) { return static_cast<uint64_t>((static_cast<u128>(a) * b) >> 64); }

}  // namespace ppml::math
