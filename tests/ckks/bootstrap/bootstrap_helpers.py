"""Helpers of the bootstrapping tests (imported by name: pytest's rootdir import mode)."""

import warnings

import numpy as np

from pyppml import ckks


def make(n: int, slots=None, levels_after: int = 2, stc_first: bool = False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context.bootstrappable(levels_after=levels_after, slots=slots, poly_degree=n, security=None,
                                          stc_first=stc_first)
    ctx.keygen(bootstrapping=True)
    return ctx


def precision_bits(got: np.ndarray, want: np.ndarray) -> tuple[float, float]:
    """(bits from the max error, bits from the mean error)."""
    err = np.abs(np.asarray(got) - np.asarray(want))
    return float(-np.log2(err.max())), float(-np.log2(err.mean()))
