"""`predbench spaces` / `predbench arch ...` through the installed console command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = ("|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+"
           "|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|")


def predbench(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("predbench") or str(Path(sys.executable).parent / "predbench")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)


def test_spaces_lists_every_space():
    out = predbench("spaces")
    assert out.returncode == 0, out.stderr
    for name in ("nb201", "nb101", "darts"):
        assert name in out.stdout


def test_arch_info_json_nb201():
    out = predbench("arch", "info", "--space", "nb201", EXAMPLE, "--json", "--num-classes", "100")
    assert out.returncode == 0, out.stderr
    facts = json.loads(out.stdout)
    assert facts["params"] == 434_196
    assert facts["reachable"] is True
    assert facts["encodings"] == {"adjacency_one_hot": 30, "path": 155}
    assert facts["flops"] > 0


@pytest.mark.parametrize("args, needle", [
    (("arch", "info", "--space", "nb201", "|bogus~0|"), "NB201"),
    (("arch", "info", "--space", "nope", "x"), "unknown search space 'nope'"),
    (("arch", "info", "--space", "nb201", EXAMPLE, "--preset", "huge"), "unknown preset"),
    (("arch", "sample", "--space", "nb201", "-n", "-1"), "-n must be"),
])
def test_usage_errors_are_one_line_exit_2(args, needle):
    out = predbench(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in out.stderr


def test_arch_sample_parses_back():
    out = predbench("arch", "sample", "--space", "nb201", "-n", "4", "--seed", "3")
    assert out.returncode == 0
    from search_spaces import get_search_space

    space = get_search_space("nb201")
    lines = out.stdout.split()
    assert len(lines) == 4 and all(space.format(space.parse(t)) == t for t in lines)


CELL = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
        "|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")


@pytest.mark.parametrize("args, problem", [
    (["--resolution", "0"], "--resolution must be in 1..1024"),
    (["--resolution", "-3"], "--resolution must be in 1..1024"),
    (["--resolution", "5000"], "--resolution must be in 1..1024"),
    (["--resolution", "2"], "--resolution 2 is too small for this network"),
    (["-k", "0"], "--num-classes must be >= 1"),
])
def test_arch_info_bad_numbers_are_one_line(args, problem):
    """Issue 20: these were RuntimeError tracebacks from the FLOP counter."""
    out = predbench("arch", "info", CELL, *args)
    assert out.returncode == 2 and problem in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_arch_sample_negative_seed_names_the_option():
    out = predbench("arch", "sample", "--seed", "-1")
    assert out.returncode == 2 and "--seed must be >= 0" in out.stderr
