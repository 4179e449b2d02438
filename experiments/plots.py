"""The paper's plots from a results table (matplotlib, PNG and SVG).

(a) `pareto_plot`: Kendall tau against initialization time and against query time, one point
    per predictor configuration, log time axes, families coloured, the Pareto front drawn;
(b) `budget_heatmap`: the best predictor in each (init-time, query-time) budget cell, as in the
    predictor paper's main figure;
(c) `tau_curves`: Kendall tau against train size (model-based, hybrid) and against fidelity
    (learning-curve, hybrid) per predictor.
Axis labels say which clock the times use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.budgets import pareto_front

FAMILY_COLOURS = {"model_based": "#1f77b4", "learning_curve": "#ff7f0e", "hybrid": "#9467bd",
                  "zero_cost": "#2ca02c", "weight_sharing": "#8c564b", "ensemble": "#d62728"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for suffix in (".png", ".svg"):
        target = path.with_suffix(suffix)
        fig.savefig(target, dpi=150, bbox_inches="tight")
        out.append(target)
    return out


def _clock(configs: pd.DataFrame) -> str:
    clocks = set(configs["clock"])
    if clocks == {"compute only"}:
        return "measured compute seconds (the benchmark records no training time)"
    if clocks == {"train+compute"}:
        return "benchmark training seconds + measured compute seconds"
    return "training seconds (where recorded) + measured compute seconds"


def pareto_plot(configs: pd.DataFrame, path: Path, title: str = "") -> list[Path]:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), sharey=True)
    for ax, column, label in ((axes[0], "init_seconds", "initialization time"),
                              (axes[1], "query_seconds", "query time per architecture")):
        data = configs[configs[column] > 0]
        front = data[pareto_front(data, (column,))].sort_values(column)
        for family, group in data.groupby("family"):
            ax.scatter(group[column], group["kendalltau"], s=28, alpha=0.75,
                       color=FAMILY_COLOURS.get(family, "grey"), label=family.replace("_", "-"))
        ax.step(front[column], front["kendalltau"], where="post", color="black", lw=1.5,
                label="Pareto front")
        on_front = set(front.index)
        for idx, row in data.iterrows():
            budget = "".join([f" n={row['train_size']}" if row["train_size"] else "",
                              f" F={row['fidelity']}" if row["fidelity"] else ""])
            ax.annotate(row["predictor_label"] + budget, (row[column], row["kendalltau"]),
                        xytext=(3, 3), textcoords="offset points",
                        fontsize=7 if idx in on_front else 5.5,
                        color="black" if idx in on_front else "grey")
        ax.set_xscale("log")
        ax.set_xlabel(f"{label} [s, log]\n{_clock(data)}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("Kendall tau (mean over seeds)")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    fig.suptitle(title or "Predictors: rank correlation vs. time budgets")
    out = _save(fig, path)
    plt.close(fig)
    return out


def budget_grid(configs: pd.DataFrame, bins: int = 8) -> tuple[np.ndarray, np.ndarray, list]:
    """Log-spaced init and query budget edges and, per (query, init) cell, the best configuration
    (max Kendall tau) that fits both budgets, or None."""
    def edges(column: str) -> np.ndarray:
        values = configs[column][configs[column] > 0]
        return np.geomspace(values.min(), values.max(), bins) if len(values) else np.array([1.0])

    init_edges, query_edges = edges("init_seconds"), edges("query_seconds")
    best = []
    for q in query_edges:
        row = []
        for i in init_edges:
            fits = configs[(configs["init_seconds"] <= i * (1 + 1e-9)) &
                           (configs["query_seconds"] <= q * (1 + 1e-9))]
            row.append(None if fits.empty else fits.loc[fits["kendalltau"].idxmax()])
        best.append(row)
    return init_edges, query_edges, best


def budget_heatmap(configs: pd.DataFrame, path: Path, bins: int = 8) -> list[Path]:
    plt = _pyplot()
    init_edges, query_edges, best = budget_grid(configs, bins)
    names = sorted({c["predictor_label"] for row in best for c in row if c is not None})
    index = {n: k for k, n in enumerate(names)}
    grid = np.full((len(query_edges), len(init_edges)), np.nan)
    fig, ax = plt.subplots(figsize=(1.2 * len(init_edges) + 3, 0.75 * len(query_edges) + 2))
    for r, row in enumerate(best):
        for c, cell in enumerate(row):
            if cell is not None:
                grid[r, c] = index[cell["predictor_label"]]
                ax.text(c, r, f"{cell['predictor_label']}\n{cell['kendalltau']:.2f}",
                        ha="center", va="center", fontsize=6.5)
    cmap = plt.get_cmap("tab20", max(len(names), 1))
    ax.imshow(grid, origin="lower", cmap=cmap, alpha=0.55, aspect="auto",
              vmin=-0.5, vmax=max(len(names), 1) - 0.5)
    ax.set_xticks(range(len(init_edges)), [f"{v:.2g}" for v in init_edges], fontsize=8)
    ax.set_yticks(range(len(query_edges)), [f"{v:.2g}" for v in query_edges], fontsize=8)
    ax.set_xlabel(f"initialization budget [s]  ({_clock(configs)})", fontsize=9)
    ax.set_ylabel("query budget per architecture [s]", fontsize=9)
    ax.set_title("Best predictor (mean Kendall tau) within each budget")
    out = _save(fig, path)
    plt.close(fig)
    return out


def tau_curves(configs: pd.DataFrame, path: Path) -> list[Path]:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    for ax, column, label in ((axes[0], "train_size", "train size (fully trained archs)"),
                              (axes[1], "fidelity", "fidelity (epochs of each query arch)")):
        data = configs[configs[column] > 0]
        for name, group in data.groupby("predictor_label"):
            group = group.groupby(column, as_index=False)["kendalltau"].max()
            ax.plot(group[column], group["kendalltau"], marker="o", ms=3, label=name)
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("Kendall tau")
        ax.grid(True, which="both", alpha=0.3)
        if len(data):
            ax.legend(fontsize=7, ncol=2)
        else:
            ax.text(0.5, 0.5, "no predictor uses this axis", ha="center", transform=ax.transAxes)
    out = _save(fig, path)
    plt.close(fig)
    return out
