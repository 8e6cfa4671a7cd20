// Error types that cross the Python boundary (mapped to ValueError subclasses) and the
// one-line message format "<api>: <argument> <problem>; expected <constraint>, got <value>".
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace ppml {

// Invalid parameter or argument (bad n, bad modulus, wrong shape, value out of range).
class ParameterError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Operands that do not belong together (different parameters, levels, scales, forms).
class MismatchError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Malformed, truncated, extended or foreign serialized bytes.
class FormatError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {
template <typename T>
std::string to_text(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace detail

// Builds "<api>: <argument> <problem>; expected <constraint>, got <value>".
template <typename V>
std::string describe(const char* api, const char* argument, const char* problem,
                     const std::string& expected, const V& got) {
  return std::string(api) + ": " + argument + " " + problem + "; expected " + expected +
         ", got " + detail::to_text(got);
}

template <typename V>
[[noreturn]] void throw_parameter(const char* api, const char* argument, const char* problem,
                                  const std::string& expected, const V& got) {
  throw ParameterError(describe(api, argument, problem, expected, got));
}

template <typename V>
[[noreturn]] void throw_mismatch(const char* api, const char* argument, const char* problem,
                                 const std::string& expected, const V& got) {
  throw MismatchError(describe(api, argument, problem, expected, got));
}

template <typename V>
[[noreturn]] void throw_format(const char* api, const char* argument, const char* problem,
                               const std::string& expected, const V& got) {
  throw FormatError(describe(api, argument, problem, expected, got));
}

}  // namespace ppml
