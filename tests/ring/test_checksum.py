"""The serialization checksum (csrc/common/checksum.hpp): every single-bit flip and every
length change of inputs of every tail length changes it, and it depends on all bytes."""

import numpy as np

from pyppml._core import he


def test_single_bit_flips_and_lengths_change_the_checksum():
    rng = np.random.default_rng(5)
    for size in list(range(0, 80)) + [1000, 4099]:
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        base = he.checksum(data)
        for pos in range(size):
            for bit in (0, 7) if size > 100 else range(8):
                b = bytearray(data)
                b[pos] ^= 1 << bit
                assert he.checksum(bytes(b)) != base, (size, pos, bit)
        assert he.checksum(data + b"\x00") != base
        if size:
            assert he.checksum(data[:-1]) != base


def test_checksum_of_zero_runs_of_different_lengths_differ():
    values = {he.checksum(bytes(k)) for k in range(0, 512)}
    assert len(values) == 512
