"""Synthetic control: a weighted average of comparison units that tracks the treated unit
before the program, with placebo-in-space inference.

The donor weights ``w`` solve (Abadie, Diamond & Hainmueller 2010, with the pre-program
outcomes as the predictors and equal predictor weights)::

    min_w  sum_{t < t0} (y_1t - sum_j w_j y_jt)^2   subject to  w_j >= 0,  sum_j w_j = 1

The effect at ``t >= t0`` is the gap ``y_1t - sum_j w_j y_jt``; ``att`` is its mean over the
post-program periods. Inference is by placebos in space: each donor in turn is treated as if
it had the program (the treated unit left out of its donor pool), and the p-value is the
rank of the treated unit's ratio of post- to pre-program root mean squared prediction error
among all units' ratios (Abadie et al. 2010, section 2.3): with ``J`` donors the smallest
attainable p-value is ``1 / (J + 1)``.

The weights are computed exactly: Lawson-Hanson non-negative least squares on an augmented
system finds the support, and the equality-constrained least-squares problem on that support
is solved in closed form (KKT), with a check of the optimality conditions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from .._validate import prepare, require_unique_keys
from ..results import Caution, Result, new_axes, tidy_frame

__all__ = ["SyntheticControlResult", "simplex_weights", "synthetic_control"]


def simplex_weights(y1: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0, sum w = 1`` minimising ``||y1 - y0 @ w||^2`` (``y0``: periods x donors).

    Parameters
    ----------
    y1 : ndarray
        Pre-program series of the treated unit (periods).
    y0 : ndarray
        Pre-program series of the donors (periods x donors).

    Returns
    -------
    ndarray
        One weight per donor, non-negative and summing to one.

    Examples
    --------
    >>> import numpy as np
    >>> y0 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> simplex_weights(np.array([0.5, 0.5, 1.0]), y0).round(6).tolist()
    [0.5, 0.5]
    """
    y1 = np.asarray(y1, float)
    y0 = np.asarray(y0, float)
    j = y0.shape[1]
    scale = max(float(np.abs(y0).max()), 1.0) * 1e3
    a = np.vstack([y0, scale * np.ones((1, j))])
    b = np.r_[y1, scale]
    w0, _ = nnls(a, b, maxiter=50 * j)
    support = w0 > 1e-12
    for _ in range(j + 1):
        s = np.flatnonzero(support)
        xs = y0[:, s]
        k = len(s)
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = xs.T @ xs
        kkt[:k, k] = 1.0
        kkt[k, :k] = 1.0
        rhs = np.r_[xs.T @ y1, 1.0]
        try:
            sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
        except np.linalg.LinAlgError:  # pragma: no cover - lstsq does not raise on rank loss
            break
        w = np.zeros(j)
        w[s] = sol[:k]
        if np.all(w[s] >= -1e-12):
            w = np.clip(w, 0.0, None)
            w /= w.sum()
            # optimality: gradient of inactive donors must not point into the simplex
            grad = -2 * y0.T @ (y1 - y0 @ w)
            lam = float(np.mean(grad[s]))
            if np.all(grad[~support] >= lam - 1e-8 * max(1.0, abs(lam))):
                return w
            support[np.argmin(np.where(support, np.inf, grad))] = True
        else:
            support[s[np.argmin(sol[:k])]] = False
    # fall back to the augmented NNLS solution, renormalised
    return w0 / w0.sum()


