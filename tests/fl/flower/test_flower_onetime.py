"""One-time-key CKKS aggregation in a real Flower run on loopback: Flower's gRPC server
(``start_server``) with :class:`OneTimeCkksStrategy`, clients through a
``ClientApp(mods=[pyppml_mod])`` or the NumPyClient wrapper. The aggregate equals the
plaintext (num_examples-weighted or plain) mean within the plan's precision; a committee
member that fails during decryption is replaced by another holder of its key parts;
corrupted uploads reject only their sender. Committee, replay and DP checks drive the
strategy and the clients without a network."""

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")

from flower_harness import flat as _flat, mod_app as _mod_app, run_flower as _run, shifted  # noqa: E402

pytestmark = pytest.mark.flower

SHAPES = [(2, 3), (4,)]  # two tensors, dim 10
PLAN = dict(members=3, threshold=2, poly_degree=2048, precision_bits=20)


class _Shift(flwr.client.NumPyClient):
    """Training = adding a fixed delta on ``num_examples`` examples; counts its fits."""

    def __init__(self, delta, num_examples=1):
        self.delta, self.num_examples, self.fits = delta, num_examples, 0

    def get_parameters(self, config):
        return [np.zeros(s) for s in SHAPES]

    def fit(self, parameters, config):
        self.fits += 1
        return shifted(parameters, self.delta), self.num_examples, {}


class _Corrupt(flwr.client.Client):
    """A client whose upload is damaged in transit: ``how`` = "truncate" (the server
    refuses it) or "seal" (a byte of the seeds sealed to the last member flipped: that
    member cannot open them and the server withdraws the upload)."""

    def __init__(self, inner, how):
        from pyppml.fl.flower import SecAggNumPyClient

        self.inner, self.how = SecAggNumPyClient(inner), how

    def get_parameters(self, ins):
        return self.inner.get_parameters(ins)

    def fit(self, ins):
        from pyppml.fl.common.messages import Kind, Message

        res = self.inner.fit(ins)
        data = res.parameters.tensors[0]
        if self.how == "truncate":
            data = data[:-5]
        else:
            m = Message.from_bytes(data, Kind.OT_UPLOAD)
            sealed = bytearray(m.fields[1])
            sealed[-1] ^= 1
            data = Message(m.kind, m.sender, m.round, m.session, (m.fields[0], bytes(sealed), m.fields[2])).to_bytes()
        res.parameters.tensors[0] = data
        return res

    def evaluate(self, ins):
        return self.inner.evaluate(ins)


class _FlakyCommittee:
    """A committee wrapper whose member ``bad`` raises (unreachable) at ``step``."""

    def __init__(self, inner, bad, step="decrypt"):
        self.inner, self.bad, self.step, self.calls = inner, bad, step, []

    def public_keys(self):
        return self.inner.public_keys()

    def verify(self, member, request):
        self.calls.append(("verify", member))
        if self.step == "verify" and member == self.bad:
            raise ConnectionError(f"member {member} is unreachable")
        return self.inner.verify(member, request)

    @property
    def params(self):
        return self.inner.params

    def certify(self, member, request):
        self.calls.append(("certify", member))
        if self.step == "certify" and member == self.bad:
            raise ConnectionError(f"member {member} is unreachable")
        return self.inner.certify(member, request)

    def decryption_share(self, member, request):
        self.calls.append(("decrypt", member))
        if self.step == "decrypt" and member == self.bad:
            raise ConnectionError(f"member {member} is unreachable")
        return self.inner.decryption_share(member, request)


def _deltas(n, scale=0.5):
    return [np.random.default_rng(20 + i).uniform(-scale, scale, 10) for i in range(n)]


def _tol(strategy, weight=1.0, rounds=1):
    """Error bound of the averaged model: each decoded sum is within 2^-precision_bits
    per entry (numerator and weight entry), the average within about that over W."""
    return 4 * rounds * 2.0 ** -strategy.params.precision_bits / weight


