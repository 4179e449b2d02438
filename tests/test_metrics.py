"""Metrics against scipy and hand-computed cases (ties included); signed; NaN with a reason."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from experiments import metrics as m


def test_against_scipy_random():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.normal(size=50)
        p = y + rng.normal(size=50)
        assert m.pearson(y, p) == pytest.approx(stats.pearsonr(y, p).statistic)
        assert m.spearman(y, p) == pytest.approx(stats.spearmanr(y, p).statistic)
        assert m.kendall_tau(y, p) == pytest.approx(stats.kendalltau(y, p).statistic)


def test_signed_never_abs():
    y = np.arange(10.0)
    assert m.kendall_tau(y, -y) == pytest.approx(-1.0)
    assert m.spearman(y, -y) == pytest.approx(-1.0)
    assert m.pearson(y, -y) == pytest.approx(-1.0)


def test_kendall_tau_b_with_ties_by_hand():
    # y = [1, 2, 3, 4], p = [1, 1, 2, 3]: pairs (6): concordant 5, discordant 0, one tie in p.
    # tau_b = (C - D) / sqrt((n0 - n1)(n0 - n2)) = 5 / sqrt(6 * 5)
    y, p = np.array([1.0, 2, 3, 4]), np.array([1.0, 1, 2, 3])
    assert m.kendall_tau(y, p) == pytest.approx(5 / np.sqrt(30))


def test_sparse_kendall_tau_rounds_predictions_to_one_decimal():
    y = np.array([90.0, 91.0, 92.0, 93.0])
    p = np.array([90.04, 90.01, 92.0, 93.0])  # first two round to 90.0: a tie, not a discordance
    assert m.kendall_tau(y, p) == pytest.approx(4 / 6)
    assert m.sparse_kendall_tau(y, p) == pytest.approx(5 / np.sqrt(30))


def test_precision_at_k():
    y = np.arange(30.0)
    p = y.copy()
    assert m.precision_at_k(y, p, 10) == 1.0
    p[29], p[0] = p[0], p[29]  # swap best and worst in the prediction
    assert m.precision_at_k(y, p, 10) == pytest.approx(0.9)
    assert m.precision_at_k(y, -y, 10) == 0.0
    assert np.isnan(m.precision_at_k(y[:5], p[:5], 10))


def test_errors():
    y = np.array([1.0, 2.0, 3.0])
    assert m.mae(y, y + 1) == 1.0
    assert m.rmse(y, np.array([1.0, 2.0, 6.0])) == pytest.approx(np.sqrt(3))


def test_constant_prediction_scores_zero_not_nan():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    const = np.ones(4)
    assert m.kendall_tau(y, const) == 0.0 and m.pearson(y, const) == 0.0
    assert m.spearman(y, const) == 0.0 and m.sparse_kendall_tau(y, const) == 0.0
    row = m.score_all(y, const)
    assert row["n_test"] == 4 and row["status"] == "constant"
    assert "no information" in row["metric_note"]


def test_undefined_only_when_labels_make_it_so():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert np.isnan(m.spearman(y[:2], y[:2]))
    assert "fewer than 3" in m.undefined_reason(y[:2], y[:2])
    assert np.isnan(m.kendall_tau(np.ones(4), y))
    assert m.undefined_reason(np.ones(4), y) == "constant labels"


def test_non_finite_predictions_rank_last_on_the_same_test_set():
    y = np.arange(25.0)
    p = y.copy()
    p[3] = np.nan
    row = m.score_all(y, p)
    # nothing dropped: 25 archs, the failed one ranks below all (it is 4th worst, so ranking
    # it last costs 3 discordant pairs), pearson/mae/rmse need values and are NaN
    assert row["n_test"] == 25 and row["n_failed"] == 1 and row["status"] == "partial"
    expected = stats.kendalltau(y, np.where(np.isnan(p), -1e8, p)).statistic
    assert row["kendalltau"] == pytest.approx(expected) and row["kendalltau"] < 1.0
    assert np.isnan(row["pearson"]) and np.isnan(row["mae"]) and np.isnan(row["rmse"])
    assert row["precision_at_10"] == 1.0
    assert "ranked last" in row["metric_note"]
    assert set(m.METRIC_COLUMNS) <= set(row)


def test_failures_tie_among_themselves_and_inf_counts_as_failure():
    y = np.arange(6.0)
    p = np.array([np.nan, np.inf, 2.0, 3.0, 4.0, 5.0])
    # the two failures tie at the bottom: like predicting [0, 0, 2, 3, 4, 5]
    assert m.kendall_tau(y, p) == pytest.approx(m.kendall_tau(y, [0, 0, 2, 3, 4, 5]))
    assert m.prediction_status(p) == "partial"
    assert m.prediction_status([np.nan] * 6) == "constant"
    assert m.kendall_tau(y, [np.nan] * 6) == 0.0


def test_a_failing_predictor_scores_worse_than_one_that_skips_the_hard_archs():
    # the old rule (drop non-finite pairs) rewarded a proxy for failing on the easy-to-rank
    # archs; now the failures count against it
    rng = np.random.default_rng(1)
    y = np.concatenate([np.full(20, 10.0) + rng.normal(0, 0.01, 20), 80 + rng.normal(0, 3, 80)])
    good = y + rng.normal(0, 1, 100)
    failing = good.copy()
    failing[:20] = np.nan  # fails exactly on the unreachable (worst) cells
    assert m.kendall_tau(y, failing) < m.kendall_tau(y[20:], good[20:]) + 1.0  # defined
    flipped = good.copy()
    flipped[:20] = 1e9  # a proxy that ranks the worst cells best is punished, failing is not
    assert m.kendall_tau(y, flipped) < m.kendall_tau(y, failing)


def test_precision_at_k_breaks_ties_in_expectation():
    y = np.arange(30.0)
    # constant prediction: chance level k/n, whatever order the archs are listed in
    assert m.precision_at_k(y, np.zeros(30), 10) == pytest.approx(10 / 30)
    assert m.precision_at_k(y[::-1].copy(), np.zeros(30), 10) == pytest.approx(10 / 30)
    # 9 clear winners + a 2-way tie for the 10th place between a true top-10 arch (20) and
    # the 11th (19): each gets the place half the time
    p = y.copy()
    p[19] = p[20]
    assert m.precision_at_k(y, p, 10) == pytest.approx(0.95)
    p = y.copy()
    p[20] = p[19] = 100.0  # tie at the top between a top-10 arch (20) and a non-top-10 (19)
    assert m.precision_at_k(y, p, 10) == pytest.approx(0.9)


def test_sparse_kendall_tau_does_not_depend_on_the_units_of_a_score():
    rng = np.random.default_rng(3)
    y = 85 + rng.normal(0, 2, 200)
    score = (y - 85) / 1000 + rng.normal(0, 0.001, 200)  # e.g. a proxy with tiny values
    # on the label scale rounding to 0.1 would tie everything (an artefact of the units) ...
    assert m.sparse_kendall_tau(y, score, scale="label") == 0.0
    # ... mapped by rank onto the labels first, it measures the ranking, whatever the units
    mapped = m.sparse_kendall_tau(y, score, scale="score")
    assert mapped == pytest.approx(m.sparse_kendall_tau(y, np.exp(score * 500), scale="score"))
    assert mapped == pytest.approx(m.sparse_kendall_tau(y, 7 * score - 3, scale="score"))
    assert 0.5 < mapped  # near-ties (< 0.1 points of label) no longer count as discordant
    row = m.score_all(y, score, scale="score")
    assert row["sparse_kendalltau"] == pytest.approx(mapped)
    assert "label scale by rank" in row["metric_note"]


def test_onto_label_scale_gives_tied_predictions_their_mean_label():
    y = np.array([1.0, 2.0, 3.0, 10.0])
    out = m.onto_label_scale(y, np.array([5.0, 5.0, 0.0, 9.0]))
    assert out.tolist() == [2.5, 2.5, 1.0, 10.0]


def test_failed_row_keeps_the_seed_as_no_information():
    row = m.failed_row(200, "RuntimeError")
    assert row["kendalltau"] == 0.0 and row["status"] == "failed" and row["n_failed"] == 200
    assert row["precision_at_10"] == pytest.approx(10 / 200) and np.isnan(row["mae"])


def test_length_mismatch():
    with pytest.raises(ValueError, match="differ in length"):
        m.kendall_tau([1, 2, 3], [1, 2])
