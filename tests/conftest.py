"""Shared fixtures: backends present on this machine, small NTT parameter sets."""

import os

import pytest

from pyppml import ring

BACKENDS = ring.available_backends()


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Run the test once per backend present on this machine."""
    with ring.use_backend(request.param):
        yield request.param


def pytest_report_header(config):
    return f"pyppml backends: {BACKENDS}; PYPPML_BACKEND={os.environ.get('PYPPML_BACKEND', 'auto')}"
