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

Backend parse(const std::string& name, const char* api, const char* arg) {
  if (name == "auto" || name.empty()) return Backend::Auto;
  if (name == "scalar") return Backend::Scalar;
  if (name == "avx2") return Backend::Avx2;
  if (name == "avx512") return Backend::Avx512;
  throw_parameter(api, arg, "is unknown", "one of auto, scalar, avx2, avx512", "'" + name + "'");
}

Backend checked(const std::string& name, const char* api = "set_backend", const char* arg = "name") {
  Backend b = parse(name, api, arg);
  if (b != Backend::Auto && !available(b)) {
    std::string avail;
    for (const auto& s : available_backends()) avail += (avail.empty() ? "" : ", ") + s;
    throw_parameter(api, arg, "is not available on this machine or build", "one of " + avail, "'" + name + "'");
  }
  return b;
}

// An unusable PYPPML_BACKEND is remembered, not thrown while a static initializes (that
// escaped C ABI calls and aborted the process): every kernel call then refuses with the
// variable's name until set_backend() picks a backend.
constexpr int kInvalidEnv = -1;

std::atomic<int>& override_slot() {
  static std::atomic<int> slot([] {
    const char* env = std::getenv("PYPPML_BACKEND");
    if (!env) return static_cast<int>(Backend::Auto);
    try {
      return static_cast<int>(checked(env));
    } catch (const ParameterError&) {
      return kInvalidEnv;
    }
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

Backend requested_backend() {
  const int v = override_slot().load();
  if (v == kInvalidEnv) {
    const char* env = std::getenv("PYPPML_BACKEND");
    checked(env ? env : "?", "PYPPML_BACKEND", "value");  // throws, naming the variable
  }
  return static_cast<Backend>(v);
}

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
