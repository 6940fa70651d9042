"""ROI by tier (e.g. C-suite, middle managers, emerging leaders) with partial pooling.

The claim "developing middle managers delivers the highest ROI" compares the ROI of a
program across tiers, usually from a handful of participants in some of them. Each tier
alone (the Phillips value on its own rows) over-reads noise in small tiers; one figure for
everybody hides real differences. The hierarchical model sits between the two: each tier has
its own hurdle log-logistic ROI model (that of :func:`coachstats.roi.bayesian`), and the
tiers' parameters are drawn from a common distribution whose spread is estimated, so a small
tier borrows strength from the others in proportion to how alike the tiers look.

Model (tier ``j``, participant ``i`` in it; benefits in units of the tier's mean cost)
-------------------------------------------------------------------------------------
::

    n_pos_j ~ Binomial(n_j, p_j),        logit p_j = a_p + sd_p z_pj
    log(B_i / c_j) | B_i > 0 ~ Logistic(mu_j, s),    mu_j = a_mu + sd_mu z_muj
    attribution_i ~ Beta(m_Aj, phi_A),   logit m_Aj = a_A + sd_A z_Aj      (if given)
    confidence_i  ~ Beta(m_Kj, phi_K),   logit m_Kj = a_K + sd_K z_Kj      (if given)
    z ~ Normal(0, 1)   (non-centred)

    BCR_j = horizon_years p_j E[B | B > 0]_j m_Aj m_Kj / c_j,   ROI_j% = 100 (BCR_j - 1)

The tail shape ``s`` and the share concentrations are common to all tiers (a tier with a
dozen participants cannot estimate a tail on its own). Priors: ``a_p ~ Normal(0, 1.5)``
(logit; close to uniform on p), ``a_mu`` from :class:`RoiPrior` ``log_median_ratio``,
``a_A, a_K ~ Normal(0, 1)``, ``s`` and ``phi`` as in :class:`RoiPrior`; the spreads are
half-normal with scales ``TierPrior.spread_*`` (defaults 1.0 on the logit of p, 0.5 on the
log median benefit, 0.5 on the logit of the share means). ``P(tier j has the highest ROI)``
is the share of posterior draws in which ``ROI_j`` is the largest.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as V
from .._deprecate import renamed_arguments
from .._rng import RNGLike, as_generator
from .._validate import check_ci_level
from ..results import Caution, Result, new_axes, tidy_frame
from ._inputs import from_missing, missing_mode, prepare_roi
from .bayesian import BayesianRoiResult, RoiPrior, _mean_factor, _squeeze, _unsqueeze, bayesian
from .phillips import phillips

__all__ = ["TierPrior", "TierRoiResult", "tiers"]

#: below this many participants a tier's ROI leans mostly on the other tiers (a caution)
FEW_PARTICIPANTS = 20


@dataclass(frozen=True)
class TierPrior:
    """Priors of :func:`tiers`: the single-program priors and the spreads across tiers.

    Parameters
    ----------
    base : RoiPrior
        Priors of the common parameters (tail shape, concentrations) and of the centre of
        the tiers' log median benefit ratio.
    spread_share_with_benefit : float
        Half-normal scale of the tiers' spread on the logit of the share with a benefit.
    spread_log_median_ratio : float
        Half-normal scale of the tiers' spread of the log median positive benefit (0.5:
        tiers' median benefits, relative to cost, typically within a factor of about 2.7).
    spread_share_mean : float
        Half-normal scale of the tiers' spread on the logit of mean attribution/confidence.

    Examples
    --------
    >>> from coachstats.roi.tiers import TierPrior
    >>> TierPrior(spread_log_median_ratio=0.3).spread_log_median_ratio
    0.3
    """

    base: RoiPrior = field(default_factory=RoiPrior)
    spread_share_with_benefit: float = 1.0
    spread_log_median_ratio: float = 0.5
    spread_share_mean: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.base, RoiPrior):
            raise TypeError(f"TierPrior.base: expected a RoiPrior, got {type(self.base).__name__}.")
        for name in ("spread_share_with_benefit", "spread_log_median_ratio", "spread_share_mean"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"TierPrior.{name} must be positive, got {v!r}.")


def _build(prior: TierPrior, k: int, with_attr: bool, with_conf: bool) -> Any:
    def build(d: dict[str, np.ndarray]) -> Any:
        import pymc as pm

        b = prior.base
        with pm.Model() as m:
            n_total = pm.Data("n_total", d["n_total"])
            n_pos = pm.Data("n_pos", d["n_pos"])
            log_ratio = pm.Data("log_ratio", d["log_ratio"])
            tier = pm.Data("tier", d["tier"])
            a_p = pm.Normal("share_with_benefit_center", 0.0, 1.5)
            sd_p = pm.HalfNormal("share_with_benefit_spread", prior.spread_share_with_benefit)
            z_p = pm.Normal("share_with_benefit_z", 0.0, 1.0, shape=k)
            p = pm.Deterministic("share_with_benefit", pm.math.invlogit(a_p + sd_p * z_p))
            a_mu = pm.Normal("log_median_ratio_center", *b.log_median_ratio)
            sd_mu = pm.HalfNormal("log_median_ratio_spread", prior.spread_log_median_ratio)
            z_mu = pm.Normal("log_median_ratio_z", 0.0, 1.0, shape=k)
            mu = pm.Deterministic("log_median_ratio", a_mu + sd_mu * z_mu)
            s = pm.Beta("tail_shape", *b.tail_shape)
            pm.Binomial("n_pos_obs", n=n_total, p=p, observed=n_pos)
            pm.Logistic("log_ratio_obs", mu=mu[tier], s=s, observed=log_ratio)
            for name, on in (("attribution", with_attr), ("confidence", with_conf)):
                if not on:
                    continue
                x = pm.Data(name, d[name])
                a = pm.Normal(f"{name}_center", 0.0, 1.0)
                sd = pm.HalfNormal(f"{name}_spread", prior.spread_share_mean)
                z = pm.Normal(f"{name}_z", 0.0, 1.0, shape=k)
                mean = pm.Deterministic(f"{name}_mean", pm.math.invlogit(a + sd * z))
                conc = pm.Gamma(
                    f"{name}_concentration",
                    alpha=b.share_concentration[0],
                    beta=b.share_concentration[1],
                )
                mt = mean[tier]
                pm.Beta(f"{name}_obs", alpha=mt * conc, beta=(1 - mt) * conc, observed=x)
        return m

    return build


def compiled_tier_model(
    prior: TierPrior, k: int, with_attr: bool = True, with_conf: bool = True
) -> Any:
    """The cached, compiled hierarchical model for ``k`` tiers (compiled on first use)."""
    from ..bayes.compiled import cached_model

    example: dict[str, np.ndarray] = {
        "n_total": np.full(k, 10, dtype=np.int64),
        "n_pos": np.full(k, 5, dtype=np.int64),
        "log_ratio": np.zeros(5 * k),
        "tier": np.repeat(np.arange(k, dtype=np.int64), 5),
    }
    if with_attr:
        example["attribution"] = np.full(5 * k, 0.5)
    if with_conf:
        example["confidence"] = np.full(5 * k, 0.5)
    key = ("coachstats.roi.tiers", prior, k, with_attr, with_conf)
    return cached_model(key, _build(prior, k, with_attr, with_conf), example)


@dataclass(frozen=True)
class TierRoiResult(Result):
    """ROI of each tier: partially pooled posterior, each tier alone, and everybody pooled.

    Parameters
    ----------
    table : DataFrame
        One row per tier (the ``to_frame()`` table).
    tiers : tuple of str
        Tier labels.
    tier_column : str
        Column holding the tiers.
    ci_level : float
        Probability of the equal-tailed credible intervals.
    horizon_years : float
        Years of annual benefit counted.
    n_people : dict of str to int
        Distinct people in each tier.
    n_with_benefit : dict of str to int
        Participants reporting a positive benefit in each tier.
    min_group_size : int
        Privacy threshold: smallest number of distinct people in a tier.
    diagnostics : Diagnostics
        R-hat, ESS and divergences of the sampler.
    pooled : BayesianRoiResult or None
        Complete-pooling fit on all rows (None when not requested).
    prior : TierPrior
        The priors used.
    n_dropped : int
        Rows dropped for missing values.
    draws : dict of str to ndarray
        Posterior draws (``"roi_pct"``: draws x tiers).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.tiered_roi(rng=1)
    >>> res = cs.roi.tiers(sim.data, "tier", benefit="benefit", cost="cost",
    ...                    draws=300, tune=300, chains=2, rng=1)    # doctest: +SKIP
    >>> res.tiers == tuple(res.table["tier"])                       # doctest: +SKIP
    True
    """

    table: pd.DataFrame = field(compare=False)
    tiers: tuple[str, ...]
    tier_column: str
    ci_level: float
    horizon_years: float
    n_people: dict[str, int]
    n_with_benefit: dict[str, int]
    min_group_size: int
    diagnostics: Any
    pooled: BayesianRoiResult | None = field(default=None, repr=False, compare=False)
    prior: TierPrior = field(default_factory=TierPrior)
    n_dropped: int = 0
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    central = "posterior median"

    @property
    def title(self) -> str:
        return f"ROI by {self.tier_column} (hierarchical, partial pooling)"

    @property
    def prob_highest(self) -> dict[str, float]:
        """P(this tier has the highest ROI | data), one per tier (they sum to 1)."""
        t = self.table
        return dict(zip(t["tier"], t["prob_highest"].astype(float), strict=True))

    @property
    def prob_positive(self) -> dict[str, float]:
        """P(ROI > 0 | data) for each tier."""
        t = self.table
        return dict(zip(t["tier"], t["prob_positive"].astype(float), strict=True))

    @property
    def roi(self) -> dict[str, float]:
        """Posterior median ROI (%) of each tier."""
        t = self.table
        return dict(zip(t["tier"], t["estimate"].astype(float), strict=True))

    @property
    def most_likely_highest(self) -> str:
        """The tier with the largest P(highest ROI) (not necessarily a confident answer)."""
        p = self.prob_highest
        return max(p, key=lambda k: p[k])

    @property
    def notes(self) -> list[str]:
        pct = f"{100 * self.ci_level:g}%"
        ph = self.prob_highest
        best = self.most_likely_highest
        out = [
            f"ROI per {self.tier_column}: posterior medians with {pct} equal-tailed credible "
            "intervals from a hierarchical model (tiers' parameters drawn from a common "
            "distribution, so small tiers borrow strength from the others).",
            "P(highest ROI): " + ", ".join(f"{k} {v:.2f}" for k, v in ph.items())
            + f". The most likely highest is {best} (P = {ph[best]:.2f}); with "
            f"{len(self.tiers)} tiers, no information gives P = {1 / len(self.tiers):.2f} each.",
            "Beside each tier: unpooled_estimate is the Phillips ROI of that tier's rows alone "
            "(no pooling); pooled_estimate and its interval are roi.bayesian on all rows "
            "(complete pooling, the same for every tier).",
            f"Benefits counted for {self.horizon_years:g} year(s); tail shape and share "
            "concentrations are common to all tiers.",
        ]
        if self.n_dropped:
            out.append(f"{self.n_dropped} incomplete row(s) dropped.")
        if not self.diagnostics.ok:
            out.extend(self.diagnostics.problems)
        return out

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """Small tiers, tiers with few positive benefits, and an unconfident 'highest'."""
        out = []
        for t in self.tiers:
            n = self.n_people[t]
            if n < FEW_PARTICIPANTS:
                out.append(Caution(
                    "few_participants",
                    f"Tier {t!r} has only {n} participants (fewer than {FEW_PARTICIPANTS}): its "
                    "ROI leans mostly on the other tiers through the pooling, and its "
                    "unpooled Phillips value is unreliable.",
                    value=float(n),
                ))
            if self.n_with_benefit[t] < 3:
                out.append(Caution(
                    "few_benefits",
                    f"Tier {t!r}: only {self.n_with_benefit[t]} participant(s) report a positive "
                    "benefit; its benefit size is inferred from the other tiers.",
                    value=float(self.n_with_benefit[t]),
                ))
        ph = self.prob_highest
        best = self.most_likely_highest
        if ph[best] < 0.9:
            out.append(Caution(
                "highest_uncertain",
                f"No tier is clearly the highest: the most likely, {best}, has P(highest ROI) "
                f"= {ph[best]:.2f} (below 0.90).",
                value=ph[best], severity="info",
            ))
        return tuple(out)

    def assumptions(self) -> list[str]:
        return [
            "Participants in each tier are a random sample of that tier's participants.",
            "Tiers are exchangeable before seeing the data: their parameters come from one "
            "common distribution (no tier is expected a priori to do better).",
            "Benefit size, attribution and confidence are independent across participants; "
            "the tail shape and the share concentrations are the same in every tier.",
            "Costs are fully loaded and known; benefits are annual and monetary.",
        ]

    def limitations(self) -> list[str]:
        return [
            "Benefits, attribution and confidence are self-reported; the model quantifies "
            "sampling uncertainty, not reporting bias (which may differ by tier).",
            "A difference in ROI between tiers is descriptive: tiers differ in cost, role "
            "and selection into the program, not only in what coaching did for them.",
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per tier: ``term, tier, estimate, std_error, ci_low, ci_high, ci_level,
        mean, prob_highest, prob_positive, n_people, n_with_benefit, unpooled_estimate,
        pooled_estimate, pooled_ci_low, pooled_ci_high, ci_kind, rhat, ess_bulk``."""
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot: each tier's pooled ROI and interval, the unpooled Phillips value and
        the complete-pooling interval, with P(highest) in the labels.

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
        t = self.table
        y = np.arange(len(t))[::-1]
        ax.errorbar(
            t["estimate"], y,
            xerr=[t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]],
            fmt="o", color="C0", capsize=3,
            label=f"partial pooling: median, {100 * self.ci_level:g}% credible interval",
        )
        ax.plot(t["unpooled_estimate"], y, "kx", label="each tier alone (Phillips)")
        if t["pooled_estimate"].notna().all():
            r = t.iloc[0]
            ax.axvspan(r["pooled_ci_low"], r["pooled_ci_high"], color="0.5", alpha=0.15,
                       label="all tiers pooled (interval)")
            ax.axvline(r["pooled_estimate"], color="0.4", lw=1)
        ax.axvline(0, color="C3", ls="--", lw=1, label="break-even (ROI 0%)")
        labels = [f"{tier} (n={n})\nP(highest)={p:.2f}"
                  for tier, n, p in zip(t["tier"], t["n_people"], t["prob_highest"], strict=True)]
        ax.set_yticks(y, labels)
        ax.set_xlabel("ROI (%) = (benefits - costs) / costs x 100")
        ax.set_title(f"ROI by {self.tier_column}")
        ax.legend(fontsize=7, loc="best")
        return ax


