"""360-degree feedback before and after a leadership program, with the true change known.

Model (one leader ``i``, rater group ``k``, occasion ``t`` = 0 pre / 1 post, rater ``j``)::

    rating_ijkt = mean_k + theta_i + u_ik + t (change_k + v_i) + e_ijkt

- ``theta_i ~ N(0, leader_sd^2)``: the leader's standing, seen by every group;
- ``u_ik ~ N(0, perspective_sd_k^2)``: what group ``k`` sees of leader ``i`` that others do
  not (stable across occasions);
- ``change_k``: the mean true change seen by group ``k``; ``v_i ~ N(0, change_sd^2)``:
  the leader's own deviation from it, shared by all groups;
- ``e_ijkt ~ N(0, error_sd_k^2)``: rater error; raters differ between occasions, so errors
  are independent;
- the number of raters of group ``k`` per leader and occasion is uniform on
  ``{min_raters, ..., max_raters}`` (self and manager: exactly one).

Scores are continuous on a 1-5 metric and are not rounded or truncated, so the truth below is
exact. Every truth value is a population quantity of the leader-level group means (the
mean of a group's ratings of a leader), with ``E[1/m]`` over the rater-count distribution:

``var_pre_k = leader_sd^2 + perspective_sd_k^2 + error_sd_k^2 E[1/m_k]``,
``var_post_k = var_pre_k + change_sd^2``, ``cov_k = leader_sd^2 + perspective_sd_k^2``;
``d_av = change_k / ((sd_pre + sd_post) / 2)``, ``d_z = change_k / sd(change)``,
``d_rm = d_z sqrt(2 (1 - r))``. "overall" is the equal-weight mean of the groups not in
``overall_exclude``. Between groups, leader scores correlate ``leader_sd^2 / sqrt(var_pre_k
var_pre_l)`` at pre and change scores ``change_sd^2 / sqrt(var_change_k var_change_l)``.

Defaults: single-rater reliabilities (ICC(1)) of about .5 for managers, .38 for peers and
.32 for direct reports, close to the meta-analytic values of Conway & Huffcutt (1997,
Human Performance 10:331); mean change per group between 0.1 and 0.4 SD, in the range
multisource-feedback studies report (Smither, London & Reilly 2005, Personnel Psychology
58:33), with self-ratings changing least.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_positive
from ._base import SimulatedData

#: group -> (mean, perspective_sd, error_sd, change, min_raters, max_raters)
DEFAULT_GROUPS: dict[str, tuple[float, float, float, float, int, int]] = {
    "self": (3.95, 0.30, 0.30, 0.05, 1, 1),
    "manager": (3.60, 0.20, 0.45, 0.15, 1, 1),
    "peer": (3.70, 0.15, 0.60, 0.12, 3, 8),
    "direct_report": (3.75, 0.15, 0.65, 0.18, 3, 10),
}


@dataclass(frozen=True)
class PrePost360Truth:
    """Population values for each rater group and ``"overall"``."""

    change: dict[str, float]
    d_av: dict[str, float]
    d_z: dict[str, float]
    d_rm: dict[str, float]
    sd_pre: dict[str, float]
    sd_post: dict[str, float]
    r_pre_post: dict[str, float]
    reliability: dict[str, float]
    icc1: dict[str, float]
    correlation_pre: dict[str, float]
    correlation_change: dict[str, float]
    true_score_correlation: dict[str, float]
    overall_groups: tuple[str, ...]


def _truth(groups: dict[str, tuple], leader_sd: float, change_sd: float,
           overall: tuple[str, ...]) -> PrePost360Truth:
    t2, c2 = leader_sd**2, change_sd**2
    inv_m = {g: float(np.mean(1.0 / np.arange(lo, hi + 1))) for g, (*_, lo, hi) in
             groups.items()}
    out: dict[str, dict[str, float]] = {k: {} for k in
                                        ("change", "d_av", "d_z", "d_rm", "sd_pre", "sd_post",
                                         "r", "rel", "icc1")}

    def fill(name: str, delta: float, v0: float, cov: float, vd: float) -> None:
        v1 = v0 + c2
        s0, s1 = math.sqrt(v0), math.sqrt(v1)
        r = cov / (s0 * s1)
        dz = delta / math.sqrt(vd)
        out["change"][name] = delta
        out["d_av"][name] = delta / ((s0 + s1) / 2)
        out["d_z"][name] = dz
        out["d_rm"][name] = dz * math.sqrt(2 * (1 - r))
        out["sd_pre"][name], out["sd_post"][name], out["r"][name] = s0, s1, r

    var_pre, var_change = {}, {}
    for g, (_, p, e, delta, _, _) in groups.items():
        true_var = t2 + p**2
        err = e**2 * inv_m[g]
        var_pre[g] = true_var + err
        var_change[g] = 2 * err + c2
        fill(g, delta, true_var + err, true_var, 2 * err + c2)
        out["rel"][g] = true_var / (true_var + err)
        out["icc1"][g] = true_var / (true_var + e**2)
    if overall:
        k = len(overall)
        p2 = sum(groups[g][1] ** 2 for g in overall) / k**2
        err = sum(groups[g][2] ** 2 * inv_m[g] for g in overall) / k**2
        fill("overall", float(np.mean([groups[g][3] for g in overall])), t2 + p2 + err,
             t2 + p2, 2 * err + c2)
    corr, corr_change, true_corr = {}, {}, {}
    names = list(groups)
    for a_i, a in enumerate(names):
        for b in names[a_i + 1:]:
            corr[f"{a}~{b}"] = t2 / math.sqrt(var_pre[a] * var_pre[b])
            corr_change[f"{a}~{b}"] = c2 / math.sqrt(var_change[a] * var_change[b])
            true_corr[f"{a}~{b}"] = t2 / math.sqrt((t2 + groups[a][1] ** 2)
                                                   * (t2 + groups[b][1] ** 2))
    return PrePost360Truth(
        change=out["change"], d_av=out["d_av"], d_z=out["d_z"], d_rm=out["d_rm"],
        sd_pre=out["sd_pre"], sd_post=out["sd_post"], r_pre_post=out["r"],
        reliability=out["rel"], icc1=out["icc1"], correlation_pre=corr,
        correlation_change=corr_change, true_score_correlation=true_corr, overall_groups=overall,
    )


def _check_groups(groups: dict[str, Any]) -> dict[str, tuple]:
    if not isinstance(groups, dict) or not groups:
        raise TypeError("groups must be a non-empty dict: name -> (mean, perspective_sd, "
                        "error_sd, change, min_raters, max_raters).")
    out = {}
    for g, spec in groups.items():
        spec = tuple(spec)
        if len(spec) != 6:
            raise ValueError(f"groups[{g!r}] must have 6 entries (mean, perspective_sd, "
                             f"error_sd, change, min_raters, max_raters), got {len(spec)}.")
        mean, p, e, delta, lo, hi = spec
        check_positive(p, f"groups[{g!r}] perspective_sd", allow_zero=True)
        check_positive(e, f"groups[{g!r}] error_sd")
        check_int(lo, f"groups[{g!r}] min_raters", minimum=1)
        check_int(hi, f"groups[{g!r}] max_raters", minimum=int(lo))
        if not (np.isfinite(mean) and np.isfinite(delta)):
            raise ValueError(f"groups[{g!r}]: mean and change must be finite.")
        out[str(g)] = (float(mean), float(p), float(e), float(delta), int(lo), int(hi))
    return out


def pre_post_360(
    n_leaders: int = 120,
    *,
    groups: dict[str, Any] | None = None,
    leader_sd: float = 0.40,
    change_sd: float = 0.15,
    overall_exclude: tuple[str, ...] = ("self",),
    rng: RNGLike = None,
) -> SimulatedData:
    """360-degree ratings of leaders before and after a program, with known true change.

    Parameters
    ----------
    n_leaders : int
        Leaders rated at both occasions.
    groups : dict, optional
        Rater group -> ``(mean, perspective_sd, error_sd, change, min_raters, max_raters)``;
        default :data:`DEFAULT_GROUPS` (self, manager, peer, direct_report).
    leader_sd : float
        SD of leaders' standing shared by all groups.
    change_sd : float
        SD of leaders' true change around each group's mean change.
    overall_exclude : tuple of str
        Groups left out of the truth's "overall" score (default self).
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data``: one row per rating with ``leader, rater_group, rater, time`` ("pre" /
        "post") and ``rating``; ``truth``: :class:`PrePost360Truth`.

    Examples
    --------
    >>> sim = pre_post_360(n_leaders=30, rng=1)
    >>> sorted(sim.data["time"].unique())
    ['post', 'pre']
    >>> round(sim.truth.d_av["direct_report"], 3)
    0.347
    """
    check_int(n_leaders, "n_leaders", minimum=3)
    check_positive(leader_sd, "leader_sd")
    check_positive(change_sd, "change_sd", allow_zero=True)
    spec = _check_groups(DEFAULT_GROUPS if groups is None else groups)
    unknown = [g for g in overall_exclude if g not in spec]
    if unknown:
        raise ValueError(f"overall_exclude names unknown group(s) {unknown}; groups are "
                         f"{list(spec)}.")
    overall = tuple(g for g in spec if g not in set(overall_exclude))
    gen = as_generator(rng)
    theta = gen.normal(0, leader_sd, n_leaders)
    v = gen.normal(0, change_sd, n_leaders)
    names = list(spec)
    u = np.column_stack([gen.normal(0, spec[g][1], n_leaders) for g in names])
    # cells in the order leader, occasion, group
    n_g = len(names)
    leader_idx = np.repeat(np.arange(n_leaders), 2 * n_g)
    occ = np.tile(np.repeat([0, 1], n_g), n_leaders)
    grp = np.tile(np.arange(n_g), 2 * n_leaders)
    lo = np.array([spec[g][4] for g in names])[grp]
    hi = np.array([spec[g][5] for g in names])[grp]
    m = gen.integers(lo, hi + 1)
    mean = np.array([spec[g][0] for g in names])[grp]
    err = np.array([spec[g][2] for g in names])[grp]
    delta = np.array([spec[g][3] for g in names])[grp]
    mu = mean + theta[leader_idx] + u[leader_idx, grp] + occ * (delta + v[leader_idx])
    rows = np.repeat(np.arange(len(m)), m)
    rating = mu[rows] + err[rows] * gen.standard_normal(len(rows))
    data = pd.DataFrame(
        {
            "leader": np.char.add("L", np.char.zfill((leader_idx[rows] + 1).astype(str), 4)),
            "rater_group": np.asarray(names, dtype=object)[grp[rows]],
            "rater": np.char.add("R", np.char.zfill((np.arange(len(rows)) + 1).astype(str), 6)),
            "time": np.array(["pre", "post"], dtype=object)[occ[rows]],
            "rating": rating,
        }
    )
    params = {"n_leaders": n_leaders, "groups": {g: list(s) for g, s in spec.items()},
              "leader_sd": leader_sd, "change_sd": change_sd,
              "overall_exclude": list(overall_exclude)}
    return SimulatedData(data=data, truth=_truth(spec, leader_sd, change_sd, overall),
                         params=params)
