// Picks the NTT kernel from the CPU, the backend override and the modulus size.
#include "common/backend.hpp"
#include "ntt/ntt.hpp"

#include <cstring>

namespace ppml::ntt {
namespace {

enum class Kernel { Scalar, Avx2, Avx512, Avx512Ifma };

Kernel choose(const NttTables& t) {
  Backend b = effective_backend();
  (void)b;  // unused when no SIMD kernel is compiled in
#if defined(PPML_HAVE_NTT_AVX512) || defined(PPML_HAVE_NTT_AVX512IFMA)
  if (b == Backend::Avx512 && t.n() >= 16) {
#ifdef PPML_HAVE_NTT_AVX512IFMA
    if (ifma_enabled() && t.q() < kIfmaMaxModulus) return Kernel::Avx512Ifma;
#endif
#ifdef PPML_HAVE_NTT_AVX512
    return Kernel::Avx512;
#endif
  }
#endif
#ifdef PPML_HAVE_NTT_AVX2
  if ((b == Backend::Avx2 || b == Backend::Avx512) && t.n() >= 8) return Kernel::Avx2;
#endif
  return Kernel::Scalar;
}

}  // namespace

std::string kernel_name(const NttTables& t) {
  switch (choose(t)) {
    case Kernel::Avx2:
      return "avx2";
    case Kernel::Avx512:
      return "avx512";
    case Kernel::Avx512Ifma:
      return "avx512ifma";
    default:
      return "scalar";
  }
}

void forward_inplace(uint64_t* a, const NttTables& t) {
  switch (choose(t)) {
#ifdef PPML_HAVE_NTT_AVX2
    case Kernel::Avx2:
      return detail::forward_avx2(a, t);
#endif
#ifdef PPML_HAVE_NTT_AVX512
    case Kernel::Avx512:
      return detail::forward_avx512(a, t);
#endif
#ifdef PPML_HAVE_NTT_AVX512IFMA
    case Kernel::Avx512Ifma:
      return detail::forward_avx512ifma(a, t);
#endif
    default:
      return detail::forward_scalar(a, t);
  }
}

void forward(const uint64_t* in, uint64_t shift, uint64_t* out, const NttTables& t) {
  switch (choose(t)) {
#ifdef PPML_HAVE_NTT_AVX512
    case Kernel::Avx512:
      return detail::forward_avx512_from(in, shift, out, t);
#endif
#ifdef PPML_HAVE_NTT_AVX512IFMA
    case Kernel::Avx512Ifma:
      return detail::forward_avx512ifma_from(in, shift, out, t);
#endif
    default: {
      const uint64_t q = t.q();
      for (uint64_t k = 0; k < t.n(); ++k) {
        uint64_t x = in[k] + shift;  // < 3q
        if (x >= q) x -= q;
        out[k] = x >= q ? x - q : x;
      }
      return forward_inplace(out, t);
    }
  }
}

void inverse(const uint64_t* in, uint64_t* out, const NttTables& t) {
  switch (choose(t)) {
#ifdef PPML_HAVE_NTT_AVX512
    case Kernel::Avx512:
      return detail::inverse_avx512_from(in, out, t);
#endif
#ifdef PPML_HAVE_NTT_AVX512IFMA
    case Kernel::Avx512Ifma:
      return detail::inverse_avx512ifma_from(in, out, t);
#endif
    default:
      if (in != out) std::memcpy(out, in, t.n() * sizeof(uint64_t));
      return inverse_inplace(out, t);
  }
}

void inverse_inplace(uint64_t* a, const NttTables& t) {
  switch (choose(t)) {
#ifdef PPML_HAVE_NTT_AVX2
    case Kernel::Avx2:
      return detail::inverse_avx2(a, t);
#endif
#ifdef PPML_HAVE_NTT_AVX512
    case Kernel::Avx512:
      return detail::inverse_avx512(a, t);
#endif
#ifdef PPML_HAVE_NTT_AVX512IFMA
    case Kernel::Avx512Ifma:
      return detail::inverse_avx512ifma(a, t);
#endif
    default:
      return detail::inverse_scalar(a, t);
  }
}

}  // namespace ppml::ntt
