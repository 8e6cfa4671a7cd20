// Run-time choice of the SIMD backend shared by all kernels (NTT, element-wise, samplers).
// The override comes from PYPPML_BACKEND=auto|scalar|avx2|avx512 or from set_backend().
#pragma once

#include <string>
#include <vector>

namespace ppml {

enum class Backend : int { Auto = 0, Scalar = 1, Avx2 = 2, Avx512 = 3 };

// Backends that are both compiled in and supported by this CPU ("scalar" always).
// "avx512" requires AVX-512 F/DQ/VL/BW; its IFMA52 variant is used for q < 2^50 when
// the CPU has AVX-512 IFMA.
std::vector<std::string> available_backends();

// Current override (Auto unless set). Thread-safe.
Backend requested_backend();

// Set the override; throws ParameterError for an unknown or unavailable name.
void set_backend(const std::string& name);
std::string backend_name(Backend b);

// The backend a kernel should use: the override if set, else the best available.
Backend effective_backend();

// True when the AVX-512 IFMA52 instructions may be used (compiled in, CPU has them,
// override allows avx512).
bool ifma_enabled();

}  // namespace ppml
