"""The trainer: recipe math (lr schedules, hash), batched augmentation, a tiny real training run,
divergence handling, and the embedded shapes10 generator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from benchmarks import procedural
from benchmarks.datasets import ImageData, load_dataset
from benchmarks.live import dataset_recipe
from benchmarks.recipes import RECIPES, Recipe, get_recipe
from benchmarks.training import augment, train_arch, train_network
from search_spaces import get_search_space

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_nb201_cosine_per_epoch() -> None:
    r = get_recipe("nb201", epochs=200)
    assert r.lr_at(0) == pytest.approx(0.1)
    assert r.lr_at(100) == pytest.approx(0.05)
    assert r.lr_at(199) == pytest.approx(0.05 * (1 + math.cos(math.pi * 199 / 200)))
    # constant within an epoch, whatever the step
    assert r.lr_at(10, step=0, steps_per_epoch=196) == r.lr_at(10, step=195, steps_per_epoch=196)
    lrs = [r.lr_at(e) for e in range(200)]
    assert all(a > b for a, b in zip(lrs, lrs[1:])) and lrs[-1] > 0


def test_cosine_per_step_and_floor() -> None:
    nb101 = get_recipe("nb101", epochs=4)
    assert nb101.lr_at(0, 0, 10) == pytest.approx(0.2)
    assert nb101.lr_at(2, 0, 10) == pytest.approx(0.1)          # halfway through the steps
    assert nb101.lr_at(1, 5, 10) == pytest.approx(0.2 * 0.5 * (1 + math.cos(math.pi * 15 / 40)))
    darts = get_recipe("darts")
    assert darts.lr_at(50) == pytest.approx(1e-8 + (0.025 - 1e-8) * 0.5)
    assert darts.drop_path_at(0) == 0 and darts.drop_path_at(50) == pytest.approx(0.1)


def test_recipe_facts_and_hash() -> None:
    nb201, nb101, darts = RECIPES["nb201"], RECIPES["nb101"], RECIPES["darts"]
    assert (nb201.optimizer, nb201.nesterov, nb201.momentum, nb201.weight_decay,
            nb201.batch_size, nb201.crop_pad, nb201.flip) == ("sgd", True, 0.9, 5e-4, 256, 4, True)
    assert (nb101.optimizer, nb101.epochs, nb101.weight_decay, nb101.schedule) == \
        ("rmsprop", 108, 1e-4, "cosine_step")
    assert (darts.batch_size, darts.cutout, darts.aux_weight, darts.drop_path, darts.grad_clip,
            darts.weight_decay) == (96, 16, 0.4, 0.2, 5.0, 3e-4)
    # the hash is a pure function of the fields: stable, and changed by any field
    assert nb201.hash == Recipe.from_json(nb201.to_json()).hash and len(nb201.hash) == 12
    assert nb201.hash != nb201.replace(epochs=12).hash
    assert get_recipe("nb201", epochs=None) is nb201
    with pytest.raises(ValueError, match="unknown recipe field"):
        nb201.replace(learning_rate=1)
    with pytest.raises(ValueError, match="unknown recipe"):
        get_recipe("resnet")
    assert dataset_recipe("shapes10", image_size=8).crop_pad == 1
    assert dataset_recipe("cifar10", image_size=32).crop_pad == 4


def test_augment_is_batched_and_seeded() -> None:
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8) + 1
    r = get_recipe("nb201", crop_pad=1, cutout=3)
    a = augment(x, r, torch.Generator().manual_seed(0))
    b = augment(x, r, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b)
    # crop+flip only move pixels (or bring in zero padding); cutout zeroes at most 3x3 per image
    r2 = get_recipe("nb201", crop_pad=1)
    c = augment(x, r2, torch.Generator().manual_seed(1))
    for i in range(2):
        assert set(c[i].unique().tolist()) - {0.0} <= set(x[i].unique().tolist())
    plain = augment(x, get_recipe("nb201", crop_pad=0, flip=False), torch.Generator())
    assert torch.equal(plain, x)


def test_tiny_real_training_run_learns() -> None:
    data = load_dataset("digits")
    sp = get_search_space("nb201")
    arch = sp.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|"
                    "nor_conv_1x1~1|nor_conv_3x3~2|")
    seen = []
    recipe = get_recipe("nb201", epochs=3, crop_pad=1, batch_size=64)  # 8 steps an epoch
    r = train_arch(sp, arch, data, recipe, "small", seed=0, on_epoch=seen.append)
    assert r.status == "done" and r.reason is None
    assert [e.epoch for e in r.epochs] == [1, 2, 3] and len(seen) == 3
    assert all(e.seconds > 0 and math.isfinite(e.train_loss) for e in r.epochs)
    assert r.epochs[-1].val_acc > 25.0 and r.test_acc is not None and r.test_acc > 25.0
    again = train_arch(sp, arch, data, recipe, "small", seed=0)
    assert again.epochs[-1].val_acc == r.epochs[-1].val_acc  # seeded: reproducible on CPU


class _Exploding(nn.Module):
    """Finite for the first `ok` forward passes, then NaN."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.lin = nn.Linear(64, 10)
        self.calls, self.ok = 0, ok

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += self.training
        out = self.lin(x.flatten(1))
        return out * float("nan") if self.training and self.calls > self.ok else out