def test_onetime_weighted_mod_and_numpy_client():
    """Weighted, two Flower rounds: two Mod clients and two NumPyClient wrappers upload
    (w delta, w clip) under one-time keys; the model moves by the num_examples-weighted
    mean delta each round. A fifth client (num_examples = 0) refuses each round."""
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    n, counts = 5, [5, 20, 60, 15, 0]
    deltas = _deltas(n)
    inners = [_Shift(d, k) for d, k in zip(deltas, counts)]
    strategy = OneTimeCkksStrategy([np.zeros(s) for s in SHAPES], n_clients=n, min_clients=4, max_examples=100,
                                   **PLAN)
    assert strategy.params.dim == 11 and strategy.params.max_abs_value == 1.0
    clients = [("app", _mod_app(c)) for c in inners[:2]] + [("client", SecAggNumPyClient(c)) for c in inners[2:4]]
    _run(strategy, 2, clients + [("app", _mod_app(inners[4]))])
    assert [h["round"] for h in strategy.history] == [1, 2]
    for h in strategy.history:
        assert len(h["accepted"]) == 4 and not h["rejected"] and not h["member_failures"] and "error" not in h
        (reason,) = h["failed"].values()
        assert "num_examples is out of range" in reason and "1..100" in reason
        assert abs(h["examples"] - sum(counts)) < 1e-3
    assert [p.shape for p in strategy.parameters] == SHAPES
    expected = 2 * np.average(deltas[:4], axis=0, weights=counts[:4])
    err = np.abs(_flat(strategy.parameters) - expected).max()
    assert err < _tol(strategy, 1.0, 2), err
    assert np.abs(_flat(strategy.parameters) - 2 * np.mean(deltas[:4], axis=0)).max() > 1e-2  # really weighted
    assert all(c.fits == 2 for c in inners)


def test_onetime_unweighted_mean():
    """weighted=False: the plain mean of the accepted clients' deltas, whatever their
    num_examples (a Mod client and two NumPyClients)."""
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    deltas = _deltas(3)
    strategy = OneTimeCkksStrategy([np.zeros(s) for s in SHAPES], n_clients=3, weighted=False, **PLAN)
    assert strategy.params.dim == 10
    _run(strategy, 1, [("app", _mod_app(_Shift(deltas[0], 3))),
                       ("client", SecAggNumPyClient(_Shift(deltas[1], 900))),
                       ("client", SecAggNumPyClient(_Shift(deltas[2], 1)))])
    h = strategy.history[0]
    assert h["accepted"] == [0, 1, 2] and "examples" not in h and "error" not in h
    err = np.abs(_flat(strategy.parameters) - np.mean(deltas, axis=0)).max()
    assert err < _tol(strategy), err


def test_onetime_member_fails_during_decryption():
    """Threshold 2 of 3: member 0 raises when asked for its decryption share; it is
    dropped, its key parts go to the other holders and the round still decrypts."""
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient
    from pyppml.fl.flower.onetime import LocalCommittee

    deltas = _deltas(3)
    made = []

    def committee(params):
        made.append(_FlakyCommittee(LocalCommittee(params), bad=0))
        return made[-1]

    strategy = OneTimeCkksStrategy([np.zeros(s) for s in SHAPES], n_clients=3, weighted=False,
                                   committee=committee, **PLAN)
    _run(strategy, 1, [("client", SecAggNumPyClient(_Shift(d))) for d in deltas])
    (flaky,) = made
    h = strategy.history[0]
    assert h["accepted"] == [0, 1, 2] and "error" not in h
    assert list(h["member_failures"]) == [0] and "decrypt" in h["member_failures"][0]
    assert ("decrypt", 0) in flaky.calls and {("decrypt", 1), ("decrypt", 2)} <= set(flaky.calls)
    err = np.abs(_flat(strategy.parameters) - np.mean(deltas, axis=0)).max()
    assert err < _tol(strategy), err


