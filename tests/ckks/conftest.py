"""Small CKKS contexts shared by the tests (2^12..2^13 keeps CI fast)."""

import numpy as np
import pytest

from pyppml import ckks


@pytest.fixture(scope="session")
def ctx():
    c = ckks.Context(poly_degree=8192, coeff_mod_bits=[50, 35, 35, 35], special_mod_bits=[50], scale_bits=35)
    c.keygen()
    return c


@pytest.fixture(scope="session")
def ctx_small():
    c = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    c.keygen()
    return c


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
