"""Per-example L2 clipping for DP-SGD and DP federated averaging: bounding each
contribution's L2 norm is what gives the Gaussian mechanism its sensitivity."""

from __future__ import annotations

import numpy as np

from pyppml.dp._checks import fail, positive_real


def clip_l2(per_example, max_norm) -> np.ndarray:
    """Scale each row (example) so that its L2 norm is at most ``max_norm``.

    Parameters
    ----------
    per_example : array_like, shape (n_examples, ...)
        One gradient (or model update) per example; trailing axes are flattened for the norm.
    max_norm : float
        Clipping bound C > 0.

    Returns
    -------
    numpy.ndarray of float64, same shape, each row with norm <= C.

    Raises
    ------
    ValueError
        max_norm not finite or <= 0, input not at least 1-D or containing NaN/inf.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml import dp
    >>> dp.clip_l2(np.array([[3.0, 4.0], [0.3, 0.4]]), 1.0)
    array([[0.6, 0.8],
           [0.3, 0.4]])
    """
    api = "dp.clip_l2"
    c = float(positive_real(api, "max_norm", max_norm))
    g = np.asarray(per_example, dtype=np.float64)
    if g.ndim < 1:
        fail(api, "per_example", "has no example axis", "an array of shape (n_examples, ...)", g.shape)
    if not np.all(np.isfinite(g)):
        fail(api, "per_example", "contains NaN or infinity", "finite values", "non-finite entries")
    flat = g.reshape(g.shape[0], -1) if g.ndim > 1 else g.reshape(-1, 1)
    norms = np.linalg.norm(flat, axis=1)
    # factor <= 1; rows already inside the ball are left untouched (factor exactly 1).
    factor = np.minimum(1.0, c / np.maximum(norms, np.finfo(np.float64).tiny))
    # Rounding of the product can exceed C by an ulp; shrink by one ulp where it does.
    out = flat * factor[:, None]
    for _ in range(4):
        over = np.linalg.norm(out, axis=1) > c
        if not np.any(over):
            break
        out[over] *= np.nextafter(1.0, 0.0)
    return out.reshape(g.shape)


def clipped_sum(per_example, max_norm) -> tuple[np.ndarray, float]:
    """Sum of the clipped rows and its L2 sensitivity (``max_norm``) under add/remove-one
    neighbours, the two inputs of ``gaussian_mechanism`` in DP-SGD / DP-FedAvg (divide the
    noisy sum by the expected batch size afterwards).

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml import dp
    >>> total, sens = dp.clipped_sum(np.ones((4, 3)), 1.0)
    >>> sens
    1.0
    """
    clipped = clip_l2(per_example, max_norm)
    return clipped.sum(axis=0), float(max_norm)
