"""Learning-curve predictors (family `learning_curve`) and the learning-curve hybrid `lcsvr`
(family `hybrid`).

Every predictor here reads curves only through `ctx.curves.partial(arch, ctx.fidelity)` (a
`CurveView`), so none can see a query arch past the fidelity:

- `early_stopping.py`: `valacc`, `valloss` (the curve's value at epoch F);
- `train_loss.py`: `sotl`, `sotle`, `sotlema` (Ru et al. 2020, sums of training losses);
- `lce.py`: `lce`, `lce_m` (Domhan, Springenberg & Hutter 2015 learning-curve extrapolation,
  with the parametric curve models in `_curve_models.py` and the samplers in `_mcmc.py`);
- `lcsvr.py`: `lcsvr` (Baker et al. 2017, nu-SVR on curve statistics).
"""
