// Bindings of the core's thread pool (csrc/common/thread_pool): how many threads the heavy
// calls may use. Validation of Python-side types lives in pyppml/_threads.py.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/registry.hpp"
#include "common/memory_pool.hpp"
#include "common/thread_pool.hpp"

namespace py = pybind11;

namespace ppml::bindings {

void init_threads(py::module_& m) {
  m.def("set_num_threads", &ppml::set_num_threads, py::arg("n"),
        "Threads used by the core's heavy calls (1..4096); ParameterError otherwise.");
  m.def("get_num_threads", &ppml::num_threads, "Threads the core's heavy calls use.");
  m.def("default_num_threads", &ppml::default_num_threads,
        "PYPPML_NUM_THREADS if valid, else the CPUs this process may run on.");
  m.attr("max_threads") = ppml::kMaxThreads;
  // Test hook: calls fn(i) for i in [0, count) through parallel_for with the GIL released
  // around the pool and taken per call, to exercise nesting, fork and concurrency from Python.
  m.def("_parallel_sum_for_tests", [](std::size_t count, std::size_t grain) {
    std::vector<uint64_t> out(count);
    {
      py::gil_scoped_release release;
      ppml::parallel_for(0, count, grain, [&](std::size_t i) {
        // A nested call: must run serially inside a worker, without deadlock.
        uint64_t s = 0;
        std::vector<uint64_t> inner(8);
        ppml::parallel_for(0, inner.size(), 1, [&](std::size_t k) { inner[k] = (i + 1) * (k + 1); });
        for (uint64_t v : inner) s += v;
        out[i] = s;
      });
    }
    uint64_t total = 0;
    for (uint64_t v : out) total += v;
    return total;
  }, py::arg("count"), py::arg("grain") = 1);
  // Test hook: `count` pairs of allocate/release of a cached block of `bytes` bytes, GIL
  // released, so that another thread can fork while the block cache's lock is likely held.
  m.def("_block_churn_for_tests", [](std::size_t bytes, std::size_t count) {
    py::gil_scoped_release release;
    for (std::size_t i = 0; i < count; ++i) ppml::pool_release(ppml::pool_allocate(bytes), bytes);
  }, py::arg("bytes"), py::arg("count"));
  // Test hook: whether a block cached for reuse (freed, not yet handed out again) holds
  // `pattern`: a secret that went back to the pool unwiped.
  m.def("_pool_cache_contains_for_tests", [](const py::bytes& pattern) {
    const std::string p = pattern;
    return ppml::pool_cache_contains_for_tests(p.data(), p.size());
  }, py::arg("pattern"));
}

}  // namespace ppml::bindings
