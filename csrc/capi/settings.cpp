// C ABI of the library's process-wide settings: which kernels run (backend) and how many
// threads the parallel kernels use. This library holds its own copy of both, separate from
// the Python module's (pyppml.set_num_threads, pyppml.ring.set_backend).
#include "capi/boundary.hpp"
#include "common/backend.hpp"
#include "common/thread_pool.hpp"

extern "C" {

int ppml_set_backend(const char* name) {
  return ppml::capi::guard("ppml_set_backend", [&] {
    ppml::capi::require_pointer("ppml_set_backend", "name", name);
    ppml::set_backend(name);  // ParameterError for an unknown or unavailable name
  });
}

const char* ppml_backend(void) {
  const char* name = "";
  ppml::capi::guard("ppml_backend", [&] {
    switch (ppml::effective_backend()) {  // throws while PYPPML_BACKEND names no usable backend
      case ppml::Backend::Avx512: name = "avx512"; break;
      case ppml::Backend::Avx2: name = "avx2"; break;
      default: name = "scalar";
    }
  });
  return name;
}

int ppml_set_num_threads(int n) {
  return ppml::capi::guard("ppml_set_num_threads", [&] { ppml::set_num_threads(n); });
}

int ppml_get_num_threads(void) {
  ppml::capi::clear_error();
  return ppml::num_threads();
}

}  // extern "C"
