"""The main job, `predbench run`: a sweep on the shipped default benchmark over a roster with
predictors of every family that exists, then the tidy table, the Pareto plot, the budget heat
map and the HTML report in one results folder; then the real-data panel (`REAL_PANELS`): the
model-based and zero-cost families on the shipped NB201 CIFAR-10 data, each panel in its own
sub-folder with its own table, Pareto plot, heat map and report. CPU, minutes, no downloads;
resumable (each sweep store skips finished cells).

It follows the measurement rules (DESIGN §3): archs come from the reporting split only (the
half of NB201 no default was chosen on), the fidelity grid is the paper's in proportion and
stops below the benchmark's E (no oracle rows), and every seed counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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

#: model-based predictors of the real-data panel: the default roster's but `gcn`, whose 10 s
#: fits at n = 250-300 would take 3 of the job's 10 minutes here (measured: 186 of 215 compute
#: seconds of both panels); run it with `predbench sweep` on the same benchmark
REAL_MODEL_BASED = ("xgb", "gp", "bayes_lin_reg")


@dataclass(frozen=True)
class Panel:
    """One real-data sweep of the main job: its folder, benchmark, sampler and grid."""

    folder: str
    title: str
    benchmark: dict[str, Any]
    sampler: str
    test_size: int
    train_sizes: tuple[int, ...]
    predictors: tuple[str, ...]


#: The real-data panel, on the shipped NB201 CIFAR-10 data (benchmarks/nb201_cifar10.py):
#: - uniform test sets on the 725 cells with NAS-Bench-Suite-Zero's stored proxies (368 in the
#:   reporting split): model-based predictors and all 12 stored proxies, each charged the CPU
#:   seconds Suite-Zero recorded for it, so every family is scored on the same test sets;
#: - mutation test sets (the predictor paper's) on all 15,625 cells: the stored proxies cover too
#:   few cells for mutants of 5 parents to land on them, so the zero-cost family is `params`
#:   computed here (data-free; the table has no images for data-dependent proxies).
REAL_PANELS: tuple[Panel, ...] = (
    Panel("nb201_cifar10", "NB201 CIFAR-10, 725 Suite-Zero cells, uniform test sets",
          {"kind": "nb201", "subset": "suite_zero", "label": "nb201-cifar10-suite-zero"},
          "uniform", 100, (10, 30, 100, 250),
          (*REAL_MODEL_BASED, "synflow", "jacov", "nwot", "snip", "grad_norm", "fisher",
           "grasp", "plain", "epe_nas", "l2_norm", "params", "flops")),
    Panel("nb201_cifar10_mutation", "NB201 CIFAR-10, 15,625 cells, mutation test sets",
          {"kind": "nb201", "label": "nb201-cifar10"},
          "mutation", 200, (10, 30, 100, 300), (*REAL_MODEL_BASED, "params")),
)


def panel_spec(panel: Panel, seeds: int = 3) -> dict[str, Any]:
    """The sweep spec of one real-data panel."""
    from predictors import list_predictors

    available = set(list_predictors())
    return {"sweep": {"seeds": list(range(seeds)), "test_size": panel.test_size,
                      "split": SPLIT, "sampler": panel.sampler,
                      "train_sizes": list(panel.train_sizes)},
            "benchmarks": [dict(panel.benchmark)],
            "predictors": [{"name": n, "label": n} for n in panel.predictors if n in available]}


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
                 on_progress: Callable[[str, int, int], None] | None = None,
                 real_data: bool = True) -> dict[str, Path]:
    """Run (or resume) the main job; returns the paths it wrote (the real-data panels' under
    `<folder>/<name>` keys). `on_progress(part, done, total)` reports each sweep's cells."""
    from benchmarks import load_benchmark
    from benchmarks.splits import restrict

    out = Path(out_dir)
    bench = load_benchmark("default")
    spec = main_spec(len(restrict(bench.archs(), SPLIT)), bench.max_epochs, seeds,
                     getattr(bench, "preset", None))
    paths = _sweep(spec, out, f"predbench run: {bench.describe()}, {SPLIT} split", "default",
                   workers, on_progress)
    for panel in REAL_PANELS if real_data else ():
        found = _sweep(panel_spec(panel, seeds), out / panel.folder,
                       f"predbench run: {panel.title}, {SPLIT} split", panel.folder, workers,
                       on_progress)
        paths.update({f"{panel.folder}/{k}": v for k, v in found.items()})
    return paths


def _sweep(spec: dict[str, Any], out: Path, title: str, part: str, workers: int,
           on_progress: Callable[[str, int, int], None] | None) -> dict[str, Path]:
    """Run (or resume) one sweep into `out`: store, table, report and plots."""
    from experiments.report import write_report
    from experiments.spec import parse_spec
    from experiments.sweep import run_sweep

    progress = None if on_progress is None else \
        (lambda done, total: on_progress(part, done, total))
    store = run_sweep(parse_spec(spec, source="predbench run"), out / "results.db",
                      workers=workers, on_progress=progress)
    rows = store.frame()
    paths = {"store": out / "results.db", "table": store.export(out / "results.csv")}
    store.close()
    paths["report"] = write_report(rows, out, title=title)
    paths["pareto"] = out / "pareto.png"
    paths["heatmap"] = out / "budget_heatmap.png"
    return paths
