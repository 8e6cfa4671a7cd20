"""DPLogisticRegression and the DP-SGD pieces under it: the noise actually added has the
calibrated scale, clipping bounds every example, the budget spent is the one asked for,
batches have the law the accountant assumes, objective perturbation draws the right
noise, and the model is useful (breast cancer at epsilon = 1) and composes with
encrypted inference. Statistical assertions at false-failure rate 1e-6 (dp_stats)."""

import math

import numpy as np
import pytest
from dp_stats import FALSE_FAILURE, Z_TWO_SIDED, assert_second_moment, gaussian_moments, samples_for_scale_error
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from pyppml import ParameterError, _core, dp
from pyppml.dp.mechanisms import default_granularity
from pyppml.dp.objective_perturbation import perturbation_vector, privacy_split
from pyppml.dp.sampling import fixed_size_sample, poisson_sample
from pyppml.dp.sgd import dp_sgd, sgd_schedule


def seeded(stream=0):
    return _core.Prng(b"dp-logistic-regression-tests-32b", stream)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)  # test fixture only: a real owner scales with public bounds
    return sc.transform(Xtr), ytr, sc.transform(Xte), yte


def grid_sigma(noise_multiplier, clip, d):
    """Noise std in value units of grid_gaussian_mechanism (its rounding counted)."""
    step = default_granularity(clip, d, "l2")
    return noise_multiplier * (clip + step * math.ceil(math.sqrt(d)))


# -- the noise DP-SGD adds ------------------------------------------------------------------
D_NOISE = 60_000  # coordinates: enough to catch a 3% error in the noise scale at 1e-6
assert D_NOISE >= samples_for_scale_error(gaussian_moments, 1.0)


@pytest.mark.parametrize("sampling", ["poisson", "fixed"])
def test_dp_sgd_step_noise_has_the_calibrated_scale(sampling):
    # Zero gradients: one step moves w by exactly -lr * noise / divisor, so w's entries are
    # samples of the noise. Poisson: std nm * C / (q n); fixed: nm * 2C / b (replace-one).
    n, b, clip, nm, lr = 50, 25, 0.5, 1.3, 0.2
    w = dp_sgd(lambda w, idx: np.zeros((len(idx), D_NOISE)), np.zeros(D_NOISE), n, steps=1, batch_size=b,
               clip=clip, noise_multiplier=nm, learning_rate=lr, sampling=sampling, prng=seeded())
    sens = clip if sampling == "poisson" else 2 * clip
    sigma = lr * grid_sigma(nm, sens, D_NOISE) / b  # q n = b for Poisson here
    assert_second_moment(w, *gaussian_moments(sigma), what=f"DP-SGD noise ({sampling})")


def test_dp_sgd_clips_every_example():
    # Same stream, so the same batches and noise. The direction (1/2, 1/2, 1/2, 1/2) has norm
    # exactly 1 = C, and clipping any multiple of it to C gives it back bit for bit: a
    # gradient of norm C (left alone) and ones of norm 3 and 3000 (clipped) must give the
    # same run. Review (mutation M12): comparing only norms 3 and 3000 could not see the
    # bound (clipping to 2C passed); norm C against norm 3 pins it at C.
    direction = np.full(4, 0.5)

    def run(scale):
        return dp_sgd(lambda w, idx: np.tile(scale * direction, (len(idx), 1)), np.zeros(4), 40, steps=5,
                      batch_size=10, clip=1.0, noise_multiplier=0.7, learning_rate=0.1, prng=seeded(3))

    at_c = run(1.0)
    assert np.array_equal(at_c, run(3.0)) and np.array_equal(at_c, run(3000.0))
    assert not np.array_equal(at_c, run(0.5))  # inside the ball the gradient counts as it is


