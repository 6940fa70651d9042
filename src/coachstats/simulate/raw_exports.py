"""Raw HR exports with a known truth: what a user's own files look like before ``prepare``.

Each generator returns :class:`SimulatedData` whose ``data`` is the export exactly as an HR
system would write it (text dates in a local format, blanks for "not yet", reverse-worded
items, percentages, several cost columns); :func:`write_raw_examples` writes them in the
formats such systems use (``;``-separated CSV with a byte-order mark or decimal commas,
Windows-1252 text, ``.xlsx`` workbooks with several sheets, trailing empty rows).

Examples
--------
>>> sim = survey_export(rng=1)
>>> sorted(sim.data.columns)[:3]
['CoachingStartDate', 'EmployeeID', 'ManagerID']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_int
from ._base import SimulatedData, _jsonable

__all__ = [
    "SURVEY_CALENDAR",
    "export_360",
    "hr_tenure_export",
    "roi_sheet",
    "scale_items",
    "survey_export",
    "write_raw_examples",
]

#: opening dates of the six survey waves of :func:`survey_export` (fieldwork: 3 weeks)
SURVEY_CALENDAR = ("2024-01-08", "2024-04-08", "2024-07-08", "2024-10-07", "2025-01-13",
                   "2025-04-07")


def _likert(latent: np.ndarray, noise: np.ndarray, lo: int = 1, hi: int = 5) -> np.ndarray:
    return np.clip(np.rint(latent + noise), lo, hi)


@dataclass(frozen=True)
class SurveyExportTruth:
    """``att``: average effect of coaching on the 1-5 scale score among coached teams' answers
    after coaching began (potential outcomes with the same noise); ``att_latent``: the latent
    effect; ``reverse``: the reverse-worded item; ``cohorts``: wave at which each cohort of
    managers started coaching (0 = never)."""

    att: float
    att_latent: float
    reverse: tuple[str, ...]
    calendar: tuple[str, ...]
    cohort_share: dict[int, float]
    loadings: tuple[float, ...]


def survey_export(
    n_managers: int = 60,
    *,
    team_size: int = 7,
    effect: float = 0.35,
    blank_share: float = 0.03,
    rng: RNGLike = None,
) -> SimulatedData:
    """An engagement survey export: ``EmployeeID, ManagerID, TeamID, SurveyDate, Q1..Q5``
    (1-5, Q3 reverse-worded, some blanks) and ``CoachingStartDate`` (blank if never coached).

    Six waves open on :data:`SURVEY_CALENDAR`; answers arrive over three weeks of fieldwork.
    Managers start coaching between waves or on a wave's opening day (cohorts 2-4) or never
    (about 35%); each manager leads one or two teams; people leave and are replaced, so some
    join a team after its manager was coached. Dates are day-first (``dd.mm.yyyy``).

    Examples
    --------
    >>> sim = survey_export(n_managers=10, rng=3)
    >>> round(sim.truth.att, 2) > 0
    True
    """
    check_int(n_managers, "n_managers", minimum=4)
    check_int(team_size, "team_size", minimum=3)
    g = as_generator(rng)
    cal = pd.to_datetime(list(SURVEY_CALENDAR))
    n_waves = len(cal)
    # cohort of each manager: 0 never, else the wave coaching counts from
    cohort = g.choice([0, 2, 3, 4], size=n_managers, p=[0.35, 0.25, 0.2, 0.2])
    starts: list[str] = []
    for c in cohort:
        if c == 0:
            starts.append("")
            continue
        opening = cal[c - 1]
        if g.random() < 0.25:
            d = opening  # on the wave's opening day: that wave is the first coached one
        else:
            d = opening - pd.Timedelta(days=int(g.integers(1, 80)))  # between waves
        starts.append(d.strftime("%d.%m.%Y"))
    lam = np.array([0.9, 0.8, 0.7, 0.85, 0.75])
    rows = []
    pid = 0
    gains_lat, gains_obs = [], []
    team_no = 0
    for m in range(n_managers):
        n_teams = 1 + int(g.random() < 0.3)
        for _ in range(n_teams):
            team_no += 1
            team_eff = g.normal(0, 0.25)
            members = []
            for _ in range(team_size):
                pid += 1
                members.append((pid, g.normal(0, 0.45)))
            for w in range(1, n_waves + 1):
                # turnover: each member leaves with prob .08 per wave and is replaced
                for i in range(len(members)):
                    if w > 1 and g.random() < 0.08:
                        pid += 1
                        members[i] = (pid, g.normal(0, 0.45))
                treated = cohort[m] > 0 and w >= cohort[m]
                for p, person_eff in members:
                    if g.random() > 0.85:
                        continue  # did not answer this wave
                    base = 0.25 + team_eff + person_eff + 0.04 * w + g.normal(0, 0.3)
                    noise = g.normal(0, 0.55, size=5)
                    y0 = _likert(3.0 + lam * base, noise)
                    y1 = _likert(3.0 + lam * (base + effect), noise)
                    y = y1 if treated else y0
                    if treated:
                        gains_obs.append(float(y1.mean() - y0.mean()))
                        gains_lat.append(effect)
                    answers: list[float | str] = list(y)
                    answers[2] = 6 - y[2]  # Q3 is reverse-worded
                    for j in range(5):
                        if g.random() < blank_share:
                            answers[j] = ""
                    day = cal[w - 1] + pd.Timedelta(days=int(g.integers(0, 21)))
                    rows.append({
                        "EmployeeID": f"E{p:05d}", "ManagerID": f"M{m + 1:03d}",
                        "TeamID": f"T{team_no:03d}", "SurveyDate": day.strftime("%d.%m.%Y"),
                        **{f"Q{j + 1}": answers[j] for j in range(5)},
                        "CoachingStartDate": starts[m],
                    })
    df = pd.DataFrame(rows)
    for j in range(1, 6):
        df[f"Q{j}"] = pd.to_numeric(df[f"Q{j}"].replace("", np.nan))
    share = {int(c): float(np.mean(cohort == c)) for c in (0, 2, 3, 4)}
    truth = SurveyExportTruth(att=float(np.mean(gains_obs)), att_latent=effect, reverse=("Q3",),
                              calendar=SURVEY_CALENDAR, cohort_share=share,
                              loadings=tuple(lam.tolist()))
    return SimulatedData(df, truth, {"n_managers": n_managers, "team_size": team_size,
                                     "effect": effect, "blank_share": blank_share})


@dataclass(frozen=True)
class TenureTruth:
    """True hazard ratios of coaching (coaching starts within two weeks of hire) for each
    cause-specific hazard, the baseline monthly hazards, and the extraction date."""

    hr_voluntary_exit: float
    hr_involuntary_exit: float
    hr_promotion: float
    base_hazards: dict[str, float]
    extraction_date: str


def hr_tenure_export(
    n_employees: int = 800,
    *,
    hr_voluntary_exit: float = 0.6,
    hr_promotion: float = 1.4,
    coached_share: float = 0.4,
    rng: RNGLike = None,
) -> SimulatedData:
    """An HR tenure export: ``EmployeeID, ManagerID, Site, HireDate, CoachingDate,
    TerminationDate, TerminationReason, PromotionDate`` with UK dates (``dd/mm/yyyy``) and
    blanks for "not yet". Extracted on 30/06/2025.

    Competing monthly hazards from hire: voluntary exit (``Resignation``), involuntary exit
    (``Dismissal``, ``Redundancy``) and promotion; coaching (starting within two weeks of hire
    for ``coached_share`` of people) multiplies the voluntary-exit hazard by
    ``hr_voluntary_exit`` and the promotion hazard by ``hr_promotion``. Events are possible
    from the end of the first month, so coaching always precedes them.

    Examples
    --------
    >>> hr_tenure_export(n_employees=50, rng=2).data.shape[1]
    8
    """
    check_int(n_employees, "n_employees", minimum=10)
    g = as_generator(rng)
    extraction = pd.Timestamp("2025-06-30")
    base = {"voluntary_exit": 0.014, "involuntary_exit": 0.004, "promotion": 0.012}
    sites = ["London", "Zürich", "Malmö", "Lyon"]
    hire = pd.Timestamp("2021-01-04") + pd.to_timedelta(
        g.integers(0, 365 * 4 - 60, size=n_employees), unit="D")
    coached = g.random(n_employees) < coached_share
    rate = np.column_stack([
        base["voluntary_exit"] * np.where(coached, hr_voluntary_exit, 1.0),
        np.full(n_employees, base["involuntary_exit"]),
        base["promotion"] * np.where(coached, hr_promotion, 1.0),
    ])
    t = 1.0 + g.exponential(1.0 / rate)  # months, events from month 1 on
    first = t.argmin(axis=1)
    when = hire + pd.to_timedelta(np.rint(t.min(axis=1) * 365.25 / 12), unit="D")
    rows = []
    for i in range(n_employees):
        ev_date = when[i] if when[i] <= extraction else None
        term = prom = reason = ""
        if ev_date is not None:
            if first[i] == 0:
                term, reason = ev_date.strftime("%d/%m/%Y"), "Resignation"
            elif first[i] == 1:
                term = ev_date.strftime("%d/%m/%Y")
                reason = "Dismissal" if g.random() < 0.6 else "Redundancy"
            else:
                prom = ev_date.strftime("%d/%m/%Y")
        coach = ((hire[i] + pd.Timedelta(days=int(g.integers(0, 14)))).strftime("%d/%m/%Y")
                 if coached[i] else "")
        rows.append({"EmployeeID": f"H{i + 1:05d}", "ManagerID": f"M{g.integers(1, 80):03d}",
                     "Site": sites[int(g.integers(0, 4))],
                     "HireDate": hire[i].strftime("%d/%m/%Y"), "CoachingDate": coach,
                     "TerminationDate": term, "TerminationReason": reason,
                     "PromotionDate": prom})
    truth = TenureTruth(hr_voluntary_exit=hr_voluntary_exit, hr_involuntary_exit=1.0,
                        hr_promotion=hr_promotion, base_hazards=base,
                        extraction_date="2025-06-30")
    return SimulatedData(pd.DataFrame(rows), truth,
                         {"n_employees": n_employees, "hr_voluntary_exit": hr_voluntary_exit,
                          "hr_promotion": hr_promotion, "coached_share": coached_share})


@dataclass(frozen=True)
class Export360Truth:
    """Mean change (post - pre) of the 1-5 behaviour score by rater group, on the observed
    scale (potential outcomes with the same noise) and on the latent scale."""

    change: dict[str, float]
    change_latent: dict[str, float]


def export_360(
    n_leaders: int = 60,
    *,
    rng: RNGLike = None,
) -> SimulatedData:
    """A 360 export in long form: ``LeaderID, RaterID, RaterGroup, Wave, B1..B4`` (1-5), one
    row per rater and wave (``Pre``/``Post``); some raters answered only once.

    Examples
    --------
    >>> export_360(n_leaders=8, rng=1).data["Wave"].unique().tolist()
    ['Pre', 'Post']
    """
    check_int(n_leaders, "n_leaders", minimum=4)
    g = as_generator(rng)
    groups = {"Self": (1, 0.45), "Manager": (1, 0.30), "Peer": (4, 0.20),
              "Direct report": (6, 0.25)}
    rows = []
    gains: dict[str, list[float]] = {k: [] for k in groups}
    rid = 0
    for ld in range(1, n_leaders + 1):
        leader_eff = g.normal(0, 0.4)
        for grp, (k, shift) in groups.items():
            for _ in range(k):
                rid += 1
                rater_eff = g.normal(0, 0.3)
                answered = {"Pre": True, "Post": True}
                if grp not in ("Self",) and g.random() < 0.12:
                    answered[str(g.choice(["Pre", "Post"]))] = False
                for wave in ("Pre", "Post"):
                    noise = g.normal(0, 0.5, size=4)
                    lat = 3.4 + leader_eff + rater_eff
                    y0 = _likert(lat, noise)
                    y1 = _likert(lat + shift, noise)
                    y = y0 if wave == "Pre" else y1
                    if wave == "Post":
                        gains[grp].append(float(y1.mean() - y0.mean()))
                    if not answered[wave]:
                        continue
                    rows.append({"LeaderID": f"L{ld:03d}", "RaterID": f"R{rid:05d}",
                                 "RaterGroup": grp, "Wave": wave,
                                 **{f"B{j + 1}": float(y[j]) for j in range(4)}})
    truth = Export360Truth(change={k: float(np.mean(v)) for k, v in gains.items()},
                           change_latent={k: v[1] for k, v in groups.items()})
    return SimulatedData(pd.DataFrame(rows), truth, {"n_leaders": n_leaders})


@dataclass(frozen=True)
class RoiSheetTruth:
    """Population Phillips ROI (%) and its parts: mean benefit, mean attribution and
    confidence (shares), mean total cost per participant."""

    roi_pct: float
    mean_benefit: float
    mean_attribution: float
    mean_confidence: float
    mean_cost: float


def roi_sheet(n: int = 60, *, rng: RNGLike = None) -> SimulatedData:
    """An ROI participant sheet: ``ParticipantID``, ``Benefit (EUR)``, three cost columns
    (``Coaching fee (EUR)``, ``Participant time (EUR)``, ``Travel (EUR)``, blank = none) and
    ``Attribution (%)``, ``Confidence (%)`` as percentages.

    Benefits: 30% report none; the rest log-normal (median 25,000, sigma 1). Attribution
    ~ 100 x Beta(4, 4), confidence ~ 100 x Beta(7, 3), independent of the benefit, so the
    population ROI is known in closed form.

    Examples
    --------
    >>> round(roi_sheet(n=20, rng=1).truth.roi_pct, 1)
    35.3
    """
    check_int(n, "n", minimum=5)
    g = as_generator(rng)
    p_benefit, mu, sigma = 0.7, np.log(25000.0), 1.0
    benefit = np.where(g.random(n) < p_benefit, np.rint(g.lognormal(mu, sigma, n)), 0.0)
    attribution = np.rint(100 * g.beta(4, 4, n))
    confidence = np.rint(100 * g.beta(7, 3, n))
    fee = g.choice([4800.0, 6000.0, 7200.0], size=n)
    time_cost = np.round(g.uniform(800, 1600, n), 2)
    travel = np.where(g.random(n) < 0.5, np.round(g.uniform(150, 900, n), 2), np.nan)
    # attribution and confidence are rounded to whole percentages: use the rounded-Beta means
    ks = np.arange(101)
    from scipy import stats as _st

    def _mean_rounded(a: float, b: float) -> float:
        edges = np.clip((ks[:, None] + np.array([-0.5, 0.5])) / 100, 0, 1)
        pr = _st.beta.cdf(edges[:, 1], a, b) - _st.beta.cdf(edges[:, 0], a, b)
        return float((ks / 100 * pr).sum())

    mean_b = p_benefit * float(np.exp(mu + sigma**2 / 2))
    ma, mc = _mean_rounded(4, 4), _mean_rounded(7, 3)
    mean_cost = 6000.0 + 1200.0 + 0.5 * 525.0
    roi = 100 * (mean_b * ma * mc - mean_cost) / mean_cost
    df = pd.DataFrame({
        "ParticipantID": [f"P{i + 1:04d}" for i in range(n)],
        "Benefit (EUR)": benefit, "Coaching fee (EUR)": fee,
        "Participant time (EUR)": time_cost, "Travel (EUR)": travel,
        "Attribution (%)": attribution, "Confidence (%)": confidence,
    })
    truth = RoiSheetTruth(roi_pct=roi, mean_benefit=mean_b, mean_attribution=ma,
                          mean_confidence=mc, mean_cost=mean_cost)
    return SimulatedData(df, truth, {"n": n})


@dataclass(frozen=True)
class ScaleTruth:
    """Population reliability of a one-factor (congeneric) item set: Cronbach's alpha
    ``k/(k-1) (1 - tr(Sigma)/1'Sigma 1)`` and omega total ``(sum l)^2 / ((sum l)^2 + sum psi)``
    with ``Sigma = l l' + diag(psi)``."""

    alpha: float
    omega_total: float
    loadings: tuple[float, ...]
    uniquenesses: tuple[float, ...]


def scale_items(
    n: int = 200,
    loadings: tuple[float, ...] = (0.7, 0.7, 0.7, 0.7, 0.7),
    uniquenesses: tuple[float, ...] | None = None,
    *,
    mean: float = 3.0,
    rng: RNGLike = None,
) -> SimulatedData:
    """Continuous item answers ``Q1..Qk`` from a one-factor model with a known reliability.

    ``x_ij = mean + l_j f_i + e_ij`` with ``f ~ N(0, 1)`` and ``e_j ~ N(0, psi_j)``
    (default ``psi_j = 1 - l_j^2``, standardized items). Equal loadings and uniquenesses give
    parallel items, for which the Feldt interval of alpha is exact under normality.

    Examples
    --------
    >>> round(scale_items(rng=1).truth.alpha, 4)
    0.8277
    """
    check_int(n, "n", minimum=5)
    g = as_generator(rng)
    lam = np.asarray(loadings, dtype=float)
    psi = (1 - lam**2) if uniquenesses is None else np.asarray(uniquenesses, dtype=float)
    if lam.shape != psi.shape or (psi <= 0).any():
        raise ValueError("loadings and uniquenesses need the same length and psi > 0.")
    k = len(lam)
    f = g.normal(size=n)
    x = mean + f[:, None] * lam[None, :] + g.normal(size=(n, k)) * np.sqrt(psi)[None, :]
    sigma = np.outer(lam, lam) + np.diag(psi)
    alpha = k / (k - 1) * (1 - np.trace(sigma) / sigma.sum())
    omega = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    df = pd.DataFrame(x, columns=[f"Q{j + 1}" for j in range(k)])
    return SimulatedData(df, ScaleTruth(float(alpha), float(omega), tuple(lam.tolist()),
                                        tuple(psi.tolist())),
                         {"n": n, "loadings": list(lam), "uniquenesses": list(psi),
                          "mean": mean})


#: seeds of the files in data/raw-examples/
RAW_SEEDS = {"survey": 14, "hr": 1401, "360": 1402, "roi": 1403}


def write_raw_examples(directory: str | Path) -> list[Path]:
    """Write the bundled raw exports and their truth, in the formats HR systems use.

    - ``engagement_survey.csv``: UTF-8 with a byte-order mark, ``;``-separated, day-first
      dotted dates, two trailing empty rows.
    - ``hr_tenure.csv``: Windows-1252 (site names with accents), ``,``-separated, UK dates.
    - ``feedback_360.xlsx``: sheet ``Ratings`` (plus a ``Read me`` sheet).
    - ``roi_participants.csv``: Windows-1252, ``;``-separated with decimal commas.

    Returns the paths written (data files and ``*.truth.json``).
    """
    import json

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out = []

    def truth(name: str, sim: SimulatedData) -> None:
        p = d / f"{name}.truth.json"
        p.write_text(json.dumps({"params": _jsonable(sim.params), "truth": sim.truth_dict()},
                                indent=2, sort_keys=True) + "\n")
        out.append(p)

    s = survey_export(rng=RAW_SEEDS["survey"])
    text = s.data.to_csv(sep=";", index=False, lineterminator="\r\n", float_format="%.0f")
    p = d / "engagement_survey.csv"
    p.write_bytes(b"\xef\xbb\xbf" + (text + ";;;;;;;;;\r\n" * 2).encode("utf-8"))
    out.append(p)
    truth("engagement_survey", s)

    h = hr_tenure_export(rng=RAW_SEEDS["hr"])
    p = d / "hr_tenure.csv"
    p.write_bytes(h.data.to_csv(index=False, lineterminator="\r\n").encode("cp1252"))
    out.append(p)
    truth("hr_tenure", h)

    f = export_360(rng=RAW_SEEDS["360"])
    p = d / "feedback_360.xlsx"
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        pd.DataFrame({"Read me": ["360 feedback export, programme cohort 2024",
                                  "One row per rater and wave; B1-B4 on a 1-5 scale."]}
                     ).to_excel(xw, sheet_name="Read me", index=False)
        f.data.to_excel(xw, sheet_name="Ratings", index=False)
    _fix_xlsx_timestamps(p)
    out.append(p)
    truth("feedback_360", f)

    r = roi_sheet(rng=RAW_SEEDS["roi"])
    p = d / "roi_participants.csv"
    text = r.data.to_csv(sep=";", decimal=",", index=False, lineterminator="\r\n")
    p.write_bytes(text.encode("cp1252"))
    out.append(p)
    truth("roi_participants", r)
    return out


def _fix_xlsx_timestamps(path: Path) -> None:
    """Give the workbook fixed creation/modification times so the bytes repeat."""
    import datetime as _dt

    import openpyxl

    wb = openpyxl.load_workbook(path)
    fixed = _dt.datetime(2025, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.save(path)
