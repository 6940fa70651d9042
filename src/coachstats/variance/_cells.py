"""Variance decomposition of data larger than memory: innermost-group sums, then REML/ML.

With nested random intercepts and no covariates, the REML/ML likelihood depends on the data
only through each innermost group's count, sum and sum of squares (see
:mod:`coachstats.variance._nested`), and the parametric bootstrap draws those sums directly.
So a Parquet dataset or Dask DataFrame is reduced by Dask to one row per innermost group and
the fit runs on that table. Components, ICCs and shares equal the in-memory fit; bootstrap
draws equal it too when the rows are sorted by the grouping columns (groups are numbered in
sorted order here and in order of appearance in memory).
"""

from __future__ import annotations

import types
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._cells import reduce_cells
from .._rng import as_generator
from .._validate import check_choice, check_ci_level, check_int
from ..results import tidy_frame
from . import _nested
from ._data import RESIDUAL
from ._result import VarianceResult

__all__ = ["decompose_cells"]


def _error_coefficients(codes: list[np.ndarray], cnt: np.ndarray) -> list[np.ndarray]:
    """:func:`coachstats.variance._data.error_coefficients` from innermost-group codes
    (outer to inner, one code per innermost group) weighted by the group counts."""
    nlev = len(codes)
    out = []
    for lev in range(nlev):
        g = codes[lev]
        n_g = np.bincount(g, weights=cnt).astype(float)
        coef = np.zeros((len(n_g), nlev + 1))
        for k in range(lev + 1, nlev):
            h = codes[k]
            n_h = np.bincount(h, weights=cnt).astype(float)
            rep = np.zeros(len(n_h), dtype=np.int64)
            rep[h] = np.arange(len(h))
            coef[:, k] = np.bincount(g[rep], weights=n_h**2, minlength=len(n_g)) / n_g**2
        coef[:, nlev] = 1.0 / n_g
        out.append(coef)
    return out


def decompose_cells(data: Any, outcome: str, levels: Any, **options: Any) -> Any:
    """:func:`coachstats.variance.decompose` for a Parquet path or Dask DataFrame.

    REML or ML without covariates (``method="bayes"`` and ``covariates`` need the rows).
    """
    method = check_choice(options.get("method", "reml"), "method", ("reml", "ml", "bayes"))
    if method == "bayes" or options.get("covariates"):
        raise ValueError("method='bayes' and covariates need the individual rows; on a "
                         "Parquet dataset use method='reml' or 'ml' without covariates.")
    method = check_choice(method, "method", ("reml", "ml"))
    ci_level = check_ci_level(options.get("ci_level", 0.95))
    n_boot = options.get("n_boot", 1000)
    n_boot = check_int(n_boot, "n_boot", minimum=0)
    if 0 < n_boot < 100:
        raise ValueError(f"n_boot={n_boot} is too few for percentile intervals; use >= 100 "
                         "(or 0 for no intervals).")
    ids = options.get("ids", "unique")
    ids = check_choice(ids, "ids", ("unique", "within"))
    lv = (levels,) if isinstance(levels, str) else tuple(levels)
    if not lv or outcome in lv or RESIDUAL in lv or len(set(lv)) != len(lv):
        raise ValueError(f"levels: expected distinct grouping columns other than the outcome "
                         f"and {RESIDUAL!r}, outer first; got {list(lv)}.")
    table = reduce_cells(data, list(lv), outcome=outcome, dropna=options.get("dropna", False))
    cells = table.cells
    cnt = cells["n"].to_numpy(dtype=float)
    sy = cells[f"{outcome}_sum"].to_numpy(dtype=float)
    if table.y_sumsq - table.y_sum**2 / table.n_rows <= 0:
        raise ValueError(f"outcome: column {outcome!r} does not vary. There is no variance "
                         "to decompose.")
    # one code per innermost group at every level (outer to inner)
    codes = []
    for i, c in enumerate(lv):
        key = cells[list(lv[: i + 1])] if ids == "within" else cells[[c]]
        codes.append(pd.MultiIndex.from_frame(key).factorize()[0] if key.shape[1] > 1
                     else pd.factorize(key[c], sort=True)[0])
    if ids == "unique":
        for i in range(1, len(lv)):
            outer = pd.Series(codes[i - 1]).groupby(codes[i]).nunique()
            if (outer > 1).any():
                raise ValueError(
                    f"levels: {lv[i]!r} ids appear in more than one {lv[i - 1]!r} group "
                    f"({int((outer > 1).sum())} ids); if they restart within each "
                    f"{lv[i - 1]!r}, pass ids='within'."
                )
    for c, k in zip(lv, codes, strict=True):
        if k.max() + 1 < 2:
            raise ValueError(f"groups in level {c!r}: need at least 2. With a single {c!r} "
                             "its variance cannot be estimated; drop it from levels.")
    n_groups = tuple(int(c.max()) + 1 for c in codes)
    n = int(table.n_rows)
    children = [*codes[1:], None]
    single = []
    for c, ch in zip(codes, children, strict=True):
        if ch is None:  # people in the innermost groups
            single.append(float((cnt == 1).mean()))
        else:
            single.append(float((pd.Series(ch).groupby(c).nunique() == 1).mean()))
    inner_names = [*lv[1:], "person"]
    for c, share, below in zip(lv, single, inner_names, strict=True):
        if share == 1.0:
            raise ValueError(
                f"Every {c!r} group contains a single {below}: the {c!r} variance cannot be "
                f"separated from the variance below it. Drop {c!r} from levels or use data "
                "with larger groups."
            )
    syy = cells[f"{outcome}_sumsq"].to_numpy(dtype=float)
    inner_first = [np.asarray(c, dtype=np.int64) for c in codes[::-1]]
    base = _nested.build_design(inner_first, np.zeros(len(cells)), np.ones((len(cells), 1)))
    design = replace(base, n=int(table.n_rows), cnt=cnt, sy=sy, syy=syy, sx=cnt[:, None],
                     sxy=sy[:, None].copy(), sxx=cnt[:, None, None].copy(),
                     intercept_only=True)
    reml = method == "reml"
    fit = _nested.fit(design, reml)
    g = as_generator(options.get("rng"))
    stand_in = types.SimpleNamespace(x=np.ones((1, 1)))  # intercept only: sums are drawn
    draws = (_nested.parametric_bootstrap(stand_in, design, fit, reml, int(n_boot), g,
                                          options.get("progress", False))
             if n_boot else None)
    se = float(np.sqrt(fit.beta_cov[0][0, 0]))
    b = float(fit.beta[0][0])
    z = stats.norm.ppf(0.5 + ci_level / 2)
    fixed = tidy_frame([{"term": "intercept", "estimate": b, "std_error": se,
                         "ci_low": b - z * se, "ci_high": b + z * se, "ci_level": ci_level}])
    interval = (
        f"parametric bootstrap, {n_boot} replicates, {ci_level:.0%} percentile intervals "
        "(fixed effects: Wald)" if n_boot else "none (n_boot=0)"
    )
    return VarianceResult(
        outcome=outcome, levels=lv, method=method, variances=fit.variances[0], draws=draws,
        fixed=fixed, n=n, n_groups=n_groups, mean_group_size=tuple(n / k for k in n_groups),
        ci_level=ci_level, criterion=float(fit.criterion[0]), converged=bool(fit.converged[0]),
        n_dropped=int(table.n_dropped), interval=interval,
        err_coef=tuple(_error_coefficients(codes, cnt)), single_child_share=tuple(single),
        design=design,
    )
