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
    specs = [  # predictor, family, train_size, fidelity, tau, init_train, init_compute, q_train, q_compute
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
