"""Issue 20: a reproducible hostile-input run over the `predbench` command line and the API.

Malformed inputs are generated, not only listed by hand:

- **CLI, per option**: typer's command tree is walked (every command and subcommand, as
  `tests/test_cli_fuzz.py` does) and each option gets the bad values of its meaning (a count:
  text, 1.5, empty, negative, zero, 2**63; seconds: nan, inf, negative; a name: empty, unknown,
  a list; an input path: missing, a folder, empty, text, random bytes, a cut or overwritten file
  of the right kind, the wrong kind of store; an output path: under an existing file, an
  existing folder, a wrong extension; KEY=VALUE lists; KIND:options strings; seed lists,
  including ranges whose size alone exhausts memory);
- **CLI, per file**: sweep specs (each key given a wrong type or range, unknown keys and
  sections, every benchmark kind with bad options), sweep stores and run stores with bytes
  overwritten or cut, result tables, `.npz` benchmarks with each array dropped or replaced,
  tables and Suite-Zero JSON with bad rows, search trajectories cut or tampered with (these
  must be redone, not trusted), architecture strings of every search space mutated
  systematically (cut, doubled, an op renamed, an index out of range, a node dropped or added,
  another space's arch);
- **click itself**: an unknown option, an extra argument, an option without its value, an
  unknown subcommand, per command;
- **API**: registries, `load_benchmark` (kinds, options, files), the search spaces (`parse`,
  `from_index`, `from_suite_zero`, `from_spec`, `encode`, `build_network`, `sample`, ...),
  `evaluate`, `run_search`, `run_sweep`, `parse_spec` with every numeric hyperparameter of every
  predictor set to -1, zero-cost `score` on bad networks, batches and proxy lists, the metrics
  on bad vectors, predictors' `fit` / `query` with wrong shapes and contexts, benchmark methods.

Each input is classified:

- CLI: `one-line` (exit 2, or 1 for a runtime refusal of a bad file, with exactly one non-empty
  line of output naming the culprit, no traceback, nothing left behind); `traceback` (an
  exception escaped, or more than one line of error output); `false-success` (exit 0, work
  started — training, Ray, the main job — or still running after the per-case alarm, or files
  left behind after a refusal); `redone` (a corrupt resumable file was detected and redone:
  the correct outcome for the trajectory cases); `other` (explained in `detail`: e.g. one line
  that does not name the culprit);
- API: `clear` (ValueError / TypeError / KeyError / FileNotFoundError or a subclass, whose
  message names the argument or value); `traceback` (any other exception, or a message that
  names neither); `false-success` (returns normally).

CLI cases run in-process with typer's CliRunner, each in its own temporary folder (the
current directory, so default outputs land there), under a per-case alarm (20 s); training,
Ray and the main job are replaced by stubs that raise, so an accepted bad value is seen at once
and never trains. The whole process runs under a 10 GiB address-space limit, so an input that
asks for unbounded memory raises MemoryError instead of taking the machine down (without the
limit the same input is killed by the kernel or swaps).

    .venv/bin/python studies/hostile_inputs.py            # ~5 min on 2 cores
    .venv/bin/python studies/hostile_inputs.py --only 'arch info' --list

writes `results/reference/hostile_inputs.csv` (surface, command_or_function, input, expected,
outcome, exit_code, first_line, group, detail) and prints the counts per outcome and surface,
then every case that is not one-line / clear / redone.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import gc
import hashlib
import inspect
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
import typing
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "results" / "reference" / "hostile_inputs.csv"
CASE_SECONDS = 20
MEMORY_LIMIT = 10 * 2**30
HUGE = str(2**63)  # one past int64: no count, seed or size of this suite means it
NB201_ARCH = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
              "+|skip_connect~0|none~1|nor_conv_3x3~2|")
DIR = object()  # a `files` value: make a folder
GOOD_SPEC = ('[sweep]\nseeds = "0"\ntest_size = 20\ntrain_sizes = [10]\n'
             '[[benchmarks]]\nkind = "default"\n[[predictors]]\nname = "params"\n')
SEARCH_BASE = ["search", "-a", "rs", "--budget", "5", "--seeds", "0", "--no-plot"]
COLUMNS = ["surface", "command_or_function", "input", "expected", "outcome", "exit_code",
           "first_line", "group", "detail"]
GOOD = {"cli": ("one-line", "redone"), "api": ("clear",)}


class Started(BaseException):
    """A stub of real work (training, Ray, the main job) was reached: the input was accepted."""


class TooLong(BaseException):
    """The per-case alarm: the command was still working."""


@dataclass
class Case:
    surface: str  # "cli" | "api"
    target: str  # the command path or the function
    input: str  # what is hostile, readably
    expected: str
    group: str
    args: list[str] | None = None  # CLI argv; "{in}" = the case's input folder, "{work}" its cwd
    files: dict[str, Any] = field(default_factory=dict)  # name under {in} -> bytes/str/DIR/Path
    call: Callable[[Path], Any] | None = None  # API: called with the case's folder
    names: tuple[str, ...] = ()  # the message must contain one of these (case-insensitive)
    codes: tuple[int, ...] = (2,)  # exit codes of a proper refusal
    check: Callable[[Path, int], tuple[str, str] | None] | None = None  # custom verdict


@dataclass
class Result:
    outcome: str
    exit_code: str
    first_line: str
    detail: str


# ------------------------------------------------------------------------------------------
# fixtures: built once per run, copied into each case's folder on demand
# ------------------------------------------------------------------------------------------
class Fixtures:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data: dict[str, bytes] = {}

    def __getitem__(self, name: str) -> bytes:
        return self.data[name]

    def build(self) -> None:
        import numpy as np

        from benchmarks.default import DEFAULT_FILE
        from benchmarks.live import make_job, resolve_training
        from benchmarks.store import open_run_store
        from search_spaces import get_search_space

        fix = self.root
        fix.mkdir(parents=True, exist_ok=True)
        (fix / "spec.toml").write_text(GOOD_SPEC)
        # a sweep store and its exported table, from the CLI itself
        code, out = _invoke(["sweep", str(fix / "spec.toml"), "--db", str(fix / "sweep.db"),
                             "--export", str(fix / "results.csv")], fix)
        if code != 0:
            raise SystemExit(f"fixture sweep failed ({code}): {out}")
        _checkpoint(fix / "sweep.db")
        self.data["sweep.db"] = (fix / "sweep.db").read_bytes()
        self.data["results.csv"] = (fix / "results.csv").read_bytes()
        # a run store with queued runs (no training needed)
        space = get_search_space("nb201")
        dataset, rec = resolve_training(space, None, None, None)
        store = open_run_store(fix / "run.db")
        archs = [space.format(space.sample(np.random.default_rng(i))) for i in range(4)]
        store.enqueue(make_job("nb201", dataset, "small", rec), archs, [0])
        store.close()
        _checkpoint(fix / "run.db")
        self.data["run.db"] = (fix / "run.db").read_bytes()
        # the shipped default benchmark
        self.data["default.npz"] = Path(DEFAULT_FILE).read_bytes()
        # a finished search (its trajectory files are tampered with later)
        code, out = _invoke([*SEARCH_BASE, "-o", str(fix / "search")], fix)
        if code != 0:
            raise SystemExit(f"fixture search failed ({code}): {out}")
        # control: run again on an intact copy, the trajectory must be loaded, not redone (its
        # compute seconds would differ), else the tampering cases below would prove nothing
        shutil.copytree(fix / "search", fix / "control")
        _invoke([*SEARCH_BASE, "-o", str(fix / "control")], fix)
        for path in (fix / "search" / "trajectories").glob("*.csv"):
            if path.read_bytes() != (fix / "control" / "trajectories" / path.name).read_bytes():
                raise SystemExit("control: an intact trajectory was run again")
        # a small valid table and Suite-Zero file of NB201 cells
        rng = np.random.default_rng(0)
        archs = [space.sample(rng) for _ in range(12)]
        rows = "".join(f"{space.format(a)},{70 + i:.2f}\n" for i, a in enumerate(archs))
        self.data["table.csv"] = ("arch,val_accuracy\n" + rows).encode()
        zc = {"cifar10": {space.to_suite_zero(a): {
            "idx": i, "arch": space.to_suite_zero(a), "val_accuracy": 70.0 + i,
            "synflow": {"score": float(i), "time": 0.1}} for i, a in enumerate(archs)}}
        self.data["zc.json"] = json.dumps(zc).encode()
        self.data["random"] = random.Random(20).randbytes(8192)
        self.data["text"] = b"this is not the file you are looking for\n" * 20


def _checkpoint(db: Path) -> None:
    """Fold the WAL into the main file so that its bytes alone are the whole store."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)


def overwrite(data: bytes, offset: int, n: int, seed: int = 1) -> bytes:
    junk = random.Random(seed).randbytes(n)
    offset = min(offset, max(0, len(data) - n))
    return data[:offset] + junk + data[offset + n:]


