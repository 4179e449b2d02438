"""From result rows to budgets: each predictor configuration's mean rank correlation and its
initialization and query time, the Pareto front over (init time, query time, Kendall tau), and
"which predictor fits my budget" (`recommend`).

Time clocks (DESIGN §4): init seconds = init_train_seconds + init_compute_seconds and query
seconds = query_train_seconds + query_compute_seconds. When the benchmark records no training
time (tables), the train part is missing and only compute seconds count; `clock` says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUP = ["predictor_label", "predictor", "family", "train_size", "fidelity"]


def configurations(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (predictor, train size, fidelity): mean/std Kendall tau, Spearman, mean init
    and query seconds, seeds, errors, and the clock the times use."""
    if rows.empty:
        raise ValueError("no result rows")
    frame = rows.copy()
    for column in ("kendalltau", "spearman", "init_train_seconds", "init_compute_seconds",
                   "query_train_seconds", "query_compute_seconds", "train_size", "fidelity"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if "predictor_label" not in frame:
        frame["predictor_label"] = frame["predictor"]
    frame["predictor_label"] = frame["predictor_label"].fillna(frame["predictor"])
    has_train_time = frame["init_train_seconds"].notna() & frame["query_train_seconds"].notna()
    frame["init_seconds"] = frame["init_train_seconds"].fillna(0) + frame["init_compute_seconds"]
    frame["query_seconds"] = frame["query_train_seconds"].fillna(0) + \
        frame["query_compute_seconds"]
    frame["clock"] = np.where(has_train_time, "train+compute", "compute only")
    ok = frame[frame["error"].isna() & frame["kendalltau"].notna()]
    errors = frame.groupby(GROUP, dropna=False)["error"].apply(lambda e: int(e.notna().sum()))
    grouped = ok.groupby(GROUP, dropna=False)
    out = grouped.agg(
        kendalltau=("kendalltau", "mean"), kendalltau_std=("kendalltau", "std"),
        spearman=("spearman", "mean"), init_seconds=("init_seconds", "mean"),
        query_seconds=("query_seconds", "mean"), seeds=("seed", "nunique"),
        clock=("clock", "first"))
    out = out.join(errors.rename("errors"), how="left").reset_index()
    return out.sort_values(["kendalltau"], ascending=False, ignore_index=True)


def pareto_front(configs: pd.DataFrame, time_columns: tuple[str, ...] = ("init_seconds",
                                                                          "query_seconds")
                 ) -> pd.Series:
    """Boolean mask: configurations no other configuration beats — at most the time on every
    `time_columns` and a higher Kendall tau (or equal tau and strictly less time somewhere)."""
    times = configs[list(time_columns)].to_numpy(float)
    tau = configs["kendalltau"].to_numpy(float)
    mask = np.ones(len(configs), bool)
    for i in range(len(configs)):
        no_worse = np.all(times <= times[i], axis=1) & (tau >= tau[i])
        better = np.any(times < times[i], axis=1) | (tau > tau[i])
        mask[i] = not np.any(no_worse & better)
    return pd.Series(mask, index=configs.index)


def recommend(configs: pd.DataFrame, init_seconds: float, query_seconds: float,
              top: int = 10) -> pd.DataFrame:
    """Configurations that fit the budgets (init ≤ X, query per arch ≤ Y) and sit on the Pareto
    front of those that fit, best Kendall tau first."""
    if init_seconds < 0 or query_seconds < 0:
        raise ValueError("budgets must be >= 0 seconds")
    fits = configs[(configs["init_seconds"] <= init_seconds) &
                   (configs["query_seconds"] <= query_seconds)]
    if fits.empty:
        return fits
    front = fits[pareto_front(fits)]
    return front.sort_values("kendalltau", ascending=False).head(top).reset_index(drop=True)
