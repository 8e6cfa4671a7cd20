"""Helpers of the thread tests: run a function at several thread counts, restoring the
setting afterwards (the pool setting is process-wide)."""

from __future__ import annotations

import pytest

import pyppml

THREAD_COUNTS = (1, 2, 3, 4)


@pytest.fixture
def at_threads():
    """at_threads(fn) -> {threads: fn()} for 1, 2, 3 and 4 threads."""
    before = pyppml.get_num_threads()

    def run(fn, counts=THREAD_COUNTS):
        out = {}
        for t in counts:
            pyppml.set_num_threads(t)
            out[t] = fn()
        return out

    yield run
    pyppml.set_num_threads(before)

