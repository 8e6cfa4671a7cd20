"""`pyppml bench mpc` as pytest-benchmark tests: additive and Shamir sharing in process, and
the suite's two-party logistic regression (parties and dealer as processes over loopback
TCP) on a reduced data set."""

import numpy as np

from pyppml import mpc
from pyppml.benchmarks import mpc as suite

PARAMS = {"size": ((4096,), (1 << 20,)), "rows": ((400,), (5000,))}


def test_additive_share(ppml_bench, size):
    secrets = np.arange(size, dtype=np.uint64)
    shares = ppml_bench(lambda: mpc.additive_share(secrets, 3), scheme="mpc", N=size, L=3, op="additive_share")
    assert np.array_equal(mpc.additive_reconstruct(shares), secrets)


def test_shamir_share(ppml_bench, size):
    secrets = np.arange(size, dtype=np.uint64) % mpc.SHAMIR_PRIME
    shares = ppml_bench(lambda: mpc.shamir_share(secrets, 5, 3), scheme="mpc", N=size, L=5, op="shamir_share_5_3")
    # Any 3 of the 5 shares reconstruct (share i is the evaluation at point i + 1).
    assert np.array_equal(mpc.shamir_reconstruct({i + 1: shares[i] for i in (0, 2, 4)}), secrets)


def test_two_party_logistic_regression(ppml_bench, rows):
    X, y = suite.dataset(rows=rows)
    recs = ppml_bench(lambda: suite.run_one(batch=min(rows, 128), epochs=1, runs=1, X=X, y=y), scheme="mpc", N=rows,
                      L=X.shape[1], op="lr_fit_2party_1epoch", rounds=1, note="processes, loopback TCP, dealer")
    online = next(r for r in recs if r["op"] == "lr_epoch_online")
    # Secure training learns what plaintext training learns (fixed-point error only).
    plain = next(r for r in recs if r["op"] == "lr_epoch_plain")
    assert abs(online["accuracy"] - plain["accuracy"]) < 0.05
