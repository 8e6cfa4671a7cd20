"""The FL benchmark rounds (``pyppml bench fl``) run through the current protocols:
signed uploads and certification for the collective key, signing keys and the
certification step for a t-of-k one-time committee; their sums are checked inside."""

import pytest

from pyppml.benchmarks import fl as bench


def test_collective_key_round():
    r = bench.ckks_round(3, 50)
    assert r["max_err"] < 2 ** -9 and r["upload"] > 0


@pytest.mark.parametrize("members, threshold", [(3, None), (3, 2), (5, 3)])
def test_onetime_round(members, threshold):
    r = bench.ckks_onetime_round(6, 100, members, threshold)
    assert r["max_err"] < 2.0 ** -20 and r["member_s"] > 0
