// pybind11 module pyppml._core: registers the exception types and each layer's bindings.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/registry.hpp"
#include "common/backend.hpp"
#include "common/cpu_features.hpp"
#include "common/errors.hpp"

namespace py = pybind11;

#ifndef PPML_VERSION_INFO
#define PPML_VERSION_INFO "dev"
#endif

#ifdef PPML_DP
namespace ppml::bindings {
void init_ldp(py::module_& m);  // bindings/ldp.cpp (local DP)
}
#endif

PYBIND11_MODULE(_core, m) {
  m.doc() = "pyppml native core";
  m.attr("__version__") = PPML_VERSION_INFO;
  m.attr("compiler") = PPML_COMPILER;
  m.attr("build_flags") = PPML_BUILD_FLAGS;

  auto parameter_error = py::register_exception<ppml::ParameterError>(m, "ParameterError", PyExc_ValueError);
  py::register_exception<ppml::MismatchError>(m, "MismatchError", PyExc_ValueError);
  py::register_exception<ppml::FormatError>(m, "FormatError", PyExc_ValueError);
  (void)parameter_error;

  m.def("cpu_features", [] { return ppml::cpu_features().names(); }, "CPU features found at run time.");
  m.def("compiled_backends", &ppml::compiled_backends, "SIMD backends compiled into this build.");
  m.def("available_backends", &ppml::available_backends,
        "Backends usable here: compiled in and supported by the CPU.");
  m.def("set_backend", &ppml::set_backend, py::arg("name"),
        "Force a backend ('auto', 'scalar', 'avx2', 'avx512') for every kernel.");
  m.def("get_backend", [] { return ppml::backend_name(ppml::requested_backend()); });
  m.def("effective_backend", [] { return ppml::backend_name(ppml::effective_backend()); });
  m.def("ifma_enabled", &ppml::ifma_enabled);

  ppml::bindings::register_all(m);
#ifdef PPML_DP
  ppml::bindings::init_ldp(m);
#endif
}
