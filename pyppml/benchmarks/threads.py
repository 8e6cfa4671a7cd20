"""Thread scaling of the core's pool: CKKS multiply+relinearize+rescale and rotate (and
the NTT-heavy encryption) at each thread count, on the peers' parameter sets (2^15 and
2^16 by default; ``--logn`` to choose, ``--threads 1 2 4`` for the counts). Thread counts
are measured in turns, several rounds, so that a load change on a shared machine hits
them alike; each line carries the best round's median and a "threads" field, and a
"speedup" line per op compares each count with one thread."""

from __future__ import annotations

import multiprocessing
import time

import numpy as np

import pyppml
from pyppml.benchmarks.ckks import CKKS_SETS, chain
from pyppml.benchmarks.harness import emit, machine, measure, result


def _ops(N, q_bits, p_bits, scale_bits):
    from pyppml import ckks

    ctx = ckks.Context(poly_degree=N, coeff_mod_bits=q_bits, special_mod_bits=p_bits, scale_bits=scale_bits,
                       security_standard="2018")
    nat = ctx._native
    sk = nat.keygen_secret()
    pk, rk = nat.keygen_public(sk), nat.keygen_relin(sk)
    g1 = ctx.galois_element(1)
    gk = nat.keygen_galois(sk, [g1])
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 1, (2, N // 2))
    top = len(q_bits) - 1
    scale = float(2 ** scale_bits)
    pt = nat.encode_real(x, scale, top)
    ct, ct2 = nat.encrypt_public(pk, pt), nat.encrypt_public(pk, nat.encode_real(y, scale, top))
    ops = {
        # What ``a * b`` runs: the tensor, then one ModDown by q_l * P.
        "multiply_relin_rescale": lambda: nat.relinearize_rescale(nat.multiply(ct, ct2), rk),
        "rotate": lambda: nat.apply_galois(ct, g1, gk),
        "encrypt": lambda: nat.encrypt_public(pk, pt),
    }
    m = nat.decode(nat.decrypt(sk, ops["multiply_relin_rescale"]())).real
    ok = bool(np.max(np.abs(m - x * y)) < 1e-3)
    return ops, ok


def _ntt_loop(seconds: float, out) -> None:
    from pyppml import ring

    n = 4096  # 32 KiB of data and 64 KiB of tables: L2-resident, compute-bound
    q = ring.find_ntt_primes(50, n, 1)[0]
    tables = ring.NttTables(n, q)
    a = np.random.default_rng(0).integers(0, q, n, dtype=np.uint64)
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(200):
            a = tables.forward(a)
        count += 200
    out.put(count / seconds)


def _memory_loop(seconds: float, out) -> None:
    # 256 MiB per process, far beyond any L3 here: NumPy's sum streams it from DRAM
    # (34-42 GB/s on one core of the AMD EPYC here, near a plain AVX-512 read loop).
    a = np.ones(1 << 25, dtype=np.uint64)
    a.sum()
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        a.sum()
        count += a.nbytes
    out.put(count / seconds)


_LOOPS = {"ntt": _ntt_loop, "memory": _memory_loop}


def machine_ceiling(counts, seconds: float = 3.0, rounds: int = 2, kind: str = "ntt") -> dict[int, float]:
    """Work per second of all processes together when ``t`` run the loop at once, best of
    ``rounds`` turns per count: NTTs (the compute ceiling) or bytes read from DRAM (the
    memory ceiling: what the key inner products of large rings are bound by)."""
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited pool
    rate: dict[int, float] = {}
    for _ in range(rounds):
        for t in counts:
            q = ctx.Queue()
            procs = [ctx.Process(target=_LOOPS[kind], args=(seconds, q)) for _ in range(t)]
            for p in procs:
                p.start()
            total = sum(q.get() for _ in procs)
            for p in procs:
                p.join()
            rate[t] = max(rate.get(t, 0.0), total)
    return rate


def run(args) -> None:
    sets = [s for s in CKKS_SETS if s[0].bit_length() - 1 in (getattr(args, "logn", None) or [15, 16])]
    if getattr(args, "quick", False):
        sets = [s for s in CKKS_SETS if s[0] == 1 << 14]
    counts = getattr(args, "threads", None) or [1, 2]
    runs = getattr(args, "runs", 10)
    rounds = 2 if getattr(args, "quick", False) else 3
    before = pyppml.get_num_threads()
    cpu = machine()
    seconds = 1.0 if getattr(args, "quick", False) else 3.0
    rate = machine_ceiling(counts, seconds=seconds)
    for t in counts[1:]:
        emit({"lib": "machine", "op": "ntt_processes_ceiling_speedup", "N": 4096, "threads": t,
              "vs_threads": counts[0], "ceiling_speedup": round(rate[t] / rate[counts[0]], 3), **cpu})
    # Large rings' key switches read their keys from DRAM: on a machine whose bandwidth
    # does not grow with the cores, that bounds their speedup (docs/threads.md).
    read = machine_ceiling(counts, seconds=seconds, kind="memory")
    for t in counts[1:]:
        emit({"lib": "machine", "op": "memory_processes_ceiling_speedup", "threads": t, "vs_threads": counts[0],
              "ceiling_speedup": round(read[t] / read[counts[0]], 3),
              "gb_per_s": {str(c): round(read[c] / 1e9, 1) for c in counts}, **cpu})
    try:
        for N, first, scale_bits, depth, special in sets:
            q_bits, p_bits = chain(first, scale_bits, depth, special)
            L = len(q_bits)
            ops, ok = _ops(N, q_bits, p_bits, scale_bits)
            emit({"lib": "pyppml", "scheme": "ckks", "N": N, "L": L, "op": "_check", "ok": ok})
            r = max(3, runs // 2) if N >= 1 << 16 else runs
            best: dict[tuple[str, int], dict] = {}
            for _ in range(rounds):
                for t in counts:
                    pyppml.set_num_threads(t)
                    for name, fn in ops.items():
                        timing = measure(fn, runs=r)
                        key = (name, t)
                        if key not in best or timing["median_us"] < best[key]["median_us"]:
                            best[key] = timing
            for (name, t), timing in sorted(best.items()):
                emit(result("pyppml", "ckks", N, L, name, timing, threads=t, rounds=rounds, **cpu))
            for name in ops:
                one = best[(name, counts[0])]["median_us"]
                for t in counts[1:]:
                    emit({"lib": "pyppml", "scheme": "ckks", "N": N, "L": L, "op": name + "_speedup",
                          "threads": t, "vs_threads": counts[0],
                          "speedup": round(one / best[(name, t)]["median_us"], 3), **cpu})
    finally:
        pyppml.set_num_threads(before)