@pytest.mark.parametrize("sampling", ["poisson", "fixed"])
def test_dp_sgd_adds_each_example_clipped_to_c(sampling):
    # One step, same stream with and without gradients: same batch, same noise, so the
    # difference of the two iterates is -lr / divisor times the clipped sum rounded to the
    # grid, known to half a grid step per coordinate. The clipped sum is recomputed here,
    # g * min(1, C / ||g||), for examples of norms C/20 .. 20C in random directions: a bound
    # other than C (2C, C/2), or an example left unclipped, moves it by >= ~C/20 >> a step.
    n, b, d, clip, lr, nm = 40, 10, 4, 0.5, 0.1, 0.7
    rng = np.random.default_rng(12)
    grads = rng.normal(size=(n, d))
    grads *= (clip * np.geomspace(0.05, 20.0, n) / np.linalg.norm(grads, axis=1))[:, None]
    batches = []

    def per_example(w, idx):
        batches.append(idx.copy())
        return grads[idx]

    def run(gradients):
        return dp_sgd(gradients, np.zeros(d), n, steps=1, batch_size=b, clip=clip, noise_multiplier=nm,
                      learning_rate=lr, sampling=sampling, prng=seeded(7))

    moved = (run(lambda w, idx: np.zeros((len(idx), d))) - run(per_example)) * b / lr  # divisor q n = b here
    idx = batches[0]
    norms = np.linalg.norm(grads[idx], axis=1)
    assert np.any(norms > 2 * clip) and np.any(norms < clip / 2)  # the batch has both kinds: the test has power
    want = (grads[idx] * np.minimum(1.0, clip / norms)[:, None]).sum(axis=0)
    step = default_granularity(clip if sampling == "poisson" else 2 * clip, d, "l2")
    assert np.max(np.abs(moved - want)) <= step / 2 + 1e-12


def test_poisson_sample_rate_and_fixed_batches_are_uniform():
    n, q = 400_000, 0.03
    k = int(poisson_sample(n, q).sum())
    assert abs(k - n * q) <= Z_TWO_SIDED * math.sqrt(n * q * (1 - q))
    # Fixed batches: every example equally likely (chi-square over inclusion counts).
    from scipy.stats import chi2

    n, b, reps = 20, 5, 4000
    counts = np.zeros(n)
    for _ in range(reps):
        idx = fixed_size_sample(n, b)
        assert len(set(idx.tolist())) == b
        counts[idx] += 1
    expected = reps * b / n
    # Inclusion counts are not independent across items: the statistic is bounded by a
    # chi-square with n - 1 df scaled by (n - b) / (n - 1) < 1, so the test is conservative.
    stat = float(((counts - expected) ** 2 / expected).sum())
    assert stat < chi2.isf(FALSE_FAILURE, n - 1)


# -- the budget ----------------------------------------------------------------------------
def test_calibrated_multiplier_spends_the_budget_and_no_more():
    nm = dp.calibrate_noise_multiplier(1.0, 1e-5, steps=150, sample_rate=0.1)
    acc = dp.PrivacyAccountant()
    acc.step(nm, 0.1, 150)
    assert acc.get_epsilon(1e-5) <= 1.0
    slightly_less = dp.PrivacyAccountant()
    slightly_less.step(nm * 0.99, 0.1, 150)
    assert slightly_less.get_epsilon(1e-5) > 1.0  # tight: 1% less noise breaks the budget


def test_fit_spends_the_target_epsilon_and_charges_a_shared_accountant(cancer):
    Xtr, ytr, _, _ = cancer
    model = dp.DPLogisticRegression(epsilon=1.0, delta=1e-5).fit(Xtr, ytr)
    q, steps = sgd_schedule(len(Xtr), 10.0, 64)
    assert model.n_iter_ == steps
    assert model.noise_multiplier_ == dp.calibrate_noise_multiplier(1.0, 1e-5, steps, q)
    assert 0.99 < model.epsilon_ <= 1.0
    shared = dp.PrivacyAccountant()
    dp.DPLogisticRegression(epsilon=0.5).set_params(accountant=shared).fit(Xtr, ytr)
    dp.DPLogisticRegression(epsilon=0.5).set_params(accountant=shared).fit(Xtr, ytr)
    assert shared.get_epsilon(1e-5) > 0.6  # two fits compose; each alone spends <= 0.5


