"""From result rows to budgets: each predictor configuration's mean rank correlation and its
initialization and query time, the Pareto front over (init time, query time, Kendall tau), and
"which predictor fits my budget" (`recommend`).

Time clocks (DESIGN §4): init seconds = init_train_seconds + init_compute_seconds and query
seconds = query_train_seconds + query_compute_seconds + query_recorded_seconds. When the
benchmark records no training time (tables), a predictor that needs trained archs is charged
compute seconds only; its `clock` is then "compute only" and it is never put on one front with
predictors charged for training ("train+compute"). A predictor that took stored work from the
benchmark (Suite-Zero proxy scores) is charged the seconds recorded for it on another machine:
clock "recorded+compute". Fronts and recommendations are made per clock.

Measurement rules (DESIGN §3):
- every seed counts: a cell whose predictor failed or predicted a constant scores 0 (see
  `experiments.metrics`) and is averaged in; `failed` is the fraction of such cells;
- `oracle` configurations (a learning-curve predictor at F = E reads the label itself) are kept
  as a labelled reference but never enter a front, the heat map or a recommendation; neither do
  configurations whose every cell failed (`usable` False).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUP = ["predictor_label", "predictor", "family", "train_size", "fidelity"]
TRAIN_CLOCK, COMPUTE_CLOCK, RECORDED_CLOCK = "train+compute", "compute only", "recorded+compute"
#: seconds below which two times count as equal on a front (measured compute of work that does
#: nothing — a zero-cost `fit`, a learning-curve query — is microseconds of timer noise)
TIME_RESOLUTION = 1e-3
#: clocks that charge a configuration's whole cost (what the heat map prefers)
FULL_COST_CLOCKS = (TRAIN_CLOCK, RECORDED_CLOCK)


def _as_bool(series: pd.Series) -> pd.Series:
    return series.map(lambda v: str(v).strip().lower() in ("true", "1", "1.0")).astype(bool)


def configurations(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (predictor, train size, fidelity): mean/std Kendall tau over every seed,
    Spearman, mean init and query seconds, seeds, the fraction of failed or constant cells,
    errors, the clock the times use, and whether it is an oracle reference or usable at all."""
    if rows.empty:
        raise ValueError("no result rows")
    frame = rows.copy()
    for column in ("kendalltau", "spearman", "init_train_seconds", "init_compute_seconds",
                   "query_train_seconds", "query_compute_seconds", "train_size", "fidelity"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    recorded = pd.to_numeric(frame["query_recorded_seconds"], errors="coerce").fillna(0) \
        if "query_recorded_seconds" in frame else pd.Series(0.0, index=frame.index)
    if "predictor_label" not in frame:
        frame["predictor_label"] = frame["predictor"]
    frame["predictor_label"] = frame["predictor_label"].fillna(frame["predictor"])
    frame["oracle"] = _as_bool(frame["oracle"]) if "oracle" in frame else False
    if "error" not in frame:
        frame["error"] = None
    errored = frame["error"].notna()
    if "status" not in frame:  # rows written before statuses existed
        frame["status"] = np.where(errored, "failed", "ok")
    frame["status"] = frame["status"].fillna(pd.Series(np.where(errored, "failed", "ok"),
                                                       index=frame.index))
    # a cell that failed outright carries no information: Kendall tau 0 (older rows: NaN)
    for column in ("kendalltau", "spearman"):
        frame.loc[errored & frame[column].isna(), column] = 0.0
    frame["degenerate"] = frame["status"].isin(["failed", "constant"])
    has_train_time = frame["init_train_seconds"].notna() & frame["query_train_seconds"].notna()
    frame["init_seconds"] = frame["init_train_seconds"].fillna(0) + \
        frame["init_compute_seconds"].fillna(0)
    frame["query_seconds"] = frame["query_train_seconds"].fillna(0) + \
        frame["query_compute_seconds"].fillna(0) + recorded
    frame["clock"] = np.where(recorded > 0, RECORDED_CLOCK,
                              np.where(has_train_time, TRAIN_CLOCK, COMPUTE_CLOCK))
    grouped = frame.groupby(GROUP, dropna=False)
    out = grouped.agg(
        kendalltau=("kendalltau", "mean"), kendalltau_std=("kendalltau", "std"),
        spearman=("spearman", "mean"), init_seconds=("init_seconds", "mean"),
        query_seconds=("query_seconds", "mean"), seeds=("seed", "nunique"),
        cells=("seed", "size"), failed=("degenerate", "mean"),
        errors=("error", lambda e: int(e.notna().sum())), clock=("clock", "first"),
        oracle=("oracle", "any"),
        all_failed=("status", lambda s: bool((s == "failed").all())))
    out = out.reset_index()
    out["usable"] = ~out.pop("all_failed")
    return out.sort_values(["kendalltau"], ascending=False, ignore_index=True)


def eligible(configs: pd.DataFrame) -> pd.Series:
    """Configurations that may enter a front, a heat map or a recommendation: not an oracle
    reference, not failed in every cell."""
    oracle = configs["oracle"] if "oracle" in configs else False
    usable = configs["usable"] if "usable" in configs else True
    return pd.Series(~np.asarray(oracle, bool) & np.asarray(usable, bool), index=configs.index)


def pareto_front(configs: pd.DataFrame, time_columns: tuple[str, ...] = ("init_seconds",
                                                                          "query_seconds")
                 ) -> pd.Series:
    """Boolean mask: eligible configurations that no other eligible configuration *on the same
    clock* beats — at most the time on every `time_columns` and a higher Kendall tau (or equal
    tau and strictly less time somewhere). Times under `TIME_RESOLUTION` count as equal."""
    mask = pd.Series(False, index=configs.index)
    ok = configs[eligible(configs) & configs["kendalltau"].notna()]
    clocks = ok["clock"] if "clock" in ok else pd.Series(TRAIN_CLOCK, index=ok.index)
    for _, group in ok.groupby(clocks):
        # below the timer's meaningful resolution times are equal: a fit that does nothing
        # takes microseconds that vary run to run, and must not order a front
        times = np.maximum(group[list(time_columns)].to_numpy(float), TIME_RESOLUTION)
        tau = group["kendalltau"].to_numpy(float)
        for i, idx in enumerate(group.index):
            no_worse = np.all(times <= times[i], axis=1) & (tau >= tau[i])
            better = np.any(times < times[i], axis=1) | (tau > tau[i])
            mask[idx] = not np.any(no_worse & better)
    return mask


def recommend(configs: pd.DataFrame, init_seconds: float, query_seconds: float,
              top: int = 10) -> pd.DataFrame:
    """Eligible configurations that fit the budgets (init ≤ X, query per arch ≤ Y) and sit on
    the Pareto front of those that fit on their clock, best Kendall tau first. Configurations
    charged compute seconds only (no training time recorded) come after, marked by `clock`:
    their init time leaves the cost of training the train set out."""
    if not (init_seconds >= 0 and query_seconds >= 0):
        raise ValueError("budgets must be >= 0 seconds")
    if top < 1:
        raise ValueError(f"--top must be >= 1, got {top}")
    fits = configs[eligible(configs) & (configs["init_seconds"] <= init_seconds) &
                   (configs["query_seconds"] <= query_seconds)]
    if fits.empty:
        return fits
    front = fits[pareto_front(fits)].copy()
    front["_order"] = (front["clock"] != TRAIN_CLOCK).astype(int)
    front = front.sort_values(["_order", "kendalltau"], ascending=[True, False])
    return front.drop(columns="_order").head(top).reset_index(drop=True)
