"""pyppml: privacy-preserving machine learning with a fast C++ core.

Lattice homomorphic encryption (CKKS, BFV over RNS with fast NTTs), secret sharing and
multi-party computation, and exact differential-privacy noise, bound to NumPy.

>>> import pyppml
>>> {"version", "backends", "cpu_features"} <= set(pyppml.info())
True
"""

from pyppml import _core
from pyppml._core import FormatError, MismatchError, ParameterError
from pyppml._info import available_backends, info
from pyppml._threads import get_num_threads, set_num_threads
from pyppml._threads import _apply_environment as _apply_thread_environment

__version__ = _core.__version__

_apply_thread_environment()

__all__ = [
    "FormatError", "MismatchError", "ParameterError", "available_backends", "get_num_threads", "info",
    "set_num_threads", "__version__",
]
