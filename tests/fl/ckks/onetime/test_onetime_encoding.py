"""One-time CKKS: what the server decrypts depends on the sum of the updates alone.

Review 2026-12-08: clients slot-encoded their updates, round(scale * sigma^-1(x)) per
client. Those roundings, each a function of one client's whole vector, stayed in the
decrypted coefficients beside the sum, and with distributed DP (every noisy entry on a
public grid, so the sum is known exactly) the server picked the two summands of a sum out
of ~14000 candidates. Now each real takes one coefficient, round(scale * x), which is
additive on the grid: the decrypted coefficients are the encoding of the sum plus the
fresh noise, for every split of that sum between the clients.

The end-to-end test turns the noise off (a test hook on ``ring.noise``) so that the
property is exact: two different splits of one sum must give the server the same
coefficients. Its power: the same test with the former slot encoding fails.
"""

import numpy as np
import pytest
from onetime_helpers import committee_round

from pyppml.fl.ckks.onetime import OneTimeAggregator, OneTimeParams, OneTimeServer, ring
from pyppml.fl.dp_fedavg_noise import check_grid_encodes, grid_step
from pyppml.fl.common.errors import ParameterError

STEP = 2.0**-10  # the DP grid of clip 1 and one entry (grid_step(1.0, 1))


def _aggregator(dim=300, n=2048):
    return OneTimeAggregator(2, dim, signed=False, members=2, poly_degree=n, max_abs_value=2.0, min_clients=2)


def _grid(rng, size, bound=1.0):
    k = int(bound / STEP)
    return rng.integers(-k, k + 1, size) * STEP


def _slot_encoding(params, values):
    """The former encoding (two reals per complex slot), for the power check."""
    pt = params.context.encode(values[0::2] + 1j * values[1::2], params.scale, 0).poly
    pt.intt()
    return np.array(pt.coeffs[0], dtype=np.uint64)


def _server_total(agg, updates):
    """The coefficients the server holds after the members' shares (the decrypted sum),
    and what it decodes: OneTimeAggregator.run_round's steps."""
    p = agg.params
    agg.round += 1
    server = OneTimeServer(p, agg.round, signed=False)
    for i, c in enumerate(agg.clients):
        server.receive_upload(i, c.upload(agg.round, updates[i]))
    committee_round(server, agg.members)
    total = np.array(server._total, dtype=np.uint64)
    return total, server.finish()


@pytest.fixture
def noiseless(monkeypatch):
    monkeypatch.setattr(ring, "noise", lambda p: np.zeros((p.blocks, p.poly_degree), dtype=np.uint64))


def _two_splits_of_one_sum(dim):
    rng = np.random.default_rng(11)
    total = _grid(rng, dim)
    first = _grid(rng, dim, 0.5)
    second = _grid(rng, dim, 0.5)
    return total, [(first, total - first), (second, total - second)]


def test_decrypted_coefficients_depend_on_the_sum_alone(noiseless):
    agg = _aggregator()
    p = agg.params
    total, splits = _two_splits_of_one_sum(p.dim)
    assert p.holds_grid(STEP)
    seen = [_server_total(agg, split) for split in splits]
    padded = np.zeros(p.poly_degree)
    padded[:p.dim] = total
    for coefficients, decoded in seen:
        assert np.array_equal(coefficients, ring.encode_block(p, padded))
        assert np.array_equal(decoded, total)  # exact: no noise, no rounding
    assert not np.array_equal(splits[0][0], splits[1][0])


def test_power_the_slot_encoding_leaves_each_split_in_the_coefficients(noiseless, monkeypatch):
    monkeypatch.setattr(ring, "encode_block", _slot_encoding)
    agg = _aggregator()
    p = agg.params
    _, splits = _two_splits_of_one_sum(p.dim)
    first, second = (_server_total(agg, split)[0] for split in splits)
    assert np.count_nonzero(first != second) > p.poly_degree // 8  # 679 of 2048 here


def test_encoding_is_additive_on_the_grid_and_rounds_each_entry_alone():
    p = _aggregator(dim=4096, n=4096).params
    rng = np.random.default_rng(5)
    x, y = _grid(rng, p.poly_degree), _grid(rng, p.poly_degree)
    q = p.modulus
    lhs = (ring.encode_block(p, x).astype(object) + ring.encode_block(p, y).astype(object)) % q
    assert np.array_equal(lhs.astype(np.uint64), ring.encode_block(p, x + y))
    # Off the grid each entry is rounded on its own coefficient: moving one entry moves
    # one coefficient.
    z = rng.uniform(-1, 1, p.poly_degree)
    moved = z.copy()
    moved[7] += 0.3
    diff = np.flatnonzero(ring.encode_block(p, z) != ring.encode_block(p, moved))
    assert diff.tolist() == [7]
    decoded = ring.decode_block(p, ring.encode_block(p, z))
    assert np.max(np.abs(decoded - z)) <= 0.5 / p.scale


def test_decode_is_exact_for_moduli_above_2_to_the_53():
    p = OneTimeParams(2, 8, members=2, poly_degree=4096, precision_bits=40, max_abs_value=2.0**10, min_clients=2)
    assert p.modulus > 2**53
    values = np.zeros(p.poly_degree)
    values[:4] = [2.0**10 - 2.0**-30, -(2.0**10) + 2.0**-30, 2.0**-30, -(2.0**-30)]
    assert np.array_equal(ring.decode_block(p, ring.encode_block(p, values)), values)


def test_distributed_dp_refuses_a_plan_whose_scale_misses_the_grid():
    coarse = OneTimeParams(2, 10, members=2, precision_bits=8, min_clients=2)
    fine_dim = 1 << 39  # grid step 2^-30: below the plan's 1 / scale
    assert not coarse.holds_grid(grid_step(1.0, fine_dim))
    with pytest.raises(ParameterError, match="precision_bits is too low for the DP grid"):
        check_grid_encodes("DPFedAvg", coarse, 1.0, fine_dim)
    check_grid_encodes("DPFedAvg", coarse, 1.0, 10)  # the grid of 10 entries: 2^-12, held


def test_decrypted_sum_carries_every_clients_and_members_noise():
    """What the server decrypts is the encoding of the sum plus the noise of every
    upload and every share: n_clients + parts discrete Gaussians of variance 21
    (params.noise_sigma^2). Each client's own noise is what hides its key and update
    from the others' view (mutation audit 2026-12-08: a client or a member adding no
    noise passed every test; without the client's, a server recovered the key from a
    padded block and the update to 4e-9). Sample variance of 2048 coefficients against
    chi-square bounds at 1e-6; dropping either party's noise halves it."""
    from scipy import stats

    agg = _aggregator()
    p = agg.params
    rng = np.random.default_rng(3)
    updates = [_grid(rng, p.dim, 0.5) for _ in range(2)]
    coefficients, _ = _server_total(agg, updates)
    padded = np.zeros(p.poly_degree)
    padded[:p.dim] = updates[0] + updates[1]
    q = p.modulus
    residual = (coefficients.astype(object) - ring.encode_block(p, padded).astype(object)) % q
    residual = np.array([int(v) - q if int(v) > q // 2 else int(v) for v in residual], dtype=np.float64)
    n = residual.size
    ratio = (n - 1) * residual.var(ddof=1) / p.noise_sigma**2
    assert stats.chi2.ppf(0.5e-6, n - 1) < ratio < stats.chi2.ppf(1 - 0.5e-6, n - 1), ratio / (n - 1)
    assert abs(residual.mean()) < 6 * p.noise_sigma / np.sqrt(n)
