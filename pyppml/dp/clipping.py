"""Per-example L2 clipping for DP-SGD and DP federated averaging: bounding each
contribution's L2 norm is what gives the Gaussian mechanism its sensitivity."""

from __future__ import annotations

import numpy as np

from pyppml.dp._checks import fail, positive_float


def _row_norms(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's L2 norm as ``peak * rel`` without overflow or underflow.

    ``peak`` is the row's largest |entry| and ``rel`` the norm of the row divided by it,
    in [1, sqrt(d)] (0 for a zero row), so squaring never leaves float64's range even for
    entries near 1e308 or 1e-308 (as LAPACK's dnrm2 does).
    """
    if flat.shape[1] == 0:
        zeros = np.zeros(flat.shape[0])
        return zeros, zeros
    peak = np.max(np.abs(flat), axis=1)
    unit = flat / np.where(peak > 0, peak, 1.0)[:, None]
    return peak, np.sqrt(np.einsum("ij,ij->i", unit, unit))


def clip_l2(per_example, max_norm) -> np.ndarray:
    """Scale each example so that its L2 norm is at most ``max_norm``.

    Parameters
    ----------
    per_example : array_like, shape (n_examples, ...) or (d,)
        One gradient (or model update) per row; trailing axes are flattened for the norm.
        A 1-D array is ONE vector (one example) and its whole L2 norm is clipped; for n
        scalar examples pass shape (n, 1). Either reading is bounded: a vector of norm
        <= C has every coordinate in [-C, C]. Shape (0, ...) gives an empty result.
    max_norm : float
        Clipping bound C > 0.

    Returns
    -------
    numpy.ndarray of float64, same shape, each example with L2 norm <= C. Examples already
    inside the ball are returned unchanged; the others are scaled to norm C (to a few
    ulps below), with norms computed without overflow, so huge finite rows keep their
    direction instead of becoming 0.

    Raises
    ------
    ValueError
        max_norm not finite or <= 0, a 0-d input, or NaN/infinity in the input.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml import dp
    >>> dp.clip_l2(np.array([[3.0, 4.0], [0.3, 0.4]]), 1.0)
    array([[0.6, 0.8],
           [0.3, 0.4]])
    >>> dp.clip_l2(np.array([3.0, 4.0]), 1.0)
    array([0.6, 0.8])
    """
    api = "dp.clip_l2"
    c = positive_float(api, "max_norm", max_norm)
    g = np.asarray(per_example, dtype=np.float64)
    if g.ndim < 1:
        fail(api, "per_example", "has no example axis", "an array of shape (n_examples, ...) or (d,)", g.shape)
    if not np.all(np.isfinite(g)):
        fail(api, "per_example", "contains NaN or infinity", "finite values", "non-finite entries")
    # The row length is explicit: reshape(n, -1) cannot infer it when n = 0.
    flat = g.reshape(1, g.size) if g.ndim == 1 else g.reshape(g.shape[0], int(np.prod(g.shape[1:])))
    peak, rel = _row_norms(flat)
    # peak * rel may overflow to inf for rows beyond 1.8e308: it is only compared with C.
    with np.errstate(over="ignore"):
        over = peak * rel > c
    out = flat.copy()
    if np.any(over):
        # row / norm = (row / peak) / rel: both factors in range, whatever the magnitude.
        out[over] = flat[over] / peak[over, None] * (c / rel[over])[:, None]
        # Rounding can leave a norm an ulp above C: shrink those rows by one ulp.
        for _ in range(8):
            p, r = _row_norms(out)
            above = p * r > c
            if not np.any(above):
                break
            out[above] *= np.nextafter(1.0, 0.0)
    return out.reshape(g.shape)


def clipped_sum(per_example, max_norm) -> tuple[np.ndarray, float]:
    """Sum of the clipped examples and its L2 sensitivity (``max_norm``) under add/remove-one
    neighbours, the two inputs of ``gaussian_mechanism`` in DP-SGD / DP-FedAvg (divide the
    noisy sum by the expected batch size afterwards). A 1-D input is one example (see
    ``clip_l2``); shape (0, ...) sums to zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml import dp
    >>> total, sens = dp.clipped_sum(np.ones((4, 3)), 1.0)
    >>> sens
    1.0
    """
    clipped = clip_l2(per_example, max_norm)
    if clipped.ndim == 1:
        return clipped, float(max_norm)
    return clipped.sum(axis=0), float(max_norm)
