"""Secure aggregation between processes over loopback TCP."""

import numpy as np

from pyppml import fl


def test_loopback_round_with_dropouts():
    ups = list(np.random.default_rng(5).uniform(-1, 1, (9, 3000)))
    total, rep = fl.run_loopback(ups, threshold=6, dropouts={"shares": {1}, "masked": {2}, "unmask": {3}},
                                 timeout=20)
    assert rep.survivors == [0] + list(range(3, 9))
    assert np.abs(total - np.sum([ups[i] for i in rep.survivors], axis=0)).max() < 1e-5
    # upload: the masked vector (4 bytes per entry) plus keys and shares
    assert rep.upload_bytes[0] <= 2 * rep.plaintext_bytes


def test_loopback_signed_round_with_check():
    ups = list(np.random.default_rng(6).uniform(-1, 1, (8, 500)))
    total, rep = fl.run_loopback(ups, threshold=5, signed=True, timeout=20,
                                 dropouts={"masked": {1}, "check": {2}, "unmask": {3}})
    assert rep.survivors == [0] + list(range(2, 8))  # 2 and 3 dropped after their masked input
    assert not rep.rejected
    assert np.abs(total - np.sum([ups[i] for i in rep.survivors], axis=0)).max() < 1e-5
