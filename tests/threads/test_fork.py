"""Fork safety: the pool is used, then the process forks (os.fork, multiprocessing with
the "fork" start method); the child uses the pool and finishes. Each child runs under a
timeout so that a hang fails the test instead of blocking CI."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
import warnings

import numpy as np
import pytest

import pyppml
from pyppml import _core, ckks

TIMEOUT_S = 60


def _pool_work() -> int:
    return _core._parallel_sum_for_tests(4096, 1)


EXPECTED = 36 * 4096 * 4097 // 2


@pytest.fixture
def two_threads():
    before = pyppml.get_num_threads()
    pyppml.set_num_threads(2)
    yield
    pyppml.set_num_threads(before)


def _wait(pid: int) -> int:
    """Exit status of `pid`, killing it after TIMEOUT_S."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"forked child hung for {TIMEOUT_S} s")


def test_os_fork_child_uses_the_pool(two_threads):
    assert _pool_work() == EXPECTED  # the parent's workers exist now
    pid = os.fork()
    if pid == 0:  # child: only this thread exists; a fresh pool must start
        code = 1
        try:
            code = 0 if _pool_work() == EXPECTED and _pool_work() == EXPECTED else 2
        finally:
            os._exit(code)
    assert _wait(pid) == 0
    assert _pool_work() == EXPECTED  # the parent's pool still works


def _ckks_child(payload, queue):
    ctx, ct = payload
    queue.put((ct * ct).to_bytes())


def test_multiprocessing_fork_runs_he_in_children(two_threads):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[50, 40, 40], special_mod_bits=[50], scale_bits=40,
                           security=None)
    ctx.keygen(rotations=[])
    ct = ctx.encrypt(np.linspace(-1, 1, ctx.slots))
    expected = (ct * ct).to_bytes()  # the parent used the pool before forking
    fork = mp.get_context("fork")
    queue = fork.Queue()
    procs = [fork.Process(target=_ckks_child, args=((ctx.make_public(), ct), queue)) for _ in range(2)]
    for p in procs:
        p.start()
    try:
        results = [queue.get(timeout=TIMEOUT_S) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=TIMEOUT_S)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs)
    assert results == [expected, expected]


def _fork_beside(busy_work, child_ok, forks: int) -> None:
    """Fork `forks` times while another Python thread repeats `busy_work`; each child must
    get child_ok() true and exit within TIMEOUT_S."""
    import threading

    stop = threading.Event()

    def busy():
        while not stop.is_set():
            busy_work()

    t = threading.Thread(target=busy)
    t.start()
    try:
        for _ in range(forks):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads
                pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = 0 if child_ok() else 2
                finally:
                    os._exit(code)
            assert _wait(pid) == 0
    finally:
        stop.set()
        t.join()


def test_fork_while_another_thread_uses_the_pool(two_threads):
    # A fork while a second Python thread is inside a parallel call: the child still gets a
    # working pool (the parent's may be busy or locked at the moment of the fork).
    _fork_beside(_pool_work, lambda: _pool_work() == EXPECTED, forks=5)


def test_fork_while_another_thread_allocates_blocks():
    # The block cache is one per process, under a lock: a fork while another thread holds
    # it would leave the child's copy locked forever, and the child's first large block
    # would hang. The busy thread takes and returns cached blocks without pause (the lock
    # is held most of the time); each child then allocates them too.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[50, 40, 40], special_mod_bits=[50], scale_bits=40,
                           security=None)
    ctx.keygen(rotations=[])
    ct = ctx.encrypt(np.linspace(-1, 1, ctx.slots))
    expected = (ct + ct).to_bytes()

    def child_ok():
        _core._block_churn_for_tests(1 << 16, 10)
        return (ct + ct).to_bytes() == expected

    _fork_beside(lambda: _core._block_churn_for_tests(1 << 16, 100000), child_ok, forks=20)


def test_forked_child_does_not_continue_the_parents_stream():
    # The key/encryption generator of a thread is keyed again in a forked child: copied,
    # it would give the child the parent's next keystream, i.e. the same encryption noise
    # and seeds as the parent's next encryption (c0 - c0' then reveals nothing less than
    # the difference of the messages, and the error is shared). Same key, same message:
    # the two ciphertexts are equal only if the streams are (a 256-bit seed collision).
    ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    ctx.keygen(rotations=[], conjugate=False, relin=False)  # the parent's generator is in use
    values = np.linspace(-1, 1, ctx.slots)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                out.write(ctx.encrypt(values, symmetric=True).to_bytes())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child = pipe.read()
    assert _wait(pid) == 0
    parent = ctx.encrypt(values, symmetric=True).to_bytes()
    assert len(child) == len(parent) > 0
    assert child != parent, "the forked child continued the parent's keystream"
