"""DP benchmark: exact discrete noise and the grid mechanisms, samples per second on one
thread, side by side with OpenDP in the same run (``--compare``).

pyppml: ``dp.discrete_gaussian`` (sigma = 3, 1000), ``dp.discrete_laplace`` (scale 3,
1000), the textbook CKS sampler (oracle), ``laplace_mechanism`` and
``gaussian_mechanism`` on float64 vectors. OpenDP (features "contrib"): ``make_gaussian``
and ``make_laplace`` on integer vectors (its exact discrete samplers) and on float vectors
(its floating-point-safe mechanisms). Each record carries ``samples_per_s``; the ratio to
OpenDP is ``speedup_vs_opendp`` on the pyppml record when both ran.

    pyppml bench dp [--quick] [--runs R] [--compare]
    taskset -c 1 python bench/bench_dp.py --compare
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from pyppml import _core, dp
from pyppml.benchmarks.harness import emit, measure, result


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _pyppml_cases(n):
    zeros = np.zeros(n)
    return {
        "discrete_gaussian_sigma3": lambda: dp.discrete_gaussian(3, n),
        "discrete_gaussian_sigma1000": lambda: dp.discrete_gaussian(1000, n),
        "discrete_laplace_scale3": lambda: dp.discrete_laplace(3, n),
        "discrete_laplace_scale1000": lambda: dp.discrete_laplace(1000, n),
        "laplace_mechanism_float": lambda: dp.laplace_mechanism(zeros, 1.0, 1.0 / 3.0),
        "gaussian_mechanism_float": lambda: dp.gaussian_mechanism(zeros, 1.0, 1.0, 1e-5),
    }


def _opendp_cases(n):
    import opendp.prelude as odp

    odp.enable_features("contrib")
    ints, floats = [0] * n, [0.0] * n
    int_l2 = (odp.vector_domain(odp.atom_domain(T=int)), odp.l2_distance(T=int))
    int_l1 = (odp.vector_domain(odp.atom_domain(T=int)), odp.l1_distance(T=int))
    f_l2 = (odp.vector_domain(odp.atom_domain(T=float, nan=False)), odp.l2_distance(T=float))
    f_l1 = (odp.vector_domain(odp.atom_domain(T=float, nan=False)), odp.l1_distance(T=float))
    g3 = odp.m.make_gaussian(*int_l2, scale=3.0)
    g1000 = odp.m.make_gaussian(*int_l2, scale=1000.0)
    l3 = odp.m.make_laplace(*int_l1, scale=3.0)
    l1000 = odp.m.make_laplace(*int_l1, scale=1000.0)
    # Same noise levels as pyppml's mechanisms: Laplace scale 3 (eps = 1/3 at sensitivity 1),
    # Gaussian sigma from the analytic calibration at (1, 1e-5).
    fl = odp.m.make_laplace(*f_l1, scale=3.0)
    fg = odp.m.make_gaussian(*f_l2, scale=dp.analytic_gaussian_sigma(1.0, 1e-5))
    return {
        "discrete_gaussian_sigma3": lambda: g3(ints),
        "discrete_gaussian_sigma1000": lambda: g1000(ints),
        "discrete_laplace_scale3": lambda: l3(ints),
        "discrete_laplace_scale1000": lambda: l1000(ints),
        "laplace_mechanism_float": lambda: fl(floats),
        "gaussian_mechanism_float": lambda: fg(floats),
    }


def run(args) -> None:
    quick = bool(getattr(args, "quick", False))
    runs = int(getattr(args, "runs", 10) or 10)
    compare = bool(getattr(args, "compare", False))
    n_ours = 200_000 if quick else 1_000_000
    n_peer = 2_000 if quick else 10_000
    common = {"commit": _commit(), "cpu_features": list(_core.cpu_features()),
              "backend": _core.effective_backend(), "threads": 1}

    ours = {}
    for op, fn in _pyppml_cases(n_ours).items():
        t = measure(fn, runs=runs, target_ms=2.0 if quick else 5.0)
        ours[op] = (t, n_ours / (t["median_us"] * 1e-6))
    # The textbook algorithm, for scale: what the table sampler replaces.
    ref_n = n_ours // 10
    t = measure(lambda: _core.dp_discrete_gaussian_reference(9, 1, ref_n), runs=runs)
    emit(result("pyppml", "dp", ref_n, 0, "discrete_gaussian_sigma3_cks_reference", t,
                samples_per_s=round(ref_n / (t["median_us"] * 1e-6)), **common))

    peers = {}
    if compare:
        try:
            cases = _opendp_cases(n_peer)
        except ImportError:
            cases = {}
        for op, fn in cases.items():
            t = measure(fn, runs=max(3, runs // 2), target_ms=1.0)
            peers[op] = (t, n_peer / (t["median_us"] * 1e-6))
            emit(result("opendp", "dp", n_peer, 0, op, t, samples_per_s=round(peers[op][1]), threads=1))

    for op, (t, rate) in ours.items():
        extra = {"samples_per_s": round(rate)}
        if op in peers:
            extra["speedup_vs_opendp"] = round(rate / peers[op][1], 1)
        emit(result("pyppml", "dp", n_ours, 0, op, t, **extra, **common))
