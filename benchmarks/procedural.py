"""The embedded default dataset: "shapes10", a seeded procedural 10-class image task.

Nothing is downloaded: every image is rendered from a seeded numpy generator, so the same
(split, seed) always gives the same bytes on every machine.

Each image (3 x 8 x 8, float) shows one of ten filled outline shapes, each symmetric under a
horizontal flip (so flip augmentation keeps the label):

    0 disk  1 ring  2 square  3 hollow square  4 triangle  5 plus  6 cross (X)
    7 two horizontal bars  8 two vertical bars  9 diamond

drawn at a random position (centre shift up to +-0.25 of the half-width), scale (0.6-1.0) and
rotation (+-12 degrees), anti-aliased by rendering on a 4x finer grid and averaging; a random
foreground colour on a random background colour (their luminances differ by >= 0.2), one random
distractor bar in a third colour at half opacity, and Gaussian pixel noise (sigma 0.1).
At 8 x 8 pixels disk/ring/diamond/square and bar pairs are hard to tell apart, which keeps the
task unsaturated, and the noise rewards convolutions over pooling, as CIFAR-10 does.

Splits (fixed, each drawn from its own child of `SeedSequence(20240611)`): train 10,000,
validation 2,000, test 2,000; labels balanced (each split is a shuffled repetition of 0..9).
Channels are standardised with the training split's mean and standard deviation.
"""

from __future__ import annotations

import functools

import numpy as np

NAME = "shapes10"
NUM_CLASSES = 10
CLASS_NAMES = ("disk", "ring", "square", "hollow_square", "triangle", "plus", "cross",
               "h_bars", "v_bars", "diamond")
SPLIT_SIZES = {"train": 10_000, "val": 2_000, "test": 2_000}
ROOT_SEED = 20240611
IMAGE_SIZE = 8
_SUPERSAMPLE = 4
NOISE = 0.1


def _shape_mask(c: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside-mask of shape class `c` in local coordinates (u, v) in about [-1, 1]."""
    au, av = np.abs(u), np.abs(v)
    r2 = u * u + v * v
    box = np.maximum(au, av)
    if c == 0:
        return r2 < 0.70 ** 2
    if c == 1:
        return (r2 < 0.85 ** 2) & (r2 > 0.45 ** 2)
    if c == 2:
        return box < 0.65
    if c == 3:
        return (box < 0.80) & (box > 0.42)
    if c == 4:  # apex up, base down (image v grows downwards)
        return (v < 0.65) & (au < (v + 0.8) * 0.55)
    if c == 5:
        return ((au < 0.24) & (av < 0.85)) | ((av < 0.24) & (au < 0.85))
    if c == 6:
        return ((np.abs(u - v) < 0.32) | (np.abs(u + v) < 0.32)) & (box < 0.80)
    if c == 7:
        return (np.abs(av - 0.45) < 0.18) & (au < 0.85)
    if c == 8:
        return (np.abs(au - 0.45) < 0.18) & (av < 0.85)
    if c == 9:
        return au + av < 0.85
    raise ValueError(f"unknown shape class {c}")


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def render(n: int, seed: np.random.SeedSequence | int) -> tuple[np.ndarray, np.ndarray]:
    """`n` images (float32 [n, 3, 8, 8], values about 0..1 plus noise) and labels (int64 [n])."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % NUM_CLASSES).astype(np.int64)
    g = IMAGE_SIZE * _SUPERSAMPLE
    axis = (np.arange(g, dtype=np.float32) + 0.5) / g * 2.0 - 1.0
    yy, xx = np.meshgrid(axis, axis, indexing="ij")  # [g, g]
    cx, cy = rng.uniform(-0.25, 0.25, (2, n, 1, 1)).astype(np.float32)
    scale = rng.uniform(0.6, 1.0, (n, 1, 1)).astype(np.float32)
    theta = rng.uniform(-np.pi / 15, np.pi / 15, (n, 1, 1)).astype(np.float32)
    cos, sin = np.cos(theta), np.sin(theta)
    dx, dy = xx[None] - cx, yy[None] - cy
    u = (cos * dx + sin * dy) / scale
    v = (-sin * dx + cos * dy) / scale
    mask = np.zeros((n, g, g), dtype=bool)
    for c in range(NUM_CLASSES):
        idx = np.flatnonzero(labels == c)
        mask[idx] = _shape_mask(c, u[idx], v[idx])

    # colours: background, foreground with a luminance gap >= 0.2, distractor
    bg = rng.uniform(0, 1, (n, 3)).astype(np.float32)
    fg = rng.uniform(0, 1, (n, 3)).astype(np.float32)
    for _ in range(20):  # redraw the few low-contrast foregrounds until all differ enough
        low = np.abs(_luminance(fg) - _luminance(bg)) < 0.2
        if not low.any():
            break
        fg[low] = rng.uniform(0, 1, (int(low.sum()), 3)).astype(np.float32)
    dc = rng.uniform(0, 1, (n, 3)).astype(np.float32)
    # distractor: a thin bar at a random angle and offset, half opacity
    phi = rng.uniform(0, np.pi, (n, 1, 1)).astype(np.float32)
    off = rng.uniform(-0.9, 0.9, (n, 1, 1)).astype(np.float32)
    bar = np.abs(np.cos(phi) * xx[None] + np.sin(phi) * yy[None] - off) < 0.08

    m = mask[:, None].astype(np.float32)
    d = bar[:, None].astype(np.float32) * 0.5
    fine = bg[:, :, None, None] * (1 - m) + fg[:, :, None, None] * m
    fine = fine * (1 - d) + dc[:, :, None, None] * d
    images = fine.reshape(n, 3, IMAGE_SIZE, _SUPERSAMPLE, IMAGE_SIZE, _SUPERSAMPLE).mean((3, 5))
    images += rng.normal(0.0, NOISE, images.shape).astype(np.float32)
    return images.astype(np.float32), labels


@functools.lru_cache(maxsize=2)
def splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train"|"val"|"test": (images standardised by the train split, labels)}; cached."""
    children = np.random.SeedSequence(ROOT_SEED).spawn(len(SPLIT_SIZES))
    raw = {name: render(size, child) for (name, size), child in zip(SPLIT_SIZES.items(), children)}
    x_train = raw["train"][0]
    mean = x_train.mean(axis=(0, 2, 3), keepdims=True)
    std = x_train.std(axis=(0, 2, 3), keepdims=True)
    out = {}
    for name, (x, y) in raw.items():
        z = ((x - mean) / std).astype(np.float32)
        z.setflags(write=False)
        y.setflags(write=False)
        out[name] = (z, y)
    return out
