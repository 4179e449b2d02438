"""GP with a Weisfeiler–Lehman graph kernel (GPWL; Ru, Wan et al., "Interpretable Neural
Architecture Search via Bayesian Optimisation with Weisfeiler-Lehman Kernels", ICLR 2021).

The cell graph `space.graph(arch)` gives a node-labelled DAG (label = argmax of the node's op
one-hot; all-zero rows are padding and are dropped, as are nodes whose op is in `ignore_ops`:
NB201's ``none`` carries nothing). WL relabelling (Shervashidze et al. 2011) replaces a node's
label by (its label, the sorted multisets of its predecessors' and successors' labels) h times
(``direction="in"``/``"out"`` keep one side); the feature vector counts every label of
iterations 0..h. The kernel is the normalised dot product
of these counts (WL subtree kernel) or, with ``kernel="wloa"``, the normalised histogram
intersection (optimal-assignment variant, NASLib's default). The GP is exact; signal and noise
variance maximise the marginal likelihood for each h in 0..max_h and the h with the highest
evidence wins (Ru et al. 2021, Sec. 3). Defaults: h chosen in 0..3 (NASLib `max_h=3`), noise
variance bounded to [1e-6, 1e-1]·var(y) as in NASLib's GraphGP.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize, sparse

from predictors.base import register_predictor
from predictors.model_based._target import TargetTransformMixin
from predictors.model_based._threads import single_threaded
from predictors.model_based.base import ModelBasedPredictor

WL_KERNELS = ("wl", "wloa")
_MAX_COUNT = 16  # histogram intersection: label counts above this are capped (cells are small)


def wl_label_ids(adjacency: np.ndarray, features: np.ndarray, max_h: int, vocab: dict,
                 iteration_of: list[int], direction: str = "in") -> list[int]:
    """The WL label ids of one graph's nodes over iterations 0..max_h. A label not yet in
    `vocab` gets the next free id, and `iteration_of[id]` records its iteration."""
    present = [int(v) for v in np.flatnonzero(features.any(1))]
    keep = set(present)
    preds = {v: [int(u) for u in np.flatnonzero(adjacency[:, v]) if u in keep] for v in present}
    succs = {v: [int(u) for u in np.flatnonzero(adjacency[v]) if u in keep] for v in present}

    def lookup(key: Any, t: int) -> int:
        idx = vocab.get(key)
        if idx is None:
            idx = vocab[key] = len(vocab)
            iteration_of.append(t)
        return idx

    ids = {v: lookup((0, int(np.argmax(features[v]))), 0) for v in present}
    out = list(ids.values())
    for t in range(1, max_h + 1):
        new = {}
        for v in present:
            into = tuple(sorted(ids[u] for u in preds[v]))
            outof = tuple(sorted(ids[u] for u in succs[v]))
            neigh = {"in": (into,), "out": (outof,), "both": (into, outof)}[direction]
            new[v] = lookup((t, ids[v], *neigh), t)
        ids = new
        out.extend(ids.values())
    return out


def wl_counts(graphs: tuple[np.ndarray, np.ndarray], max_h: int, vocab: dict,
              iteration_of: list[int], direction: str) -> sparse.csr_matrix:
    """[n_graphs, len(vocab)] counts of every WL label (vocab grows with new labels)."""
    rows = [np.asarray(wl_label_ids(A, F, max_h, vocab, iteration_of, direction), dtype=np.int64)
            for A, F in zip(*graphs)]
    data, indices, indptr = [], [], [0]
    for ids in rows:
        cols, cnt = np.unique(ids, return_counts=True)
        indices.append(cols)
        data.append(cnt.astype(float))
        indptr.append(indptr[-1] + len(cols))
    return sparse.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr),
                             shape=(len(rows), len(vocab)))


def _unary(counts: sparse.csr_matrix, max_count: int) -> sparse.csr_matrix:
    """Histogram intersection as a dot product: count c becomes c ones in columns (label, k)."""
    c = counts.tocoo()
    rows, cols = [], []
    for k in range(1, max_count + 1):
        keep = c.data >= k
        rows.append(c.row[keep])
        cols.append(c.col[keep] * max_count + (k - 1))
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                             shape=(counts.shape[0], counts.shape[1] * max_count))


def _max_log_evidence(eigvals: np.ndarray, proj: np.ndarray, noise_bounds: tuple[float, float]):
    """Maximise log N(z | 0, s*K + e*I) over signal s and noise e given K = U diag(eigvals) U^T
    and proj = U^T z; returns (log evidence, s, e)."""
    n = len(proj)
    proj2 = proj**2

    def neg(theta):
        s, e = np.exp(theta)
        d = s * eigvals + e
        value = 0.5 * (proj2 / d).sum() + 0.5 * np.log(d).sum() + 0.5 * n * np.log(2 * np.pi)
        grad_d = 0.5 * (1.0 / d - proj2 / d**2)
        return value, np.array([(grad_d * eigvals).sum() * s, grad_d.sum() * e])

    bounds = [(np.log(1e-3), np.log(1e3)), tuple(np.log(noise_bounds))]
    best = None
    for e0 in (1e-2, 1e-1):  # two starts: the evidence can be bimodal in the noise
        res = optimize.minimize(neg, np.log([1.0, e0]), jac=True, method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    s, e = np.exp(best.x)
    return -float(best.fun), float(s), float(e)


@register_predictor
class GPWLPredictor(TargetTransformMixin, ModelBasedPredictor):
    """Exact GP on the WL kernel of the cell graph; WL depth h by marginal likelihood."""
    int_minimums = {"max_h": 0}

    name = "gpwl"
    supports_std = True
    supported_encodings = ("graph",)

    def __init__(self, encoding: str = "graph", seed: int | None = None, hpo_trials: int = 0,
                 hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 kernel: str = "wl",  # Ru et al. 2021 (NASLib's GPWLPredictor defaults to "wloa")
                 h: int | str = "auto",  # "auto": by marginal likelihood among 0..max_h
                 max_h: int = 3,  # NASLib GraphGP max_h
                 direction: str = "both",  # WL neighbours: predecessors, successors (out), or both
                 max_noise: float = 0.1, min_noise: float = 1e-6,  # NASLib GraphGP noise bounds
                 ignore_ops: tuple[str, ...] = ("none",)):  # ops that carry nothing: no node
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.kernel = kernel
        self.h = h
        self.max_h = max_h
        self.direction = direction
        self.max_noise = max_noise
        self.min_noise = min_noise
        self.ignore_ops = ignore_ops

    hyperparameter_space = {
        "kernel": lambda rng: str(rng.choice(WL_KERNELS)),
        "direction": lambda rng: str(rng.choice(["in", "out", "both"])),
    }

    def featurize(self, archs, ctx):
        A, F = super().featurize(archs, ctx)
        ops = tuple(getattr(ctx.space, "ops", ()))
        # graph features are one-hot over (input, output, *space.ops) in NB201 / NB101
        if self.ignore_ops and F.shape[-1] == 2 + len(ops):
            for op in self.ignore_ops:
                if op in ops:
                    F[F[:, :, 2 + ops.index(op)] > 0] = 0.0  # the node becomes absent
        return A, F

    @single_threaded
    def _fit(self, X, z, params, rng):
        if params["kernel"] not in WL_KERNELS:
            raise ValueError(f"gpwl: unknown kernel {params['kernel']!r}; expected wl or wloa")
        if params["direction"] not in ("in", "out", "both"):
            raise ValueError(f"gpwl: direction must be in, out or both, got "
                             f"{params['direction']!r}")
        auto = params["h"] == "auto"
        max_h = int(params["max_h"]) if auto else int(params["h"])
        vocab: dict = {}
        iteration_of: list[int] = []
        counts = wl_counts(X, max_h, vocab, iteration_of, params["direction"])
        iteration_of_arr = np.asarray(iteration_of)
        oa = params["kernel"] == "wloa"
        best = None
        for h in (range(max_h + 1) if auto else [max_h]):
            cols = np.flatnonzero(iteration_of_arr <= h)
            phi = self._phi(counts[:, cols], oa)
            norm = np.sqrt(np.asarray(phi.multiply(phi).sum(1)).reshape(-1))
            K = (phi @ phi.T).toarray() / np.outer(norm, norm)
            eigvals, U = np.linalg.eigh(K)
            eigvals = np.clip(eigvals, 0.0, None)
            proj = U.T @ z
            evidence, s, e = _max_log_evidence(eigvals, proj,
                                               (params["min_noise"], params["max_noise"]))
            if best is None or evidence > best["log_evidence"]:
                d = s * eigvals + e
                best = dict(h=h, cols=cols, phi=phi, norm=norm, s=s, e=e, U=U, d=d,
                            alpha=U @ (proj / d), log_evidence=evidence)
        best.update(vocab=vocab, iteration_of=iteration_of, oa=oa, direction=params["direction"],
                    max_h=max_h)
        return best

    @staticmethod
    def _phi(counts: sparse.csr_matrix, oa: bool) -> sparse.csr_matrix:
        """Features whose dot product is the kernel: counts (WL subtree) or, for the
        histogram intersection, counts in unary (count c -> c ones)."""
        return _unary(counts, _MAX_COUNT) if oa else counts

    @single_threaded
    def _predict(self, state, X):
        vocab, iteration_of = dict(state["vocab"]), list(state["iteration_of"])
        width = len(vocab)
        counts = wl_counts(X, state["h"], vocab, iteration_of, state["direction"])
        iters = np.asarray(iteration_of)
        # labels seen in training (restricted to depth h) and labels never seen: the latter
        # only add to k(x, x) in the normalisation
        known = counts[:, state["cols"]]
        unseen_cols = width + np.flatnonzero(iters[width:] <= state["h"])
        unseen = counts[:, unseen_cols]
        phi = self._phi(known, state["oa"])
        self_k = np.asarray(phi.multiply(phi).sum(1)).reshape(-1)
        extra = unseen.sum(1) if state["oa"] else unseen.multiply(unseen).sum(1)
        norm = np.sqrt(self_k + np.asarray(extra).reshape(-1))
        Ks = (phi @ state["phi"].T).toarray() / np.outer(np.maximum(norm, 1e-12), state["norm"])
        s, e = state["s"], state["e"]
        mean = s * Ks @ state["alpha"]
        V = (Ks @ state["U"]) * s
        var = s - (V**2 / state["d"]).sum(1) + e
        return mean, np.sqrt(np.maximum(var, e))