def test_onetime_corrupted_uploads_do_not_corrupt_the_sum():
    """Weighted, five clients: one upload truncated (refused on arrival), one with a
    damaged seal (refused when the member cannot open it and withdrawn from the sum);
    the model moves by the weighted mean of the three others."""
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    n, counts = 5, [10, 30, 20, 40, 40]
    deltas = _deltas(n)
    strategy = OneTimeCkksStrategy([np.zeros(s) for s in SHAPES], n_clients=n, min_clients=3, max_examples=50,
                                   **PLAN)
    clients = [("client", SecAggNumPyClient(_Shift(d, k))) for d, k in zip(deltas[:2], counts[:2])]
    clients += [("app", _mod_app(_Shift(deltas[2], counts[2])))]
    clients += [("client", _Corrupt(_Shift(deltas[3], counts[3]), "truncate")),
                ("client", _Corrupt(_Shift(deltas[4], counts[4]), "seal"))]
    _run(strategy, 1, clients)
    h = strategy.history[0]
    assert len(h["accepted"]) == 3 and len(h["rejected"]) == 2 and "error" not in h
    reasons = sorted(h["rejected"].values())
    assert any("could not open" in r for r in reasons) and any("check does not match" in r for r in reasons)
    assert not set(h["accepted"]) & set(h["rejected"])
    assert abs(h["examples"] - sum(counts[:3])) < 1e-3
    expected = np.average(deltas[:3], axis=0, weights=counts[:3])
    err = np.abs(_flat(strategy.parameters) - expected).max()
    assert err < _tol(strategy, sum(counts[:3]) / 50), err


# ---------------------------------------------------------------------- without a network
class _ShiftN(flwr.client.NumPyClient):
    def __init__(self, delta, num_examples=1):
        self.delta, self.num_examples, self.fits = delta, num_examples, 0

    def fit(self, parameters, config):
        self.fits += 1
        return [parameters[0] + self.delta], self.num_examples, {}


class _Mgr:
    """A client manager stub for driving a strategy without a network."""

    def __init__(self, n):
        self.cids = [str(i) for i in range(n)]

    def num_available(self):
        return len(self.all())

    def wait_for(self, *a, **k):
        return True

    def all(self):
        return {cid: type("P", (), {"cid": cid})() for cid in self.cids}


def _round(strategy, clients, rnd):
    ins = strategy.configure_fit(rnd, None, _Mgr(len(clients)))
    results = [(p, clients[int(p.cid)].fit(f)) for p, f in ins]
    strategy.aggregate_fit(rnd, results, [])
    return ins


def test_onetime_too_few_members_keeps_the_model_and_stale_rounds_are_refused():
    """n-of-n: a member unreachable at verification cannot certify the client set (all
    three must), the round records the error and the model stays; a replayed config (same session and
    round) is refused by the client before it trains."""
    from flwr.common import Code

    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient
    from pyppml.fl.flower.onetime import LocalCommittee

    made = []

    def committee(params):
        made.append(_FlakyCommittee(LocalCommittee(params), bad=2, step="verify"))
        return made[-1]

    inners = [_ShiftN(np.full(8, 0.25)) for _ in range(3)]
    clients = [SecAggNumPyClient(c) for c in inners]
    strategy = OneTimeCkksStrategy([np.zeros(8)], n_clients=3, members=3, poly_degree=2048, weighted=False,
                                   committee=committee, noise_multiplier=0.0)
    ins = _round(strategy, clients, 1)
    h = strategy.history[0]
    assert "too few members certified" in h["error"] and list(h["member_failures"]) == [2]
    assert np.all(strategy.parameters[0] == 0)
    res = clients[0].fit(ins[0][1])  # the same round again
    assert res.status.code != Code.OK and "stale" in res.status.message and inners[0].fits == 1
    made[0].step = None  # the member is back: the next round decrypts
    _round(strategy, clients, 2)
    assert strategy.history[1]["accepted"] == [0, 1, 2] and "error" not in strategy.history[1]
    assert np.abs(strategy.parameters[0] - 0.25).max() < _tol(strategy)


def test_onetime_dp_noise_and_accounting():
    """DP: each client adds its share of the noise (max_abs_value leaves room for it),
    the mean's spread matches noise_multiplier * clip / n and the accountant steps."""
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    n, dim = 4, 2048
    strategy = OneTimeCkksStrategy([np.zeros(dim)], n_clients=n, clip=1.0, noise_multiplier=0.5, weighted=False,
                                   **PLAN)
    assert strategy.params.max_abs_value > 1.0
    _round(strategy, [SecAggNumPyClient(_ShiftN(np.full(dim, 0.01))) for _ in range(n)], 1)
    mean = strategy.parameters[0]
    assert strategy.history[0]["accepted"] == list(range(n))
    assert abs(np.std(mean) - 0.5 / n) < 0.02 and abs(np.mean(mean) - 0.01) < 0.02
    assert strategy.accountant.steps == 1


