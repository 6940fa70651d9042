"""What a fitted design could detect: the MDES implied by a result's standard error.

For an estimate with standard error ``SE``, the smallest true effect detected with
probability ``power`` by a two-sided test at level ``alpha`` is ``MDE = M * SE`` with
``M = z(1 - alpha/2) + z(power)`` (Bloom 1995, "Minimum detectable effects", Evaluation
Review 19:547; t quantiles when the result has degrees of freedom). It describes the
design and sample actually used, not the estimate: unlike "observed power" it does not
depend on the effect found (Hoenig & Heisey 2001, The American Statistician 55:19).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._validate import check_probability
from ..results import Result, tidy_frame
from .closed_form import multiplier

__all__ = ["DetectableEffect", "design_mdes"]


@dataclass(frozen=True)
class DetectableEffect(Result):
    """The minimum detectable effect of the design behind a result.

    Parameters
    ----------
    term : str
        The result row used.
    mde : float
        Minimum detectable effect on the outcome scale.
    mdes : float
        The same in outcome SDs (NaN when the outcome SD is unknown).
    std_error : float
        Standard error of the estimate.
    power : float
        Power the MDE is defined at.
    alpha : float
        Significance level.
    df : float
        Degrees of freedom (infinite for z tests).
    multiplier : float
        ``mde / std_error``.
    outcome_sd : float
        Outcome SD used for ``mdes``.
    source : str
        The result class the design comes from.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=60, rng=1)
    >>> res = cs.did.staggered(sim.data, outcome="engagement", unit="team", time="quarter",
    ...                        cohort="coached_from", cluster="manager", aggregate=True,
    ...                        n_boot=0)
    >>> cs.power.design_mdes(res).source
    'StaggeredResult'
    """

    term: str
    mde: float
    mdes: float  # in outcome SDs (NaN when the outcome SD is unknown)
    std_error: float
    power: float
    alpha: float
    df: float
    multiplier: float
    outcome_sd: float
    source: str

    @property
    def title(self) -> str:
        return "What this design could detect"

    @property
    def notes(self) -> list[str]:
        z = "normal" if math.isinf(self.df) else f"t ({self.df:g} df)"
        out = [
            f"Minimum detectable effect = {self.multiplier:.3f} x SE ({z} quantiles, "
            f"two-sided alpha = {self.alpha:g}, power = {self.power:g}; Bloom 1995).",
            "It depends on the design and sample used, not on the estimate found.",
        ]
        if math.isfinite(self.mdes):
            out.append(f"In outcome SDs: divided by the outcome SD {self.outcome_sd:.3g}.")
        return out

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame([{"term": f"mde[{self.term}]", "estimate": self.mde,
                            "std_error": self.std_error, "mdes": self.mdes,
                            "power": self.power, "alpha": self.alpha,
                            "multiplier": self.multiplier, "source": self.source}])


def design_mdes(result: Any, *, power: float = 0.80, alpha: float | None = None,
                term: str | None = None, sd: float | None = None) -> DetectableEffect:
    """Minimum detectable effect of the design a fitted result used.

    Parameters
    ----------
    result : Result
        Any coachstats result with a standard error: an ``estimate``/``std_error`` pair
        (e.g. ``did.staggered``) or a ``to_frame()`` with a ``std_error`` column.
    power : float
        Target power.
    alpha : float, optional
        Two-sided level (default: ``1 - ci_level`` of the result, else 0.05).
    term : str, optional
        Row of ``to_frame()`` to use when the result has no single ``std_error``.
    sd : float, optional
        Outcome SD for the standardised MDES (default: the result's ``outcome_sd``).

    Returns
    -------
    DetectableEffect
        ``mde`` (outcome units) and ``mdes`` (outcome SDs).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=60, rng=1)
    >>> res = cs.did.staggered(sim.data, outcome="engagement", unit="team", time="quarter",
    ...                        cohort="coached_from", cluster="manager", aggregate=True,
    ...                        n_boot=0)
    >>> d = cs.power.design_mdes(res)
    >>> round(d.mde / res.std_error, 3)
    2.802
    """
    check_probability(power, "power")
    se = getattr(result, "std_error", None) if term is None else None
    level = getattr(result, "ci_level", None)
    name = term or "estimate"
    df = getattr(result, "df", math.inf)
    if not isinstance(se, int | float) or isinstance(se, bool):
        if not hasattr(result, "to_frame"):
            raise TypeError(f"result: {type(result).__name__} has no std_error or to_frame().")
        f = result.to_frame()
        if "std_error" not in f.columns:
            raise ValueError(f"result: {type(result).__name__}.to_frame() has no std_error "
                             "column; the MDES needs a standard error.")
        rows = f if term is None else f.loc[f["term"] == term]
        if rows.empty:
            raise ValueError(f"term: {term!r} is not a term of the result "
                             f"({f['term'].tolist()}).")
        r = rows.iloc[0]
        se, name = float(r["std_error"]), str(r["term"])
        level = r.get("ci_level", level)
        df = r.get("df", math.inf) if "df" in f.columns else math.inf
    try:
        df = float(df)
    except (TypeError, ValueError):
        df = math.inf
    if pd.isna(df) or df < 1:
        df = math.inf
    if alpha is None:
        alpha = 1 - float(level) if level is not None and not pd.isna(level) else 0.05
    check_probability(alpha, "alpha")
    se = float(se)
    if not se > 0 or not math.isfinite(se):
        raise ValueError(f"result: the standard error is {se}; no MDES can be computed.")
    m = multiplier(alpha, power, float(df), True)
    osd = float(sd if sd is not None else getattr(result, "outcome_sd", math.nan))
    mdes = m * se / osd if osd > 0 else math.nan
    return DetectableEffect(term=name, mde=m * se, mdes=mdes, std_error=se, power=power,
                            alpha=float(alpha), df=float(df), multiplier=m, outcome_sd=osd,
                            source=type(result).__name__)
