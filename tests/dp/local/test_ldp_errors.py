"""Bad input to pyppml.dp.local: a ParameterError (a ValueError) whose one-line message
names the argument, and never shows a device's private value."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

import pyppml
from pyppml.dp.local import (
    CountMeanSketch,
    OptimizedLocalHashing,
    OptimizedUnaryEncoding,
    RandomizedResponse,
    Reports,
)

ORACLES = {
    "grr": lambda eps=1.0, d=16: RandomizedResponse(eps, d),
    "oue": lambda eps=1.0, d=16: OptimizedUnaryEncoding(eps, d),
    "olh": lambda eps=1.0, d=16: OptimizedLocalHashing(eps, d),
    "cms": lambda eps=1.0, d=16: CountMeanSketch(eps, d, k=4, m=32),
}


def raises(arg, fn, *args, **kw):
    with pytest.raises(pyppml.ParameterError) as info:
        fn(*args, **kw)
    msg = str(info.value)
    assert isinstance(info.value, ValueError) and "\n" not in msg
    assert f" {arg} " in msg or f" {arg}." in msg or f" {arg}s " in msg, msg
    return msg


@pytest.mark.parametrize("name", ORACLES)
@pytest.mark.parametrize("eps", [0, -1.0, float("nan"), float("inf"), 21, "1", True, None])
def test_bad_epsilon(name, eps):
    raises("epsilon", ORACLES[name], eps)


@pytest.mark.parametrize("name", ORACLES)
@pytest.mark.parametrize("eps", [1e-20, 5e-324, Fraction(1, 10**400), 2.0**-41, 10**400],
                         ids=["1e-20", "5e-324", "fraction_1e-400", "2^-41", "10^400"])
def test_epsilon_below_the_floor_is_refused(name, eps):
    """Review 6, finding 4: tiny epsilon gave p < q (the ratio bound broken the other way),
    CountMeanSketch's ZeroDivisionError, inf/nan estimates, and Fraction(1, 10**400)
    recorded as 0.0. Every oracle refuses epsilon below 2**-40, in one short line."""
    msg = raises("epsilon", ORACLES[name], eps)
    assert "2**-40 <= epsilon <= 20" in msg and len(msg) < 160, msg


@pytest.mark.parametrize("name", ORACLES)
@pytest.mark.parametrize("d", [1, 0, -5, 2.0, 2**33, "16"])
def test_bad_domain_size(name, d):
    raises("domain_size", ORACLES[name], 1.0, d)


@pytest.mark.parametrize("name", ORACLES)
def test_bad_values(name):
    o = ORACLES[name]()
    msg = raises("values", o.perturb, [1, 2, 987654])
    assert "987654" not in msg  # private data stays out of messages
    assert msg == raises("values", o.perturb, [987654, 1, 2])  # and so does where it sits (which device)
    raises("values", o.perturb, [1, -3])
    raises("values", o.perturb, [[1, 2]])
    raises("values", o.perturb, [1.0, 2.0])
    raises("prng", o.perturb, [1], prng=np.random.default_rng(0))


@pytest.mark.parametrize("name", ORACLES)
def test_reports_from_elsewhere(name):
    o = ORACLES[name]()
    r = o.perturb(np.arange(16))
    raises("reports", o.estimate, r.values)
    raises("reports", ORACLES[name](d=17).estimate, r)  # another domain size
    raises("reports", ORACLES[name](eps=2.0).estimate, r)  # another epsilon
    other = "oue" if name != "oue" else "grr"
    raises("reports", ORACLES[other]().estimate, r)
    raises("reports.values", o.estimate, replace(r, values=r.values.astype(np.int64)))
    raises("reports.values", o.estimate, replace(r, values=r.values[:, None]))
    if name in ("olh", "cms"):
        raises("reports.keys", o.estimate, replace(r, keys=None))
        raises("reports.keys", o.estimate, replace(r, keys=r.keys[:-1]))


def test_out_of_range_report_fields():
    rr = RandomizedResponse(1.0, 16)
    r = rr.perturb(np.arange(16))
    raises("reports.values", rr.estimate, replace(r, values=r.values + np.uint32(16)))
    olh = OptimizedLocalHashing(1.0, 16)
    r = olh.perturb(np.arange(16))
    raises("reports.values", olh.estimate, replace(r, values=np.full(16, olh.g, dtype=np.uint32)))
    cms = CountMeanSketch(1.0, 16, k=4, m=32)
    r = cms.perturb(np.arange(16))
    raises("reports.keys", cms.estimate, replace(r, keys=np.full(16, 4, dtype=np.uint32)))
    oue = OptimizedUnaryEncoding(1.0, 16)
    raises("reports.values", oue.estimate, Reports("oue", 1.0, 16, (), np.zeros((3, 3), dtype=np.uint8)))


def test_oracle_knobs():
    raises("g", OptimizedLocalHashing, 1.0, 16, g=1)
    raises("g", OptimizedLocalHashing, 1.0, 16, g=2**32)
    raises("k", CountMeanSketch, 1.0, 16, k=0)
    raises("m", CountMeanSketch, 1.0, 16, m=1)
    raises("hash_keys", CountMeanSketch, 1.0, 16, k=2, hash_keys=np.zeros((3, 2), dtype=np.uint64))
    raises("hash_keys", CountMeanSketch, 1.0, 16, k=2, hash_keys=np.zeros((2, 2), dtype=np.int64))
    raises("n", RandomizedResponse(1.0, 4).variance, 0)
    for o in ORACLES.values():
        raises("true_counts", o().variance, 10, np.ones(15))
        raises("true_counts", o().variance, 10, -np.ones(16))
    raises("true_counts", CountMeanSketch(1.0, 16).exact_variance, None)
    raises("domain_size", OptimizedUnaryEncoding(1.0, 13).output_probabilities)
