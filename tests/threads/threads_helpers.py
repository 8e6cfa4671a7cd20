"""Shared assertions of the thread tests."""

from __future__ import annotations


def assert_all_equal(results: dict, what: str) -> None:
    """Every thread count's result equals the 1-thread one."""
    first = results[1]
    for t, r in results.items():
        assert r == first, f"{what}: {t} threads differ from 1 thread"
