"""Weight-sharing predictors (`oneshot`, `rsws`): fit/query on NB201 and DARTS, determinism,
path equivalence with the spaces' own networks, BatchNorm re-estimation, save/load, bad input,
and a run through the evaluator. Tiny data (a few hundred 8x8 images), 1 epoch."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from benchmarks.datasets import ImageData
from benchmarks.default import DefaultBenchmark
from experiments import evaluate
from predictors import Context, get_predictor, list_predictors
from predictors.weight_sharing import WeightSharingPredictor, load_supernet
from predictors.weight_sharing._supernet import (
    arch_path,
    bn_buffers,
    build_supernet,
    dropout_path,
    path_state_dict,
    recalibrate_bn,
    supernet_config,
)
from search_spaces import get_search_space

NB201 = get_search_space("nb201")
DARTS = get_search_space("darts")
NB201_ARCHS = [NB201.parse(t) for t in (
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|",
    "|skip_connect~0|+|none~0|nor_conv_3x3~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")]
#: small and fast: the training loop, BN re-estimation and scoring all run, on 1 epoch
FAST = dict(epochs=1, batch_size=32, bn_batches=1, bn_batch_size=32, val_samples=64)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _data(n_train: int = 128, n_val: int = 64, seed: int = 0) -> ImageData:
    """Random 8x8 images whose class shifts the mean of one channel: learnable, tiny."""
    g = torch.Generator().manual_seed(seed)

    def split(n):
        y = torch.randint(0, 10, (n,), generator=g)
        x = torch.randn(n, 3, 8, 8, generator=g)
        x[:, 0] += (y.float() - 4.5)[:, None, None] / 3
        return x, y

    (xt, yt), (xv, yv), (xs, ys) = split(n_train), split(n_val), split(n_val)
    return ImageData("toy", 10, xt, yt, xv, yv, xs, ys)


def _ctx(space=NB201, seed: int = 0, data=None) -> Context:
    return Context(space=space, data=_data() if data is None else data, num_classes=10,
                   seed=seed)


def _darts_archs(n: int = 3):
    rng = np.random.default_rng(1)
    return [DARTS.sample(rng) for _ in range(n)]


# -- fit and query ---------------------------------------------------------------------------
def test_registered_in_family():
    assert {"oneshot", "rsws"} <= set(list_predictors("weight_sharing"))
    assert get_predictor("oneshot").needs.network and not get_predictor("rsws").needs.train_set


@pytest.mark.parametrize("name", ["oneshot", "rsws"])
@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_fit_query_finite_percent_and_deterministic(name, space):
    sp = get_search_space(space)
    archs = NB201_ARCHS if space == "nb201" else _darts_archs()
    data = _data(128 if space == "nb201" else 32)  # DARTS one-shot steps are the slow ones
    first = get_predictor(name, **FAST).fit([], np.array([]), _ctx(sp, data=data))
    scores = first.query(archs, _ctx(sp, data=data))
    assert scores.shape == (len(archs),)
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 100))
    again = get_predictor(name, **FAST).fit([], np.array([]), _ctx(sp, data=data))
    np.testing.assert_array_equal(again.query(archs, _ctx(sp, data=data)), scores)
    assert first.fit_info_["steps"] == data.x_train.shape[0] // 32
    assert first.fit_info_["train_compute_seconds"] > 0


@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_oneshot_with_path_dropout(space):
    sp = get_search_space(space)
    rng = np.random.default_rng(0)
    full = dropout_path(sp, rng, 0.0)
    edges = full if space == "nb201" else full[0].active + full[1].active
    assert all(len(e) == (4 if space == "nb201" else 7) for e in edges)  # nothing dropped
    sparse = [dropout_path(sp, rng, 0.9) for _ in range(20)]
    sizes = [len(e) for p in sparse for e in (p if space == "nb201" else p[0].active + p[1].active)]
    assert min(sizes) >= 1 and np.mean(sizes) < 2  # every edge keeps an op, most keep one
    archs = NB201_ARCHS if space == "nb201" else _darts_archs(2)
    data = _data(64 if space == "nb201" else 32)
    runs = [get_predictor("oneshot", drop_prob=0.5, **FAST).fit([], None, _ctx(sp, data=data))
            .query(archs, _ctx(sp, data=data)) for _ in range(2)]
    assert np.all(np.isfinite(runs[0])) and np.array_equal(runs[0], runs[1])


def test_seed_changes_the_supernet_and_query_order_does_not_matter():
    data = _data()
    a = get_predictor("rsws", **FAST).fit([], None, _ctx(data=data, seed=0))
    b = get_predictor("rsws", **FAST).fit([], None, _ctx(data=data, seed=1))
    wa, wb = a.supernet_.state_dict(), b.supernet_.state_dict()
    assert any(not torch.equal(wa[k], wb[k]) for k in wa)
    forward = a.query(NB201_ARCHS, _ctx(data=data))
    backward = a.query(NB201_ARCHS[::-1], _ctx(data=data))
    np.testing.assert_array_equal(forward, backward[::-1])


def test_unreachable_cell_scores_chance_level_or_below():
    # the all-`none` cell outputs zeros: the classifier sees only its bias, one class for all
    data = _data()
    p = get_predictor("oneshot", **FAST).fit([], None, _ctx(data=data))
    dead = p.query(NB201_ARCHS[2:], _ctx(data=data))[0]
    counts = np.bincount(data.y_val.numpy(), minlength=10)
    assert dead in set(100.0 * counts / counts.sum())


# -- the supernet is the space's own network on a path ------------------------------------------
def _randomise_bn(net: torch.nn.Module) -> None:
    """Non-trivial running statistics and affine parameters, so the comparison is not vacuous."""
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.5, generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)
                if m.affine:
                    m.weight.uniform_(0.5, 1.5, generator=g)
                    m.bias.normal_(0, 0.2, generator=g)


@pytest.mark.parametrize("space,preset", [("nb201", "small"), ("darts", "tiny")])
def test_path_computes_exactly_the_space_network(space, preset):
    sp = get_search_space(space)
    archs = NB201_ARCHS if space == "nb201" else _darts_archs(2)
    torch.manual_seed(0)
    supernet = build_supernet(supernet_config(sp, preset, 10, 3))
    _randomise_bn(supernet)
    supernet.eval()
    x = torch.randn(6, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    outputs = []
    for arch in archs:
        path = arch_path(sp, arch)
        torch.manual_seed(99)  # different init: every weight must come from the supernet
        network = sp.build_network(arch, num_classes=10, preset=preset).eval()
        network.load_state_dict(path_state_dict(supernet, path), strict=True)
        with torch.no_grad():
            expected, got = network(x), supernet(x, path)
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
        outputs.append(got)
    assert not torch.allclose(outputs[0], outputs[1])  # paths really differ


# -- BatchNorm re-estimation ---------------------------------------------------------------------
def _edge_op(name: str):
    m = re.match(r"^cells\.\d+\.edges\.(\d+)\.ops\.(\d+)\.", name)
    return None if m is None else (int(m.group(1)), int(m.group(2)))


def test_bn_reestimation_changes_only_the_path_statistics_and_no_weights():
    torch.manual_seed(0)
    net = build_supernet(supernet_config(NB201, "small", 10, 3))
    arch = NB201_ARCHS[0]
    path = arch_path(NB201, arch)
    params = {k: v.clone() for k, v in net.named_parameters()}
    before = bn_buffers(net)
    batches = [torch.randn(16, 3, 8, 8, generator=torch.Generator().manual_seed(i)) + 1.0
               for i in range(2)]
    used = recalibrate_bn(net, path, batches)
    after = bn_buffers(net)
    changed_on_path = unchanged_off_path = 0
    for name, value in before.items():
        if not name.endswith("running_mean"):
            continue
        edge_op = _edge_op(name)
        if edge_op is not None and path[edge_op[0]] != edge_op[1]:
            assert torch.equal(after[name], value), name  # not on the path: untouched
            unchanged_off_path += 1
        else:
            assert not torch.equal(after[name], value), name  # on the path: re-estimated
            changed_on_path += 1
    assert changed_on_path == used and unchanged_off_path > 0
    for k, v in net.named_parameters():
        assert torch.equal(v, params[k]), k
    assert not net.training


def test_query_restores_the_trained_statistics_and_bn_changes_scores():
    data = _data()
    p = get_predictor("oneshot", **FAST).fit([], None, _ctx(data=data))
    state = {k: v.clone() for k, v in p.supernet_.state_dict().items()}
    with_bn = p.query(NB201_ARCHS, _ctx(data=data))
    after = p.supernet_.state_dict()
    assert all(torch.equal(state[k], after[k]) for k in state)
    p.bn_batches = 0
    without = p.query(NB201_ARCHS, _ctx(data=data))
    assert np.all(np.isfinite(without)) and not np.array_equal(with_bn, without)


# -- save / load --------------------------------------------------------------------------------
def test_save_load_round_trip_and_checkpoint(tmp_path):
    data = _data()
    p = get_predictor("rsws", **FAST).fit([], None, _ctx(data=data))
    scores = p.query(NB201_ARCHS, _ctx(data=data))
    file = p.save(tmp_path / "rsws.pt")
    for loaded in (WeightSharingPredictor.load(file), load_supernet(file)):
        assert loaded.name == "rsws" and loaded.get_params() == p.get_params()
        np.testing.assert_array_equal(loaded.query(NB201_ARCHS, _ctx(data=data)), scores)

    with pytest.raises(ValueError, match="not OneShot"):
        get_predictor("oneshot").load(file)

    ckpt = tmp_path / "shared.pt"
    trained = get_predictor("oneshot", checkpoint=str(ckpt), **FAST).fit([], None, _ctx(data=data))
    assert ckpt.exists() and trained.fit_info_["loaded_from"] is None
    reused = get_predictor("oneshot", checkpoint=str(ckpt), **FAST).fit([], None,
                                                                         _ctx(data=data))
    assert reused.fit_info_["loaded_from"] == str(ckpt)
    np.testing.assert_array_equal(reused.query(NB201_ARCHS, _ctx(data=data)),
                                  trained.query(NB201_ARCHS, _ctx(data=data)))
    with pytest.raises(ValueError, match="epochs"):
        get_predictor("oneshot", checkpoint=str(ckpt), **{**FAST, "epochs": 2}).fit(
            [], None, _ctx(data=data))
    with pytest.raises(ValueError, match="'oneshot' supernet"):
        get_predictor("rsws", checkpoint=str(ckpt), **FAST).fit([], None, _ctx(data=data))
    with pytest.raises(ValueError, match="not a saved supernet"):
        (tmp_path / "junk.pt").write_text("junk")
        load_supernet(tmp_path / "junk.pt")


def test_checkpoint_charges_its_training_and_keeps_to_its_seed(tmp_path):
    data = _data()
    ckpt = tmp_path / "rsws.pt"
    trained = get_predictor("rsws", checkpoint=str(ckpt), **FAST).fit([], None, _ctx(data=data))
    recorded = trained.fit_info_["train_compute_seconds"]
    assert trained.reused_fit_seconds_ == 0.0 and recorded > 0
    assert load_supernet(ckpt).fit_info_["seed"] == 0
    loaded = get_predictor("rsws", checkpoint=str(ckpt), **FAST).fit([], None, _ctx(data=data))
    assert loaded.fit_info_["loaded_from"] == str(ckpt)
    assert loaded.reused_fit_seconds_ == recorded  # the training it took over is charged
    # another seed: refused, never a silently shared supernet
    other = get_predictor("rsws", checkpoint=str(ckpt), **FAST)
    _one_line_error(lambda: other.fit([], None, _ctx(data=data, seed=5)),
                    r"trained with seed 0, but this fit has seed 5; put \{seed\}")
    _one_line_error(lambda: get_predictor("rsws", checkpoint=str(ckpt), seed=3, **FAST).fit(
        [], None, _ctx(data=data)), "seed 3")
    # a fresh training fit resets the charge
    loaded.checkpoint = None
    assert loaded.fit([], None, _ctx(data=data)).reused_fit_seconds_ == 0.0
    # a checkpoint that cannot say what its training cost (or its seed) is refused, not free
    for missing, match in (("train_compute_seconds", "compute seconds"), ("seed", "the seed")):
        bad = load_supernet(ckpt)
        del bad.fit_info_[missing]
        path = bad.save(tmp_path / f"no_{missing}.pt")
        _one_line_error(lambda: get_predictor("rsws", checkpoint=str(path), **FAST).fit(
            [], None, _ctx(data=data)), match)


def test_seed_placeholder_gives_one_checkpoint_per_seed(tmp_path):
    data = _data()
    template = str(tmp_path / "rsws_{seed}.pt")
    fits = {seed: get_predictor("rsws", checkpoint=template, **FAST).fit(
        [], None, _ctx(data=data, seed=seed)) for seed in (0, 1)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rsws_0.pt", "rsws_1.pt"]
    for seed, fitted in fits.items():
        again = get_predictor("rsws", checkpoint=template, **FAST).fit(
            [], None, _ctx(data=data, seed=seed))
        assert again.fit_info_["loaded_from"] == str(tmp_path / f"rsws_{seed}.pt")
        assert again.reused_fit_seconds_ == fitted.fit_info_["train_compute_seconds"]
        state, expected = again.supernet_.state_dict(), fitted.supernet_.state_dict()
        assert all(torch.equal(state[k], expected[k]) for k in state)
    w0, w1 = fits[0].supernet_.state_dict(), fits[1].supernet_.state_dict()
    assert any(not torch.equal(w0[k], w1[k]) for k in w0)  # really one supernet per seed


# -- bad input ----------------------------------------------------------------------------------
def _one_line_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("params,match", [
    ({"epochs": 0}, "epochs"), ({"data_fraction": 1.5}, "data_fraction"),
    ({"bn_batches": -1}, "bn_batches"), ({"val_samples": 0}, "val_samples"),
    ({"batch_size": 1}, "batch_size"), ({"lr": 0.0}, "lr"), ({"epochs": 1.5}, "epochs"),
    ({"drop_prob": 1.0}, "drop_prob"),
])
def test_bad_params_are_one_line_errors(params, match):
    _one_line_error(lambda: get_predictor("oneshot", **params), match)


def test_bad_context_is_a_one_line_error():
    p = get_predictor("rsws", **FAST)
    _one_line_error(lambda: p.fit([], None, Context(space=get_search_space("nb101"),
                                                    data=_data())), "'nb101'")
    _one_line_error(lambda: p.fit([], None, Context(space=NB201)), "no images")
    _one_line_error(lambda: p.query(NB201_ARCHS, _ctx()), "call fit")
    _one_line_error(lambda: get_predictor("rsws", preset="huge", **FAST).fit([], None, _ctx()),
                    "huge")


# -- through the evaluator ------------------------------------------------------------------------
class _SmallDefault(DefaultBenchmark):
    """The shipped default benchmark's archs and curves, with a few hundred of its images."""

    @property
    def data(self) -> ImageData:
        full = super().data
        return ImageData(full.name, full.num_classes, full.x_train[:192], full.y_train[:192],
                         full.x_val[:100], full.y_val[:100], full.x_test[:10], full.y_test[:10])


