#include "common/cpu_features.hpp"

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
