// Status, thread-local message, handle registry and buffer conventions of the C ABI.
#include "capi/boundary.hpp"

#include <cstdio>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace ppml::capi {
namespace {

// A fixed buffer: no allocation on the error path and a trivial destructor at thread exit.
thread_local char t_message[1024];

struct Registry {
  std::shared_mutex mutex;
  std::unordered_map<const void*, Kind> live;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: frees may run during exit
  return *r;
}

}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::NttTables: return "ppml_ntt_tables";
    case Kind::RnsBase: return "ppml_rns_base";
    case Kind::BaseConverter: return "ppml_base_converter";
    case Kind::Context: return "ppml_context";
    case Kind::SecretKey: return "ppml_secret_key";
    case Kind::PublicKey: return "ppml_public_key";
    case Kind::RelinKey: return "ppml_relin_key";
    case Kind::GaloisKeys: return "ppml_galois_keys";
    case Kind::Plaintext: return "ppml_plaintext";
    case Kind::Ciphertext: return "ppml_ciphertext";
  }
  return "unknown handle";
}

int fail(int status, const char* message) {
  std::snprintf(t_message, sizeof t_message, "%s", message ? message : "");
  return status;
}

void clear_error() { t_message[0] = '\0'; }

const char* last_message() { return t_message; }

void register_handle(const void* p, Kind k) {
  Registry& r = registry();
  std::unique_lock<std::shared_mutex> lock(r.mutex);
  r.live[p] = k;
}

bool unregister_handle(const void* p, Kind k) {
  Registry& r = registry();
  std::unique_lock<std::shared_mutex> lock(r.mutex);
  auto it = r.live.find(p);
  if (it == r.live.end() || it->second != k) return false;
  r.live.erase(it);
  return true;
}

void check_handle(const char* api, const char* arg, const void* p, Kind k) {
  require_pointer(api, arg, p);
  Registry& r = registry();
  std::shared_lock<std::shared_mutex> lock(r.mutex);
  auto it = r.live.find(p);
  if (it == r.live.end())
    throw Error(PPML_ERR_INVALID_HANDLE, describe(api, arg, "is not a live handle (freed or never created)",
                                                  std::string("a ") + kind_name(k), "an unknown pointer"));
  if (it->second != k)
    throw Error(PPML_ERR_INVALID_HANDLE,
                describe(api, arg, "is a handle of the wrong kind", std::string("a ") + kind_name(k),
                         std::string("a ") + kind_name(it->second)));
}

bool output_room(const char* api, std::size_t count, const void* buf, const char* buf_arg, std::size_t cap,
                 const char* cap_arg, const char* unit, std::size_t* needed) {
  require_pointer(api, "needed", needed);
  *needed = count;
  if (!buf && cap == 0) return false;
  require_pointer(api, buf_arg, buf);
  if (cap < count)
    throw Error(PPML_ERR_BUFFER_TOO_SMALL, describe(api, cap_arg, "is too small",
                                                    "at least " + std::to_string(count) + " " + unit, cap));
  return true;
}

void write_out(const char* api, const void* data, std::size_t size, void* buf, std::size_t cap, std::size_t* needed) {
  if (output_room(api, size, buf, "buffer", cap, "buffer", "bytes", needed) && size) std::memcpy(buf, data, size);
}

void require_length(const char* api, const char* arg, std::size_t got, std::size_t expected) {
  if (got != expected)
    throw Error(PPML_ERR_INVALID_ARGUMENT, describe(api, arg, "has the wrong length", std::to_string(expected), got));
}

// Neither the value nor where it sits is named: the array may be private data.
void require_below(const char* api, const char* arg, const uint64_t* data, std::size_t len, uint64_t bound) {
  for (std::size_t i = 0; i < len; ++i)
    if (data[i] >= bound)
      throw Error(PPML_ERR_INVALID_ARGUMENT,
                  describe(api, arg, "has a value out of range", "every value < " + std::to_string(bound),
                           "a value >= the bound"));
}

}  // namespace ppml::capi

extern "C" {

const char* ppml_last_error(void) { return ppml::capi::last_message(); }

uint32_t ppml_abi_version(void) {
  return (static_cast<uint32_t>(PPML_ABI_VERSION_MAJOR) << 16) | PPML_ABI_VERSION_MINOR;
}

}  // extern "C"
