"""Zero-cost proxies: score an untrained network from one minibatch (or none).

    from predictors.zero_cost import score
    score(network, (inputs, labels), proxies=["synflow", "jacov", "nwot"])  # {name: float}

Each proxy is also a registered predictor (`get_predictor("synflow", preset="small")`), and
`zc_ensemble` rank-averages several. Definitions and papers: `_data_pass.py`, `_data_free.py`;
on token networks (language models) `_tokens.py`, where TOKEN_PROXIES apply.
"""

from predictors.zero_cost.score import (
    DATA_FREE,
    PROXIES,
    TOKEN_PROXIES,
    ZeroCostWarning,
    score,
)

__all__ = ["DATA_FREE", "PROXIES", "TOKEN_PROXIES", "ZeroCostWarning", "score"]
