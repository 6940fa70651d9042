"""Psychometric meta-analysis of correlations (Hunter & Schmidt 2004, 2015).

Bare-bones: the N-weighted mean correlation, the observed variance of r, the variance
expected from sampling error alone, the residual SD, the percentage of variance sampling
error explains, and a credibility interval. Corrections: unreliability of x and y and
direct range restriction on x, either study by study ("individual", H&S ch. 3) or from
artifact distributions ("artifact_distribution", H&S ch. 4).

Two variants of the sampling-error variance are in use (``error_variance=``):

* ``"mean_n"``: the textbook ``(1 - rbar^2)^2 / (Nbar - 1)`` with the mean study size
  (Hunter & Schmidt 2004, eq. 3.7; psychmeta's default is close to this);
* ``"average"``: the N-weighted average of the per-study ``(1 - rbar^2)^2 / (n_i - 1)``,
  which is exact for unequal study sizes and slightly larger when sizes vary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import (
    check_choice,
    check_ci_level,
    check_number,
    check_probability,
    prepare,
    require_min_count,
    require_range,
)
from ..results import Result, new_axes, tidy_frame

__all__ = ["HunterSchmidtResult", "hunter_schmidt"]


@dataclass(frozen=True)
class HunterSchmidtResult(Result):
    """Bare-bones and artifact-corrected psychometric meta-analysis.

    ``r_bar``/``sd_r``/``sd_e``/``sd_res`` describe observed correlations; ``rho``/``sd_rho``
    the construct level (equal to the bare-bones values when no artifact is given).
    Variances explained are in percent. Credibility intervals use ``credibility`` (80% by
    convention); confidence intervals of the means use the SE named by ``se_method``.

    Parameters
    ----------
    k : int
        Studies.
    n_total : int
        Participants summed over studies.
    r_bar : float
        Sample-size weighted mean observed correlation.
    var_r : float
        Weighted variance of the observed correlations.
    var_e : float
        Expected sampling-error variance.
    var_res : float
        Residual variance, ``var_r - var_e`` (floored at zero).
    pct_var_sampling : float
        Percent of ``var_r`` explained by sampling error.
    se_r_bar : float
        Standard error of ``r_bar`` (see ``se_method``).
    rho : float
        Mean corrected (construct-level) correlation.
    var_rho : float
        Variance of the corrected correlations.
    se_rho : float
        Standard error of ``rho``.
    pct_var_artifacts : float
        Percent of ``var_r`` explained by sampling error and the artifacts.
    mean_attenuation : float
        Mean attenuation factor A (1 without artifacts).
    ci_level : float
        Level of the confidence intervals of the means.
    credibility : float
        Level of the credibility intervals.
    correction : str
        ``"individual"`` or ``"artifact_distribution"``.
    error_variance : str
        ``"average"`` or ``"mean_n"``.
    se_method : str
        ``"weighted"`` or ``"textbook"``.
    artifacts : tuple of str
        Artifacts corrected for (e.g. ``"rxx"``, ``"ryy"``, ``"u"``).
    n_dropped : int
        Studies dropped for missing values (only with ``dropna=True``).
    per_study : DataFrame
        Per-study observed and corrected correlations, attenuation factors and weights.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=60, rxx=0.8, ryy=0.7, rng=4)
    >>> hs = cs.meta.hunter_schmidt(sim.data, rxx="rxx", ryy="ryy")
    >>> hs.correction, hs.k
    ('individual', 60)
    """

    k: int
    n_total: int
    r_bar: float
    var_r: float
    var_e: float
    var_res: float
    pct_var_sampling: float
    se_r_bar: float
    rho: float
    var_rho: float
    se_rho: float
    pct_var_artifacts: float
    mean_attenuation: float
    ci_level: float
    credibility: float
    correction: str
    error_variance: str
    se_method: str
    artifacts: tuple[str, ...]
    n_dropped: int
    per_study: pd.DataFrame = field(repr=False, compare=False)

    @property
    def sd_r(self) -> float:
        return float(np.sqrt(self.var_r))

    @property
    def sd_e(self) -> float:
        return float(np.sqrt(self.var_e))

    @property
    def sd_res(self) -> float:
        return float(np.sqrt(self.var_res))

    @property
    def sd_rho(self) -> float:
        return float(np.sqrt(self.var_rho))

    def _cred(self, m: float, sd: float) -> tuple[float, float]:
        z = stats.norm.isf((1 - self.credibility) / 2)
        return m - z * sd, m + z * sd

    @property
    def title(self) -> str:
        what = "bare-bones" if not self.artifacts else f"corrected for {', '.join(self.artifacts)}"
        return f"Hunter-Schmidt meta-analysis ({what}; k = {self.k}, N = {self.n_total:,})"

    @property
    def notes(self) -> list[str]:
        ev = (
            "(1 - rbar^2)^2 / (Nbar - 1) with the mean study size"
            if self.error_variance == "mean_n"
            else "the N-weighted average of (1 - rbar^2)^2 / (n_i - 1)"
        )
        out = [
            f"Sampling-error variance: {ev}. Sampling error explains "
            f"{self.pct_var_sampling:.1f}% of the observed variance of r "
            "(the 75% rule treats >= 75% as 'no real variation').",
            f"Credibility interval ({self.credibility:.0%}): where {self.credibility:.0%} of "
            "true study correlations lie; confidence interval: uncertainty of the mean.",
        ]
        if self.artifacts:
            out.append(
                f"Corrections ({self.correction.replace('_', ' ')}): {', '.join(self.artifacts)}; "
                f"mean attenuation factor {self.mean_attenuation:.3f}. Reliabilities are taken "
                "as unrestricted-population values; range restriction is undone first."
            )
        if self.n_dropped:
            out.append(f"{self.n_dropped} studies dropped for missing values.")
        return out

    def assumptions(self) -> list[str]:
        return [
            "One independent correlation per sample.",
            "Reported reliabilities and range-restriction ratios are accurate.",
            "Range restriction, if corrected, is direct on x.",
        ]

    def to_frame(self) -> pd.DataFrame:
        z = stats.norm.isf((1 - self.ci_level) / 2)
        rows = []
        for term, m, se, var, extra in (
            ("r_bar", self.r_bar, self.se_r_bar, self.var_res,
             {"sd_observed": self.sd_r, "sd_sampling_error": self.sd_e,
              "pct_var_explained": self.pct_var_sampling}),
            ("rho", self.rho, self.se_rho, self.var_rho,
             {"pct_var_explained": self.pct_var_artifacts}),
        ):  # fmt: skip
            lo, hi = self._cred(m, np.sqrt(var))
            rows.append(
                {"term": term, "estimate": m, "std_error": se, "ci_low": m - z * se,
                 "ci_high": m + z * se, "ci_level": self.ci_level, "sd_true": np.sqrt(var),
                 "cred_low": lo, "cred_high": hi, "credibility": self.credibility, **extra}
            )  # fmt: skip
        return tidy_frame(rows)

    def interpret(self) -> list[Any]:
        from ..interpret import label

        return [label(self.rho, "funder_ozer2019_r")]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Observed and corrected correlations per study with the mean and credibility band.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        ps = self.per_study
        x = np.arange(len(ps))
        ax.scatter(x, ps["r"], s=12, color="0.5", label="observed r")
        if self.artifacts and "r_corrected" in ps:
            ax.scatter(x, ps["r_corrected"], s=12, color="C0", label="corrected r")
        lo, hi = self._cred(self.rho, self.sd_rho)
        ax.axhspan(lo, hi, color="C0", alpha=0.15, label=f"{self.credibility:.0%} credibility")
        ax.axhline(self.rho, color="C0")
        ax.set_xlabel("study")
        ax.set_ylabel("correlation")
        ax.legend(fontsize=8)
        return ax


def _artifact(df: pd.DataFrame, spec: Any, name: str, k: int) -> np.ndarray | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        vals = df[spec].to_numpy(float)
        col = spec
    else:
        check_number(spec, f"{name} (a column name or a number)")
        vals = np.full(k, float(spec))
        col = None
    finite = vals[np.isfinite(vals)]
    if np.any((finite <= 0) | (finite > 1)):
        where = f"column {col!r}" if col else "the value"
        raise ValueError(f"{name}: {where} must lie in (0, 1]; got values outside it.")
    return vals


def hunter_schmidt(
    data: pd.DataFrame,
    r: str = "r",
    n: str = "n",
    *,
    rxx: str | float | None = None,
    ryy: str | float | None = None,
    u: str | float | None = None,
    correction: str = "individual",
    error_variance: str = "average",
    se: str = "weighted",
    credibility: float = 0.80,
    ci_level: float = 0.95,
    dropna: bool = False,
) -> HunterSchmidtResult:
    """Hunter-Schmidt psychometric meta-analysis of correlations.

    Parameters
    ----------
    data : DataFrame
        One row per study.
    r, n : str
        Observed correlation and sample size columns.
    rxx, ryy : str or float, optional
        Reliability of x and of y: a column (per-study values; with
        ``correction="artifact_distribution"`` missing entries are allowed) or one value
        for all studies. ``None``: no correction for that variable.
    u : str or float, optional
        Direct range restriction on x: restricted / unrestricted SD of x (in (0, 1]).
    correction : {"individual", "artifact_distribution"}
        Correct each study (weights ``n A^2``) or the mean and variance from the
        distributions of the artifacts.
    error_variance : {"average", "mean_n"}
        Sampling-error variance variant (module docstring).
    se : {"weighted", "textbook"}
        Standard error of the mean correlations: ``"weighted"`` (default) is the
        heteroscedasticity-robust SE of a weighted mean,
        ``sqrt(k/(k-1) * sum(w^2 (x - xbar)^2)) / sum(w)``; ``"textbook"`` is
        ``SD_r / sqrt(k)`` (Hunter & Schmidt 2004), which treats studies as equally
        weighted and under-covers when study sizes vary (86.5% for a nominal 95% in our
        recovery study with log-normal sizes).
    credibility, ci_level : float
        Credibility-interval and confidence-interval levels.
    dropna : bool
        Drop studies with a missing r or n.

    Returns
    -------
    HunterSchmidtResult
        Bare-bones and (when artifacts are given) corrected means, variances and intervals.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=60, rxx=0.8, ryy=0.7, rng=4)
    >>> hs = cs.meta.hunter_schmidt(sim.data, rxx="rxx", ryy="ryy")
    >>> abs(hs.rho - sim.truth.rho) < 0.05
    True
    """
    correction = check_choice(correction, "correction", ("individual", "artifact_distribution"))
    error_variance = check_choice(error_variance, "error_variance", ("average", "mean_n"))
    se = check_choice(se, "se", ("weighted", "textbook"))
    ci_level = check_ci_level(ci_level)
    check_probability(credibility, "credibility")
    cols: dict[str, str | None] = {"r": r, "n": n}
    for nm, spec in (("rxx", rxx), ("ryy", ryy), ("u", u)):
        if isinstance(spec, str):
            cols[nm] = spec
    # artifact columns may have gaps only in the artifact-distribution method
    strict = {a: c for a, c in cols.items() if a in ("r", "n") or correction == "individual"}
    df, missing = prepare(data, strict, numeric=list(strict), dropna=dropna)
    extra = [c for a, c in cols.items() if a not in strict and c is not None]
    if extra:
        df = df.join(data.loc[df.index, [c for c in extra if c not in df.columns]])
    require_range(df, r, -1, 1, low_inclusive=False, high_inclusive=False, arg="r")
    require_range(df, n, 4, None, arg="n", hint="Each study needs n >= 4.")
    k = len(df)
    require_min_count(k, 2, "studies")
    ri = df[r].to_numpy(float)
    ni = df[n].to_numpy(float)
    ax = _artifact(df, rxx, "rxx", k)
    ay = _artifact(df, ryy, "ryy", k)
    au = _artifact(df, u, "u", k)

    N = ni.sum()
    r_bar = float(np.sum(ni * ri) / N)
    var_r = float(np.sum(ni * (ri - r_bar) ** 2) / N)
    ve_i = (1 - r_bar**2) ** 2 / (ni - 1)
    if error_variance == "mean_n":
        var_e = float((1 - r_bar**2) ** 2 / (N / k - 1))
        ve_i = np.full(k, var_e)
    else:
        var_e = float(np.sum(ni * ve_i) / N)
    var_res = max(0.0, var_r - var_e)
    pct = 100 * var_e / var_r if var_r > 0 else 100.0
    def mean_se(x: np.ndarray, w: np.ndarray, var_x: float) -> float:
        if se == "textbook":
            return float(np.sqrt(var_x / k))
        xbar = np.sum(w * x) / w.sum()
        return float(np.sqrt(k / (k - 1) * np.sum(w**2 * (x - xbar) ** 2)) / w.sum())

    se_r = mean_se(ri, ni, var_r)
    artifacts = tuple(
        a for a, v in (("reliability of x", ax), ("reliability of y", ay),
                       ("range restriction", au)) if v is not None
    )  # fmt: skip
    per = pd.DataFrame({"n": ni, "r": ri})

    if not artifacts:
        rho, var_rho, se_rho, pct_art, att = r_bar, var_res, se_r, pct, 1.0
    elif correction == "individual":
        U = 1.0 / au if au is not None else np.ones(k)
        r_u = U * ri / np.sqrt(1 + ri**2 * (U**2 - 1))
        rel = (ax if ax is not None else 1.0) * (ay if ay is not None else 1.0)
        rc = r_u / np.sqrt(rel)
        A = np.divide(ri, rc, out=np.sqrt(rel) / U, where=rc != 0)
        # derivative of the range-restriction correction, at the mean observed r
        a_rr = 1.0 / ((U**2 - 1) * r_bar**2 + 1)
        w = ni * A**2
        rho = float(np.sum(w * rc) / w.sum())
        var_rc = float(np.sum(w * (rc - rho) ** 2) / w.sum())
        ve_c = ve_i * a_rr**2 / A**2
        ave = float(np.sum(w * ve_c) / w.sum())
        var_rho = max(0.0, var_rc - ave)
        se_rho = mean_se(rc, w, var_rc)
        pct_art = 100 * ave / var_rc if var_rc > 0 else 100.0
        att = float(np.sum(w * A) / w.sum())
        per["r_corrected"] = rc
        per["attenuation"] = A
        per["weight"] = w
    else:
        def moments(v):
            if v is None:
                return 1.0, 0.0
            s = np.sqrt(v[np.isfinite(v)])
            if len(s) == 0:
                raise ValueError("an artifact column has no usable values.")
            return float(s.mean()), float(s.var())

        ma, va = moments(ax)
        mb, vb = moments(ay)
        a_bar = ma * mb
        cv2 = (va / ma**2) + (vb / mb**2)
        # residual observed-scale variance after removing sampling error and artifact variation
        res_obs = max(0.0, var_r - var_e - r_bar**2 * cv2)
        if au is not None:
            U = 1.0 / float(np.nanmean(au))
            g = U * r_bar / np.sqrt(1 + r_bar**2 * (U**2 - 1))
            dg = U / (1 + r_bar**2 * (U**2 - 1)) ** 1.5
        else:
            g, dg = r_bar, 1.0
        rho = float(g / a_bar)
        var_rho = float(res_obs * (dg / a_bar) ** 2)
        se_rho = float(se_r * dg / a_bar)
        pct_art = 100 * (var_e + r_bar**2 * cv2) / var_r if var_r > 0 else 100.0
        att = float(r_bar / rho) if rho != 0 else a_bar
    return HunterSchmidtResult(
        k=k, n_total=int(N), r_bar=r_bar, var_r=var_r, var_e=var_e, var_res=var_res,
        pct_var_sampling=float(pct), se_r_bar=se_r, rho=float(rho), var_rho=float(var_rho),
        se_rho=float(se_rho), pct_var_artifacts=float(pct_art), mean_attenuation=float(att),
        ci_level=ci_level, credibility=credibility, correction=correction,
        error_variance=error_variance, se_method=se, artifacts=artifacts,
        n_dropped=missing.n_dropped,
        per_study=per,
    )  # fmt: skip
