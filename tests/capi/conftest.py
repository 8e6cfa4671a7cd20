"""tests/capi: skip the whole folder with a reason when this build has no C ABI library."""

import pytest

try:
    from pyppml import capi  # noqa: F401
except (OSError, FileNotFoundError) as exc:  # a build without libpyppml_capi.so
    pytest.skip(f"no C ABI library in this build: {exc}", allow_module_level=True)
