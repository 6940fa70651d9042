"""decompose(method="bayes"): the PyMC model samples for real and agrees with REML."""

import warnings

import numpy as np
import pandas as pd

import coachstats as cs
from coachstats.bayes import ConvergenceWarning


def test_bayes_posterior_of_the_same_quantities_agrees_with_reml():
    rng = np.random.default_rng(11)
    team = np.repeat(np.arange(150), 6)
    mgr = team // 3
    y = rng.normal(0, 0.6, 50)[mgr] + rng.normal(0, 0.3, 150)[team] + rng.normal(0, 1, 900)
    df = pd.DataFrame({"manager": mgr, "team": team, "engagement": y})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = cs.variance.decompose(df, "engagement", ["manager", "team"], method="bayes",
                                    draws=300, tune=300, chains=2, rng=3)  # fmt: skip
    reml = cs.variance.decompose(df, "engagement", ["manager", "team"], n_boot=0)
    fb, fr = res.to_frame().set_index("term"), reml.to_frame().set_index("term")
    assert fb.index.tolist() == fr.index.tolist()
    for term in ("icc1_manager", "between_share_team_of_manager", "var_residual"):
        b = fb.loc[term]
        assert b["ci_low"] < b["estimate"] < b["ci_high"]
        assert abs(b["estimate"] - fr.loc[term, "estimate"]) < 2 * b["std_error"]
    assert res.diagnostics.max_rhat < 1.05 and res.diagnostics.n_divergent < 10
    assert res.draws.shape == (600, 3)
    assert "posterior" in res.summary()
    share = res.between_share(level="team", of="manager")
    assert share.ci_low < share.estimate < share.ci_high
