"""Smoke test of bench/gpu/bench_gpu.py (--quick), on a usable GPU only; no timing asserted."""

import pytest

from pyppml import gpu


@pytest.mark.skipif(not gpu.is_available(), reason=f"no usable GPU: {gpu.unavailable_reason()}")
def test_bench_gpu_quick(tmp_path):
    import bench_gpu

    rows = bench_gpu.main(["--quick", "--runs", "2", "--cpu-runs", "1", "--out", str(tmp_path / "gpu.jsonl")])
    assert {r["lib"] for r in rows} == {"pyppml-cuda", "pyppml-cpu1"}
    assert all(set(r) == {"lib", "scheme", "N", "L", "op", "median_us", "runs"} and r["median_us"] > 0 for r in rows)
