"""CKKS bootstrapping: setup + key generation, one bootstrap, precision and key memory,
beside OpenFHE's under ``--compare`` (its 1.6.1 wheel in a Python 3.10 subprocess, one
thread: N = 2^16, 2^15 slots, 128-bit, sparse-encapsulated secret, level budget {3, 3},
dnum 4, 50-bit scaling primes).

    pyppml bench boot [--compare] [--logn 16] [--runs 3]

JSON lines: ``bootstrap_keygen`` (setup + keys, seconds), ``bootstrap_first`` (the first
call, which also encodes the SlotsToCoeffs diagonals), ``bootstrap`` (median of the
following calls) with precision in bits from the max and the mean error on uniform
[-1, 1] inputs, the levels left, the key bytes and the peak resident memory.
"""

from __future__ import annotations

import math
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


def pyppml_boot(logn: int, runs: int, slots: int | None = None, security: int | None = 128) -> list[dict]:
    from pyppml import ckks

    n = 1 << logn
    out = []
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context.bootstrappable(poly_degree=n, slots=slots, security=security)
    ctx.keygen(bootstrapping=True)
    info = ctx.bootstrap_info()
    s = info["slots"]
    base = {"lib": "pyppml", "scheme": "ckks", "N": n, "L": ctx.max_level + 1, "slots": s}
    out.append(dict(base, op="bootstrap_keygen", seconds=round(time.perf_counter() - t0, 2),
                    key_bytes=sum(info["key_bytes"].values()), log_qp=round(ctx.log_qp, 1),
                    security=ctx.security, dnum=ctx._native.digits))
    emit(out[-1])
    rng = np.random.default_rng(1)
    x = np.tile(rng.uniform(-1, 1, s), ctx.slots // s)
    ct = ctx.encrypt(x).drop_to_level(0)
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
                    levels_after=res.level, **_precision(ctx.decrypt(res), x),
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


def run(args) -> None:
    logn = (args.logn or [12 if args.quick else 16])[0]
    runs = 1 if args.quick else max(1, min(args.runs, 3))
    security = None if logn < 16 else 128
    # OpenFHE first: its key set takes ~14 GB at 2^16, and this process's heap keeps what
    # pyppml's keys used once they are freed.
    theirs = openfhe_boot(logn, runs) if args.compare else []
    ours = pyppml_boot(logn, runs, security=security)
    if args.compare:
        mine = next(r for r in ours if r["op"] == "bootstrap")
        for r in theirs:
            if r.get("op") == "bootstrap" and "median_s" in r:
                emit({"lib": "ratio", "op": "bootstrap_openfhe_over_pyppml", "N": 1 << logn,
                      "stc_first": r.get("stc_first", False), "ratio": round(r["median_s"] / mine["median_s"], 2)})
