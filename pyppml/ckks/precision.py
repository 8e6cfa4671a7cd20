"""Precision of a CKKS computation in bits, per slot, as Lattigo reports it:
-log2 |decrypted - expected| with min / mean / median over slots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pyppml._core import ParameterError


@dataclass(frozen=True)
class PrecisionStats:
    min_bits: float
    mean_bits: float
    median_bits: float
    max_error: float
    mean_error: float

    def __str__(self) -> str:
        return (f"precision bits: min {self.min_bits:.2f}, mean {self.mean_bits:.2f}, median {self.median_bits:.2f} "
                f"(max |err| {self.max_error:.3e})")


def precision_stats(got, expected, cap_bits: float = 64.0) -> PrecisionStats:
    """Bits of precision of ``got`` against ``expected`` (complex or real arrays); an
    exact slot counts as ``cap_bits``."""
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.ndim > 1 or expected.ndim > 1 or np.atleast_1d(got).size < np.atleast_1d(expected).size:
        # got may be longer (every slot of a decryption); a shorter one would hide values.
        raise ParameterError(f"precision_stats: got has the wrong shape; expected a 1-D array at least as long as "
                             f"expected's {np.atleast_1d(expected).size} values, got shape {got.shape}")
    n = np.atleast_1d(expected).size
    err = np.abs(np.atleast_1d(got)[:n] - np.atleast_1d(expected)[:n])
    bits = np.where(err > 0, -np.log2(np.maximum(err, 2.0 ** -cap_bits)), cap_bits)
    return PrecisionStats(float(bits.min()), float(bits.mean()), float(np.median(bits)), float(err.max()),
                          float(err.mean()))