def _tier_counts(df: pd.DataFrame, tier: str, person: str | None) -> pd.Series:
    g = df.groupby(tier, sort=False, observed=True)
    return g[person].nunique() if person is not None else g.size()


@renamed_arguments(missing=("dropna", from_missing))
def tiers(
    data: pd.DataFrame,
    tier: str,
    *,
    benefit: str,
    cost: str,
    attribution: str | None = None,
    confidence: str | None = None,
    person: str | None = None,
    horizon_years: float = 1.0,
    prior: TierPrior | None = None,
    pooled: bool = True,
    ci_level: float = 0.95,
    min_group_size: int = 5,
    dropna: bool = False,
    blank_benefit_as_zero: bool = False,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.95,
    rng: RNGLike = None,
) -> TierRoiResult:
    """ROI of a coaching program in each tier, partially pooled across tiers.

    See the module docstring for the model. For each tier: the posterior median ROI with
    its credible interval, P(this tier has the highest ROI) and P(ROI > 0); beside it the
    tier alone (the Phillips value of its rows, identical to :func:`phillips` on them) and
    all tiers pooled (identical to :func:`bayesian` on all rows with the first seed drawn
    from ``rng``).

    Parameters
    ----------
    data : DataFrame
        One row per participant (never modified).
    tier : str
        Column with each participant's tier (at least two tiers).
    benefit, cost, attribution, confidence : str
        As in :func:`bayesian`.
    person : str, optional
        Column identifying people, for the privacy count; without it each row is a person.
    horizon_years : float
        Years of annual benefit counted.
    prior : TierPrior, optional
    pooled : bool
        Also fit the complete-pooling model (``roi.bayesian`` on all rows); costs one more
        fit.
    ci_level : float
        Probability of the equal-tailed credible intervals.
    min_group_size : int
        Tiers with fewer distinct people are refused (privacy; default 5, at least 3).
    dropna, blank_benefit_as_zero : bool
        Missing answers, as in :func:`bayesian`.
    draws, tune, chains, target_accept : sampler settings (nutpie NUTS)
    rng : int, Generator or None

    Returns
    -------
    TierRoiResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.tiered_roi(rng=1)
    >>> res = cs.roi.tiers(sim.data, "tier", benefit="benefit", cost="cost",
    ...                    attribution="attribution", confidence="confidence",
    ...                    draws=300, tune=300, chains=2, rng=1)    # doctest: +SKIP
    >>> sorted(res.prob_highest) == sorted(sim.truth.tiers)      # doctest: +SKIP
    True
    """
    from ..bayes import ConvergenceWarning, diagnose, posterior_table
    from ..privacy import check_min_group_size

    ci_level = check_ci_level(ci_level)
    min_group_size = check_min_group_size(min_group_size)
    prior = TierPrior() if prior is None else prior
    if not isinstance(prior, TierPrior):
        raise TypeError(f"prior: expected a TierPrior, got {type(prior).__name__}.")
    V.check_positive(horizon_years, "horizon_years")
    missing = missing_mode(dropna, blank_benefit_as_zero)
    df = V.check_dataframe(data)
    V.require_columns(df, {"tier": tier, **({"person": person} if person else {})})
    if df[tier].isna().any():
        rows = df.index[df[tier].isna()]
        raise ValueError(
            f"Column {tier!r} (argument tier=) has {len(rows)} missing value(s) (rows "
            f"{V._rows(rows)}). Give every participant a tier, or remove those rows first."
        )
    kw = dict(benefit=benefit, cost=cost, attribution=attribution, confidence=confidence)
    # the same missing-value rule as roi.bayesian, applied to all rows at once
    full = prepare_roi(df, **kw, missing=missing)
    keep = _kept_rows(df, benefit, cost, attribution, confidence, missing)
    work = df.loc[keep]
    counts = _tier_counts(work, tier, person)
    labels = list(counts.index)
    if len(labels) < 2:
        raise ValueError(
            f"Column {tier!r} (argument tier=) has {len(labels)} tier(s); at least two are "
            "needed to compare tiers (use roi.bayesian for one program)."
        )
    small = {str(k): int(v) for k, v in counts.items() if v < min_group_size}
    if small:
        raise ValueError(
            f"Column {tier!r}: tier(s) {small} have fewer than min_group_size="
            f"{min_group_size} distinct people; a tier's ROI would describe identifiable "
            "individuals. Merge them with a neighbouring tier or leave them out."
        )
    # per-tier inputs (prepared exactly as roi.phillips / roi.bayesian prepare them)
    per = {}
    for lab in labels:
        rows = work.loc[work[tier] == lab]
        per[lab] = prepare_roi(rows, **kw, missing=missing)
    k = len(labels)
    n_total = np.array([per[t].benefit.size for t in labels], dtype=np.int64)
    cbar = np.array([float(np.sum(per[t].cost)) / per[t].benefit.size for t in labels])
    if np.any(cbar <= 0):
        bad = [str(t) for t, c in zip(labels, cbar, strict=True) if c <= 0]
        raise ValueError(f"Column {cost!r}: tier(s) {bad} have a total cost of 0; ROI is "
                         "undefined there.")
    log_ratio, tier_idx, n_pos, sh = [], [], [], {"attribution": [], "confidence": []}
    for j, t in enumerate(labels):
        x = per[t]
        pos = x.benefit > 0
        n_pos.append(int(pos.sum()))
        log_ratio.append(np.log(x.benefit[pos] / cbar[j]))
        tier_idx.append(np.full(int(pos.sum()), j, dtype=np.int64))
        for name in sh:
            arr = getattr(x, name)
            if arr is not None:
                sh[name].append(arr[pos])
    lr = np.concatenate(log_ratio)
    if lr.size < 3:
        raise ValueError(
            f"Column {benefit!r}: only {lr.size} participant(s) report a positive benefit in "
            "all tiers together; at least 3 are needed."
        )
    d: dict[str, np.ndarray] = {
        "n_total": n_total, "n_pos": np.array(n_pos, dtype=np.int64), "log_ratio": lr,
        "tier": np.concatenate(tier_idx),
    }
    squeezed = {}
    for name in sh:
        if sh[name]:
            v, sq = _squeeze(np.concatenate(sh[name]))
            d[name] = v
            squeezed[name] = sq
    g = as_generator(rng)
    pooled_seed = int(g.integers(0, 2**31 - 1))
    tier_seed = int(g.integers(0, 2**31 - 1))
    cm = compiled_tier_model(prior, k, "attribution" in d, "confidence" in d)
    idata = cm.fit(d, draws=draws, tune=tune, chains=chains, target_accept=target_accept,
                   rng=tier_seed)
    post = idata["posterior"]

    def arr(name: str) -> np.ndarray:
        return np.asarray(post[name].values)  # (chain, draw, k)

    p, mu, s = arr("share_with_benefit"), arr("log_median_ratio"), arr("tail_shape")
    ea = np.ones_like(p)
    ek = np.ones_like(p)
    if "attribution" in d:
        ea = _unsqueeze(arr("attribution_mean"), lr.size, squeezed["attribution"])
    if "confidence" in d:
        ek = _unsqueeze(arr("confidence_mean"), lr.size, squeezed["confidence"])
    bcr = horizon_years * p * np.exp(mu) * _mean_factor(s)[..., None] * ea * ek
    roi = 100 * (bcr - 1)
    import xarray as xr

    dim = post["share_with_benefit"].dims[-1]
    ds = post.to_dataset().assign(roi_pct=(("chain", "draw", dim), roi))
    idata["posterior"] = xr.DataTree(ds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        free = [v for v in ds.data_vars if v.endswith(("_center", "_spread", "_z"))
                or v in ("tail_shape", "attribution_concentration", "confidence_concentration")]
        diag = diagnose(idata, [*free, "roi_pct"], warn=False)
        ptab = posterior_table(idata, ["roi_pct"], ci_level=ci_level)
    flat = roi.reshape(-1, k)
    best = np.argmax(flat, axis=1)
    prob_high = np.bincount(best, minlength=k) / flat.shape[0]
    pooled_res = None
    if pooled:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pooled_res = bayesian(
                work, **kw, horizon_years=horizon_years, prior=prior.base, ci_level=ci_level,
                dropna=dropna, blank_benefit_as_zero=blank_benefit_as_zero, draws=draws,
                tune=tune, chains=chains, rng=pooled_seed,
            )
        pr = pooled_res.to_frame().set_index("term").loc["roi_pct"]
    rows = []
    n_people = {str(t): int(counts[t]) for t in labels}
    n_benefit = {str(t): int(n_pos[j]) for j, t in enumerate(labels)}
    for j, t in enumerate(labels):
        r = ptab.iloc[j]
        ph = phillips(work.loc[work[tier] == t], **kw, horizon_years=horizon_years,
                      dropna=dropna, blank_benefit_as_zero=blank_benefit_as_zero)
        rows.append({
            "term": f"roi_pct[{t}]",
            "tier": str(t),
            "estimate": float(r["median"]),
            "std_error": float(r["std_error"]),
            "ci_low": float(r["ci_low"]),
            "ci_high": float(r["ci_high"]),
            "ci_level": ci_level,
            "mean": float(r["estimate"]),
            "prob_highest": float(prob_high[j]),
            "prob_positive": float(np.mean(flat[:, j] > 0)),
            "n_people": n_people[str(t)],
            "n_with_benefit": n_benefit[str(t)],
            "unpooled_estimate": float(ph.roi_pct),
            "pooled_estimate": float(pr["estimate"]) if pooled_res else float("nan"),
            "pooled_ci_low": float(pr["ci_low"]) if pooled_res else float("nan"),
            "pooled_ci_high": float(pr["ci_high"]) if pooled_res else float("nan"),
            "ci_kind": "equal-tailed",
            "rhat": float(r["rhat"]),
            "ess_bulk": float(r["ess_bulk"]),
        })
    table = tidy_frame(rows)
    if not diag.ok:
        warnings.warn("Sampler diagnostics are poor: " + " ".join(diag.problems),
                      ConvergenceWarning, stacklevel=2)
    return TierRoiResult(
        table=table,
        tiers=tuple(str(t) for t in labels),
        tier_column=str(tier),
        ci_level=ci_level,
        horizon_years=float(horizon_years),
        n_people=n_people,
        n_with_benefit=n_benefit,
        min_group_size=min_group_size,
        diagnostics=diag,
        pooled=pooled_res,
        prior=prior,
        n_dropped=full.n_dropped,
        draws={"roi_pct": flat},
    )


def _kept_rows(
    df: pd.DataFrame, benefit: str, cost: str, attribution: str | None,
    confidence: str | None, missing: str,
) -> np.ndarray:
    """Rows ``prepare_roi(..., missing=missing)`` keeps (all unless ``missing="drop"``)."""
    if missing != "drop":
        return np.ones(len(df), dtype=bool)
    b = df[benefit].to_numpy(dtype=float)
    bad = np.isnan(b) | df[cost].isna().to_numpy()
    for c in (attribution, confidence):
        if c is not None:
            bad |= df[c].isna().to_numpy() & ~(b == 0)
    return ~bad

