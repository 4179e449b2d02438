"""Issue 20 item 4: every option of every command, given bad values, is refused before any work
with ONE line naming it, exit code 2, no traceback, and no file written or left behind.

The table of commands and options is derived from the CLI's own definitions (the typed
signatures typer reads), so an option added later is fuzzed too; the bad values come from each
option's type (integers, numbers, choices, inputs that must exist, outputs that cannot be made)
and from the meaning every count, size, seed and budget of this CLI shares (never negative).
A command that started working on a bad value would take seconds: an alarm fails it at 20 s.
"""

from __future__ import annotations

import inspect
import signal
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.models import ArgumentInfo, OptionInfo
from typer.testing import CliRunner

from predbench.cli.commands import app

NB201_ARCH = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
              "+|skip_connect~0|none~1|nor_conv_3x3~2|")
#: options whose text is free (a title, an address, key=value lists checked elsewhere)
FREE_TEXT = {"--title", "--command", "--arch-column", "--ray-address", "--option", "--param",
             "--predictor-param", "--target", "--benchmark"}
#: paths a command reads (must exist) and paths it writes (must be creatable)
INPUTS = {"spec_path", "--results", "--import-from", "--data-root", "--path"}
OUTPUTS = {"--out", "--db", "--export", "--export-to"}


def _commands() -> Iterator[tuple[list[str], typing.Any]]:
    root = typer.main.get_command(app)

    def walk(cmd: typing.Any, path: list[str]) -> Iterator[tuple[list[str], typing.Any]]:
        subs = getattr(cmd, "commands", None)
        if subs:
            if getattr(cmd, "invoke_without_command", False):
                yield path, cmd
            for name, sub in subs.items():
                yield from walk(sub, path + [name])
        else:
            yield path, cmd

    yield from walk(root, [])


def _options(cmd: typing.Any) -> list[tuple[str, typing.Any, bool]]:
    """(flag or argument name, type, is an argument) of a command's callback."""
    fn = inspect.unwrap(cmd.callback)
    hints = typing.get_type_hints(fn)
    out = []
    for name, prm in inspect.signature(fn).parameters.items():
        info = prm.default
        if isinstance(info, OptionInfo):
            flag = (info.param_decls or ("--" + name.replace("_", "-"),))[0].split("/")[0]
            out.append((flag, hints.get(name), False))
        elif isinstance(info, ArgumentInfo):
            out.append((name, hints.get(name), True))
    return out


def _base(tmp: Path) -> dict[str, list[str]]:
    """Valid required arguments of each command (so that the fuzzed option is what fails)."""
    spec = tmp / "fixtures" / "spec.toml"
    spec.parent.mkdir(exist_ok=True)
    spec.write_text('[sweep]\nseeds = "0"\ntest_size = 20\ntrain_sizes = [10]\n'
                    '[[benchmarks]]\nkind = "default"\n[[predictors]]\nname = "params"\n')
    return {"sweep": [str(spec)], "recommend": ["--init-seconds", "1", "--query-seconds", "1"],
            "arch info": [NB201_ARCH], "bench info": ["default"],
            "train export": ["--out", str(tmp / "x" / "out.npz")]}


def _bad_values(flag: str, kind: typing.Any, tmp: Path) -> list[str]:
    base = typing.get_args(kind)[0] if typing.get_origin(kind) in (typing.Union,
                                                                   __import__("types").UnionType
                                                                   ) else kind
    if flag in FREE_TEXT or base is bool or typing.get_origin(kind) is list:
        return []
    if base is int:
        return ["abc", "1.5", "-5"]
    if base is float:
        return ["abc", "-5", "nan"]
    if flag in INPUTS:
        return [str(tmp / "missing" / "nothing.db")]
    if flag in OUTPUTS:
        return [str(tmp / "fixtures" / "a_file" / "sub" / "out")]  # a file where a folder must be
    if base is str or base is Path:
        return ["nope-no-such-thing"] if flag not in ("arch", "kind") else ["%%%"]
    return []


def _cases() -> list[tuple[str, str, str]]:
    tmp = Path("/nonexistent-fuzz-root")  # values are re-rooted per test (see test body)
    cases = []
    for path, cmd in _commands():
        for flag, kind, _ in _options(cmd):
            for value in _bad_values(flag, kind, tmp):
                cases.append((" ".join(path), flag, value))
    return cases


CASES = _cases()


def test_the_table_covers_every_command() -> None:
    commands = {c for c, _, _ in CASES}
    assert {"run", "sweep", "search", "plot", "report", "recommend", "arch info", "arch sample",
            "bench info", "train", "train export"} <= commands
    assert len(CASES) > 100


@pytest.mark.parametrize("command,flag,value", CASES)
def test_bad_value_is_one_line_exit_2_and_leaves_nothing(command, flag, value, tmp_path,
                                                         monkeypatch) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("PREDBENCH_CACHE", str(tmp_path / "cache"))
    value = value.replace("/nonexistent-fuzz-root", str(tmp_path))
    if "a_file" in value:
        (tmp_path / "fixtures").mkdir(exist_ok=True)
        (tmp_path / "fixtures" / "a_file").write_text("x")
    base = _base(tmp_path).get(command, [])
    args = [*command.split(), *base]
    if flag.startswith("-"):
        args += [flag, value]
    else:  # an argument: it replaces the base's valid one
        args = [*command.split(), value, *base[1:]]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    def started(*_: object, **__: object) -> None:
        raise AssertionError(f"{command} {flag} {value!r} started training instead of refusing")

    monkeypatch.setattr("benchmarks.live.run_workers", started)

    def too_long(*_: object) -> None:
        raise TimeoutError(f"{command} {flag} {value!r} started working instead of refusing")

    old = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(20)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (args, result.exit_code, result.output, result.exception)
    assert len(lines) == 1 and lines[0].startswith("error:"), (args, result.stderr)
    assert "Traceback" not in result.output
    name = flag.lstrip("-").replace("-", "_") if not flag.startswith("-") else flag
    shown = lines[0].replace("-", "_") if not flag.startswith("-") else lines[0]
    assert (name in shown or value in lines[0] or flag.lstrip("-") in lines[0]), (
        f"{args}: the message does not name {flag} or its value: {lines[0]}")
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    left = [p for p in after if p not in before and not str(p).startswith("cache")]
    assert not left, f"{args} left {left}"
