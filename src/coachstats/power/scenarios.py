"""Ready-made generator and estimator pairs for :func:`coachstats.power.simulate`.

* :func:`cluster_trial` + :func:`cluster_means_test` - managers randomised, employees
  surveyed once (the ``cra2`` design); the t-test on manager means is exact for equal team
  sizes, so its simulated power matches the closed form.
* :func:`wave_panel` + :func:`staggered_att` - coached and comparison units over ``pre`` and
  ``post`` waves with AR(1) or equicorrelated errors (the ``did`` design), estimated with
  :func:`coachstats.did.staggered`.
* ``engagement_panel`` + :func:`staggered_att` - the staggered multilevel rollout of
  :func:`coachstats.simulate.engagement_panel`.

All functions are module-level so they pickle to Dask workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._rng import RNGLike, as_generator
from ..results import tidy_frame
from ..simulate import SimulatedData

__all__ = ["SCENARIOS", "cluster_means_test", "cluster_trial", "staggered_att", "wave_panel"]


@dataclass(frozen=True)
class DesignTruth:
    """The true standardised effect of a simulated design."""

    effect: float


def cluster_trial(J: int = 20, n: int = 10, icc: float = 0.1, effect: float = 0.0, *,
                  P: float = 0.5, rng: RNGLike = None) -> SimulatedData:
    """Managers (``J``, a share ``P`` coached) with ``n`` employees each; outcome variance 1.

    Returns ``SimulatedData`` with columns ``manager, treatment, outcome``; ``truth.effect``
    is the effect in outcome SDs.

    Examples
    --------
    >>> cluster_trial(J=10, n=4, icc=0.2, effect=0.3, rng=1).data.shape
    (40, 3)
    """
    g = as_generator(rng)
    J, n = int(J), int(n)
    nt = round(P * J)
    if not 0 < nt < J:
        raise ValueError(f"P: {P} of {J} managers leaves an arm empty.")
    treat = np.zeros(J, dtype=np.int64)
    treat[g.permutation(J)[:nt]] = 1
    u = g.normal(0.0, np.sqrt(icc), J)
    e = g.normal(0.0, np.sqrt(1 - icc), (J, n))
    y = u[:, None] + effect * treat[:, None] + e
    df = pd.DataFrame({"manager": np.repeat(np.arange(J), n),
                       "treatment": np.repeat(treat, n), "outcome": y.ravel()})
    return SimulatedData(df, DesignTruth(float(effect)),
                         {"J": J, "n": n, "icc": icc, "effect": effect, "P": P})


def cluster_means_test(data: pd.DataFrame, outcome: str = "outcome",
                       treatment: str = "treatment", cluster: str = "manager") -> pd.DataFrame:
    """Pooled-variance t-test of coached vs comparison manager means (df = J - 2).

    Examples
    --------
    >>> cluster_means_test(cluster_trial(J=10, n=4, effect=1.0, rng=1).data)["term"].item()
    'treatment'
    """
    codes, _ = pd.factorize(data[cluster].to_numpy())
    k = int(codes.max()) + 1
    cnt = np.bincount(codes, minlength=k)
    ybar = np.bincount(codes, weights=data[outcome].to_numpy(dtype=float), minlength=k) / cnt
    d = np.zeros(k)
    d[codes] = data[treatment].to_numpy(dtype=float)
    a, b = ybar[d == 1], ybar[d == 0]
    df = k - 2
    est = float(a.mean() - b.mean())
    pooled = (((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()) / df
    se = float(np.sqrt(pooled * (1 / a.size + 1 / b.size)))
    p = float(2 * stats.t.sf(abs(est / se), df))
    return tidy_frame([{"term": "treatment", "estimate": est, "std_error": se,
                        "p_value": p, "df": df}])


def wave_panel(J: int = 100, pre: int = 1, post: int = 3, rho: float = 0.5,
               effect: float = 0.0, *, P: float = 0.5, correlation: str = "ar1",
               rng: RNGLike = None) -> SimulatedData:
    """Units (``J``, a share ``P`` treated from wave ``pre + 1``) over ``pre + post`` waves.

    Errors have unit variance and AR(1) (``rho`` per wave) or equicorrelated structure; the
    effect (in outcome SDs) is constant after treatment. Columns ``unit, wave, cohort,
    outcome`` (``cohort`` 0 = never treated).

    Examples
    --------
    >>> wave_panel(J=10, pre=2, post=2, rng=1).data.shape
    (40, 4)
    """
    g = as_generator(rng)
    J, T = int(J), int(pre) + int(post)
    t = np.arange(T)
    if correlation == "ar1":
        S = rho ** np.abs(t[:, None] - t[None, :])
    else:
        S = np.full((T, T), rho)
        np.fill_diagonal(S, 1.0)
    e = g.multivariate_normal(np.zeros(T), S, size=J, method="cholesky")
    nt = round(P * J)
    treat = np.zeros(J, dtype=np.int64)
    treat[g.permutation(J)[:nt]] = 1
    y = e + effect * treat[:, None] * (t[None, :] >= pre)
    df = pd.DataFrame({"unit": np.repeat(np.arange(J), T), "wave": np.tile(t + 1, J),
                       "cohort": np.repeat(np.where(treat == 1, pre + 1, 0), T),
                       "outcome": y.ravel()})
    return SimulatedData(df, DesignTruth(float(effect)),
                         {"J": J, "pre": pre, "post": post, "rho": rho, "effect": effect,
                          "P": P, "correlation": correlation})


def staggered_att(data: pd.DataFrame) -> Any:
    """Callaway-Sant'Anna simple ATT with analytic SEs (no bootstrap) for the bundled panels.

    Recognises :func:`wave_panel` columns (``unit, wave, cohort, outcome``) and
    :func:`coachstats.simulate.engagement_panel` columns (``team, quarter, coached_from,
    engagement``, clustered by ``manager``, individual answers averaged to team means).
    """
    from ..did import staggered

    if "engagement" in data.columns:
        return staggered(data, outcome="engagement", unit="team", time="quarter",
                         cohort="coached_from", cluster="manager", aggregate=True, n_boot=0)
    return staggered(data, outcome="outcome", unit="unit", time="wave", cohort="cohort",
                     n_boot=0)


def _engagement(**kw: Any) -> SimulatedData:
    from ..simulate import engagement_panel

    return engagement_panel(**kw)


#: name -> (generate, estimate, description) for ``coachstats power simulate``
SCENARIOS: dict[str, tuple[Any, Any, str]] = {
    "cluster_trial": (cluster_trial, cluster_means_test,
                      "managers randomised, employees surveyed once; t-test on manager means"),
    "wave_panel": (wave_panel, staggered_att,
                   "units over pre/post waves with serially correlated errors; staggered DiD"),
    "engagement_panel": (_engagement, staggered_att,
                         "staggered coaching rollout (simulate.engagement_panel); staggered DiD"),
}
