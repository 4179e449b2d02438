"""`predbench spaces` and `predbench arch ...`: what the search spaces hold, one arch in detail."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from predbench.cli.console import make_console
from predbench.cli.errors import one_line_errors
from predbench.cli.listing import spaces_table

arch_app = typer.Typer(help="Inspect and sample architectures.", no_args_is_help=True)
console = make_console()

#: the largest input side `arch info` counts FLOPs at (a forward pass at that size fits memory)
MAX_RESOLUTION = 1024
SPACE_OPTION = typer.Option("nb201", "--space", "-s", help="Search space (see `predbench spaces`).")


@one_line_errors
def spaces() -> None:
    console.print(spaces_table())


def arch_facts(space_name: str, text: str, num_classes: int | None, preset: str,
               resolution: int) -> dict[str, Any]:
    """Everything `arch info` shows, as plain data. `num_classes` None: the space's default
    (10 classes for images; the WikiText-2 vocabulary for nlp)."""
    from search_spaces import get_search_space

    if not 1 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"--resolution must be in 1..{MAX_RESOLUTION} pixels, got {resolution}")
    if num_classes is not None and num_classes < 1:
        raise ValueError(f"--num-classes must be >= 1, got {num_classes}")
    space = get_search_space(space_name)
    arch = space.parse(text)
    if num_classes is None:
        num_classes = space.default_num_classes
    import torch  # after the checks: a usage error must not wait for torch

    from search_spaces.measure import TOKEN_FLOPS_SHAPE, count_flops, count_parameters

    network = space.build_network(arch, num_classes=num_classes, preset=preset)
    shape: tuple[int, ...]
    if space.input_kind == "tokens":  # a language model: one token of one sequence
        shape, dtype, what = TOKEN_FLOPS_SHAPE, torch.long, "flops_per_token"
    else:
        in_channels = space.preset_params(preset).get("in_channels", 3)
        shape, dtype, what = (1, in_channels, resolution, resolution), torch.float32, "flops"
    try:
        flops = count_flops(network, shape, dtype)
    except RuntimeError as exc:  # e.g. a kernel larger than what is left of a tiny input
        raise ValueError(f"--resolution {resolution} is too small for this network (preset "
                         f"{preset!r}): {str(exc).splitlines()[0]}") from None
    facts: dict[str, Any] = {
        "space": space.name,
        "arch": space.format(arch),
        "preset": preset,
        "num_classes" if space.input_kind == "image" else "vocabulary": num_classes,
        **({"resolution": resolution} if space.input_kind == "image" else {}),
        "params": count_parameters(network),
        what: flops,
    }
    facts.update(space.info(arch))
    facts["encodings"] = {kind: int(space.encode(arch, kind).shape[0]) for kind in space.encodings}
    adjacency, features = space.graph(arch)
    facts["graph"] = {"nodes": int(adjacency.shape[0]), "node_features": int(features.shape[1])}
    return facts


@arch_app.command("info", help="Parameters, FLOPs, validity and encodings of one architecture.")
@one_line_errors
def info(
    arch: str = typer.Argument(..., help="Architecture text in the space's canonical form."),
    space: str = SPACE_OPTION,
    num_classes: int | None = typer.Option(
        None, "--num-classes", "-k",
        help="Classifier outputs (nlp: vocabulary size); default 10, nlp 33,278 (WikiText-2)."),
    preset: str = typer.Option("official", "--preset", "-p", help="Network preset."),
    resolution: int = typer.Option(32, "--resolution", help="Input height = width for FLOPs."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    facts = arch_facts(space, arch, num_classes, preset, resolution)
    if as_json:
        print(json.dumps(facts, indent=2))
        return
    table = Table(title=f"{facts['space']} architecture", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in facts.items():
        if key == "params":
            value = f"{value:,} ({value / 1e6:.6f} M)"
        elif key in ("flops", "flops_per_token"):
            value = f"{value:,} ({value / 1e6:.2f} MFLOPs, multiply-add = 2)"
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        table.add_row(key, str(value))
    console.print(table)


@arch_app.command("sample", help="Print random architectures of a space, one per line.")
@one_line_errors
def sample(
    space: str = SPACE_OPTION,
    n: int = typer.Option(5, "-n", help="How many."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    import numpy as np

    from search_spaces import get_search_space

    if n < 0:
        raise ValueError(f"-n must be >= 0, got {n}")
    if seed < 0:
        raise ValueError(f"--seed must be >= 0 (a numpy seed), got {seed}")
    s = get_search_space(space)
    rng = np.random.default_rng(seed)
    for _ in range(n):
        print(s.format(s.sample(rng)))
