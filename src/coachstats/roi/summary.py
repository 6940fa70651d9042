"""Re-analyse a published summary of return multiples, allowing for selective response.

Surveys such as the ICF Global Coaching Client Study (PwC 2009) publish the share of
companies in return bands, the share that "recouped their investment" and a median
multiple, from the few respondents who gave financial data. :func:`from_summary` turns
those figures into a posterior for the *population* distribution of return multiples.

Model
-----
The population return multiple ``M`` (benefit / cost) is log-logistic:
``log M ~ Logistic(mu, s)``, so the population median multiple is ``e^mu`` and
``P(M >= 1) = 1 / (1 + exp(-mu / s))``. Respondents are a selected sample: a company
that recouped its cost (``M >= 1``) is ``nonresponse_odds`` times as likely to respond as one
that did not (a ratio of response probabilities; for low response rates this is close to
the odds ratio). The respondents' distribution is therefore ``f(m) w(m) / D`` with
``w = nonresponse_odds`` above 1 and 1 below. The published figures enter as

* band shares: a multinomial likelihood with ``n * share`` respondents per band;
* the share recouped (only when the bands do not already split at 1): binomial;
* the median multiple: the sample median of ``n`` respondents, approximately
  ``Normal(median_R, 1 / (4 n f_R(median_R)^2))`` on the log scale, where ``f_R`` is the
  respondents' density of ``log M``.

Priors: ``mu ~ Normal(0, 3)``, ``s ~ LogNormal(0, 1)``. The two-parameter posterior is
computed on a fine grid (exact up to the grid resolution) and sampled with jitter.

A multiple of 7 is a benefit-cost ratio of 7: ROI = (7 - 1) x 100 = 600%, not 700%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from .._deprecate import renamed_arguments
from .._rng import RNGLike, seed_from
from .._validate import check_ci_level, check_number, check_positive, check_probability
from ..results import Result, new_axes, tidy_frame

__all__ = ["SummaryRoiResult", "SummarySensitivity", "from_summary"]

PRIOR_MU = (0.0, 3.0)
PRIOR_LOG_S = (0.0, 1.0)


def _band_label(lo: float, hi: float) -> str:
    return f"[{lo:g}, {hi:g})" if np.isfinite(hi) else f"[{lo:g}, inf)"


def _parse_bins(
    bins: Any, low: str, high: str, share: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(bins, pd.DataFrame):
        missing = [c for c in (low, high, share) if c not in bins.columns]
        if missing:
            raise ValueError(
                f"data: columns {missing} not found (have {list(bins.columns)}); pass "
                "low=, high=, share= naming the band edges and shares."
            )
        lo = bins[low].to_numpy(dtype=float)
        hi = bins[high].to_numpy(dtype=float)
        sh = bins[share].to_numpy(dtype=float)
    else:
        arr = np.asarray(list(bins), dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise ValueError("data: give a DataFrame or a sequence of (low, high, share).")
        lo, hi, sh = arr.T
    hi = np.where(np.isnan(hi), np.inf, hi)
    if lo.size < 2:
        raise ValueError("data: need at least two bands.")
    if np.any(np.isnan(lo)) or np.any(np.isnan(sh)):
        raise ValueError("data: band lower edges and shares must not be missing.")
    if lo[0] != 0 or not np.isinf(hi[-1]):
        raise ValueError(
            "data: bands must cover all multiples, from 0 to infinity (leave the last "
            f"upper edge empty); got [{lo[0]:g}, {hi[-1]:g})."
        )
    if np.any(hi <= lo) or np.any(hi[:-1] != lo[1:]):
        raise ValueError("data: bands must be ordered and contiguous (each high = next low).")
    if np.any(sh < 0) or np.any(sh > 1):
        if np.all((sh >= 0) & (sh <= 100)) and abs(sh.sum() - 100) < 2:
            raise ValueError("data: shares look like percentages; divide them by 100.")
        raise ValueError("data: shares must lie in [0, 1].")
    if abs(sh.sum() - 1) > 0.02:
        raise ValueError(f"data: shares must sum to 1 (got {sh.sum():.3f}).")
    return lo, hi, sh / sh.sum()


def _cdf(x: np.ndarray, mu: np.ndarray, s: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        lx = np.log(x)
    out = special.expit((lx - mu) / s)
    return np.where(np.isinf(x), 1.0, np.where(x <= 0, 0.0, out))


def _weighted_mass(x: float, mu: np.ndarray, s: np.ndarray, r: float) -> np.ndarray:
    """G(x) = P(M < min(x, 1)) + r * P(1 <= M < x): unnormalised respondent CDF."""
    f1 = _cdf(np.array(1.0), mu, s)
    fx = _cdf(np.array(x), mu, s)
    return np.minimum(fx, f1) + r * np.maximum(fx - f1, 0.0)


def _respondent_median(
    mu: np.ndarray, s: np.ndarray, r: float
) -> tuple[np.ndarray, np.ndarray]:
    """Respondents' median multiple and their density of log M at it."""
    f1 = _cdf(np.array(1.0), mu, s)
    d = f1 + r * (1 - f1)
    half = d / 2
    q = np.where(half <= f1, half, f1 + (half - f1) / r)
    q = np.clip(q, 1e-300, 1 - 1e-16)
    med = np.exp(mu + s * special.logit(q))
    w = np.where(med >= 1, r, 1.0)
    dens = w * q * (1 - q) / s / d
    return med, dens


