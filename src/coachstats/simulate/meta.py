"""Studies reporting a correlation, for meta-analysis, with psychometric artifacts.

The model (one row per published study ``i``):

1. Study size ``n_i = max(n_min, round(LogNormal(log(n_median), n_sdlog)))``. The defaults
   (median 170, log-SD 0.87) give a mean of about 248, so 110 studies total about 27,300
   participants, the size of the EQ-effectiveness meta-analysis (Lv, Han & Wang 2018).
2. Construct-level (true-score, unrestricted) correlation
   ``rho_i = rho + moderator_effect * (self_i - p_self) + N(0, tau^2)``, clipped to
   [-0.95, 0.95]. ``self_i`` marks studies whose effectiveness ratings came from the leader
   (self-report, probability ``p_self``); ``year`` is a second, inert moderator.
3. Measurement error attenuates it: ``rho_i * sqrt(rxx_i * ryy_i)``, with the reported
   reliabilities ``rxx_i ~ U(rxx - spread, rxx + spread)`` (same for ``ryy``).
4. Direct range restriction on x (ratio ``u`` of restricted to unrestricted SD) gives the
   study's population correlation ``u c / sqrt(u^2 c^2 + 1 - c^2)`` (Thorndike Case II).
5. The observed ``r_i`` is the exact sample correlation of ``n_i`` bivariate-normal pairs
   (drawn through the Bartlett decomposition of the Wishart matrix, so it costs O(1) per
   study whatever ``n_i``).
6. Publication selection: a study whose two-sided p-value is >= .05 is published with
   probability ``1 - selection``; studies are drawn until ``k`` are published. Small
   studies are non-significant more often, so selection creates a small-study effect.

``rho`` is the mean **construct-level** correlation. With the defaults ``rxx = ryy = u = 1``
there are no artifacts and the observed-scale mean equals ``rho``. The truth holds both
scales and the Fisher-z quantities a random-effects model on z estimates; population
values are computed by quadrature over the generating distribution (not from the sample).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_number, check_positive, check_probability
from ._base import SimulatedData

__all__ = ["MetaCorrelationsTruth", "MetaEffectsTruth", "meta_correlations", "meta_effects"]

_CLIP = 0.95


@dataclass(frozen=True)
class MetaCorrelationsTruth:
    """True values behind a :func:`meta_correlations` draw.

    Attributes
    ----------
    rho, tau : float
        Mean and SD of the construct-level correlations (Hunter-Schmidt's rho and SD_rho;
        with a moderator, ``tau`` is the residual SD and ``tau_total`` the marginal SD).
    rho_obs, tau_obs : float
        Mean and SD of the study population correlations on the observed (attenuated,
        range-restricted) scale: what a bare-bones meta-analysis of r estimates.
    mu_z, tau_z : float
        Mean and SD of ``atanh`` of the observed-scale population correlations: what a
        random-effects model on Fisher's z estimates. ``r_from_mu_z = tanh(mu_z)``.
    attenuation : float
        Mean ``sqrt(rxx * ryy)``.
    """

    rho: float
    tau: float
    tau_total: float
    rho_obs: float
    tau_obs: float
    mu_z: float
    tau_z: float
    r_from_mu_z: float
    attenuation: float
    moderator_effect: float
    k: int
    n_total: int
    n_suppressed: int


def _restrict(c: np.ndarray, u: float) -> np.ndarray:
    if u == 1.0:
        return c
    return u * c / np.sqrt(u**2 * c**2 + 1 - c**2)


def _observed_rho(rho_i, a, u):
    return _restrict(np.clip(rho_i, -_CLIP, _CLIP) * a, u)


def _population_values(rho, tau, p_self, effect, rxx, ryy, spread, u):
    """Moments of the observed-scale population correlation, by quadrature."""
    gh_x, gh_w = np.polynomial.hermite_e.hermegauss(80)
    gh_w = gh_w / gh_w.sum()
    # construct correlation: mixture over the moderator, normal within
    comps = [(1 - p_self, rho - effect * p_self), (p_self, rho + effect * (1 - p_self))]
    rho_nodes = np.concatenate([m + tau * gh_x for _, m in comps])
    rho_w = np.concatenate([w * gh_w for w, _ in comps])
    if spread > 0:
        gl_x, gl_w = np.polynomial.legendre.leggauss(16)
        gl_w = gl_w / gl_w.sum()
        ax = np.sqrt(rxx + spread * gl_x)
        ay = np.sqrt(ryy + spread * gl_x)
        a_nodes = (ax[:, None] * ay[None, :]).ravel()
        a_w = (gl_w[:, None] * gl_w[None, :]).ravel()
    else:
        a_nodes, a_w = np.array([np.sqrt(rxx * ryy)]), np.array([1.0])
    obs = _observed_rho(rho_nodes[:, None], a_nodes[None, :], u)
    w = rho_w[:, None] * a_w[None, :]
    m = float(np.sum(w * obs))
    sd = float(np.sqrt(np.sum(w * (obs - m) ** 2)))
    z = np.arctanh(obs)
    mz = float(np.sum(w * z))
    sz = float(np.sqrt(np.sum(w * (z - mz) ** 2)))
    clipped = np.clip(rho_nodes, -_CLIP, _CLIP)
    tau_total = float(np.sqrt(np.sum(rho_w * (clipped - np.sum(rho_w * clipped)) ** 2)))
    return m, sd, mz, sz, float(np.sum(a_w * a_nodes)), tau_total


def _sample_r(rng: np.random.Generator, rho: np.ndarray, n: np.ndarray) -> np.ndarray:
    df = n - 1.0
    b11 = np.sqrt(rng.chisquare(df))
    b22 = np.sqrt(rng.chisquare(df - 1.0))
    b21 = rng.standard_normal(rho.shape)
    s = np.sqrt(1.0 - rho**2)
    num = rho * b11 + s * b21
    return num / np.sqrt(num**2 + (s * b22) ** 2)


def meta_correlations(
    k: int = 110,
    rho: float = 0.39,
    tau: float = 0.10,
    rxx: float = 1.0,
    ryy: float = 1.0,
    *,
    reliability_spread: float = 0.0,
    u: float = 1.0,
    selection: float = 0.0,
    moderator_effect: float = 0.0,
    p_self: float = 0.4,
    n_median: float = 170.0,
    n_sdlog: float = 0.87,
    n_min: int = 20,
    rng: RNGLike = None,
) -> SimulatedData:
    """Generate ``k`` published studies, each reporting a correlation and its sample size.

    Parameters
    ----------
    k : int
        Number of published studies (effect sizes).
    rho : float
        Mean construct-level (true-score, unrestricted) correlation, in (-0.95, 0.95).
    tau : float
        Between-study SD of the construct-level correlations (r scale).
    rxx, ryy : float
        Mean reliabilities of the two measures, in (0, 1]; 1 means no attenuation.
    reliability_spread : float
        Half-width of the uniform distribution of study reliabilities around ``rxx``/``ryy``.
    u : float
        Direct range restriction on x: restricted / unrestricted SD, in (0, 1]; 1 = none.
    selection : float
        Probability that a non-significant study (two-sided p >= .05) stays unpublished.
    moderator_effect : float
        Difference in construct-level correlation between self-rated and other-rated
        effectiveness studies (column ``rater``); the overall mean stays ``rho``.
    p_self : float
        Share of studies with self-rated effectiveness.
    n_median, n_sdlog, n_min : float, float, int
        Log-normal study-size distribution and its floor (at least 4).
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data`` columns ``study, n, r, rxx, ryy, u, rater, year``; ``truth`` is a
        :class:`MetaCorrelationsTruth`.

    Examples
    --------
    >>> sim = meta_correlations(k=20, rho=0.3, rng=1)
    >>> sim.data.shape[0], sim.truth.rho
    (20, 0.3)
    """
    check_int(k, "k", minimum=2)
    check_int(n_min, "n_min", minimum=4)
    check_number(rho, "rho", low=-_CLIP, high=_CLIP, low_open=True, high_open=True)
    check_positive(tau, "tau", allow_zero=True)
    check_probability(rxx, "rxx", open="low")
    check_probability(ryy, "ryy", open="low")
    check_probability(u, "u", open="low")
    check_probability(selection, "selection", open="high")
    check_probability(p_self, "p_self", open=False)
    check_positive(reliability_spread, "reliability_spread", allow_zero=True)
    if reliability_spread > 0 and (
        rxx - reliability_spread <= 0
        or ryy - reliability_spread <= 0
        or rxx + reliability_spread > 1
        or ryy + reliability_spread > 1
    ):
        raise ValueError(
            f"reliability_spread={reliability_spread!r} takes reliabilities outside (0, 1] "
            f"around rxx={rxx}, ryy={ryy}; use a smaller spread."
        )
    if not np.isfinite(moderator_effect):
        raise ValueError(f"moderator_effect must be finite, got {moderator_effect!r}.")
    check_positive(n_median, "n_median")
    check_positive(n_sdlog, "n_sdlog", allow_zero=True)

    params = {
        "k": k, "rho": rho, "tau": tau, "rxx": rxx, "ryy": ryy,
        "reliability_spread": reliability_spread, "u": u, "selection": selection,
        "moderator_effect": moderator_effect, "p_self": p_self, "n_median": n_median,
        "n_sdlog": n_sdlog, "n_min": n_min,
    }  # fmt: skip
    g = as_generator(rng)
    crit = 1.959963984540054
    batches: list[pd.DataFrame] = []
    n_kept = 0
    while n_kept < k:
        # draw in batches; selection thins them, so draw more than still needed
        m = max(16, int(np.ceil((k - n_kept) / max(1e-3, 1.0 - 0.8 * selection))) + 8)
        n = np.maximum(n_min, np.round(g.lognormal(np.log(n_median), n_sdlog, m))).astype(int)
        self_rated = g.random(m) < p_self
        rho_i = rho + moderator_effect * (self_rated - p_self) + tau * g.standard_normal(m)
        if reliability_spread > 0:
            rx = g.uniform(rxx - reliability_spread, rxx + reliability_spread, m)
            ry = g.uniform(ryy - reliability_spread, ryy + reliability_spread, m)
        else:
            rx, ry = np.full(m, float(rxx)), np.full(m, float(ryy))
        pop = _observed_rho(rho_i, np.sqrt(rx * ry), u)
        r = _sample_r(g, pop, n.astype(float))
        year = g.integers(1998, 2018, m)
        publish = np.ones(m, dtype=bool)
        if selection > 0:
            z_stat = np.abs(np.arctanh(r)) * np.sqrt(n - 3.0)
            nonsig = z_stat < crit
            publish = ~nonsig | (g.random(m) >= selection)
        batch = pd.DataFrame(
            {
                "n": n,
                "r": r,
                "rxx": np.round(rx, 3),
                "ryy": np.round(ry, 3),
                "u": float(u),
                "rater": np.where(self_rated, "self", "other"),
                "year": year,
                "_published": publish,
            }
        )
        batches.append(batch)
        n_kept += int(publish.sum())
    drawn = pd.concat(batches, ignore_index=True)
    # studies considered up to and including the k-th published one
    n_considered = int(np.searchsorted(drawn["_published"].cumsum().to_numpy(), k)) + 1
    drawn = drawn.iloc[:n_considered]
    data = drawn[drawn["_published"]].drop(columns="_published").reset_index(drop=True)
    data.insert(0, "study", [f"S{i + 1:03d}" for i in range(k)])
    data["r"] = np.round(data["r"].to_numpy(), 4)

    m_obs, sd_obs, mz, sz, att, tau_total = _population_values(
        rho, tau, p_self, moderator_effect, rxx, ryy, reliability_spread, u
    )
    truth = MetaCorrelationsTruth(
        rho=float(rho),
        tau=float(tau),
        tau_total=tau_total,
        rho_obs=m_obs,
        tau_obs=sd_obs,
        mu_z=mz,
        tau_z=sz,
        r_from_mu_z=float(np.tanh(mz)),
        attenuation=att,
        moderator_effect=float(moderator_effect),
        k=int(k),
        n_total=int(data["n"].sum()),
        n_suppressed=n_considered - k,
    )
    return SimulatedData(data=data, truth=truth, params=params)


@dataclass(frozen=True)
class MetaEffectsTruth:
    """True values behind a :func:`meta_effects` draw.

    Attributes
    ----------
    delta : float
        Mean true standardized effect (the pooled value a three-level model estimates).
    tau_study, tau_within : float
        SDs of the study-level and the within-study (effect-level) true effects;
        ``sigma2 = (tau_study^2, tau_within^2)`` are the three-level variance components.
    within_r : float
        Correlation between a study's outcomes in the same people (it correlates the
        sampling errors of effects from one study).
    """

    delta: float
    tau_study: float
    tau_within: float
    sigma2_study: float
    sigma2_within: float
    within_r: float
    prepost_r: float
    design_mix: float
    k_studies: int
    n_effects: int
    n_total: int


def meta_effects(
    k_studies: int = 30,
    effects_per_study: int | tuple[int, int] = 3,
    delta: float = 0.35,
    tau_study: float = 0.15,
    tau_within: float = 0.08,
    *,
    design_mix: float = 0.6,
    within_r: float = 0.5,
    prepost_r: float = 0.6,
    n_median: float = 60.0,
    rng: RNGLike = None,
) -> SimulatedData:
    """Coaching studies with several standardized effects each (controlled and pre-post).

    The model, for study ``j`` and effect (outcome) ``i``:

    1. Design: controlled (coached vs comparison group) with probability ``design_mix``,
       single-group pre-post otherwise. Sizes: ``n = max(10, LogNormal(log(n_median), 0.6))``
       people per study, split evenly between the groups of a controlled study.
    2. True effects: ``theta_j = delta + N(0, tau_study^2)``,
       ``theta_ij = theta_j + N(0, tau_within^2)``.
    3. People: a study's ``m_j`` outcomes are correlated ``within_r`` in the same people
       (unit variances). Controlled: coached scores ``~ N(theta_ij, 1)``, comparison
       ``~ N(0, 1)``. Pre-post: ``post = theta_ij + prepost_r pre + sqrt(1 - prepost_r^2) e``
       so the pre-test SD is 1 and the pre-post correlation ``prepost_r``.
    4. Reported statistics (means, SDs, sample pre-post r) give Hedges' g (``escalc("SMD")``)
       or the standardized mean change (``escalc("SMCR")``) and their variances (columns
       ``yi``, ``vi``). Effects of one study share people, so their sampling errors are
       correlated, which the variances alone do not show.

    Parameters
    ----------
    k_studies : int
    effects_per_study : int or (int, int)
        Fixed count, or the range of a uniform count per study.
    delta, tau_study, tau_within : float
    design_mix : float
        Share of controlled studies.
    within_r, prepost_r : float
    n_median : float
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data``: one row per effect with ``study, effect, design, year, n, yi, vi`` and the
        summary statistics ``m1, sd1, n1, m2, sd2, n2, r_prepost``; ``truth``:
        :class:`MetaEffectsTruth`.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=10, effects_per_study=2, rng=1)
    >>> len(sim.data), sim.truth.delta
    (20, 0.35)
    """
    params = dict(k_studies=k_studies, effects_per_study=effects_per_study, delta=delta,
                  tau_study=tau_study, tau_within=tau_within, design_mix=design_mix,
                  within_r=within_r, prepost_r=prepost_r, n_median=n_median)  # fmt: skip
    check_int(k_studies, "k_studies", minimum=1)
    if isinstance(effects_per_study, tuple | list):
        if len(effects_per_study) != 2:
            raise ValueError("effects_per_study must be an int or a (low, high) pair, got "
                             f"{effects_per_study!r}.")  # fmt: skip
        lo_m, hi_m = effects_per_study
        check_int(lo_m, "effects_per_study[0]", minimum=1)
        check_int(hi_m, "effects_per_study[1]", minimum=lo_m)
    else:
        check_int(effects_per_study, "effects_per_study", minimum=1)
        lo_m = hi_m = effects_per_study
    check_positive(tau_study, "tau_study", allow_zero=True)
    check_positive(tau_within, "tau_within", allow_zero=True)
    check_positive(n_median, "n_median")
    check_probability(design_mix, "design_mix", open=False)
    for name, val in (("within_r", within_r), ("prepost_r", prepost_r)):
        check_probability(val, name, open="high")
    from ..meta.smd import smd_values

    g = as_generator(rng)
    rows = []
    n_total = 0
    for j in range(k_studies):
        m = int(g.integers(lo_m, hi_m + 1))
        controlled = bool(g.random() < design_mix)
        n = max(10, round(float(np.exp(np.log(n_median) + 0.6 * g.standard_normal()))))
        n_total += n
        theta_j = delta + tau_study * g.standard_normal()
        theta = theta_j + tau_within * g.standard_normal(m)
        chol = np.linalg.cholesky(np.full((m, m), within_r) + (1 - within_r) * np.eye(m))

        def draw(size: int, mean: np.ndarray | float = 0.0, L: np.ndarray = chol) -> np.ndarray:
            return mean + g.standard_normal((size, L.shape[0])) @ L.T

        year = int(g.integers(2000, 2024))
        if controlled:
            n1 = n // 2
            n2 = n - n1
            a = draw(n1, theta)
            b = draw(n2)
            stats1 = (a.mean(0), a.std(0, ddof=1), np.full(m, n1))
            stats2 = (b.mean(0), b.std(0, ddof=1), np.full(m, n2))
            yi, vi = smd_values("SMD", stats1[0], stats1[1], stats1[2].astype(float),
                                stats2[0], stats2[1], stats2[2].astype(float), None)  # fmt: skip
            rpp = np.full(m, np.nan)
        else:
            pre = draw(n)
            e = draw(n)
            post = theta + prepost_r * pre + np.sqrt(1 - prepost_r**2) * e
            rpp = np.array([np.corrcoef(pre[:, i], post[:, i])[0, 1] for i in range(m)])
            stats1 = (post.mean(0), post.std(0, ddof=1), np.full(m, n))
            stats2 = (pre.mean(0), pre.std(0, ddof=1), np.full(m, np.nan))
            yi, vi = smd_values("SMCR", stats1[0], stats1[1], np.full(m, float(n)),
                                stats2[0], stats2[1], None, rpp)  # fmt: skip
        for i in range(m):
            rows.append({
                "study": f"S{j + 1:03d}", "effect": i + 1,
                "design": "controlled" if controlled else "pre-post", "year": year, "n": n,
                "yi": float(yi[i]), "vi": float(vi[i]),
                "m1": float(stats1[0][i]), "sd1": float(stats1[1][i]), "n1": int(stats1[2][i]),
                "m2": float(stats2[0][i]), "sd2": float(stats2[1][i]),
                "n2": float(stats2[2][i]), "r_prepost": float(rpp[i]),
            })  # fmt: skip
    data = pd.DataFrame(rows)
    truth = MetaEffectsTruth(delta=delta, tau_study=tau_study, tau_within=tau_within,
                             sigma2_study=tau_study**2, sigma2_within=tau_within**2,
                             within_r=within_r, prepost_r=prepost_r, design_mix=design_mix,
                             k_studies=k_studies, n_effects=len(data), n_total=n_total)  # fmt: skip
    return SimulatedData(data, truth, params)