def test_fit_adds_the_calibrated_noise_to_the_weights():
    # Zero features, no intercept: every gradient is 0, so coef_ is the sum of the T steps'
    # noise times -lr / (q n); its scale must be the calibrated one (a fit that used the
    # wrong multiplier, or no noise, fails here).
    n, d = 100, 40_000
    X = np.zeros((n, d))
    y = np.tile([0, 1], n // 2)
    m = dp.DPLogisticRegression(epsilon=2.0, fit_intercept=False, learning_rate=0.3, batch_size=50)
    m.fit(X, y)
    q, steps = sgd_schedule(n, 10.0, 50)
    sigma = 0.3 * math.sqrt(steps) * grid_sigma(m.noise_multiplier_, 1.0, d) / (q * n)
    assert_second_moment(m.coef_[0], *gaussian_moments(sigma), what="fit noise")


def test_fixed_size_batches_use_replace_one_accounting(cancer):
    Xtr, ytr, _, _ = cancer
    # Two epochs: the replace-one RDP of sampling without replacement is slow to compute.
    m = dp.DPLogisticRegression(epsilon=2.0, sampling="fixed", epochs=2).fit(Xtr, ytr)
    assert m.accountant_.sampling == "fixed"
    _, steps = sgd_schedule(len(Xtr), 2.0, 64)
    ref = dp.PrivacyAccountant(sampling="fixed")
    ref.step(m.noise_multiplier_, None, steps, dataset_size=len(Xtr), batch_size=64)
    assert ref.get_epsilon(1e-5) == pytest.approx(m.epsilon_) and m.epsilon_ <= 2.0


# -- objective perturbation ----------------------------------------------------------------
OP_DIM, OP_EPS, OP_REPS = 5, 0.8, 40_000


@pytest.fixture(scope="module")
def perturbations():
    return np.array([perturbation_vector(OP_DIM, OP_EPS) for _ in range(OP_REPS)])


def test_objective_perturbation_noise_norm_is_gamma(perturbations):
    # ||b|| ~ Gamma(d, scale 2 / eps'): KS test of the whole law at 1e-6 (scipy's p-value).
    # A factor-2 error in the rate, or a direction not normalised, moves the CDF by ~0.5,
    # where the critical KS distance at n = 40 000 is ~0.013.
    from scipy.stats import gamma, kstest

    norms = np.linalg.norm(perturbations, axis=1)
    assert kstest(norms, gamma(OP_DIM, scale=2.0 / OP_EPS).cdf).pvalue > FALSE_FAILURE


def test_objective_perturbation_direction_is_uniform_on_the_sphere(perturbations):
    """Review (mutation M14): a fixed direction (1, ..., 1) / sqrt(d), with the norm still
    Gamma, passed. b / ||b|| uniform on the sphere means: (1) every projection u.v on a unit
    vector v has (u.v + 1) / 2 ~ Beta((d-1)/2, (d-1)/2) (KS tests for v = e_1 and v =
    (1, ..., 1) / sqrt(d)); (2) the mean of u is 0 with covariance I / (d n), so
    d n ||mean||^2 ~ chi2(d) (central limit, bounded symmetric terms); (3) the direction is
    independent of the norm: the Spearman correlation of ||b|| and u_1^2 is ~N(0, 1/n).
    Four tests at 1e-6 / 4 each. The fixed direction gives constant projections (KS
    distance ~0.5 and 1) and d n ||mean||^2 = n d = 2e5 against a critical ~37."""
    from scipy.stats import beta, chi2, kstest, spearmanr

    alpha = FALSE_FAILURE / 4
    norms = np.linalg.norm(perturbations, axis=1)
    u = perturbations / norms[:, None]
    law = beta((OP_DIM - 1) / 2, (OP_DIM - 1) / 2)
    for v in (np.eye(OP_DIM)[0], np.full(OP_DIM, 1 / math.sqrt(OP_DIM))):
        assert kstest((u @ v + 1) / 2, law.cdf).pvalue > alpha
    assert OP_DIM * OP_REPS * float(u.mean(axis=0) @ u.mean(axis=0)) < chi2.isf(alpha, OP_DIM)
    assert spearmanr(norms, u[:, 0] ** 2).pvalue > alpha


def test_objective_perturbation_budget_split_matches_the_paper():
    # Chaudhuri et al. 2011, Algorithm 2, with c = 1/4.
    eps_p, extra = privacy_split(1.0, 1000, 0.01)
    assert eps_p == pytest.approx(1.0 - math.log(1 + 2 * 0.25 / 10 + (0.25 / 10) ** 2))
    assert extra == 0.0
    eps_p, extra = privacy_split(0.1, 10, 0.01)  # too little regularisation: eps/2 and Delta
    assert eps_p == 0.05
    assert extra == pytest.approx(0.25 / (10 * math.expm1(0.025)) - 0.01)


def test_objective_method_is_pure_dp_and_learns(cancer):
    Xtr, ytr, Xte, yte = cancer
    m = dp.DPLogisticRegression(epsilon=4.0, method="objective", data_norm=math.sqrt(Xtr.shape[1])).fit(Xtr, ytr)
    assert (m.epsilon_, m.delta_, m.method_) == (4.0, 0.0, "objective")
    assert roc_auc_score(yte, m.predict_proba(Xte)[:, 1]) > 0.8


# -- usefulness and composition --------------------------------------------------------------
def test_breast_cancer_auc_at_epsilon_one(cancer):
    """The issue's target, AUC within 0.03 of non-private (0.995 here): above 0.95 at
    eps = 1, for the median of three independent fits. The DP-SGD noise (CSPRNG,
    unseeded) gives one fit's AUC a long lower tail: median 0.990, but below 0.97 in
    1.1% and below 0.96 in 0.12% of 1677 measured fits (lowest 0.952 of 3026), and an
    exponential fit to the lowest 2-5% puts P(AUC < 0.95) = p at 4e-5 .. 1.5e-4 per
    fit: one fit against 0.95 fails by chance about once in 10^4 runs. The median
    of three is below 0.95 only if two fits are: probability < 3 p^2 < 1e-7 (fits are
    independent). Still caught: any change that moves the typical fit below 0.95 (two
    of three below), e.g. noise ten times too wide (the eps = 0.1 noise: median AUC 0.90,
    caught in ~90% of runs; one fit: 82%) or clipping that loses the signal."""
    Xtr, ytr, Xte, yte = cancer
    fits = [dp.DPLogisticRegression(epsilon=1.0).fit(Xtr, ytr) for _ in range(3)]
    aucs = [roc_auc_score(yte, f.predict_proba(Xte)[:, 1]) for f in fits]
    assert np.median(aucs) > 0.95, aucs
    m = fits[0]
    assert m.predict(Xte).shape == (len(Xte),) and set(np.unique(m.predict(Xte))) <= {0, 1}


def test_sklearn_interface(cancer):
    Xtr, ytr, _, _ = cancer
    m = dp.DPLogisticRegression(epsilon=2.0, batch_size=32)
    assert clone(m).get_params()["batch_size"] == 32
    p = m.fit(Xtr, ytr).predict_proba(Xtr[:5])
    assert p.shape == (5, 2) and np.allclose(p.sum(axis=1), 1.0)


def test_dp_model_served_with_encrypted_inference(cancer):
    Xtr, ytr, Xte, _ = cancer
    m = dp.DPLogisticRegression(epsilon=2.0).fit(Xtr, ytr)
    rows = np.clip(Xte[:8], -4, 4)
    enc = m.predict_proba_encrypted(rows, output="score")
    assert np.max(np.abs(enc - m.predict_proba(rows)[:, 1])) < 0.05  # sigmoid approximation error


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,X,y,match", [
    ({"epsilon": 0.0}, None, None, r"epsilon is not positive"),
    ({"epsilon": float("nan")}, None, None, r"epsilon is not finite"),
    ({"delta": 1.0}, None, None, r"delta is outside \(0, 1\)"),
    ({"method": "magic"}, None, None, r"method is unknown"),
    ({"method": "objective"}, None, None, r"data_norm is required"),
    ({"batch_size": 0}, None, None, r"batch_size is not a positive integer"),
    ({"epochs": 1e9}, None, None, r"epochs is too large; expected 0 < epochs <= 10000"),
    ({"sampling": "bernoulli"}, None, None, r"sampling is unknown"),
    ({}, [[1.0, float("inf")], [0.0, 1.0]], [0, 1], r"X contains NaN or infinity"),
    ({}, [[1.0, 2.0], [0.0, 1.0]], [0, 2], r"y has labels other than 0 and 1"),
    ({}, [[1.0, 2.0], [0.0, 1.0]], [0, 1, 1], r"y has the wrong shape"),
])
def test_bad_input_is_a_parameter_error_naming_the_argument(kwargs, X, y, match):
    X = [[0.25, 0.5], [0.75, 1.0]] if X is None else X
    y = [0, 1] if y is None else y
    with pytest.raises(ParameterError, match=match) as info:
        dp.DPLogisticRegression(**kwargs).fit(X, y)
    assert "\n" not in str(info.value)
    assert "0.75" not in str(info.value) and "inf" not in str(info.value).split("got")[-1]


