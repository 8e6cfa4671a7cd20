"""Without Flower, ``import pyppml.fl.flower`` raises a ModuleNotFoundError subclass that
says how to install it (issue 18); checked in a subprocess where ``flwr`` cannot be
imported (``sys.modules["flwr"] = None``)."""

import subprocess
import sys

SCRIPT = """
import sys
sys.modules["flwr"] = None  # flwr unimportable, as when it is not installed
try:
    import pyppml.fl.flower
except ModuleNotFoundError as err:
    print(type(err).__name__, err.name, isinstance(err, ImportError))
    print(err)
else:
    print("imported")
"""


def test_import_without_flower_names_the_extra():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    first, message = out.stdout.splitlines()[:2]
    assert first == "FlowerMissingError flwr True"
    assert 'pip install "pyppml[flower]"' in message


def test_import_with_flower_works():
    import pytest

    pytest.importorskip("flwr")
    import pyppml.fl.flower as f

    assert f.FlowerMissingError.__mro__[1] is ModuleNotFoundError
