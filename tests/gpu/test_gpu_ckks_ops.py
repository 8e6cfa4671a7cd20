"""CKKS operations on device-resident ciphertexts against the CPU scalar backend, bit
for bit (level, scale and every residue): add/sub/negate, products with relinearization
and rescale, plaintext and scalar operands, rotations (single, hoisted, composed),
conjugation and chains of them, n = 2^12 .. 2^16 with both key-switching paths."""

from __future__ import annotations

import numpy as np
import pytest

from pyppml import MismatchError, ParameterError, ckks

from gpu_params import PARAMS, SMALL, assert_same, context, values

pytestmark = pytest.mark.usefixtures("scalar")


def _pair(name, seed=0):
    ctx = context(name)
    a = ctx.encrypt(values(ctx, seed))
    b = ctx.encrypt(values(ctx, seed + 1))
    return ctx, a, b, a.to("cuda"), b.to("cuda")


@pytest.mark.parametrize("name", list(PARAMS))
def test_transfer_round_trip(device_backend, name):
    ctx, a, _, ga, _ = _pair(name)
    assert ga.device == "cuda" and ga.to("cuda") is ga
    assert_same(ga, a)  # a seeded (symmetric) ciphertext expands to the same residues


@pytest.mark.parametrize("name", list(PARAMS))
def test_add_sub_negate(device_backend, name):
    _, a, b, ga, gb = _pair(name)
    assert_same(ga + gb, a + b)
    assert_same(ga - gb, a - b)
    assert_same(-ga, -a)


@pytest.mark.parametrize("name", list(PARAMS))
def test_multiply_relinearize_rescale(device_backend, name):
    _, a, b, ga, gb = _pair(name)
    assert_same(ga.multiply(gb), a.multiply(b))                 # tensor, 3 components
    assert_same(ga.multiply(gb).relinearize(), a.multiply(b).relinearize())
    assert_same(ga * gb, a * b)                                  # + relinearize + rescale
    assert_same(ga.square(), a.square())


@pytest.mark.parametrize("name", list(PARAMS))
def test_rotate_conjugate_hoisted(device_backend, name):
    _, a, _, ga, _ = _pair(name)
    assert_same(ga.rotate(1), a.rotate(1))
    assert_same(ga.rotate(3), a.rotate(3))   # composed of direct keys (1 then 2)
    assert_same(ga.conjugate(), a.conjugate())
    for g, c in zip(ga.rotate_many([1, 2, -1]), a.rotate_many([1, 2, -1])):
        assert_same(g, c)


@pytest.mark.parametrize("name", SMALL + ["n65536_dnum2_p3"])
def test_plaintext_and_scalar_operands(device_backend, name):
    ctx, a, _, ga, _ = _pair(name)
    v = values(ctx, 9)
    assert_same(ga * v, a * v)            # multiply_plain + rescale
    assert_same(ga + v, a + v)            # add_plain
    assert_same(ga - v, a - v)
    assert_same(ga * 2.5, a * 2.5)        # multiply_integer + rescale
    assert_same(ga + 0.25, a + 0.25)      # encode_constant on the host, add on the device
    assert_same(3 * ga, 3 * a)
    pt = ctx.encode(v, scale=a.scale, level=a.level)
    assert_same(ga.add_plain(pt), a.add_plain(pt))
    assert_same(ga.drop_to_level(a.level - 1), a.drop_to_level(a.level - 1))


@pytest.mark.parametrize("name", list(PARAMS))
def test_chain(device_backend, name):
    ctx, a, b, ga, gb = _pair(name, seed=4)
    def chain(x, y):
        z = (x * y + x).rotate(1)
        z = z.conjugate() - y
        return z * 0.5 if z.level >= 1 else z
    assert_same(chain(ga, gb), chain(a, b))


@pytest.mark.parametrize("name", SMALL)
def test_context_on_device_encrypts_and_decrypts(device_backend, name):
    ctx = context(name)
    dctx = ctx.to("cuda")
    assert dctx.device == "cuda" and ctx.device == "cpu" and dctx.to("cuda") is dctx
    x, y = values(ctx, 5), values(ctx, 6)
    gx, gy = dctx.encrypt(x), dctx.encrypt(y)
    assert gx.device == "cuda"
    out = dctx.decrypt(gx * gy + gx)   # decryption downloads first
    assert np.max(np.abs(out - (x * y + x))) < 1e-3
    c = ctx.encrypt(x)
    assert_same(c.to("cuda").to("cpu").to("cuda"), c)


@pytest.mark.parametrize("name", SMALL)
def test_mixing_devices_is_refused(device_backend, name):
    _, a, b, ga, gb = _pair(name)
    for op in (lambda: ga + b, lambda: a + gb, lambda: ga * b, lambda: a * gb, lambda: a - gb, lambda: ga - b):
        with pytest.raises(MismatchError, match="different devices"):
            op()


@pytest.mark.parametrize("name", SMALL)
def test_operand_checks_as_on_cpu(device_backend, name):
    ctx, a, b, ga, gb = _pair(name)
    dc = ga._ctx.device_context
    low = (gb * gb)._native
    with pytest.raises(MismatchError, match="different levels"):
        dc.add(ga._native, low)
    with pytest.raises(ParameterError, match="level 0"):
        dc.rescale(ga.drop_to_level(0)._native)
    with pytest.raises(ParameterError, match="galois_elt"):
        dc.apply_galois(ga._native, 4, ga._ctx._galois(ctx.galois_keys, [ctx.galois_element(1)])[0])


def test_out_of_memory_is_memory_error(device_backend):
    ctx = context(SMALL[0])
    module = type(ctx.encrypt([0.0]).to("cuda")._native).__module__
    import importlib

    gpu_module = importlib.import_module(module)
    with pytest.raises(MemoryError, match=str(1 << 60)):
        gpu_module.allocate(1 << 60)
    assert gpu_module.allocate(1 << 20).shape == (0, 0)  # the process goes on allocating


def test_release_decryption_of_a_device_ciphertext(device_backend):
    """Review 2026-12-07: decrypt_for_release passed a device ciphertext's handle to the
    host decryption (decrypt downloads first); it now downloads too."""
    # Scale 2^55: room for the flooding (the test rings' 2^40 leaves no released bit).
    ctx = ckks.Context(poly_degree=8192, coeff_mod_bits=[60, 55], special_mod_bits=[60], scale_bits=55)
    ctx.keygen(rotations=[], conjugate=False)
    x = values(ctx, 7)
    out = ctx.to("cuda").decrypt_for_release(ctx.to("cuda").encrypt(x), bits_of_precision=2)
    assert ctx.releases_made == 1 and np.max(np.abs(out - x)) < 2.0
