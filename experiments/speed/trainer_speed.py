"""Images/s of predbench's trainer vs a plain torchvision-style DataLoader loop, side by side.

Both train the same network (NB201 cell, `--preset`, default small: C=8, N=1) with the same
recipe (NB201: SGD Nesterov, cosine, wd 5e-4, batch 256, random crop + flip) on the same data
(shapes10, 8x8, or CIFAR-shaped random tensors with `--cifar-shaped`):

- plain: a `Dataset` whose `__getitem__` crops and flips one image at a time (what
  torchvision's `RandomCrop(padding)` + `RandomHorizontalFlip` do), `DataLoader(batch_size=256,
  shuffle=True)`, one process using torch's default threads (all cores);
- ours, one process: `benchmarks.training.train_network` (tensors on the device, batched
  augmentation), the same threads;
- ours, as `predbench train` runs on CPU: one 1-thread worker process per core, each training
  its own network; images/s summed over the workers.

    python -m experiments.speed.trainer_speed                    # CPU, small preset
    python -m experiments.speed.trainer_speed --device cuda --preset official --cifar-shaped
    python -m experiments.speed.trainer_speed --store            # also: result-store throughput
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time

import torch
import torch.nn.functional as F

_CPU: dict[str, float] = {}  # images per CPU-second of this process (robust to other load)
ARCH = ("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|"
        "+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|")


def _data(cifar_shaped: bool, n: int):
    from benchmarks.datasets import ImageData, load_dataset

    if not cifar_shaped:
        d = load_dataset("shapes10")
        return ImageData(d.name, d.num_classes, d.x_train[:n], d.y_train[:n], d.x_val[:1000],
                         d.y_val[:1000], d.x_test[:10], d.y_test[:10])
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return ImageData("cifar-shaped", 10, x, y, x[:1000], y[:1000], x[:10], y[:10])


def _net(preset: str, data):
    from search_spaces import get_search_space

    sp = get_search_space("nb201")
    torch.manual_seed(0)
    return sp.build_network(sp.parse(ARCH), data.num_classes, preset=preset,
                            in_channels=data.channels)


class PerImage(torch.utils.data.Dataset):
    """torchvision-style: augmentation per image in `__getitem__`."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, pad: int) -> None:
        self.x, self.y, self.pad = x, y, pad

    def __len__(self) -> int:
        return self.x.shape[0]

    def __getitem__(self, i: int):
        img = self.x[i]
        h, w = img.shape[-2:]
        if self.pad:
            img = F.pad(img, (self.pad,) * 4)
            top, left = torch.randint(0, 2 * self.pad + 1, (2,)).tolist()
            img = img[:, top:top + h, left:left + w]
        if torch.rand(()) < 0.5:
            img = img.flip(-1)
        return img, self.y[i]


def plain_loop(preset: str, data, recipe, epochs: int, device: str) -> float:
    """Images/s of the plain DataLoader loop (training only)."""
    net = _net(preset, data).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                          nesterov=recipe.nesterov, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=recipe.epochs)
    loader = torch.utils.data.DataLoader(PerImage(data.x_train, data.y_train, recipe.crop_pad),
                                         batch_size=recipe.batch_size, shuffle=True)
    seen, start, cpu0 = 0, time.perf_counter(), time.process_time()
    for _ in range(epochs):
        net.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += yb.shape[0]
        sched.step()
    if device == "cuda":
        torch.cuda.synchronize()
    _CPU["plain"] = seen / (time.process_time() - cpu0)
    return seen / (time.perf_counter() - start)


def ours(preset: str, data, recipe, device: str, threads: int | None = None,
         compile: bool = False) -> float:
    """Images/s of our trainer (training seconds only, evaluation excluded)."""
    from benchmarks.training import train_network

    cpu0 = time.process_time()
    r = train_network(_net(preset, data), data, recipe, seed=0, device=device, threads=threads,
                      compile=compile)
    secs = sum(e.seconds for e in r.epochs[1:]) if len(r.epochs) > 1 else r.epochs[0].seconds
    n_ep = max(1, len(r.epochs) - 1)  # the first epoch warms up (allocator, compile)
    # CPU seconds include evaluation: a conservative, contention-robust figure
    _CPU["ours"] = data.x_train.shape[0] * len(r.epochs) / (time.process_time() - cpu0)
    return data.x_train.shape[0] * n_ep / secs


