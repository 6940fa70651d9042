"""Random-effects meta-analysis and meta-regression (metafor's ``rma.uni``): the result type
shared by every effect-size constructor, and :func:`correlations`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecate import renamed_attribute
from .._validate import check_choice, check_ci_level, check_positive
from ..results import Caution, Result, format_frame, missing_reasons, tidy_frame
from . import _core
from ._data import MEASURE_INFO, StudyData, study_data, warn_small_k

if TYPE_CHECKING:
    from .subgroups import SubgroupResult

__all__ = ["MetaResult", "correlations"]

_METHOD_NAMES = {
    "REML": "restricted maximum likelihood",
    "ML": "maximum likelihood",
    "DL": "DerSimonian-Laird",
    "PM": "Paule-Mandel",
    "EB": "empirical Bayes (Morris)",
    "HS": "Hunter-Schmidt",
    "SJ": "Sidik-Jonkman",
    "HE": "Hedges (method of moments)",
    "FE": "fixed (common) effect, tau^2 = 0",
}


@dataclass(frozen=True)
class MetaResult(Result):
    """A fitted random-effects model (correlations, standardized mean differences or any
    precomputed effects).

    ``estimate, std_error, ci_low, ci_high, pi_low, pi_high`` are on the analysis scale
    (Fisher z for correlations by default, g for SMDs; the intercept in a meta-regression).
    ``i2`` is in percent, as metafor prints it. A model of correlations on Fisher z shows r
    by default (``summary()``, notebooks, reports, ``to_frame()``); ``to_frame(scale="z")``
    gives the Fisher-z table.

    Parameters
    ----------
    estimate, std_error, ci_low, ci_high : float
        Pooled estimate (the intercept in a meta-regression), its standard error and
        ``ci_level`` confidence interval, on the analysis scale.
    pi_low, pi_high : float
        Prediction interval of the true effect in a new study.
    statistic, p_value : float
        Test statistic (z or t) and two-sided p-value of the estimate.
    tau2, se_tau2 : float
        Between-study variance and its standard error.
    i2, h2 : float
        I^2 (percent) and H^2.
    q, q_p_value : float
        Cochran's Q (residual heterogeneity) and its p-value.
    q_df : int
        Degrees of freedom of Q.
    k : int
        Studies in the model.
    n_total : int
        Participants summed over studies (0 when sample sizes are unknown).
    method : str
        Estimator of tau^2 (e.g. ``"REML"``, ``"DL"``).
    test : str
        ``"z"`` (Wald) or ``"knha"`` (Knapp-Hartung t).
    measure : str
        Effect-size measure on the analysis scale (e.g. ``"z"``, ``"SMD"``, ``"GEN"``).
    ci_level : float
        Confidence level.
    ddf : float
        Degrees of freedom of the t tests (NaN for z tests).
    qm, qm_p_value : float
        Omnibus test of the moderators and its p-value (NaN without moderators).
    qm_df : tuple of (int, float)
        Numerator and denominator degrees of freedom of the omnibus test.
    r2 : float
        Share of tau^2 accounted for by the moderators, in percent (metafor's R^2).
    s2w : float
        Typical within-study sampling variance (Higgins & Thompson), used by I^2.
    vt : float
        Typical sampling variance (metafor's ``vt``).
    ll_ml, ll_reml : float
        Maximum and restricted log-likelihoods.
    iterations : int
        Iterations of the tau^2 estimator.
    coefficients : DataFrame
        One row per coefficient (intercept and moderators).
    vcov : ndarray
        Covariance matrix of the coefficients.
    data : StudyData
        The studies behind the fit (effects, variances, moderators, labels).
    sensitivity : DataFrame or None
        Estimates over the assumed pre-post correlations when :func:`smd` was given several.
    assumed_r : float or None
        The assumed pre-post correlation of the main fit (:func:`smd` with change scores).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=30, rng=1)
    >>> res = cs.meta.correlations(sim.data, r="r", n="n")
    >>> res.k, res.method, res.measure
    (30, 'REML', 'z')
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    statistic: float
    p_value: float
    tau2: float
    se_tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p_value: float
    k: int
    n_total: int
    method: str
    test: str
    measure: str
    ci_level: float
    ddf: float
    qm: float
    qm_df: tuple[int, float]
    qm_p_value: float
    r2: float
    s2w: float
    vt: float
    ll_ml: float
    ll_reml: float
    iterations: int
    coefficients: pd.DataFrame = field(repr=False, compare=False)
    vcov: np.ndarray = field(repr=False, compare=False)
    data: StudyData = field(repr=False, compare=False)
    sensitivity: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    assumed_r: float | None = None
    # former attribute names (FutureWarning)
    pvalue = renamed_attribute("p_value", "pvalue")
    q_pvalue = renamed_attribute("q_p_value", "q_pvalue")
    qm_pvalue = renamed_attribute("qm_p_value", "qm_pvalue")

    # ------------------------------------------------------------------ descriptors
    @property
    def n_dropped(self) -> int:
        """Studies left out for missing values (``dropna=True``)."""
        return self.data.missing.n_dropped

    @property
    def dropped(self) -> dict[str, int]:
        m = self.data.missing
        return missing_reasons(m.n_dropped, m.by_column, "studies")

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))

    @property
    def has_moderators(self) -> bool:
        return self.data.X.shape[1] > 1

    @property
    def what(self) -> str:
        """What is pooled ("correlations", "standardized mean differences", ...)."""
        return MEASURE_INFO[self.measure][0]

    @property
    def display_scale(self) -> str:
        """The scale a reader expects: ``"r"`` for pooled Fisher-z correlations."""
        return "r" if self.measure == "z" and not self.has_moderators else "analysis"

    @property
    def title(self) -> str:
        kind = "Meta-regression" if self.has_moderators else "Random-effects meta-analysis"
        if self.method == "FE":
            kind = "Fixed-effect meta-analysis"
        return f"{kind} of {self.what} ({self.method}, {self.test}; k = {self.k})"

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """High heterogeneity (I^2 > 75%), a prediction interval that includes zero, fewer
        than 3 studies (tau^2 not identified)."""
        out = []
        if self.k < 3 and self.method != "FE":
            out.append(Caution(
                "tau2_not_identified",
                f"Only {self.k} studies: the between-study variance is not identified; "
                "tau^2, I^2 and the prediction interval are unreliable.", float(self.k)))
        if self.method != "FE" and self.i2 > 75:
            out.append(Caution(
                "high_heterogeneity",
                f"I^2 = {self.i2:.1f}%: most of the variation between studies is real, so the "
                "average effect describes few studies well; read the prediction interval.",
                float(self.i2)))
        if (not self.has_moderators and np.isfinite(self.pi_low)
                and self.pi_low < 0 < self.pi_high):
            lo, hi = self._back(self.pi_low), self._back(self.pi_high)
            out.append(Caution(
                "prediction_interval_includes_zero",
                f"The {self.ci_level:.0%} prediction interval [{lo:.3f}, {hi:.3f}] includes "
                "zero: a new comparable study could find no effect or the opposite.",
                float(lo)))
        return tuple(out)  # fmt: skip

    @property
    def notes(self) -> list[str]:
        scale = MEASURE_INFO[self.measure][1]
        n_known = self.n_total > 0
        out = [
            f"Analysis scale: {scale}; tau^2 by {_METHOD_NAMES[self.method]}; "
            + (
                "Knapp-Hartung (Hartung-Knapp-Sidik-Jonkman) t-tests with "
                f"{self.ddf:g} df."
                if self.test == "knha"
                else "Wald z-tests."
            ),
            f"Q({self.q_df}) = {self.q:.2f}, p = {self.q_p_value:.3g}; I^2 = {self.i2:.1f}%; "
            f"{self.k} studies" + (f", N = {self.n_total:,}." if n_known else "."),
        ]
        if self.display_scale == "r":
            out.append(
                f"Shown as r (tanh of the Fisher-z mean and interval ends); tau = "
                f"{self.tau:.4f} and tau^2 = {self.tau2:.4g} are on Fisher z; the prediction "
                f"interval on z is [{self.pi_low:.3f}, {self.pi_high:.3f}]. "
                "to_frame(scale='z') gives the Fisher-z table."
            )
        if self.assumed_r is not None and self.sensitivity is not None:
            rs = ", ".join(f"{x:g}" for x in self.sensitivity["r_prepost"])
            out.append(
                f"The pre-post correlation is unknown: fitted at r = {self.assumed_r:g}; "
                f"see .sensitivity for r = {rs} (estimate from "
                f"{self.sensitivity['estimate'].min():.3f} to "
                f"{self.sensitivity['estimate'].max():.3f})."
            )
        if not self.has_moderators:
            out.append(
                f"Prediction interval ({self.ci_level:.0%}): where the true effect of a new "
                "comparable study is expected to lie (metafor's default; "
                + ("t" if self.test == "knha" else "normal")
                + " quantile)."
            )
        else:
            out.append(
                f"Moderators: QM = {self.qm:.3f}, p = {self.qm_p_value:.3g}; "
                f"R^2 = {self.r2:.1f}% of tau^2 explained; residual tau^2 = {self.tau2:.4g}."
            )
        if self.data.missing.n_dropped:
            out.append(f"{self.data.missing.n_dropped} studies dropped for missing values.")
        return out

    def assumptions(self) -> list[str]:
        return [
            "Study effects are independent (one effect per sample; several effects per "
            "study need multilevel() or rve()).",
            "True effects vary normally around the mean (random effects).",
            f"Sampling variances are known: {MEASURE_INFO[self.measure][2]}.",
            "Published studies are not a selected subset (see egger_test, trim_and_fill).",
        ]

    def limitations(self) -> list[str]:
        out = []
        if self.what == "correlations":
            out.append("Observed correlations are attenuated by unreliability and range "
                       "restriction; use hunter_schmidt() to correct them.")  # fmt: skip
        if self.measure in ("SMCR", "SMCC"):
            out.append("Single-group pre-post changes include maturation, practice and "
                       "regression to the mean; they are not controlled effects.")  # fmt: skip
        out.append("With few studies tau^2 and I^2 are imprecise: see heterogeneity_ci().")
        return out

    # ------------------------------------------------------------------ tables
    def _back(self, x: float) -> float:
        return float(np.tanh(x)) if self.measure == "z" else float(x)

    def _scale(self, scale: str | None) -> str:
        if scale is None:
            return self.display_scale
        scale = check_choice(scale, "scale", ("analysis", "r", "z"))
        if scale == "z":
            if self.measure != "z":
                raise ValueError(f"scale='z' applies to Fisher-z correlations; this model "
                                 f"pools {self.what}: use scale='analysis'.")  # fmt: skip
            return "analysis"
        if scale == "r" and self.what != "correlations":
            raise ValueError(f"scale='r' applies to correlations; this model pools "
                             f"{self.what}.")  # fmt: skip
        return scale

    def summary(self, digits: int = 3, scale: str | None = None) -> str:
        """Readable text: title, table (r for correlations unless ``scale="z"``), notes."""
        table = format_frame(self.to_frame(scale), digits).to_string(index=False)
        lines = [self.title, "=" * len(self.title), table, ""]
        lines.extend(f"- {n}" for n in self.notes)
        lines.extend(f"! {c.message}" for c in self.cautions)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html as _html

        table = format_frame(self.to_frame()).to_html(index=False, border=0, escape=True)
        notes = "".join(f"<li>{_html.escape(n)}</li>" for n in self.notes)
        notes += "".join(f"<li><strong>Caution:</strong> {_html.escape(c.message)}</li>"
                         for c in self.cautions)  # fmt: skip
        return (f"<div class='coachstats-result'><strong>{_html.escape(self.title)}</strong>"
                f"{table}<ul>{notes}</ul></div>")  # fmt: skip

    def to_frame(self, scale: str | None = None) -> pd.DataFrame:
        """Tidy table of the pooled effect (or coefficients) and heterogeneity.

        Parameters
        ----------
        scale : {None, "r", "z", "analysis"}
            None (default): the display scale, r for pooled correlations (Fisher-z mean
            and interval ends back-transformed; ``std_error`` NaN) and the analysis scale
            otherwise. ``"z"``/``"analysis"``: the analysis scale (term ``mu``). The
            heterogeneity rows (tau^2, tau, I^2, H^2) are always on the analysis scale,
            named in the ``scale`` column.
        """
        scale = self._scale(scale)
        rows: list[dict[str, Any]] = []
        if self.has_moderators:
            if scale == "r":
                raise ValueError(
                    "scale='r' back-transforms a pooled value; a meta-regression has "
                    "coefficients. Use predict({...}, scale='r') for correlations at given "
                    "moderator values."
                )
            for rec in self.coefficients.to_dict("records"):
                rows.append(rec)
        elif scale == "r":
            rows.append(
                {
                    "term": "r",
                    "estimate": self._back(self.estimate),
                    "ci_low": self._back(self.ci_low),
                    "ci_high": self._back(self.ci_high),
                    "pi_low": self._back(self.pi_low),
                    "pi_high": self._back(self.pi_high),
                    "statistic": self.statistic,
                    "p_value": self.p_value,
                }
            )
        else:
            rows.append(
                {
                    "term": "mu",
                    "estimate": self.estimate,
                    "std_error": self.std_error,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "pi_low": self.pi_low,
                    "pi_high": self.pi_high,
                    "statistic": self.statistic,
                    "p_value": self.p_value,
                }
            )
        analysis = self.measure
        for c in rows:
            c.setdefault("ci_level", self.ci_level)
            c["scale"] = "r" if scale == "r" else analysis
        het = self.heterogeneity_ci()
        for rec in het.to_dict("records"):
            rec["scale"] = analysis if rec["term"] in ("tau2", "tau") else ""
            rows.append(rec)
        return tidy_frame(rows)

    def heterogeneity_ci(self, ci_level: float | None = None) -> pd.DataFrame:
        """Q-profile confidence intervals (Viechtbauer 2007) for tau^2, tau, I^2 and H^2.

        Returns rows ``tau2, tau, i2, h2`` with ``estimate, ci_low, ci_high, ci_level``
        (I^2 in percent).
        """
        lvl = self.ci_level if ci_level is None else check_ci_level(ci_level)
        if self.k - self.data.X.shape[1] < 1:
            lb = ub = np.nan
        else:
            lb, ub = _core.q_profile(self.data.yi, self.data.vi, self.data.X, lvl)
        vt = self.vt

        def i2(t: float) -> float:
            return 100 * t / (vt + t)

        def h2(t: float) -> float:
            return t / vt + 1

        rows = [
            {"term": "tau2", "estimate": self.tau2, "std_error": self.se_tau2,
             "ci_low": lb, "ci_high": ub},
            {"term": "tau", "estimate": self.tau, "ci_low": np.sqrt(lb), "ci_high": np.sqrt(ub)},
            {"term": "i2", "estimate": self.i2, "ci_low": i2(lb), "ci_high": i2(ub)},
            {"term": "h2", "estimate": self.h2, "ci_low": h2(lb), "ci_high": h2(ub)},
        ]  # fmt: skip
        for r in rows:
            r["ci_level"] = lvl
            r["ci_kind"] = "Q-profile"
        return tidy_frame(rows)

    def predict(
        self, moderators: Mapping[str, float] | None = None, scale: str = "analysis"
    ) -> pd.DataFrame:
        """Predicted mean effect with CI and prediction interval.

        Parameters
        ----------
        moderators : mapping, optional
            Values of the design columns (names as in ``coefficients['term']``, e.g.
            ``{"rater=self": 1, "year": 2010}``); omitted columns are 0.
        scale : {"analysis", "r"}
        """
        scale = check_choice(scale, "scale", ("analysis", "r"))
        terms = list(self.data.terms)
        x = np.zeros(len(terms))
        x[0] = 1.0
        for name, val in (moderators or {}).items():
            if name not in terms[1:]:
                raise ValueError(f"moderators: unknown term {name!r}; choose from {terms[1:]}.")
            x[terms.index(name)] = float(val)
        beta = self.coefficients["estimate"].to_numpy()
        pred = float(x @ beta)
        se = float(np.sqrt(x @ self.vcov @ x))
        crit = float(_core.crit_value(self.test, self.ci_level, self.ddf))
        half_pi = crit * np.sqrt(se**2 + self.tau2)
        out = {
            "term": "prediction",
            "estimate": pred,
            "std_error": se,
            "ci_low": pred - crit * se,
            "ci_high": pred + crit * se,
            "pi_low": pred - half_pi,
            "pi_high": pred + half_pi,
            "ci_level": self.ci_level,
        }
        if scale == "r":
            out = {
                kk: (self._back(vv) if kk in ("estimate", "ci_low", "ci_high", "pi_low",
                                              "pi_high") else vv)
                for kk, vv in out.items()
            }  # fmt: skip
            out["std_error"] = np.nan
        return tidy_frame([out])

    def interpret(self) -> list[Any]:
        """Labels for the pooled correlation (Funder & Ozer 2019) or standardized mean
        difference (Cohen 1988), and I^2 (Higgins 2003)."""
        from ..interpret import label

        out = []
        if not self.has_moderators and self.what == "correlations":
            out.append(label(self._back(self.estimate), "funder_ozer2019_r", term="r"))
        elif not self.has_moderators and self.measure in ("SMD", "SMCR", "SMCC", "PPC", "D"):
            out.append(label(self.estimate, "cohen1988_d", term="g"))
        out.append(label(self.i2, "higgins2003_i2", term="i2"))
        return out

    def _refit(self, data: StudyData, method: str | None = None, test: str | None = None,
               ci_level: float | None = None) -> MetaResult:
        """The same kind of model on other study data (subsets, no moderators): lets the
        subgroup analysis and the forest plot refit without importing this module."""
        return _result(data, self.method if method is None else method,
                       self.test if test is None else test,
                       self.ci_level if ci_level is None else ci_level)

    def subgroups(self, tau2: str = "separate") -> SubgroupResult:
        """Per-subgroup estimates and the between-subgroups Q test of a model with one
        categorical moderator (``moderators="design"``).

        Parameters
        ----------
        tau2 : {"separate", "common"}
            ``"separate"`` fits a random-effects model in each subgroup (its own tau^2) and
            tests the subgroup means with a fixed-effect Wald test (Borenstein et al. 2009,
            ch. 19); ``"common"`` uses this model's single residual tau^2 (metafor's QM of
            ``mods = ~ factor(group)``).

        Returns
        -------
        SubgroupResult
        """
        from .subgroups import subgroups

        return subgroups(self, tau2=tau2)

    def plot(self, ax: Any = None, kind: str = "forest", **kwargs: Any) -> Any:
        """Forest plot (``kind="forest"``, see :func:`coachstats.plotting.forest.forest_plot`
        for its options: ``scale``, ``columns``, ``subgroup``, ``max_studies``) or funnel
        plot (``kind="funnel"``); returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        kind : {"forest", "funnel"}, default "forest"
            Forest plot of the studies and the pooled estimate, or funnel plot.
        **kwargs
            Options of :func:`coachstats.plotting.forest.forest_plot` (``scale``, ``columns``,
            ``subgroup``, ``max_studies``) or of :func:`coachstats.plotting.funnel.funnel_plot`
            (``egger``, ``filled``, ``level``).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        kind = check_choice(kind, "kind", ("forest", "funnel"))
        if kind == "forest":
            from ..plotting.forest import forest_plot

            return forest_plot(self, ax=ax, **kwargs)
        from ..plotting.funnel import funnel_plot

        return funnel_plot(self, ax=ax, **kwargs)


def _result(
    sd: StudyData,
    method: str,
    test: str,
    ci_level: float,
    *,
    tau2: float | None = None,
    skip_r2: bool = False,
) -> MetaResult:
    f = _core.fit(sd.yi, sd.vi, sd.X, method=method, test=test, tau2=tau2)
    p = sd.X.shape[1]
    k = int(f.k[0])
    beta = f.beta[0]
    vb = f.vb[0]
    se = np.sqrt(np.diag(vb))
    ddf = float(f.ddf[0])
    crit = float(_core.crit_value(test, ci_level, ddf))
    stat = beta / se
    if test == "knha":
        pv = 2 * stats.t.sf(np.abs(stat), ddf)
    else:
        pv = 2 * stats.norm.sf(np.abs(stat))
    coefs = tidy_frame(
        [
            {
                "term": t,
                "estimate": float(b),
                "std_error": float(s),
                "ci_low": float(b - crit * s),
                "ci_high": float(b + crit * s),
                "ci_level": ci_level,
                "statistic": float(z),
                "p_value": float(pp),
            }
            for t, b, s, z, pp in zip(sd.terms, beta, se, stat, pv, strict=True)
        ]
    )
    t2 = float(f.tau2[0])
    if p > 1:
        btt = np.arange(1, p)
        b = beta[btt]
        qm = float(b @ np.linalg.solve(vb[np.ix_(btt, btt)], b))
        m = len(btt)
        if test == "knha":
            qm /= m
            qm_df = (m, float(k - p))
            qm_p = float(stats.f.sf(qm, m, k - p))
        else:
            qm_df = (m, np.nan)
            qm_p = float(stats.chi2.sf(qm, m))
        r2 = np.nan
        if not skip_r2 and method != "FE":
            t0 = float(_core.fit(sd.yi, sd.vi, None, method=method, test=test).tau2[0])
            r2 = 0.0 if t0 == 0 else max(0.0, 100 * (t0 - t2) / t0)
        pi_lo = pi_hi = np.nan
    else:
        qm = float(stat[0] ** 2)
        qm_df = (1, np.nan if test == "z" else float(k - p))
        qm_p = float(pv[0])
        r2 = np.nan
        half = crit * np.sqrt(se[0] ** 2 + t2)
        pi_lo, pi_hi = float(beta[0] - half), float(beta[0] + half)
    return MetaResult(
        estimate=float(beta[0]),
        std_error=float(se[0]),
        ci_low=float(beta[0] - crit * se[0]),
        ci_high=float(beta[0] + crit * se[0]),
        pi_low=pi_lo,
        pi_high=pi_hi,
        statistic=float(stat[0]),
        p_value=float(pv[0]),
        tau2=t2,
        se_tau2=float(f.se_tau2[0]),
        i2=float(f.i2[0]),
        h2=float(f.h2[0]),
        q=float(f.qe[0]),
        q_df=k - p,
        q_p_value=float(f.qe_p[0]),
        k=k,
        n_total=int(np.nansum(sd.ni)) if np.all(np.isfinite(sd.ni)) else 0,
        method=method,
        test=test,
        measure=sd.measure,
        ci_level=ci_level,
        ddf=ddf,
        qm=qm,
        qm_df=qm_df,
        qm_p_value=qm_p,
        r2=r2,
        s2w=float(f.s2w[0]),
        vt=float(f.vt[0]),
        ll_ml=float(f.ll_ml[0]),
        ll_reml=float(f.ll_reml[0]),
        iterations=int(f.iterations),
        coefficients=coefs,
        vcov=vb,
        data=sd,
    )


def _subset(sd: StudyData, keep: np.ndarray) -> StudyData:
    return replace(
        sd,
        frame=None if sd.frame is None else sd.frame.iloc[np.flatnonzero(keep)
                                                          if keep.dtype == bool else keep],
        row_notes=None if sd.row_notes is None else tuple(np.asarray(sd.row_notes,
                                                                     dtype=object)[keep]),
        yi=sd.yi[keep],
        vi=sd.vi[keep],
        ri=sd.ri[keep],
        ni=sd.ni[keep],
        X=sd.X[keep],
        given_labels=tuple(np.asarray(sd.labels, dtype=object)[keep]),
    )


def correlations(
    data: pd.DataFrame,
    r: str = "r",
    n: str = "n",
    *,
    method: str = "REML",
    test: str = "z",
    ci_level: float = 0.95,
    moderators: Sequence[str] | str | None = None,
    measure: str = "z",
    study: str | None = None,
    dropna: bool = False,
    tau2: float | None = None,
) -> MetaResult:
    """Random-effects meta-analysis (or meta-regression) of correlation coefficients.

    Reproduces metafor's ``rma.uni`` on ``escalc("ZCOR")`` (or ``"COR"``) effect sizes,
    computed without k x k matrices, so 10^6 studies fit in well under a second.

    Parameters
    ----------
    data : DataFrame
        One row per study (independent sample).
    r, n : str
        Columns with the correlation (in (-1, 1)) and the sample size (>= 4).
    method : {"REML", "ML", "DL", "PM", "EB", "HS", "SJ", "HE", "FE"}
        Estimator of the between-study variance tau^2. ML and REML use Fisher scoring
        from the HE estimate (as metafor), finished by Brent's method on the score if the
        iterations oscillate; PM and EB solve ``Q(tau^2) = k - p`` (Morris's EB iteration
        has the same fixed point, so the two agree as in metafor); DL, HS, SJ and HE are
        closed-form. All are computed without k x k matrices.
    test : {"z", "knha"}
        Wald z-tests, or the Knapp-Hartung adjustment (t with k - p df), recommended when
        k is small.
    ci_level : float
        Level of confidence and prediction intervals.
    moderators : list of str, optional
        Columns for a meta-regression: numeric columns enter as they are, others are
        dummy-coded against their first (sorted) level.
    measure : {"z", "r"}
        Fisher z (default) or raw correlations.
    study : str, optional
        Column of study labels, used in plots and influence tables.
    dropna : bool
        Drop studies with missing values (counted in the notes) instead of raising.
    tau2 : float, optional
        Fix tau^2 at this value instead of estimating it.

    Returns
    -------
    MetaResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=30, rng=1)
    >>> res = cs.meta.correlations(sim.data, r="r", n="n", test="knha")
    >>> round(float(res.to_frame(scale="r").loc[0, "estimate"]), 2)
    0.38
    """

    method = check_choice(method, "method", _core.METHODS)
    test = check_choice(test, "test", _core.TESTS)
    ci_level = check_ci_level(ci_level)
    sd = study_data(
        data, r, n, measure=measure, moderators=moderators, study=study, dropna=dropna
    )
    if tau2 is not None:
        check_positive(tau2, "tau2", allow_zero=True)
    warn_small_k(len(sd.yi), method)
    return _result(sd, method, test, ci_level, tau2=tau2)