def test_predict_checks_feature_count(cancer):
    Xtr, ytr, _, _ = cancer
    m = dp.DPLogisticRegression(epsilon=1.0).fit(Xtr, ytr)
    with pytest.raises(ParameterError, match=r"X has the wrong number of features; expected 30 features, got 3"):
        m.predict(np.zeros((2, 3)))


def test_objective_perturbation_charges_the_shared_accountant(cancer):
    """Review: method="objective" spent epsilon without charging a shared accountant (0
    charges, epsilon 0 after any number of fits). It is charged before the noise is
    drawn; an add/remove-one accountant, which its analysis does not cover, is refused."""
    Xtr, ytr = cancer[0], cancer[1]
    acc = dp.PrivacyAccountant("rdp", sampling="fixed")
    for _ in range(2):
        m = dp.DPLogisticRegression(epsilon=1.0, method="objective", data_norm=math.sqrt(Xtr.shape[1]),
                                    accountant=acc).fit(Xtr, ytr)
    assert len(acc.charges) == 2 and m.accountant_ is acc
    assert acc.get_epsilon(1e-9) >= 2.0 - 1e-9  # two pure 1-DP releases: at least their sum at tiny delta
    with pytest.raises(ParameterError, match="accountant counts add/remove-one neighbours"):
        dp.DPLogisticRegression(epsilon=1.0, method="objective", data_norm=1.0,
                                accountant=dp.PrivacyAccountant("rdp")).fit(Xtr, ytr)