def _worker(args, queue) -> None:
    preset, cifar_shaped, n, recipe_json = args
    from benchmarks.recipes import Recipe

    torch.set_num_threads(1)
    queue.put(ours(preset, _data(cifar_shaped, n), Recipe.from_json(recipe_json), "cpu", 1))


def ours_processes(preset: str, cifar_shaped: bool, n: int, recipe, workers: int) -> float:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=((preset, cifar_shaped, n, recipe.to_json()), q))
             for _ in range(workers)]
    for p in procs:
        p.start()
    rates = [q.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(rates)


def store_throughput(runs: int = 200, epochs: int = 8) -> tuple[float, float]:
    """(claims+finishes per second, epoch rows per second) of one process on a fresh store."""
    from benchmarks.store import Job, RunStore

    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(os.path.join(tmp, "s.db"))
        job = Job("nb201", "bench", "small", "x", "{}")
        store.enqueue(job, [f"a{i}" for i in range(runs)])
        token = store.new_token()
        row = dict(train_loss=1.0, train_acc=50.0, val_loss=1.0, val_acc=50.0, seconds=1.0)
        t0 = time.perf_counter()
        n_epochs = 0
        while (c := store.claim(job, token)) is not None:
            for e in range(1, epochs + 1):
                store.record_epoch(c, e, row)
                n_epochs += 1
            store.finish(c, "done", 50.0)
        dt = time.perf_counter() - t0
        return runs / dt, n_epochs / dt


def main() -> None:
    ap = argparse.ArgumentParser(description="trainer vs plain DataLoader loop, images/s")
    ap.add_argument("--preset", default="small")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--cifar-shaped", action="store_true")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--store", action="store_true", help="also measure the run store")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads of the two single-process runs (default: torch's own)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from benchmarks.live import dataset_recipe

    data = _data(args.cifar_shaped, args.images)
    recipe = dataset_recipe(data.name, "nb201", image_size=data.image_size, epochs=args.epochs)
    cores = os.cpu_count() or 1
    print(f"device {args.device}, preset {args.preset}, {data.x_train.shape[0]} images "
          f"{tuple(data.x_train.shape[1:])}, batch {recipe.batch_size}, {args.epochs} epochs, "
          f"torch threads {torch.get_num_threads()}, {cores} cores")
    plain = plain_loop(args.preset, data, recipe, args.epochs, args.device)
    print(f"plain DataLoader loop, 1 process:   {plain:9.0f} images/s")
    one = ours(args.preset, data, recipe, args.device, compile=args.compile)
    print(f"predbench trainer, 1 process:       {one:9.0f} images/s   ratio {one / plain:.2f}x")
    if args.device == "cpu" and torch.get_num_threads() == 1:
        print(f"  per CPU-second of the process: plain {_CPU['plain']:.0f}, ours "
              f"{_CPU['ours']:.0f} images/s, ratio {_CPU['ours'] / _CPU['plain']:.2f}x "
              f"(ours counts evaluation too)")
    if args.device == "cpu" and cores > 1:
        multi = ours_processes(args.preset, args.cifar_shaped, args.images, recipe, cores)
        print(f"predbench trainer, {cores} x 1-thread:    {multi:9.0f} images/s   "
              f"ratio {multi / plain:.2f}x  (how `predbench train --workers {cores}` runs)")
    if args.device != "cpu":
        per_arch = 50_000 * 200 / one
        print(f"seconds per 200-epoch arch on 50k images at this rate: {per_arch:.0f} s")
    if args.store:
        claims, rows = store_throughput()
        print(f"run store: {claims:.0f} runs/s claimed+finished, {rows:.0f} epoch rows/s "
              f"committed (one process, WAL)")


if __name__ == "__main__":
    main()
