"""`predbench report`: one self-contained HTML page (tables + plots embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from experiments.budgets import configurations, pareto_front
from experiments.plots import budget_heatmap, pareto_plot, tau_curves


def write_plots(rows: pd.DataFrame, out_dir: Path, title: str = "") -> dict[str, list[Path]]:
    configs = configurations(rows)
    return {
        "pareto": pareto_plot(configs, out_dir / "pareto", title),
        "heatmap": budget_heatmap(configs, out_dir / "budget_heatmap"),
        "tau_curves": tau_curves(configs, out_dir / "tau_curves"),
    }


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" style="max-width:100%">'


def write_report(rows: pd.DataFrame, out_dir: Path, title: str = "predbench report") -> Path:
    out_dir = Path(out_dir)
    plots = write_plots(rows, out_dir, title)
    configs = configurations(rows)
    configs["pareto"] = pareto_front(configs)
    table = configs[["predictor_label", "family", "train_size", "fidelity", "kendalltau",
                     "kendalltau_std", "spearman", "init_seconds", "query_seconds", "clock",
                     "seeds", "failed", "errors", "oracle", "pareto"]]
    errors = rows[rows["error"].notna()][["predictor", "train_size", "fidelity", "seed", "error"]]
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:right}th{background:#eee}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{len(rows)} result rows; {len(configs)} predictor configurations. Times: init = "
        "training seconds recorded by the benchmark for the train set + measured fit compute "
        "seconds; query = training seconds of each query arch's first <i>fidelity</i> epochs + "
        "measured query compute seconds per arch. Correlations are signed. Every seed counts: "
        "a cell whose predictor failed or predicted a constant scores 0 (<i>failed</i> is the "
        "fraction of such cells); non-finite predictions rank below every finite one. "
        "<i>oracle</i> rows read the full curve of each query arch (F = E): the label itself, "
        "shown as a reference only, never on a front, the heat map or a recommendation.</p>",
        "<h2>Pareto plot</h2>", _img(plots["pareto"][0]),
        "<h2>Best predictor per budget</h2>", _img(plots["heatmap"][0]),
        "<h2>Kendall tau vs train size and fidelity</h2>", _img(plots["tau_curves"][0]),
        "<h2>Configurations</h2>", table.to_html(index=False, float_format="%.4g"),
    ]
    if len(errors):
        parts += ["<h2>Errors</h2>", errors.to_html(index=False)]
    parts.append("</body></html>")
    path = out_dir / "report.html"
    path.write_text("\n".join(parts))
    return path
