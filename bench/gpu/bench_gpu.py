"""GPU benchmark: `python bench/gpu/bench_gpu.py [--quick] [--runs R] [--out FILE]`.

The operations of issue 16 on the CUDA backend and, in the same run, on one CPU core of
pyppml (set_num_threads(1)): a batched forward NTT of 36 limbs at n = 2^16; CKKS
multiply + relinearize + rescale at n = 2^16, L = 35, dnum = 3; a rotation (one key
switch). One JSON line per (lib, op): {"lib", "scheme", "N", "L", "op", "median_us",
"runs"}; lib "pyppml-cuda" or "pyppml-cpu1". GPU figures: the median over `runs` batches
of the mean time per call in a batch of back-to-back calls (then one synchronization),
so launch latency overlaps as it does in a real pipeline. --quick: n = 2^14, L = 7.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # a source checkout

import pyppml  # noqa: E402
from pyppml import ckks, gpu, ring  # noqa: E402
from pyppml._core import he as _he  # noqa: E402
from pyppml.gpu.evaluator import evaluator_for  # noqa: E402


def emit(out, lib, scheme, n, level, op, times, runs):
    line = {"lib": lib, "scheme": scheme, "N": n, "L": level, "op": op,
            "median_us": round(statistics.median(times) * 1e6, 2), "runs": runs}
    text = json.dumps(line)
    print(text, flush=True)
    if out:
        with open(out, "a") as f:
            f.write(text + "\n")
    return line


def gpu_time(fn, sync, runs, batch):
    fn()
    sync()  # warm-up: tables, plans and the memory pool
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(batch):
            fn()
        sync()
        times.append((time.perf_counter() - t) / batch)
    return times


def cpu_time(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--cpu-runs", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    gpu.require("bench_gpu")
    module = gpu.discovery._load()[0]
    sync = module.synchronize
    log_n, levels, dnum = (14, 7, 3) if args.quick else (16, 35, 3)
    n = 1 << log_n
    print(f"# device: {gpu.devices()[0]['name']}; CPU backend {ring.get_backend()} -> {pyppml._core.effective_backend()}",
          file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # security=None: the benchmark shape, not a security claim
        ctx = ckks.Context(poly_degree=n, coeff_mod_bits=[50] + [40] * levels, scale_bits=40, dnum=dnum, security=None)
    t = time.perf_counter()
    ctx.keygen(rotations=[1], conjugate=False)
    print(f"# keygen n={n} L={levels} dnum={dnum} |P|={len(ctx.special_moduli)}: {time.perf_counter() - t:.1f} s",
          file=sys.stderr)
    ev = evaluator_for(ctx)
    dc = ev.device_context
    results = []

    # Batched NTT of all data limbs (L + 1 = 36 at full size), in place on the device.
    moduli = ctx.coeff_moduli
    rng = np.random.default_rng(0)
    a = np.stack([rng.integers(0, q, n, dtype=np.uint64) for q in moduli])
    buf = dc.buffer(a)
    times = gpu_time(lambda: dc.ntt_inplace(buf, True), sync, args.runs, 50)
    results.append(emit(args.out, "pyppml-cuda", "ring", n, levels, f"ntt_forward_{len(moduli)}limbs", times, args.runs))
    tables = [ring.NttTables(n, q) for q in moduli]
    work = a.copy()

    def cpu_ntt():
        for i, tb in enumerate(tables):
            tb.forward_inplace(work[i])  # output in [0, q): a valid input for the next run

    previous = pyppml.get_num_threads()
    pyppml.set_num_threads(1)
    try:
        times = cpu_time(cpu_ntt, args.cpu_runs)
        results.append(emit(args.out, "pyppml-cpu1", "ring", n, levels, f"ntt_forward_{len(moduli)}limbs", times,
                            args.cpu_runs))

        # CKKS on device-resident data (the raw device calls: no Python-side level logic).
        x, y = ctx.encrypt(rng.uniform(-1, 1, ctx.slots)), ctx.encrypt(rng.uniform(-1, 1, ctx.slots))
        gx, gy = x.to("cuda")._native, y.to("cuda")._native
        rk = ev._relin(ctx.relin_key)
        elt = ctx.galois_element(1)
        gk = ev._galois(ctx.galois_keys, [elt])[0]
        h = ctx._native
        ops = {
            "mult_relin_rescale": (lambda: dc.rescale(dc.relinearize(dc.multiply(gx, gy), rk)),
                                   lambda: h.rescale(h.relinearize(h.multiply(x._native, y._native), ctx.relin_key))),
            "rotate": (lambda: dc.apply_galois(gx, elt, gk), lambda: h.apply_galois(x._native, elt, ctx.galois_keys)),
            "add": (lambda: dc.add(gx, gy), lambda: h.add(x._native, y._native)),
        }
        for op, (on_gpu, on_cpu) in ops.items():
            results.append(emit(args.out, "pyppml-cuda", "ckks", n, levels, op, gpu_time(on_gpu, sync, args.runs, 10),
                                args.runs))
            results.append(emit(args.out, "pyppml-cpu1", "ckks", n, levels, op, cpu_time(on_cpu, args.cpu_runs),
                                args.cpu_runs))
    finally:
        pyppml.set_num_threads(previous)
    by = {(r["lib"], r["op"]): r["median_us"] for r in results}
    for op in sorted({r["op"] for r in results}):
        g, c = by.get(("pyppml-cuda", op)), by.get(("pyppml-cpu1", op))
        if g and c:
            print(f"# {op}: cuda {g:.1f} us, one CPU core {c:.1f} us, speedup {c / g:.0f}x", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
