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


def test_undefined_cases_are_nan_with_reason():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    const = np.ones(4)
    assert np.isnan(m.kendall_tau(y, const)) and np.isnan(m.pearson(y, const))
    assert m.undefined_reason(y, const) == "constant predictions"
    assert np.isnan(m.spearman(y[:2], y[:2]))
    assert "fewer than 3" in m.undefined_reason(y[:2], y[:2])
    row = m.score_all(y, const)
    assert row["n_test"] == 4 and "constant predictions" in row["metric_note"]


def test_score_all_drops_non_finite_pairs():
    y = np.arange(25.0)
    p = y.copy()
    p[3] = np.nan
    row = m.score_all(y, p)
    assert row["n_test"] == 24 and "1 non-finite" in row["metric_note"]
    assert row["kendalltau"] == pytest.approx(1.0) and row["precision_at_10"] == 1.0
    assert set(m.METRIC_COLUMNS) <= set(row)


def test_length_mismatch():
    with pytest.raises(ValueError, match="differ in length"):
        m.kendall_tau([1, 2, 3], [1, 2])
