"""Budget-constrained optimal allocation of a two-level cluster-randomised design.

With a cost ``cost_cluster`` per manager (coaching, recruitment, survey administration) and
``cost_person`` per surveyed employee, a budget buys ``J = budget / (cost_cluster + n *
cost_person)`` managers of ``n`` employees. The MDES of ``cra2`` is smallest at (Raudenbush
1997, Psychological Methods 2:173, eq. 20, with covariates as in Raudenbush, Martinez &
Spybrook 2007)::

    n* = sqrt(cost_cluster / cost_person * (1 - icc)(1 - r2) / (icc (1 - r2_2)))

Integer designs around it are compared with the exact t-based MDES (small ``J`` loses
degrees of freedom), and the best affordable one is returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._validate import check_positive, check_probability
from ..results import Result, new_axes, tidy_frame
from .closed_form import mdes as _mdes

__all__ = ["AllocationResult", "optimal_allocation"]


@dataclass(frozen=True)
class AllocationResult(Result):
    """The affordable ``cra2`` design with the smallest MDES, and the candidates compared.

    Parameters
    ----------
    n : int
        People per cluster.
    J : int
        Clusters.
    mdes : float
        Minimum detectable effect size of the chosen design (outcome SDs).
    cost : float
        Cost of the chosen design.
    budget : float
        The budget.
    n_continuous : float
        Cost-optimal cluster size before rounding (Raudenbush 1997).
    candidates : DataFrame
        The integer designs compared: ``n, J, cost, mdes``.
    cost_cluster, cost_person : float
        Cost per cluster and per person.

    Examples
    --------
    >>> from coachstats import power
    >>> a = power.optimal_allocation(200_000, cost_cluster=3000, cost_person=100, icc=0.15)
    >>> a.cost <= a.budget
    True
    """

    n: int
    J: int
    mdes: float
    cost: float
    budget: float
    n_continuous: float
    candidates: pd.DataFrame = field(repr=False, compare=False)
    cost_cluster: float = math.nan
    cost_person: float = math.nan

    @property
    def title(self) -> str:
        return "Optimal allocation under a budget (Raudenbush 1997)"

    @property
    def notes(self) -> list[str]:
        return [
            f"Budget {self.budget:,.0f}: {self.J} managers x {self.n} employees costs "
            f"{self.cost:,.0f} (per manager {self.cost_cluster:,.0f}, per employee "
            f"{self.cost_person:,.0f}).",
            f"Continuous optimum n* = {self.n_continuous:.2f} employees per manager.",
        ]

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame([{"term": "mdes", "estimate": self.mdes, "n": self.n,
                            "n_clusters": self.J, "cost": self.cost,
                            "n_continuous": self.n_continuous}])

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """MDES of each affordable design against employees per manager.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to matplotlib's ``Axes.plot`` (e.g. ``alpha``).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        c = self.candidates
        ax.plot(c["n"], c["mdes"], marker="o", ms=3, color="C0", **kwargs)
        ax.axvline(self.n_continuous, color="0.5", ls="--", lw=1)
        ax.plot([self.n], [self.mdes], "o", color="C3")
        ax.set_xlabel("employees surveyed per manager (n)")
        ax.set_ylabel("MDES (outcome SDs)")
        return ax


def optimal_allocation(
    budget: float,
    *,
    cost_cluster: float,
    cost_person: float,
    icc: float,
    r2: float = 0.0,
    r2_2: float = 0.0,
    P: float = 0.5,
    g: int = 0,
    n_max: int | None = None,
    alpha: float = 0.05,
    power: float = 0.80,
    two_tailed: bool = True,
) -> AllocationResult:
    """The ``cra2`` design (managers ``J`` x employees ``n``) with the smallest MDES for a budget.

    Parameters
    ----------
    budget : float
        Total money available.
    cost_cluster : float
        Cost per manager in the study (averaged over coached and comparison managers).
    cost_person : float
        Cost per surveyed employee.
    icc : float
        Share of outcome variance between managers.
    r2, r2_2 : float
        Covariate R-squared at the employee and manager level.
    P : float
        Share of managers coached.
    g : int
        Manager-level covariates.
    n_max : int, optional
        Largest team size considered (default: 4 x the continuous optimum, at least 50).
    alpha, power, two_tailed
        Test settings.

    Returns
    -------
    AllocationResult

    Examples
    --------
    >>> from coachstats import power
    >>> a = power.optimal_allocation(200_000, cost_cluster=3000, cost_person=100, icc=0.15)
    >>> a.n, a.J
    (10, 50)
    """
    for nm, val in (("budget", budget), ("cost_cluster", cost_cluster),
                    ("cost_person", cost_person)):
        check_positive(val, nm)
    check_probability(icc, "icc (the optimum needs 0 < icc < 1)")
    n_star = math.sqrt(cost_cluster / cost_person * (1 - icc) * (1 - r2) / (icc * (1 - r2_2)))
    n_max = int(n_max or max(50, math.ceil(4 * n_star)))
    rows = []
    for n in range(1, n_max + 1):
        J = int(budget // (cost_cluster + n * cost_person))
        if J - g - 2 < 1:
            continue
        m = _mdes("cra2", J=J, n=n, icc=icc, r2=r2, r2_2=r2_2, P=P, g=g, alpha=alpha,
                  power=power, two_tailed=two_tailed).mdes
        rows.append({"n": n, "J": J, "cost": J * (cost_cluster + n * cost_person), "mdes": m})
    if not rows:
        raise ValueError(
            f"budget: {budget:,.0f} buys fewer than {g + 3} managers even with one employee "
            f"each (cost {cost_cluster + cost_person:,.0f} per manager); raise the budget."
        )
    cand = pd.DataFrame(rows)
    best = cand.loc[cand["mdes"].idxmin()]
    return AllocationResult(n=int(best["n"]), J=int(best["J"]), mdes=float(best["mdes"]),
                            cost=float(best["cost"]), budget=float(budget), n_continuous=n_star,
                            candidates=cand, cost_cluster=float(cost_cluster),
                            cost_person=float(cost_person))
