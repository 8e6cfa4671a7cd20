// Deterministic primality for 64-bit integers, NTT-friendly prime search (q = 1 mod 2n)
// and primitive 2n-th roots of unity.
#pragma once

#include <cstdint>
#include <vector>

namespace ppml::math {

// Deterministic Miller-Rabin (bases 2..37 cover every 64-bit integer).
bool is_prime(uint64_t x);

// The `count` largest distinct primes q < 2^bit_size with q = 1 mod 2n and
// q > 2^(bit_size-1) (so each has exactly bit_size bits), largest first, skipping any in
// `exclude`. Throws ParameterError when n is not a power of two, bit_size is outside
// [log2(2n)+2, 61], or not enough primes exist.
std::vector<uint64_t> find_ntt_primes(int bit_size, uint64_t n, int count,
                                      const std::vector<uint64_t>& exclude = {});

// The smallest primitive 2n-th root of unity modulo the prime q (q = 1 mod 2n).
// Throws ParameterError if q is not prime or q != 1 mod 2n.
uint64_t minimal_primitive_root(uint64_t two_n, uint64_t q);

// Validates n as a ring degree: a power of two in [2^1, 2^17]. Throws ParameterError.
void check_ring_degree(const char* api, uint64_t n, uint64_t min_n = 2);

// Validates q as an NTT prime for degree n: prime, q = 1 mod 2n, q < 2^61.
void check_ntt_prime(const char* api, uint64_t n, uint64_t q);

}  // namespace ppml::math
