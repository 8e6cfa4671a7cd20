"""bench/confirm_targets.py judges the issues' targets from the suites' JSON lines: on
records that meet a target it says ok, just short of it FAIL, and without the peer's line
"not measured" (no suite is run here)."""

import confirm_targets as ct


def _ckks(n, op, mine_ms, seal_ms):
    return [{"lib": "pyppml", "scheme": "ckks", "N": n, "op": op, "median_us": mine_ms * 1e3},
            {"lib": "seal", "scheme": "ckks", "N": n, "op": op, "median_us": seal_ms * 1e3}]


def test_ckks_ratio_and_anchor():
    recs = _ckks(1 << 14, "rotate", 6.0, 24.0) + _ckks(1 << 14, "multiply_relin_rescale", 7.0, 27.9)
    rows = {r["target"]: r for r in ct.judge_ckks(recs)}
    assert rows["CKKS rotate n=2^14 vs SEAL (PyPI)"]["ok"] is True  # 4.00x
    assert rows["CKKS multiply_relin_rescale n=2^14 vs SEAL (PyPI)"]["ok"] is False  # 3.99x
    assert rows["CKKS rotate n=2^14 vs SEAL+HEXL (AMD anchor)"]["ok"] is True  # 6.0 <= 13.822 / 1.5
    assert rows["CKKS rotate n=2^15 vs SEAL (PyPI)"]["ok"] is None
    slow = {r["target"]: r for r in ct.judge_ckks(_ckks(1 << 14, "rotate", 9.3, 40.0))}
    assert slow["CKKS rotate n=2^14 vs SEAL+HEXL (AMD anchor)"]["ok"] is False  # 9.3 > 9.215


def test_bfv_and_threads():
    recs = [{"lib": "pyppml", "scheme": "bfv", "N": 1 << 15, "op": "multiply_relin", "median_us": 100.0},
            {"lib": "seal", "scheme": "bfv", "N": 1 << 15, "op": "multiply_relin", "median_us": 399.0}]
    rows = ct.judge_bfv(recs)
    assert [r["ok"] for r in rows] == [False, None]
    recs = [{"lib": "pyppml", "N": 1 << 15, "op": "rotate_speedup", "threads": 2, "speedup": 1.8},
            {"lib": "pyppml", "N": 1 << 15, "op": "multiply_relin_rescale_speedup", "threads": 2, "speedup": 1.79}]
    rows = {r["target"]: r["ok"] for r in ct.judge_threads(recs)}
    assert rows["CKKS rotate n=2^15, 2 threads over 1"] is True
    assert rows["CKKS multiply_relin_rescale n=2^15, 2 threads over 1"] is False
    assert rows["CKKS rotate n=2^16, 2 threads over 1"] is None


def _boot(lib, seconds, **extra):
    rec = {"lib": lib, "op": "bootstrap", "stc_first": True, "median_s": seconds, "precision_bits_max": 15.0}
    rec.update(extra)
    return rec


def test_boot_targets_and_exit_status():
    mine = _boot("pyppml", 7.0, levels_after=10, precision_bits_mean=26.0, precision_bits_max=22.0, key_bytes=4.8e9)
    one = [mine, _boot("openfhe", 21.0, peak_rss_gb=12.3)]
    rows = ct.judge_boot(one)
    assert all(r["ok"] for r in rows)  # 3.00x, 10 levels, 26 bits, 22 > 15, 4.8 < 6.15 GB
    assert ct.summary(rows) == 0
    short = ct.judge_boot([dict(mine, median_s=7.01), one[1]])
    assert short[0]["ok"] is False and ct.summary(short) == 1
    assert ct.summary(ct.judge_boot([mine])) == 2  # OpenFHE missing
    two = [_boot("pyppml", 3.9), _boot("openfhe", 11.0)]
    rows = {r["target"]: r["ok"] for r in ct.judge_boot_threads(one, two)}
    assert rows["bootstrap 2^16, 2 threads over 1"] is False  # 1.79x
    assert rows["bootstrap 2^16 vs OpenFHE at 2 threads"] is False  # 2.82x < 3.00x
    two = [_boot("pyppml", 3.5), _boot("openfhe", 14.6)]
    assert all(r["ok"] for r in ct.judge_boot_threads(one, two))
