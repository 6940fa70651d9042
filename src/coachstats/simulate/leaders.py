"""Coached managers, their coaching behaviour, and their teams' engagement (a 2-2-1 mediation).

The seed article's "multiplier effect": leaders who are coached coach their own teams better,
which raises the team's engagement. Manager ``m`` is coached (``T_m``, exactly half the
managers, at random), has ``experience_m ~ N(0, 1)`` (years, standardised: a measured
pre-treatment confounder) and a coaching-behaviour score::

    M_m = a T_m + 0.3 experience_m + e1_m,                 e1_m ~ N(0, 1)

Employee ``i`` in manager ``m``'s team reports engagement::

    Y_im = 3.5 + direct T_m + b M_m + 0.2 experience_m + u_m + e_im
    u_m = sd_team (rho e1_m + sqrt(1 - rho^2) z_m),       e_im ~ N(0, sd_employee^2)

``rho`` is the correlation between the manager-level outcome disturbance and the mediator's
error: an unmeasured confounder of mediator and outcome (``rho = 0``: sequential
ignorability holds given experience). True effects (per unit of treatment, on the
engagement scale): ``indirect = a b``, ``direct``, ``total = direct + a b``.
``rho_cluster_means`` is the error correlation in a model of team means
(``rho sd_team / sqrt(sd_team^2 + sd_employee^2 / team_size)``), the value Imai-Keele-
Yamamoto's sensitivity parameter takes in that model.

With ``design="2-1-1"`` the mediator is measured on employees (each rates the coaching they
get from their manager), so it varies within teams::

    M_im = a T_m + 0.3 experience_m + v_m + f_im,   v_m ~ N(0, sd_mediator_team^2),
                                                     f_im ~ N(0, 1)
    Y_im = 3.5 + direct T_m + b Mbar_m + b_within (M_im - Mbar_m) + 0.2 experience_m
           + u_m + e_im,                              u_m = sd_team (rho v_m / sd_mediator_team
                                                             + sqrt(1 - rho^2) z_m)

``Mbar_m`` is the team's mean rating: a team's engagement responds to the coaching its
members experience on average (slope ``b``, between teams) and, within the team, an employee
who gets more coaching than the team's average is more engaged (slope ``b_within``). The
indirect effect of coaching a manager runs through the team mean: ``indirect = a b``; the
within-team slope carries none of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_choice, check_int, check_number, check_positive
from ._base import SimulatedData


@dataclass(frozen=True)
class LeaderMediationTruth:
    """True indirect, direct and total effects, paths and the confounding correlation."""

    indirect: float
    direct: float
    total: float
    a: float
    b: float
    rho: float
    rho_cluster_means: float
    design: str = "2-2-1"
    b_within: float = math.nan


def leader_mediation(
    n_managers: int = 150,
    *,
    team_size: int = 8,
    a: float = 0.5,
    b: float = 0.3,
    direct: float = 0.05,
    rho: float = 0.0,
    sd_team: float = 0.25,
    sd_employee: float = 0.7,
    design: str = "2-2-1",
    b_within: float = 0.1,
    sd_mediator_team: float = 0.5,
    rng: RNGLike = None,
) -> SimulatedData:
    """Managers (coached or not), their coaching behaviour and their employees' engagement.

    Parameters
    ----------
    n_managers : int
        Managers; exactly half are coached.
    team_size : int
        Employees per manager (1 gives one row per manager: a single-level design).
    a : float
        Effect of coaching on the manager's coaching behaviour (SD units of its error).
    b : float
        Effect of one unit of coaching behaviour on engagement (with ``design="2-1-1"``: of
        one unit of the team's mean rating, between teams).
    direct : float
        Effect of coaching on engagement not through the behaviour.
    rho : float
        Correlation of the unmeasured team disturbance with the behaviour's error (``|rho| < 1``).
    sd_team, sd_employee : float
        SDs of the manager-level disturbance and of employees around their team.
    design : {"2-2-1", "2-1-1"}
        Mediator measured on managers (one value per team) or on employees (see above).
    b_within : float
        ``design="2-1-1"`` only: within-team slope of engagement on the employee's rating.
    sd_mediator_team : float
        ``design="2-1-1"`` only: SD of the teams' mediator disturbance ``v_m`` (the
        employees' own disturbance has SD 1).
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data``: ``manager, employee, coached, experience, coaching_behaviour,
        engagement``; ``truth``: :class:`LeaderMediationTruth`.

    Examples
    --------
    >>> sim = leader_mediation(rng=1)
    >>> round(sim.truth.indirect, 3)
    0.15
    >>> sim = leader_mediation(60, design="2-1-1", rng=1)
    >>> sim.data.groupby("manager")["coaching_behaviour"].nunique().min() > 1
    np.True_
    """
    check_int(n_managers, "n_managers", minimum=10)
    check_int(team_size, "team_size", minimum=1)
    check_positive(sd_team, "sd_team")
    check_positive(sd_employee, "sd_employee")
    check_number(rho, "rho", low=-1, high=1, low_open=True, high_open=True)
    design = check_choice(design, "design", ("2-2-1", "2-1-1"))
    if design == "2-1-1":
        check_int(team_size, "team_size", minimum=2)
        check_positive(sd_mediator_team, "sd_mediator_team")
    g = as_generator(rng)
    t = g.permutation(np.arange(n_managers) < n_managers // 2).astype(int)
    exp = g.normal(size=n_managers)
    e1 = g.normal(size=n_managers)
    mgr = np.repeat(np.arange(n_managers), team_size)
    n_rows = n_managers * team_size
    if design == "2-2-1":
        m = a * t + 0.3 * exp + e1
        u = sd_team * (rho * e1 + math.sqrt(1 - rho**2) * g.normal(size=n_managers))
        y = (3.5 + direct * t + b * m + 0.2 * exp + u)[mgr] \
            + g.normal(0, sd_employee, n_rows)
        m_rows = m[mgr]
    else:
        v = sd_mediator_team * e1
        m_rows = (a * t + 0.3 * exp + v)[mgr] + g.normal(size=n_rows)
        m_bar = np.bincount(mgr, m_rows) / team_size
        u = sd_team * (rho * e1 + math.sqrt(1 - rho**2) * g.normal(size=n_managers))
        y = (3.5 + direct * t + b * m_bar + 0.2 * exp + u)[mgr] \
            + b_within * (m_rows - m_bar[mgr]) + g.normal(0, sd_employee, n_rows)
    data = pd.DataFrame({
        "manager": [f"M{j:04d}" for j in mgr],
        "employee": [f"E{i:06d}" for i in range(n_rows)],
        "coached": t[mgr],
        "experience": exp[mgr],
        "coaching_behaviour": m_rows,
        "engagement": y,
    })
    rho_cm = rho * sd_team / math.sqrt(sd_team**2 + sd_employee**2 / team_size) \
        if design == "2-2-1" else math.nan
    truth = LeaderMediationTruth(indirect=a * b, direct=direct, total=direct + a * b, a=a, b=b,
                                 rho=rho, rho_cluster_means=rho_cm, design=design,
                                 b_within=b_within if design == "2-1-1" else math.nan)
    params = {"n_managers": n_managers, "team_size": team_size, "a": a, "b": b,
              "direct": direct, "rho": rho, "sd_team": sd_team, "sd_employee": sd_employee,
              "design": design}
    if design == "2-1-1":
        params.update(b_within=b_within, sd_mediator_team=sd_mediator_team)
    return SimulatedData(data, truth, params)
