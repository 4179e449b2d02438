"""Issue 20 item 5: every run records its environment; deterministic mode makes a run
bit-identical on the same machine type and thread count; old stores are upgraded in place;
shipped files carry their runs' environments through export and import."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from benchmarks import load_benchmark
from benchmarks.datasets import load_dataset
from benchmarks.default import export_npz, import_npz, read_npz
from benchmarks.recipes import get_recipe
from benchmarks.run_env import (
    describe_env,
    deterministic_mode,
    run_environment,
    same_machine_type,
)
from benchmarks.store import VERSION, Job, RunStore, StoreError, open_run_store
from benchmarks.training import train_arch
from predbench.cli.commands import app
from search_spaces import get_search_space

ARCH = ("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|"
        "+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|")
SPACE = get_search_space("nb201")


def _train(threads: int, deterministic: bool = True, epochs: int = 2):
    # epochs of 4 steps on the tiny digits split: enough steps for reordered sums to show
    recipe = get_recipe("nb201", epochs=epochs, crop_pad=1, batch_size=128)
    return train_arch(SPACE, SPACE.parse(ARCH), load_dataset("digits"), recipe, "small",
                      seed=0, device="cpu", threads=threads, deterministic=deterministic)


def _numbers(result) -> list[tuple]:
    return [(e.train_loss, e.train_acc, e.val_loss, e.val_acc) for e in result.epochs] + [
        (result.test_acc,)]


@pytest.mark.parametrize("threads", [1, 2])
def test_deterministic_runs_are_bit_identical(threads: int) -> None:
    before = torch.get_num_threads()
    try:
        # one epoch at 2 threads: two threads on the loaded 2-core test machine are slow
        a, b = _train(threads, epochs=3 - threads), _train(threads, epochs=3 - threads)
    finally:
        torch.set_num_threads(before)
    assert a.status == b.status == "done"
    assert _numbers(a) == _numbers(b)  # exact floats, every epoch, not approximately
    assert a.env == b.env and same_machine_type(a.env, b.env)
    assert a.env["threads"] == threads and a.env["deterministic"] is True


def test_each_run_records_its_environment() -> None:
    before = torch.get_num_threads()
    try:
        r = _train(1, deterministic=False)
    finally:
        torch.set_num_threads(before)
    env = r.env
    assert env["torch"] == torch.__version__ and env["device"] == "cpu"
    assert env["threads"] == 1 and env["deterministic"] is False
    assert env["recipe"] == get_recipe("nb201", epochs=2, crop_pad=1, batch_size=128).hash
    assert env["device_name"] and env["python"] and env["numpy"]
    # not deterministic: no bit-identity promised, even on the same machine
    assert not same_machine_type(env, env)
    assert "1 thread" in describe_env(env) and "deterministic" not in describe_env(env)


def test_deterministic_mode_restores_the_settings() -> None:
    assert not torch.are_deterministic_algorithms_enabled()
    with deterministic_mode(True, "cpu"):
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert not torch.are_deterministic_algorithms_enabled()
    with deterministic_mode(False):
        assert not torch.are_deterministic_algorithms_enabled()


def test_environment_reaches_the_store_and_the_shipped_file(tmp_path: Path) -> None:
    bench = load_benchmark("live", dataset="digits", db=str(tmp_path / "live.db"), epochs=1,
                           device="cpu", threads=1, deterministic=True)
    bench.curve(ARCH)
    stored = bench.store.result(bench.job, ARCH)
    assert stored["env"]["deterministic"] is True and stored["env"]["threads"] == 1
    assert stored["env"]["recipe"] == bench.job.recipe
    out = tmp_path / "d.npz"
    export_npz(bench.store, bench.job, out)
    meta, arrays = read_npz(out)
    assert meta["environments"] == [stored["env"]] and arrays["env_index"].tolist() == [0]
    fresh = RunStore(tmp_path / "fresh.db")
    import_npz(fresh, out)
    assert fresh.result(bench.job, ARCH)["env"] == stored["env"]


def test_version_1_store_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = RunStore(path)
    job = Job("nb201", "digits", "small", "abc", "{}")
    store.enqueue(job, ["a"])
    c = store.claim(job, store.new_token())
    store.finish(c, "done", 50.0)
    store.close()
    # make it a version-1 store as the last release wrote it: no env column
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE runs DROP COLUMN env")
        db.execute("UPDATE predbench_meta SET value='1' WHERE key='version'")
    reopened = open_run_store(path)
    assert reopened.result(job, "a")["test_acc"] == 50.0  # kept
    assert reopened.result(job, "a")["env"] is None       # not recorded then, says so
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM predbench_meta WHERE key='version'").fetchone()[0] \
            == str(VERSION)
        assert "env" in [r[1] for r in db.execute("PRAGMA table_info(runs)")]
    # a store from a newer predbench is refused in one line, not misread
    with sqlite3.connect(path) as db:
        db.execute("UPDATE predbench_meta SET value='99' WHERE key='version'")
    with pytest.raises(StoreError, match="old.db: run store version 99 .* newer predbench"):
        RunStore(path)


def test_train_cli_deterministic_records_and_reports(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    res = CliRunner().invoke(app, ["train", "--dataset", "digits", "--epochs", "1", "--archs",
                                   "1", "--threads", "1", "--deterministic", "--db", str(db),
                                   "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "environments: torch" in res.output and "1 thread, deterministic (1 run)" in \
        " ".join(res.output.split())
    store = RunStore(db)
    (run,) = store.results(Job("nb201", "digits", "small", _recipe_hash(), ""))
    assert run["env"]["deterministic"] is True and run["env"]["threads"] == 1


def _recipe_hash() -> str:
    from benchmarks.live import dataset_recipe

    return dataset_recipe("digits", image_size=8, epochs=1).hash


def test_run_environment_names_the_device() -> None:
    env = run_environment("cpu", deterministic=True, recipe_hash="x", threads=3)
    assert env["threads"] == 3 and env["device"] == "cpu" and env["recipe"] == "x"
    assert isinstance(env["device_name"], str) and env["device_name"]
    assert np.isscalar(env["deterministic"])


def test_instruction_set_overrides_are_part_of_the_environment(monkeypatch) -> None:
    plain = run_environment("cpu", deterministic=True, recipe_hash="x", threads=1)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX")
    lowered = run_environment("cpu", deterministic=True, recipe_hash="x", threads=1)
    assert lowered["onednn_max_cpu_isa"] == "AVX" and "onednn_max_cpu_isa" not in plain
    # other kernels, other numbers (71.70 vs 72.85 measured): not the same machine type
    assert same_machine_type(plain, plain) and not same_machine_type(plain, lowered)
