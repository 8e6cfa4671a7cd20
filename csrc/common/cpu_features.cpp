#include "common/cpu_features.hpp"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace ppml {

std::vector<std::string> CpuFeatures::names() const {
  std::vector<std::string> out;
  if (avx2) out.push_back("avx2");
  if (bmi2) out.push_back("bmi2");
  if (avx512f) out.push_back("avx512f");
  if (avx512dq) out.push_back("avx512dq");
  if (avx512vl) out.push_back("avx512vl");
  if (avx512bw) out.push_back("avx512bw");
  if (avx512ifma) out.push_back("avx512ifma");
  if (avx512vbmi) out.push_back("avx512vbmi");
  if (aes) out.push_back("aes");
  if (vaes) out.push_back("vaes");
  return out;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(_M_X64)
    // libgcc's detector also checks that the OS saves the wide registers (XGETBV).
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2");
    f.bmi2 = __builtin_cpu_supports("bmi2");
    f.avx512f = __builtin_cpu_supports("avx512f");
    f.avx512dq = __builtin_cpu_supports("avx512dq");
    f.avx512vl = __builtin_cpu_supports("avx512vl");
    f.avx512bw = __builtin_cpu_supports("avx512bw");
    f.avx512ifma = __builtin_cpu_supports("avx512ifma");
    f.avx512vbmi = __builtin_cpu_supports("avx512vbmi");
    // AES-NI and VAES from CPUID directly (not every compiler's detector knows "vaes");
    // VAES on zmm is only used when avx512f (OS-saved zmm state) is also present.
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d)) f.aes = (c >> 25) & 1;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) f.vaes = (c >> 9) & 1;
#endif
    return f;
  }();
  return features;
}

std::vector<std::string> compiled_backends() {
  std::vector<std::string> out{"scalar"};
#ifdef PPML_BUILD_AVX2
  out.push_back("avx2");
#endif
#ifdef PPML_BUILD_AVX512
  out.push_back("avx512");
#endif
#ifdef PPML_BUILD_AVX512IFMA
  out.push_back("avx512ifma");
#endif
  return out;
}

}  // namespace ppml
