#include "math/primes.hpp"

#include <algorithm>
#include <string>

#include "common/errors.hpp"
#include "math/modulus.hpp"

namespace ppml::math {
namespace {

uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) { return static_cast<uint64_t>(static_cast<u128>(a) * b % m); }

uint64_t powmod(uint64_t b, uint64_t e, uint64_t m) {
  uint64_t r = 1 % m;
  b %= m;
  while (e) {
    if (e & 1) r = mulmod(r, b, m);
    b = mulmod(b, b, m);
    e >>= 1;
  }
  return r;
}

bool is_power_of_two(uint64_t n) { return n && !(n & (n - 1)); }

}  // namespace

bool is_prime(uint64_t x) {
  if (x < 2) return false;
  static const uint64_t small[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
  for (uint64_t p : small) {
    if (x == p) return true;
    if (x % p == 0) return false;
  }
  uint64_t d = x - 1;
  int s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++s;
  }
  for (uint64_t a : small) {
    uint64_t y = powmod(a, d, x);
    if (y == 1 || y == x - 1) continue;
    bool composite = true;
    for (int r = 1; r < s; ++r) {
      y = mulmod(y, y, x);
      if (y == x - 1) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

void check_ring_degree(const char* api, uint64_t n, uint64_t min_n) {
  if (!is_power_of_two(n) || n < min_n || n > (uint64_t{1} << 17))
    throw_parameter(api, "n", "is not a supported ring degree",
                    "a power of two in [" + std::to_string(min_n) + ", 131072]", n);
}

void check_ntt_prime(const char* api, uint64_t n, uint64_t q) {
  if (q >= (uint64_t{1} << kMaxModulusBits))
    throw_parameter(api, "q", "is too large", "q < 2^61", q);
  if (!is_prime(q)) throw_parameter(api, "q", "is not prime", "a prime q = 1 mod 2n", q);
  if (q % (2 * n) != 1)
    throw_parameter(api, "q", "is not NTT-friendly", "q = 1 mod " + std::to_string(2 * n), q);
}

std::vector<uint64_t> find_ntt_primes(int bit_size, uint64_t n, int count, const std::vector<uint64_t>& exclude) {
  check_ring_degree("find_ntt_primes", n, 1);
  uint64_t two_n = 2 * n;
  int min_bits = 64 - __builtin_clzll(two_n) + 1;
  if (bit_size < min_bits || bit_size > kMaxModulusBits)
    throw_parameter("find_ntt_primes", "bit_size", "is out of range",
                    "an integer in [" + std::to_string(min_bits) + ", 61] for n = " + std::to_string(n), bit_size);
  if (count < 0) throw_parameter("find_ntt_primes", "count", "is negative", "count >= 0", count);
  std::vector<uint64_t> out;
  uint64_t upper = uint64_t{1} << bit_size;
  uint64_t lower = uint64_t{1} << (bit_size - 1);
  uint64_t q = upper - two_n + 1;
  while (static_cast<int>(out.size()) < count && q > lower) {
    if (is_prime(q) && std::find(exclude.begin(), exclude.end(), q) == exclude.end()) out.push_back(q);
    q -= two_n;
  }
  if (static_cast<int>(out.size()) < count)
    throw_parameter("find_ntt_primes", "count", "is more than the primes available",
                    "at most " + std::to_string(out.size()) + " primes of " + std::to_string(bit_size) +
                        " bits = 1 mod " + std::to_string(two_n),
                    count);
  return out;
}

uint64_t minimal_primitive_root(uint64_t two_n, uint64_t q) {
  if (!is_prime(q)) throw_parameter("minimal_primitive_root", "q", "is not prime", "a prime", q);
  if (two_n < 2 || !is_power_of_two(two_n) || (q - 1) % two_n != 0)
    throw_parameter("minimal_primitive_root", "q", "has no primitive root of this order",
                    "q = 1 mod " + std::to_string(two_n), q);
  uint64_t cofactor = (q - 1) / two_n;
  uint64_t root = 0;
  // A candidate g^((q-1)/2n) is primitive iff its (n)-th power is -1.
  for (uint64_t g = 2; g < q; ++g) {
    uint64_t r = powmod(g, cofactor, q);
    if (powmod(r, two_n / 2, q) == q - 1) {
      root = r;
      break;
    }
  }
  // All primitive roots are root^k for odd k; take the smallest for reproducibility.
  uint64_t best = root, step = mulmod(root, root, q), cur = root;
  for (uint64_t k = 3; k < two_n; k += 2) {
    cur = mulmod(cur, step, q);
    best = std::min(best, cur);
  }
  return best;
}

}  // namespace ppml::math