def test_an_extreme_record_neither_stops_nor_flags_dp_sgd():
    """Review: one finite but huge record (+-1.7e308) made a gradient NaN, and clip_l2's
    error stopped the fit only when that record was in the data (3 of 3 seeds). Its
    gradient now counts as zero: the fit ends, with no warning either way."""
    import warnings

    rng = np.random.default_rng(1)
    X = 0.1 * rng.normal(size=(400, 4)) + 0.3
    y = np.ones(400)
    X[:200] *= -1.0
    y[:200] = 0
    victim = np.array([[1.7e308, 1.7e308, -1.7e308, -1.7e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(3):
            m = dp.DPLogisticRegression(epsilon=8.0, epochs=5, learning_rate=1.0)
            m.fit(np.vstack([X, victim]), np.append(y, 1.0), prng=seeded(seed))
            assert np.all(np.isfinite(m.coef_))


def test_dp_sgd_refuses_a_gradient_that_is_not_one_per_example():
    """Review: a callback returning the batch's aggregate (d,) was clipped as one example
    and summed to a scalar: neighbours differed by 7.07 against a sensitivity of 1."""
    for bad in (lambda w, idx: np.ones(3), lambda w, idx: np.ones((1, 3)), lambda w, idx: np.ones((len(idx), 2))):
        with pytest.raises(ParameterError, match="per_example_gradients returned the wrong shape"):
            dp_sgd(bad, np.zeros(3), 100, steps=1, batch_size=100, clip=1.0, noise_multiplier=1.0,
                   learning_rate=0.1, sampling="fixed")


def test_bad_entries_of_any_kind_give_one_error_and_huge_rows_no_warning():
    """Recheck of the review: check_features converted X itself, so an int past the float
    range raised OverflowError where NaN raised ParameterError (the kind of record told
    apart); and clip_rows warned of overflow, and zeroed the row, only when a huge finite
    record was there. Every bad entry now gives the one schema error, and a huge row is
    scaled to data_norm in silence."""
    import warnings

    row = [0.5, -0.25, 1.0]
    messages = set()
    for bad in (math.nan, math.inf, 10**400, "n/a"):
        X = [row, row, [bad, 0.0, 0.0], row]
        with pytest.raises(ParameterError, match="X contains NaN or infinity") as info:
            dp.DPLogisticRegression(epsilon=1.0, data_norm=2.0).fit(X, [0, 1, 0, 1])
        messages.add(str(info.value))
    assert len(messages) == 1
    with pytest.raises(ParameterError, match="labels other than 0 and 1"):
        dp.DPLogisticRegression(epsilon=1.0).fit([row] * 4, [0, 1, 10**400, 1])
    X = np.array([row, row, [1.7e308, 1.7e308, -1.7e308], row])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from pyppml.dp.logistic_regression import clip_rows

        clipped = clip_rows(X, 2.0)
        dp.DPLogisticRegression(epsilon=1.0, data_norm=2.0, epochs=1).fit(X, [0, 1, 0, 1], prng=seeded(4))
    assert np.linalg.norm(clipped[2]) == pytest.approx(2.0) and np.array_equal(clipped[0], X[0])


# -- review 6, LOW-4: objective perturbation's noise norm has unbounded support ------------------

class _ZeroWordPrng:
    """A stand-in whose every 64-bit word is 0 (probability 2^-64 per word from the CSPRNG)."""

    def uint64(self, n):
        return np.zeros(n, dtype=np.uint64)


@pytest.mark.parametrize("call", [
    lambda p: perturbation_vector(1, 1.0, p),
    lambda p: __import__("pyppml.dp.objective_perturbation", fromlist=["x"]).fit_objective_perturbation(
        np.full((4, 1), 0.5), np.array([1.0, -1.0, 1.0, -1.0]), 1.0, 0.1, prng=p),
    lambda p: poisson_sample(10, 0.5, prng=p),
    lambda p: fixed_size_sample(10, 3, prng=p),
], ids=["perturbation_vector", "fit_objective_perturbation", "poisson_sample", "fixed_size_sample"])
def test_a_stand_in_prng_is_refused(call):
    """Review 6, LOW-4: these took any object with a uint64 method as prng (the stub chose
    the noise and the batches); only pyppml's _core.Prng is taken, as in local DP."""
    with pytest.raises(ParameterError, match=r": prng is not a pyppml\._core\.Prng; expected None or a Prng"):
        call(_ZeroWordPrng())
    call(seeded(7))  # the real one is accepted


def test_objective_perturbation_norm_reaches_past_the_old_bound(monkeypatch):
    """Review 6, LOW-4: the norm was -log(U) summed over d 53-bit uniforms, at most
    2 d 54 ln 2 / eps'. With d = 1, n = 50, epsilon 1, lambda 0.1 (eps' = 0.9024) that
    is 82.95; an output whose implied b under D is 82.95 needs |b'| = 83.95 under a
    neighbour D' (one label flipped: the gradient moves by 1), which the sampler could
    not produce: probability ~2^-54 under D, 0 under D', so not pure DP. The norm is now
    (2 / eps') (K + F) with K geometric on all integers >= 0 (exact discrete Laplace
    draws kept when >= 0): the K a large b' needs is drawn with positive probability,
    here forced, and the norm then passes 83.95. The old sampler never read those draws."""
    from pyppml.dp import objective_perturbation as op

    eps_p, _ = privacy_split(1.0, 50, 0.1)
    old_bound = 2 * 54 * math.log(2) / eps_p
    needed_under_neighbour = old_bound + 1.0
    assert old_bound == pytest.approx(82.9546, abs=1e-4)
    k = math.ceil(needed_under_neighbour * eps_p / 2)  # K + F >= k: the norm is >= 2 k / eps'

    class ForcedCore:
        Prng = _core.Prng

        @staticmethod
        def dp_discrete_laplace(sn, sd, size, prng):
            return np.full(size, k, dtype=np.int64)

    monkeypatch.setattr(op, "_core", ForcedCore)
    b = perturbation_vector(1, eps_p, seeded(8))
    assert abs(b[0]) >= needed_under_neighbour > old_bound


def test_objective_perturbation_norm_parts_have_their_laws():
    """The integer part K is geometric, P(K = k) = (1 - e^-1) e^-k (chi-square over
    k = 0..9 and the tail, at 1e-6), and K + F is Exp(1) (KS at 1e-6): the norm's law is
    exactly Gamma(d, 2 / eps'), with unbounded support."""
    from scipy.stats import chi2, expon, kstest

    from pyppml.dp.objective_perturbation import _geometric, exponential_sum

    n = 200_000
    ks = _geometric(seeded(9), n)
    p = (1 - math.exp(-1)) * np.exp(-np.arange(10.0))
    expected = np.append(p, 1 - p.sum()) * n
    observed = np.append(np.bincount(np.minimum(ks, 10), minlength=11)[:10], np.sum(ks >= 10))
    assert np.sum((observed - expected) ** 2 / expected) < chi2.isf(FALSE_FAILURE, 10)
    prng = seeded(10)
    sums = np.array([exponential_sum(1, prng) for _ in range(50_000)])
    assert kstest(sums, expon.cdf).pvalue > FALSE_FAILURE


def test_objective_perturbation_refuses_signs_other_than_plus_minus_one():
    """The analysis bounds the logistic loss's curvature for labels +-1 (review
    2026-12-08: signs were never checked, and a sign of 3 scales the curvature by 9)."""
    from pyppml.dp.objective_perturbation import fit_objective_perturbation

    Z = np.full((4, 2), 0.5)
    for signs in (np.array([1, -1, 3, 1]), np.array([1, -1, 0, 1]), np.array([1.0, -1.0, 1.0]),
                  np.array([1.0, -1.0, 0.5, 1.0])):
        with pytest.raises(ParameterError, match="^dp.fit_objective_perturbation: signs are not one label"):
            fit_objective_perturbation(Z, signs, 1.0, 0.1)
    assert fit_objective_perturbation(Z, np.array([1, -1, 1, -1]), 1.0, 0.1).shape == (2,)


def test_fixed_size_batches_are_uniform_subsets():
    """The replace-one accounting of fixed-size batches assumes every b-subset equally
    likely, not only every example (mutation audit 2026-12-08: b consecutive indices
    from a random start, or an order biased by keys mod n, kept uniform inclusion counts
    and passed). n = 6, b = 3: chi-square over the 20 subsets of 20,000 draws at 1e-6
    (limit 63.7; those two gave 46,677 and 1,360)."""
    from itertools import combinations

    from scipy.stats import chi2

    n, b, reps = 6, 3, 20_000
    index = {c: k for k, c in enumerate(combinations(range(n), b))}
    counts = np.zeros(len(index))
    for _ in range(reps):
        counts[index[tuple(fixed_size_sample(n, b).tolist())]] += 1
    expected = reps / len(index)
    assert float(((counts - expected) ** 2 / expected).sum()) < chi2.isf(FALSE_FAILURE, len(index) - 1)


def test_objective_perturbation_minimises_with_the_extra_regulariser():
    """Where epsilon' would be <= 0, Algorithm 2 adds Delta to the regulariser and the
    privacy proof needs it in the objective (mutation audit 2026-12-08: dropping it passed,
    only privacy_split's return values were tested). With the same seeded generator b is
    rebuilt, and the objective's gradient with lam + Delta vanishes at the returned w."""
    from pyppml.dp.objective_perturbation import (CURVATURE, fit_objective_perturbation, perturbation_vector,
                                                  privacy_split)

    rng = np.random.default_rng(4)
    n, d = 20, 3
    Z = rng.normal(size=(n, d))
    Z /= np.maximum(1.0, np.linalg.norm(Z, axis=1))[:, None]
    s = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    eps, lam = 0.5, 0.01
    eps_p, extra = privacy_split(eps, n, lam)
    assert extra > 0 and extra == pytest.approx(CURVATURE / (n * math.expm1(eps / 4)) - lam)
    seed = b"objective-perturbation-test-0032"
    w = fit_objective_perturbation(Z, s, eps, lam, prng=_core.Prng(seed, 0))
    b = perturbation_vector(d, eps_p, prng=_core.Prng(seed, 0))
    margins = s * (Z @ w)
    grad = Z.T @ (-s * 0.5 * (1.0 - np.tanh(margins / 2.0))) / n + (lam + extra) * w + b / n
    assert np.max(np.abs(grad)) < 1e-6


def test_exponential_sum_keeps_every_geometric_draw(monkeypatch):
    """Gamma(dim, .) needs unbounded support: the geometric part is kept however large
    (a truncation at 40 bounds the norm again, and no statistical test can see it)."""
    from pyppml.dp import objective_perturbation as op

    def draws(num, den, size, prng):  # 1000, 0, 1000, 0, ...
        return np.where(np.arange(size) % 2 == 0, 1000, 0).astype(np.int64)

    monkeypatch.setattr(op._core, "dp_discrete_laplace", draws)
    assert op.exponential_sum(3, _core.Prng()) >= 2000  # the draws 1000, 0, 1000 kept
