"""Ensemble predictors: OMNI (White et al., NeurIPS 2021, "How Powerful are Performance Predictors
in Neural Architecture Search?", §6), which feeds a model-based predictor the outputs of the other
families — zero-cost proxy scores and early learning-curve statistics — next to the architecture
encoding.

- `omni_ngb`: NGBoost on [jacov, SoTL-E (fidelity >= 3), encoding] with honest CV HPO.
- `omni_seminas`: SemiNAS whose token sequence also carries binned jacov and SoTL-E tokens.
- `omni`: the general form — any zero-cost proxies, curve statistics, encoding and tree model.
"""
