"""Integer arguments of the ring layer and the context constructors: a negative, fractional,
boolean or too-large number is a one-line ParameterError (a ValueError) naming the
argument, never pybind11's multi-line TypeError, and a possibly private value is never
quoted."""

import numpy as np
import pytest

from pyppml import ParameterError, _core, bfv, ckks, ring
from pyppml.ml import inference_context

N = 1024
Q = ring.find_ntt_primes(40, N, 1)[0]


def _one_line(err, *names):
    message = str(err.value)
    assert "\n" not in message and "incompatible" not in message, message
    for name in names:
        assert name in message, (name, message)


@pytest.mark.parametrize("call,names", [
    (lambda: ring.NttTables(-4, Q), ("NttTables", "n", "-4")),
    (lambda: ring.NttTables(N, 2**64), ("NttTables", "q", str(2**64))),
    (lambda: ring.NttTables(N, None), ("NttTables", "q", "NoneType")),
    (lambda: ring.NttTables(N, 1.5), ("NttTables", "q", "float")),
    (lambda: ring.is_prime(-1), ("is_prime", "x", "-1")),
    (lambda: ring.is_prime(True), ("is_prime", "x", "bool")),
    (lambda: ring.find_ntt_primes(50.5, N, 1), ("find_ntt_primes", "bit_size", "float")),
    (lambda: ring.find_ntt_primes(80, N, 1), ("find_ntt_primes", "bit_size", "80")),
    (lambda: ring.find_ntt_primes(40, N, -1), ("find_ntt_primes", "count", "-1")),
    (lambda: ring.RnsBase([2**64 + 13]), ("RnsBase", "moduli")),
    (lambda: ckks.Context(poly_degree=-8192, depth=1), ("Context", "poly_degree", "-8192")),
    (lambda: ckks.Context(poly_degree=8191.0, depth=1), ("Context", "poly_degree", "8191.0")),
    (lambda: bfv.Context(poly_degree=6000, depth=1), ("Context", "poly_degree", "6000")),
    (lambda: bfv.Context(poly_degree=8192, plain_modulus=-1, depth=1), ("Context", "plain_modulus", "-1")),
    (lambda: bfv.Context(poly_degree=8192, plain_modulus=65537.0, depth=1), ("Context", "plain_modulus")),
    (lambda: inference_context(-1), ("inference_context", "poly_degree", "-1")),
    (lambda: ring.minimal_primitive_root(-1, Q), ("minimal_primitive_root", "order", "-1")),
    (lambda: _core.eltwise_kernel_name(-5), ("eltwise_kernel_name", "q", "-5")),
    (lambda: _core.packed_size(-1, 3), ("packed_size", "count", "-1")),
    (lambda: ring.NttTables(N, Q).forward(np.zeros(N, dtype=np.uint64), shift=-1), ("NttTables.forward", "shift", "-1")),
])
def test_bad_integer_arguments_are_one_line_value_errors(call, names):
    with pytest.raises(ParameterError) as err:
        call()
    assert isinstance(err.value, ValueError)
    _one_line(err, *names)


def test_polynomial_arguments_never_quote_a_value():
    base = ring.RnsBase([Q])
    with pytest.raises(ParameterError) as err:
        base.decompose([0.123456789] * 4)  # a private value must not reach a log
    _one_line(err, "RnsBase.decompose", "values", "float")
    assert "0.1234" not in str(err.value)
    with pytest.raises(ParameterError) as err:
        base.decompose([-987654321])
    _one_line(err, "negative")
    assert "987654321" not in str(err.value)
    p = ring.RnsPoly.from_array(base, base.decompose([1, 2, 3] + [0] * (N - 3)))
    with pytest.raises(ParameterError) as err:
        p.multiply_scalar(1.5)
    _one_line(err, "multiply_scalar", "c", "float")
    with pytest.raises(ParameterError) as err:
        p.automorphism(3.0)
    _one_line(err, "automorphism", "k", "float")


def test_numpy_integers_and_huge_exponents_are_integers():
    base = ring.RnsBase([np.uint64(Q)])
    assert ring.is_prime(np.int64(Q)) and ring.NttTables(np.int32(N), np.uint64(Q)).q == Q
    p = ring.RnsPoly.from_array(base, base.decompose([0, 1] + [0] * (N - 2)))  # X
    # X -> X^k depends on k mod 2N only: a huge k is the same automorphism
    k = 2 * N * 10**30 + 3
    assert np.array_equal(p.automorphism(k).coeffs, p.automorphism(3).coeffs)
    assert np.array_equal(p.multiply_scalar(-1).coeffs, (-p).coeffs)


def test_an_index_method_that_raises_propagates_its_error():
    # PyNumber_Index returned NULL and the NULL became an int: a segfault (review).
    class Bad:
        def __index__(self):
            raise RuntimeError("boom")

    base = ring.RnsBase([Q])
    p = ring.RnsPoly.from_array(base, base.decompose([1] + [0] * (N - 1)))
    for call in (lambda: p.multiply_scalar(Bad()), lambda: p.automorphism(Bad()), lambda: ring.is_prime(Bad()),
                 lambda: base.decompose([Bad()]), lambda: ring.NttTables(Bad(), Q)):
        with pytest.raises(RuntimeError, match="boom"):
            call()
