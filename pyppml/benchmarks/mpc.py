"""MPC benchmark: two-party logistic regression on a 5000 x 20 synthetic data set
(CrypTen's workload), parties and dealer as separate processes over loopback TCP.

Reports, per batch size, the online time per epoch next to the plaintext NumPy epoch
(same mini-batch schedule, same run, same machine) and their ratio (medians, and the
ratio of the fastest epochs, less sensitive to other load on a shared machine), the offline cost
(dealer triples and comparison material per epoch, generation plus transfer) and the
one-time setup (input sharing and the opening of X - A). Then the offline cost of
elementwise triples alone: made by the two parties with BFV (``triples_he``, no dealer)
next to the dealer's (``triples_dealer_mul``), in triples/s and bytes per triple.

    pyppml bench mpc [--quick] [--runs R]
"""

from __future__ import annotations

import statistics

import numpy as np

from pyppml.benchmarks.harness import emit, measure, result

ROWS, FEATURES = 5000, 20
LEARNING_RATE = 1.0


def dataset(rows: int = ROWS, features: int = FEATURES, seed: int = 7):
    """Synthetic, public benchmark data (not secret, so numpy.random is fine here)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    w = rng.normal(size=features)
    y = (X @ w + 0.5 * rng.normal(size=rows) > 0).astype(np.float64)
    return X, y


def _party_job(X, y, epochs, batch):
    def job(party):
        from pyppml.mpc import DealerTripleSource, SecureLogisticRegression, SecureRuntime

        rt = SecureRuntime(party, DealerTripleSource(party, dealer=2))
        half = X.shape[0] // 2
        rows = slice(0, half) if party.index == 0 else slice(half, None)
        model = SecureLogisticRegression(rt, epochs=epochs, batch_size=batch, learning_rate=LEARNING_RATE)
        w = model.fit(X[rows], y[rows]).weights()
        src = rt.source
        rt.source.close()
        return {
            "online": model.epoch_online_seconds,
            "offline": model.epoch_offline_seconds,
            "setup": model.setup_seconds,
            "setup_offline": model.setup_offline_seconds,
            "offline_bytes": src.offline_bytes,
            "epoch_offline_bytes": model.epoch_offline_bytes,
            "online_bytes": rt.peer.bytes_sent + rt.peer.bytes_received,
            "rounds": rt.rounds,
            "w": w,
        }

    return job


def _dealer_job(party):
    from pyppml.mpc import run_dealer

    return run_dealer(party)


def plaintext_epoch(X, y, batch, w):
    Xb = np.hstack([X, np.ones((X.shape[0], 1))])

    def epoch():
        for s in range(0, Xb.shape[0], batch):
            xb = Xb[s:s + batch]
            w[:] -= (LEARNING_RATE / xb.shape[0]) * (xb.T @ (1.0 / (1.0 + np.exp(-(xb @ w))) - y[s:s + batch]))

    return epoch


def run_one(batch: int, epochs: int, runs: int, X, y) -> list[dict]:
    from pyppml.mpc.local import run_local
    from pyppml.mpc.logistic import predict

    out = run_local({0: _party_job(X, y, epochs, batch), 1: _party_job(X, y, epochs, batch), 2: _dealer_job},
                    timeout=60, deadline=600)
    for i, o in out.items():
        if not o.ok:
            raise RuntimeError(f"mpc benchmark: party {i} failed: {o.error_type}: {o.message}")
    p0 = out[0].value
    # An epoch lasts until the slower party finishes it.
    online = [max(a, b) * 1e6 for a, b in zip(p0["online"], out[1].value["online"])]
    offline = [max(a, b) * 1e6 for a, b in zip(p0["offline"], out[1].value["offline"])]
    online_us, offline_us = statistics.median(online), statistics.median(offline)
    w = np.zeros(X.shape[1] + 1)
    plain = measure(plaintext_epoch(X, y, batch, w), runs=runs, target_ms=20)
    ratio = online_us / plain["median_us"]
    acc_mpc = float((predict(p0["w"], X) == y).mean())
    from pyppml.mpc import train_plaintext

    acc_plain = float((predict(train_plaintext(X, y, epochs, batch, LEARNING_RATE), X) == y).mean())
    common = {"rows": X.shape[0], "features": X.shape[1], "batch": batch, "epochs": epochs, "parties": 2,
              "triples": "dealer"}
    recs = [
        result("pyppml", "mpc", X.shape[0], X.shape[1], "lr_epoch_online",
               {"median_us": round(online_us, 1), "runs": epochs, "min_us": round(min(online), 1)},
               ratio_vs_plain=round(ratio, 2), ratio_min_vs_plain_min=round(min(online) / plain["min_us"], 2),
               rounds_per_epoch=p0["rounds"] // max(epochs, 1), online_bytes_per_epoch=p0["online_bytes"] // max(
                   epochs, 1), accuracy=acc_mpc, **common),
        result("pyppml", "mpc", X.shape[0], X.shape[1], "lr_epoch_plain", plain, accuracy=acc_plain, **common),
        result("pyppml", "mpc", X.shape[0], X.shape[1], "triples_dealer",
               {"median_us": round(offline_us, 1), "runs": epochs, "min_us": round(min(offline), 1)}, per="epoch",
               offline_bytes_per_epoch=int(statistics.median(out[1].value["epoch_offline_bytes"])), ratio_vs_plain=round(
                   offline_us / plain["median_us"], 2), **common),
        result("pyppml", "mpc", X.shape[0], X.shape[1], "lr_setup_online",
               {"median_us": round(p0["setup"] * 1e6, 1), "runs": 1},
               setup_offline_us=round(p0["setup_offline"] * 1e6, 1), **common),
    ]
    return recs


def _triples_job(count, he):
    def job(party):
        import time

        from pyppml.mpc import DealerTripleSource, HeTripleSource
        from pyppml.mpc.triples import Kind, _row

        src = HeTripleSource(party) if he else DealerTripleSource(party, dealer=2)
        src.preprocess([_row(Kind.MUL, 16)])  # setup (public contexts) and warm-up, not timed
        before, t0 = src.offline_bytes, time.perf_counter()
        src.preprocess([_row(Kind.MUL, count)])
        seconds, nbytes = time.perf_counter() - t0, src.offline_bytes - before
        src.close()
        return seconds, nbytes

    return job


def run_triples(count: int) -> list[dict]:
    """Offline cost of ``count`` elementwise triples: BFV between the parties (bytes: both
    directions) vs the dealer (bytes received by both parties)."""
    from pyppml.mpc.local import run_local

    recs = []
    for op, he in (("triples_he", True), ("triples_dealer_mul", False)):
        jobs = {0: _triples_job(count, he), 1: _triples_job(count, he)}
        if not he:
            jobs[2] = _dealer_job
        out = run_local(jobs, timeout=60, deadline=600)
        if not (out[0].ok and out[1].ok):
            raise RuntimeError(f"mpc benchmark: {op} failed: {out[0].message} {out[1].message}")
        seconds = max(out[0].value[0], out[1].value[0])
        nbytes = out[0].value[1] if he else out[0].value[1] + out[1].value[1]
        recs.append(result("pyppml", "mpc", count, 1, op, {"median_us": round(seconds * 1e6, 1), "runs": 1},
                           triples_per_s=round(count / seconds), bytes_per_triple=round(nbytes / count, 1)))
    return recs


def run(args) -> None:
    X, y = dataset()
    quick = getattr(args, "quick", False)
    runs = max(3, getattr(args, "runs", 10))
    epochs = 3 if quick else 10
    sizes = [5000] if quick else [128, 500, 5000]
    for batch in sizes:
        for rec in run_one(batch, epochs, runs, X, y):
            emit(rec)
    for rec in run_triples(1 << 15 if quick else 1 << 18):
        emit(rec)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    run(ap.parse_args())