def test_onetime_client_noise_on_power_of_two_grid_with_documented_variance(monkeypatch):
    """Issue 12, defect 3 on the one-time Flower client: what it encrypts is its weighted
    delta rounded to the power-of-two grid plus its noise share on that grid (so the sum
    carries no trace of where it sat inside a cell), no weight entry, and the
    noise variance the documented noise_multiplier^2 (clip + ceil(sqrt(d)) step)^2 /
    n_clients, within a chi-square band at false-failure rate 1e-6 that excludes a 3%
    error (2^17 entries)."""
    import math

    from scipy import stats

    from pyppml.fl.ckks.onetime import OneTimeClient
    from pyppml.fl.dp_fedavg import grid_step
    from pyppml.fl.flower import OneTimeCkksStrategy
    from pyppml.fl.flower import ClientState
    from pyppml.fl.flower.onetime import onetime_client_fit

    n, dim, clip, nm, max_examples, examples = 4, 1 << 17, 1.0, 0.8, 10, 5
    strategy = OneTimeCkksStrategy([np.zeros(dim)], n_clients=n, clip=clip, noise_multiplier=nm, weighted=True,
                                   max_examples=max_examples, **PLAN)
    encrypted = []
    monkeypatch.setattr(OneTimeClient, "upload", lambda self, rnd, vec: encrypted.append(np.array(vec)) or b"")
    cfg = strategy.configure_fit(1, None, _Mgr(n))[0][1].config
    delta = np.random.default_rng(8).uniform(-1e-3, 1e-3, dim)  # L2 norm ~0.2 < clip: not clipped
    res = onetime_client_fit(ClientState(), cfg, [np.zeros(dim)], lambda glob: ([glob[0] + delta], examples))
    assert res.status.message == "" and len(encrypted) == 1
    vec, w = encrypted[0], examples / max_examples
    step = grid_step(clip, dim)
    assert math.frexp(step)[0] == 0.5
    k = vec[:dim] / step
    assert np.all(k == np.rint(k))  # on the grid: the old noise (grid sigma / 1024, unrounded values) is not
    assert vec.size == dim  # with DP no weight entry is sent
    noise = vec[:dim] - np.rint(w * delta / step) * step
    planned = nm ** 2 * (clip + math.ceil(math.sqrt(dim)) * step) ** 2 / n
    lo, hi = stats.chi2.ppf([1e-6 / 2, 1 - 1e-6 / 2], dim) / dim
    assert lo < np.mean(noise ** 2) / planned < hi
    assert hi < 1.03 and lo > 0.97


def test_onetime_weighted_dp_sends_no_weight_sum(monkeypatch):
    """Weighted one-time CKKS with DP (issue 12, defect 4 on the Flower path): the plan
    sums the model's dim entries only, the sum the server decrypts has no weight entry
    (whose value would be the survivors' exact total examples), and the model moves by
    the sum over the public denominator."""
    from pyppml.fl.ckks.onetime import OneTimeServer
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    n, dim, nm, counts = 4, 1024, 0.01, [50, 50, 25, 25]  # W = 1.5
    seen = []
    finish = OneTimeServer.finish
    monkeypatch.setattr(OneTimeServer, "finish", lambda self: seen.append(finish(self)) or seen[-1])
    strategy = OneTimeCkksStrategy([np.zeros(dim)], n_clients=n, clip=1.0, noise_multiplier=nm, max_examples=100,
                                   denominator=1.5, **PLAN)
    assert strategy.params.dim == dim
    _round(strategy, [SecAggNumPyClient(_ShiftN(np.full(dim, 0.01), counts[i])) for i in range(n)], 1)
    assert len(seen) == 1 and len(seen[0]) == dim
    assert strategy.history[0]["accepted"] == list(range(n)) and "examples" not in strategy.history[0]
    assert abs(np.mean(strategy.parameters[0]) - 0.01) < 5 * nm / 1.5 / np.sqrt(dim) + 1e-4


