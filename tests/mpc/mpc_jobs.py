"""Jobs run by the party processes of the MPC tests (module-level so any start method works)."""

from __future__ import annotations

import os
import signal
import time

import numpy as np

from pyppml.mpc import DealerTripleSource, SecureLogisticRegression, SecureRuntime, run_dealer, secure_sum

FRAC = 16


def dealer(party):
    return run_dealer(party, idle_timeout=30.0)


def runtime(party):
    return SecureRuntime(party, DealerTripleSource(party, dealer=2), frac_bits=FRAC)


def arithmetic(x, y):
    """Job factory: both parties compute products, comparisons and sigmoids of x (owned by
    party 0) and y (owned by party 1) and return the opened results."""

    def job(party):
        rt = runtime(party)
        xs = rt.share_input(x if party.index == 0 else None, owner=0, shape=x.shape)
        ys = rt.share_input(y if party.index == 1 else None, owner=1, shape=y.shape)
        out = {
            "mul": rt.decode(rt.open(rt.mul_fixed(xs, ys))),
            "relu": rt.decode(rt.open(rt.relu(xs))),
            "lt": rt.open(rt.less_than_zero(xs)),
            "sigmoid": rt.decode(rt.open(rt.sigmoid(xs))),
            "dot": rt.decode(rt.open(rt.truncate(rt.dot(xs, ys)))),
            "matmul": rt.decode(rt.open(rt.matmul_fixed(xs[:64].reshape(-1, 1), ys[:64].reshape(1, -1)))),
            "rounds": rt.rounds,
        }
        rt.source.close()
        return out

    return job


def summer(values):
    def job(party):
        return secure_sum(party, values[party.index])

    return job


def trainer(X, y, epochs, batch, lr, die_after=None):
    """Job factory: train on this party's half; with ``die_after`` seconds, party 1
    SIGKILLs itself that long into training."""

    def job(party):
        rt = runtime(party)
        if die_after is not None and party.index == 1:
            import threading

            threading.Timer(die_after, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
        half = X.shape[0] // 2
        rows = slice(0, half) if party.index == 0 else slice(half, None)
        model = SecureLogisticRegression(rt, epochs=epochs, batch_size=batch, learning_rate=lr)
        w = model.fit(X[rows], y[rows]).weights()
        rt.source.close()
        return w

    return job


def freezer(after: float):
    """Party 1 job: connect, then stop responding (SIGSTOP itself) mid-protocol."""

    def job(party):
        rt = runtime(party)
        xs = rt.share_input(owner=0, shape=(4,))
        rt.open(xs)
        time.sleep(after)
        os.kill(os.getpid(), signal.SIGSTOP)
        return None

    return job


def opener_forever(party):
    """Party 0 job: open values in a loop until the peer fails."""
    rt = runtime(party)
    xs = rt.share_input(np.ones(4), owner=0)
    t_last = time.monotonic()
    try:
        while True:
            rt.open(xs)
            t_last = time.monotonic()
    except Exception as err:  # report how long after the last good round the error came
        raise type(err)(f"{err} [after {time.monotonic() - t_last:.2f} s]") from None


def freeze_party0(party):
    """Party 0 job: fetch material once, then stop responding (SIGSTOP itself)."""
    rt = runtime(party)
    rt.source.mul_triple((3,))
    os.kill(os.getpid(), signal.SIGSTOP)


def waiting_party1(party):
    """Party 1 job: fetch material once, then wait for party 0 (which is frozen)."""
    rt = runtime(party)
    rt.source.mul_triple((3,))
    rt.peer.recv(timeout=1.0)


def mismatched_frac_bits(party):
    """Party 0 at 16 fractional bits, party 1 at 20: the runtimes must refuse each other."""
    return SecureRuntime(party, DealerTripleSource(party, dealer=2), frac_bits=16 if party.index == 0 else 20)


def trainer_with(lr_by_party, X, y, epochs, batch):
    """A trainer whose learning rate differs per party (their agreement must refuse it)."""

    def job(party):
        rt = runtime(party)
        half = X.shape[0] // 2
        rows = slice(0, half) if party.index == 0 else slice(half, None)
        return SecureLogisticRegression(rt, epochs=epochs, batch_size=batch,
                                        learning_rate=lr_by_party[party.index]).fit(X[rows], y[rows]).weights()

    return job
