// Exact rational Bernoulli trials and CKS's Bernoulli(exp(-x)) [CKS20, Algorithm 1].
#include "dp/bernoulli.hpp"

namespace ppml::dp {

bool bernoulli_rational(RandomBits& bits, u128 num, u128 den) {
  if (num >= den) return true;
  // Invariant: p = (r / den) * 2^-i is what remains of num/den after i compared bits, and
  // U's first i bits equal p's; the first differing bit decides U < p.
  u128 r = num;
  for (;;) {
    if (r == 0) return false;  // p's remaining bits are all 0: U >= p almost surely
    uint64_t word = bits.u64();
    for (int i = 0; i < 64; ++i) {
      r <<= 1;  // r < den < 2^127, no overflow
      bool pbit = r >= den;
      if (pbit) r -= den;
      bool ubit = (word >> i) & 1;
      if (ubit != pbit) return pbit;  // U's bit 0 where p's is 1 -> U < p
      if (r == 0) return false;
    }
  }
}

namespace {

// x = xn/xd in [0, 1].
bool bernoulli_exp_unit(RandomBits& bits, u128 xn, u128 xd) {
  // K = first k with Bernoulli(x/k) = 0; P(K odd) = exp(-x).
  u128 k = 1;
  for (;;) {
    if (!bernoulli_rational(bits, xn, xd * k)) return (k & 1) == 1;
    ++k;
  }
}

}  // namespace

bool bernoulli_exp(RandomBits& bits, u128 xn, u128 xd) {
  if (xn <= xd) return bernoulli_exp_unit(bits, xn, xd);
  u128 whole = xn / xd;
  for (u128 i = 0; i < whole; ++i)
    if (!bernoulli_exp_unit(bits, 1, 1)) return false;
  return bernoulli_exp_unit(bits, xn % xd, xd);
}

}  // namespace ppml::dp
