"""SecAgg+ beyond the 4096 parties of one Shamir sharing: each client shares its secrets
with its closed neighbourhood only (k + 1 points at the holders' global ids + 1), so a
round of 4100 clients runs (review 2026-12-07: every client's share_keys failed above
4096, since shares were evaluated at all n points), and a neighbourhood above 4096 is
refused up front."""

import numpy as np
import pytest

from pyppml import ParameterError, fl
from pyppml.mpc import SHAMIR_MAX_PARTIES


def test_round_of_4100_clients_with_dropouts_is_exact():
    n, dim = 4100, 4
    agg = fl.SecureAggregator(n, dim)
    assert agg.params.neighbours + 1 < n  # a sparse graph: each client shares with k + 1 holders
    ups = list(np.random.default_rng(7).uniform(-1, 1, (n, dim)))
    total = agg.run_round(ups, dropouts={"masked": {0, 17, 4099}, "unmask": {5}})
    surv = agg.report.survivors
    assert len(surv) == n - 3 and 0 not in surv and 5 in surv
    exact = np.sum([ups[i] for i in surv], axis=0)
    assert np.abs(total - exact).max() <= len(surv) / agg.quantizer.scale + 1e-12


def test_neighbourhood_above_one_sharing_is_refused():
    assert SHAMIR_MAX_PARTIES == 4096
    fl.SecAggParams(n_clients=SHAMIR_MAX_PARTIES, dim=1)  # SecAgg (k = n - 1) at the bound
    with pytest.raises(ParameterError, match="neighbours is out of range; expected a closed neighbourhood of at most "
                                             "4096 clients") as info:
        fl.SecAggParams(n_clients=SHAMIR_MAX_PARTIES + 1, dim=1, neighbours=SHAMIR_MAX_PARTIES)
    assert "\n" not in str(info.value)
