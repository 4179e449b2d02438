"""`bananas`: the BANANAS predictor (White, Neiswanger & Savani, AAAI 2021): an ensemble of
feed-forward "meta neural networks" on the path encoding; the ensemble's mean is the prediction
and its spread the uncertainty. The predictor study (White et al., 2021) uses 3 members (NASLib
`Ensemble(num_ensemble=3)` of `MLPPredictor(encoding_type="path")`); BANANAS itself used 5.

The other defaults are the BANANAS paper's meta neural network (10 x 20, lr 0.01, 200 epochs);
the predictor study's code instead gives each member NASLib's MLP setup (20 x 20, lr 1e-3, L1 0.2
on the output weights, 500 epochs, raw labels) and runs its HPO: ``config="paper"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from predictors.base import register_predictor
from predictors.model_based._hpo import choice, int_log_uniform
from predictors.model_based._neural import TorchPredictor, torch_seed
from predictors.model_based.base import PAPER_HPO
from predictors.model_based.mlp import NASLIB_MLP_SPACE, predict_mlp, train_mlp


@register_predictor
class BananasPredictor(TorchPredictor):
    """Ensemble of `num_ensemble` MLPs (independent initialisations and batch orders, trained as
    one batched module); mean and standard deviation over the members
    (`query(..., return_std=True)`)."""
    int_minimums = {"epochs": 1, "num_ensemble": 1}

    name = "bananas"
    supported_encodings = ("path", "adjacency_one_hot")
    supports_std = True
    hyperparameter_space = {
        "num_layers": int_log_uniform(3, 20),
        "layer_width": int_log_uniform(10, 128),
        "lr": choice([1e-2, 5e-3, 1e-3]),
    }
    # NASLib's Ensemble samples its members' (shared) MLP hyperparameters from the MLP's space
    paper_hyperparameter_space = NASLIB_MLP_SPACE
    configs = {"paper": {"encoding": "path", "num_ensemble": 3, "num_layers": 20,
                         "layer_width": 20, "lr": 1e-3, "batch_size": 32, "epochs": 500,
                         "loss": "mae", "regularization": 0.2, "standardize_targets": False,
                         **PAPER_HPO}}

    def __init__(self, encoding: str = "path",
                 num_ensemble: int = 3,        # White et al. 2021 / NASLib Ensemble(num_ensemble=3)
                 num_layers: int = 10,         # BANANAS MetaNeuralnet(num_layers=10)
                 layer_width: int = 20,        # BANANAS MetaNeuralnet(layer_width=20)
                 lr: float = 0.01,             # BANANAS MetaNeuralnet(lr=0.01), betas (0.9, 0.99)
                 batch_size: int = 32,         # BANANAS MetaNeuralnet(batch_size=32)
                 epochs: int = 200,            # BANANAS MetaNeuralnet(epochs=200)
                 loss: str = "mae",            # BANANAS MetaNeuralnet(loss="mae")
                 regularization: float = 0.0,  # BANANAS MetaNeuralnet(regularization=0)
                 seed: int | None = None, hpo_trials: int = 0, hpo_seconds: float | None = None,
                 hpo_folds: int = 3, device: str | None = None,
                 standardize_targets: bool = True,  # False: raw labels, as NASLib
                 hpo_seconds_per_arch: float = 0.0, hpo_space: str = "default") -> None:
        self.encoding = encoding
        self.num_ensemble = num_ensemble
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
        members = max(1, int(params["num_ensemble"]))
        return train_mlp(X, z, params, torch_seed(rng), self.torch_device, members=members)

    def _predict(self, state: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        preds = predict_mlp(state, X, self.torch_device)  # [members, n]
        return preds.mean(0), preds.std(0)
