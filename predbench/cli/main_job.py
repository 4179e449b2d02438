"""The main job, `predbench run`: a sweep on the shipped default benchmark over a roster with
predictors of every family that exists, then the tidy table, the Pareto plot, the budget heat
map and the HTML report in one results folder. CPU, minutes, no downloads; resumable (the sweep
store skips finished cells).

It follows the measurement rules (DESIGN §3): archs come from the reporting split only (the
half of NB201 no default was chosen on), the fidelity grid is the paper's in proportion and
stops below the benchmark's E (no oracle rows), and every seed counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

#: the roster: (predictor name, params); names not registered (yet) are left out
ROSTER: tuple[tuple[str, dict[str, Any]], ...] = (
    # model-based: a tree ensemble, a GP, a Bayesian linear model, a graph network
    ("xgb", {}), ("gp", {}), ("bayes_lin_reg", {}), ("gcn", {}),
    # learning-curve and hybrid
    ("sotle", {}), ("valacc", {}), ("lce", {}), ("lcsvr", {}),
    # zero-cost (computed on the benchmark's own data and network preset)
    ("synflow", {}), ("jacov", {}), ("nwot", {}), ("snip", {}), ("params", {}), ("flops", {}),
    # weight-sharing and ensembles
    # (OMNI without HPO and with one proxy: each cell scores its train and test archs afresh)
    ("oneshot", {}), ("rsws", {}), ("zc_ensemble", {}),
    ("omni_ngb", {"hpo_trials": 0, "n_estimators": 128}), ("omni", {"proxies": ("jacov",)}),
)


def roster(available: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The roster entries whose predictors are registered."""
    return [(name, params) for name, params in ROSTER if name in available]


SPLIT = "reporting"


def main_spec(benchmark_len: int, max_epochs: int, seeds: int = 3,
              zero_cost_preset: str | None = None) -> dict[str, Any]:
    """The sweep spec of the main job for a default benchmark whose reporting split holds
    `benchmark_len` archs."""
    from experiments.evaluator import default_fidelities
    from predictors import list_predictors

    test_size = int(min(200, max(20, benchmark_len // 3)))
    # capped at 300 so the main job stays within ~10 minutes on 2 cores
    sizes = [n for n in (10, 30, 100, 300) if n <= benchmark_len - test_size]
    # the paper's grid in proportion (1-73 of 200 epochs), never E: F = E reads the label
    fidelities = default_fidelities(max_epochs) or [1]
    predictors = []
    for name, params in roster(list_predictors()):
        params = dict(params)
        if zero_cost_preset and "preset" in _init_params(name) and "preset" not in params:
            # zero-cost proxies score, and supernets share weights of, the network the
            # benchmark trained
            params["preset"] = zero_cost_preset
        predictors.append({"name": name, "label": name, "params": params})
    return {"sweep": {"seeds": list(range(seeds)), "test_size": test_size, "split": SPLIT,
                      "train_sizes": sizes or [max(2, benchmark_len - test_size)],
                      "fidelities": fidelities},
            "benchmarks": [{"kind": "default", "label": "default"}],
            "predictors": predictors}


def _init_params(name: str) -> set[str]:
    import inspect

    from predictors.base import predictor_class

    return set(inspect.signature(predictor_class(name).__init__).parameters)


def run_main_job(out_dir: str | Path = "results/run", seeds: int = 3, workers: int = 2,
                 on_progress: Callable[[int, int], None] | None = None) -> dict[str, Path]:
    """Run (or resume) the main job; returns the paths it wrote."""
    from benchmarks import load_benchmark
    from benchmarks.splits import restrict
    from experiments.report import write_report
    from experiments.spec import parse_spec
    from experiments.sweep import run_sweep

    out = Path(out_dir)
    bench = load_benchmark("default")
    spec = parse_spec(main_spec(len(restrict(bench.archs(), SPLIT)), bench.max_epochs, seeds,
                                getattr(bench, "preset", None)), source="predbench run")
    store = run_sweep(spec, out / "results.db", workers=workers, on_progress=on_progress)
    rows = store.frame()
    paths = {"store": out / "results.db", "table": store.export(out / "results.csv")}
    store.close()
    paths["report"] = write_report(rows, out, title=f"predbench run: {bench.describe()}, "
                                                    f"{SPLIT} split")
    paths["pareto"] = out / "pareto.png"
    paths["heatmap"] = out / "budget_heatmap.png"
    return paths
