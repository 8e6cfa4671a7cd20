// The C ABI boundary: status codes, the thread-local error message, the catch-all guard of
// every entry point, and the registry of live handles (so that a NULL, freed or foreign
// pointer, or a handle of another kind, is reported instead of dereferenced).
// Models: SEAL's native/src/seal/c (HRESULT + catch-all), liboqs (status enum).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include "common/errors.hpp"
#include "pyppml/pyppml.h"

namespace ppml::capi {

// Every handle type; the registry stores the kind of each live address.
enum class Kind : uint32_t {
  NttTables = 1,
  RnsBase,
  BaseConverter,
  Context,
  SecretKey,
  PublicKey,
  RelinKey,
  GaloisKeys,
  Plaintext,
  Ciphertext,
};
const char* kind_name(Kind k);

// An error carrying its status code (argument checks inside the C ABI layer).
class Error : public std::runtime_error {
 public:
  Error(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// Sets the calling thread's message (truncated to the buffer) and returns `status`.
int fail(int status, const char* message);
void clear_error();
const char* last_message();

void register_handle(const void* p, Kind k);
// Removes p if it is live with kind k; false otherwise (nothing freed).
bool unregister_handle(const void* p, Kind k);
// Throws Error(PPML_ERR_NULL_POINTER / PPML_ERR_INVALID_HANDLE) unless p is live with kind k.
void check_handle(const char* api, const char* arg, const void* p, Kind k);

template <typename T>
T* handle(const char* api, const char* arg, const void* p) {
  check_handle(api, arg, p, T::kKind);
  return const_cast<T*>(static_cast<const T*>(p));
}

inline void require_pointer(const char* api, const char* arg, const void* p) {
  if (!p) throw Error(PPML_ERR_NULL_POINTER, describe(api, arg, "is NULL", "a valid pointer", "NULL"));
}

// The core's message, prefixed with the C entry point unless it already names it (the
// core names its own operation: "ppml_decrypt: decrypt: ...").
inline std::string with_api(const char* api, const char* what) {
  const std::string w(what);
  return w.rfind(api, 0) == 0 ? w : std::string(api) + ": " + w;
}

// Runs `body` (returning void) and maps every exception to a status: no C++ exception
// crosses the boundary.
template <typename F>
int guard(const char* api, F&& body) noexcept {
  clear_error();
  try {
    body();
    return PPML_OK;
  } catch (const Error& e) {
    return fail(e.status(), e.what());
  } catch (const ParameterError& e) {
    return fail(PPML_ERR_INVALID_ARGUMENT, with_api(api, e.what()).c_str());
  } catch (const MismatchError& e) {
    return fail(PPML_ERR_MISMATCH, with_api(api, e.what()).c_str());
  } catch (const FormatError& e) {
    return fail(PPML_ERR_FORMAT, with_api(api, e.what()).c_str());
  } catch (const std::bad_alloc&) {
    return fail(PPML_ERR_OUT_OF_MEMORY, (std::string(api) + ": out of memory").c_str());
  } catch (const std::exception& e) {
    return fail(PPML_ERR_INTERNAL, (std::string(api) + ": internal error: " + e.what()).c_str());
  } catch (...) {
    return fail(PPML_ERR_INTERNAL, (std::string(api) + ": internal error (unknown exception)").c_str());
  }
}

// Frees a handle of type T if it is live; a NULL is ignored, anything else (freed twice,
// wrong kind) leaves memory alone and sets the message.
template <typename T>
void release(const char* api, T* p) noexcept {
  clear_error();
  if (!p) return;
  if (!unregister_handle(p, T::kKind)) {
    fail(PPML_ERR_INVALID_HANDLE,
         describe(api, "handle", "is not a live handle", std::string("a ") + kind_name(T::kKind), "another pointer")
             .c_str());
    return;
  }
  delete p;
}

// The size-query convention, checked before an output is written (or computed):
// *needed = count; buf == NULL and cap == 0 is a query (returns false: nothing to write);
// a NULL buf otherwise, or cap < count, is refused (BUFFER_TOO_SMALL for the latter,
// counting `unit`s). `buf_arg` and `cap_arg` name the arguments in the message.
bool output_room(const char* api, std::size_t count, const void* buf, const char* buf_arg, std::size_t cap,
                 const char* cap_arg, const char* unit, std::size_t* needed);

// Copies `size` bytes to a caller buffer under the size-query convention (output_room).
void write_out(const char* api, const void* data, std::size_t size, void* buf, std::size_t cap, std::size_t* needed);

// Length check of a caller array: exactly `expected` elements.
void require_length(const char* api, const char* arg, std::size_t got, std::size_t expected);
// Every value of data[0..len) below bound.
void require_below(const char* api, const char* arg, const uint64_t* data, std::size_t len, uint64_t bound);
// Whether the word ranges [a, a + a_len) and [b, b + b_len) share a word.
inline bool overlaps(const uint64_t* a, std::size_t a_len, const uint64_t* b, std::size_t b_len) {
  return a < b + b_len && b < a + a_len;
}

}  // namespace ppml::capi