@dataclass(frozen=True)
class SyntheticControlResult(Result):
    """Effect of a program on one unit against its synthetic control.

    ``to_frame()``: ``att`` (mean post-program gap, with the placebo p-value), then
    ``gap_<time>`` for each post-program period. ``weights`` holds the donor weights,
    ``paths`` the treated and synthetic series, ``placebos`` every unit's gaps and RMSPEs.

    Parameters
    ----------
    table : DataFrame
        The ``to_frame()`` table above.
    weights : Series
        Donor weights (non-negative, summing to one), indexed by donor.
    paths : DataFrame
        ``time, treated, synthetic``: the two series.
    placebos : DataFrame
        ``unit, time, gap``: every unit's gap from its own synthetic control (in-space
        placebos).
    outcome : str
        Outcome column.
    treated : object
        The treated unit.
    intervention : float
        First program period.
    pre_rmspe : float
        Root mean squared prediction error of the synthetic control before the program.
    n_donors : int
        Donor units.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_series(rng=4)
    >>> res = cs.timeseries.synthetic_control(sim.data, "engagement", "unit", "wave",
    ...                                       treated="focal", intervention=13)
    >>> res.treated
    'focal'
    """

    table: pd.DataFrame = field(repr=False)
    weights: pd.Series = field(repr=False)
    paths: pd.DataFrame = field(repr=False)
    placebos: pd.DataFrame = field(repr=False)
    outcome: str = "outcome"
    treated: Any = None
    intervention: float = 0.0
    pre_rmspe: float = math.nan
    n_donors: int = 0
    n_dropped: int = 0

    @property
    def title(self) -> str:
        return f"Synthetic control for {self.treated}: {self.outcome}"

    @property
    def p_value(self) -> float:
        return float(self.table["p_value"].iloc[0])

    @property
    def notes(self) -> list[str]:
        top = self.weights[self.weights > 0.001].sort_values(ascending=False)
        return ["Donor weights (non-negative, sum 1) fitted on the pre-program outcomes: "
                + ", ".join(f"{k} {v:.3f}" for k, v in top.items()) + ".",
                f"Pre-program RMSPE {self.pre_rmspe:.4g}.",
                f"p-value: rank of the post/pre RMSPE ratio among the treated unit and "
                f"{self.n_donors} placebo donors (smallest possible "
                f"{1 / (self.n_donors + 1):.3f})."]

    def assumptions(self) -> list[str]:
        return ["Without the program the treated unit would have followed the same weighted "
                "combination of donors as before it (a stable factor structure).",
                "No donor was affected by the program or by spill-overs from it, and no donor "
                "had its own shock after t0."]

    def limitations(self) -> list[str]:
        return ["With few donors the placebo p-value cannot be small; it tests a sharp null of "
                "no effect anywhere, not an interval for the effect.",
                "A poor pre-program fit (large RMSPE relative to the effect) makes the gaps "
                "uninterpretable."]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = []
        pre = self.paths.loc[self.paths["time"] < self.intervention, "treated"]
        sd = float(pre.std(ddof=1)) if len(pre) > 1 else math.nan
        if np.isfinite(sd) and self.pre_rmspe > 0.5 * sd:
            out.append(Caution("poor_pre_fit",
                               f"The synthetic control misses the treated unit before the "
                               f"program by {self.pre_rmspe:.3g} (RMSPE), half its own SD or "
                               "more.", self.pre_rmspe))
        if self.n_donors < 19:
            out.append(Caution("few_donors",
                               f"Only {self.n_donors} donors: the placebo p-value cannot go "
                               f"below {1 / (self.n_donors + 1):.3f}.", float(self.n_donors)))
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, kind: str = "paths", **kwargs: Any) -> Any:
        """``kind="paths"``: treated vs synthetic; ``"placebos"``: every unit's gap.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        kind : {"paths", "placebos"}, default "paths"
            ``"paths"``: treated unit against its synthetic control; ``"placebos"``: every
            unit's gap (in-space placebos).
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax, figsize=(7.0, 4.0))
        if kind == "placebos":
            for u, g in self.placebos.groupby("unit", sort=False):
                is_t = u == self.treated
                ax.plot(g["time"], g["gap"], color="C3" if is_t else "0.75",
                        lw=2 if is_t else 0.8, zorder=3 if is_t else 1,
                        label=str(u) if is_t else None)
            ax.axhline(0, color="0.4", lw=1)
            ax.set_ylabel(f"gap in {self.outcome}")
            ax.legend(frameon=False, fontsize=8)
        else:
            p = self.paths
            ax.plot(p["time"], p["treated"], color="C3", label=str(self.treated))
            ax.plot(p["time"], p["synthetic"], color="C0", ls="--", label="synthetic control")
            ax.set_ylabel(self.outcome)
            ax.legend(frameon=False, fontsize=8)
        ax.axvline(self.intervention, color="0.5", lw=1, ls=":")
        ax.set_xlabel("time")
        ax.set_title(self.title, fontsize=10)
        return ax


def _fit(wide: pd.DataFrame, unit: Any, donors: list[Any], pre: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    y1 = wide[unit].to_numpy(float)
    y0 = wide[donors].to_numpy(float)
    w = simplex_weights(y1[pre], y0[pre])
    return w, y1 - y0 @ w


def synthetic_control(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    *,
    treated: Any,
    intervention: float,
    dropna: bool = False,
) -> SyntheticControlResult:
    """Effect of a program on one unit against a synthetic control built from donor units.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and time (a balanced panel); never modified.
    outcome : str
        Numeric outcome (e.g. mean engagement of the unit).
    unit, time : str
        Unit identifier and numeric time.
    treated : scalar
        The unit that had the program; every other unit is a donor.
    intervention : float
        First time value under the program.
    dropna : bool
        Drop rows with a missing value first (counted in ``n_dropped``); the panel must still
        be balanced.

    Returns
    -------
    SyntheticControlResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_series(rng=4)
    >>> res = cs.timeseries.synthetic_control(sim.data, "engagement", "unit", "wave",
    ...                                       treated="focal", intervention=13)
    >>> round(float(res.weights.sum()), 6)
    1.0
    """
    frame, miss = prepare(data, {"outcome": outcome, "unit": unit, "time": time},
                          numeric=["outcome", "time"], dropna=dropna)
    require_unique_keys(frame, [unit, time])
    wide = frame.pivot(index=time, columns=unit, values=outcome).sort_index()
    if wide.isna().any().any():
        gaps = wide.columns[wide.isna().any()].tolist()
        raise ValueError(f"the panel is unbalanced: unit(s) {gaps[:5]} lack some values of "
                         f"{time!r}. Synthetic control needs every unit at every time.")
    units = wide.columns.tolist()
    by_text = {str(u): u for u in units}
    treated = by_text.get(str(treated), treated)
    if treated not in units:
        raise ValueError(f"treated={treated!r} is not a value of column {unit!r}.")
    donors = [u for u in units if u != treated]
    if len(donors) < 2:
        raise ValueError(f"need at least 2 donor units besides {treated!r}, got {len(donors)}.")
    t = wide.index.to_numpy(float)
    pre = t < float(intervention)
    if pre.sum() < 3 or (~pre).sum() < 1:
        raise ValueError(f"need at least 3 periods before intervention={intervention:g} and 1 "
                         f"from it on; found {int(pre.sum())} and {int((~pre).sum())}.")
    w, gap = _fit(wide, treated, donors, pre)

    def rmspe(g: np.ndarray, mask: np.ndarray) -> float:
        return math.sqrt(float(np.mean(g[mask] ** 2)))

    ratios = {treated: rmspe(gap, ~pre) / max(rmspe(gap, pre), 1e-300)}
    plac = [pd.DataFrame({"unit": treated, "time": t, "gap": gap})]
    for d in donors:
        pool = [u for u in donors if u != d]
        _, g = _fit(wide, d, pool, pre)
        ratios[d] = rmspe(g, ~pre) / max(rmspe(g, pre), 1e-300)
        plac.append(pd.DataFrame({"unit": d, "time": t, "gap": g}))
    r = np.array(list(ratios.values()))
    p = float(np.mean(r >= ratios[treated]))
    rows = [{"term": "att", "estimate": float(gap[~pre].mean()), "p_value": p,
             "rmspe_ratio": ratios[treated]}]
    rows += [{"term": f"gap_{tt:g}", "estimate": float(g)} for tt, g in zip(t[~pre], gap[~pre],
                                                                             strict=True)]
    synth = wide[donors].to_numpy(float) @ w
    paths = pd.DataFrame({"time": t, "treated": wide[treated].to_numpy(float),
                          "synthetic": synth})
    placebos = pd.concat(plac, ignore_index=True)
    placebos["rmspe_ratio"] = placebos["unit"].map(ratios)
    return SyntheticControlResult(
        table=tidy_frame(rows), weights=pd.Series(w, index=donors, name="weight"),
        paths=paths, placebos=placebos, outcome=outcome, treated=treated,
        intervention=float(intervention), pre_rmspe=rmspe(gap, pre), n_donors=len(donors),
        n_dropped=miss.n_dropped)
