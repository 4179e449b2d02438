"""Budgets, Pareto front, `recommend`, plots and the HTML report on a hand-made results table."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.budgets import configurations, pareto_front, recommend


def hand_made_rows() -> pd.DataFrame:
    """Three predictors: cheap-and-weak zc, mid lc, costly-and-strong mb (two train sizes)."""
    # predictor, family, train_size, fidelity, tau, init_train, init_compute, q_train, q_compute
    specs = [
        ("synflow", "zero_cost", 0, 0, 0.40, 0.0, 0.0, 0.0, 0.05),
        ("sotle", "learning_curve", 0, 3, 0.55, 0.0, 0.0, 30.0, 0.0),
        ("xgb", "model_based", 20, 0, 0.35, 2000.0, 1.0, 0.0, 0.001),
        ("xgb", "model_based", 200, 0, 0.75, 20000.0, 2.0, 0.0, 0.001),
        ("gcn", "model_based", 200, 0, 0.70, 20000.0, 30.0, 0.0, 0.002),  # dominated by xgb
    ]
    rows = []
    for seed in range(3):
        for name, fam, n, f, tau, it, ic, qt, qc in specs:
            rows.append(dict(predictor=name, family=fam, train_size=n, fidelity=f, seed=seed,
                             kendalltau=tau + 0.01 * (seed - 1), spearman=tau + 0.1,
                             init_train_seconds=it, init_compute_seconds=ic,
                             query_train_seconds=qt, query_compute_seconds=qc, error=None))
    rows.append(dict(rows[0], seed=9, kendalltau=np.nan, error="RuntimeError: boom"))
    return pd.DataFrame(rows)


def test_configurations_and_front():
    configs = configurations(hand_made_rows())
    assert len(configs) == 5
    xgb200 = configs[(configs.predictor == "xgb") & (configs.train_size == 200)].iloc[0]
    assert xgb200.kendalltau == pytest.approx(0.75) and xgb200.init_seconds == 20002.0
    assert xgb200.clock == "train+compute" and xgb200.seeds == 3
    assert configs[configs.predictor == "synflow"].errors.iloc[0] == 1
    front = set(configs[pareto_front(configs)].predictor + configs[pareto_front(configs)]
                .train_size.astype(str))
    # gcn is dominated by xgb@200; xgb@20 stays: nothing else queries as fast for as little init
    assert front == {"synflow0", "sotle0", "xgb20", "xgb200"}


def test_recommend_ranks_within_budget():
    configs = configurations(hand_made_rows())
    picked = recommend(configs, init_seconds=100, query_seconds=100)
    assert picked.predictor.tolist() == ["sotle", "synflow"]
    assert recommend(configs, 1e6, 1).predictor.tolist()[0] == "xgb"
    assert recommend(configs, 0, 0.001).empty


def test_every_seed_counts_and_failures_are_reported():
    configs = configurations(hand_made_rows())
    synflow = configs[configs.predictor == "synflow"].iloc[0]
    # the seed whose predictor raised counts as no information (0), not as a missing seed
    assert synflow.seeds == 4 and synflow.cells == 4
    assert synflow.kendalltau == pytest.approx((0.39 + 0.40 + 0.41 + 0.0) / 4)
    assert synflow.failed == pytest.approx(0.25) and synflow.usable


def test_oracle_never_enters_front_heatmap_or_recommend(tmp_path):
    from experiments.plots import budget_grid

    rows = hand_made_rows()
    oracle = [dict(predictor="valacc", family="learning_curve", train_size=0, fidelity=8,
                   seed=s, kendalltau=1.0, spearman=1.0, init_train_seconds=0.0,
                   init_compute_seconds=0.0, query_train_seconds=1.0, query_compute_seconds=0.0,
                   error=None, oracle=True, status="ok") for s in range(3)]
    rows = pd.concat([rows, pd.DataFrame(oracle)], ignore_index=True)
    configs = configurations(rows)
    assert configs[configs.predictor == "valacc"].oracle.iloc[0]
    assert "valacc" not in set(configs[pareto_front(configs)].predictor)
    assert "valacc" not in set(recommend(configs, 1e9, 1e9, top=50).predictor)
    _, _, best = budget_grid(configs)
    assert all(c is None or c["predictor"] != "valacc" for row in best for c in row)
    from predbench.cli.sweep import topline_table

    table = topline_table(rows, "t")
    assert "valacc" not in [str(c) for c in table.columns[0]._cells]


def test_compute_only_configurations_get_a_front_of_their_own():
    rows = hand_made_rows()
    # on a table the model-based predictors are charged compute seconds only (NaN training)
    table_rows = rows.copy()
    mb = table_rows.family == "model_based"
    table_rows.loc[mb, "init_train_seconds"] = np.nan
    configs = configurations(table_rows)
    assert set(configs[configs.family == "model_based"].clock) == {"compute only"}
    front = configs[pareto_front(configs)]
    # xgb@200 (compute 2 s) would dominate sotle/synflow on init time if compared across clocks
    assert {"synflow", "sotle"} <= set(front.predictor)
    assert {"xgb"} <= set(front.predictor)
    picked = recommend(configs, init_seconds=100, query_seconds=100)
    assert picked.clock.tolist()[0] == "train+compute"
    assert picked.clock.tolist()[-1] == "compute only"


def test_all_failed_configuration_is_not_usable():
    rows = hand_made_rows()
    broken = [dict(predictor="jacov", family="zero_cost", train_size=0, fidelity=0, seed=s,
                   kendalltau=0.0, spearman=0.0, init_train_seconds=0.0,
                   init_compute_seconds=0.0, query_train_seconds=0.0,
                   query_compute_seconds=0.0, error="ValueError: no batches", status="failed")
              for s in range(3)]
    configs = configurations(pd.concat([rows, pd.DataFrame(broken)], ignore_index=True))
    jacov = configs[configs.predictor == "jacov"].iloc[0]
    assert not jacov.usable and jacov.failed == 1.0
    assert "jacov" not in set(configs[pareto_front(configs)].predictor)


def predbench(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("predbench") or str(Path(sys.executable).parent / "predbench")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=180)


def test_cli_plot_report_recommend(tmp_path):
    results = tmp_path / "results.csv"
    hand_made_rows().to_csv(results, index=False)
    out = predbench("plot", "-r", str(results), "-o", str(tmp_path / "plots"))
    assert out.returncode == 0, out.stderr
    for name in ("pareto", "budget_heatmap", "tau_curves"):
        for suffix in (".png", ".svg"):
            assert (tmp_path / "plots" / f"{name}{suffix}").stat().st_size > 5000
    out = predbench("report", "-r", str(results), "-o", str(tmp_path / "rep"))
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "rep" / "report.html").read_text()
    assert "data:image/png;base64," in page and "xgb" in page and "RuntimeError: boom" in page
    out = predbench("recommend", "--init-seconds", "100", "--query-seconds", "100",
                    "-r", str(results))
    assert out.returncode == 0 and "sotle" in out.stdout
    out = predbench("recommend", "--init-seconds", "0", "--query-seconds", "0", "-r", str(results))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "no measured predictor fits" in out.stderr
    out = predbench("plot", "-r", str(tmp_path / "missing.db"))
    assert out.returncode == 2 and "no such results" in out.stderr


def test_pareto_labels_only_the_front_and_never_overlap(tmp_path, monkeypatch):
    """Ten front points crowded into one corner (the main job's OMNI / SoTL-E corner): each gets
    one label, and no two labels overlap."""
    from experiments import plots

    rows = []
    for k in range(10):  # each costlier and slightly better: all on both fronts
        rows.append(dict(predictor=f"omni{k}", family="ensemble", train_size=300, fidelity=3,
                         seed=0, kendalltau=0.60 + 0.004 * k, spearman=0.8,
                         init_train_seconds=1600.0 + 10 * k, init_compute_seconds=1.0,
                         query_train_seconds=2.0 + 0.01 * k, query_compute_seconds=0.0,
                         error=None))
    rows.append(dict(rows[0], predictor="weak", kendalltau=0.1, init_train_seconds=5000.0,
                     query_train_seconds=9.0))  # dominated: no label
    configs = configurations(pd.DataFrame(rows))
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig) or [])
    monkeypatch.setattr(plots._pyplot(), "close", lambda fig: None)
    plots.pareto_plot(configs, tmp_path / "pareto")
    fig = figures[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes[:2]:
        labels = [t for t in ax.texts if t.get_text().startswith(("omni", "weak"))]
        assert sorted(t.get_text().split()[0] for t in labels) == [f"omni{k}" for k in range(10)]
        boxes = [plots.text_box(t, renderer) for t in labels]
        overlapping = [(a.get_text(), b.get_text()) for i, (a, ba) in enumerate(zip(labels, boxes))
                       for b, bb in zip(labels[i + 1:], boxes[i + 1:]) if ba.overlaps(bb)]
        assert not overlapping, overlapping
