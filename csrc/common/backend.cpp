#include "common/backend.hpp"

#include <atomic>
#include <cstdlib>

#include "common/cpu_features.hpp"
#include "common/errors.hpp"

namespace ppml {
namespace {

bool compiled(Backend b) {
  switch (b) {
    case Backend::Scalar:
      return true;
#ifdef PPML_BUILD_AVX2
    case Backend::Avx2:
      return true;
#endif
#ifdef PPML_BUILD_AVX512
    case Backend::Avx512:
      return true;
#endif
    default:
      return false;
  }
}

bool supported(Backend b) {
  const CpuFeatures& f = cpu_features();
  switch (b) {
    case Backend::Scalar:
      return true;
    case Backend::Avx2:
      return f.avx2 && f.bmi2;
    case Backend::Avx512:
      return f.avx512f && f.avx512dq && f.avx512vl && f.avx512bw;
    default:
      return false;
  }
}

bool available(Backend b) { return compiled(b) && supported(b); }

Backend parse(const std::string& name) {
  if (name == "auto" || name.empty()) return Backend::Auto;
  if (name == "scalar") return Backend::Scalar;
  if (name == "avx2") return Backend::Avx2;
  if (name == "avx512") return Backend::Avx512;
  throw_parameter("set_backend", "name", "is unknown", "one of auto, scalar, avx2, avx512",
                  "'" + name + "'");
}

Backend checked(const std::string& name) {
  Backend b = parse(name);
  if (b != Backend::Auto && !available(b)) {
    std::string avail;
    for (const auto& s : available_backends()) avail += (avail.empty() ? "" : ", ") + s;
    throw_parameter("set_backend", "name", "is not available on this machine or build",
                    "one of " + avail, "'" + name + "'");
  }
  return b;
}

std::atomic<int>& override_slot() {
  static std::atomic<int> slot([] {
    const char* env = std::getenv("PYPPML_BACKEND");
    return static_cast<int>(env ? checked(env) : Backend::Auto);
  }());
  return slot;
}

}  // namespace

std::vector<std::string> available_backends() {
  std::vector<std::string> out;
  for (Backend b : {Backend::Scalar, Backend::Avx2, Backend::Avx512})
    if (available(b)) out.push_back(backend_name(b));
  return out;
}

std::string backend_name(Backend b) {
  switch (b) {
    case Backend::Auto:
      return "auto";
    case Backend::Scalar:
      return "scalar";
    case Backend::Avx2:
      return "avx2";
    case Backend::Avx512:
      return "avx512";
  }
  return "?";
}

Backend requested_backend() { return static_cast<Backend>(override_slot().load()); }

void set_backend(const std::string& name) { override_slot().store(static_cast<int>(checked(name))); }

Backend effective_backend() {
  Backend b = requested_backend();
  if (b != Backend::Auto) return b;
  if (available(Backend::Avx512)) return Backend::Avx512;
  if (available(Backend::Avx2)) return Backend::Avx2;
  return Backend::Scalar;
}

bool ifma_enabled() {
#ifdef PPML_BUILD_AVX512IFMA
  return effective_backend() == Backend::Avx512 && cpu_features().avx512ifma;
#else
  return false;
#endif
}

}  // namespace ppml
