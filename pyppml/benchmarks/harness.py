"""Timing harness shared by every benchmark: warm-up, calibrated inner loops, median of
runs, and one JSON object per result line:
``{"lib", "scheme", "N", "L", "op", "median_us", "runs", ...}`` (DESIGN.md), the same
fields as ../shared/peers/common.py so pyppml and its peers can be tabulated together.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import time
from typing import Callable

PC = time.perf_counter_ns


def measure(fn: Callable[[], object], runs: int = 10, target_ms: float = 5.0, max_inner: int = 100000) -> dict:
    """Median per-call time of ``fn`` over ``runs`` runs; each run loops enough calls to
    last ``target_ms``. Python's cyclic GC is off while timing."""
    gc_was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        fn()
        t0 = PC()
        fn()
        one = max(PC() - t0, 1)
        target_ns = target_ms * 1e6
        inner = 1 if one >= target_ns else int(min(max_inner, -(-target_ns // one)))
        samples = []
        for _ in range(runs):
            t0 = PC()
            for _ in range(inner):
                fn()
            samples.append((PC() - t0) / inner)
    finally:
        if gc_was:
            gc.enable()
    samples.sort()
    return {
        "median_us": round(statistics.median(samples) / 1e3, 3),
        "runs": runs,
        "inner": inner,
        "min_us": round(samples[0] / 1e3, 3),
    }


def cpu_model() -> str:
    """lscpu's "Model name" (from /proc/cpuinfo): figures are only comparable on one kind
    of processor (the machines here are sometimes Intel, sometimes AMD)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    """The processor model and the cores this process may run on."""
    return {"cpu": cpu_model(), "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}


def emit(record: dict, stream=None) -> None:
    print(json.dumps(record), file=stream or sys.stdout, flush=True)


def result(lib: str, scheme: str, N: int, L: int, op: str, timing: dict, **extra) -> dict:
    rec = {"lib": lib, "scheme": scheme, "N": N, "L": L, "op": op}
    rec.update(timing)
    rec.update(extra)
    return rec