def test_evaluate_runs_a_weight_sharing_predictor():
    rows = evaluate(_SmallDefault(), get_predictor("rsws", **FAST), test_size=12, seeds=[0])
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["error"] is None, row["error"]
    assert row["train_size"] == 0 and row["fidelity"] == 0 and row["n_test"] == 12
    assert np.isfinite(row["kendalltau"]) and row["init_compute_seconds"] > 0


def test_needs_images_refused_up_front_on_a_benchmark_without_any(tmp_path):
    """`Needs.images`: a benchmark without images (a table) cannot run a supernet; `evaluate`
    and the NAS loops say so in one line before any work instead of failing every cell."""
    from benchmarks import load_benchmark
    from experiments import run_search
    from predictors import Needs

    assert all(get_predictor(n).needs == Needs(network=True, images=True)
               for n in list_predictors("weight_sharing"))
    assert not any(get_predictor(n).needs.images for n in list_predictors()
                   if get_predictor(n).family != "weight_sharing")
    path = tmp_path / "t.csv"
    path.write_text("arch,val_accuracy\n" + "".join(
        f"{NB201.format(NB201.from_index(i))},{50 + i % 40}\n" for i in range(60)))
    table = load_benchmark("table", path=str(path), space="nb201")
    _one_line_error(lambda: evaluate(table, "rsws", test_size=12, seeds=[0]),
                    r"'rsws' trains on the benchmark's images .* holds none")
    _one_line_error(lambda: run_search("npenas", table, 10, 0, "oneshot"), "holds none")


