#include "he/rlwe/prime_chain.hpp"

#include <map>

#include "math/primes.hpp"

namespace ppml::rlwe {

std::vector<uint64_t> select_primes(uint64_t n, const std::vector<int>& bit_sizes) {
  std::map<int, int> count;
  for (int b : bit_sizes) ++count[b];
  std::map<int, std::vector<uint64_t>> pool;
  for (const auto& [bits, c] : count) pool[bits] = math::find_ntt_primes(bits, n, c);
  std::map<int, std::size_t> next;
  std::vector<uint64_t> out;
  for (int b : bit_sizes) out.push_back(pool[b][next[b]++]);
  return out;
}

}  // namespace ppml::rlwe
