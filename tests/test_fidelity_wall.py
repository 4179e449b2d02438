"""The fidelity wall is airtight (DESIGN §3): nothing reachable from a `Context` handed to a
predictor leads to a benchmark, to a label of a test arch, or to an epoch past the fidelity.

A benchmark is built whose every value past epoch F of a query arch, and every test accuracy,
is a unique sentinel number; then the whole object graph reachable from the context is walked
(attributes, `__dict__` and slots, closures, `__self__`, `__wrapped__`, partial arguments,
containers, numpy arrays) and must contain no sentinel and no `Benchmark`.
"""

from __future__ import annotations

import functools
import gc
import types

import numpy as np
import pytest

from benchmarks import Benchmark, Curve, load_benchmark
from experiments import evaluate
from predictors import Context, FidelityError, Needs, Predictor, register_predictor
from predictors.base import _REGISTRY
from search_spaces import get_search_space

SENTINEL_BASE = 7.0e6  # far from any accuracy, loss or second


class SentinelBenchmark(Benchmark):
    """8-epoch curves; every number after epoch 3 and every test accuracy is a sentinel."""

    kind = "sentinel"
    has_batches = False

    def __init__(self, n: int = 60, visible: int = 3):
        self.space = get_search_space("nb201")
        self.dataset = "sentinel"
        self.max_epochs = 8
        self._archs = self.space.all()[:n]
        self._curves = {}
        counter = iter(range(10**9))
        for i, arch in enumerate(self._archs):
            arrays = {}
            for name in ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_seconds"):
                values = [float(i + e) for e in range(1, visible + 1)]
                values += [SENTINEL_BASE + next(counter) for _ in range(visible, 8)]
                arrays[name] = values
            self._curves[arch] = Curve(**arrays, test_acc=SENTINEL_BASE + next(counter))

    def hidden(self, query_archs, train_archs=()) -> set[float]:
        """The sentinels a predictor must not reach: everything past epoch 3 of the query
        archs, and every test accuracy."""
        out = {float(v) for a in query_archs for name in ("train_loss", "train_acc", "val_loss",
                                                          "val_acc", "epoch_seconds")
               for v in getattr(self._curves[a], name) if v >= SENTINEL_BASE}
        return out | {c.test_acc for c in self._curves.values()}

    def curve(self, arch):
        return self._curves[self._as_arch(arch)]

    def archs(self):
        return list(self._archs)


def reachable(root, limit: int = 200_000):
    """Every object reachable from `root` through the routes a predictor could follow."""
    seen: dict[int, object] = {}
    stack = [root]
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (str, bytes, int, bool, type(None), type,
                                               types.ModuleType)):
            continue
        seen[id(obj)] = obj
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
            continue
        if isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
            continue
        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend(obj.ravel().tolist())
            continue
        if isinstance(obj, functools.partial):
            stack.extend([obj.func, obj.args, obj.keywords])
        if isinstance(obj, (types.MethodType, types.BuiltinMethodType)):
            stack.append(getattr(obj, "__self__", None))
            stack.append(getattr(obj, "__func__", None))
        if isinstance(obj, types.FunctionType):
            stack.extend(c.cell_contents for c in (obj.__closure__ or ())
                         if _filled(c))
            stack.append(obj.__defaults__)
            stack.append(obj.__kwdefaults__)
        for name in ("__wrapped__", "__self__"):
            if hasattr(obj, name) and not isinstance(obj, type):
                try:
                    stack.append(getattr(obj, name))
                except Exception:  # any error: an attribute that cannot be read leads nowhere
                    pass
        if hasattr(obj, "__dict__") and not isinstance(obj, types.FunctionType):
            stack.append(vars(obj))
        for cls in type(obj).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if isinstance(slot, str) and hasattr(obj, slot):
                    stack.append(getattr(obj, slot))
        if "torch" in type(obj).__module__:
            continue  # a tensor's storage is images, not curves
        # whatever the garbage collector says this object refers to (catches C-level links)
        if not isinstance(obj, (types.FunctionType, types.MethodType)):
            stack.extend(r for r in gc.get_referents(obj) if not isinstance(r, type))
    return list(seen.values())


