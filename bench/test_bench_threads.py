"""`pyppml bench threads`' machine ceilings: the loops that say what two processes can
gain on this machine at all, for compute (NTTs) and for memory reads (what the key inner
products of 2^16 rings are bound by; docs/threads.md)."""

import pytest

from pyppml.benchmarks.threads import machine_ceiling


@pytest.mark.parametrize("kind", ["ntt", "memory"])
def test_machine_ceiling_measures_each_count(kind):
    rate = machine_ceiling([1, 2], seconds=0.3, rounds=1, kind=kind)
    assert sorted(rate) == [1, 2]
    # NTTs of 2^12 per second, or bytes read per second (1 GB/s is far below any DRAM).
    floor = 1e3 if kind == "ntt" else 1e9
    assert all(r > floor for r in rate.values()), rate
