"""tests/numba needs the optional numba: skipped, with the reason, when it is absent."""

import pytest

pytest.importorskip("numba", reason='numba is optional: pip install "pyppml[numba]"')
