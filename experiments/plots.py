"""The paper's plots from a results table (matplotlib, PNG and SVG).

(a) `pareto_plot`: Kendall tau against initialization time and against query time, one point
    per predictor configuration, log time axes, coloured by family, the Pareto front drawn and
    only its points labelled; compute-only configurations (no training time recorded) hollow,
    on a front of their own; oracle references (F = E) as a dotted line, never a point;
(b) `budget_heatmap`: the best predictor in each (init-time, query-time) budget cell, as in the
    predictor paper's main figure (oracle references excluded);
(c) `tau_curves`: Kendall tau against train size (model-based, hybrid) and against fidelity
    (learning-curve, hybrid) per predictor.
Axis labels say which clock the times use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.budgets import (
    COMPUTE_CLOCK,
    FULL_COST_CLOCKS,
    RECORDED_CLOCK,
    TRAIN_CLOCK,
    eligible,
    pareto_front,
)

#: how each clock is drawn and named: (marker, front line style, legend suffix, axis text)
CLOCK_STYLE = {
    TRAIN_CLOCK: ("o", "-", "", "benchmark training seconds + measured compute seconds"),
    COMPUTE_CLOCK: ("o", "--", " (compute only)",
                    "hollow: measured compute seconds only (no training time recorded; own "
                    "front)"),
    RECORDED_CLOCK: ("D", "-.", " (recorded proxy seconds)",
                     "diamonds: stored proxy scores, CPU seconds recorded with them (another "
                     "machine; own front)"),
}

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
    clocks = [c for c in CLOCK_STYLE if c in set(configs["clock"])]
    if clocks == [COMPUTE_CLOCK]:
        return "measured compute seconds (the benchmark records no training time)"
    if len(clocks) == 1:
        return CLOCK_STYLE[clocks[0]][3].split(": ", 1)[-1].replace("; own front)", ")")
    texts = [("filled: " if c == TRAIN_CLOCK else "") + CLOCK_STYLE[c][3] for c in clocks]
    return "\n".join(texts)


def _budget_label(row: pd.Series) -> str:
    return "".join([f" n={int(row['train_size'])}" if row["train_size"] else "",
                    f" F={int(row['fidelity'])}" if row["fidelity"] else ""])


def text_box(label, renderer):
    """Display-space box of an annotation's text alone (its leader line left out)."""
    from matplotlib.text import Text

    label.update_positions(renderer)
    return Text.get_window_extent(label, renderer)


def _label_front(ax, front: pd.DataFrame, column: str, placed: list) -> None:
    """Label the front's points only. Each label takes the first offset at which its text
    overlaps no label placed before it (`placed`: their boxes in display space): up and down in
    steps of one text line, on the side of its point facing the middle of the axes (labels in
    the right quarter go left, clear of the legend), then on the other side; where every offset
    is taken it keeps the first."""
    renderer = ax.figure.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    steps = [6 + 10 * k * sign for k in range(13) for sign in ((1, -1) if k else (1,))]
    steps = [dy - 6 if dy < 6 else dy for dy in steps]  # below the point: clear of its marker
    for _, row in front.iterrows():
        xy = (row[column], row["kendalltau"])
        right = bool(ax.transData.transform(xy)[0] > box.x0 + 0.75 * box.width)
        candidates = [(side, dy) for side in (right, not right) for dy in steps]
        for attempt, (side, dy) in enumerate([*candidates, candidates[0]]):
            label = ax.annotate(row["predictor_label"] + _budget_label(row), xy,
                                xytext=(-6 if side else 6, dy), textcoords="offset points",
                                ha="right" if side else "left", fontsize=7,
                                color=FAMILY_COLOURS.get(row["family"], "black"),
                                arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "grey"})
            extent = text_box(label, renderer)
            if attempt == len(candidates) or not any(extent.overlaps(o) for o in placed):
                break  # free, or the last resort (the first offset again)
            label.remove()
        placed.append(extent)


