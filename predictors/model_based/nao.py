"""`nao`: the encoder-predictor-decoder of Neural Architecture Optimization (Luo et al., NeurIPS
2018) used as a performance predictor (White et al., 2021; NASLib `SemiNASPredictor(semi=False)`).

An LSTM encoder maps the architecture's token sequence (`_sequence.tokenize`) to an embedding, an
MLP predicts the (standardised) accuracy from it, and an LSTM decoder reconstructs the sequence;
the loss is trade_off * MSE + (1 - trade_off) * reconstruction cross-entropy. The decoder only
regularises the embedding: a query runs the encoder and the predictor.

``encoding``: "sequence" (the space's own token sequence, `_sequence.tokenize`) or
"graph_sequence" (edge bits and node labels of `SearchSpace.graph`, NASLib's NB201 encoding).
``get_predictor("nao", config="paper")`` is NASLib's setup: graph sequence, MLP of 16 units, lr
1e-3, L2 1e-4, MSE, 50 epochs, no step cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from predictors.base import Context, register_predictor
from predictors.model_based._hpo import choice, int_log_uniform, log_uniform
from predictors.model_based._neural import TorchPredictor, torch_seed, torch_session
from predictors.model_based._sequence import NAO, predict_nao, tokenize, train_nao, vocabulary


@register_predictor
class NAOPredictor(TorchPredictor):
    """NAO encoder + predictor (+ decoder during training) on token sequences."""
    int_minimums = {"epochs": 1}

    name = "nao"
    supported_encodings = ("sequence", "graph_sequence")
    # NASLib seminas.py module constants and SemiNASPredictor.fit(pretrain_epochs=50), semi=False
    configs = {"paper": {"encoding": "graph_sequence", "hidden_size": 64, "mlp_layers": 2,
                         "mlp_hidden_size": 16, "dropout": 0.1, "loss": "mse",
                         "trade_off": 0.8, "lr": 1e-3, "weight_decay": 1e-4, "grad_clip": 5.0,
                         "batch_size": 100, "epochs": 50, "max_steps": None}}
    hyperparameter_space = {
        "hidden_size": int_log_uniform(32, 128),
        "lr": log_uniform(3e-4, 3e-3),
        "trade_off": choice([0.5, 0.8, 0.9]),
        "batch_size": choice([32, 64, 100]),
    }

    def __init__(self, encoding: str = "sequence",
                 hidden_size: int = 64,        # NASLib seminas.py hidden_size (SemiNAS NB101 code)
                 mlp_layers: int = 2,          # NASLib seminas.py mlp_layers
                 mlp_hidden_size: int = 64,    # NASLib 16; ours: as wide as the embedding
                 dropout: float = 0.1,         # NASLib seminas.py dropout
                 loss: str = "mae",            # NAO / SemiNAS MSE; MAE is robust to NB201's
                                               # unreachable cells (tau 0.66 -> 0.70 at n=1000)
                 trade_off: float = 0.8,       # NASLib seminas.py trade_off (SemiNAS lambda)
                 lr: float = 1e-3,             # NASLib (3e-3 / 200 epochs lost on the tuning split)
                 weight_decay: float = 1e-4,   # NASLib l2_reg
                 grad_clip: float = 5.0,       # NASLib seminas.py grad_bound
                 batch_size: int = 100,        # NASLib seminas.py batch_size
                 epochs: int = 50,             # NASLib fit: 50 (= 50 steps at n=100)
                 max_steps: int | None = 2000,  # ours: 200 epochs at n=1000; caps larger n
                 seed: int | None = None, hpo_trials: int = 0, hpo_seconds: float | None = None,
                 hpo_folds: int = 3, device: str | None = None) -> None:
        self.encoding = encoding
        self.hidden_size = hidden_size
        self.mlp_layers = mlp_layers
        self.mlp_hidden_size = mlp_hidden_size
        self.dropout = dropout
        self.loss = loss
        self.trade_off = trade_off
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.batch_size = batch_size
        self.epochs = epochs
        self.max_steps = max_steps
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.device = device

    def featurize(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        return tokenize(ctx.space, archs, self.encoding)

    def _new_model(self, params: dict[str, Any]) -> NAO:
        return NAO(vocabulary(self._space_, self.encoding), int(params["hidden_size"]),
                   int(params["mlp_layers"]), int(params["mlp_hidden_size"]),
                   float(params["dropout"])).to(self.torch_device)

    def _fit(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any],
             rng: np.random.Generator) -> NAO:
        with torch_session(torch_seed(rng), self.torch_device):
            model = self._new_model(params)
            return train_nao(model, X, z, params, int(params["epochs"]), self.torch_device)

    def _predict(self, state: NAO, X: np.ndarray) -> tuple[np.ndarray, None]:
        with torch_session(None, self.torch_device):
            return predict_nao(state, X, self.torch_device), None
