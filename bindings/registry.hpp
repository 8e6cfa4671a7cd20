// Each bindings/<layer>.cpp defines one init function; register_all calls the ones built.
#pragma once

#include <pybind11/pybind11.h>

namespace ppml::bindings {

void init_ring(pybind11::module_& m);
void init_random(pybind11::module_& m);
void init_rns(pybind11::module_& m);
void init_eltwise(pybind11::module_& m);
void init_packing(pybind11::module_& m);
void init_threads(pybind11::module_& m);
#ifdef PPML_HE
void init_he(pybind11::module_& m);
void init_bfv(pybind11::module_& m);
void init_bootstrap(pybind11::module_& m);
void init_ckks_release(pybind11::module_& m);  // after init_he: adds to pyppml._core.he
#endif
#ifdef PPML_DP
void init_dp(pybind11::module_& m);
#endif
#ifdef PPML_MPC
void init_mpc(pybind11::module_& m);
#endif

inline void register_all(pybind11::module_& m) {
  init_ring(m);
  init_random(m);
  init_rns(m);
  init_eltwise(m);
  init_packing(m);
  init_threads(m);
#ifdef PPML_HE
  init_he(m);
  init_bfv(m);
  init_bootstrap(m);
  init_ckks_release(m);
#endif
#ifdef PPML_DP
  init_dp(m);
#endif
#ifdef PPML_MPC
  init_mpc(m);
#endif
}

}  // namespace ppml::bindings