@pytest.mark.parametrize("missing,colluders", [(set(), 0), ({1}, 0), ({1}, 2)])
def test_onetime_strategy_accounts_documented_multiplier(missing, colluders):
    """One-time strategy: per decrypted round the accountant is told noise_multiplier *
    sqrt((k - colluders) / n_clients) for the k summed uploads (each client adds
    sigma^2 / n_clients; colluders' shares are known to the server); two rounds, with and
    without a client that never uploads; equal to a reference PrivacyAccountant stepped
    with that multiplier. colluders must stay below min_clients."""
    from pyppml.dp import PrivacyAccountant
    from pyppml.fl.common.errors import ParameterError
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    n, dim, z = 4, 8, 1.2
    plan = dict(clip=1.0, noise_multiplier=z, weighted=False, min_clients=3, **{**PLAN, "poly_degree": 4096})
    with pytest.raises(ParameterError, match=r"colluders leaves no honest noise share.*got 3"):
        OneTimeCkksStrategy([np.zeros(dim)], n_clients=n, colluders=3, **plan)
    strategy = OneTimeCkksStrategy([np.zeros(dim)], n_clients=n, colluders=colluders, **plan)
    clients = [SecAggNumPyClient(_ShiftN(np.full(dim, 0.01))) for _ in range(n)]
    for rnd in (1, 2):
        ins = strategy.configure_fit(rnd, None, _Mgr(n))
        strategy.aggregate_fit(rnd, [(p, clients[int(p.cid)].fit(f)) for p, f in ins
                                     if int(p.cid) not in missing], [])
    k = n - len(missing)
    assert [len(h["accepted"]) for h in strategy.history] == [k, k]
    ref = PrivacyAccountant("rdp")
    for _ in range(2):
        ref.step(z * np.sqrt((k - colluders) / n), 1.0, 1)
    assert strategy.accountant.get_epsilon(1e-5) == pytest.approx(ref.get_epsilon(1e-5), rel=1e-12)


def test_onetime_committee_arguments():
    """A committee object must be for the strategy's plan (its session and signing keys
    are taken); one without params needs the session and, below n-of-n, the members'
    signing keys; a non-committee is refused; a committee whose keys cannot be fetched
    skips the round (recorded)."""
    from pyppml.fl.ckks.onetime import OneTimeParams
    from pyppml.fl.common.errors import ParameterError
    from pyppml.fl.flower import OneTimeCkksStrategy
    from pyppml.fl.flower.onetime import LocalCommittee

    params = OneTimeParams(3, 9, members=3, threshold=2, poly_degree=2048)  # 8 + the weight entry
    local = LocalCommittee(params)
    strategy = OneTimeCkksStrategy([np.zeros(8)], n_clients=3, committee=local, max_examples=10, **PLAN)
    assert strategy.committee is local and strategy.params.session == params.session
    with pytest.raises(ParameterError, match=r"another plan.*dim"):
        OneTimeCkksStrategy([np.zeros(8)], n_clients=3, committee=local, weighted=False, **PLAN)
    class _Remote:  # a committee reached over the network: no params attribute
        public_keys, verify, certify = local.public_keys, local.verify, local.certify
        decryption_share = local.decryption_share

    with pytest.raises(ParameterError, match="session is missing"):
        OneTimeCkksStrategy([np.zeros(8)], n_clients=3, committee=_Remote(), max_examples=10, **PLAN)
    with pytest.raises(ParameterError, match="member_signing_keys is missing"):  # 2-of-3 needs them
        OneTimeCkksStrategy([np.zeros(8)], n_clients=3, committee=_Remote(), max_examples=10,
                            session=params.session, **PLAN)
    remote = OneTimeCkksStrategy([np.zeros(8)], n_clients=3, committee=_Remote(), max_examples=10,
                                 session=params.session, member_signing_keys=local.params.member_signing_keys, **PLAN)
    assert remote.params.digest == local.params.digest
    with pytest.raises(ParameterError, match="committee is invalid"):
        OneTimeCkksStrategy([np.zeros(8)], n_clients=3, committee=42, max_examples=10, **PLAN)
    class _Down(_FlakyCommittee):
        def public_keys(self):
            raise ConnectionError("committee unreachable")

    strategy = OneTimeCkksStrategy([np.zeros(8)], n_clients=3, max_examples=10,
                                   committee=lambda p: _Down(LocalCommittee(p), None), **PLAN)
    assert strategy.configure_fit(1, None, _Mgr(3)) == [] and "unreachable" in strategy.history[0]["error"]
    with pytest.raises(ParameterError, match="security"):
        OneTimeCkksStrategy([np.zeros(8)], n_clients=3, security=None, max_examples=10, **PLAN)


