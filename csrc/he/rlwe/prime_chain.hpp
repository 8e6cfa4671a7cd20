// Choice of the RNS primes from bit sizes, the way SEAL's CoeffModulus::Create does it
// (for each distinct size, the largest primes = 1 mod 2n below 2^size, handed out in
// order of appearance), so that the same bit sizes give the same chain as SEAL.
#pragma once

#include <cstdint>
#include <vector>

namespace ppml::rlwe {

std::vector<uint64_t> select_primes(uint64_t n, const std::vector<int>& bit_sizes);

}  // namespace ppml::rlwe
