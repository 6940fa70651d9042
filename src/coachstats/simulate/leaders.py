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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_number, check_positive
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
        Effect of one unit of coaching behaviour on engagement.
    direct : float
        Effect of coaching on engagement not through the behaviour.
    rho : float
        Correlation of the unmeasured team disturbance with the behaviour's error (``|rho| < 1``).
    sd_team, sd_employee : float
        SDs of the manager-level disturbance and of employees around their team.
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
    """
    check_int(n_managers, "n_managers", minimum=10)
    check_int(team_size, "team_size", minimum=1)
    check_positive(sd_team, "sd_team")
    check_positive(sd_employee, "sd_employee")
    check_number(rho, "rho", low=-1, high=1, low_open=True, high_open=True)
    g = as_generator(rng)
    t = g.permutation(np.arange(n_managers) < n_managers // 2).astype(int)
    exp = g.normal(size=n_managers)
    e1 = g.normal(size=n_managers)
    m = a * t + 0.3 * exp + e1
    u = sd_team * (rho * e1 + math.sqrt(1 - rho**2) * g.normal(size=n_managers))
    mgr = np.repeat(np.arange(n_managers), team_size)
    y = (3.5 + direct * t + b * m + 0.2 * exp + u)[mgr] \
        + g.normal(0, sd_employee, n_managers * team_size)
    data = pd.DataFrame({
        "manager": [f"M{j:04d}" for j in mgr],
        "employee": [f"E{i:06d}" for i in range(n_managers * team_size)],
        "coached": t[mgr],
        "experience": exp[mgr],
        "coaching_behaviour": m[mgr],
        "engagement": y,
    })
    rho_cm = rho * sd_team / math.sqrt(sd_team**2 + sd_employee**2 / team_size)
    truth = LeaderMediationTruth(indirect=a * b, direct=direct, total=direct + a * b, a=a, b=b,
                                 rho=rho, rho_cluster_means=rho_cm)
    params = {"n_managers": n_managers, "team_size": team_size, "a": a, "b": b,
              "direct": direct, "rho": rho, "sd_team": sd_team, "sd_employee": sd_employee}
    return SimulatedData(data, truth, params)
