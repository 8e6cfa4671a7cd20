"""Flower's own SecAgg+ (the peer of ``pyppml bench fl --compare``): one real round of
``SecAggPlusWorkflow`` against ``secaggplus_mod`` clients through the in-process grid of
pyppml.benchmarks.peer_flower_secagg; the aggregate must be the plain mean of the
surviving updates (checked inside the round) and uploads must be counted. No timing
assertions."""

import json

import pytest

pytest.importorskip("flwr")

from pyppml.benchmarks import peer_flower_secagg as peer  # noqa: E402

pytestmark = pytest.mark.flower


def test_round_aggregates_and_counts_uploads():
    r = peer.flower_secagg_round(5, 100)
    assert r["survivors"] == 5
    assert r["num_shares"] == 5 and r["threshold"] == 3  # pyppml's k + 1 and t for 5 clients
    assert r["masked_vector_upload"] > 8 * 100  # int64 masked vector
    assert r["upload"] > r["masked_vector_upload"] > 0
    assert r["max_err"] < 5 * (2 * peer.CLIP / r["quantization_range"] + 2 * peer.CLIP * 2.0 ** -23)
    assert r["server_s"] > 0


def test_round_with_dropout():
    r = peer.flower_secagg_round(8, 50, drop_frac=0.25, seed=3)
    assert r["survivors"] == 6
    assert r["upload"] > 0


def test_record_is_a_result_line():
    r = peer.flower_secagg_round(4, 20, seed=1)
    rec = peer.record(4, 20, 0.0, r)
    json.dumps(rec)
    assert rec["lib"] == "flwr" and rec["scheme"] == "secagg" and rec["N"] == 4 and rec["L"] == 20
    assert rec["op"] == "server_round_drop0pct" and rec["runs"] == 1 and rec["median_us"] > 0
    assert rec["upload_bytes"] > 0


def _stub_bench(monkeypatch, fl):
    """Stub pyppml's rounds and shrink Flower's to 4 x 20 so only the wiring is run;
    returns the (n, dim, drop) Flower was asked for and the exception ending fl.run."""

    class Done(Exception):
        pass

    def stop(n, dim):  # the CKKS rounds after SecAgg are not under test
        raise Done

    monkeypatch.setattr(fl, "secagg_round", lambda n, dim, drop: {
        "server_s": 1.0, "upload": 100, "plain": 4 * dim, "k": 2, "t": 2, "survivors": n,
        "client_masking_s": 0.0, "max_err": 0.0})
    monkeypatch.setattr(fl, "ckks_onetime_round", stop)
    calls = []
    real = peer.flower_secagg_round
    monkeypatch.setattr(peer, "flower_secagg_round",
                        lambda n, dim, drop: calls.append((n, dim, drop)) or real(4, 20, drop))
    return calls, Done


class _Args:
    compare, public_key = True, False

    def __init__(self, quick):
        self.quick = quick


def test_bench_fl_compare_emits_flower_line(monkeypatch, capsys):
    """`pyppml bench fl --quick --compare`: a flwr line after each pyppml line, same N, L."""
    from pyppml.benchmarks import fl

    calls, done = _stub_bench(monkeypatch, fl)
    with pytest.raises(done):
        fl.run(_Args(quick=True))
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["lib"] for x in lines] == ["pyppml", "flwr", "pyppml", "flwr"]
    assert all((x["N"], x["L"]) == (100, 100_000) for x in lines)
    assert [x["op"] for x in lines[1::2]] == ["server_round_drop0pct", "server_round_drop5pct"]
    assert calls == [(100, 100_000, 0.0), (100, 100_000, 0.05)]


def test_bench_fl_compare_full_size_falls_back(monkeypatch, capsys):
    """At 1000 x 10^6 Flower is skipped with a note and both run at peer.LARGEST."""
    from pyppml.benchmarks import fl

    calls, done = _stub_bench(monkeypatch, fl)
    with pytest.raises(done):
        fl.run(_Args(quick=False))
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["lib"], x["op"]) for x in lines][:3] == [
        ("pyppml", "server_round_drop0pct"), ("pyppml", "server_round_drop5pct"), ("flwr", "_skipped")]
    fn, fdim = peer.LARGEST
    assert [(x["lib"], x["N"], x["L"]) for x in lines[3:]] == [("pyppml", fn, fdim), ("flwr", fn, fdim)] * 2
    assert calls == [(fn, fdim, 0.0), (fn, fdim, 0.05)]


def test_bench_fl_compare_without_flwr(monkeypatch, capsys):
    """No flwr: one _skipped line saying so, pyppml's lines unchanged."""
    from pyppml.benchmarks import fl

    calls, done = _stub_bench(monkeypatch, fl)
    monkeypatch.setattr(peer, "flower_available", lambda: False)
    with pytest.raises(done):
        fl.run(_Args(quick=True))
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["lib"] == "flwr" and lines[0]["op"] == "_skipped" and "flwr not importable" in lines[0]["note"]
    assert [x["lib"] for x in lines[1:]] == ["pyppml", "pyppml"]
    assert calls == []
