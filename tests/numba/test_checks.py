"""The checked wrappers refuse bad input before nopython code, with one-line messages that
name the argument; pyppml.numba without numba names the pip extra."""

import pytest

pytest.importorskip("numba", reason='numba is optional: pip install "pyppml[numba]"')

import os
import pathlib
import subprocess
import sys

import numpy as np

import pyppml
from pyppml import ParameterError
from pyppml import numba as pn


def test_bad_arrays_name_the_argument():
    plan = pn.RingPlan(16, [97, 193])
    good = np.zeros((2, 16), dtype=np.uint64)
    with pytest.raises(ParameterError, match=r"ntt_forward: a has the wrong dtype; expected uint64"):
        pn.ntt_forward(plan, good.astype(np.int64))
    with pytest.raises(ParameterError, match=r"ntt_inverse: a has the wrong shape; expected \(2, 16\)"):
        pn.ntt_inverse(plan, good[:, :8])
    bad = good.copy()
    bad[1, 3] = 193
    with pytest.raises(ParameterError, match=r"mul_mod: b holds residues out of range; .*1 entries"):
        pn.mul_mod(plan, good, bad)
    with pytest.raises(ParameterError, match=r"add_mod: a is not a NumPy array"):
        pn.add_mod(plan, [[0] * 16] * 2, good)
    with pytest.raises(ParameterError, match=r"mul_scalar_mod: scalars has the wrong length"):
        pn.mul_scalar_mod(plan, good, [1])
    with pytest.raises(ParameterError, match=r"mul_shoup: w is out of range"):
        pn.mul_shoup(good[0], 97, 97)
    with pytest.raises(ParameterError, match=r"mul_barrett: q is out of range"):
        pn.mul_barrett(good[0], good[0], 1 << 62)
    with pytest.raises(ParameterError, match=r"base_convert: x has the wrong shape"):
        pn.base_convert(pn.BaseConversion([97], [193]), good)
    with pytest.raises(ParameterError, match=r"ternary: words has the wrong dtype"):
        pn.ternary(np.zeros(4, dtype=np.float64))


def test_bad_plans_name_the_argument():
    with pytest.raises(ParameterError, match=r"RingPlan: n is not a power of two"):
        pn.RingPlan(24, [97])
    with pytest.raises(ParameterError, match=r"RingPlan: moduli holds a value that is not a prime q = 1 mod 2n"):
        pn.RingPlan(16, [97, 91])
    with pytest.raises(ParameterError, match=r"RingPlan: moduli repeats a prime"):
        pn.RingPlan(16, [97, 97])
    with pytest.raises(ParameterError, match=r"RingPlan: backend is unknown"):
        pn.RingPlan(16, [97], backend="gpu")
    with pytest.raises(ParameterError, match=r"BaseConversion: src is not pairwise coprime"):
        pn.BaseConversion([6, 9], [97])


def test_import_without_numba_names_the_extra(tmp_path):
    # numba hidden (sys.modules entry None makes its import fail) in a fresh interpreter
    code = ("import sys; sys.modules['numba'] = None\n"
            "try:\n    import pyppml.numba\nexcept ImportError as e:\n    print(e)\n")
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(pyppml.__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
                         check=False)
    assert 'pip install "pyppml[numba]"' in out.stdout


def test_ring_plan_pickles_as_its_parameters(tmp_path):
    """Review: a pickled RingPlan carried raw C-ABI handle addresses; in another process
    they pointed at nothing (a generic RuntimeError) or, by chance, at another table (the
    wrong prime, silently). A plan is rebuilt from (n, moduli, backend) where it lands,
    and a prime at or above 2**61 is refused with the plan's own message."""
    import pickle

    from pyppml.numba import RingPlan

    for backend in ("njit", "auto"):
        plan = RingPlan(16, [97, 193], backend=backend)
        code = ("import pickle, sys; from pyppml.numba import RingPlan; p = pickle.loads(sys.stdin.buffer.read()); "
                "q = RingPlan(16, [97, 193], backend='" + backend + "'); "
                "import numpy as np; print(all(np.array_equal(a, b) for a, b in zip(p, q)))")
        # The pyppml this process uses, from a neutral directory (a CI checkout has no compiled core).
        env = dict(os.environ, PYTHONPATH=str(pathlib.Path(pyppml.__file__).resolve().parents[1]))
        child = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(plan), capture_output=True,
                               env=env, cwd=tmp_path, timeout=120)
        assert child.stdout.strip() == b"True", child.stderr[-400:]
    with pytest.raises(ParameterError, match="below 2\\*\\*61"):
        RingPlan(4, [(1 << 61) + 9])