def db_variants(data: bytes) -> list[tuple[str, bytes]]:
    """A store's bytes damaged the ways a disk, a copy or a kill damages them."""
    return [("header overwritten (first 100 bytes)", overwrite(data, 0, 100)),
            ("2 KB overwritten at page 2", overwrite(data, 4096, 2048)),
            ("2 KB overwritten in the middle", overwrite(data, len(data) // 2, 2048, 2)),
            ("cut to half", data[:len(data) // 2]),
            ("cut to 1000 bytes", data[:1000])]


def npz_variants(data: bytes) -> list[tuple[str, bytes]]:
    """The shipped .npz: cut, overwritten, each array dropped, each array of the wrong kind."""
    import io

    import numpy as np

    out = [("cut to half", data[:len(data) // 2]), ("2 KB overwritten", overwrite(data, 4096,
                                                                                  2048))]
    arrays = dict(np.load(io.BytesIO(data), allow_pickle=False))
    for key in arrays:
        kept = {k: v for k, v in arrays.items() if k != key}
        buf = io.BytesIO()
        np.savez(buf, **kept)
        out.append((f"array {key} missing", buf.getvalue()))
        wrong = dict(arrays)
        wrong[key] = np.array(["x"] * 3) if arrays[key].dtype.kind != "U" else np.arange(3)
        buf = io.BytesIO()
        np.savez(buf, **wrong)
        out.append((f"array {key} of the wrong type and length", buf.getvalue()))
    meta = json.loads(str(arrays["meta"])) if "meta" in arrays else {}
    for key, value in (("space", "nope"), ("epochs", -3), ("format", "other")):
        if key in meta:
            changed = dict(arrays)
            changed["meta"] = np.array(json.dumps({**meta, key: value}))
            buf = io.BytesIO()
            np.savez(buf, **changed)
            out.append((f"meta {key} = {value!r}", buf.getvalue()))
    nan = dict(arrays)
    nan["val_acc"] = np.full_like(arrays["val_acc"], np.nan)
    buf = io.BytesIO()
    np.savez(buf, **nan)
    out.append(("every val_acc NaN", buf.getvalue()))
    return out


# ------------------------------------------------------------------------------------------
# running one case
# ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def ring(*_: object) -> None:
        raise TooLong(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


_RUNNER: Any = None


def _invoke(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI in-process (for fixtures): exit code and output."""
    global _RUNNER
    from typer.testing import CliRunner

    from predbench.cli.commands import app

    _RUNNER = _RUNNER or CliRunner()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        result = _RUNNER.invoke(app, args)
    finally:
        os.chdir(here)
    return result.exit_code, result.output + (result.stderr or "") + repr(result.exception)


def snapshot(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_dir():
            out[rel] = "dir"
        elif p.is_file():
            out[rel] = hashlib.sha1(p.read_bytes()).hexdigest()
    return out


def materialise(case: Case, inp: Path) -> None:
    for name, source in case.files.items():
        path = inp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if source is DIR:
            path.mkdir(exist_ok=True)
        elif isinstance(source, Path):
            if source.is_dir():
                shutil.copytree(source, path)
            else:
                shutil.copyfile(source, path)
        elif isinstance(source, str):
            path.write_text(source.replace("{in}", str(inp)))
        else:
            path.write_bytes(source)


def where(tb: Any) -> str:
    """`file:line` of the innermost frame in predbench's code, and the innermost frame."""
    frames = traceback.extract_tb(tb)
    ours = [f for f in frames if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename
            and "/studies/" not in f.filename]

    def short(f: traceback.FrameSummary) -> str:
        name = f.filename
        if name.startswith(str(ROOT)):
            name = os.path.relpath(name, ROOT)
            name = re.sub(r"^\.venv/lib/python[^/]+/site-packages/", "site-packages/", name)
        return f"{name}:{f.lineno} ({f.name})"

    text = f"at {short(ours[-1])}" if ours else "at no predbench frame"
    if frames and (not ours or frames[-1] is not ours[-1]):
        text += f"; innermost {short(frames[-1])}"
    return text


def _norm(text: str) -> str:
    return re.sub(r"[-_ ]+", "-", text.lower())


def names_it(message: str, names: tuple[str, ...]) -> bool:
    """Whether `message` names one of `names` (a path also by its file name, KEY=VALUE also by
    its key or its value); `-`, `_` and blanks count as one."""
    tokens = set()
    for n in names:
        n = str(n)
        tokens.add(n)
        if "/" in n:
            tokens.add(Path(n).name)
        if "=" in n:
            tokens.update(n.split("=", 1))
    norm = _norm(message)
    return any(t.strip() and _norm(t).strip("-") and _norm(t) in norm for t in tokens)


def release(exc: BaseException | None) -> None:
    """Drop the frames an exception keeps alive (a half-built list of 10**9 seeds...)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__context__ or exc.__cause__


def one(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


def run_cli(case: Case, root: Path) -> Result:
    from predbench.cli.commands import app

    inp, work = root / "in", root / "work"
    inp.mkdir(parents=True)
    work.mkdir()
    materialise(case, inp)

    def fill(text: str) -> str:
        return text.replace("{in}", str(inp)).replace("{work}", str(work))

    args = [fill(a) for a in case.args or []]
    names = tuple(fill(n) for n in case.names)
    before = snapshot(root)
    os.chdir(work)
    try:
        with warnings.catch_warnings(), alarm(CASE_SECONDS):  # a fresh warnings registry
            result = _RUNNER.invoke(app, args)
    except (Started, TooLong, MemoryError) as exc:  # MemoryError: escaped CliRunner's handler
        real = exc if isinstance(exc, MemoryError) else exc.__context__
        if isinstance(real, (Started, TooLong)) or not isinstance(real, Exception):
            real = None
        message = one(f"{type(real).__name__}: {real}" if real else exc)
        at = where(real.__traceback__) if real else ""
        release(exc)
        gc.collect()
        left = sorted(set(snapshot(root)) - set(before))
        extra = f"; left {left[:4]}" if left else ""
        if real is not None:  # it raised (late, or while CliRunner handled it)
            return Result("traceback", "1", message, f"{at}{extra}")
        return Result("false-success", "", message, "accepted: " + message + extra)
    finally:
        os.chdir(ROOT)
    code, exc = result.exit_code, result.exception
    tb = result.exc_info[2] if exc is not None and result.exc_info else None
    if exc is not None:  # first: a half-built list of 10**9 seeds leaves no room for anything
        release(exc)
        traceback.clear_frames(tb)
    err, out = result.stderr or "", result.stdout or ""
    del result
    gc.collect()  # connections and files the command left open close, as at a process's exit
    at = where(tb) if tb is not None else ""
    after = snapshot(root)
    left = sorted(set(after) - set(before))
    changed = sorted(k for k in before if k in after and after[k] != before[k])
    err_lines = [ln for ln in err.splitlines() if ln.strip()]
    out_lines = [ln for ln in out.splitlines() if ln.strip()]
    first = (err_lines or out_lines or [""])[0]
    notes = []
    if left:
        notes.append(f"left {left[:4]}")
    if changed:
        notes.append(f"changed {changed[:3]}")

    def res(outcome: str, why: str, line: str = first) -> Result:
        return Result(outcome, str(code), one(line), "; ".join([w for w in [why, *notes] if w]))

    if case.check is not None:
        verdict = case.check(root, code)
        if verdict is not None:
            return res(*verdict)
    if exc is not None and not isinstance(exc, SystemExit):
        return res("traceback", at, f"{type(exc).__name__}: {exc}")
    if "Traceback (most recent call last)" in err + out:
        return res("traceback", "printed a traceback")
    if code == 0:
        return res("false-success", "exit 0 on an invalid input")
    if len(err_lines) > 1:
        return res("traceback", f"{len(err_lines)} lines on stderr: " +
                   one(" | ".join(err_lines[1:4]), 200))
    if not err_lines:
        return res("other", f"exit {code} with nothing on stderr" +
                   (f"; stdout: {one(' | '.join(out_lines[:3]), 200)}" if out_lines else ""))
    if code not in case.codes:
        return res("other", f"exit {code}, expected {'/'.join(map(str, case.codes))}" +
                   (f"; after {len(out_lines)} lines on stdout (it started the work first)"
                    if out_lines else ""))
    if left:
        return res("false-success", "refused, but output was left behind")
    if out_lines:
        return res("other", f"one line on stderr, but it came after {len(out_lines)} line(s) on "
                            f"stdout (a progress bar: refused after the work started): " +
                   one(out_lines[0], 80))
    if names and not names_it(first, names):
        return res("other", f"one line, but it names none of {list(names)}")
    return res("one-line", "")


CLEAR = (ValueError, TypeError, KeyError, FileNotFoundError)


def run_api(case: Case, root: Path) -> Result:
    root.mkdir(parents=True, exist_ok=True)
    assert case.call is not None
    caught: list[warnings.WarningMessage] = []
    os.chdir(root)  # a relative default (results/live.db) lands here, not in the repository
    try:
        with warnings.catch_warnings(record=True) as caught, alarm(CASE_SECONDS):
            warnings.simplefilter("always")
            value = case.call(root)
    except (Started, TooLong) as exc:
        return Result("false-success", "", one(exc), "accepted: " + one(exc))
    except Exception as exc:  # noqa: BLE001 - classifying every exception is the point
        message = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, CLEAR) and (not case.names or names_it(str(exc), case.names)):
            return Result("clear", "", one(message), "")
        why = (f"names none of {list(case.names)}" if isinstance(exc, CLEAR)
               else f"{type(exc).__name__} is not a ValueError/TypeError/KeyError")
        return Result("traceback", "", one(message), f"{why}; {where(exc.__traceback__)}")
    finally:
        os.chdir(ROOT)
    shown = one(repr(value), 160)
    warned = {one(f"{w.category.__name__}: {w.message}", 120) for w in caught}
    return Result("false-success", "", f"returned {shown}",
                  "returned normally" + (f"; warned {sorted(warned)[:2]}" if warned else ""))


# ------------------------------------------------------------------------------------------
# CLI cases
# ------------------------------------------------------------------------------------------
def commands() -> list[tuple[str, Any]]:
    import typer

    from predbench.cli.commands import app

    found = []

    def walk(cmd: Any, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            if getattr(cmd, "invoke_without_command", False):
                found.append((" ".join(path), cmd))
            for name, sub in subs.items():
                walk(sub, path + [name])
        else:
            found.append((" ".join(path), cmd))

    walk(typer.main.get_command(app), [])
    return found


#: valid arguments of each command: positional values, then (flag, value) pairs
BASE: dict[str, tuple[list[str], list[tuple[str, str]], dict[str, Any]]] = {
    "spaces": ([], [], {}),
    "predictors": ([], [], {}),
    "run": ([], [("--out", "{work}/run")], {}),
    "sweep": (["{in}/spec.toml"], [("--db", "{work}/sweep.db")], {"spec.toml": GOOD_SPEC}),
    "search": ([], [("--algo", "rs"), ("--budget", "5"), ("--seeds", "0"),
                    ("--out", "{work}/search"), ("--plot", "")], {}),
    "plot": ([], [("--results", "{in}/results.csv"), ("--out", "{work}/plots")],
             {"results.csv": "results.csv"}),
    "report": ([], [("--results", "{in}/results.csv"), ("--out", "{work}/report")],
               {"results.csv": "results.csv"}),
    "recommend": ([], [("--init-seconds", "1e9"), ("--query-seconds", "1e9"),
                       ("--results", "{in}/results.csv")], {"results.csv": "results.csv"}),
    "arch info": ([NB201_ARCH], [], {}),
    "arch sample": ([], [], {}),
    "bench info": (["default"], [], {}),
    "train": ([], [("--archs", "2"), ("--db", "{work}/live.db"), ("--progress", "")], {}),
    "train export": ([], [("--db", "{in}/run.db"), ("--out", "{work}/out.npz")],
                     {"run.db": "run.db"}),
}
#: per (command, flag): base options that make the flag matter (a predictor needs a guided loop)
CONTEXT = {("search", "--predictor"): [("--algo", "npenas")],
           ("search", "--predictor-param"): [("--algo", "npenas")],
           ("search", "--param"): [("--algo", "re")]}
FLAG_ONLY = {"--progress": "--no-progress", "--plot": "--no-plot"}


def _args(command: str, flag: str | None, value: str | None, opts: tuple[str, ...] = (),
          positional: list[str] | None = None) -> list[str]:
    """The command's valid base arguments with `flag value` in place of the base's own."""
    pos, pairs, _ = BASE[command]
    pairs = [*CONTEXT.get((command, flag), []), *pairs]
    drop = set(opts) | {flag}
    seen: set[str] = set()
    argv = [*command.split(), *(pos if positional is None else positional)]
    for f, v in pairs:
        if f in drop or f in seen:
            continue
        seen.add(f)
        argv += [FLAG_ONLY[f]] if f in FLAG_ONLY else [f, v]
    if flag is not None and value is not None:
        argv += [flag, value]
    return argv


def _fix_files(command: str, fx: Fixtures) -> dict[str, Any]:
    return {k: (fx[v] if v in fx.data else v) for k, v in BASE[command][2].items()}


@dataclass
class Bad:
    value: str
    label: str
    files: dict[str, Any] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    codes: tuple[int, ...] = (2,)


def _num(values: list[tuple[str, str]]) -> list[Bad]:
    return [Bad(v, label) for v, label in values]


COUNT = [("abc", "text"), ("1.5", "a fraction"), ("", "empty"), ("-5", "negative"),
         ("0", "zero")]
#: counts whose value sizes memory, processes or storage at once: 2**63 is refused, not tried
SIZES = {"--workers", "--threads", "--num-classes", "--epochs", "--archs", "--resolution"}
COUNT0 = [("abc", "text"), ("1.5", "a fraction"), ("", "empty"), ("-1", "negative")]
SECONDS0 = [("abc", "text"), ("", "empty"), ("-5", "negative"), ("nan", "nan"),
            ("-inf", "-inf")]
SECONDS1 = [*SECONDS0, ("0", "zero")]
SEEDS = [("", "empty"), (",", "a lone comma"), ("abc", "text"), ("-1", "negative"),
         ("5-1", "a reversed range"), ("1.5", "a fraction"), ("0-", "an open range"),
         ("1e3", "scientific notation"), (HUGE, "2**63"),
         ("0-999999999", "10**9 seeds (memory)"),
         ("0-99999999999999999999", "10**20 seeds (overflow)")]


def _names_choice(kind: str) -> list[tuple[str, str]]:
    return [("", "empty"), (" ", "a blank"), ("nope", "unknown"), (f"{kind},{kind}", "a list")]


def bad_values(command: str, flag: str, annotation: Any, fx: Fixtures) -> list[Bad]:
    """The bad values of option `flag` of `command`, from its meaning."""
    base = annotation
    if typing.get_origin(base) in (typing.Union, getattr(__import__("types"), "UnionType")):
        base = [a for a in typing.get_args(base) if a is not type(None)][0]
    kind = MEANING.get((command, flag), MEANING.get(flag))
    if kind is None:  # an option this table does not know: its type's bad values only
        print(f"  (no meaning for {command} {flag}: type checks only)", file=sys.stderr)
        if base is int:
            return _num(COUNT[:3])
        if base is float:
            return _num(SECONDS0[:2])
        return []
    if kind == "count" and base is int:
        out = _num(COUNT + ([(HUGE, "2**63")] if flag in SIZES else []))
        if flag == "--resolution":
            out += _num([("1025", "above the 1024 the help implies"), ("99999", "huge")])
        return out
    if kind == "count" and base is str:  # train/search --seeds: a seed list
        # 2**63 is a valid numpy seed; only the run store (SQLite int64) cannot hold it
        return _num([v for v in SEEDS if v[0] != HUGE or command == "train"])
    if kind == "count0":
        return _num(COUNT0)
    if kind == "seconds0":
        return _num(SECONDS0)
    if kind == "seconds1":
        return _num(SECONDS1)
    if kind == "ray-only":  # any value on the local executor is refused
        return _num([("abc", "text"), ("-1", "negative"), ("nan", "nan"), ("1", "a valid "
                                                                               "number, local "
                                                                               "executor")])
    if kind in ("space", "dataset", "preset", "recipe", "executor", "split", "family",
                "predictor", "algo"):
        sample = {"space": "nb201", "dataset": "shapes10", "preset": "small", "recipe": "nb201",
                  "executor": "local", "split": "all", "family": "zero_cost",
                  "predictor": "xgb", "algo": "rs"}[kind]
        out = _num(_names_choice(sample))
        if kind in ("predictor", "algo"):  # lists are valid here: no "a list" case
            out = [b for b in out if b.label != "a list"]
            out.append(Bad(",", "a lone comma"))
            out.append(Bad(f"{sample},nope", "a list with one unknown"))
        return out
    if kind == "device":
        return _num([("", "empty"), ("tpu", "unknown"), ("cuda", "no CUDA on this machine"),
                     ("cuda:7", "a missing GPU"), ("mps", "no MPS here")])
    if kind == "db_out":
        return db_bads(command, fx, reading=False)
    if kind == "db_in":
        return db_bads(command, fx, reading=True)
    if kind == "dir_out":
        return [Bad("{in}/a_file/sub", "under an existing file", {"a_file": "x"}),
                Bad("{in}/a_file", "an existing file", {"a_file": "x"})]
    if kind == "file_out":
        out = [Bad("{in}/a_file/x.out", "under an existing file", {"a_file": "x"}),
               Bad("{in}/a_dir", "an existing folder", {"a_dir": DIR})]
        if flag == "--export":
            out.append(Bad("{work}/table.txt", "an unsupported extension"))
        return out
    if kind == "npz_in":
        return file_bads(fx, "npz", npz_variants(fx["default.npz"])[:2])
    if kind == "dir_in":
        return [Bad("{in}/missing", "missing"), Bad("{in}/a_file", "a file", {"a_file": "x"})]
    if kind == "results_in":
        return results_bads(fx)
    if kind == "bench_file":  # bench info default --path: the npz, every way broken
        return file_bads(fx, "npz", npz_variants(fx["default.npz"]))
    if kind == "kind":
        return [Bad("", "empty"), Bad("nope", "unknown"),
                Bad("table", "needs a path", names=("path",)),
                Bad("suite_zero", "needs a path", names=("path",)),
                Bad("naslib", "needs a path", names=("path",)),
                Bad("nb201_official", "needs a path", names=("path",)),
                Bad("live", "no store at the default results/live.db",
                    names=("live.db", "store", "db"))]
    if kind == "arch":
        return []  # arch strings have their own generator (arch_cases)
    if kind == "spec":
        return []  # spec files have their own generator (spec_cases)
    if kind == "ray_address":
        return [Bad("1.2.3.4:1", "given with the local executor")]
    if kind == "kv_bench":
        return [Bad("x", "no ="), Bad("=1", "no key"), Bad("seed=abc", "text seed"),
                Bad("seed=-1", "negative seed"), Bad("seed=1.5", "fractional seed"),
                Bad("seed=True", "boolean seed"), Bad("nope=1", "unknown option"),
                Bad("path=", "empty path", names=("path",)),
                Bad("path={in}/missing.npz", "missing path")]
    if kind == "kv_param":
        return [Bad("k", "no ="), Bad("=5", "no key"), Bad("population=abc", "text"),
                Bad("population=-1", "negative"), Bad("population=0", "zero"),
                Bad("population=1.5", "a fraction"), Bad("nope=1", "unknown"),
                Bad("sample=0", "zero sample"),
                Bad("sample=1000", "sample larger than the population")]
    if kind == "kv_pparam":
        return [Bad("k", "no ="), Bad("=1", "no key"), Bad("nope=1", "unknown"),
                Bad("num_boost_round=-5", "negative"), Bad("num_boost_round=abc", "text"),
                Bad("learning_rate=-1", "negative rate"), Bad("max_depth=-1", "negative depth"),
                Bad("encoding=nope", "unknown encoding")]
    if kind == "bench_spec":
        return [Bad(s, label, files, names=names) for s, label, files, names in bench_specs(fx)]
    if kind == "target":
        return []  # `target_cases`
    return []


MEANING: dict[Any, str] = {
    "--seeds": "count", "--workers": "count", "--archs": "count", "--epochs": "count",
    "--threads": "count", "--top": "count", "--budget": "count", "--num-classes": "count",
    "--resolution": "count", "-n": "count0", "--seed": "count0", "--arch-seed": "count0",
    "--export-every": "count0", "--init-seconds": "seconds0", "--query-seconds": "seconds0",
    "--budget-seconds": "seconds1", "--stale-after": "seconds1",
    "--gpus-per-worker": "ray-only", "--cpus-per-worker": "ray-only",
    "--space": "space", "--dataset": "dataset", "--preset": "preset", "--recipe": "recipe",
    "--executor": "executor", "--device": "device", "--split": "split", "--algo": "algo",
    "--predictor": "predictor", "--family": "family",
    "--db": "db_out", ("train export", "--db"): "db_in",
    "--out": "dir_out", ("train export", "--out"): "file_out",
    "--export": "file_out", "--export-to": "file_out", "--import-from": "npz_in",
    "--data-root": "dir_in", "--results": "results_in", "--path": "bench_file",
    "kind": "kind", "arch": "arch", "spec_path": "spec", "--ray-address": "ray_address",
    "--option": "kv_bench", "--param": "kv_param", "--predictor-param": "kv_pparam",
    "--benchmark": "bench_spec", "--target": "target", "--arch-column": "target",
    "--title": "free", "--command": "free",
}


def file_bads(fx: Fixtures, ext: str, variants: list[tuple[str, bytes]]) -> list[Bad]:
    """Missing, a folder, empty, text, random bytes, and `variants` of a file of type `ext`."""
    out = [Bad(f"{{in}}/missing.{ext}", "missing"),
           Bad(f"{{in}}/a_dir.{ext}", "a folder", {f"a_dir.{ext}": DIR}),
           Bad(f"{{in}}/empty.{ext}", "empty", {f"empty.{ext}": b""}),
           Bad(f"{{in}}/text.{ext}", "text", {f"text.{ext}": fx["text"]}),
           Bad(f"{{in}}/random.{ext}", "random bytes", {f"random.{ext}": fx["random"]})]
    for i, (label, data) in enumerate(variants):
        out.append(Bad(f"{{in}}/v{i}.{ext}", label, {f"v{i}.{ext}": data}))
    for bad in out:
        bad.codes = (1, 2)
        bad.names = bad.names or (Path(bad.value).name,)
    return out


def db_bads(command: str, fx: Fixtures, reading: bool) -> list[Bad]:
    right, wrong = ("sweep.db", "run.db") if command == "sweep" else ("run.db", "sweep.db")
    out = [Bad("{in}/a_file/x.db", "under an existing file", {"a_file": "x"}),
           Bad("{in}/a_dir", "a folder", {"a_dir": DIR}),
           Bad("", "empty (the current folder)"),
           Bad("{in}/text.db", "a text file", {"text.db": fx["text"]}),
           Bad("{in}/random.db", "random bytes", {"random.db": fx["random"]}),
           Bad("{in}/other.db", f"the other kind of store ({wrong})", {"other.db": fx[wrong]}),
           Bad("mysql://u@localhost/x", "an unsupported URL scheme"),
           Bad("postgresql://nobody@127.0.0.1:1/none", "an unreachable PostgreSQL server",
               names=("127.0.0.1", "postgres"))]
    if reading:
        out += [Bad("{in}/missing.db", "missing"), Bad("{in}/empty.db", "empty (0 bytes)",
                                                      {"empty.db": b""})]
    for i, (label, data) in enumerate(db_variants(fx[right])):
        out.append(Bad(f"{{in}}/c{i}.db", f"{right} {label}", {f"c{i}.db": data}))
    for bad in out:
        bad.codes = (1, 2)
        if not bad.names:
            bad.names = (Path(bad.value).name,) if bad.value else ("directory", "folder")
    return out


def results_bads(fx: Fixtures) -> list[Bad]:
    good = fx["results.csv"].decode()
    header, *rows = good.splitlines()
    cols = header.split(",")
    tau = cols.index("kendalltau")
    no_tau = "\n".join(",".join(c for j, c in enumerate(r.split(",")) if j != tau)
                       for r in [header, *rows]) + "\n"
    text_tau = "\n".join([header] + [",".join("abc" if j == tau else c
                                              for j, c in enumerate(r.split(",")))
                                     for r in rows]) + "\n"
    out = [Bad("{in}/missing.csv", "missing"), Bad("{in}/empty_dir", "an empty folder",
                                                  {"empty_dir": DIR}),
           Bad("{in}/bad_dir", "a folder holding a corrupt .db",
               {"bad_dir/r.db": fx["text"]}, names=("bad_dir", "r.db")),
           Bad("{in}/empty.csv", "an empty .csv", {"empty.csv": b""}),
           Bad("{in}/header.csv", "a header-only .csv", {"header.csv": header + "\n"}),
           Bad("{in}/notau.csv", "a .csv without kendalltau", {"notau.csv": no_tau}),
           Bad("{in}/texttau.csv", "a .csv whose kendalltau is text", {"texttau.csv": text_tau}),
           Bad("{in}/cut.csv", "a .csv cut mid-row", {"cut.csv": good[:len(good) // 2]}),
           Bad("{in}/random.csv", "random bytes as .csv", {"random.csv": fx["random"]}),
           Bad("{in}/text.parquet", "text as .parquet", {"text.parquet": fx["text"]}),
           Bad("{in}/r.txt", "an unsupported extension", {"r.txt": good}),
           Bad("{in}/empty.db", "an empty (0-byte) .db", {"empty.db": b""}),
           Bad("{in}/run.db", "a run store, not a sweep store", {"run.db": fx["run.db"]}),
           Bad("mysql://u@localhost/x", "an unsupported URL scheme"),
           Bad("postgresql://nobody@127.0.0.1:1/none", "an unreachable PostgreSQL server",
               names=("127.0.0.1", "postgres"))]
    for i, (label, data) in enumerate(db_variants(fx["sweep.db"])):
        out.append(Bad(f"{{in}}/c{i}.db", f"sweep.db {label}", {f"c{i}.db": data}))
    for bad in out:
        bad.codes = (1, 2)
        bad.names = bad.names or ("--results", Path(bad.value).name)
    return out


def bench_specs(fx: Fixtures) -> list[tuple[str, str, dict[str, Any], tuple[str, ...]]]:
    """--benchmark KIND[:key=value,...] strings."""
    variants = npz_variants(fx["default.npz"])
    return [
        ("", "empty", {}, ()), (":", "a lone colon", {}, ()),
        ("nope", "unknown kind", {}, ("nope",)),
        ("default:seed=abc", "text seed", {}, ("seed",)),
        ("default:seed=", "empty seed", {}, ("seed",)),
        ("default:seed=-1", "negative seed", {}, ("seed",)),
        ("default:nope=1", "unknown option", {}, ("nope",)),
        ("default:seed", "an option without =", {}, ("seed",)),
        ("table", "table without its path", {}, ("path",)),
        ("table:path={in}/missing.csv", "table: missing file", {}, ("missing.csv",)),
        ("table:path={in}/t.csv,space=nb101", "table of NB201 archs read as NB101",
         {"t.csv": fx["table.csv"]}, ("nb101", "t.csv")),
        ("default:path={in}/cut.npz", "default: a cut npz", {"cut.npz": variants[0][1]},
         ("cut.npz",)),
        ("live:db={in}/c.db", "live: a corrupt run store",
         {"c.db": db_variants(fx["run.db"])[1][1]}, ("c.db",)),
        ("nb201:subset=nope", "nb201: unknown subset", {}, ("subset", "nope")),
        ("nb201:dataset=nope", "nb201: unknown dataset", {}, ("dataset", "nope")),
        ("suite_zero:path={in}/zc.json,dataset=nope", "suite_zero: dataset not in file",
         {"zc.json": fx["zc.json"]}, ("nope",)),
        ("nlp", "an nlp benchmark for the nb201 space", {}, ("nlp",)),
    ]


def option_cases(fx: Fixtures) -> list[Case]:
    cases = []
    for command, cmd in commands():
        for prm in cmd.params:
            if prm.name == "help" or getattr(prm, "is_flag", False):
                continue
            flag = prm.opts[0] if prm.param_type_name == "option" else prm.name
            opts = tuple(prm.opts) if prm.param_type_name == "option" else ()
            annotation = prm.type_descriptor.annotation
            for bad in bad_values(command, flag, annotation, fx):
                files = {**_fix_files(command, fx), **bad.files}
                if prm.param_type_name == "argument":
                    args = _args(command, None, None, positional=[bad.value])
                else:
                    args = _args(command, flag, bad.value, opts=opts)
                word = flag.lstrip("-")
                names = (flag, *((word,) if len(word) > 2 else ()),
                         *(bad.names or (bad.value,)))
                shown = repr(bad.value) if len(bad.value) < 50 else bad.label
                cases.append(Case("cli", command, f"{flag} {shown} ({bad.label})",
                                  f"exit {'/'.join(map(str, bad.codes))}, one line naming "
                                  f"{flag} or the value", "option values", args, files,
                                  names=names, codes=bad.codes))
    return cases


def click_cases(fx: Fixtures) -> list[Case]:
    """click's own usage errors, per command."""
    cases = []
    for command, cmd in commands():
        needs_value = [p for p in cmd.params if p.param_type_name == "option"
                       and p.name != "help" and not getattr(p, "is_flag", False)]
        base = _args(command, None, None)  # every required option given: only the bad part
        for label, argv, names in [
            ("an unknown option", [*base, "--no-such-option", "1"], ("--no-such-option",)),
            ("an extra argument", [*base, "extra-arg"], ("extra-arg",)),
        ] + ([("an option without its value", [*base, needs_value[-1].opts[0]],
               (needs_value[-1].opts[0],))] if needs_value else []):
            cases.append(Case("cli", command, label, "exit 2, one line", "click usage", argv,
                              _fix_files(command, fx), names=names))
    for argv, label in ((["nope"], "an unknown command"), (["arch", "nope"],
                                                         "an unknown subcommand"),
                        (["train", "nope"], "an unknown train subcommand")):
        cases.append(Case("cli", argv[0], label, "exit 2, one line", "click usage", argv,
                          names=("nope",)))
    return cases


# -- architecture strings ----------------------------------------------------------------
def arch_mutations() -> dict[str, list[tuple[str, str]]]:
    """Per search space: (label, text) of malformed architectures, generated from a valid one."""
    import numpy as np

    from search_spaces import get_search_space, list_search_spaces

    goods = {}
    for name in list_search_spaces():
        space = get_search_space(name)
        rng = np.random.default_rng(5)
        goods[name] = max((space.format(space.sample(rng)) for _ in range(8)), key=len)
    out: dict[str, list[tuple[str, str]]] = {}
    for name, good in goods.items():
        m = [("empty", ""), ("blank", "   "), ("cut in half", good[:len(good) // 2]),
             ("doubled", good + good), ("trailing garbage", good + "@@"),
             ("unicode junk", "|nör_cönv~0|∞")]
        m += [(f"an arch of {other}", text) for other, text in goods.items() if other != name]
        if name == "nb201":
            nodes = good.split("+")
            m += [("an op renamed", re.sub(r"\|[a-z_0-9]+~", "|conv_9x9~", good, count=1)),
                  ("an input index out of range", good.replace("~0|", "~7|", 1)),
                  ("a node dropped", "+".join(nodes[:2])),
                  ("a node added", good + "+|none~0|none~1|none~2|none~3|"),
                  ("an edge missing", "+".join([nodes[0], "|" + nodes[1].split("|")[1] + "|",
                                                nodes[2]])),
                  ("negative index", good.replace("~0|", "~-1|", 1))]
        elif name == "nb101":
            m += [("an op renamed", re.sub(r"\+[a-z0-9]+~", "+conv9x9~", good, count=1)),
                  ("a forward reference", good.replace("~0", "~5", 1)),
                  ("a self reference", "input+conv3x3~1+output~1"),
                  ("output dropped", good.rsplit("+", 1)[0]),
                  ("no path from input", "input+conv3x3+output~1"),
                  ("8 intermediate vertices", "input+" + "+".join(
                      f"conv3x3~{i}" for i in range(8)) + "+output~8"),
                  ("10 edges", "input+conv3x3~0+conv3x3~0,1+conv3x3~0,1,2+output~0,1,2,3"),
                  ("negative index", good.replace("~0", "~-1", 1))]
        elif name == "darts":
            m += [("an op renamed", re.sub(r"\('[a-z_0-9]+'", "('conv_9x9'", good, count=1)),
                  ("an input index out of range", re.sub(r", \d\)", ", 9)", good, count=1)),
                  ("an op dropped from normal", re.sub(r"\('[a-z_0-9]+', \d\), ", "", good,
                                                       count=1)),
                  ("an op added to normal", good.replace("normal=[", "normal=[('skip_connect', "
                                                                     "0), ", 1)),
                  ("concat out of range", good.replace("normal_concat=[2, 3, 4, 5]",
                                                       "normal_concat=[2, 3, 4, 9]")),
                  ("python code, not a genotype", "__import__('os').getcwd()"),
                  ("a negative index", re.sub(r", \d\)", ", -1)", good, count=1))]
        elif name == "nlp":
            cell = json.loads(good)
            first = sorted(cell)[0]
            renamed = json.loads(good)
            node = next(k for k in sorted(renamed) if k.startswith("node_"))
            renamed[node]["op"] = "conv_9x9"
            missing_in = json.loads(good)
            missing_in[node]["input"] = ["node_99"]
            cycle = json.loads(good)
            cycle[node]["input"] = [node]
            dropped = {k: v for k, v in cell.items() if k != first}
            no_x = {k: {**v, "input": [i for i in v["input"] if i != "x"] or ["h_prev_0"]}
                    for k, v in cell.items()}
            m += [("an op renamed", json.dumps(renamed)),
                  ("an input that does not exist", json.dumps(missing_in)),
                  ("a node that is its own input", json.dumps(cycle)),
                  (f"{first} dropped", json.dumps(dropped)),
                  ("no node reads x", json.dumps(no_x)),
                  ("a JSON list", "[1, 2, 3]"), ("JSON null", "null"),
                  ("inputs not a list", json.dumps({k: {**v, "input": 5}
                                                    for k, v in cell.items()}))]
        out[name] = m
    return out


def arch_cases() -> list[Case]:
    cases = []
    for space, muts in arch_mutations().items():
        for label, text in muts:
            cases.append(Case("cli", "arch info", f"--space {space}: {label}",
                              "exit 2, one line naming the arch", "arch strings",
                              ["arch", "info", "--space", space, text], {},
                              names=("arch", space)))
    return cases


def combo_cases(fx: Fixtures) -> list[Case]:
    """Values valid alone, invalid together, and files of one kind given where another goes."""
    table = {"t.csv": fx["table.csv"]}
    rows = [
        ("train", "--space nlp --dataset cifar10", ["--space", "nlp", "--dataset", "cifar10"],
         {}, ("cifar10",)),
        ("train", "--space nb201 --dataset synthtext",
         ["--dataset", "synthtext"], {}, ("synthtext",)),
        ("train", "--recipe nlp for nb201", ["--recipe", "nlp"], {}, ("nlp",)),
        ("train", "--space nlp --recipe nb201", ["--space", "nlp", "--recipe", "nb201"], {},
         ("nb201",)),
        ("train", "--space nb101 --preset darts", ["--space", "nb101", "--preset", "darts"], {},
         ("darts",)),
        ("train", "--dataset cifar10 without --data-root or --download",
         ["--dataset", "cifar10"], {}, ("cifar", "data-root")),
        ("train", "--space nlp --dataset wikitext2 without --data-root",
         ["--space", "nlp", "--dataset", "wikitext2"], {}, ("wikitext2", "data-root")),
        ("train", "--space nlp --dataset ptb --data-root an empty folder",
         ["--space", "nlp", "--dataset", "ptb", "--data-root", "{in}/empty"],
         {"empty": DIR}, ("train.txt", "empty", "ptb")),
        ("train", "--data-root with binary train/valid/test.txt",
         ["--space", "nlp", "--dataset", "wikitext2", "--data-root", "{in}/bin"],
         {"bin/train.txt": fx["random"], "bin/valid.txt": fx["random"],
          "bin/test.txt": fx["random"]}, ("train.txt", "bin")),
        ("train", "--executor ray --ray-address with an SQLite --db",
         ["--executor", "ray", "--ray-address", "1.2.3.4:1"], {}, ("postgres", "--db")),
        ("train", "--executor ray --gpus-per-worker -1",
         ["--executor", "ray", "--gpus-per-worker", "-1"], {}, ("gpus",)),
        ("train", "--executor ray --cpus-per-worker 0",
         ["--executor", "ray", "--cpus-per-worker", "0"], {}, ("cpus",)),
        ("train", "--executor ray --cpus-per-worker nan",
         ["--executor", "ray", "--cpus-per-worker", "nan"], {}, ("cpus",)),
        ("train", "--executor ray --device tpu", ["--executor", "ray", "--device", "tpu"], {},
         ("tpu",)),
        ("train", "--stale-after 1 (below the 10 s heartbeat)", ["--stale-after", "1"], {},
         ("stale",)),
        ("train", "--import-from a run store (SQLite), not an .npz",
         ["--import-from", "{in}/run.db"], {"run.db": fx["run.db"]}, ("run.db",)),
        ("train", "--export-to the run store itself", ["--export-to", "{work}/live.db"], {},
         ("live.db", "export")),
        ("train export", "--space nlp --dataset cifar10",
         ["--space", "nlp", "--dataset", "cifar10"], {}, ("cifar10",)),
        ("train export", "--out the run store it reads", ["--out", "{in}/run.db"], {},
         ("run.db",)),
        ("sweep", "--ray-address with the local executor", ["--ray-address", "1.2.3.4:1"], {},
         ("ray",)),
        ("sweep", "--export the store it writes", ["--export", "{work}/sweep.db"], {},
         ("export", "sweep.db")),
        ("sweep", "a store made with test_size 20, spec with test_size 30",
         ["--db", "{in}/made.db", "{in}/spec30.toml"],
         {"made.db": fx["sweep.db"], "spec30.toml": GOOD_SPEC.replace("test_size = 20",
                                                                      "test_size = 30")},
         ("test_size", "made.db")),
        ("search", "--space nb101 on the default (NB201) benchmark", ["--space", "nb101"], {},
         ("nb101",)),
        ("search", "-a npenas -p oneshot on a table (no images)",
         ["-a", "npenas", "-p", "oneshot", "-b", "table:path={in}/t.csv"], table,
         ("oneshot", "images")),
        ("search", "-a bananas --param acquisition=nope",
         ["-a", "bananas", "--param", "acquisition=nope"], {}, ("acquisition",)),
        ("search", "-a ls --param move=nope", ["-a", "ls", "--param", "move=nope"], {},
         ("move",)),
        ("search", "-a npenas --param fidelity=-1", ["-a", "npenas", "--param", "fidelity=-1"],
         {}, ("fidelity",)),
        ("search", "-a npenas --param k=0", ["-a", "npenas", "--param", "k=0"], {}, ("k",)),
        ("search", "-a npenas --param num_candidates=-1",
         ["-a", "npenas", "--param", "num_candidates=-1"], {}, ("num_candidates",)),
        ("search", "-a npenas --param candidates=nope",
         ["-a", "npenas", "--param", "candidates=nope"], {}, ("candidates",)),
        ("arch info", "--space nb101 --preset darts (an NB101 arch)",
         ["input+conv3x3~0+output~1", "--space", "nb101", "--preset", "darts"], {},
         ("darts",)),
        ("bench info", "table --path good.csv --target nope",
         ["table", "--path", "{in}/t.csv", "--target", "nope"], table, ("nope",)),
        ("bench info", "table --path good.csv --target arch (text column)",
         ["table", "--path", "{in}/t.csv", "--target", "arch"], table, ("arch",)),
        ("bench info", "table --path good.csv --arch-column val_accuracy",
         ["table", "--path", "{in}/t.csv", "--arch-column", "val_accuracy"], table,
         ("val_accuracy",)),
        ("bench info", "table --path good.csv --space nb101",
         ["table", "--path", "{in}/t.csv", "--space", "nb101"], table, ("nb101",)),
        ("bench info", "default --target x (an option of another kind)",
         ["default", "--target", "x"], {}, ("target",)),
        ("bench info", "nb201 --dataset nope", ["nb201", "--dataset", "nope"], {}, ("nope",)),
        ("bench info", "nb201 -o subset=nope", ["nb201", "-o", "subset=nope"], {}, ("nope",)),
        ("bench info", "nlp --dataset nope", ["nlp", "--dataset", "nope"], {}, ("nope",)),
        ("bench info", "live -o db=<corrupt run store>", ["live", "-o", "db={in}/c.db"],
         {"c.db": db_variants(fx["run.db"])[1][1]}, ("c.db",)),
        ("bench info", "live -o db=<sweep store>", ["live", "-o", "db={in}/s.db"],
         {"s.db": fx["sweep.db"]}, ("s.db",)),
        ("bench info", "live -o db=<missing>", ["live", "-o", "db={in}/none.db"], {},
         ("none.db",)),
        ("recommend", "--top 0 with budgets nothing fits",
         ["--top", "0", "--init-seconds", "0", "--query-seconds", "0"], {}, ("--top",)),
        ("plot", "-r the spec file", ["-r", "{in}/spec.toml"], {"spec.toml": GOOD_SPEC},
         ("spec.toml",)),
    ]
    cases = []
    for command, label, extra, files, names in rows:
        pos, pairs, _ = BASE[command]
        given = [a for a in extra if not a.startswith("-")]
        # flags in `extra` replace the base's; a positional in extra replaces the base's
        flags = {extra[i]: extra[i + 1] for i in range(len(extra)) if extra[i].startswith("-")
                 and i + 1 < len(extra)}
        alias = {"-a": "--algo", "-p": "--predictor", "-b": "--benchmark", "-o": "--out",
                 "-r": "--results", "-k": "--num-classes"}
        norm = {alias.get(f, f) for f in flags}
        if command == "bench info" and "-o" in flags:
            norm.discard("--out")
        argv = [*command.split()]
        positional = pos
        if command in ("bench info", "arch info"):
            positional = [extra[0]]
            extra = extra[1:]
        elif command == "sweep" and given and given[-1].endswith(".toml"):
            positional = [given[-1]]
            extra = [a for a in extra if a != given[-1]]
        argv += positional
        for f, v in pairs:
            if f in norm:
                continue
            argv += [FLAG_ONLY[f]] if f in FLAG_ONLY else [f, v]
        argv += extra
        all_files = {**_fix_files(command, fx), **files}
        cases.append(Case("cli", command, label, "exit 1/2, one line naming the conflict",
                          "combinations", argv, all_files, names=names, codes=(1, 2)))
    return cases


def target_cases(fx: Fixtures) -> list[Case]:
    """bench info on table / Suite-Zero / NASLib / official files with bad contents."""
    good = fx["table.csv"].decode()
    lines = good.splitlines()
    tables = [
        ("header only", "arch,val_accuracy\n"), ("no arch column", "x,val_accuracy\n1,2\n"),
        ("no target column", "arch,y\n" + "\n".join(r.rsplit(",", 1)[0] + ",1" for r in
                                                     lines[1:]) + "\n"),
        ("a malformed arch row", good + "|bogus~0|,50\n"),
        ("text in the target", good + f"{lines[1].rsplit(',', 1)[0]},abc\n"),
        ("NaN targets only", "arch,val_accuracy\n" + "\n".join(
            r.rsplit(",", 1)[0] + ",nan" for r in lines[1:]) + "\n"),
        ("a duplicated arch, other value", good + lines[1].rsplit(",", 1)[0] + ",1.0\n"),
        ("semicolon-separated", good.replace(",", ";")),
        ("cut mid-row", good[:len(good) // 2 + 7]),
        ("random bytes", fx["random"]),
        ("an inf target", good + _space().format(_space().from_index(7)) + ",inf\n"),
    ]
    cases = []
    for label, content in tables:
        cases.append(Case("cli", "bench info", f"table: {label}",
                          "exit 1/2, one line naming the file (and row)", "benchmark files",
                          ["bench", "info", "table", "--path", "{in}/t.csv", "--space",
                           "nb201"], {"t.csv": content}, names=("t.csv",), codes=(1, 2)))
    zc = json.loads(fx["zc.json"])
    key = next(iter(zc["cifar10"]))
    entry = zc["cifar10"][key]

    def with_entry(**change: Any) -> str:
        new = json.loads(fx["zc.json"])
        new["cifar10"][key] = {**entry, **change}
        return json.dumps(new)

    zcs = [("not JSON", "{oops"), ("a JSON list", "[1, 2]"), ("an empty object", "{}"),
           ("an empty dataset", '{"cifar10": {}}'), ("a dataset that is a list",
                                                    '{"cifar10": [1, 2]}'),
           ("an unparsable key", json.dumps({"cifar10": {"(9, 9)": entry}})),
           ("a key of NB101 length", json.dumps({"cifar10": {str(tuple(range(56))): entry}})),
           ("val_accuracy missing", with_entry(val_accuracy=None)),
           ("val_accuracy text", with_entry(val_accuracy="abc")),
           ("a proxy score that is text", with_entry(synflow={"score": "x", "time": 1})),
           ("random bytes", fx["random"])]
    for label, content in zcs:
        cases.append(Case("cli", "bench info", f"suite_zero: {label}",
                          "exit 1/2, one line naming the file", "benchmark files",
                          ["bench", "info", "suite_zero", "--path", "{in}/zc.json"],
                          {"zc.json": content}, names=("zc.json",), codes=(1, 2)))
    import pickle

    for label, content in [("random bytes", fx["random"]), ("text", fx["text"]),
                           ("a pickled list", pickle.dumps([1, 2, 3])),
                           ("a pickled empty dict", pickle.dumps({})),
                           ("a pickled dict of junk", pickle.dumps({"a": {"b": 1}}))]:
        for name in ("nb201_cifar10_full_training.pickle", "nasbench_only108.pkl",
                     "nb_nlp.pickle"):
            cases.append(Case("cli", "bench info", f"naslib {name}: {label}",
                              "exit 1/2, one line naming the file", "benchmark files",
                              ["bench", "info", "naslib", "--path", f"{{in}}/{name}"],
                              {name: content}, names=(name,), codes=(1, 2)))
        cases.append(Case("cli", "bench info", f"nb201_official .pth: {label}",
                          "exit 1/2, one line naming the file (or the missing extra)",
                          "benchmark files",
                          ["bench", "info", "nb201_official", "--path", "{in}/NB.pth"],
                          {"NB.pth": content}, names=("NB.pth", "pip install"), codes=(1, 2)))
    cases.append(Case("cli", "bench info", "naslib: missing file", "exit 2 naming the file",
                      "benchmark files", ["bench", "info", "naslib", "--path", "{in}/x.pickle"],
                      {}, names=("x.pickle",), codes=(1, 2)))
    return cases


# -- sweep specs ----------------------------------------------------------------------------
def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(spec: dict[str, Any]) -> str:
    out = []
    for key, value in spec.items():
        if not isinstance(value, (dict, list)) or (isinstance(value, list) and value and
                                                   not all(isinstance(x, dict) for x in value)
                                                   ) or value == []:
            out.insert(0, f"{key} = {toml_value(value)}")
    for key, value in spec.items():
        if isinstance(value, dict):
            out.append(f"[{key}]")
            out += [f"{k} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for entry in value:
                out.append(f"[[{key}]]")
                out += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
    return "\n".join(out) + "\n"


def base_spec() -> dict[str, Any]:
    return {"sweep": {"seeds": "0", "test_size": 20, "train_sizes": [10]},
            "benchmarks": [{"kind": "default"}], "predictors": [{"name": "params"}]}


def spec_mutations(fx: Fixtures) -> list[tuple[str, Any, tuple[str, ...], dict[str, Any]]]:
    """(label, spec dict or raw text, names, extra files)."""
    out: list[tuple[str, Any, tuple[str, ...], dict[str, Any]]] = []
    sweep_bad = {
        "seeds": [-1, [-1], [], ["a"], [1.5], [True], "abc", "5-1", "",
                  "0-99999999999999999999", 3],
        "test_size": [0, -1, 2, 1.5, "20", True, 10**6, float("nan")],
        "sampler": ["nope", 5, ""], "split": ["nope", 5, ""],
        "train_sizes": [[0], [-1], [], [1.5], ["a"], "abc", [2**63]],
        "fidelities": [[0], [-1], [], [1.5], ["a"], [100]],
    }
    for key, values in sweep_bad.items():
        for v in values:
            spec = base_spec()
            spec["sweep"][key] = v
            out.append((f"sweep.{key} = {toml_value(v)}", spec, (key,), {}))
    spec = base_spec()
    spec["sweep"]["nope"] = 1
    out.append(("an unknown sweep key", spec, ("nope",), {}))
    out.append(("an unknown section", {**base_spec(), "nope": {"a": 1}}, ("nope",), {}))
    out.append(("sweep = 5", {**base_spec(), "sweep": 5}, ("sweep",), {}))
    out.append(("no benchmarks", {k: v for k, v in base_spec().items() if k != "benchmarks"},
                ("benchmarks",), {}))
    out.append(("benchmarks = 5", {**base_spec(), "benchmarks": 5}, ("benchmarks",), {}))
    out.append(("no predictors", {k: v for k, v in base_spec().items() if k != "predictors"},
                ("predictors",), {}))
    out.append(("predictors = []", {**base_spec(), "predictors": []}, ("predictors",), {}))
    bench_bad: list[tuple[str, dict[str, Any], tuple[str, ...], dict[str, Any]]] = [
        ("a benchmark without kind", {"seed": 1}, ("kind",), {}),
        ("kind = nope", {"kind": "nope"}, ("nope",), {}),
        ("kind = 5", {"kind": 5}, ("kind",), {}),
        ("an unknown option", {"kind": "default", "nope": 1}, ("nope",), {}),
        ("seed = -4", {"kind": "default", "seed": -4}, ("seed",), {}),
        ("seed = abc", {"kind": "default", "seed": "abc"}, ("seed",), {}),
        ("seed = 1.5", {"kind": "default", "seed": 1.5}, ("seed",), {}),
        ("path missing", {"kind": "default", "path": "/nonexistent/x.npz"}, ("x.npz",), {}),
        ("path = 42", {"kind": "default", "path": 42}, ("path",), {}),
        ("path a cut npz", {"kind": "default", "path": "{in}/cut.npz"}, ("cut.npz",),
         {"cut.npz": npz_variants(fx["default.npz"])[0][1]}),
        ("label = 5", {"kind": "default", "label": 5}, ("label",), {}),
        ("table without path", {"kind": "table"}, ("path",), {}),
        ("table with a bad row", {"kind": "table", "path": "{in}/t.csv"}, ("t.csv",),
         {"t.csv": fx["table.csv"].decode() + "|bogus~0|,50\n"}),
        ("nb201 subset = nope", {"kind": "nb201", "subset": "nope"}, ("nope",), {}),
        ("suite_zero of junk", {"kind": "suite_zero", "path": "{in}/zc.json"}, ("zc.json",),
         {"zc.json": "{oops"}),
        ("live with epochs = 0", {"kind": "live", "db": "{in}/none.db", "epochs": 0},
         ("epochs",), {}),
    ]
    for label, entry, names, files in bench_bad:
        out.append((f"benchmarks[0]: {label}", {**base_spec(), "benchmarks": [entry]}, names,
                    files))
    pred_bad: list[tuple[str, Any, tuple[str, ...]]] = [
        ("a predictor without name", [{"params": {}}], ("name",)),
        ("name = nope", [{"name": "nope"}], ("nope",)),
        ("name = 5", [{"name": 5}], ("name",)),
        ("params = 5", [{"name": "xgb", "params": 5}], ("params",)),
        ("an unknown param", [{"name": "xgb", "params": {"nope": 1}}], ("nope",)),
        ("an unknown key", [{"name": "xgb", "foo": 1}], ("foo",)),
        ("a label used twice", [{"name": "xgb"}, {"name": "xgb"}], ("label", "xgb")),
        ("label = 5", [{"name": "xgb", "label": 5}], ("label",)),
        ("xgb num_boost_round = -5", [{"name": "xgb", "params": {"num_boost_round": -5}}],
         ("num_boost_round",)),
        ("xgb learning_rate = -1", [{"name": "xgb", "params": {"learning_rate": -1.0}}],
         ("learning_rate",)),
        ("gp noise = nan", [{"name": "gp", "params": {"noise": float("nan")}}], ("noise",)),
        ("snip preset = nope", [{"name": "snip", "params": {"preset": "nope"}}], ("preset",)),
        ("xgb encoding = nope", [{"name": "xgb", "params": {"encoding": "nope"}}],
         ("encoding",)),
        ("oneshot on the default benchmark with epochs = -1",
         [{"name": "oneshot", "params": {"epochs": -1}}], ("epochs",)),
        ("zc_ensemble proxies = [nope]",
         [{"name": "zc_ensemble", "params": {"proxies": ["nope"]}}], ("nope",)),
    ]
    for label, entries, names in pred_bad:
        out.append((f"predictors: {label}", {**base_spec(), "predictors": entries}, names, {}))
    good = GOOD_SPEC
    for label, text in [("binary", fx["random"]), ("not TOML", "[sweep\nseeds = ]"),
                        ("cut in half", good[:len(good) // 2]), ("empty", ""),
                        ("a UTF-16 file", good.encode("utf-16")),
                        ("duplicate keys", good.replace("test_size = 20",
                                                        "test_size = 20\ntest_size = 30"))]:
        out.append((f"file: {label}", text, ("spec.toml",), {}))
    return out


def spec_cases(fx: Fixtures) -> list[Case]:
    cases = []
    for label, spec, names, files in spec_mutations(fx):
        if isinstance(spec, (dict, list)):
            text = to_toml(spec)
        else:
            text = spec
        cases.append(Case("cli", "sweep", f"spec {label}",
                          "exit 2, one line naming spec.toml and the key", "sweep specs",
                          ["sweep", "{in}/spec.toml", "--db", "{work}/s.db"],
                          {"spec.toml": text, **files}, names=names))
    for ref, label in (("{in}/missing.toml", "missing"), ("{in}/a_dir", "a folder")):
        cases.append(Case("cli", "sweep", f"spec path {label}", "exit 2 naming the path",
                          "sweep specs", ["sweep", ref, "--db", "{work}/s.db"],
                          {"a_dir": DIR} if "dir" in ref else {},
                          names=(Path(ref).name,)))
    return cases


# -- resumable files: trajectories -----------------------------------------------------------
def trajectory_cases(fx: Fixtures) -> list[Case]:
    src = fx.root / "search" / "trajectories"
    name = sorted(p.name for p in src.glob("*.csv"))[0]
    good = (src / name).read_text()
    body, _, marker = good.rstrip("\n").rpartition("\n")
    lines = body.splitlines()
    tampered_value = "\n".join([lines[0], lines[1].replace(",", ",9", 1), *lines[2:]])
    variants = [
        ("cut in half", good[:len(good) // 2]),
        ("marker line removed", body + "\n"),
        ("a value changed, marker kept", tampered_value + "\n" + marker + "\n"),
        ("last row dropped, marker kept", "\n".join(lines[:-1]) + "\n" + marker + "\n"),
        ("empty", ""), ("random bytes", fx["random"]),
        ("a marker without rows", marker + "\n"),
    ]

    cases = []
    for label, content in variants:
        tampered = content if isinstance(content, str) else ""
        files = {"s": fx.root / "search", f"s/trajectories/{name}": content}
        cases.append(Case("cli", "search", f"a finished trajectory {label}, run again",
                          "redo it (exit 0, a complete file) or one line", "resumable files",
                          [*SEARCH_BASE, "-o", "{in}/s"], files, names=(name,),
                          codes=(1, 2), check=functools.partial(_traj_check, name=name,
                                                                tampered=tampered)))
    return cases


def _traj_check(root: Path, code: int, name: str, tampered: str) -> tuple[str, str] | None:
    path = root / "in" / "s" / "trajectories" / name
    text = path.read_text(errors="replace") if path.is_file() else ""
    body, _, last = text.rstrip("\n").rpartition("\n")
    found = re.fullmatch(r"# complete rows=(\d+) sha256=([0-9a-f]{64})", last)
    complete = bool(found) and hashlib.sha256((body + "\n").encode()).hexdigest() == \
        found.group(2) and len(body.splitlines()) - 1 == int(found.group(1))
    if code == 0 and complete and text != tampered:
        return "redone", "the damaged trajectory was detected and run again"
    if code == 0:
        return "false-success", "exit 0 and the damaged trajectory was kept as finished"
    return None


# ------------------------------------------------------------------------------------------
# API cases
# ------------------------------------------------------------------------------------------
@functools.cache
def _sz() -> Any:
    from benchmarks import load_benchmark

    return load_benchmark("nb201", subset="suite_zero")


@functools.cache
def _default() -> Any:
    from benchmarks import load_benchmark

    return load_benchmark("default")


def _space(name: str = "nb201") -> Any:
    from search_spaces import get_search_space

    return get_search_space(name)


def _arch(name: str = "nb201", seed: int = 0) -> Any:
    import numpy as np

    return _space(name).sample(np.random.default_rng(seed))


def _write(root: Path, name: str, content: Any) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is DIR:
        path.mkdir(exist_ok=True)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    return path


def api(target: str, label: str, names: tuple[str, ...], group: str,
        fn: Callable[[Path], Any], expected: str = "") -> Case:
    return Case("api", target, label, expected or f"ValueError/TypeError naming "
                                                  f"{' or '.join(names) or 'the argument'}",
                group, call=fn, names=names)


def api_cases(fx: Fixtures) -> list[Case]:
    import numpy as np
    import torch

    import predbench as pb

    cases: list[Case] = []
    add = cases.append

    # -- registries --------------------------------------------------------------------------
    for v in (None, 5, "", "nope"):
        add(api("get_search_space", repr(v), ("space",), "registries",
                lambda _, v=v: pb.get_search_space(v)))
        add(api("get_predictor", repr(v), ("predictor",), "registries",
                lambda _, v=v: pb.get_predictor(v)))
        add(api("load_benchmark", f"kind={v!r}", ("kind",), "registries",
                lambda _, v=v: pb.load_benchmark(v)))
        add(api("benchmark_options", repr(v), ("kind",), "registries",
                lambda _, v=v: pb.benchmark_options(v)))
    for v in ("nope", 5):
        add(api("list_predictors", f"family={v!r}", ("family",), "registries",
                lambda _, v=v: pb.list_predictors(v)))
    add(api("get_predictor", "xgb, config='nope'", ("nope",), "registries",
            lambda _: pb.get_predictor("xgb", config="nope")))
    add(api("get_predictor", "xgb, nope=1", ("nope",), "registries",
            lambda _: pb.get_predictor("xgb", nope=1)))
    add(api("get_predictor", "xgb, config=5", ("config",), "registries",
            lambda _: pb.get_predictor("xgb", config=5)))

    # -- load_benchmark: options and files -----------------------------------------------
    def lb(kind: str, **opts: Any) -> Callable[[Path], Any]:
        def call(root: Path) -> Any:
            resolved = {}
            for k, v in opts.items():
                if isinstance(v, tuple) and len(v) == 2 and v[0] == "file":
                    resolved[k] = str(_write(root, *v[1]))
                else:
                    resolved[k] = v
            return pb.load_benchmark(kind, **resolved)
        return call

    for v, label in ((-1, "-1"), ("abc", "'abc'"), (1.5, "1.5"), (True, "True"),
                     (2**63, "2**63")):
        add(api("load_benchmark", f"default, seed={label}", ("seed",), "load_benchmark",
                lb("default", seed=v)))
    add(api("load_benchmark", "default, nope=1", ("nope",), "load_benchmark",
            lb("default", nope=1)))
    for label, data in [("empty", b""), ("text", fx["text"]), ("random bytes", fx["random"]),
                        *npz_variants(fx["default.npz"])[:2]]:
        add(api("load_benchmark", f"default, path=<{label} npz>", ("d.npz",), "load_benchmark",
                lb("default", path=("file", ("d.npz", data)))))
    add(api("load_benchmark", "default, path=<a folder>", ("d.npz",), "load_benchmark",
            lb("default", path=("file", ("d.npz", DIR)))))
    add(api("load_benchmark", "default, path=<missing>", ("missing.npz",), "load_benchmark",
            lb("default", path="/nonexistent/missing.npz")))
    for label, data in npz_variants(fx["default.npz"])[2:]:
        add(api("load_benchmark", f"default, path=<npz: {label}>", ("d.npz",),
                "npz contents", lb("default", path=("file", ("d.npz", data)))))
    for v in (42, None, b"x.csv", ["a.csv"]):
        add(api("load_benchmark", f"table, path={v!r}", ("path",), "load_benchmark",
                lb("table", path=v, space="nb201")))
    add(api("load_benchmark", "table, space='nope'", ("nope",), "load_benchmark",
            lb("table", path=("file", ("t.csv", fx["table.csv"])), space="nope")))
    add(api("load_benchmark", "table, target=5", ("target",), "load_benchmark",
            lb("table", path=("file", ("t.csv", fx["table.csv"])), target=5)))
    add(api("load_benchmark", "table, reported_epochs=-1", ("reported_epochs",),
            "load_benchmark", lb("table", path=("file", ("t.csv", fx["table.csv"])),
                                 reported_epochs=-1)))
    add(api("load_benchmark", "table, reported_epochs=0", ("reported_epochs",),
            "load_benchmark", lb("table", path=("file", ("t.csv", fx["table.csv"])),
                                 reported_epochs=0)))
    add(api("load_benchmark", "table, seconds_column='nope'", ("nope",), "load_benchmark",
            lb("table", path=("file", ("t.csv", fx["table.csv"])), seconds_column="nope")))
    add(api("load_benchmark", "table, test_column='arch' (text)", ("arch",), "load_benchmark",
            lb("table", path=("file", ("t.csv", fx["table.csv"])), test_column="arch")))
    add(api("load_benchmark", "suite_zero, space='darts' for an NB201 file", ("darts",),
            "load_benchmark", lb("suite_zero", path=("file", ("zc.json", fx["zc.json"])),
                                 space="darts")))
    for opt, v in (("subset", "nope"), ("dataset", "nope"), ("dataset", 5), ("subset", None)):
        add(api("load_benchmark", f"nb201, {opt}={v!r}", (opt,), "load_benchmark",
                lb("nb201", **{opt: v})))
    add(api("load_benchmark", "nlp, dataset='nope'", ("nope",), "load_benchmark",
            lb("nlp", dataset="nope")))
    for opt, v in (("db", 42), ("space", "nope"), ("dataset", "nope"), ("preset", "nope"),
                   ("epochs", 0), ("threads", 0), ("device", "tpu"), ("recipe", "nope"),
                   ("seed", -1)):
        add(api("load_benchmark", f"live, {opt}={v!r} (store: the fixture run.db)", (opt, str(v)),
                "load_benchmark", lb("live", **{"db": ("file", ("run.db", fx["run.db"])),
                                                opt: v})))
    add(api("load_benchmark", "live, db=<sweep store>", ("s.db",), "load_benchmark",
            lb("live", db=("file", ("s.db", fx["sweep.db"])))))
    for i, (label, data) in enumerate(db_variants(fx["run.db"])):
        add(api("load_benchmark", f"live, db=<run.db {label}>", ("c.db",), "load_benchmark",
                lb("live", db=("file", ("c.db", data)))))
    for opt, v in (("repeat", -1), ("epochs", 0)):
        add(api("load_benchmark", f"naslib, {opt}={v} (junk file)", (opt,), "load_benchmark",
                lb("naslib", path=("file", ("nb_nlp.pickle", fx["random"])), **{opt: v})))
    add(api("load_benchmark", "nb201_official, hp='7' (junk file)", ("hp", "NB.pth", "pip install"),
            "load_benchmark", lb("nb201_official", path=("file", ("NB.pth", fx["random"])),
                                 hp="7")))

    # -- search spaces ---------------------------------------------------------------------
    for space, muts in arch_mutations().items():
        for label, text in muts:
            add(api(f"{space}.parse", label, ("arch", space), "arch strings",
                    lambda _, s=space, t=text: _space(s).parse(t)))
        for v in (5, None, b"bytes", ["x"]):
            add(api(f"{space}.parse", repr(v), ("arch", "str", space), "arch strings",
                    lambda _, s=space, v=v: _space(s).parse(v)))
    nb201 = _space("nb201")
    for v in (-1, 15625, 3.7, True, "5", None, 2**70, np.float64(3.0)):
        add(api("nb201.from_index", repr(v), ("index",), "search spaces",
                lambda _, v=v: nb201.from_index(v)))
    sz_keys = {"nb201": [(1, 2, 3), (9, 9, 9, 9, 9, 9), (-1, 0, 0, 0, 0, 0), "(a, b)",
                         None, "", (True, False, 1, 2, 3, 4), (1.0, 2, 3, 4, 0, 1)],
               "nb101": [(1, 2, 3), tuple([9] * 56), tuple([0] * 55 + [-1]), "junk", None],
               "darts": [(1, 2, 3), "junk", None, ((0, 9),) * 8],
               "nlp": [(1, 2, 3), "junk", None, ((), (), ())]}
    for space, keys in sz_keys.items():
        for key in keys:
            add(api(f"{space}.from_suite_zero", repr(key), ("key", "suite-zero", "suite_zero"),
                    "search spaces", lambda _, s=space, k=key: _space(s).from_suite_zero(k)))
    nb101 = _space("nb101")
    eye = np.eye(7, k=1, dtype=int).tolist()
    ops7 = ["input"] + ["conv3x3-bn-relu"] * 5 + ["output"]
    specs = [("a 3x4 matrix", [[0, 1, 0, 0]] * 3, ops7[:3]),
             ("ops shorter than the matrix", eye, ops7[:5]),
             ("an unknown op", eye, ["input"] + ["conv9x9"] * 5 + ["output"]),
             ("a lower-triangular edge", [r[:] for r in eye[:6]] + [[1, 0, 0, 0, 0, 0, 0]],
              ops7),
             ("8 vertices", np.eye(8, k=1, dtype=int).tolist(),
              ["input"] + ["conv3x3-bn-relu"] * 6 + ["output"]),
             ("entries of 2", (np.array(eye) * 2).tolist(), ops7),
             ("text entries", [["a"] * 7] * 7, ops7),
             ("an empty matrix", [], [])]
    for label, matrix, ops in specs:
        add(api("nb101.from_spec", label, ("matrix", "ops", "spec", "vertices", "op"),
                "search spaces", lambda _, m=matrix, o=ops: nb101.from_spec(m, o)))
    for space in ("nb201", "nb101", "darts", "nlp"):
        sp = _space(space)
        a = _arch(space)
        add(api(f"{space}.encode", "kind='nope'", ("nope",), "search spaces",
                lambda _, sp=sp, a=a: sp.encode(a, "nope")))
        add(api(f"{space}.encode", "arch='garbage'", ("arch", "garbage"), "search spaces",
                lambda _, sp=sp: sp.encode("garbage")))
        add(api(f"{space}.encode", "arch=None", ("arch", "None"), "search spaces",
                lambda _, sp=sp: sp.encode(None)))
        add(api(f"{space}.graph", "arch=5", ("arch", "5", "int"), "search spaces",
                lambda _, sp=sp: sp.graph(5)))
        add(api(f"{space}.info", "an arch of another space", ("arch", "space"), "search spaces",
                lambda _, sp=sp, o=("nb101" if space != "nb101" else "nb201"):
                sp.info(_arch(o))))
        add(api(f"{space}.format", "'garbage' (text, not an Arch)", ("arch", "garbage"),
                "search spaces", lambda _, sp=sp: sp.format("garbage")))
        add(api(f"{space}.to_suite_zero", "None", ("arch",), "search spaces",
                lambda _, sp=sp: sp.to_suite_zero(None)))
        add(api(f"{space}.sample", "rng=5", ("rng", "generator"), "search spaces",
                lambda _, sp=sp: sp.sample(5)))
        add(api(f"{space}.sample", "rng=None", ("rng", "generator"), "search spaces",
                lambda _, sp=sp: sp.sample(None)))
        add(api(f"{space}.mutate", "rng='x'", ("rng", "generator"), "search spaces",
                lambda _, sp=sp, a=a: sp.mutate(a, "x")))
        add(api(f"{space}.neighbors", "None", ("arch",), "search spaces",
                lambda _, sp=sp: sp.neighbors(None)))
        for nc in (0, -1, 1.5, "10", 2**63):
            add(api(f"{space}.build_network", f"num_classes={nc!r}", ("num_classes",),
                    "search spaces", lambda _, sp=sp, a=a, nc=nc:
                    sp.build_network(a, num_classes=nc, preset="small")))
        add(api(f"{space}.build_network", "preset='nope'", ("nope",), "search spaces",
                lambda _, sp=sp, a=a: sp.build_network(a, num_classes=10, preset="nope")))
        add(api(f"{space}.build_network", "preset=5", ("preset",), "search spaces",
                lambda _, sp=sp, a=a: sp.build_network(a, num_classes=10, preset=5)))
    add(api("split_of", "'text' (not an Arch)", ("arch",), "search spaces",
            lambda _: pb.split_of("|x~0|")))
    add(api("split_of", "None", ("arch",), "search spaces", lambda _: pb.split_of(None)))

    # -- evaluate ----------------------------------------------------------------------------
    def ev(bench: str = "sz", **kw: Any) -> Callable[[Path], Any]:
        def call(_: Path) -> Any:
            args = {"test_size": 20, "seeds": [0], "train_sizes": [10], **kw}
            target = {"sz": _sz, "default": _default}[bench]() if bench in ("sz", "default") \
                else args.pop("benchmark")
            return pb.evaluate(target, args.pop("predictor", "params"), **args)
        return call

    evaluate_bad: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
        ("predictor='nope'", "sz", {"predictor": "nope"}, ("nope",)),
        ("predictor=5", "sz", {"predictor": 5}, ("predictor",)),
        ("predictor=None", "sz", {"predictor": None}, ("predictor",)),
        ("benchmark=None", "given", {"benchmark": None}, ("benchmark",)),
        ("benchmark='default' (a name, not a benchmark)", "given", {"benchmark": "default"},
         ("benchmark",)),
        ("an images-only predictor (oneshot) on a table", "sz", {"predictor": "oneshot"},
         ("oneshot", "images")),
        ("train_sizes=[] (xgb)", "sz", {"train_sizes": [], "predictor": "xgb"},
         ("train_sizes",)),
    ]
    for v in ([-3], [1.5], ["a"], "abc", 5, [2**63]):
        evaluate_bad.append((f"train_sizes={v!r} (xgb)", "sz", {"train_sizes": v,
                                                               "predictor": "xgb"},
                             ("train_sizes", "train size")))
    for v in ([-1], [2.5], ["a"], 5, [10**6], []):
        evaluate_bad.append((f"fidelities={v!r} (sotle on the default benchmark)", "default",
                             {"fidelities": v, "predictor": "sotle", "train_sizes": None},
                             ("fidelities", "fidelity")))
    for key, values in (("test_size", [0, -1, 1.5, "20", 2, True, 10**6]),
                        ("seeds", [[-1], [1.5], "ab", None, 5, []]),
                        ("sampler", ["nope", 5]), ("split", ["nope", None]),
                        ("device", ["tpu", 5]), ("progress", [5])):
        for v in values:
            evaluate_bad.append((f"{key}={v!r}", "sz", {key: v}, (key, key.rstrip("s"),
                                                                  repr(v))))
    for label, bench, kw, names in evaluate_bad:
        add(api("evaluate", label, names, "evaluate", ev(bench, **kw)))

    # -- run_search ----------------------------------------------------------------------
    def rs(algo: str = "rs", **kw: Any) -> Callable[[Path], Any]:
        def call(_: Path) -> Any:
            args = {"budget": 5, "seed": 0, **kw}
            bench = args.pop("benchmark", _sz())
            return pb.run_search(algo, bench, **args)
        return call

    search_bad: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        ("nope", {}, ("nope",)), (None, {}, ("algo", "None")),
        ("rs", {"benchmark": None}, ("benchmark",)),
        ("rs", {"budget": 0}, ("budget",)), ("rs", {"budget": -1}, ("budget",)),
        ("rs", {"budget": 1.5}, ("budget",)), ("rs", {"budget": True}, ("budget",)),
        ("rs", {"budget": "5"}, ("budget",)),
        ("rs", {"budget": None, "budget_seconds": None}, ("budget",)),
        ("rs", {"budget_seconds": -1}, ("budget_seconds",)),
        ("rs", {"budget_seconds": float("nan")}, ("budget_seconds",)),
        ("rs", {"budget_seconds": 0}, ("budget_seconds",)),
        ("rs", {"seed": -1}, ("seed",)), ("rs", {"seed": 1.5}, ("seed",)),
        ("rs", {"seed": "a"}, ("seed",)), ("rs", {"seed": None}, ("seed",)),
        ("rs", {"split": "nope"}, ("nope",)), ("rs", {"nope": 1}, ("nope",)),
        ("rs", {"on_step": 5}, ("on_step",)), ("rs", {"optimum": "x"}, ("optimum",)),
        ("npenas", {"predictor": "nope"}, ("nope",)), ("npenas", {"predictor": 5},
                                                       ("predictor",)),
        ("npenas", {"predictor_params": {"nope": 1}}, ("nope",)),
        ("npenas", {"predictor_params": 5}, ("predictor_params",)),
        ("re", {"population": -1}, ("population",)), ("re", {"population": "abc"},
                                                      ("population",)),
        ("re", {"sample": 0}, ("sample",)), ("npenas", {"k": 0}, ("k",)),
        ("npenas", {"num_candidates": -1}, ("num_candidates",)),
        ("npenas", {"candidates": "nope"}, ("candidates", "nope")),
        ("npenas", {"fidelity": -1}, ("fidelity",)),
        ("bananas", {"acquisition": "nope"}, ("acquisition", "nope")),
        ("bananas", {"ensemble_size": 0}, ("ensemble_size",)),
        ("ls", {"move": "nope"}, ("move", "nope")), ("ls", {"num_init": 0}, ("num_init",)),
    ]
    for algo, kw, names in search_bad:
        add(api("run_search", f"algo={algo!r}, " + ", ".join(f"{k}={v!r}" for k, v in kw.items()),
                names, "run_search", rs(algo, **kw)))

    # -- sweeps: run_sweep, parse_spec -------------------------------------------------------
    def sweep_call(store: Any = None, **kw: Any) -> Callable[[Path], Any]:
        def call(root: Path) -> Any:
            spec = pb.parse_spec(base_spec())
            target = store(root) if callable(store) else store
            return pb.run_sweep(spec, target, **kw)
        return call

    add(api("run_sweep", "store_path=<a folder>", ("store", "directory", "folder"),
            "run_sweep", sweep_call(lambda r: _write(r, "d", DIR))))
    add(api("run_sweep", "store_path=<under a file>", ("a_file",), "run_sweep",
            sweep_call(lambda r: _write(r, "a_file", "x") / "s.db")))
    add(api("run_sweep", "store_path=<a text file>", ("t.db",), "run_sweep",
            sweep_call(lambda r: _write(r, "t.db", fx["text"]))))
    add(api("run_sweep", "store_path=42", ("store", "42"), "run_sweep", sweep_call(42)))
    for kw in ({"workers": 0}, {"workers": -1}, {"workers": 1.5}, {"workers": "2"},
               {"executor": "nope"}):
        k, v = next(iter(kw.items()))
        add(api("run_sweep", f"{k}={v!r}", (k,), "run_sweep",
                sweep_call(lambda r: r / "s.db", **kw)))
    add(api("run_sweep", "spec=<a dict, not a SweepSpec>", ("spec",), "run_sweep",
            lambda r: pb.run_sweep(base_spec(), r / "s.db")))
    for v in (None, [], {"sweep": 5}, "spec.toml"):
        add(api("parse_spec", repr(v), ("spec", "sweep", "benchmarks", "dict"), "parse_spec",
                lambda _, v=v: pb.parse_spec(v)))
    for v in (42, None):
        add(api("load_spec", repr(v), ("spec", "path", str(v)), "parse_spec",
                lambda _, v=v: pb.load_spec(v)))
    cases += hyperparameter_cases()

    # -- zero-cost scoring ----------------------------------------------------------------
    from predictors.zero_cost import score

    @functools.cache
    def net() -> Any:
        return nb201.build_network(nb201.from_index(100), num_classes=10, preset="small")

    @functools.cache
    def lm() -> Any:
        return _space("nlp").build_network(_arch("nlp"), num_classes=50, preset="small")

    x, y = torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 3])
    zc_bad: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
        ("network=None", lambda: score(None, (x, y), ["snip"]), ("network",)),
        ("network='x'", lambda: score("x", (x, y), ["snip"]), ("network",)),
        ("inputs 2-D", lambda: score(net(), (torch.randn(4, 3), y), ["snip"]),
         ("batch", "inputs", "shape")),
        ("1 channel for a 3-channel network",
         lambda: score(net(), (torch.randn(4, 1, 8, 8), y), ["snip"]),
         ("batch", "channel", "inputs")),
        ("labels out of range (10 classes, label 10)",
         lambda: score(net(), (x, torch.tensor([0, 1, 2, 10])), ["snip"]), ("label",)),
        ("a negative label", lambda: score(net(), (x, torch.tensor([0, 1, 2, -1])), ["snip"]),
         ("label",)),
        ("float labels", lambda: score(net(), (x, torch.tensor([0.5, 1, 2, 3])), ["snip"]),
         ("label",)),
        ("labels 2-D", lambda: score(net(), (x, torch.zeros(4, 2, dtype=torch.long)),
                                     ["snip"]), ("label",)),
        ("NaN inputs", lambda: score(net(), (torch.full((4, 3, 8, 8), float("nan")), y),
                                     ["snip", "jacov"]), ("nan", "batch", "inputs")),
        ("a 3-tuple batch", lambda: score(net(), (x, y, y), ["snip"]), ("batch",)),
        ("the inputs alone as batch", lambda: score(net(), x, ["snip"]), ("batch",)),
        ("a batch of lists", lambda: score(net(), ([[1.0]], [0]), ["snip"]), ("batch",)),
        ("proxies='snip' (a string)", lambda: score(net(), (x, y), "snip"), ("proxies",)),
        ("proxies=['nope']", lambda: score(net(), (x, y), ["nope"]), ("nope",)),
        ("proxies=[]", lambda: score(net(), (x, y), []), ("proxies",)),
        ("proxies=[5]", lambda: score(net(), (x, y), [5]), ("proxies", "5")),
        ("a data proxy with no batch", lambda: score(net(), None, ["snip"]), ("batch",)),
        ("input_shape=(0, 32, 32)", lambda: score(net(), None, ["synflow"],
                                                  input_shape=(0, 32, 32)), ("input_shape",)),
        ("input_shape=(3, -1, 32)", lambda: score(net(), None, ["synflow"],
                                                  input_shape=(3, -1, 32)), ("input_shape",)),
        ("input_shape='abc'", lambda: score(net(), None, ["synflow"], input_shape="abc"),
         ("input_shape",)),
        ("batch_size=0 for zen", lambda: score(net(), None, ["zen"], batch_size=0),
         ("batch_size",)),
        ("batch_size=-1 for zen", lambda: score(net(), None, ["zen"], batch_size=-1),
         ("batch_size",)),
        ("seed=-1 for zen", lambda: score(net(), None, ["zen"], seed=-1), ("seed",)),
        ("seed='a' for zen", lambda: score(net(), None, ["zen"], seed="a"), ("seed",)),
        ("input_kind='nope'", lambda: score(net(), (x, y), ["snip"], input_kind="nope"),
         ("input_kind", "nope")),
        ("a token batch on an image network",
         lambda: score(net(), (torch.zeros(4, 35, dtype=torch.long),
                               torch.zeros(4, 35, dtype=torch.long)), ["snip"]),
         ("batch", "token", "image")),
        ("an image batch on a language model", lambda: score(lm(), (x, y), ["snip"]),
         ("batch", "token", "image")),
        ("token ids beyond the vocabulary",
         lambda: score(lm(), (torch.full((2, 35), 999, dtype=torch.long),
                              torch.zeros(2, 35, dtype=torch.long)), ["snip"]),
         ("token", "vocabulary")),
        ("epe_nas on a language model", lambda: score(lm(), None, ["epe_nas"]), ("epe_nas",)),
    ]
    for label, fn, names in zc_bad:
        add(api("zero_cost.score", label, names, "zero-cost", lambda _, fn=fn: fn()))

    # -- metrics -------------------------------------------------------------------------
    metric_fns = {"pearson": pb.pearson, "spearman": pb.spearman,
                  "kendall_tau": pb.kendall_tau, "sparse_kendall_tau": pb.sparse_kendall_tau,
                  "precision_at_k": lambda a, b: pb.precision_at_k(a, b, 2)}
    metric_bad = [("lengths 3 vs 2", [1, 2, 3], [1, 2]), ("text", [1, 2, 3], ["a", "b", "c"]),
                  ("None", None, [1, 2, 3]), ("a dict", {1: 2}, [1, 2, 3]),
                  ("shapes (3, 2) vs (2, 3)", np.ones((3, 2)), np.arange(6).reshape(2, 3)),
                  ("complex values", [1j, 2, 3], [1, 2, 3]),
                  ("a generator", (i for i in range(3)), [1, 2, 3]),
                  ("a scalar", 5, [1, 2, 3])]
    for fname, fn in metric_fns.items():
        for label, a, b in metric_bad:
            add(api(fname, label, ("length", "labels", "predictions", "y", "pred", "shape",
                                   "numbers", "numeric", *(("'a'",) if label == "text" else ())),
                    "metrics",
                    lambda _, fn=fn, a=a, b=b: fn(a, b)))
    y3, p3 = np.array([1.0, 2, 3, 4]), np.array([4.0, 3, 2, 1])
    for k in (0, -1, 1.5, "2", True, None):  # k > n is NaN by design
        add(api("precision_at_k", f"k={k!r}", ("k",), "metrics",
                lambda _, k=k: pb.precision_at_k(y3, p3, k)))
    for kw in ({"decimals": 1.5}, {"decimals": "x"}, {"scale": "nope"}, {"scale": None}):
        k, v = next(iter(kw.items()))
        add(api("sparse_kendall_tau", f"{k}={v!r}", (k, str(v)), "metrics",
                lambda _, kw=kw: pb.sparse_kendall_tau(y3, p3, **kw)))

    # -- predictors: fit / query with wrong shapes and contexts --------------------------
    def fit_query(name: str, what: str) -> Callable[[Path], Any]:
        def call(_: Path) -> Any:
            bench = _sz()
            archs = bench.archs()
            train, test = archs[:12], archs[12:20]
            yv = bench.final_val_acc(train)
            ctx = pb.Context(bench.space)
            p = pb.get_predictor(name)
            if what == "y shorter than archs":
                return p.fit(train, yv[:-3], ctx)
            if what == "y with NaN":
                return p.fit(train, np.where(np.arange(len(yv)) % 2, np.nan, yv), ctx)
            if what == "y as text":
                return p.fit(train, ["a"] * len(train), ctx)
            if what == "y 2-D":
                return p.fit(train, np.stack([yv, yv], 1), ctx)
            if what == "archs as garbage text":
                return p.fit(["garbage"] * len(train), yv, ctx)
            if what == "archs of another space":
                return p.fit([_arch("nb101", i) for i in range(len(train))], yv, ctx)
            if what == "an empty train set":
                return p.fit([], np.array([]), ctx)
            if what == "ctx=None":
                return p.fit(train, yv, None)
            if what == "ctx.space a string":
                return p.fit(train, yv, pb.Context("nb201"))
            if what == "query before fit":
                return p.query(test, ctx)
            if what == "query garbage archs":
                return p.fit(train, yv, ctx).query(["garbage"], ctx)
            if what == "query an arch of another space":
                return p.fit(train, yv, ctx).query([_arch("nb101")], ctx)
            raise AssertionError(what)
        return call

    fit_bad = ["y shorter than archs", "y with NaN", "y as text", "y 2-D",
               "archs as garbage text", "archs of another space", "an empty train set",
               "ctx=None", "ctx.space a string", "query before fit", "query garbage archs",
               "query an arch of another space"]
    fit_names = {"y shorter than archs": ("y", "length", "labels"),
                 "y with NaN": ("y", "nan", "labels"), "y as text": ("y", "labels", "numbers"),
                 "y 2-D": ("y", "labels", "shape"), "archs as garbage text": ("arch", "garbage"),
                 "archs of another space": ("arch", "space", "nb101"),
                 "an empty train set": ("empty", "archs", "train"),
                 "ctx=None": ("ctx", "context"), "ctx.space a string": ("space", "ctx"),
                 "query before fit": ("fit",), "query garbage archs": ("arch", "garbage"),
                 "query an arch of another space": ("arch", "space", "nb101")}
    for name in ("xgb", "gp", "rf", "bayes_lin_reg", "mlp"):
        for what in fit_bad:
            add(api(f"{name}.fit/query", what, fit_names[what], "predictor fit/query",
                    fit_query(name, what)))

    def lc_query(name: str, what: str) -> Callable[[Path], Any]:
        def call(_: Path) -> Any:
            bench = _default()
            archs = bench.archs()
            p = pb.get_predictor(name)
            if what == "no curves in the context":
                return p.query(archs[:5], pb.Context(bench.space, fidelity=2))
            if what == "fidelity 0":
                ctx = pb.Context.for_benchmark(bench, [], archs[:5], 0)
                return p.query(archs[:5], ctx)
            if what == "fidelity -1":
                ctx = pb.Context.for_benchmark(bench, [], archs[:5], -1)
                return p.query(archs[:5], ctx)
            if what == "fidelity beyond max_epochs":
                ctx = pb.Context.for_benchmark(bench, [], archs[:5], 99)
                return p.query(archs[:5], ctx)
            if what == "query archs outside the context":
                ctx = pb.Context.for_benchmark(bench, [], archs[:5], 2)
                return p.query(archs[10:15], ctx)
            raise AssertionError(what)
        return call

    for name in ("sotle", "valacc", "lce"):
        for what in ("no curves in the context", "fidelity 0", "fidelity -1",
                     "fidelity beyond max_epochs", "query archs outside the context"):
            add(api(f"{name}.query", what, ("fidelity", "curve", "curves", "epoch"),
                    "predictor fit/query", lc_query(name, what)))

    def zc_query(what: str) -> Callable[[Path], Any]:
        def call(_: Path) -> Any:
            bench = _default()
            archs = bench.archs()[:3]
            p = pb.get_predictor("snip", use_stored=False)
            if what == "no batch in the context (a data proxy)":
                return p.query(archs, pb.Context(bench.space))
            if what == "a batch function that returns junk":
                return p.query(archs, pb.Context(bench.space, batch=lambda n, s: (1, 2)))
            if what == "num_classes=0":
                ctx = pb.Context.for_benchmark(bench, [], archs)
                ctx.num_classes = 0
                return p.query(archs, ctx)
            raise AssertionError(what)
        return call

    for what in ("no batch in the context (a data proxy)", "a batch function that returns junk",
                 "num_classes=0"):
        add(api("snip.query", what, ("batch", "num_classes", "context"),
                "predictor fit/query", zc_query(what)))

    # -- benchmark methods -----------------------------------------------------------------
    bm: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
        ("curve('garbage')", lambda: _sz().curve("garbage"), ("garbage", "arch")),
        ("curve(an nb101 arch)", lambda: _sz().curve(_arch("nb101")), ("arch", "nb101")),
        ("curve(5)", lambda: _sz().curve(5), ("arch", "5")),
        ("curve(an arch not in the table)",
         lambda: (lambda held: _sz().curve(next(
             a for a in (nb201.from_index(i) for i in range(15625)) if a not in held)))(
             set(_sz().archs())), ("arch",)),
        ("final_val_acc(['x'])", lambda: _sz().final_val_acc(["x"]), ("arch", "x")),
        ("final_val_acc('abc') (a string)", lambda: _sz().final_val_acc("abc"),
         ("arch", "abc")),
        ("batch() on a table (no images)", lambda: _sz().batch(4, 0), ("images", "batch")),
        ("default.batch(0, 0)", lambda: _default().batch(0, 0), ("n", "batch")),
        ("default.batch(-1, 0)", lambda: _default().batch(-1, 0), ("n", "batch")),
        ("default.batch(2.5, 0)", lambda: _default().batch(2.5, 0), ("n", "batch")),
        ("default.batch(4, -1)", lambda: _default().batch(4, -1), ("seed",)),
        ("default.batch(10**9, 0)", lambda: _default().batch(10**9, 0), ("n", "batch")),
        ("proxy_score(arch, 'nope')", lambda: _sz().proxy_score(_sz().archs()[0], "nope"),
         ("nope",)),
        ("proxy_scores('nope')", lambda: _sz().proxy_scores("nope"), ("nope",)),
        ("proxy_score('garbage', 'synflow')", lambda: _sz().proxy_score("garbage", "synflow"),
         ("garbage", "arch")),
        ("Context.for_benchmark(fidelity=-1)",
         lambda: pb.Context.for_benchmark(_default(), [], _default().archs()[:2], -1),
         ("fidelity",)),
        ("Context.for_benchmark(query archs not in it)",
         lambda: pb.Context.for_benchmark(_sz(), [], ["garbage"], 0), ("garbage", "arch")),
    ]
    for label, fn, names in bm:
        add(api("Benchmark." + label.split("(")[0], label, names, "benchmark methods",
                lambda _, fn=fn: fn()))
    return cases


SKIP_HYPER = {"n_jobs": "-1 means every core", "bagging_freq": "0 or less disables bagging"}


def hyperparameter_cases() -> list[Case]:
    """parse_spec with each numeric hyperparameter of each predictor set to -1: the spec edge
    where a sweep's values are (to be) checked before any cell runs."""
    import predbench as pb
    from predictors.base import predictor_class

    cases = []
    for name in pb.list_predictors():
        cls = predictor_class(name)
        for pname, prm in inspect.signature(cls.__init__).parameters.items():
            default = prm.default
            if pname in SKIP_HYPER or isinstance(default, bool) or \
                    not isinstance(default, (int, float)):
                continue
            bad = -1 if isinstance(default, int) else -1.0

            def call(_: Path, name: str = name, pname: str = pname, bad: Any = bad) -> Any:
                spec = base_spec()
                spec["predictors"] = [{"name": name, "params": {pname: bad}}]
                return pb.parse_spec(spec)

            cases.append(Case("api", "parse_spec (predictor params)",
                              f"{name}: {pname} = {bad} (default {default!r})",
                              f"SpecError naming {pname}", "hyperparameters", call=call,
                              names=(pname,)))
    return cases


# ------------------------------------------------------------------------------------------
def all_cases(fx: Fixtures) -> list[Case]:
    cases = [*option_cases(fx), *click_cases(fx), *arch_cases(), *combo_cases(fx),
             *target_cases(fx), *spec_cases(fx), *trajectory_cases(fx), *api_cases(fx)]
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for c in cases:
        key = (c.surface, c.target, c.input)
        if key in seen:
            continue
        seen.add(key)
        unique.append(c)
    return unique


def install_stubs() -> None:
    """Real work is replaced by stubs that raise: an accepted bad value never trains."""
    import benchmarks.live
    import benchmarks.live_ray
    import predbench.cli.main_job

    def started(what: str) -> Callable[..., Any]:
        def stub(*_: object, **__: object) -> Any:
            raise Started(f"started {what}")
        return stub

    import benchmarks.training

    benchmarks.live.run_workers = started("training (local workers)")
    benchmarks.training.train_arch = started("training an arch in this process")
    benchmarks.live_ray.run_ray_workers = started("training (Ray tasks)")
    predbench.cli.main_job.run_main_job = started("the main job")
    try:
        import ray

        ray.init = started("Ray")
    except ImportError:
        pass


def main() -> None:
    global CASE_SECONDS, _RUNNER
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="regex over 'surface group target: input'")
    parser.add_argument("--list", action="store_true", help="list the cases, run nothing")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seconds", type=int, default=CASE_SECONDS)
    options = parser.parse_args()
    CASE_SECONDS = options.seconds

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, hard))
    from typer.testing import CliRunner

    _RUNNER = CliRunner()
    start = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="predbench-hostile-"))
    os.environ["PREDBENCH_CACHE"] = str(tmp / "cache")
    os.environ["MPLCONFIGDIR"] = str(tmp / "mpl")
    os.environ.setdefault("COLUMNS", "200")
    fx = Fixtures(tmp / "fixtures")
    fx.build()
    install_stubs()
    cases = all_cases(fx)
    if options.only:
        pattern = re.compile(options.only)
        cases = [c for c in cases
                 if pattern.search(f"{c.surface} {c.group} {c.target}: {c.input}")]
    print(f"{len(cases)} cases ({sum(c.surface == 'cli' for c in cases)} CLI, "
          f"{sum(c.surface == 'api' for c in cases)} API); fixtures in {time.time() - start:.0f} s",
          flush=True)
    if options.list:
        for c in cases:
            print(c.surface, "|", c.target, "|", c.input)
        return
    rows = []
    for i, case in enumerate(cases):
        root = tmp / "cases" / f"{i:04d}"
        t0 = time.time()
        try:
            res = run_cli(case, root) if case.surface == "cli" else run_api(case, root)
        except Exception as exc:  # noqa: BLE001 - the harness itself failed on this case
            os.chdir(ROOT)
            release(exc)
            res = Result("other", "", "", f"harness error: {one(repr(exc), 200)}")
            del exc
            gc.collect()
        shutil.rmtree(root, ignore_errors=True)
        rows.append({"surface": case.surface, "command_or_function": case.target,
                     "input": case.input, "expected": case.expected, "outcome": res.outcome,
                     "exit_code": res.exit_code, "first_line": scrub(res.first_line, root),
                     "group": case.group, "detail": scrub(res.detail, root)})
        if time.time() - t0 > 5:
            print(f"  slow ({time.time() - t0:.0f} s): {case.target} {case.input}", flush=True)
        if (i + 1) % 100 == 0:
            print(f"  {i + 1}/{len(cases)} in {time.time() - start:.0f} s", flush=True)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    with options.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    shutil.rmtree(tmp, ignore_errors=True)
    summarise(rows, time.time() - start, options.out)


def scrub(text: str, root: Path) -> str:
    """The text without what differs between runs: the case's folder, addresses, pids."""
    text = text.replace(str(root), "<case>").replace(str(root.parent.parent), "<tmp>")
    text = re.sub(r"0x[0-9a-f]{6,}", "0x...", text)
    return re.sub(r"\.(\d+)\.tmp\.npz", ".<pid>.tmp.npz", text)


def summarise(rows: list[dict[str, str]], seconds: float, out: Path) -> None:
    outcomes = ["one-line", "clear", "redone", "traceback", "false-success", "other"]
    counts = Counter((r["surface"], r["outcome"]) for r in rows)
    print(f"\n{len(rows)} hostile inputs in {seconds:.0f} s -> {os.path.relpath(out, ROOT)}\n")
    print(f"{'surface':<8}{'tried':>7}" + "".join(f"{o:>15}" for o in outcomes))
    for surface in ("cli", "api"):
        n = sum(r["surface"] == surface for r in rows)
        print(f"{surface:<8}{n:>7}" + "".join(f"{counts[(surface, o)]:>15}" for o in outcomes))
    total = Counter(r["outcome"] for r in rows)
    print(f"{'all':<8}{len(rows):>7}" + "".join(f"{total[o]:>15}" for o in outcomes))
    print("\nper group (good / not good):")
    groups = Counter((r["surface"], r["group"]) for r in rows)
    for (surface, group), n in sorted(groups.items()):
        good = sum(1 for r in rows if r["surface"] == surface and r["group"] == group
                   and r["outcome"] in GOOD[surface])
        print(f"  {surface} {group:<24} {good:>4} / {n - good:<4}")
    bad = [r for r in rows if r["outcome"] not in GOOD[r["surface"]]]
    print(f"\n{len(bad)} cases that are not one-line / clear / redone:")
    for r in bad:
        print(f"- [{r['outcome']}] {r['surface']} {r['command_or_function']}: {r['input']} "
              f"(exit {r['exit_code'] or '-'}): {r['first_line'][:160]} || {r['detail'][:200]}")


if __name__ == "__main__":
    main()
