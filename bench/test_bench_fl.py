"""`pyppml bench fl` as pytest-benchmark tests: one SecAgg+ round (with 5 % of the clients
dropped) and one CKKS aggregation round under one-time committee keys, at reduced sizes;
each round checks its sum against the plaintext sum (pyppml.benchmarks.fl)."""

from pyppml.benchmarks import fl as suite

PARAMS = {"clients_dim": (((20, 2000),), ((100, 100_000),))}


def test_secagg_round(ppml_bench, clients_dim):
    n, dim = clients_dim
    r = ppml_bench(lambda: suite.secagg_round(n, dim, 0.05), scheme="secagg", N=n, L=dim,
                   op="round_drop5pct", rounds=3, note="whole round, clients in process")
    assert r["survivors"] == n - round(0.05 * n)
    assert r["max_err"] <= n / 2**20  # secagg_round itself raises past n / scale


def test_ckks_onetime_round(ppml_bench, clients_dim):
    n, dim = clients_dim
    n = min(n, 20)
    r = ppml_bench(lambda: suite.ckks_onetime_round(n, dim), scheme="ckks-agg-onetime", N=n, L=dim, op="round",
                   rounds=1, note="whole round: clients, server, 3 members")
    assert r["max_err"] <= 2.0 ** -20
