"""Scores of a predictor's predictions against ground truth (DESIGN §4). All signed, never abs.

- `pearson`, `spearman`, `kendall_tau` (tau-b, which handles ties);
- `sparse_kendall_tau`: Kendall tau-b between the labels and the predictions rounded to 0.1 —
  the NAS-Bench-301 / NASLib convention for accuracies in percent: differences below 0.1 points
  are noise, so rounding makes near-ties count as ties;
- `precision_at_k`: |top-k by prediction ∩ top-k by label| / k (ties broken by position, so the
  result is deterministic);
- `mae`, `rmse` (only meaningful when predictions are in the label's units).

A rank metric is NaN, with the reason given by `undefined_reason`, when fewer than 3 pairs are
finite or either side is constant. `score_all` drops non-finite pairs first and says so.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

MIN_POINTS = 3


def _pair(y: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float).reshape(-1)
    pred = np.asarray(pred, dtype=float).reshape(-1)
    if y.shape != pred.shape:
        raise ValueError(f"labels and predictions differ in length: {len(y)} vs {len(pred)}")
    return y, pred


def undefined_reason(y: np.ndarray, pred: np.ndarray) -> str | None:
    """Why a correlation of y and pred is undefined, or None when it is defined."""
    y, pred = _pair(y, pred)
    if len(y) < MIN_POINTS:
        return f"fewer than {MIN_POINTS} points ({len(y)})"
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(pred))):
        return "non-finite values"
    if np.all(pred == pred[0]):
        return "constant predictions"
    if np.all(y == y[0]):
        return "constant labels"
    return None


def _correlation(method, y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = _pair(y, pred)
    if undefined_reason(y, pred) is not None:
        return float("nan")
    return float(method(y, pred).statistic)


def pearson(y: np.ndarray, pred: np.ndarray) -> float:
    return _correlation(stats.pearsonr, y, pred)


def spearman(y: np.ndarray, pred: np.ndarray) -> float:
    return _correlation(stats.spearmanr, y, pred)


def kendall_tau(y: np.ndarray, pred: np.ndarray) -> float:
    """Kendall tau-b."""
    return _correlation(lambda a, b: stats.kendalltau(a, b, variant="b"), y, pred)


def sparse_kendall_tau(y: np.ndarray, pred: np.ndarray, decimals: int = 1) -> float:
    """Kendall tau-b of the labels and the predictions rounded to `decimals` (0.1 by default)."""
    y, pred = _pair(y, pred)
    return kendall_tau(y, np.round(pred, decimals))


def precision_at_k(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Fraction of the k best archs by label that are among the k best by prediction."""
    y, pred = _pair(y, pred)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if len(y) < k or not (np.all(np.isfinite(y)) and np.all(np.isfinite(pred))):
        return float("nan")
    top_pred = set(np.argsort(-pred, kind="stable")[:k].tolist())
    top_true = set(np.argsort(-y, kind="stable")[:k].tolist())
    return len(top_pred & top_true) / k


def mae(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = _pair(y, pred)
    return float(np.mean(np.abs(y - pred))) if len(y) else float("nan")


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = _pair(y, pred)
    return float(np.sqrt(np.mean((y - pred) ** 2))) if len(y) else float("nan")


METRIC_COLUMNS = ("pearson", "spearman", "kendalltau", "sparse_kendalltau", "precision_at_10",
                  "precision_at_20", "mae", "rmse")


def score_all(y: np.ndarray, pred: np.ndarray) -> dict[str, float | int | str | None]:
    """Every metric of DESIGN §4 as one result-row fragment, with `n_test` (finite pairs used)
    and `metric_note` (why something is NaN or what was dropped; None when all is well)."""
    y, pred = _pair(y, pred)
    finite = np.isfinite(y) & np.isfinite(pred)
    notes = []
    if not finite.all():
        notes.append(f"{int((~finite).sum())} non-finite prediction(s) or label(s) dropped")
    y, pred = y[finite], pred[finite]
    reason = undefined_reason(y, pred)
    if reason is not None:
        notes.append(f"correlations undefined: {reason}")
    row: dict[str, float | int | str | None] = {
        "n_test": int(len(y)),
        "pearson": pearson(y, pred),
        "spearman": spearman(y, pred),
        "kendalltau": kendall_tau(y, pred),
        "sparse_kendalltau": sparse_kendall_tau(y, pred),
        "precision_at_10": precision_at_k(y, pred, 10),
        "precision_at_20": precision_at_k(y, pred, 20),
        "mae": mae(y, pred),
        "rmse": rmse(y, pred),
    }
    row["metric_note"] = "; ".join(notes) or None
    return row
