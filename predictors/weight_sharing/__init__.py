"""Weight-sharing predictors: a supernet trained once scores every arch (`oneshot`, `rsws`)."""

from predictors.weight_sharing.supernet_predictors import (
    OneShot,
    RandomSamplingWS,
    WeightSharingPredictor,
    load_supernet,
)

__all__ = ["OneShot", "RandomSamplingWS", "WeightSharingPredictor", "load_supernet"]
