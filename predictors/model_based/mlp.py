"""`mlp`: a feed-forward network on an architecture encoding (White et al., 2021, "How Powerful
are Performance Predictors in NAS?", the MLP predictor; NASLib `naslib/predictors/mlp.py`).

The net is NASLib's `FeedforwardNet`: `num_layers` ReLU layers of width `layer_width` and a linear
output, trained with Adam (betas 0.9, 0.99) on the MAE plus an L1 penalty on the output weights.
Targets are standardised by the base class (NASLib fits the raw accuracies:
``standardize_targets=False``). ``get_predictor("mlp", config="paper")`` is NASLib's setup:
20 x 20 net, lr 1e-3, L1 0.2, 500 epochs, raw labels, and the paper's HPO (random search in
NASLib's space for 0.9 s per train arch + 20 s, up to 5000 trials, 3 folds).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from predictors.base import register_predictor
from predictors.model_based._hpo import choice, int_log_uniform, log_uniform
from predictors.model_based._neural import (
    FeedForward,
    TorchPredictor,
    adam,
    as_tensor,
    predict_chunks,
    regression_loss,
    torch_seed,
    torch_session,
    train_loop,
)
from predictors.model_based.base import PAPER_HPO


def train_mlp(X: np.ndarray, z: np.ndarray, params: dict[str, Any], seed: int,
              device: torch.device, members: int = 1) -> FeedForward:
    """`members` feed-forward nets (one batched module) fitted to (X, z) with `params`; each
    member has its own initialisation and batch order."""
    with torch_session(seed, device):
        x = as_tensor(X, device)
        t = as_tensor(z, device)
        net = FeedForward(x.shape[1], int(params["num_layers"]), int(params["layer_width"]),
                          members).to(device)
        optimizer = adam(net.parameters(), float(params["lr"]), betas=(0.9, 0.99))
        criterion = regression_loss(params["loss"])
        reg = float(params["regularization"])

        def loss_of(index: torch.Tensor) -> torch.Tensor:  # index: [members, batch]
            # sum over members of each member's mean loss: independent gradients per member
            loss = criterion(net(x[index]), t[index], reduction="none").mean(-1).sum()
            if reg:  # NASLib: L1 penalty on the output layer's weights only
                loss = loss + reg * net.out_weight.abs().sum()
            return loss

        train_loop(net, len(t), int(params["epochs"]), int(params["batch_size"]), loss_of,
                   optimizer, device=device, members=members)
    return net


#: NASLib `MLPPredictor.set_random_hyperparams` (batch size 32 and L1 0.2 stay fixed)
NASLIB_MLP_SPACE = {
    "num_layers": lambda rng: int(rng.integers(5, 25)),
    "layer_width": lambda rng: int(rng.integers(5, 25)),
    "lr": choice([0.1, 0.01, 0.005, 0.001, 0.0001]),
}


def predict_mlp(net: FeedForward, X: np.ndarray, device: torch.device) -> np.ndarray:
    """[members, len(X)] predictions."""
    with torch_session(None, device):
        x = as_tensor(X, device)
        return predict_chunks(lambda rows: net(x[rows]), len(x))


@register_predictor
class MLPPredictor(TorchPredictor):
    """Feed-forward neural network on `encoding` (adjacency one-hot or path)."""
    int_minimums = {"epochs": 1, "batch_size": 1}

    name = "mlp"
    supported_encodings = ("adjacency_one_hot", "path")
    paper_hyperparameter_space = NASLIB_MLP_SPACE
    # NASLib MLPPredictor default_hyperparams and fit(epochs=500, loss="mae"), raw labels, HPO on
    configs = {"paper": {"num_layers": 20, "layer_width": 20, "lr": 1e-3, "batch_size": 32,
                         "epochs": 500, "loss": "mae", "regularization": 0.2,
                         "standardize_targets": False, **PAPER_HPO}}
    # NASLib `MLPPredictor.set_random_hyperparams`: layers and widths in 5..24, lr from a grid
    hyperparameter_space = {
        "num_layers": int_log_uniform(2, 20),
        "layer_width": int_log_uniform(16, 256),
        "lr": choice([1e-2, 5e-3, 1e-3, 1e-4]),
        "regularization": log_uniform(1e-4, 0.2),
    }

    def __init__(self, encoding: str = "adjacency_one_hot",
                 num_layers: int = 5,          # ours: see `layer_width`
                 layer_width: int = 128,       # ours: 5 x 128 beats NASLib's 20 x 20 (report)
                 lr: float = 1e-3,             # NASLib MLPPredictor default_hyperparams
                 batch_size: int = 32,         # NASLib MLPPredictor default_hyperparams
                 epochs: int = 500,            # NASLib fit(epochs=500); 300 lost on tuning
                 loss: str = "mae",            # NASLib fit(loss="mae"); BANANAS meta net loss
                 regularization: float = 0.01,  # NASLib 0.2 (L1 on the output weights) underfits
                                                # standardised targets
                 seed: int | None = None, hpo_trials: int = 0, hpo_seconds: float | None = None,
                 hpo_folds: int = 3, device: str | None = None,
                 standardize_targets: bool = True,  # False: raw labels, as NASLib
                 hpo_seconds_per_arch: float = 0.0, hpo_space: str = "default") -> None:
        self.encoding = encoding
        self.num_layers = num_layers
        self.layer_width = layer_width
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.loss = loss
        self.regularization = regularization
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.device = device
        self.standardize_targets = standardize_targets
        self.hpo_seconds_per_arch = hpo_seconds_per_arch
        self.hpo_space = hpo_space

    def _fit(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any],
             rng: np.random.Generator) -> Any:
        return train_mlp(X, z, params, torch_seed(rng), self.torch_device)

    def _predict(self, state: Any, X: np.ndarray) -> tuple[np.ndarray, None]:
        return predict_mlp(state, X, self.torch_device)[0], None
