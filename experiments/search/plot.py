"""Search trajectories as a figure: against queries and against time, mean ± standard error over
seeds, one line per (algorithm, predictor). PNG + SVG.

Top row: validation — the regret against the benchmark's own optimum (`Optimum`, from
`experiments.search.optimum.search_optimum`) when it is known, else the incumbent's validation
accuracy. Bottom row, when the trajectories carry test accuracies: the test accuracy of the
incumbent chosen by validation (what a user would deploy) — as test regret against the
optimum's test accuracy when it is known, else as the accuracy itself.

The time axis is the search's cost: benchmark-recorded training seconds plus the optimizer's
measured compute seconds when the benchmark records training times, and compute seconds alone
when it does not (tables of final accuracies); the axis label says which.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def run_label(algo: str, predictor: str) -> str:
    return algo if predictor in ("none", "", None) else f"{algo} ({predictor})"


def _mean_se(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise mean and standard error over rows (seeds), ignoring NaN."""
    with np.errstate(invalid="ignore"):
        n = np.sum(np.isfinite(matrix), axis=0)
        mean = np.nanmean(np.where(n > 0, matrix, 0.0), axis=0)
        std = np.nanstd(np.where(n > 0, matrix, 0.0), axis=0, ddof=0)
        se = np.where(n > 1, std * np.sqrt(n / np.maximum(n - 1, 1)) / np.sqrt(np.maximum(n, 1)),
                      0.0)
    return np.where(n > 0, mean, np.nan), se


def _time(frame: pd.DataFrame) -> tuple[np.ndarray, str]:
    train = frame["cum_train_seconds"].to_numpy(dtype=float)
    compute = frame["cum_compute_seconds"].to_numpy(dtype=float)
    if np.all(np.isfinite(train)):
        return train + compute, "training seconds (benchmark-recorded) + compute seconds (measured)"
    return compute, "optimizer compute seconds (measured; the benchmark records no training time)"


def curves(frame: pd.DataFrame, best: float | None, column: str = "incumbent"
           ) -> dict[str, dict[str, Any]]:
    """Per run label: steps, mean/se by query; time grid, mean/se by time; the time clock.
    The plotted value is `best - frame[column]` (a regret) or, when `best` is None, the
    column itself."""
    out: dict[str, dict[str, Any]] = {}
    for (algo, predictor), group in frame.groupby(["algo", "predictor"], sort=False):
        seeds = [g.sort_values("step") for _, g in group.groupby("seed")]
        length = max(len(g) for g in seeds)
        by_query = np.full((len(seeds), length), np.nan)
        times, values, clock = [], [], ""
        for i, g in enumerate(seeds):
            y = g[column].to_numpy(dtype=float)
            y = best - y if best is not None else y
            by_query[i, :len(y)] = y
            by_query[i, len(y):] = y[-1]  # a run that stopped early keeps its final value
            t, clock = _time(g)
            times.append(t)
            values.append(y)
        positive = np.concatenate(times)
        positive = positive[positive > 0]
        lo = positive.min() if positive.size else 1e-6
        hi = max(float(np.max(np.concatenate(times))), lo * 10)
        grid = np.geomspace(lo, hi, 200)
        by_time = np.full((len(seeds), grid.size), np.nan)
        for i, (t, y) in enumerate(zip(times, values)):
            idx = np.searchsorted(t, grid, side="right") - 1  # last query finished by then
            by_time[i] = np.where(idx >= 0, y[np.clip(idx, 0, len(y) - 1)], np.nan)
        q_mean, q_se = _mean_se(by_query)
        t_mean, t_se = _mean_se(by_time)
        out[run_label(algo, predictor)] = {
            "steps": np.arange(1, length + 1), "q_mean": q_mean, "q_se": q_se, "grid": grid,
            "t_mean": t_mean, "t_se": t_se, "clock": clock, "seeds": len(seeds)}
    return out


def plot_trajectories(frame: pd.DataFrame, out_stem: str | Path, optimum: Any = None,
                      title: str | None = None) -> list[Path]:
    """Draw `frame` (run_search rows of several algos/predictors/seeds); write
    `<out_stem>.png` and `.svg`; return the paths. `optimum` is the `Optimum` the regrets are
    measured against (None or an unknown one: incumbents are drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if frame.empty:
        raise ValueError("no search trajectories to plot")
    val_best = optimum.val if optimum is not None and optimum.known else None
    test_best = optimum.test if optimum is not None and optimum.has_test else None
    panels = [(curves(frame, val_best), val_best is not None,
               "validation regret (best - incumbent validation accuracy, %)" if val_best is not None
               else "incumbent validation accuracy (%)")]
    if "incumbent_test" in frame and frame["incumbent_test"].notna().any():
        panels.append((curves(frame, test_best, "incumbent_test"), test_best is not None,
                       "test regret (test acc. of the best-validation arch - incumbent's, %)"
                       if test_best is not None else
                       "test accuracy of the incumbent (chosen by validation, %)"))
    fig, axes = plt.subplots(len(panels), 2, figsize=(12, 4.5 * len(panels)), squeeze=False)
    for i, (row, (data, regret, ylabel)) in enumerate(zip(axes, panels)):
        _draw(row, data, regret, ylabel, plt, floor=i == 0)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title or "NAS search trajectories (mean ± standard error over seeds)",
                 fontsize=10)
    fig.tight_layout()
    stem = Path(out_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p, dpi=130)
    plt.close(fig)
    return paths


def _draw(axes: Any, data: dict[str, dict[str, Any]], regret: bool, ylabel: str, plt: Any,
          floor: bool) -> None:
    """One row: against queries, against time. `floor`: the values cannot go below 0
    (validation regret; a test regret can)."""
    clock = ""
    # one colour per run while the 10-colour cycle lasts; beyond it, tab20 and a second line style,
    # so that no two runs look alike
    many = len(data) > 10
    palette = plt.get_cmap("tab20").colors if many else plt.get_cmap("tab10").colors
    for i, (label, c) in enumerate(data.items()):
        style = {"color": palette[i % len(palette)],
                 "linestyle": ("-", "--")[(i // len(palette) + (i % 2 if many else 0)) % 2]}
        line, = axes[0].plot(c["steps"], c["q_mean"], label=f"{label} (n={c['seeds']})", **style)
        axes[0].fill_between(c["steps"], c["q_mean"] - c["q_se"], c["q_mean"] + c["q_se"],
                             color=line.get_color(), alpha=0.2, linewidth=0)
        axes[1].plot(c["grid"], c["t_mean"], **style)
        axes[1].fill_between(c["grid"], c["t_mean"] - c["t_se"], c["t_mean"] + c["t_se"],
                             color=line.get_color(), alpha=0.2, linewidth=0)
        clock = c["clock"]
    axes[0].set_xlabel("queries (architectures evaluated)")
    axes[1].set_xlabel(clock, fontsize=8)
    axes[1].set_xscale("log")
    for ax in axes:
        ax.set_ylabel(ylabel, fontsize=8)
        if regret:
            ax.set_yscale("symlog", linthresh=0.01)  # regret reaches 0 (the best arch found)
            if floor:
                ax.set_ylim(bottom=0.0)
        ax.grid(alpha=0.3)
