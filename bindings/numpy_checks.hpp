// Argument checks for NumPy arrays crossing into the core: dtype, shape, contiguity,
// value range. Each failure is a ParameterError with the one-line message format.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "common/errors.hpp"

namespace ppml::bindings {

namespace py = pybind11;

inline std::string shape_text(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

inline std::string dtype_text(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// A C-contiguous, 8-byte-aligned uint64 array in native byte order; with `writable`, it
// must also be writable (in-place ops).
inline py::array_t<uint64_t> require_u64(const char* api, const char* arg, const py::handle& obj, bool writable) {
  if (!py::isinstance<py::array>(obj))
    throw_parameter(api, arg, "is not a NumPy array", "numpy.ndarray of dtype uint64",
                    py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
  py::array a = py::reinterpret_borrow<py::array>(obj);
  // Equivalence, not identity: an unpickled array carries its own uint64 dtype object.
  if (!py::detail::npy_api::get().PyArray_EquivTypes_(a.dtype().ptr(), py::dtype::of<uint64_t>().ptr()))
    throw_parameter(api, arg, "has the wrong dtype", "uint64", dtype_text(a));
  if (!(a.flags() & py::array::c_style))
    throw_parameter(api, arg, "is not C-contiguous", "a C-contiguous array", "strides that are not");
  // The kernels read whole words (and SIMD loads): a view at an odd byte offset is refused.
  if (a.size() > 0 && reinterpret_cast<std::uintptr_t>(a.data()) % alignof(uint64_t) != 0)
    throw_parameter(api, arg, "is not aligned", "a uint64 array aligned to 8 bytes (a.copy() is one)",
                    "data at address offset " + std::to_string(reinterpret_cast<std::uintptr_t>(a.data()) % alignof(uint64_t)));
  if (writable && !a.writeable())
    throw_parameter(api, arg, "is read-only", "a writable array for an in-place operation", "a read-only array");
  return py::reinterpret_borrow<py::array_t<uint64_t>>(a);
}

// Last axis must be n; returns the number of rows (product of the leading axes).
inline std::size_t require_last_axis(const char* api, const char* arg, const py::array& a, uint64_t n,
                                     int max_ndim = 2) {
  if (a.ndim() < 1 || a.ndim() > max_ndim || static_cast<uint64_t>(a.shape(a.ndim() - 1)) != n)
    throw_parameter(api, arg, "has the wrong shape",
                    std::string(max_ndim == 1 ? "(" : "(..., ") + std::to_string(n) + ",)", shape_text(a));
  std::size_t rows = 1;
  for (py::ssize_t i = 0; i + 1 < a.ndim(); ++i) rows *= static_cast<std::size_t>(a.shape(i));
  return rows;
}

// Every value below q.
// `bound_name` names the bound in the message ("q", or "2q" where values up to 2q - 1 are taken).
inline void require_below(const char* api, const char* arg, const uint64_t* p, std::size_t count, uint64_t q,
                          const char* bound_name = "q") {
  for (std::size_t i = 0; i < count; ++i)
    if (p[i] >= q)
      throw_parameter(api, arg, "has a coefficient out of range",
                      std::string("every value < ") + bound_name + " = " + std::to_string(q),
                      std::to_string(p[i]) + " at flat index " + std::to_string(i));
}

}  // namespace ppml::bindings
