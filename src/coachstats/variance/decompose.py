"""Multilevel variance decomposition: variance components, ICC(1), ICC(2), between-unit shares.

The model has nested random intercepts, one per level, with optional fixed covariates::

    y = X beta + u_level1 + u_level2 + ... + e

fitted by REML or ML (see :mod:`coachstats.variance._nested` for the O(groups) algorithm;
it reproduces lme4's ``lmer`` to optimiser precision) or by Bayesian sampling (PyMC).

Intervals (REML/ML) come from a parametric bootstrap: ``n_boot`` datasets are drawn from the
fitted model, each is refitted, and every reported quantity (components, shares, ICCs,
between-unit shares) takes the percentile interval of its bootstrap distribution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._cells import is_out_of_core
from .._progress import ProgressLike
from .._rng import RNGLike, as_generator
from .._validate import check_choice, check_ci_level, check_int
from ..results import tidy_frame
from . import _nested
from ._cells import decompose_cells
from ._data import error_coefficients, nested_data
from ._result import BetweenShare, ProfileIntervals, VarianceResult

__all__ = ["BetweenShare", "ProfileIntervals", "VarianceResult", "decompose"]

_METHODS = ("reml", "ml", "bayes")


def decompose(
    data: pd.DataFrame,
    outcome: str,
    levels: Sequence[str],
    *,
    method: str = "reml",
    covariates: Sequence[str] | None = None,
    ci_level: float = 0.95,
    n_boot: int = 1000,
    ids: str = "unique",
    person: str | None = None,
    occasion: str | None = None,
    rng: RNGLike = None,
    dropna: bool = False,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.95,
    prior_scale: float | None = None,
    progress: ProgressLike = False,
) -> VarianceResult:
    """Split the variance of ``outcome`` into nested group levels and within-group variance.

    Parameters
    ----------
    data : DataFrame, Parquet path or Dask DataFrame
        One row per person (or response); never modified. A Parquet path or Dask DataFrame
        (larger than memory) is reduced to innermost-group sums first (REML/ML without
        covariates; see :mod:`coachstats.variance._cells`).
    outcome : str
        Numeric outcome column (e.g. an engagement score).
    levels : list of str
        Grouping columns from the OUTERMOST to the innermost, e.g. ``["manager", "team"]``
        (teams nested in managers) or ``["division", "manager", "team"]``. Groups of any size
        (including 1) are allowed.
    method : {"reml", "ml", "bayes"}
        Restricted or full maximum likelihood (agrees with lme4's ``lmer``), or a Bayesian
        fit in PyMC (non-centred random intercepts; see :mod:`coachstats.variance.bayesian`).
    covariates : list of str, optional
        Fixed-effect covariates (numeric, or categorical: dummy-coded, first level dropped).
        Components are then variances of the covariate-adjusted outcome.
    ci_level : float
        Interval probability.
    n_boot : int
        Parametric-bootstrap replicates for the REML/ML intervals (percentile intervals of
        every component, share and ICC). 0 skips intervals.
    ids : {"unique", "within"}
        ``"unique"``: each inner id belongs to one outer group (checked; crossings are listed
        in the error). ``"within"``: inner ids restart within each outer group, as lme4's
        ``(1 | batch/cask)``.
    person : str, optional
        Person identifier when people answer more than once (survey waves): the person
        becomes the innermost level, the residual is the occasion-to-occasion variance within
        a person, and ICC(2) of each group counts distinct people. A person column in which
        everyone answers once adds no level (the residual is then between people). Without
        it, a column named like a person identifier (``employee``, ``person_id`` ...) that
        repeats within the innermost level is refused.
    occasion : str, optional
        Wave (occasion) column; with ``person``, wave means enter as fixed effects (so a
        company-wide shift between waves is not read as person or team variance) and each
        person may answer once per wave.
    rng : int, Generator or None
        Seeds the bootstrap (or the sampler).
    dropna : bool
        Drop rows with missing values in the used columns (reported) instead of raising.
    draws, tune, chains, target_accept, prior_scale
        Sampler settings for ``method="bayes"``; ``prior_scale`` is the half-normal scale of
        every SD (default: the outcome's SD).
    progress : bool or Progress
        Show a bar of the bootstrap replicates (or of the MCMC draws) on standard error
        (``True``, e.g. in a notebook); a :class:`coachstats._progress.Progress` adds it to
        that display. The numbers do not depend on it.

    Returns
    -------
    VarianceResult
        ``components``, ``icc1``, ``icc2``, ``between_share()``, ``to_frame()``, ``plot()``;
        ``profile_intervals()`` gives lme4-style profile-likelihood intervals of the SDs.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import coachstats as cs
    >>> rng = np.random.default_rng(0)
    >>> team = np.repeat(np.arange(60), 8); manager = team // 3
    >>> y = rng.normal(0, .5, 20)[manager] + rng.normal(0, .5, 60)[team] + rng.normal(0, 1, 480)
    >>> df = pd.DataFrame({"manager": manager, "team": team, "engagement": y})
    >>> res = cs.variance.decompose(df, "engagement", ["manager", "team"], n_boot=200, rng=1)
    >>> res.components["level"].tolist()
    ['manager', 'team', 'residual']
    """
    if is_out_of_core(data):  # Parquet path / Dask DataFrame: reduce to group sums, then fit
        return decompose_cells(**locals())
    method = check_choice(method, "method", _METHODS)
    ci_level = check_ci_level(ci_level)
    n_boot = check_int(n_boot, "n_boot", minimum=0)
    if 0 < n_boot < 100:
        raise ValueError(f"n_boot={n_boot} is too few for percentile intervals; use >= 100 "
                         "(or 0 for no intervals).")  # fmt: skip
    from ._data import _check_levels, check_repeats

    lv = _check_levels(levels, outcome)
    if occasion is not None and person is None:
        raise ValueError("occasion= needs person=: name the person column whose answers "
                         "repeat over occasions.")
    if person is not None and occasion is None and isinstance(data, pd.DataFrame) \
            and person in data.columns and not data[person].duplicated().any():
        person = None  # one answer per person: the person level is the residual
    check_repeats(data, outcome, lv, person, occasion)
    if person is not None:
        if person in lv:
            raise ValueError(f"person={person!r} is already in levels; pass it once.")
        levels = [*lv, person]
        if occasion is not None:
            covs = [covariates] if isinstance(covariates, str) else list(covariates or ())
            if occasion in covs:
                raise ValueError(f"occasion={occasion!r} is also a covariate; pass it once.")
            covariates = [*covs, occasion]
            if occasion in data.columns and pd.api.types.is_numeric_dtype(data[occasion]):
                data = data.assign(**{occasion: data[occasion].astype(str)})  # a copy
    nd = nested_data(data, outcome, levels, covariates, ids, dropna)
    g = as_generator(rng)
    err = tuple(error_coefficients(nd.codes))
    rm = {"person": person, "occasion": occasion, "mean_people": tuple(
        float(pd.Series(nd.codes[-1]).groupby(c).nunique().mean()) for c in nd.codes
    ) if person else ()}
    n_groups = tuple(int(c.max()) + 1 for c in nd.codes)
    sizes = tuple(len(nd.y) / k for k in n_groups)
    children = [*nd.codes[1:], np.arange(len(nd.y))]
    single = tuple(
        float((pd.Series(ch).groupby(c).nunique() == 1).mean())
        for c, ch in zip(nd.codes, children, strict=True)
    )
    if method == "bayes":
        from .bayesian import fit_bayes

        post = fit_bayes(nd, draws=draws, tune=tune, chains=chains,
                         target_accept=target_accept, prior_scale=prior_scale, rng=g,
                         ci_level=ci_level, progress=progress)  # fmt: skip
        return VarianceResult(
            outcome=outcome, levels=nd.levels, method=method, variances=post.variances.mean(0),
            draws=post.variances, fixed=post.fixed, n=len(nd.y), n_groups=n_groups,
            mean_group_size=sizes, ci_level=ci_level, criterion=math.nan,
            converged=post.diagnostics.ok, n_dropped=nd.missing.n_dropped,
            interval=f"{ci_level:.0%} equal-tailed posterior intervals; estimates are posterior "
            "means", err_coef=err, diagnostics=post.diagnostics, idata=post.idata,
            single_child_share=single, **rm,
        )  # fmt: skip
    reml = method == "reml"
    design = _nested.build_design(list(nd.codes[::-1]), nd.y, nd.x)
    fit = _nested.fit(design, reml)
    draws_ = (_nested.parametric_bootstrap(nd, design, fit, reml, n_boot, g, progress)
              if n_boot else None)
    se = np.sqrt(np.diag(fit.beta_cov[0]))
    from scipy import stats

    z = stats.norm.ppf(0.5 + ci_level / 2)
    fixed = tidy_frame(
        {"term": nm, "estimate": b, "std_error": s, "ci_low": b - z * s, "ci_high": b + z * s,
         "ci_level": ci_level}
        for nm, b, s in zip(nd.x_names, fit.beta[0], se, strict=True)
    )  # fmt: skip
    interval = (
        f"parametric bootstrap, {n_boot} replicates, {ci_level:.0%} percentile intervals "
        "(fixed effects: Wald)" if n_boot else "none (n_boot=0)"
    )
    return VarianceResult(
        outcome=outcome, levels=nd.levels, method=method, variances=fit.variances[0],
        draws=draws_, fixed=fixed, n=len(nd.y), n_groups=n_groups, mean_group_size=sizes,
        ci_level=ci_level, criterion=float(fit.criterion[0]), converged=bool(fit.converged[0]),
        n_dropped=nd.missing.n_dropped, interval=interval, err_coef=err,
        single_child_share=single, design=design, **rm,
    )  # fmt: skip
