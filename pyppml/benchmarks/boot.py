"""CKKS bootstrapping: setup + key generation, one bootstrap, precision and key memory,
beside OpenFHE's under ``--compare`` (its 1.6.1 wheel in a Python 3.10 subprocess, one
thread: N = 2^16, 2^15 slots, 128-bit, sparse-encapsulated secret, level budget {3, 3},
dnum 4, 50-bit scaling primes).

    pyppml bench boot [--compare] [--logn 16] [--runs 3]

Both libraries run both orders, ModRaise first and SlotsToCoeffs first (``stc_first``),
each in its own process. JSON lines: ``bootstrap_keygen`` (setup + keys, seconds),
``bootstrap_first`` (the first call, which also encodes the transforms' diagonals),
``bootstrap`` (median of the following calls) with precision in bits from the max and the
mean error on uniform [-1, 1] inputs, the levels left, the key bytes and the peak resident
memory; under ``--compare`` the ratio of OpenFHE's time to pyppml's, order for order.
"""

from __future__ import annotations

import math
import multiprocessing
import resource
import time
import warnings

import numpy as np

from pyppml.benchmarks.harness import emit


def _rss_gb(who=resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 2 ** 20, 2)


def _precision(got: np.ndarray, want: np.ndarray) -> dict:
    err = np.abs(got - want)
    return {"precision_bits_max": round(-math.log2(max(err.max(), 1e-300)), 2),
            "precision_bits_mean": round(-math.log2(max(err.mean(), 1e-300)), 2)}


def pyppml_boot(logn: int, runs: int, slots: int | None = None, security: int | None = 128,
                stc_first: bool = False) -> list[dict]:
    from pyppml import ckks

    n = 1 << logn
    out = []
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context.bootstrappable(poly_degree=n, slots=slots, security=security, stc_first=stc_first)
    ctx.keygen(bootstrapping=True)
    info = ctx.bootstrap_info()
    s = info["slots"]
    base = {"lib": "pyppml", "scheme": "ckks", "N": n, "L": ctx.max_level + 1, "slots": s, "stc_first": stc_first}
    out.append(dict(base, op="bootstrap_keygen", seconds=round(time.perf_counter() - t0, 2),
                    key_bytes=sum(info["key_bytes"].values()), log_qp=round(ctx.log_qp, 1),
                    security=ctx.security, dnum=ctx._native.digits))
    emit(out[-1])
    rng = np.random.default_rng(1)
    x = np.tile(rng.uniform(-1, 1, s), ctx.slots // s)
    ct = ctx.encrypt(x).drop_to_level(info["min_input_level"])   # all user levels used
    t0 = time.perf_counter()
    res = ct.bootstrap()
    out.append(dict(base, op="bootstrap_first", seconds=round(time.perf_counter() - t0, 2)))
    emit(out[-1])
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = ct.bootstrap()
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    out.append(dict(base, op="bootstrap", median_us=round(med * 1e6, 1), median_s=round(med, 3), runs=runs,
                    levels_after=res.level - info["min_input_level"], output_level=res.level, **_precision(ctx.decrypt(res), x),
                    key_bytes=sum(info["key_bytes"].values()), peak_rss_gb=_rss_gb()))
    emit(out[-1])
    return out


def openfhe_boot(logn: int, runs: int) -> list[dict]:
    """OpenFHE's bootstrap, ModRaise first and SlotsToCoeffs first, each in its own process
    (peak memory from the children's rusage)."""
    from pyppml.benchmarks.peers import openfhe

    def with_rss(rec: dict) -> dict:
        return dict(rec, peak_rss_gb=_rss_gb(resource.RUSAGE_CHILDREN)) if rec.get("op") == "bootstrap" else rec

    out = []
    for extra in ([], ["--stc-first"]):
        out += openfhe(["--logn", str(logn), "--runs", str(runs)] + extra, script="peer_openfhe_boot.py",
                       timeout=7200, annotate=with_rss)
    return out


def pyppml_boot_apart(logn: int, runs: int, security: int | None, stc_first: bool) -> list[dict]:
    """pyppml_boot in a fresh process, so that each order's peak memory is its own."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(pyppml_boot, (logn, runs), {"security": security, "stc_first": stc_first})


def run(args) -> None:
    logn = (args.logn or [12 if args.quick else 16])[0]
    runs = 1 if args.quick else max(1, min(args.runs, 3))
    security = None if logn < 16 else 128
    theirs = openfhe_boot(logn, runs) if args.compare else []
    ours = [r for stc_first in (True, False) for r in pyppml_boot_apart(logn, runs, security, stc_first)]
    if args.compare:
        mine = {r["stc_first"]: r for r in ours if r["op"] == "bootstrap"}
        for r in theirs:
            if r.get("op") == "bootstrap" and "median_s" in r:
                stc_first = bool(r.get("stc_first", False))
                emit({"lib": "ratio", "op": "bootstrap_openfhe_over_pyppml", "N": 1 << logn, "stc_first": stc_first,
                      "ratio": round(r["median_s"] / mine[stc_first]["median_s"], 2)})
