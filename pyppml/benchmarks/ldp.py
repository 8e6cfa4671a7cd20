"""Local-DP benchmark: the frequency oracles of ``pyppml.dp.local`` on simulated devices,
reports per second on the device side (``perturb``) and the server side (``estimate``),
and the estimation error against the theory, side by side with pure-ldp 1.2.0 in the
same run (``--compare``; skipped when pure_ldp cannot be imported).

Data: Zipf (s = 1.1) counts over the domain, the same for every oracle and for pure-ldp;
epsilon = 1. Records (harness fields plus): ``scheme`` ldp-grr | ldp-oue | ldp-olh |
ldp-cms, ``N`` the domain size, ``devices``, ``reports_per_s``; estimate records add
``mse`` (mean over items of the squared error against the true counts), ``mse_theory``
(mean of the closed-form variances at those counts), ``mse_ratio`` and ``mse_per_device``
(variances grow linearly with the devices, so this compares runs of different sizes);
``mse_runs``: pyppml pools the errors of up to 16 runs at small d (pure-ldp: one run).
Fewer devices are simulated where 10^6 do not fit (``devices_note`` says why): OUE at
d bits per report keeps devices * d <= 2^30 bits (128 MiB), and pure-ldp (pure Python,
one call per device, O(d) per report on the server for OUE and OLH) runs on fewer devices.

    pyppml bench ldp [--quick] [--runs R] [--compare]
    taskset -c 1 python bench/bench_ldp.py --compare
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

from pyppml import _core
from pyppml.benchmarks.harness import emit, measure, result
from pyppml.dp.local import (
    CountMeanSketch,
    OptimizedLocalHashing,
    OptimizedUnaryEncoding,
    RandomizedResponse,
)

EPSILON = 1.0
CMS_K, CMS_M = 64, 1024
OUE_MAX_BITS = 1 << 30


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5, check=False)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def zipf_counts(d: int, n: int, s: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, d + 1) ** s
    c = np.floor(w / w.sum() * n).astype(np.int64)
    c[0] += n - c.sum()
    return c


def _timed(fn, runs: int):
    """(timing dict, the first call's result). Calls over 0.5 s are timed once."""
    t0 = time.perf_counter_ns()
    out = fn()
    first = time.perf_counter_ns() - t0
    if first > 5e8 or runs <= 1:
        us = round(first / 1e3, 3)
        return {"median_us": us, "runs": 1, "inner": 1, "min_us": us}, out
    return measure(fn, runs=runs, target_ms=1.0), out


def _oracle(scheme: str, d: int):
    if scheme == "ldp-grr":
        return RandomizedResponse(EPSILON, d)
    if scheme == "ldp-oue":
        return OptimizedUnaryEncoding(EPSILON, d)
    if scheme == "ldp-olh":
        return OptimizedLocalHashing(EPSILON, d)
    return CountMeanSketch(EPSILON, d, k=CMS_K, m=CMS_M)


def _errors(est, counts, theory, n) -> dict:
    """Squared errors of the estimates (one or more runs of n devices, concatenated)."""
    mse = float(((est - counts) ** 2).mean())
    return {"mse": round(mse, 3), "mse_theory": round(theory, 3), "mse_ratio": round(mse / theory, 4),
            "mse_per_device": round(mse / n, 6)}


def _theory(oracle, counts) -> float:
    return float(oracle.variance(int(counts.sum()), counts).mean())


# ---------------------------------------------------------------- pure-ldp (peer) ----

def _pure_ldp():
    """pure_ldp's frequency-oracle modules. Its package __init__ imports every oracle,
    RAPPOR's needs statsmodels; the four used here do not, so they are loaded through a
    bare package object when the full import fails."""
    try:
        import pure_ldp.frequency_oracles as fo  # noqa: F401
    except ImportError:
        spec = importlib.util.find_spec("pure_ldp")
        if spec is None:
            raise
        pkg = types.ModuleType("pure_ldp.frequency_oracles")
        pkg.__path__ = [os.path.join(os.path.dirname(spec.origin), "frequency_oracles")]
        sys.modules["pure_ldp.frequency_oracles"] = pkg
    mods = {}
    _xxhash_str_shim()
    for sub, names in (("direct_encoding", ("DEClient", "DEServer")), ("unary_encoding", ("UEClient", "UEServer")),
                       ("local_hashing.lh_client", ("LHClient",)), ("local_hashing.lh_server", ("LHServer",)),
                       ("apple_cms.cms_client", ("CMSClient",)), ("apple_cms.cms_sever", ("CMSServer",))):
        m = importlib.import_module(f"pure_ldp.frequency_oracles.{sub}")
        for name in names:
            mods[name] = getattr(m, name)
        if hasattr(m, "xxhash"):
            m.xxhash = sys.modules["pure_ldp.core"].xxhash
    return mods


def _xxhash_str_shim() -> None:
    """pure-ldp 1.2.0 hashes str(item); xxhash >= 3 refuses str. Its modules get an
    xxhash that encodes str as UTF-8 first (what older xxhash did), nothing else changed."""
    import xxhash
    from pure_ldp import core

    def wrap(fn):
        return lambda data, seed=0: fn(data.encode() if isinstance(data, str) else data, seed=seed)

    core.xxhash = types.SimpleNamespace(xxh32=wrap(xxhash.xxh32), xxh64=wrap(xxhash.xxh64))
    # Its count-mean-sketch server passes d = None to a base class that allocates
    # np.zeros(d) (refused by NumPy >= 2); that array is unused by the sketch, so d = 1.
    base = core.FreqOracleServer
    if not getattr(base, "_pyppml_patched", False):
        init = base.__init__
        base.__init__ = lambda self, epsilon, d, index_mapper=None: init(self, epsilon, 1 if d is None else d,
                                                                          index_mapper)
        base._pyppml_patched = True


def _peer_pair(pl, scheme: str, d: int):
    ident = {"index_mapper": lambda x: x}
    if scheme == "ldp-grr":
        return pl["DEClient"](EPSILON, d, **ident), pl["DEServer"](EPSILON, d, **ident)
    if scheme == "ldp-oue":
        return (pl["UEClient"](EPSILON, d, use_oue=True, **ident), pl["UEServer"](EPSILON, d, use_oue=True, **ident))
    if scheme == "ldp-olh":
        return (pl["LHClient"](EPSILON, d, use_olh=True, **ident), pl["LHServer"](EPSILON, d, use_olh=True, **ident))
    server = pl["CMSServer"](EPSILON, CMS_K, CMS_M, **ident)
    server.update_params(index_mapper=ident["index_mapper"])  # its __init__ drops index_mapper
    return pl["CMSClient"](EPSILON, server.get_hash_funcs(), CMS_M), server


def _peer_devices(scheme: str, d: int, quick: bool) -> int:
    base = 2_000 if quick else 20_000
    if scheme in ("ldp-oue", "ldp-olh"):  # O(d) Python/NumPy work per report on the server
        return max(200, min(base, (1 << (21 if quick else 23)) // d))
    return base


def _run_peer(pl, scheme, d, n, counts_full_shape_d, quick):
    counts = zipf_counts(d, n)
    values = np.repeat(np.arange(d), counts).tolist()
    client, server = _peer_pair(pl, scheme, d)
    t0 = time.perf_counter()
    reports = [client.privatise(v) for v in values]
    t_perturb = time.perf_counter() - t0
    t0 = time.perf_counter()
    server.aggregate_all(reports)
    est = np.array(server.estimate_all(range(d), suppress_warnings=True), dtype=np.float64)
    t_estimate = time.perf_counter() - t0
    return counts, est, t_perturb, t_estimate


# ---------------------------------------------------------------- driver -------------

def run(args) -> None:
    quick = bool(getattr(args, "quick", False))
    runs = int(getattr(args, "runs", 10) or 10)
    compare = bool(getattr(args, "compare", False))
    n_full = 100_000 if quick else 1_000_000
    sizes = [1 << 4, 1 << 10, 1 << 16] if quick else [1 << 4, 1 << 8, 1 << 12, 1 << 16]
    common = {"commit": _commit(), "cpu_features": list(_core.cpu_features()),
              "backend": _core.effective_backend(), "olh_kernel": _core.ldp_olh_kernel_name(), "threads": 1,
              "epsilon": EPSILON}
    pl = None
    if compare:
        try:
            pl = _pure_ldp()
        except ImportError:
            pl = None

    for scheme in ("ldp-grr", "ldp-oue", "ldp-olh", "ldp-cms"):
        for d in sizes:
            oracle = _oracle(scheme, d)
            n = n_full
            note = {}
            if scheme == "ldp-oue" and n * d > OUE_MAX_BITS:
                n = OUE_MAX_BITS // d
                note = {"devices_note": f"OUE reports are d bits: devices * d capped at 2^30 bits ({n} devices)"}
            if scheme == "ldp-cms":
                note["k"], note["m"] = CMS_K, CMS_M
                note["mse_theory_note"] = "collision-free variance; mse also holds the sketch's hash-collision error"
            counts = zipf_counts(d, n)
            values = np.repeat(np.arange(d), counts)
            t_p, reports = _timed(lambda o=oracle, v=values: o.perturb(v), runs)
            t_e, est = _timed(lambda o=oracle, r=reports: o.estimate(r), runs)
            rate_p = n / (t_p["median_us"] * 1e-6)
            rate_e = n / (t_e["median_us"] * 1e-6)
            # A small domain gives few squared errors per run: pool up to 16 runs (when a
            # run is cheap) so that mse_ratio is not one noisy draw.
            reps = max(1, min(16, 4096 // d)) if (t_p["median_us"] + t_e["median_us"]) < 2.5e5 else 1
            ests = [est] + [oracle.estimate(oracle.perturb(values)) for _ in range(reps - 1)]
            err = _errors(np.concatenate(ests), np.tile(counts, reps), _theory(oracle, counts), n)
            err["mse_runs"] = reps
            peer = None
            if pl is not None:
                n_peer = _peer_devices(scheme, d, quick)
                pc, pest, tp, te = _run_peer(pl, scheme, d, n_peer, None, quick)
                peer_err = _errors(pest, pc, _theory(oracle, pc), n_peer)
                peer = (n_peer / tp, n_peer / te)
                for op, secs in (("perturb", tp), ("estimate", te)):
                    extra = {"reports_per_s": round(n_peer / secs), "devices": n_peer,
                             "devices_note": "pure Python: fewer devices"}
                    if op == "estimate":
                        extra.update(peer_err)
                    emit(result("pure-ldp", scheme, d, 0, op, {"median_us": round(secs * 1e6, 1), "runs": 1},
                                **extra, threads=1, epsilon=EPSILON))
            emit(result("pyppml", scheme, d, 0, "perturb", t_p, devices=n, reports_per_s=round(rate_p),
                        **({"speedup_vs_pure_ldp": round(rate_p / peer[0], 1)} if peer else {}), **note, **common))
            emit(result("pyppml", scheme, d, 0, "estimate", t_e, devices=n, reports_per_s=round(rate_e), **err,
                        **({"speedup_vs_pure_ldp": round(rate_e / peer[1], 1)} if peer else {}), **note, **common))
