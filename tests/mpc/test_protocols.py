"""Two-party protocols between real processes over loopback TCP with a dealer process:
Beaver products, comparison, ReLU, sigmoid within the fixed-point bound; secure sum
among three parties; a party killed or frozen mid-protocol gives the others an error
within the timeout."""

import time

import numpy as np
import pytest

import mpc_jobs
from pyppml.mpc import FixedPoint
from pyppml.mpc.local import run_local

ULP = 2.0 ** -mpc_jobs.FRAC


def run_ok(jobs, **kw):
    out = run_local(jobs, **kw)
    for i, o in out.items():
        assert o.ok, f"party {i}: {o.error_type}: {o.message}"
    return out


def test_arithmetic_and_comparison_match_plaintext():
    x = np.array([1.5, -2.0, 0.25, -0.1, 3.0, -7.5, 0.0, 2.0, -2.0, 1e-4, -1e-4, 100.0])
    y = np.array([2.0, 3.0, -1.0, 4.0, 0.5, 0.5, 9.0, -1.25, 0.75, 1.0, 1.0, -0.5])
    out = run_ok({0: mpc_jobs.arithmetic(x, y), 1: mpc_jobs.arithmetic(x, y), 2: mpc_jobs.dealer}, timeout=10)
    r0, r1 = out[0].value, out[1].value
    for key in ("mul", "relu", "lt", "sigmoid", "dot", "matmul"):
        np.testing.assert_array_equal(r0[key], r1[key])
    fx = FixedPoint(mpc_jobs.FRAC).decode(FixedPoint(mpc_jobs.FRAC).encode(x))  # x as encoded
    # Product of two encodings, truncated: within the encoding error of x and y plus one ulp.
    bound = ULP * (np.abs(y) + np.abs(x) + 2)
    assert np.all(np.abs(r0["mul"] - x * y) <= bound)
    np.testing.assert_array_equal(r0["relu"], np.maximum(fx, 0))
    np.testing.assert_array_equal(r0["lt"], (fx < 0).astype(np.uint64))
    assert np.all(np.abs(r0["sigmoid"] - np.clip(x / 4 + 0.5, 0, 1)) <= 2 * ULP)
    assert abs(r0["dot"].item() - x @ y) <= ULP * (np.abs(x).sum() + np.abs(y).sum() + 2)
    x, y = x[:64], y[:64]
    assert np.all(np.abs(r0["matmul"] - np.outer(x, y)) <= ULP * (np.abs(x)[:, None] + np.abs(y)[None, :] + 2))


def test_comparison_on_many_random_values():
    v = np.concatenate([np.random.default_rng(1).normal(0, 1000, 3000), [0.0, ULP, -ULP, 2.0 ** 40, -(2.0 ** 40)]])
    out = run_ok({0: mpc_jobs.arithmetic(v, v), 1: mpc_jobs.arithmetic(v, v), 2: mpc_jobs.dealer}, timeout=10)
    fv = FixedPoint(mpc_jobs.FRAC).decode(FixedPoint(mpc_jobs.FRAC).encode(v))
    np.testing.assert_array_equal(out[0].value["lt"], (fv < 0).astype(np.uint64))
    np.testing.assert_array_equal(out[0].value["relu"], np.maximum(fv, 0))


def test_secure_sum_three_parties():
    vals = {i: np.arange(1000, dtype=np.uint64) * np.uint64(i + 1) for i in range(3)}
    expected = vals[0] + vals[1] + vals[2]
    out = run_ok({i: mpc_jobs.summer(vals) for i in range(3)}, timeout=10)
    for i in range(3):
        np.testing.assert_array_equal(out[i].value, expected)


def test_party_killed_mid_training_others_fail_within_timeout():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, 10))
    y = (X @ rng.normal(size=10) > 0).astype(np.float64)
    timeout = 3.0
    t0 = time.monotonic()
    out = run_local({0: mpc_jobs.trainer(X, y, 1000, 64, 1.0, die_after=0.5),
                     1: mpc_jobs.trainer(X, y, 1000, 64, 1.0, die_after=0.5),
                     2: mpc_jobs.dealer}, timeout=timeout, deadline=30)
    elapsed = time.monotonic() - t0
    assert out[1].ok is False and out[1].error_type == "Died"
    assert out[0].ok is False and out[0].error_type in ("PeerClosedError", "PeerTimeoutError"), out[0].message
    assert out[2].ok is False and out[2].error_type in ("PeerClosedError", "PeerTimeoutError"), out[2].message
    # The kill comes 0.5 s into party 1's job; the others fail within one timeout of it
    # (in practice at once: the kernel closes the dead process's sockets).
    assert out[0].seconds < 0.5 + timeout and out[2].seconds < 0.5 + timeout, (out[0].seconds, out[2].seconds)
    assert elapsed < 0.5 + timeout + 5.0


def test_frozen_peer_gives_timeout_not_hang():
    timeout = 1.0
    out = run_local({0: mpc_jobs.opener_forever, 1: mpc_jobs.freezer(0.2), 2: mpc_jobs.dealer},
                    timeout=timeout, deadline=15, wait_for=[0])
    assert out[0].ok is False and out[0].error_type == "PeerTimeoutError", out[0].message
    waited = float(out[0].message.split("[after ")[1].split(" s]")[0])
    assert timeout * 0.9 <= waited <= timeout + 1.0


def test_dealer_notices_a_failed_party_while_waiting_on_the_other():
    """Party 0 freezes; party 1 times out and exits; the dealer, blocked waiting for party
    0's next request, sees party 1's connection close and fails at once (its idle
    timeout is 30 s)."""
    t0 = time.monotonic()
    out = run_local({0: mpc_jobs.freeze_party0, 1: mpc_jobs.waiting_party1, 2: mpc_jobs.dealer},
                    timeout=5.0, deadline=20, wait_for=[1, 2])
    assert out[1].error_type == "PeerTimeoutError", out[1].message
    assert out[2].error_type == "PeerClosedError", out[2].message
    assert time.monotonic() - t0 < 8.0
