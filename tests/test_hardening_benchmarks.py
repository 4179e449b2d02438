"""Issue 20 (hardening): benchmarks and search spaces check their arguments before any work —
a TypeError/ValueError with one line naming the argument (and the file, for files); `predbench
bench info` turns them into one `error: ...` line and exit 2 — never a traceback, never a false
success. Covers: a damaged or foreign default-benchmark .npz (`read_npz`, `load_benchmark
("default", path=...)`, `import_npz`), load_benchmark option values (seed range, reported_epochs,
device, empty paths), tables with an infinite value, `sample` / `mutate` rngs, `build_network`
num_classes, `split_of`, `batch(n, seed)`, and `bench info live` on a missing store."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks import load_benchmark
from benchmarks.default import DEFAULT_FILE, import_npz, read_npz
from benchmarks.splits import split_of
from benchmarks.store import RunStore
from predbench.cli import app
from search_spaces import get_search_space

SPACES = ("nb201", "nb101", "darts", "nlp")
ARRAYS = ("arch", "seed", "test_acc", "train_loss", "train_acc", "val_loss", "val_acc",
          "epoch_seconds")


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text, text
    return text


# -- a small valid default-benchmark file and ways to break it ----------------------------------
@pytest.fixture(scope="module")
def shipped() -> dict[str, np.ndarray]:
    with np.load(DEFAULT_FILE, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module")
def small(shipped) -> dict[str, np.ndarray]:
    """The shipped file cut to 30 rows of seed 0 and the 5 first rows of seed 1."""
    rows = np.concatenate([np.flatnonzero(shipped["seed"] == 0)[:30],
                           np.flatnonzero(shipped["seed"] == 1)[:5]])
    out = {k: (v if k == "meta" else v[rows]) for k, v in shipped.items()}
    meta = json.loads(str(shipped["meta"]))
    out["meta"] = np.array(json.dumps({**meta, "rows": len(rows)}))
    return out


def _npz(arrays: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _with_meta(small: dict[str, np.ndarray], **change: Any) -> dict[str, Any]:
    meta = json.loads(str(small["meta"]))
    return {**small, "meta": np.array(json.dumps({**meta, **change}))}


def _overwritten(data: bytes) -> bytes:
    mid = len(data) // 3
    return data[:mid] + bytes(range(256)) * 8 + data[mid + 2048:]


def _variants(small: dict[str, np.ndarray]) -> list[tuple[str, bytes, str]]:
    """(label, file bytes, a phrase the error must hold)."""
    good = _npz(small)
    out = [("empty", b"", "not a predbench default-benchmark file"),
           ("text", b"arch,val_accuracy\n", "not a predbench default-benchmark file"),
           ("cut to half", good[:len(good) // 2], "not a predbench default-benchmark file"),
           ("2 KB overwritten", _overwritten(good), "not a predbench default-benchmark file")]
    one = io.BytesIO()
    np.save(one, small["val_acc"])
    out.append(("a single .npy array", one.getvalue(), "not an .npz archive"))
    for key in ARRAYS:
        out.append((f"{key} missing", _npz({k: v for k, v in small.items() if k != key}),
                    key))
        wrong = np.array(["x"] * 3) if small[key].dtype.kind != "U" else np.arange(3)
        out.append((f"{key} of the wrong type and length", _npz({**small, key: wrong}), key))
    n = len(small["arch"])
    out += [
        ("meta missing", _npz({k: v for k, v in small.items() if k != "meta"}), "meta"),
        ("meta not JSON", _npz({**small, "meta": np.array("{oops")}), "meta"),
        ("meta a JSON list", _npz({**small, "meta": np.array("[1, 2]")}), "meta"),
        ("meta format other", _npz(_with_meta(small, format="other")), "format"),
        ("meta space nope", _npz(_with_meta(small, space="nope")), "nope"),
        ("meta epochs -3", _npz(_with_meta(small, epochs=-3)), "epochs"),
        ("meta epochs 1.5", _npz(_with_meta(small, epochs=1.5)), "epochs"),
        ("meta epochs 7 (arrays hold 8)", _npz(_with_meta(small, epochs=7)), "epochs"),
        ("meta preset nope", _npz(_with_meta(small, preset="nope")), "nope"),
        ("meta recipe a list", _npz(_with_meta(small, recipe=[1])), "recipe"),
        ("every val_acc NaN", _npz({**small, "val_acc": np.full_like(small["val_acc"],
                                                                     np.nan)}), "val_acc"),
        ("an infinite epoch_seconds", _npz({**small, "epoch_seconds": np.where(
            np.arange(n)[:, None] == 3, np.inf, small["epoch_seconds"])}), "epoch_seconds"),
        ("a negative seed", _npz({**small, "seed": -small["seed"] - 1}), "seed"),
        ("env_index of another length", _npz({**small, "env_index": np.zeros(2, np.int16)}),
         "env_index"),
        ("an object (pickled) array", _pickled(small), "not a predbench default-benchmark file"),
        ("a malformed arch", _npz({**small, "arch": np.array(["|bogus~0|"] + list(
            small["arch"][1:]))}), "row 0"),
        ("a duplicated arch", _npz({**small, "arch": np.array([small["arch"][1]] + list(
            small["arch"][1:]))}), "twice"),
    ]
    return out


def _pickled(small: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{**small, "test_acc": np.array([None] * len(small["arch"]), dtype=object)})
    return buf.getvalue()


@pytest.fixture(scope="module")
def variants(small) -> dict[str, tuple[bytes, str]]:
    return {label: (data, phrase) for label, data, phrase in _variants(small)}


VARIANT_LABELS = [v[0] for v in _variants({
    k: np.zeros((2, 2)) if k not in ("arch", "seed", "test_acc", "meta") else
    (np.array(["a", "b"]) if k == "arch" else np.array("{}") if k == "meta" else np.zeros(2))
    for k in (*ARRAYS, "meta")})]


def test_the_small_file_is_valid_and_its_numbers_are_the_shipped_ones(tmp_path, small,
                                                                     default_benchmark):
    path = tmp_path / "d.npz"
    path.write_bytes(_npz(small))
    meta, arrays = read_npz(path)
    assert meta["epochs"] == 8 and len(arrays["arch"]) == 35
    mine = load_benchmark("default", path=str(path))
    assert len(mine) == 30 and mine.seeds == [0, 1]
    for arch in mine.archs()[:10]:
        a, b = mine.curve(arch), default_benchmark.curve(arch)
        assert np.array_equal(a.val_acc, b.val_acc) and a.test_acc == b.test_acc
        assert np.array_equal(a.epoch_seconds, b.epoch_seconds)
    assert len(load_benchmark("default", path=str(path), seed=1)) == 5


@pytest.mark.parametrize("label", VARIANT_LABELS)
def test_a_broken_default_file_is_one_value_error_naming_it(tmp_path, variants, label):
    data, phrase = variants[label]
    path = tmp_path / "broken.npz"
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        load_benchmark("default", path=str(path))
    line = _one_line(info.value)
    assert "broken.npz" in line and phrase in line, line


@pytest.mark.parametrize("label", ["cut to half", "2 KB overwritten", "seed missing",
                                   "val_acc of the wrong type and length", "meta epochs -3",
                                   "a malformed arch"])
def test_import_npz_refuses_a_broken_file_before_inserting(tmp_path, small, variants, label):
    good = tmp_path / "good.npz"
    good.write_bytes(_npz(small))
    job, added = import_npz(RunStore(tmp_path / "other.db"), good)
    assert added == 35
    data, _ = variants[label]
    path = tmp_path / "broken.npz"
    path.write_bytes(data)
    store = RunStore(tmp_path / "s.db")
    with pytest.raises(ValueError, match="broken.npz"):
        import_npz(store, path)
    assert store.results(job, seed=0) == [] and store.results(job, seed=1) == []


def test_read_npz_names_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="a folder"):
        read_npz(tmp_path)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        read_npz(tmp_path / "missing.npz")
    with pytest.raises(TypeError, match="path"):
        read_npz(5)  # type: ignore[arg-type]


def test_a_seed_the_file_does_not_hold_is_refused(tmp_path, small):
    path = tmp_path / "d.npz"
    path.write_bytes(_npz(small))
    with pytest.raises(ValueError, match=r"seed 7: .*d\.npz.* its seeds: 0, 1"):
        load_benchmark("default", path=str(path), seed=7)


# -- load_benchmark option values ----------------------------------------------------------------
@pytest.mark.parametrize("kind, options, error, names", [
    ("default", {"seed": 2**63}, ValueError, ("seed", "2**63")),
    ("default", {"seed": True}, TypeError, ("seed",)),
    ("default", {"seed": np.float64(1.0)}, TypeError, ("seed",)),
    ("default", {"path": ""}, ValueError, ("path",)),
    ("default", {"path": "  "}, ValueError, ("path",)),
    ("table", {"path": "", "space": "nb201"}, ValueError, ("path",)),
    ("table", {"path": "t.csv", "reported_epochs": 0}, ValueError, ("reported_epochs",)),
    ("table", {"path": "t.csv", "reported_epochs": -1}, ValueError, ("reported_epochs",)),
    ("table", {"path": "t.csv", "reported_epochs": 2.5}, TypeError, ("reported_epochs",)),
    ("live", {"device": "tpu"}, ValueError, ("device", "tpu")),
    ("live", {"device": "cuda:x"}, ValueError, ("device",)),
    ("live", {"device": 5}, TypeError, ("device",)),
    ("live", {"db": ""}, ValueError, ("db",)),
])
def test_load_benchmark_refuses_option_values_before_any_work(tmp_path, kind, options, error,
                                                             names):
    resolved = dict(options)
    if kind == "live":
        resolved.setdefault("db", str(tmp_path / "run.db"))
    if resolved.get("path") == "t.csv":
        resolved["path"] = str(tmp_path / "t.csv")
    with pytest.raises(error) as info:
        load_benchmark(kind, **resolved)
    line = _one_line(info.value)
    assert all(n in line for n in names), line
    assert not (tmp_path / "run.db").exists()  # refused before the store was opened


def test_a_valid_live_device_still_loads(tmp_path):
    bench = load_benchmark("live", db=str(tmp_path / "run.db"), device="cpu")
    assert bench.device == "cpu"


def test_a_table_with_an_infinite_value_names_file_and_row(tmp_path):
    space = get_search_space("nb201")
    rows = [f"{space.format(space.from_index(i))},{50 + i}" for i in range(5)]
    rows[3] = rows[3].rsplit(",", 1)[0] + ",-inf"
    path = tmp_path / "t.csv"
    path.write_text("arch,val_accuracy\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"t\.csv: row 5: .*finite number, got -inf$"):
        load_benchmark("table", path=str(path))
    rows[3] = rows[3].rsplit(",", 1)[0] + ",53"
    path.write_text("arch,val_accuracy,secs\n" + "\n".join(r + ",inf" for r in rows) + "\n")
    with pytest.raises(ValueError, match=r"row 2: column 'secs' must be a finite number"):
        load_benchmark("table", path=str(path), seconds_column="secs")


# -- search spaces -------------------------------------------------------------------------------
@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("rng", [5, None, "x", np.random.RandomState(0), 1.5])
def test_sample_and_mutate_need_a_generator(space, rng):
    sp = get_search_space(space)
    arch = sp.sample(np.random.default_rng(0))
    for call in (lambda: sp.sample(rng), lambda: sp.mutate(arch, rng)):
        with pytest.raises(TypeError, match=r"^rng must be a numpy random Generator"):
            call()


@pytest.mark.parametrize("space", SPACES)
def test_sample_and_mutate_draw_as_before(space):
    sp = get_search_space(space)
    a = sp.sample(np.random.default_rng(11))
    assert a == sp._sample(np.random.default_rng(11))
    assert sp.mutate(a, np.random.default_rng(3)) == sp._mutate(a, np.random.default_rng(3))


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("num_classes, error", [
    (0, ValueError), (-1, ValueError), (100_001, ValueError), (2**63, ValueError),
    (1.5, TypeError), ("10", TypeError), (True, TypeError), (np.float64(10.0), TypeError),
])
def test_build_network_checks_num_classes(space, num_classes, error):
    sp = get_search_space(space)
    arch = sp.sample(np.random.default_rng(0))
    with pytest.raises(error) as info:
        sp.build_network(arch, num_classes=num_classes, preset="small")
    assert _one_line(info.value).startswith("num_classes must be an integer")


def test_build_network_takes_a_numpy_integer():
    sp = get_search_space("nb201")
    net = sp.build_network(sp.sample(np.random.default_rng(0)), num_classes=np.int64(7),
                           preset="small")
    assert sum(p.numel() for p in net.parameters()) == sum(
        p.numel() for p in sp.build_network(sp.sample(np.random.default_rng(0)), 7,
                                            preset="small").parameters())


@pytest.mark.parametrize("arch", ["|x~0|", None, 5, b"x"])
def test_split_of_needs_an_arch(arch):
    with pytest.raises(TypeError, match=r"^arch must be an architecture"):
        split_of(arch)


# -- batches -------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, seed, error, name", [
    (2.5, 0, TypeError, "n"), (True, 0, TypeError, "n"), ("4", 0, TypeError, "n"),
    (0, 0, ValueError, "n"), (10**9, 0, ValueError, "n"),
    (4, -1, ValueError, "seed"), (4, 1.5, TypeError, "seed"), (4, 2**63, ValueError, "seed"),
    (4, None, TypeError, "seed"),
])
def test_batch_checks_n_and_seed(default_benchmark, n, seed, error, name):
    from benchmarks.nlp_wikitext2 import TokenBatches

    for batch in (default_benchmark.batch, TokenBatches(50, 4).batch):
        if n == 10**9 and batch is not default_benchmark.batch:
            continue  # token batches have no fixed pool to exceed
        with pytest.raises(error) as info:
            batch(n, seed)
        line = _one_line(info.value)
        assert line.startswith("batch" if name == "n" else "seed") and f"{name}" in line, line


def test_valid_batches_are_unchanged(default_benchmark):
    x, y = default_benchmark.batch(np.int64(4), np.int64(0))
    again = default_benchmark.batch(4, 0)
    assert x.shape == (4, 3, 8, 8) and bool((x == again[0]).all()) and bool((y == again[1]).all())


# -- the CLI ------------------------------------------------------------------------------------
def _bench_info(*args: str, cwd: Path) -> tuple[int, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, ["bench", "info", *args])
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    return result.exit_code, "\n".join(lines)


@pytest.mark.parametrize("args, names", [
    (["live"], ("live.db", "db")),
    (["live", "-o", "db=none.db"], ("none.db", "db")),
])
def test_bench_info_live_without_a_store_creates_nothing(tmp_path, args, names):
    code, out = _bench_info(*args, cwd=tmp_path)
    assert code == 2 and len(out.splitlines()) == 1 and out.startswith("error: "), out
    assert all(n in out for n in names), out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("label", ["empty", "cut to half", "2 KB overwritten", "arch missing",
                                   "val_acc of the wrong type and length", "meta epochs -3",
                                   "every val_acc NaN", "meta space nope"])
def test_bench_info_on_a_broken_default_file_is_one_line(tmp_path, variants, label):
    (tmp_path / "b.npz").write_bytes(variants[label][0])
    code, out = _bench_info("default", "--path", str(tmp_path / "b.npz"), cwd=tmp_path)
    assert code == 2 and len(out.splitlines()) == 1 and out.startswith("error: "), out
    assert "b.npz" in out, out


def test_bench_info_empty_path_option_names_path(tmp_path):
    code, out = _bench_info("default", "-o", "path=", cwd=tmp_path)
    assert code == 2 and out.startswith("error: ") and "option path" in out, out
