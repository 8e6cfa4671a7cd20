"""BFV: exact homomorphic arithmetic on integers modulo a plaintext modulus t.

>>> from pyppml import bfv
>>> ctx = bfv.Context(poly_degree=8192, plain_modulus=786433, depth=2)
>>> ctx.keygen()
>>> x = ctx.encrypt([1, 2, 3, 4])
>>> ctx.decrypt((x * x).rotate_rows(1))[:3].tolist()
[4, 9, 16]
"""

from pyppml.bfv.ciphertext import Ciphertext, Plaintext
from pyppml.bfv.context import Context, DecryptionError
from pyppml.bfv.params import default_chain
from pyppml.bfv.rotation import rotate_columns, rotate_rows, sum_slots

__all__ = ["Ciphertext", "Context", "DecryptionError", "Plaintext", "default_chain", "rotate_columns", "rotate_rows",
           "sum_slots"]
