"""BGV written only in Python + numba on pyppml's ring layer (see README.md)."""

from bgv.scheme import BgvContext, negacyclic_mul

__all__ = ["BgvContext", "negacyclic_mul"]
