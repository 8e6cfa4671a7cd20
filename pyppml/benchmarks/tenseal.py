"""TenSEAL side by side (issue 18): the workloads a TenSEAL user starts with, in pyppml
and, with ``--compare``, in TenSEAL in the same run at the same parameters.

Parameters for both: n = 8192, primes of 60, 40, 40 bits and a 60-bit special prime
(TenSEAL's ``coeff_mod_bit_sizes=[60, 40, 40, 60]``), scale 2^40, public-key encryption,
one thread. Workloads on a 10,000-value column (3 ciphertexts of 4096 slots in both):
``encrypt``, ``mean`` (sum times 1/n), ``variance`` (``ex2 - mean.square()``), ``dot``
(two encrypted columns), and a small encrypted-inference layer ``matvec_64x16`` (64
encrypted features times a plaintext 64 x 16 matrix: ``x @ W`` in pyppml,
``x.mm(W)`` in TenSEAL). Each record: ``median_us``, ``ct_bytes`` (the serialized
encrypted operand of the workload: the column, or the 64 features), ``max_error``
against NumPy in float64, and on pyppml's record ``speedup_vs_tenseal`` when both ran.
Without TenSEAL installed, ``--compare`` prints one note line and times pyppml only.

    pyppml bench tenseal [--quick] [--runs R] [--compare]
    taskset -c 1 python bench/bench_tenseal.py --compare
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from pyppml import _core, ckks
from pyppml.benchmarks.harness import emit, measure, result

N, COLUMN, FEATURES, OUTPUTS = 8192, 10_000, 64, 16
Q_BITS, P_BITS, SCALE_BITS = [60, 40, 40], [60], 40


@contextlib.contextmanager
def _stdout_to_stderr():
    """File descriptor 1 goes to stderr meanwhile: stdout keeps JSON lines only."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5, check=False)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _data():
    rng = np.random.default_rng(18)
    x = rng.normal(3.0, 2.0, COLUMN)
    y = rng.normal(0.0, 1.0, COLUMN)
    f = rng.uniform(-1.0, 1.0, FEATURES)
    W = rng.uniform(-0.5, 0.5, (FEATURES, OUTPUTS))
    return x, y, f, W


def _expected(x, y, f, W) -> dict:
    return {"encrypt": x, "mean": np.array([x.mean()]), "variance": np.array([x.var()]),
            "dot": np.array([x @ y]), "matvec_64x16": f @ W}


def _pyppml_cases(x, y, f, W):
    """name -> (callable, decrypt(result) -> values, ciphertext bytes)."""
    ctx = ckks.Context(poly_degree=N, coeff_mod_bits=Q_BITS, special_mod_bits=P_BITS, scale_bits=SCALE_BITS)
    ctx.keygen(operations=["sum", "dot"], matvec_shapes=[(OUTPUTS, FEATURES)], conjugate=False)
    vx = ctx.encrypt_vector(x, symmetric=False)
    vy = ctx.encrypt_vector(y, symmetric=False)
    vf = ctx.encrypt_vector(f, symmetric=False)
    cases = {
        "encrypt": (lambda: ctx.encrypt_vector(x, symmetric=False), len(vx.to_bytes())),
        "mean": (lambda: vx.mean(), len(vx.to_bytes())),
        "variance": (lambda: vx.square().mean() - vx.mean().square(), len(vx.to_bytes())),
        "dot": (lambda: vx.dot(vy), len(vx.to_bytes())),
        "matvec_64x16": (lambda: vf @ W, len(vf.to_bytes())),
    }
    return cases, (lambda out: out.decrypt())


def _tenseal_cases(x, y, f, W):
    import tenseal as ts

    ctx = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=N, coeff_mod_bit_sizes=Q_BITS + P_BITS)
    ctx.global_scale = 2.0 ** SCALE_BITS
    ctx.generate_galois_keys()
    xs, ys, fs, Ws = x.tolist(), y.tolist(), f.tolist(), W.tolist()
    tx, ty, tf = ts.ckks_vector(ctx, xs), ts.ckks_vector(ctx, ys), ts.ckks_vector(ctx, fs)
    inv = 1.0 / COLUMN
    cases = {
        "encrypt": (lambda: ts.ckks_vector(ctx, xs), len(tx.serialize())),
        "mean": (lambda: tx.sum() * inv, len(tx.serialize())),
        "variance": (lambda: tx.square().sum() * inv - (tx.sum() * inv).square(), len(tx.serialize())),
        "dot": (lambda: tx.dot(ty), len(tx.serialize())),
        "matvec_64x16": (lambda: tf.mm(Ws), len(tf.serialize())),
    }
    return cases, (lambda out: np.asarray(out.decrypt(), dtype=np.float64))


def _time(lib: str, cases, decrypt, expected, runs: int, quick: bool, common: dict) -> dict:
    out = {}
    for op, (fn, ct_bytes) in cases.items():
        got = decrypt(fn())
        want = expected[op]
        err = float(np.max(np.abs(np.asarray(got)[: len(want)] - want)))
        t = measure(fn, runs=runs, target_ms=1.0 if quick else 5.0, max_inner=20)
        out[op] = result(lib, "ckks", N, len(Q_BITS) - 1, op, t, values=len(want) if op != "matvec_64x16" else FEATURES,
                         ct_bytes=ct_bytes, max_error=err, threads=1, **common)
    return out


def run(args) -> None:
    quick = bool(getattr(args, "quick", False))
    runs = int(getattr(args, "runs", 10) or 10)
    if quick:
        runs = min(runs, 3)
    compare = bool(getattr(args, "compare", False))
    x, y, f, W = _data()
    expected = _expected(x, y, f, W)
    common = {"commit": _commit(), "cpu_features": list(_core.cpu_features()), "backend": _core.effective_backend()}
    cases, dec = _pyppml_cases(x, y, f, W)
    ours = _time("pyppml", cases, dec, expected, runs, quick, common)
    peers = {}
    if compare:
        try:
            import tenseal  # noqa: F401
        except ImportError:
            emit({"lib": "tenseal", "scheme": "ckks", "note": "TenSEAL is not installed (pip install tenseal); "
                  "pyppml timed alone"})
        else:
            with _stdout_to_stderr():  # TenSEAL prints warnings on the C++ stdout
                tcases, tdec = _tenseal_cases(x, y, f, W)
                peers = _time("tenseal", tcases, tdec, expected, runs, quick, {})
            for rec in peers.values():
                emit(rec)
    for op, rec in ours.items():
        if op in peers:
            rec["speedup_vs_tenseal"] = round(peers[op]["median_us"] / rec["median_us"], 2)
        emit(rec)