@dataclass(frozen=True)
class SummaryRoiResult(Result):
    """Posterior of the population distribution of return multiples from a summary.

    Parameters
    ----------
    table : DataFrame
        Posterior summaries (the ``to_frame()`` table).
    reproduction : DataFrame
        The published figures beside the fitted respondent values.
    n : float
        Respondents behind the figures.
    nonresponse_odds : float
        How many times likelier a company that recouped its cost was to respond.
    ci_level : float
        Probability of the credible intervals.
    reported_median : float or None
        The published median multiple, when given.
    draws : dict of str to ndarray
        Posterior draws of the population quantities.
    inputs : dict
        The bands and figures the fit used.

    Examples
    --------
    >>> import coachstats as cs
    >>> res = cs.roi.from_summary([(0, 1, .14), (1, 10, .39), (10, 50, .28), (50, None, .19)],
    ...                           n=189, median_multiple=7, rng=1)
    >>> res.reported_median
    7.0
    """

    table: pd.DataFrame = field(compare=False)
    reproduction: pd.DataFrame = field(compare=False)
    n: float
    nonresponse_odds: float
    ci_level: float
    reported_median: float | None
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    inputs: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    #: the central value in ``estimate``, the plot and the sensitivity table
    central = "posterior median"

    def posterior_draws(self, term: str) -> np.ndarray | None:
        """Posterior draws of ``term`` (a row of ``to_frame()``), or None."""
        x = self.draws.get(term)
        return None if x is None else np.asarray(x)

    @property
    def title(self) -> str:
        odds = self.nonresponse_odds
        return f"Published return multiples re-analysed (nonresponse_odds = {odds:g})"

    @property
    def notes(self) -> list[str]:
        pct = f"{100 * self.ci_level:g}%"
        out = [
            f"Estimates are posterior medians (posterior means in the mean column); intervals: "
            f"{pct} equal-tailed credible intervals (grid posterior); population "
            "quantities correct for companies that recouped being "
            f"{self.nonresponse_odds:g}x as likely to respond.",
            "A multiple is a benefit-cost ratio: multiple m means ROI = (m - 1) x 100%; "
            "a median of 7x is ROI 600%, not 700%.",
        ]
        if self.reported_median is not None:
            out.append(
                f"Reported median {self.reported_median:g}x = ROI "
                f"{100 * (self.reported_median - 1):.0f}% among respondents."
            )
        pf = float(np.mean(self.draws["tail_shape"] < 1))
        out.append(
            f"P(population mean multiple is finite) = {pf:.2f} (log-logistic tail index "
            "1/s > 1): with a tail this heavy the mean is not a stable summary; use the median."
        )
        return out

    def assumptions(self) -> list[str]:
        return [
            "Population multiples are log-logistic (two parameters).",
            "Response depends on the outcome only through whether the company recouped.",
            f"The published figures come from n = {self.n:g} respondents.",
        ]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def sensitivity(self, odds: Sequence[float] = (1.0, 2.0, 4.0)) -> SummarySensitivity:
        """Refit with each ``nonresponse_odds`` in ``odds`` (same inputs and draws' seed)."""
        rows = []
        for o in odds:
            res = from_summary(**{**self.inputs, "nonresponse_odds": float(o)})
            t = res.table.set_index("term")
            for term in ("median_multiple", "median_roi_pct", "share_recouped"):
                r = t.loc[term]
                rows.append(
                    {
                        "term": term,
                        "estimate": r["estimate"],
                        "ci_low": r["ci_low"],
                        "ci_high": r["ci_high"],
                        "ci_level": r["ci_level"],
                        "nonresponse_odds": float(o),
                    }
                )
        return SummarySensitivity(table=tidy_frame(rows), ci_level=self.ci_level)

    def plot(self, ax: Any = None, *, kind: str = "median", **kwargs: Any) -> Any:
        """``kind="median"``: posterior of the population median multiple (log axis);
        ``kind="bands"``: published vs fitted respondent shares.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        kind : {"median", "bands"}, default "median"
            ``"median"``: posterior of the population median multiple (log axis); ``"bands"``:
            published against fitted respondent shares.
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        pct = f"{100 * self.ci_level:g}%"
        if kind == "bands":
            rep = self.reproduction[self.reproduction["quantity"].str.startswith("share[")]
            y = np.arange(len(rep))
            ax.errorbar(
                rep["fitted"], y,
                xerr=[rep["fitted"] - rep["ci_low"], rep["ci_high"] - rep["fitted"]],
                fmt="o", label=f"fitted respondents ({pct} interval)",
            )
            ax.plot(rep["given"], y, "kx", label="published")
            ax.set_yticks(y, rep["quantity"])
            ax.set_xlabel("share of respondents")
            ax.legend(fontsize=8)
            return ax
        m = self.draws["median_multiple"]
        a = (1 - self.ci_level) / 2
        ax.hist(np.log10(m), bins=60, density=True, color="C0", alpha=0.6)
        lo, hi = np.quantile(np.log10(m), [a, 1 - a])
        ax.axvspan(lo, hi, color="C0", alpha=0.12, label=f"{pct} equal-tailed interval")
        ax.axvline(float(np.median(np.log10(m))), color="C0", lw=2, label="posterior median")
        if self.reported_median is not None:
            ax.axvline(math.log10(self.reported_median), color="k", ls="-.",
                       label=f"reported median {self.reported_median:g}x")
        ax.axvline(0, color="C3", ls="--", lw=1, label="break-even (1x)")
        ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50) if lo - 0.5 <= math.log10(t) <= hi + 0.5]
        ax.set_xticks([math.log10(t) for t in ticks], [f"{t:g}x" for t in ticks])
        ax.set_xlabel("population median return multiple (BCR)")
        ax.set_ylabel("posterior density (log10 scale)")
        ax.set_title(f"nonresponse_odds = {self.nonresponse_odds:g}")
        ax.legend(fontsize=8)
        return ax


@dataclass(frozen=True)
class SummarySensitivity(Result):
    """Posterior medians and intervals of the headline figures across nonresponse odds."""

    table: pd.DataFrame = field(compare=False)
    ci_level: float

    central = "posterior median"

    @property
    def title(self) -> str:
        return "Headline figures if recouping companies were likelier to respond"

    @property
    def notes(self) -> list[str]:
        return [
            f"estimate = posterior median; {100 * self.ci_level:g}% equal-tailed credible "
            "interval. nonresponse_odds = how many times likelier a company that recouped "
            "was to respond (1 = ignorable).",
        ]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, *, term: str = "median_multiple", **kwargs: Any) -> Any:
        """Posterior median and interval of ``term`` against the nonresponse odds."""
        ax = new_axes(ax)
        t = self.table[self.table["term"] == term]
        ax.errorbar(
            t["nonresponse_odds"], t["estimate"],
            yerr=[t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]],
            fmt="o-", capsize=3, label=f"{100 * self.ci_level:g}% equal-tailed interval",
        )
        ax.set_xscale("log", base=2)
        ax.set_xticks(t["nonresponse_odds"], [f"{v:g}" for v in t["nonresponse_odds"]])
        ax.set_xlabel("nonresponse_odds (recouped vs not, likelihood of responding)")
        ax.set_ylabel(term)
        if term == "median_multiple":
            ax.axhline(1, color="C3", ls="--", lw=1)
        ax.legend(fontsize=8)
        return ax


def _log_post(
    mu: np.ndarray,
    s: np.ndarray,
    *,
    n: float,
    r: float,
    bands: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    share_recouped: float | None,
    log_median: float | None,
) -> np.ndarray:
    lp = stats.norm.logpdf(mu, *PRIOR_MU) + stats.norm.logpdf(np.log(s), *PRIOR_LOG_S)
    f1 = _cdf(np.array(1.0), mu, s)
    d = f1 + r * (1 - f1)
    with np.errstate(divide="ignore"):
        if bands is not None:
            lo, hi, sh = bands
            for a, b, w in zip(lo, hi, sh, strict=True):
                q = (_weighted_mass(b, mu, s, r) - _weighted_mass(a, mu, s, r)) / d
                lp = lp + n * w * np.log(np.maximum(q, 1e-300))
        if share_recouped is not None:
            q = r * (1 - f1) / d
            lp = lp + n * (
                share_recouped * np.log(np.maximum(q, 1e-300))
                + (1 - share_recouped) * np.log(np.maximum(1 - q, 1e-300))
            )
        if log_median is not None:
            med, dens = _respondent_median(mu, s, r)
            sd = 1 / (2 * math.sqrt(n) * np.maximum(dens, 1e-300))
            lp = lp + stats.norm.logpdf(log_median, np.log(med), sd)
    return np.where(np.isfinite(lp), lp, -np.inf)


def _grid(lo_mu: float, hi_mu: float, lo_ls: float, hi_ls: float, k: int) -> tuple[Any, ...]:
    mu = np.linspace(lo_mu, hi_mu, k)
    ls = np.linspace(lo_ls, hi_ls, k)
    M, LS = np.meshgrid(mu, ls, indexing="ij")
    return M, LS, mu[1] - mu[0], ls[1] - ls[0]


@renamed_arguments(n_draws="draws", bins="data")
def from_summary(
    data: pd.DataFrame | Sequence[tuple[float, float, float]] | None = None,
    *,
    n: float,
    share_recouped: float | None = None,
    median_multiple: float | None = None,
    nonresponse_odds: float = 1.0,
    low: str = "low",
    high: str = "high",
    share: str = "share",
    ci_level: float = 0.95,
    draws: int = 20_000,
    rng: RNGLike = None,
) -> SummaryRoiResult:
    """Posterior of the population return-multiple distribution from published figures.

    Parameters
    ----------
    data : DataFrame or sequence of (low, high, share), optional
        Return-multiple bands covering 0 to infinity (last ``high`` empty) and the share of
        respondents in each. Column names via ``low=, high=, share=``.
    n : float
        Number of respondents behind the figures.
    share_recouped : float, optional
        Published share of respondents with a multiple of at least 1 (used when the bands do
        not split at 1; otherwise checked against them).
    median_multiple : float, optional
        Published median multiple among respondents (e.g. 7 for "7x").
    nonresponse_odds : float
        How many times likelier a company that recouped its cost was to respond than one
        that did not (1 = ignorable nonresponse; 2 or 4 = selective).
    ci_level : float
        Probability of the equal-tailed credible intervals.
    draws : int
        Posterior draws taken from the grid.
    rng : int, Generator, SeedSequence or None
        Random numbers for the draws; a refit with the same SeedSequence (as
        :meth:`SummaryRoiResult.sensitivity` does) reuses the same stream.
    low, high, share : str, default "low", "high", "share"
        Column names of the bands' limits and shares when ``data`` is a DataFrame.

    Returns
    -------
    SummaryRoiResult
        ``to_frame()``: population ``median_multiple``, ``median_roi_pct``,
        ``share_recouped``, ``share[band]`` for each band and ``tail_shape``;
        ``reproduction``: the published figures beside the fitted respondent values.

    Examples
    --------
    >>> res = from_summary([(0, 1, .14), (1, 10, .39), (10, 50, .28), (50, None, .19)],
    ...                    n=189, median_multiple=7, rng=1)
    >>> float(round(res.table.set_index("term").loc["share_recouped", "estimate"], 2))
    0.85
    """
    ci_level = check_ci_level(ci_level)
    check_number(n, "n (the number of respondents)", low=2)
    check_positive(nonresponse_odds, "nonresponse_odds")
    if share_recouped is not None:
        check_probability(share_recouped, "share_recouped")
    if median_multiple is not None:
        check_positive(median_multiple, "median_multiple")
    if data is None and share_recouped is None and median_multiple is None:
        raise ValueError("Give at least one of bins, share_recouped or median_multiple.")
    inputs = {
        "data": data, "n": n, "share_recouped": share_recouped,
        "median_multiple": median_multiple, "nonresponse_odds": nonresponse_odds,
        "low": low, "high": high, "share": share, "ci_level": ci_level, "draws": draws,
        "rng": rng if isinstance(rng, np.random.SeedSequence)
        else np.random.SeedSequence(seed_from(rng)),
    }
    bands = None if data is None else _parse_bins(data, low, high, share)
    sr_term = share_recouped
    if bands is not None and share_recouped is not None:
        lo, _hi, sh = bands
        if 1.0 in lo:
            implied = float(sh[lo >= 1].sum())
            if abs(implied - share_recouped) > 0.015:
                raise ValueError(
                    f"share_recouped={share_recouped} disagrees with the bands, which put "
                    f"{implied:.3f} at multiples >= 1."
                )
            sr_term = None  # already in the band likelihood
    kw = {
        "n": float(n), "r": float(nonresponse_odds), "bands": bands,
        "share_recouped": sr_term,
        "log_median": None if median_multiple is None else math.log(median_multiple),
    }
    M, LS, dm, dl = _grid(-8.0, 10.0, math.log(0.02), math.log(20.0), 181)
    lp = _log_post(M, np.exp(LS), **kw)
    keep = lp > lp.max() - 30
    mi, li = np.nonzero(keep)
    M, LS, dm, dl = _grid(
        M[mi.min(), 0] - dm, M[mi.max(), 0] + dm, LS[0, li.min()] - dl, LS[0, li.max()] + dl,
        301,
    )
    lp = _log_post(M, np.exp(LS), **kw)
    w = np.exp(lp - lp.max()).reshape(-1)
    g = np.random.default_rng(inputs["rng"])
    idx = g.choice(w.size, size=draws, p=w / w.sum())
    mu = M.reshape(-1)[idx] + g.uniform(-dm / 2, dm / 2, draws)
    s = np.exp(LS.reshape(-1)[idx] + g.uniform(-dl / 2, dl / 2, draws))
    r = float(nonresponse_odds)

    f1 = _cdf(np.array(1.0), mu, s)
    d = f1 + r * (1 - f1)
    draws: dict[str, np.ndarray] = {
        "median_multiple": np.exp(mu),
        "median_roi_pct": 100 * (np.exp(mu) - 1),
        "share_recouped": 1 - f1,
        "tail_shape": s,
    }
    resp: dict[str, np.ndarray] = {"share_recouped": r * (1 - f1) / d}
    given: dict[str, float] = {}
    if share_recouped is not None:
        given["share_recouped"] = share_recouped
    if bands is not None:
        for a, b, sh_b in zip(*bands, strict=True):
            lab = f"share{_band_label(a, b)}"
            draws[lab] = _cdf(np.array(b), mu, s) - _cdf(np.array(a), mu, s)
            resp[lab] = (_weighted_mass(b, mu, s, r) - _weighted_mass(a, mu, s, r)) / d
            given[lab] = float(sh_b)
        given.setdefault("share_recouped", float(bands[2][bands[0] >= 1].sum()))
    resp["median_multiple"] = _respondent_median(mu, s, r)[0]
    if median_multiple is not None:
        given["median_multiple"] = float(median_multiple)

    a = (1 - ci_level) / 2
    rows = []
    for k, v in draws.items():
        rows.append(
            {
                "term": k,
                "estimate": float(np.median(v)),
                "std_error": float(np.std(v, ddof=1)),
                "ci_low": float(np.quantile(v, a)),
                "ci_high": float(np.quantile(v, 1 - a)),
                "ci_level": ci_level,
                "mean": float(np.mean(v)),
                "ci_kind": "equal-tailed",
                "population": "all companies",
            }
        )
    rep_rows = []
    for k, v in resp.items():
        rep_rows.append(
            {
                "quantity": k,
                "given": given.get(k, np.nan),
                "fitted": float(np.median(v) if k == "median_multiple" else np.mean(v)),
                "ci_low": float(np.quantile(v, a)),
                "ci_high": float(np.quantile(v, 1 - a)),
                "ci_level": ci_level,
            }
        )
    return SummaryRoiResult(
        table=tidy_frame(rows),
        reproduction=pd.DataFrame(rep_rows),
        n=float(n),
        nonresponse_odds=r,
        ci_level=ci_level,
        reported_median=None if median_multiple is None else float(median_multiple),
        draws=draws,
        inputs=inputs,
    )