def test_onetime_pinned_committee_keys():
    """A client pinned to the plan (committee_pin: plan, keys, DP settings) takes part; one
    pinned to another plan refuses before training; bare key lists and malformed pins
    are refused."""
    from flwr.common import Code

    from pyppml.fl.common.errors import ParameterError
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    strategy = OneTimeCkksStrategy([np.zeros(8)], n_clients=3, members=2, poly_degree=2048, weighted=False,
                                   min_clients=2, noise_multiplier=0.0)
    other = OneTimeCkksStrategy([np.zeros(8)], n_clients=3, members=2, poly_degree=2048, weighted=False,
                                min_clients=2, noise_multiplier=0.0)
    inners = [_ShiftN(np.full(8, 0.25)) for _ in range(3)]
    clients = [SecAggNumPyClient(inners[0], committee_keys=strategy.pin()),
               SecAggNumPyClient(inners[1], committee_keys=bytearray(strategy.pin())),
               SecAggNumPyClient(inners[2], committee_keys=other.pin())]
    ins = strategy.configure_fit(1, None, _Mgr(3))
    res = [clients[int(p.cid)].fit(f) for p, f in ins]
    assert [r.status.code == Code.OK for r in res] == [True, True, False]
    assert "pinned" in res[2].status.message and inners[2].fits == 0
    strategy.aggregate_fit(1, [(p, r) for (p, _), r in zip(ins, res)], [])
    assert strategy.history[0]["accepted"] == [0, 1]
    assert np.abs(strategy.parameters[0] - 0.25).max() < _tol(strategy)
    for bad in (b"short", strategy.committee.public_keys(), b"".join(strategy.committee.public_keys())):
        with pytest.raises(ParameterError, match="committee_keys"):
            SecAggNumPyClient(inners[0], committee_keys=bad)


def _downgrades():
    """Server-side edits of a FitIns config that weaken the plan a client applies."""
    def threshold_one(c):
        c["pyppml_ot_threshold"] = 1
        c["pyppml_ot_signing_keys"] = b""

    def swap_key(c):
        k = bytearray(c["pyppml_ot_keys"])
        k[:32] = bytes(range(32))
        c["pyppml_ot_keys"] = bytes(k)

    def swap_signing_key(c):
        from pyppml.fl.common import agreement

        k = bytearray(c["pyppml_ot_signing_keys"])
        k[:32] = agreement.raw_public(agreement.new_signing_keys(1)[0])
        c["pyppml_ot_signing_keys"] = bytes(k)

    def members_4(c):  # a fourth member, the server's, with its keys
        from pyppml.fl.common import agreement

        c["pyppml_ot_members"] = 4
        c["pyppml_ot_keys"] = bytes(c["pyppml_ot_keys"]) + bytes(range(32))
        c["pyppml_ot_signing_keys"] = (bytes(c["pyppml_ot_signing_keys"])
                                       + agreement.raw_public(agreement.new_signing_keys(1)[0]))

    edits = {"threshold_one": threshold_one, "swap_member_key": swap_key, "swap_signing_key": swap_signing_key,
             "members_4": members_4}
    for name, (key, value) in {"min_clients_1": ("pyppml_ot_min_clients", 1),
                               "no_noise": ("pyppml_noise", 0.0), "half_noise": ("pyppml_noise", 0.25),
                               "clip_up": ("pyppml_clip", 2.0), "n_clients_up": ("pyppml_n", 30),
                               "security_down": ("pyppml_ot_security", 128),
                               "unweighted": ("pyppml_weighted", False)}.items():
        edits[name] = (lambda k, v: lambda c: c.__setitem__(k, v))(key, value)
    return edits


