"""Secure aggregation between processes over loopback TCP; the server listens before
any client or member process starts (no free-port race, no retries or sleeps)."""

import socket
from multiprocessing.context import ForkProcess
from pathlib import Path

import numpy as np
import pytest

from pyppml import fl
from pyppml.fl.ckks.onetime.loopback import run_onetime_loopback


def test_loopback_round_with_dropouts():
    ups = list(np.random.default_rng(5).uniform(-1, 1, (9, 3000)))
    total, rep = fl.run_loopback(ups, threshold=6, dropouts={"shares": {1}, "masked": {2}, "unmask": {3}},
                                 timeout=20)
    assert rep.survivors == [0] + list(range(3, 9))
    assert np.abs(total - np.sum([ups[i] for i in rep.survivors], axis=0)).max() < 1e-5
    # upload: the masked vector (4 bytes per entry) plus keys and shares
    assert rep.upload_bytes[0] <= 2 * rep.plaintext_bytes


def test_loopback_signed_round_with_check():
    ups = list(np.random.default_rng(6).uniform(-1, 1, (10, 500)))
    total, rep = fl.run_loopback(ups, threshold=7, signed=True, timeout=20,
                                 dropouts={"masked": {1}, "check": {2}, "unmask": {3}})
    assert rep.survivors == [0] + list(range(2, 10))  # 2 and 3 dropped after their masked input
    assert not rep.rejected
    assert np.abs(total - np.sum([ups[i] for i in rep.survivors], axis=0)).max() < 1e-5


def _listening(addr) -> bool:
    """Whether a socket holds ``addr`` (binding it fails): a port found free and released
    before the fork is not held, so another process could take it."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(addr)
    except OSError:
        return True
    finally:
        probe.close()
    return False


@pytest.mark.parametrize("runner", ["secagg", "onetime"])
def test_server_listens_before_any_process_starts(monkeypatch, runner):
    """Each forked party finds the server's address already held by its listener (so it
    connects at once, with no retry loop); both loopback runners."""
    held = []
    start = ForkProcess.start

    def checked_start(self):
        addr = next(a for a in self._args if isinstance(a, tuple) and len(a) == 2 and a[0] == "127.0.0.1")
        held.append(_listening(addr))
        start(self)

    monkeypatch.setattr(ForkProcess, "start", checked_start)
    ups = list(np.random.default_rng(7).uniform(-1, 1, (4, 16)))
    if runner == "secagg":
        total, _ = fl.run_loopback(ups, threshold=3, timeout=20)
    else:
        total, _ = run_onetime_loopback(ups, members=2, poly_degree=2048, timeout=20)
    assert held and all(held)
    assert np.abs(total - np.sum(ups, axis=0)).max() < 1e-4


def test_no_sleeps_in_fl_code_and_tests():
    """No fixed sleeps waiting for a peer in pyppml/fl or tests/fl (issue 12, flakiness)."""
    root = Path(__file__).resolve().parents[2]
    offenders = [str(p.relative_to(root)) for folder in ("pyppml/fl", "tests/fl") for p in (root / folder).rglob("*.py")
                 if "sleep(" in p.read_text() and p.name != "test_loopback.py"]
    assert offenders == []
