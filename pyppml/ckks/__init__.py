"""CKKS: approximate homomorphic encryption of real and complex vectors.

>>> import numpy as np
>>> from pyppml import ckks
>>> ctx = ckks.Context(poly_degree=8192, depth=2)
>>> ctx.keygen()
>>> x = ctx.encrypt([0.5, 1.5, -2.0])
>>> y = (x * x + 1.0).rotate(1)
>>> np.round(ctx.decrypt(y)[:2], 3).tolist()
[3.25, 5.0]
"""

from pyppml.ckks.ciphertext import Ciphertext, Plaintext
from pyppml.ckks.context import Context
from pyppml.ckks.linalg import matvec, matvec_rotations
from pyppml.ckks.polynomial import (
    chebyshev_coefficients,
    evaluate_chebyshev,
    evaluate_polynomial,
    least_squares_coefficients,
    power,
)
from pyppml.ckks.precision import PrecisionStats, precision_stats
from pyppml.ckks.rotation import rotations_for, sum_slots
from pyppml.ckks.vector import Vector

__all__ = [
    "Ciphertext",
    "Context",
    "Plaintext",
    "PrecisionStats",
    "Vector",
    "chebyshev_coefficients",
    "evaluate_chebyshev",
    "evaluate_polynomial",
    "least_squares_coefficients",
    "matvec",
    "matvec_rotations",
    "power",
    "precision_stats",
    "rotations_for",
    "sum_slots",
]