def test_divergence_ends_run_as_failed_with_reason() -> None:
    data = load_dataset("digits")
    r = train_network(_Exploding(ok=3), data, get_recipe("nb201", epochs=3, crop_pad=1))
    assert r.status == "failed" and "non-finite training loss at epoch 2" in r.reason
    assert len(r.epochs) == 1 and r.test_acc is None
    # an absurd learning rate on a real cell fails the same way, never raising
    sp = get_search_space("nb201")
    arch = sp.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|"
                    "nor_conv_3x3~1|nor_conv_3x3~2|")
    r2 = train_arch(sp, arch, data, get_recipe("nb201", epochs=2, crop_pad=1, lr=1e30,
                                               nesterov=False), "small")
    assert r2.status in ("failed", "done")  # no exception either way
    if r2.status == "failed":
        assert "non-finite" in r2.reason


def test_darts_recipe_path_runs() -> None:
    """Cutout, mixup, aux head, drop path and clipping run (tiny DARTS net, 1 epoch)."""
    sp = get_search_space("darts")
    rng = np.random.default_rng(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (64,), generator=g)
    data = ImageData("rand", 10, x, y, x[:16], y[:16], x[:16], y[:16])
    recipe = get_recipe("darts", epochs=1, batch_size=32)
    torch.manual_seed(0)
    net = sp.build_network(sp.sample(rng), 10, preset="small", C=4, layers=3, auxiliary=True,
                           drop_path_prob=0.0)
    r = train_network(net, data, recipe)
    assert r.status == "done" and len(r.epochs) == 1


def test_shapes10_is_deterministic_balanced_and_documented() -> None:
    a, la = procedural.render(50, 7)
    b, lb = procedural.render(50, 7)
    assert np.array_equal(a, b) and np.array_equal(la, lb)
    assert a.shape == (50, 3, 8, 8) and a.dtype == np.float32
    assert np.bincount(la, minlength=10).tolist() == [5] * 10
    d = load_dataset("shapes10")
    assert (d.x_train.shape[0], d.x_val.shape[0], d.x_test.shape[0]) == (10_000, 2_000, 2_000)
    assert torch.bincount(d.y_train).tolist() == [1000] * 10
    assert abs(float(d.x_train.mean())) < 1e-3 and abs(float(d.x_train.std()) - 1) < 1e-2
    xb, yb = d.batch(32, seed=1)
    assert xb.shape == (32, 3, 8, 8) and torch.equal(xb, d.batch(32, seed=1)[0])
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("mnist")


def test_imagenet16_reader_on_tiny_official_format_files(tmp_path) -> None:
    import pickle

    from benchmarks.datasets import _load_imagenet16

    rng = np.random.default_rng(0)
    for name in [f"train_data_batch_{i}" for i in range(1, 11)] + ["val_data"]:
        entry = {"data": rng.integers(0, 256, (6, 3 * 16 * 16), dtype=np.uint8),
                 "labels": [1, 2, 120, 121, 500, 3]}  # 1-based; > 120 are not in -120
        with open(tmp_path / name, "wb") as f:
            pickle.dump(entry, f)
    d = _load_imagenet16(tmp_path)
    assert d.name == "imagenet16-120" and d.num_classes == 120
    assert d.x_train.shape == (40, 3, 16, 16) and int(d.y_train.max()) == 119
    assert d.x_val.shape[0] + d.x_test.shape[0] == 4
    (tmp_path / "val_data").unlink()
    with pytest.raises(FileNotFoundError, match="val_data not found"):
        _load_imagenet16(tmp_path)