def test_evaluate_charges_a_checkpointed_supernet(tmp_path):
    bench = _SmallDefault()
    per_seed = str(tmp_path / "rsws_{seed}.pt")
    predictor = get_predictor("rsws", checkpoint=per_seed, **FAST)
    first = evaluate(bench, predictor, test_size=12, seeds=[0, 1])
    assert first.error.isna().all(), first.error.tolist()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["rsws_0.pt", "rsws_1.pt"]
    second = evaluate(bench, predictor, test_size=12, seeds=[0, 1])
    assert second.error.isna().all(), second.error.tolist()
    for seed in (0, 1):
        recorded = load_supernet(tmp_path / f"rsws_{seed}.pt").fit_info_["train_compute_seconds"]
        row = second[second.seed == seed].iloc[0]
        assert row["init_compute_seconds"] >= recorded > 0  # loading costs what training did
        np.testing.assert_allclose(row["kendalltau"], first[first.seed == seed].iloc[0]
                                   ["kendalltau"])
    # one file for every seed: the other seed's cell fails with the reason, it is not shared
    shared = get_predictor("rsws", checkpoint=str(tmp_path / "rsws_0.pt"), **FAST)
    rows = evaluate(bench, shared, test_size=12, seeds=[0, 1])
    assert rows[rows.seed == 0].error.isna().all()
    assert "trained with seed 0, but this fit has seed 1" in rows[rows.seed == 1].error.iloc[0]


def test_study_labels_bn_settings_by_what_they_do(tmp_path) -> None:
    """studies/weight_sharing_accuracy.py: "with BN re-estimation" means bn_batches > 0 for
    every predictor, whichever setting is its default (oneshot: off, rsws: on)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "studies" / "weight_sharing_accuracy.py"
    spec = importlib.util.spec_from_file_location("weight_sharing_study", path)
    study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study)
    specs = [study.common.Spec("oneshot", "oneshot"), study.common.Spec("rsws", "rsws")]
    entries = study.entries(specs, [1], "both", tmp_path)
    assert len(entries) == 4
    for entry in entries:
        assert entry.extra["bn_reestimation"] == (entry.predictor.bn_batches > 0), entry.label
    assert {e.label for e in entries} == {"oneshot:epochs=6", "oneshot:epochs=6:bn_batches=2",
                                          "rsws:epochs=16", "rsws:epochs=16:bn_batches=0"}
