// The Python-visible Prng: one core Prng plus the mutex that serialises its users. Python
// threads may share one object and every binding that draws from it releases the GIL, so
// the keystream cursor must be guarded here (the core Prng itself stays unsynchronised:
// its C++ users are per-thread or per-object).
#pragma once

#include <pybind11/pybind11.h>

#include <mutex>
#include <utility>

#include "random/prng.hpp"

namespace ppml::bindings {

struct SharedPrng {
  SharedPrng() = default;
  SharedPrng(const random::Seed& seed, uint64_t stream) : prng(seed, stream) {}
  random::Prng prng;
  std::mutex mutex;
};

// Runs f(prng) with the GIL released and the Prng's lock held. The GIL goes first, so a
// thread waiting for the lock never holds the GIL that the lock holder might need; `f`
// must not touch Python objects.
template <typename F>
decltype(auto) with_prng(SharedPrng& p, F&& f) {
  pybind11::gil_scoped_release release;
  std::lock_guard<std::mutex> lock(p.mutex);
  return std::forward<F>(f)(p.prng);
}

}  // namespace ppml::bindings
