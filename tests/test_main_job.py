"""The main job's spec follows the measurement rules: reporting split, no oracle fidelity,
every roster entry registered and buildable."""

from __future__ import annotations

from benchmarks import load_benchmark
from benchmarks.splits import restrict
from experiments.spec import parse_spec
from predbench.cli.main_job import ROSTER, SPLIT, main_spec
from predictors import list_predictors


def test_main_spec_is_reporting_split_without_oracle():
    bench = load_benchmark("default")
    pool = restrict(bench.archs(), SPLIT)
    spec = parse_spec(main_spec(len(pool), bench.max_epochs, 3, bench.preset))
    assert spec.split == "reporting" and SPLIT == "reporting"
    assert max(spec.fidelities) < bench.max_epochs  # F = E would read the label
    assert spec.test_size + max(spec.train_sizes) <= len(pool)
    assert {p.name for p in spec.predictors} == {n for n, _ in ROSTER} & set(list_predictors())
    families = {p.build().family for p in spec.predictors}
    assert families == {"model_based", "learning_curve", "hybrid", "zero_cost",
                        "weight_sharing", "ensemble"}
