"""Rotation keys named by operation, errors that name the user's operation, operator
docstrings, and the public-context decrypt hint (issue 18)."""

import inspect

import numpy as np
import pytest

from pyppml import ParameterError, ckks
from pyppml.ckks.rotation import sum_rotations


def small(**keys):
    c = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    c.keygen(conjugate=False, **keys)
    return c


def elements(ctx, steps):
    return {ctx.galois_element(s) for s in steps}


def test_keygen_by_operation_makes_exactly_the_sum_keys():
    c = small(operations=["dot"])
    assert set(c.galois_keys.elements) == elements(c, [1 << k for k in range(11)])  # 1 .. slots / 2
    x = np.linspace(-1, 1, c.slots) / 8  # sums stay below Q_0 / (2 scale) = 2^9
    assert abs(c.decrypt(c.encrypt(x).dot(x))[0] - x @ x) < 1e-2
    assert abs(c.encrypt_vector(x).sum().decrypt()[0] - x.sum()) < 1e-2


def test_keygen_for_matvec_shapes_and_step_lists():
    c = small(matvec_shapes=[(16, 64)], rotations=[3])
    assert set(c.galois_keys.elements) == elements(c, ckks.matvec_rotations(64, c.slots) + [3])
    rng = np.random.default_rng(2)
    W, x = rng.uniform(-1, 1, (16, 64)), rng.uniform(-1, 1, 64)
    assert np.max(np.abs((W @ c.encrypt_vector(x)).decrypt() - W @ x)) < 1e-2
    # the step-list API is unchanged
    assert np.allclose(c.decrypt(c.encrypt(x).rotate(3))[:5], x[3:8], atol=1e-2)
    with pytest.raises(ValueError, match=r"keygen: operations has an unknown entry; expected names from \['sum'.*got 'sums'"):
        c.keygen(operations=["sums"])


@pytest.mark.parametrize("op, call", [
    ("sum_slots", lambda c, x: c.encrypt(x).sum_slots()),
    ("dot", lambda c, x: c.encrypt(x).dot(x)),
    ("sum", lambda c, x: c.encrypt_vector(x).sum()),
    ("mean", lambda c, x: c.encrypt_vector(x).mean()),
    ("dot", lambda c, x: c.encrypt_vector(x).dot(x)),
])
def test_missing_keys_name_the_operation(op, call):
    c = small(rotations=[1, 2])
    x = np.ones(c.slots)
    with pytest.raises(ValueError) as e:
        call(c, x)
    msg = str(e.value)
    assert msg.startswith(f"{op}: context lacks the rotation keys {op} needs")
    assert f"keygen(operations=['{op}'])" in msg
    assert "expected a key for" not in msg  # no internal step as the thing expected


def test_missing_matvec_keys_name_the_product():
    c = small(rotations=[1])  # a rotation by 2 (and others) has no key, direct or composed
    v = c.encrypt_vector(np.ones(20))
    with pytest.raises(ValueError, match=r"^matrix @ vector: context lacks the rotation keys .*keygen\(operations=\['matvec'\]\)"):
        np.ones((4, 20)) @ v
    with pytest.raises(ValueError, match=r"^vector @ matrix: context lacks the rotation keys"):
        v @ np.ones((20, 4))


def test_sum_keys_are_the_documented_steps():
    assert sum_rotations(8) == [1, 2, 4]
    assert ckks.rotations_for(small(), ["sum", "mean"]) == sum_rotations(2048)


OPERATORS = {
    ckks.Ciphertext: {"__add__": "other", "__sub__": "other", "__mul__": "other", "__matmul__": "matrix",
                      "__rmatmul__": "matrix", "__neg__": "", "__rsub__": "other", "__pow__": "exponent"},
    ckks.Vector: {"__add__": "other", "__radd__": "other", "__sub__": "other", "__rsub__": "other",
                  "__mul__": "other", "__rmul__": "other", "__neg__": "", "__matmul__": "matrix",
                  "__rmatmul__": "matrix", "__pow__": "exponent"},
}


@pytest.mark.parametrize("cls", list(OPERATORS), ids=lambda c: c.__name__)
def test_operators_have_docstrings(cls):
    """help() showed the source comment above the operators; now each has its own text
    naming its operands."""
    for name, operand in OPERATORS[cls].items():
        doc = inspect.getdoc(getattr(cls, name))
        assert doc and len(doc) > 20, name
        assert operand in doc, name
        assert inspect.getcomments(getattr(cls, name)) is None or doc, name


def test_public_context_decrypt_names_import_secret_key():
    owner = small()
    ct = owner.encrypt([0.5, 1.5])
    server = ckks.Context.from_bytes(owner.to_bytes())
    ct_there = ckks.Ciphertext.from_bytes(ct.to_bytes(), server)
    with pytest.raises(ValueError) as e:
        server.decrypt(ct_there)
    assert "import_secret_key" in str(e.value) and "call keygen()" not in str(e.value)
    with pytest.raises(ValueError, match="import_secret_key"):
        ckks.Vector(server, [ct_there], 2).decrypt()
    server.import_secret_key(owner.export_secret_key())
    assert np.allclose(server.decrypt(ct_there)[:2], [0.5, 1.5], atol=1e-3)
    # a context that never had keys: keygen() is the remedy
    with pytest.raises(ValueError, match=r"call keygen\(\) first"):
        ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28).decrypt(ct)


def test_scale_mismatch_at_level_zero_names_the_remedy():
    """Where no level is left, exact alignment is impossible: the error says what to do
    (operators that land on the standard scale, times_scalar_to a level earlier)."""
    from pyppml import MismatchError

    c = small()
    a = c.encrypt([1.0], level=0)
    b = c.encrypt([1.0], level=0, scale=a.scale * (1 + 1e-6))
    with pytest.raises(MismatchError, match=r"relative difference 1\.0e-06 .*standard scale Context\.level_scale"
                                            r".*times_scalar_to\(1\.0, target\)"):
        a - b
    # one level up the same pair is aligned exactly (both go one level down)
    a1, b1 = c.encrypt([1.0]), c.encrypt([1.0], scale=c.scale * (1 + 1e-6))
    assert abs(c.decrypt(a1 - b1)[0]) < 1e-3


@pytest.mark.parametrize("bad", [["a"], [1.5], [1, None], "12", 3])
def test_refused_keygen_keeps_the_keys(bad):
    # Every argument is checked before the keys are replaced: a refused keygen() used to
    # leave new keys behind, and everything encrypted before no longer decrypted.
    ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    ctx.keygen(rotations=[1])
    x = ctx.encrypt([1.0, 2.0])
    key_id = ctx.public_key.key_id
    with pytest.raises(ParameterError, match="keygen: (steps is not an integer|rotations is not a list)"):
        ctx.keygen(rotations=bad)
    assert ctx.public_key.key_id == key_id
    assert np.abs(ctx.decrypt(x)[:2] - [1.0, 2.0]).max() < 1e-4
    with pytest.raises(ParameterError, match="galois_element: steps is not an integer"):
        ctx.galois_element(1.5)
