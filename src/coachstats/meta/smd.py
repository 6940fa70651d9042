"""Meta-analysis of standardized mean differences and of precomputed effects.

Each constructor turns a study table into effect sizes ``yi`` and sampling variances ``vi``
and fits the same random-effects engine as :func:`coachstats.meta.correlations` (every tau^2
estimator, Knapp-Hartung, prediction and Q-profile intervals, moderators, and the bias and
influence tools), so the results are :class:`~coachstats.meta.MetaResult` objects.

* ``smd(measure="SMD")``: Hedges' g of two independent groups, as metafor
  ``escalc("SMD")`` (exact small-sample factor J, large-sample variance);
* ``smd(measure="SMCR" | "SMCC")``: single-group pre-post designs (metafor ``escalc``),
  standardized by the pre-test SD or by the SD of the change scores; both need the pre-post
  correlation, given per study, as one value, or as several values for a sensitivity range;
* :func:`ppc`: pretest-posttest-control designs, Morris (2008) d_ppc2;
* :func:`effects`: effects of any kind with their variances (or standard errors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from .._validate import check_choice, check_ci_level, check_positive, prepare, require_range
from ..effects._noncentral import hedges_j
from ..effects.ppc import ppc_d_from_stats
from . import _core
from ._data import _mods, build, warn_small_k
from .correlations import MetaResult, _result

__all__ = ["effects", "ppc", "smd"]

SMD_MEASURES = ("SMD", "SMCR", "SMCC")


def _check_options(method: str, test: str, ci_level: float, tau2: float | None):
    method = check_choice(method, "method", _core.METHODS)
    test = check_choice(test, "test", _core.TESTS)
    ci_level = check_ci_level(ci_level)
    if tau2 is not None:
        check_positive(tau2, "tau2", allow_zero=True)
    return method, test, ci_level


def _fit(sd, method, test, ci_level, tau2) -> MetaResult:
    warn_small_k(len(sd.yi), method)
    return _result(sd, method, test, ci_level, tau2=tau2)


def _j(df: np.ndarray) -> np.ndarray:
    return np.array([hedges_j(float(m)) for m in np.atleast_1d(df)])


def smd_values(
    measure: str, m1, sd1, n1, m2, sd2, n2, r
) -> tuple[np.ndarray, np.ndarray]:
    """yi and vi of metafor's ``escalc`` for SMD, SMCR and SMCC (vtype "LS").

    For SMCR the standardizer is ``sd2`` (the SD paired with ``m2``, the pre-test), which
    metafor calls ``sd1i``.
    """
    if measure == "SMD":
        df = n1 + n2 - 2
        sdp = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / df)
        g = _j(df) * (m1 - m2) / sdp
        return g, 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))
    j = _j(n1 - 1)
    if measure == "SMCR":
        g = j * (m1 - m2) / sd2
        return g, 2 * (1 - r) / n1 + g**2 / (2 * n1)
    sdd = np.sqrt(sd1**2 + sd2**2 - 2 * r * sd1 * sd2)
    g = j * (m1 - m2) / sdd
    return g, 1 / n1 + g**2 / (2 * n1)


def smd(
    data: pd.DataFrame,
    m1: str,
    sd1: str | None = None,
    n1: str | None = None,
    m2: str | None = None,
    sd2: str | None = None,
    n2: str | None = None,
    *,
    measure: str = "SMD",
    r: str | float | Sequence[float] | None = None,
    study: str | None = None,
    moderators: Sequence[str] | str | None = None,
    method: str = "REML",
    test: str = "z",
    ci_level: float = 0.95,
    dropna: bool = False,
    tau2: float | None = None,
) -> MetaResult:
    """Random-effects meta-analysis of standardized mean differences (Hedges' g).

    Parameters
    ----------
    data : DataFrame
        One row per study (independent sample); never modified.
    m1, sd1, n1 : str
        Mean, SD and size of the coached group (``measure="SMD"``), or the post-test mean,
        post-test SD and the sample size of a pre-post study (``"SMCR"``/``"SMCC"``).
    m2, sd2, n2 : str
        Mean, SD and size of the comparison group, or the pre-test mean and SD (``n2`` is
        not used by pre-post measures).
    measure : {"SMD", "SMCR", "SMCC"}
        ``"SMD"``: ``g = J (m1 - m2) / SD_pooled`` with metafor's variance
        ``1/n1 + 1/n2 + g^2/(2(n1 + n2))``. ``"SMCR"``: standardized mean change,
        ``J (m1 - m2) / sd2`` (pre-test SD; ``sd1`` may be omitted), variance
        ``2(1 - r)/n + g^2/(2n)``. ``"SMCC"``: change standardized by the SD of the change
        scores, ``sqrt(sd1^2 + sd2^2 - 2 r sd1 sd2)``, variance ``1/n + g^2/(2n)``. J is the
        exact small-sample factor on ``n1 + n2 - 2`` (SMD) or ``n - 1`` df.
    r : str, float or sequence of float
        Pre-post correlation for SMCR/SMCC: a column, one value for every study, or several
        values when it is unknown. With several values the model is fitted at each and the
        result (fitted at the middle value) carries them in ``result.sensitivity``.
    study : str, optional
        Column of study labels (a repeated label warns: use :func:`multilevel` for several
        effects per study).
    moderators : list of str, optional
        Meta-regression columns (categorical columns are dummy-coded; see
        :meth:`MetaResult.subgroups`).
    method, test, ci_level, tau2
        As in :func:`coachstats.meta.correlations`.
    dropna : bool
        Drop studies with missing values (counted in the notes) instead of raising.

    Returns
    -------
    MetaResult
        On the g scale; ``result.data.yi``/``vi`` are the effect sizes and variances.

    Examples
    --------
    >>> import pandas as pd, coachstats as cs
    >>> d = pd.DataFrame({"m1": [3.6, 3.9, 3.4], "sd1": [0.8, 0.7, 0.9], "n1": [40, 25, 60],
    ...                   "m2": [3.3, 3.5, 3.3], "sd2": [0.8, 0.8, 0.9], "n2": [38, 27, 55]})
    >>> res = cs.meta.smd(d, "m1", "sd1", "n1", "m2", "sd2", "n2")
    >>> round(res.estimate, 3)
    0.279
    """
    measure = check_choice(measure, "measure", SMD_MEASURES)
    method, test, ci_level = _check_options(method, test, ci_level, tau2)
    moderators = _mods(moderators)
    need = {"SMD": ("m1", "sd1", "n1", "m2", "sd2", "n2"), "SMCR": ("m1", "n1", "m2", "sd2"),
            "SMCC": ("m1", "sd1", "n1", "m2", "sd2")}[measure]  # fmt: skip
    given = {"m1": m1, "sd1": sd1, "n1": n1, "m2": m2, "sd2": sd2, "n2": n2}
    missing_args = [a for a in need if given[a] is None]
    if missing_args:
        raise TypeError(f"measure={measure!r} needs the columns {list(need)}; missing "
                        f"{missing_args}.")  # fmt: skip
    cols: dict[str, str | None] = {a: given[a] for a in need}
    r_values: list[float] | None = None
    if measure != "SMD":
        if r is None:
            raise TypeError(
                f"measure={measure!r} needs the pre-post correlation r= (a column, a number, "
                "or several numbers for a sensitivity range, e.g. r=(0.3, 0.5, 0.7))."
            )
        if isinstance(r, str):
            cols["r"] = r
        else:
            r_values = [float(x) for x in np.atleast_1d(np.asarray(r, float))]
            if any(not -1 < x < 1 for x in r_values):
                raise ValueError(f"r must lie in (-1, 1), got {r_values}.")
    elif r is not None:
        raise TypeError("r= is the pre-post correlation of measure='SMCR'/'SMCC'; "
                        "measure='SMD' does not use it.")  # fmt: skip
    cols["study"] = study
    for i, m in enumerate(moderators):
        cols[f"moderators[{i}]"] = m
    numeric = [a for a in cols if a in need or a == "r"]
    df, missing = prepare(data, cols, numeric=numeric, dropna=dropna)
    for a in need:
        if a.startswith("sd"):
            require_range(df, cols[a], 0, None, low_inclusive=False, arg=a,
                          hint="A standard deviation must be positive.")  # fmt: skip
        if a.startswith("n"):
            require_range(df, cols[a], 2, None, arg=a,
                          hint="Each group needs at least 2 people.")  # fmt: skip
    if "r" in cols:
        require_range(df, cols["r"], -1, 1, low_inclusive=False, high_inclusive=False,
                      arg="r", hint="A correlation lies strictly between -1 and 1.")  # fmt: skip

    def col(a: str) -> np.ndarray | None:
        return df[cols[a]].to_numpy(float) if a in cols else None

    ni = col("n1") + (col("n2") if measure == "SMD" else 0.0)

    def make(rv: np.ndarray | None):
        yi, vi = smd_values(measure, col("m1"), col("sd1"), col("n1"), col("m2"), col("sd2"),
                            col("n2"), rv)  # fmt: skip
        return build(df, yi, vi, ni, measure=measure, moderators=moderators, study=study,
                     missing=missing, source=data)  # fmt: skip

    if r_values is None:
        return _fit(make(col("r")), method, test, ci_level, tau2)
    fits = [(x, _fit(make(np.full(len(df), x)), method, test, ci_level, tau2))
            for x in r_values]  # fmt: skip
    main = fits[(len(fits) - 1) // 2 if len(fits) % 2 else len(fits) // 2 - 1]
    rows = []
    for x, f in fits:
        rows.append({"r_prepost": x, "estimate": f.estimate, "std_error": f.std_error,
                     "ci_low": f.ci_low, "ci_high": f.ci_high, "pi_low": f.pi_low,
                     "pi_high": f.pi_high, "tau2": f.tau2, "i2": f.i2})  # fmt: skip
    return replace(main[1], sensitivity=pd.DataFrame(rows), assumed_r=main[0])


def ppc(
    data: pd.DataFrame,
    m_pre_t: str,
    m_post_t: str,
    sd_pre_t: str,
    n_t: str,
    m_pre_c: str,
    m_post_c: str,
    sd_pre_c: str,
    n_c: str,
    *,
    r: str | float,
    study: str | None = None,
    moderators: Sequence[str] | str | None = None,
    method: str = "REML",
    test: str = "z",
    ci_level: float = 0.95,
    dropna: bool = False,
    tau2: float | None = None,
) -> MetaResult:
    """Meta-analysis of pretest-posttest-control studies with Morris (2008) d_ppc2.

    Each study's effect and variance come from
    :func:`coachstats.effects.ppc_d_from_stats` (the difference in mean change over the
    pooled pre-test SD, with the exact small-sample factor; Morris' eq. 25 variance).

    Parameters
    ----------
    data : DataFrame
        One row per study; never modified.
    m_pre_t, m_post_t, sd_pre_t, n_t : str
        Coached group: pre- and post-test means, pre-test SD, size.
    m_pre_c, m_post_c, sd_pre_c, n_c : str
        Comparison group, likewise.
    r : str or float
        Pre-post correlation (a column or one value for all studies).
    study, moderators, method, test, ci_level, dropna, tau2
        As in :func:`smd`.

    Returns
    -------
    MetaResult

    Examples
    --------
    >>> import pandas as pd, coachstats as cs
    >>> d = pd.DataFrame({"a": [30.6, 10.0, 5.0], "b": [38.5, 12.0, 6.1], "s": [15.0, 4.0, 2.0],
    ...                   "n": [20, 30, 25], "c": [23.1, 10.2, 5.1], "e": [19.7, 10.9, 5.3],
    ...                   "f": [13.8, 4.2, 2.1], "m": [20, 28, 24]})
    >>> res = cs.meta.ppc(d, "a", "b", "s", "n", "c", "e", "f", "m", r=0.5)
    >>> res.k
    3
    """
    method, test, ci_level = _check_options(method, test, ci_level, tau2)
    moderators = _mods(moderators)
    names = ("m_pre_t", "m_post_t", "sd_pre_t", "n_t", "m_pre_c", "m_post_c", "sd_pre_c", "n_c")
    values = (m_pre_t, m_post_t, sd_pre_t, n_t, m_pre_c, m_post_c, sd_pre_c, n_c)
    cols: dict[str, str | None] = dict(zip(names, values, strict=True))
    if isinstance(r, str):
        cols["r"] = r
    cols["study"] = study
    for i, m in enumerate(moderators):
        cols[f"moderators[{i}]"] = m
    numeric = [*names, *(["r"] if isinstance(r, str) else [])]
    df, missing = prepare(data, cols, numeric=numeric, dropna=dropna)
    rr = df[r].to_numpy(float) if isinstance(r, str) else np.full(len(df), float(r))
    yi, vi = np.empty(len(df)), np.empty(len(df))
    arrays = {a: df[cols[a]].to_numpy(float) for a in names}
    for i in range(len(df)):
        vals: dict = {a: arrays[a][i] for a in names}
        vals["n_t"], vals["n_c"] = int(vals["n_t"]), int(vals["n_c"])
        try:
            e = ppc_d_from_stats(**vals, r=float(rr[i]))
        except ValueError as exc:
            raise ValueError(f"row {df.index[i]!r}: {exc}") from exc
        row = e.table.iloc[0]
        yi[i], vi[i] = float(row["estimate"]), float(row["std_error"]) ** 2
    sd = build(df, yi, vi, df[n_t].to_numpy(float) + df[n_c].to_numpy(float), measure="PPC",
               moderators=moderators, study=study, missing=missing, source=data)  # fmt: skip
    return _fit(sd, method, test, ci_level, tau2)


def effects(
    data: pd.DataFrame,
    yi: str = "yi",
    vi: str | None = "vi",
    *,
    sei: str | None = None,
    n: str | None = None,
    measure: str = "GEN",
    conversion: str | None = None,
    study: str | None = None,
    moderators: Sequence[str] | str | None = None,
    method: str = "REML",
    test: str = "z",
    ci_level: float = 0.95,
    dropna: bool = False,
    tau2: float | None = None,
) -> MetaResult:
    """Random-effects meta-analysis of precomputed effects (of any kind).

    Parameters
    ----------
    data : DataFrame
        One row per independent study; never modified.
    yi : str
        Effect-size column.
    vi, sei : str
        Sampling variance, or (with ``vi=None``) standard error.
    n : str, optional
        Sample sizes (shown in the forest plot and totals; not used in the fit).
    measure : str
        Label of the effect kind: ``"GEN"`` (generic), ``"SMD"``, ``"D"``, ``"z"``, ``"r"``
        ... (``"z"`` back-transforms to r for display).
    conversion : str, optional
        Column describing how each row was converted (e.g. from :func:`convert`); shown in
        ``result.data.row_notes``.
    study, moderators, method, test, ci_level, dropna, tau2
        As in :func:`smd`.

    Returns
    -------
    MetaResult

    Examples
    --------
    >>> import pandas as pd, coachstats as cs
    >>> d = pd.DataFrame({"g": [0.2, 0.5, 0.35, 0.1], "v": [0.02, 0.05, 0.03, 0.04]})
    >>> round(cs.meta.effects(d, "g", "v").estimate, 3)
    0.266
    """
    from ._data import MEASURE_INFO

    method, test, ci_level = _check_options(method, test, ci_level, tau2)
    measure = check_choice(measure, "measure", tuple(MEASURE_INFO))
    moderators = _mods(moderators)
    if (vi is None) == (sei is None):
        raise TypeError("give exactly one of vi= (sampling variances) and sei= (standard "
                        "errors); pass vi=None with sei=.")  # fmt: skip
    cols: dict[str, str | None] = {"yi": yi, "vi": vi, "sei": sei, "n": n, "study": study,
                                   "conversion": conversion}  # fmt: skip
    for i, m in enumerate(moderators):
        cols[f"moderators[{i}]"] = m
    numeric = ["yi", "vi" if vi is not None else "sei"] + (["n"] if n else [])
    df, missing = prepare(data, cols, numeric=numeric, dropna=dropna)
    spread = vi if vi is not None else sei
    require_range(df, spread, 0, None, low_inclusive=False, arg="vi" if vi else "sei",
                  hint="Sampling variances and standard errors must be positive.")  # fmt: skip
    y = df[yi].to_numpy(float)
    v = df[vi].to_numpy(float) if vi is not None else df[sei].to_numpy(float) ** 2
    notes = df[conversion].astype(str).tolist() if conversion else None
    sd = build(df, y, v, df[n].to_numpy(float) if n else None, measure=measure,
               moderators=moderators, study=study, missing=missing, row_notes=notes,
               source=data)  # fmt: skip
    return _fit(sd, method, test, ci_level, tau2)
