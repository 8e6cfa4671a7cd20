"""Small BFV contexts shared by the tests (2^12..2^13 keeps the run short)."""

import numpy as np
import pytest

from pyppml import bfv

from bfv_reference import T


@pytest.fixture(scope="session")
def ctx():
    """n = 2^13, the benchmark chain of 4 x 39-bit primes (depth 3)."""
    c = bfv.Context(poly_degree=8192, plain_modulus=T, coeff_mod_bits=[39] * 4, special_mod_bits=[60],
                    security_standard="2018")
    c.keygen()
    return c


@pytest.fixture(scope="session")
def ctx_small():
    c = bfv.Context(poly_degree=4096, plain_modulus=T, coeff_mod_bits=[35, 35], special_mod_bits=[35])
    c.keygen()
    return c


@pytest.fixture
def rng():
    return np.random.default_rng(4321)