@pytest.mark.parametrize("edit", sorted(_downgrades()))
def test_pinned_client_refuses_a_weakened_plan_before_training(edit):
    """Issue 12 defect 5: the server rewrites the plan in the config (threshold 1, another
    member count or key, less noise, a larger clip or client count, ...). A client pinned
    to the plan refuses before it trains or uploads; the genuine config is accepted."""
    from flwr.common import Code, FitIns

    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    strategy = OneTimeCkksStrategy([np.zeros(8)], n_clients=3, members=3, threshold=2, poly_degree=4096,
                                   clip=1.0, noise_multiplier=0.5, max_examples=10, security=192)
    pin = strategy.pin()
    (proxy, fitins), *_ = strategy.configure_fit(1, None, _Mgr(3))
    cfg = dict(fitins.config)
    _downgrades()[edit](cfg)
    assert cfg != dict(fitins.config)
    inner = _ShiftN(np.full(8, 0.25))
    res = SecAggNumPyClient(inner, committee_keys=pin).fit(FitIns(fitins.parameters, cfg))
    # A plan below two clients per sum is not even a plan: refused before the pin check.
    reason = "min_clients is out of range" if edit == "min_clients_1" else "pinned"
    assert res.status.code != Code.OK and reason in res.status.message
    assert inner.fits == 0 and not res.parameters.tensors
    res = SecAggNumPyClient(inner, committee_keys=pin).fit(fitins)
    assert res.status.code == Code.OK and inner.fits == 1 and len(res.parameters.tensors) == 1


def test_mod_pinned_committee_keys_from_node_config():
    """The Mod reads the pin from the node config: other keys are refused before the
    wrapped app trains; the genuine keys give an upload."""
    import time

    from flwr.app import Context, Message, Metadata, RecordDict
    from flwr.common import Code, FitRes, Status, ndarrays_to_parameters
    from flwr.compat.common import recorddict_compat as compat

    from pyppml.fl.flower import OneTimeCkksStrategy, pyppml_mod

    strategy = OneTimeCkksStrategy([np.zeros(8)], n_clients=2, members=2, poly_degree=2048, weighted=False,
                                   min_clients=2, noise_multiplier=0.0)
    fitins = strategy.configure_fit(1, None, _Mgr(2))[0][1]
    genuine = strategy.pin().hex()

    def run(pin):
        meta = Metadata(run_id=1, message_id="m", src_node_id=0, dst_node_id=1, reply_to_message_id="",
                        group_id="1", created_at=time.time(), ttl=60.0, message_type="train")
        msg = Message(compat.fitins_to_recorddict(fitins, True), metadata=meta)
        ctx = Context(run_id=1, node_id=1, node_config={"pyppml-committee-keys": pin}, state=RecordDict(),
                      run_config={})
        trained = []

        def app(m, c):  # the wrapped ClientApp: training moves the model by 0.25
            trained.append(1)
            res = FitRes(Status(Code.OK, ""), ndarrays_to_parameters([np.full(8, 0.25)]), 1, {})
            return Message(compat.fitres_to_recorddict(res, False), reply_to=m)

        out = pyppml_mod(msg, ctx, app)
        return compat.recorddict_to_fitres(out.content, keep_input=True), trained

    res, trained = run((b"PPOTPIN1" + bytes(32)).hex())  # another plan's pin
    assert res.status.code != Code.OK and "pinned" in res.status.message and not trained
    res, trained = run(b"".join(strategy.committee.public_keys()).hex())  # keys alone: not a plan pin
    assert res.status.code != Code.OK and "plan pin" in res.status.message and not trained
    res, trained = run(genuine)
    assert res.status.code == Code.OK and trained and len(res.parameters.tensors) == 1
    res, trained = run("zz")
    assert res.status.code != Code.OK and not trained


