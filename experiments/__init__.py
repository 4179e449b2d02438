"""Experiments: the evaluator, sweeps, NAS loops, plots and the `predbench` CLI."""
