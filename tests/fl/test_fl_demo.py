"""The federated part of `pyppml demo`: both secure backends train, spend the same privacy
budget, and report traffic."""

import types

from pyppml.fl.demo import run_fl_demo


def test_fl_demo_quick():
    res = run_fl_demo(types.SimpleNamespace(quick=True))
    assert res["accuracy_plain_fedavg"] > 0.9
    assert 0.0 <= res["accuracy"] <= 1.0 and 0.0 <= res["accuracy_ckks"] <= 1.0
    assert res["epsilon"] == res["epsilon_ckks"] > 0
    assert res["upload_bytes_per_client"] > res["plaintext_update_bytes"]
    assert res["upload_bytes_per_client_ckks"] < 4096 * 60 // 8 + 1024  # one ring element, bit-packed
