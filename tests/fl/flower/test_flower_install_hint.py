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


def test_import_without_flower_names_the_extra(tmp_path):
    # Outside the checkout, with the pyppml this test imported first on the path: `python -c`
    # puts its cwd first on sys.path, and a clean clone's pyppml/ has no compiled core.
    import os

    import pyppml

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(pyppml.__file__)))
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                         check=False, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    first, message = out.stdout.splitlines()[:2]
    assert first == "FlowerMissingError flwr True"
    assert 'pip install "pyppml[flower]"' in message


def test_import_with_flower_works():
    import pytest

    pytest.importorskip("flwr")
    import pyppml.fl.flower as f

    assert f.FlowerMissingError.__mro__[1] is ModuleNotFoundError
