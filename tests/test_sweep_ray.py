"""The Ray executor against a local Ray instance: same rows as the local executor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.spec import parse_spec
from experiments.sweep import run_sweep
from search_spaces import get_search_space

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
pytestmark = pytest.mark.slow  # starts a local Ray instance


def test_ray_executor_matches_local(tmp_path):
    archs = get_search_space("nb201").all()[::5]
    acc = np.array([50 + 8 * a.ops.count(3) + a.index % 7 for a in archs], float)
    csv = tmp_path / "t.csv"
    pd.DataFrame({"arch": [str(a) for a in archs], "val_accuracy": acc}).to_csv(csv, index=False)
    spec = parse_spec({
        "sweep": {"seeds": [0, 1], "test_size": 50, "train_sizes": [10, 30]},
        "benchmarks": [{"kind": "table", "path": str(csv), "space": "nb201", "label": "t"}],
        "predictors": [{"name": "svr"}, {"name": "bayes_lin_reg"}]})
    on_ray = run_sweep(spec, tmp_path / "ray.db", workers=2, executor="ray").frame()
    local = run_sweep(spec, tmp_path / "local.db").frame()
    assert len(on_ray) == len(local) == 8 and on_ray.error.isna().all()
    key = ["predictor_label", "seed", "train_size"]
    a, b = on_ray.sort_values(key), local.sort_values(key)
    assert np.allclose(a.kendalltau.values, b.kendalltau.values)
    assert not ray.is_initialized()  # the sweep shut down the instance it started