def _filled(cell) -> bool:
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def numbers(objects) -> set[float]:
    out: set[float] = set()
    for obj in objects:
        if isinstance(obj, float):
            out.add(obj)
        elif isinstance(obj, np.ndarray) and obj.dtype.kind == "f":
            out.update(obj.ravel().tolist())
        elif isinstance(obj, np.floating):
            out.add(float(obj))
    return out


def assert_airtight(ctx: Context, bench: SentinelBenchmark, query_archs) -> None:
    objects = reachable(ctx)
    benchmarks = [o for o in objects if isinstance(o, Benchmark)]
    assert not benchmarks, f"a Benchmark is reachable from the context: {benchmarks[0]!r}"
    leaked = numbers(objects) & bench.hidden(query_archs)
    assert not leaked, f"{len(leaked)} hidden values are reachable, e.g. {min(leaked)}"


def test_context_for_benchmark_is_airtight():
    bench = SentinelBenchmark()
    archs = bench.archs()
    train, test = archs[:20], archs[20:]
    ctx = Context.for_benchmark(bench, train, test, fidelity=3)
    assert_airtight(ctx, bench, test)
    # what it may see is there: train curves in full (their hidden epochs are sentinels too,
    # so check the visible part), query curves up to F
    assert ctx.curves.partial(test[0], 3).val_acc.tolist() == [20.0 + 1, 20.0 + 2, 20.0 + 3]
    with pytest.raises(FidelityError):
        ctx.curves.partial(test[0], 4)


def test_the_walker_finds_the_old_leaks():
    """The check itself can fail: a context holding the benchmark, a bound method of it, or
    a closure over it is caught."""
    bench = SentinelBenchmark()
    space = bench.space
    for leak in (bench.curve,                                     # a bound method
                 (lambda b: (lambda arch: b.curve(arch)))(bench),  # a closure
                 functools.partial(SentinelBenchmark.curve, bench)):  # partial arguments
        with pytest.raises(AssertionError):
            assert_airtight(Context(space=space, batch=leak), bench, bench.archs())
    query = bench.archs()[0]
    with pytest.raises(AssertionError, match="hidden values"):
        assert_airtight(Context(space=space, extras={"c": bench.curve(query)}), bench, [query])


def test_context_on_a_benchmark_with_images_holds_no_benchmark():
    bench = load_benchmark("default")
    archs = bench.archs()
    ctx = Context.for_benchmark(bench, archs[:10], archs[10:30], fidelity=2)
    objects = reachable(ctx)
    assert not [o for o in objects if isinstance(o, Benchmark)]
    x, y = ctx.batch(8, 0)  # minibatches still work: bound to the image data, not the benchmark
    assert x.shape[0] == 8 and ctx.data is not None and ctx.num_classes == 10
    # the only full-length (E = 8) arrays reachable are the 10 train curves' 5 arrays each
    full = [o for o in objects if isinstance(o, np.ndarray) and o.dtype.kind == "f"
            and o.shape == (bench.max_epochs,)]
    assert len(full) == 10 * 5


@pytest.fixture
def snooping_predictor():
    """A predictor that looks for labels everywhere it can: it records what it found."""

    @register_predictor
    class Snoop(Predictor):
        name = "_test_snoop"
        family = "learning_curve"
        needs = Needs(query_epochs=True)
        found: list = []

        def query(self, archs, ctx):
            Snoop.found.append(reachable(ctx))
            return np.array([ctx.curves.partial(a, ctx.fidelity).val_acc[-1] for a in archs])

    yield Snoop
    del _REGISTRY["_test_snoop"]


def test_the_evaluator_hands_predictors_an_airtight_context(snooping_predictor):
    bench = SentinelBenchmark(n=80)
    rows = evaluate(bench, "_test_snoop", fidelities=[3], test_size=30, seeds=[0])
    assert rows["status"].tolist() == ["ok"] and not rows["oracle"].any()
    objects = snooping_predictor.found[-1]
    assert not [o for o in objects if isinstance(o, Benchmark)]
    # the test set is what the evaluator drew: every arch whose curve the context cuts at F
    ctx_views = [o for o in objects if type(o).__name__ == "CurveView"]
    assert len(ctx_views) == 1
    query = [a for a in ctx_views[0].archs() if not ctx_views[0].is_train(a)]
    assert len(query) == 30
    assert not numbers(objects) & bench.hidden(query)
