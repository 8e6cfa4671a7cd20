"""pyppml: privacy-preserving machine learning with a fast C++ core.

Lattice homomorphic encryption (CKKS, BFV over RNS with fast NTTs), secret sharing and
multi-party computation, and exact differential-privacy noise, bound to NumPy.

>>> import pyppml
>>> {"version", "backends", "cpu_features"} <= set(pyppml.info())
True
"""

from pyppml import _core
from pyppml._core import FormatError, MismatchError, ParameterError
from pyppml._info import info

__version__ = _core.__version__

__all__ = ["FormatError", "MismatchError", "ParameterError", "info", "__version__"]