def pareto_plot(configs: pd.DataFrame, path: Path, title: str = "") -> list[Path]:
    """Kendall tau against init time and against query time, coloured by family; the Pareto
    front of each clock drawn and labelled; oracle configurations (F = E, the label itself)
    only as a dotted reference line, never as a point or on a front."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.6), sharey=True)
    usable = configs[eligible(configs) & configs["kendalltau"].notna()]
    fronts: list[tuple[Any, pd.DataFrame, str]] = []
    oracle = configs[configs["oracle"]] if "oracle" in configs else configs.iloc[:0]
    for ax, column, label in ((axes[0], "init_seconds", "initialization time"),
                              (axes[1], "query_seconds", "query time per architecture")):
        data = usable[usable[column] > 0]
        for family, group in data.groupby("family"):
            colour = FAMILY_COLOURS.get(family, "grey")
            for clock, part in group.groupby("clock"):
                marker, _, suffix, _ = CLOCK_STYLE.get(clock, CLOCK_STYLE[TRAIN_CLOCK])
                hollow = clock == COMPUTE_CLOCK
                ax.scatter(part[column], part["kendalltau"], s=30, alpha=0.8, marker=marker,
                           facecolors="none" if hollow else colour, edgecolors=colour,
                           label=family.replace("_", "-") + suffix)
        mask = pareto_front(data, (column,))
        for clock, front in data[mask].groupby("clock"):
            front = front.sort_values(column)
            _, style, suffix, _ = CLOCK_STYLE.get(clock, CLOCK_STYLE[TRAIN_CLOCK])
            ax.step(front[column], front["kendalltau"], where="post", color="black",
                    lw=1.4 if clock == TRAIN_CLOCK else 1.0, ls=style,
                    label="Pareto front" + suffix)
            fronts.append((ax, front, column))
        for _, row in oracle.iterrows():
            ax.axhline(row["kendalltau"], color="grey", ls=":", lw=1)
            ax.text(0.01, row["kendalltau"], f" oracle: {row['predictor_label']} at F = E "
                    f"(reads the label)", transform=ax.get_yaxis_transform(), fontsize=6.5,
                    color="grey", va="bottom")
        ax.set_xscale("log")
        ax.set_xlabel(f"{label} [s, log]\n{_clock(data) if len(data) else ''}", fontsize=8.5)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("Kendall tau (mean over all seeds; failed cells count 0)")
    for ax in axes:  # labels are placed in display space: the limits must be final first
        ax.autoscale_view()
    placed: dict[int, list] = {}
    for ax, front, column in fronts:
        _label_front(ax, front, column, placed.setdefault(id(ax), []))
    handles, labels = axes[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    axes[1].legend(unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.01, 1),
                   fontsize=8)
    fig.suptitle(title or "Predictors: rank correlation vs. time budgets")
    out = _save(fig, path)
    plt.close(fig)
    return out


def budget_grid(configs: pd.DataFrame, bins: int = 8) -> tuple[np.ndarray, np.ndarray, list]:
    """Log-spaced init and query budget edges and, per (query, init) cell, the best eligible
    configuration (max Kendall tau) that fits both budgets, or None. Oracle and never-working
    configurations are left out; so are compute-only ones when any configuration is charged
    its whole cost (training or recorded seconds): their init times leave training out and
    cannot be compared."""
    configs = _full_cost(configs[eligible(configs) & configs["kendalltau"].notna()])

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


def _full_cost(configs: pd.DataFrame) -> pd.DataFrame:
    """The configurations charged their whole cost, when there are any; else all of them."""
    full = configs["clock"].isin(FULL_COST_CLOCKS)
    return configs[full] if full.any() else configs


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
                ax.text(c, r, f"{cell['predictor_label']}{_budget_label(cell)}\n"
                              f"{cell['kendalltau']:.2f}", ha="center", va="center",
                        fontsize=6)
    cmap = plt.get_cmap("tab20", max(len(names), 1))
    ax.imshow(grid, origin="lower", cmap=cmap, alpha=0.55, aspect="auto",
              vmin=-0.5, vmax=max(len(names), 1) - 0.5)
    ax.set_xticks(range(len(init_edges)), [f"{v:.2g}" for v in init_edges], fontsize=8)
    ax.set_yticks(range(len(query_edges)), [f"{v:.2g}" for v in query_edges], fontsize=8)
    shown = _full_cost(configs[eligible(configs)])
    ax.set_xlabel(f"initialization budget [s]  ({_clock(shown) if len(shown) else ''})",
                  fontsize=9)
    ax.set_ylabel("query budget per architecture [s]", fontsize=9)
    ax.set_title("Best predictor (mean Kendall tau) within each budget; oracle references "
                 "excluded", fontsize=10)
    out = _save(fig, path)
    plt.close(fig)
    return out


def tau_curves(configs: pd.DataFrame, path: Path) -> list[Path]:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    for ax, column, label in ((axes[0], "train_size", "train size (fully trained archs)"),
                              (axes[1], "fidelity", "fidelity (epochs of each query arch)")):
        data = configs[(configs[column] > 0) & eligible(configs)]
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
