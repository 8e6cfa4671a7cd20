"""Bootstrappable contexts on small rings (security=None: n = 2^11 keeps CI fast; the
2^16 figures live in `pyppml bench boot`)."""

import numpy as np
import pytest
from bootstrap_helpers import make


@pytest.fixture(scope="session")
def full_ctx():
    return make(2048)


@pytest.fixture(scope="session")
def sparse_ctx():
    return make(2048, slots=64)


@pytest.fixture(scope="session")
def full_stc_ctx():
    """SlotsToCoeffs first (same chain, StC on the lowest primes)."""
    return make(2048, stc_first=True)


@pytest.fixture(scope="session")
def sparse_stc_ctx():
    return make(2048, slots=64, stc_first=True)


@pytest.fixture
def rng():
    return np.random.default_rng(2026)
