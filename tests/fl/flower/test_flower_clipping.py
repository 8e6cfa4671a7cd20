"""Clipping is never silent (issue 18): a client whose delta is clipped warns once per
round with what it alone knows (entries clipped, the largest entry and, with DP, the L2
norm relative to clip) and keeps a report; nothing of it reaches the server (the FitRes
of every protocol step carries no metrics and num_examples 1)."""

import warnings

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")

from flower_harness import drive_round, local_manager  # noqa: E402

pytestmark = pytest.mark.flower


class _Shift(flwr.client.NumPyClient):
    def __init__(self, delta):
        self.delta = np.asarray(delta, dtype=np.float64)

    def fit(self, parameters, config):
        return [parameters[0] + self.delta], 1, {"norm": float(np.linalg.norm(self.delta))}


class _Recording(flwr.client.Client):
    """Records every FitRes a pyppml client sends (what the server receives)."""

    def __init__(self, client):
        self.client, self.sent = client, []

    def fit(self, ins):
        res = self.client.fit(ins)
        self.sent.append(res)
        return res


def _round(deltas, **strategy_args):
    from pyppml.fl.flower import SecAggNumPyClient, SecAggStrategy

    clients = [SecAggNumPyClient(_Shift(d)) for d in deltas]
    rec = {str(i): _Recording(c) for i, c in enumerate(clients)}
    strategy = SecAggStrategy([np.zeros(len(deltas[0]))], n_clients=len(deltas), threshold=3, weighted=False,
                              **strategy_args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        drive_round(strategy, 1, local_manager(rec))
    from pyppml.fl.flower import UpdateClippedWarning

    return strategy, clients, rec, [w for w in caught if issubclass(w.category, UpdateClippedWarning)]


def test_entry_clipping_warns_once_with_what_was_clipped():
    """clip = 1, no DP: client 0's delta has two entries beyond clip (3 and -1.5): one
    warning for the round, naming 2 of 4 entries (50.0%) and the largest at 3 x clip;
    the others (within clip) neither warn nor report clipping; the average uses the
    clipped delta."""
    small = [0.1, -0.2, 0.3, 0.0]
    strategy, clients, _, caught = _round([[3.0, -1.5, 0.5, 0.0], small, small, small], clip=1.0)
    assert len(caught) == 1
    msg = str(caught[0].message)
    assert "round 1" in msg and "2 of 4 entries (50.0%)" in msg and "the largest 3 x clip" in msg
    (rep,) = clients[0].clip_reports
    assert (rep.round, rep.entries_clipped, rep.fraction_clipped, rep.max_entry_ratio, rep.l2_ratio) == \
        (1, 2, 0.5, 3.0, None)
    assert all(not c.clip_reports[0].clipped for c in clients[1:])
    expected = (np.array([1.0, -1.0, 0.5, 0.0]) + 3 * np.array(small)) / 4
    assert np.abs(strategy.parameters[0] - expected).max() < 1e-6


def test_dp_l2_clipping_warns_with_the_norm_ratio():
    """With DP the delta is scaled to L2 norm clip first: a delta of norm 2 (entries 1)
    warns with its L2 ratio 2 even though no entry exceeds clip afterwards."""
    big = [1.0, 1.0, 1.0, 1.0]  # norm 2
    _, clients, _, caught = _round([big] + [[0.01] * 4] * 3, clip=1.0, noise_multiplier=0.5)
    assert len(caught) == 1 and "L2 norm 2 x clip" in str(caught[0].message)
    rep = clients[0].clip_reports[0]
    assert rep.l2_ratio == pytest.approx(2.0) and rep.entries_clipped == 0 and rep.clipped


def test_clip_reports_never_reach_the_server():
    """Every FitRes a clipped client sends, in each of the four SecAgg+ steps, has empty
    metrics and num_examples 1 (its clip report and its own fit metrics stay local)."""
    _, clients, rec, caught = _round([[5.0, 5.0, -5.0, 0.0]] * 4, clip=1.0)
    assert len(caught) == 4 and all(c.clip_reports[0].fraction_clipped == 0.75 for c in clients)
    for r in rec.values():
        assert len(r.sent) == 4
        assert all(res.metrics == {} and res.num_examples == 1 for res in r.sent)
