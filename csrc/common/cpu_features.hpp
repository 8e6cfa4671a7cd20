// CPU feature detection, done once, used by every kernel dispatcher.
#pragma once

#include <string>
#include <vector>

namespace ppml {

struct CpuFeatures {
  bool avx2 = false;
  bool bmi2 = false;
  bool avx512f = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512bw = false;
  bool avx512ifma = false;
  bool avx512vbmi = false;  // byte permutes (vpermb)
  bool aes = false;   // AES-NI (CPUID.1:ECX[25])
  bool vaes = false;  // VAES, AES on ymm/zmm lanes (CPUID.7.0:ECX[9])
  // Names of the features found, for `pyppml info`.
  std::vector<std::string> names() const;
};

// Features of the running CPU (and enabled by the OS), detected on first use.
const CpuFeatures& cpu_features();

// Backends compiled into this build: subset of {"scalar","avx2","avx512","avx512ifma"}.
std::vector<std::string> compiled_backends();

}  // namespace ppml
