"""Encrypted scoring (``pyppml.ml``: encrypted logistic model, degree-3 polynomial sigmoid
under encryption, output "score") of a large
batch of records on a dask.distributed LocalCluster of worker processes, beside the same
scoring in this process: records per second in all and per worker. Needs dask
(``pip install "pyppml[dask]"``); the suite is skipped without it.

``--workers 1 2`` sets the cluster sizes, ``--threads`` the pool threads per worker
(default 1: one process per core)."""

from __future__ import annotations

import os
import time

import numpy as np
from distributed import Client, LocalCluster

import pyppml
from pyppml.benchmarks.harness import emit
from pyppml.distributed import (scatter_records, score_encrypted_distributed, set_worker_threads, share_context,
                                share_model)
from pyppml.ml import SigmoidApproximation, encrypt_model, encrypt_records, inference_context, score_encrypted


def _median_time(fn, runs: int) -> float:
    fn()  # warm-up (and, on a cluster, the model and context broadcast)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return float(np.median(samples))


def run(args) -> None:
    quick = getattr(args, "quick", False)
    N = 16384
    n_records = (4 if quick else 12) * (N // 2)
    d = 16
    runs = max(3, min(getattr(args, "runs", 10), 5))
    worker_counts = getattr(args, "workers", None) or [1, 2]
    threads = (getattr(args, "threads", None) or [1])[0]
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (n_records, d))
    coef, intercept = rng.uniform(-1, 1, d) / 4, 0.5
    approx = SigmoidApproximation.fit(3, 8.0)
    ctx = inference_context(N, approximation=approx, encrypted_model=True, output="score")
    records = encrypt_records(X, ctx)
    model = encrypt_model(coef, intercept, ctx)
    L = len(ctx.coeff_moduli)
    base = {"lib": "pyppml", "scheme": "ckks", "N": N, "L": L, "records": n_records, "features": d, "runs": runs}

    before = pyppml.get_num_threads()
    pyppml.set_num_threads(threads)
    try:
        t = _median_time(lambda: score_encrypted(records, model, approx, output="score"), runs)
    finally:
        pyppml.set_num_threads(before)
    emit(dict(base, op="score_batch_single_process", median_us=round(t * 1e6, 1), workers=0, threads=threads,
              records_per_s=round(n_records / t, 1)))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ["PYTHONPATH"] = root + os.pathsep + os.environ.get("PYTHONPATH", "")
    for workers in worker_counts:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as cluster, Client(cluster) as client:
            set_worker_threads(client, threads)
            shared = share_context(client, ctx)
            # Records sent with each call, and records already on the workers (the usual
            # case when they are read there): the gap is the cost of moving ciphertexts.
            resident = scatter_records(client, records)
            shared_model = share_model(client, model)
            for op, recs in (("score_batch_dask", records), ("score_batch_dask_resident", resident)):
                t = _median_time(lambda: score_encrypted_distributed(client, recs, shared_model, context=shared,
                                                                     approximation=approx, output="score"), runs)
                emit(dict(base, op=op, median_us=round(t * 1e6, 1), workers=workers, threads=threads,
                          records_per_s=round(n_records / t, 1),
                          records_per_s_per_worker=round(n_records / t / workers, 1)))
