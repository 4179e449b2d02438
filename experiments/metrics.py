"""Scores of a predictor's predictions against ground truth (DESIGN §4). All signed, never abs.

Every predictor is scored on the whole test set; nothing is dropped:

- a **non-finite prediction** (a proxy that failed on an arch, a crashed query) ranks below
  every finite one, tied with the other failures — the rank equivalent of the reference code's
  −1e8 score. Rank metrics include it; `pearson`, `mae` and `rmse`, which need values, are NaN
  when any prediction is non-finite (`score_all` says so);
- a **constant prediction** carries no information: its correlations are 0 (not NaN) and its
  precision@k is the chance value k/n (see below);
- a metric is NaN only when the *labels* make it undefined (fewer than 3 archs, all labels
  equal) or, for `pearson` / `mae` / `rmse`, when values are missing.

The metrics:
- `pearson`, `spearman`, `kendall_tau` (tau-b, which handles ties);
- `sparse_kendall_tau`: Kendall tau-b between the labels and the predictions rounded to 0.1 —
  the NAS-Bench-301 / NASLib convention for predictions in percent accuracy: differences below
  0.1 points are noise, so near-ties count as ties. It is only meaningful in the label's units,
  so a prediction on any other scale (zero-cost scores, ranks, parameter counts, losses) is
  first mapped onto the label scale by rank: the i-th best prediction takes the i-th best test
  label (tied predictions take the mean of their labels). The result then depends on the
  ranking alone, never on the units (a monotone transform of a score gives the same number);
- `precision_at_k`: |top-k by prediction ∩ top-k by label| / k, in expectation over random
  tie-breaking (ties at the top-k boundary share the remaining places evenly), so it neither
  rewards nor punishes the order archs happen to be listed in;
- `mae`, `rmse` (meaningful only when predictions are in the label's units).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

MIN_POINTS = 3
SCALES = ("label", "score")


def as_values(values: object, name: str) -> np.ndarray:
    """`values` as a 1-D float array; TypeError naming `name` for anything that is not a flat
    sequence of real numbers (a dict, a generator, text, complex or non-numeric entries).
    An (n, 1) or (1, n) array counts as flat. O(n) numpy: metrics run in a sweep's inner loop."""
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "fiub":
        return values.astype(float, copy=False)  # the common case, without the checks below
    if isinstance(values, (dict, set, frozenset, str, bytes)) or \
            not hasattr(values, "__len__") and not np.isscalar(values):
        raise TypeError(f"{name} must be a 1-D sequence of real numbers (a list or array), got "
                        f"{type(values).__name__}")
    array = np.asarray(values)
    if array.dtype.kind == "O":  # e.g. None for a missing value (NaN), Decimal, Fraction
        try:
            array = array.astype(float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold real numbers, got {values!r:.80}") from None
    if array.dtype.kind not in "fiub":  # complex or text: float() would fail or lose the part
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim != 1 and sum(d > 1 for d in array.shape) > 1 or array.ndim == 0:
        raise TypeError(f"{name} must be 1-D, got shape {array.shape}")
    return array.astype(float).reshape(-1)


def _pair(y: object, pred: object) -> tuple[np.ndarray, np.ndarray]:
    """The shared coercion of every metric: two flat real vectors of one length."""
    y = as_values(y, "y (labels)")
    pred = as_values(pred, "pred (predictions)")
    if y.shape != pred.shape:
        raise ValueError(f"y (labels) and pred (predictions) differ in length: {len(y)} vs "
                         f"{len(pred)}")
    return y, pred


def check_count(value: object, name: str, minimum: int) -> int:
    """An integer >= `minimum` (numpy integers too, bool not); TypeError/ValueError naming
    `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def rank_ready(values: np.ndarray) -> np.ndarray:
    """`values` with every non-finite entry replaced by one value below all finite ones (so it
    ranks last, tied with the other failures); rank metrics are unchanged by this."""
    values = np.asarray(values, dtype=float).reshape(-1)
    bad = ~np.isfinite(values)
    if not bad.any():
        return values
    out = values.copy()
    out[bad] = (values[~bad].min() - 1.0) if (~bad).any() else 0.0
    return out


def _constant(values: np.ndarray) -> bool:
    return bool(len(values) and np.all(values == values[0]))


def undefined_reason(y: np.ndarray, pred: np.ndarray) -> str | None:
    """Why a rank correlation of y and pred is undefined (NaN), or None when it is defined."""
    y, pred = _pair(y, pred)
    if len(y) < MIN_POINTS:
        return f"fewer than {MIN_POINTS} points ({len(y)})"
    if _constant(rank_ready(y)):
        return "constant labels"
    return None


def _rank_correlation(method, y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = _pair(y, pred)
    if undefined_reason(y, pred) is not None:
        return float("nan")
    ranked = rank_ready(pred)
    if _constant(ranked):
        return 0.0  # no information
    return float(method(rank_ready(y), ranked).statistic)


def pearson(y: np.ndarray, pred: np.ndarray) -> float:
    """Pearson r; NaN when a value is non-finite, 0 for a constant prediction."""
    y, pred = _pair(y, pred)
    if undefined_reason(y, pred) is not None or not (np.isfinite(y).all()
                                                     and np.isfinite(pred).all()):
        return float("nan")
    if _constant(pred):
        return 0.0
    return float(stats.pearsonr(y, pred).statistic)


def spearman(y: np.ndarray, pred: np.ndarray) -> float:
    return _rank_correlation(stats.spearmanr, y, pred)


def kendall_tau(y: np.ndarray, pred: np.ndarray) -> float:
    """Kendall tau-b."""
    return _rank_correlation(lambda a, b: stats.kendalltau(a, b, variant="b"), y, pred)


def onto_label_scale(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """`pred` mapped by rank onto the labels' values: the i-th best prediction gets the i-th
    best label; a group of tied predictions gets the mean of its labels. Non-finite
    predictions rank last."""
    y, pred = _pair(y, pred)
    ranked = rank_ready(pred)
    order = np.argsort(ranked, kind="stable")
    sorted_labels = np.sort(rank_ready(y))
    out = np.empty_like(ranked)
    values, starts, counts = np.unique(ranked[order], return_index=True, return_counts=True)
    for start, count in zip(starts, counts):
        out[order[start:start + count]] = sorted_labels[start:start + count].mean()
    return out


def sparse_kendall_tau(y: np.ndarray, pred: np.ndarray, decimals: int = 1,
                       scale: str = "label") -> float:
    """Kendall tau-b of the labels and the predictions rounded to `decimals` (0.1 by default).
    `scale="score"`: predictions are not in the label's units, so they are mapped onto the
    label scale by rank first (`onto_label_scale`)."""
    y, pred = _pair(y, pred)
    decimals = check_count(decimals, "decimals", 0)
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    mapped = onto_label_scale(y, pred) if scale == "score" else pred
    return kendall_tau(y, np.round(mapped, decimals))


def _membership(values: np.ndarray, k: int) -> np.ndarray:
    """P(arch is among the top k) when ties at the boundary are broken uniformly at random."""
    values = rank_ready(values)
    threshold = np.sort(values)[::-1][k - 1]
    above = values > threshold
    at = values == threshold
    return np.where(above, 1.0, np.where(at, (k - above.sum()) / at.sum(), 0.0))


def precision_at_k(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Expected fraction of the k best archs by label that are among the k best by
    prediction (ties broken uniformly at random, independently on both sides)."""
    y, pred = _pair(y, pred)
    k = check_count(k, "k", 1)
    if len(y) < k:
        return float("nan")
    return float(np.sum(_membership(y, k) * _membership(pred, k)) / k)


def mae(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = _pair(y, pred)
    return float(np.mean(np.abs(y - pred))) if len(y) else float("nan")


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = _pair(y, pred)
    return float(np.sqrt(np.mean((y - pred) ** 2))) if len(y) else float("nan")


METRIC_COLUMNS = ("pearson", "spearman", "kendalltau", "sparse_kendalltau", "precision_at_10",
                  "precision_at_20", "mae", "rmse")
RANK_COLUMNS = ("spearman", "kendalltau", "sparse_kendalltau", "precision_at_10",
                "precision_at_20")


def prediction_status(pred: np.ndarray) -> str:
    """"ok", "partial" (some predictions non-finite), "constant" (one value for all, or all
    non-finite: no information)."""
    pred = np.asarray(pred, dtype=float).reshape(-1)
    finite = np.isfinite(pred)
    if not finite.any() or _constant(rank_ready(pred)):
        return "constant"
    return "ok" if finite.all() else "partial"


def score_all(y: np.ndarray, pred: np.ndarray, scale: str = "label"
              ) -> dict[str, float | int | str | None]:
    """Every metric of DESIGN §4 as one result-row fragment over the whole test set, with
    `n_test`, `n_failed` (non-finite predictions, ranked last), `status` (see
    `prediction_status`) and `metric_note` (what is NaN or 0 and why; None when all is well).
    `scale` says whether predictions are in the label's units (sparse Kendall tau)."""
    y, pred = _pair(y, pred)
    failed = int((~np.isfinite(pred)).sum())
    status = prediction_status(pred)
    notes = []
    if failed:
        notes.append(f"{failed} non-finite prediction(s) ranked last; pearson/mae/rmse undefined")
    if (~np.isfinite(y)).any():
        notes.append(f"{int((~np.isfinite(y)).sum())} non-finite label(s) (failed training) "
                     f"ranked last")
    if status == "constant":
        notes.append("constant predictions: no information, correlations 0")
    reason = undefined_reason(y, pred)
    if reason is not None:
        notes.append(f"rank metrics undefined: {reason}")
    if scale == "score":
        notes.append("sparse Kendall tau after mapping predictions onto the label scale by rank")
    row: dict[str, float | int | str | None] = {
        "n_test": int(len(y)),
        "pearson": pearson(y, pred),
        "spearman": spearman(y, pred),
        "kendalltau": kendall_tau(y, pred),
        "sparse_kendalltau": sparse_kendall_tau(y, pred, scale=scale),
        "precision_at_10": precision_at_k(y, pred, 10),
        "precision_at_20": precision_at_k(y, pred, 20),
        "mae": mae(y, pred) if not failed else float("nan"),
        "rmse": rmse(y, pred) if not failed else float("nan"),
        "n_failed": failed,
        "status": status,
    }
    row["metric_note"] = "; ".join(notes) or None
    return row


def failed_row(n_test: int, reason: str) -> dict[str, float | int | str | None]:
    """The metrics of a cell whose predictor raised: no prediction at all, scored as a
    constant one (correlations 0, precision@k at chance), so aggregates keep the seed."""
    row: dict[str, float | int | str | None] = {c: float("nan") for c in METRIC_COLUMNS}
    if n_test >= MIN_POINTS:
        row.update(pearson=0.0, spearman=0.0, kendalltau=0.0, sparse_kendalltau=0.0)
    for k in (10, 20):
        row[f"precision_at_{k}"] = k / n_test if n_test >= k else float("nan")
    row.update(n_test=int(n_test), n_failed=int(n_test), status="failed",
               metric_note=f"the predictor raised ({reason}): scored as no information")
    return row
