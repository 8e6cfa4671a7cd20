// Integer arguments crossing into the core. pybind11's own conversion of a negative, a
// fractional or a too-large number to uint64_t is a multi-line TypeError naming no
// argument; these checks give the one-line ParameterError instead.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "common/errors.hpp"

namespace ppml::bindings {

namespace py = pybind11;

// An integer of any size, as a Python int.
inline py::int_ require_integer(const char* api, const char* arg, const py::handle& v, const std::string& expected) {
  if (PyBool_Check(v.ptr()) || !PyIndex_Check(v.ptr()))
    throw_parameter(api, arg, "is not an integer", expected,  // the type only: values may be private
                    py::str(py::type::of(v).attr("__name__")).cast<std::string>());
  PyObject* index = PyNumber_Index(v.ptr());
  if (!index) throw py::error_already_set();  // __index__ raised: its exception, not a NULL int
  return py::reinterpret_steal<py::int_>(index);
}

// An integer (Python int, NumPy integer: anything with __index__, never bool) in
// [low, high], as a Python int.
inline py::int_ require_integer_in(const char* api, const char* arg, const py::handle& v, const py::int_& low,
                                   const py::int_& high, const std::string& expected) {
  py::int_ value = require_integer(api, arg, v, expected);
  if (value < low || value > high) throw_parameter(api, arg, "is out of range", expected, py::str(value).cast<std::string>());
  return value;
}

// A non-negative integer of any size (residues are taken modulo the base's product). The
// value may be private: the message never quotes it.
inline py::int_ require_natural(const char* api, const char* arg, const py::handle& v) {
  py::int_ value = require_integer(api, arg, v, "non-negative integers");
  if (value < py::int_(0)) throw_parameter(api, arg, "has a negative integer", "non-negative integers", "a negative one");
  return value;
}

inline uint64_t require_u64_arg(const char* api, const char* arg, const py::handle& v) {
  return require_integer_in(api, arg, v, py::int_(0), py::int_(UINT64_MAX), "an integer in [0, 2^64)").cast<uint64_t>();
}

}  // namespace ppml::bindings