def _sybil_round(strategy, victim, rnd):
    """Server-side attack: the victim (client 0) uploads its real update; the server
    fabricates uploads of zeros for clients 1 and 2 from the public plan and member keys
    (with identity keys of its own). Returns the victim's fit result's status code."""
    from flwr.common import Code, FitRes, Parameters, Status

    from pyppml.fl.ckks.onetime import OneTimeClient
    from pyppml.fl.common import agreement
    from pyppml.fl.flower.onetime import ONETIME_TENSOR_TYPE

    ins = strategy.configure_fit(rnd, None, _Mgr(3))
    results = [(ins[0][0], victim.fit(ins[0][1]))]
    p, keys = strategy.params, strategy.committee.public_keys()
    own = agreement.new_signing_keys(3)
    for i in (1, 2):
        up = OneTimeClient(i, p, keys, own[i] if strategy.client_keys else None).upload(rnd, np.zeros(p.dim))
        results.append((ins[i][0], FitRes(Status(Code.OK, ""), Parameters([up], ONETIME_TENSOR_TYPE), 1, {})))
    strategy.aggregate_fit(rnd, results, [])
    return results[0][1].status.code


def test_onetime_signed_rounds_pin_client_keys_and_refuse_server_sybils():
    """With client_keys the members pin each client's identity key: clients find their
    index from their own key (here in the reverse of the server's order), the mean is
    exact, a client without its key refuses before training, and uploads the server
    makes for sybil clients are refused, so the victim's update is never decrypted. The
    same attack on an unsigned strategy hands the server the victim's update."""
    from flwr.common import Code

    from pyppml.fl.common import agreement
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    ids = agreement.new_signing_keys(3)
    pins = [agreement.raw_public(k) for k in ids]
    delta = np.array([0.31, -0.72, 0.05, 0.66, 0.5, -0.25, 0.125, 0.0])
    strategy = OneTimeCkksStrategy([np.zeros(8)], n_clients=3, weighted=False, client_keys=pins, **PLAN)
    inners = [_ShiftN(delta * (c + 1) / 8) for c in range(3)]
    clients = [SecAggNumPyClient(inners[c], identity_key=ids[2 - c]) for c in range(3)]
    _round(strategy, clients, 1)
    h = strategy.history[0]
    assert h["accepted"] == [0, 1, 2] and "error" not in h
    assert np.abs(strategy.parameters[0] - delta * 6 / 24).max() < _tol(strategy)
    keyless = _ShiftN(delta)
    ins = strategy.configure_fit(2, None, _Mgr(3))
    res = SecAggNumPyClient(keyless).fit(ins[0][1])
    assert res.status.code != Code.OK and "identity_key is missing" in res.status.message and keyless.fits == 0
    strategy.aggregate_fit(2, [], [])
    before = strategy.parameters[0].copy()
    assert _sybil_round(strategy, SecAggNumPyClient(_ShiftN(delta), identity_key=ids[0]), 3) == Code.OK
    h = strategy.history[-1]
    assert sorted(h["rejected"]) == [1, 2] and "too few clients" in h["error"]
    assert np.array_equal(strategy.parameters[0], before)

    open_strategy = OneTimeCkksStrategy([np.zeros(8)], n_clients=3, weighted=False, **PLAN)
    assert _sybil_round(open_strategy, SecAggNumPyClient(_ShiftN(delta)), 1) == Code.OK
    assert open_strategy.history[-1]["accepted"] == [0, 1, 2]
    assert np.abs(3 * open_strategy.parameters[0] - delta).max() < 3 * _tol(open_strategy)


def test_onetime_client_keys_must_cover_every_client():
    from pyppml.fl.common.errors import ParameterError
    from pyppml.fl.flower import OneTimeCkksStrategy

    for keys in ([bytes(32)] * 2 + [bytes([1]) * 32], [bytes(32), bytes([1]) * 32], [bytes(31)] * 3):
        with pytest.raises(ParameterError, match="client_keys is invalid"):
            OneTimeCkksStrategy([np.zeros(8)], n_clients=3, weighted=False, client_keys=keys, **PLAN)
