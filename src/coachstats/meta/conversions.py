"""Convert effects reported in different metrics (r, d or g, log odds ratio) to one metric,
recording each row's conversion (Borenstein, Hedges, Higgins & Rothstein 2009, ch. 7).

* log odds ratio -> d: ``d = L sqrt(3)/pi``, ``v_d = v_L 3/pi^2`` (eq. 7.1-7.2);
* d -> log odds ratio: the inverse (eq. 7.3-7.4);
* r -> d: ``d = 2r / sqrt(1 - r^2)``, ``v_d = 4 v_r / (1 - r^2)^3`` (eq. 7.5-7.6);
* d -> r: ``r = d / sqrt(d^2 + a)``, ``v_r = a^2 v_d / (d^2 + a)^3`` with
  ``a = (n1 + n2)^2/(n1 n2)`` (``a = 4``, equal groups, when sizes are unknown; eq. 7.7-7.8).

g is treated as d (the small-sample factor is near 1 at the sizes where conversions are used).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import check_choice, prepare

__all__ = ["convert"]

METRICS = ("d", "g", "r", "logor")


def _to_d(metric: str, y: float, v: float) -> tuple[float, float, str]:
    if metric in ("d", "g"):
        return y, v, f"{metric} as d"
    if metric == "logor":
        return y * np.sqrt(3) / np.pi, v * 3 / np.pi**2, "log OR -> d (Borenstein eq. 7.1)"
    return 2 * y / np.sqrt(1 - y * y), 4 * v / (1 - y * y) ** 3, "r -> d (Borenstein eq. 7.5)"


def _convert(m: str, to: str, y: float, v: float, a: float, sizes: bool):
    if m == to or (m == "g" and to == "d"):
        return y, v, f"{m} as {to}"
    if to == "r" and m == "r":
        return y, v, "r as r"
    d, vd, note = _to_d(m, y, v)
    if to == "d":
        return d, vd, note
    pre = "" if m in ("d", "g") else f"{note}; "
    if to == "logor":
        return d * np.pi / np.sqrt(3), vd * np.pi**2 / 3, f"{pre}d -> log OR (eq. 7.3)"
    how = "group sizes" if sizes else "equal groups assumed"
    return (d / np.sqrt(d * d + a), a * a * vd / (d * d + a) ** 3,
            f"{pre}d -> r (Borenstein eq. 7.7, {how})")  # fmt: skip


def convert(
    data: pd.DataFrame,
    effect: str,
    variance: str,
    metric: str,
    *,
    to: str = "d",
    n1: str | None = None,
    n2: str | None = None,
) -> pd.DataFrame:
    """Return a copy of ``data`` with ``yi``, ``vi`` in one metric and a ``conversion`` column.

    Parameters
    ----------
    data : DataFrame
        One row per effect; never modified.
    effect, variance : str
        The reported effect and its sampling variance.
    metric : str
        Column naming each row's metric: ``"d"``, ``"g"``, ``"r"`` or ``"logor"``
        (case-insensitive).
    to : {"d", "r", "logor"}
        Target metric.
    n1, n2 : str, optional
        Group sizes, used by d -> r (otherwise equal groups are assumed, and the
        conversion column says so).

    Returns
    -------
    DataFrame
        The input columns plus ``yi``, ``vi`` and ``conversion``; feed it to
        :func:`coachstats.meta.effects` with ``conversion="conversion"``.

    Examples
    --------
    >>> import pandas as pd, coachstats as cs
    >>> d = pd.DataFrame({"es": [0.3, 0.5, 0.8], "v": [0.01, 0.04, 0.09],
    ...                   "metric": ["r", "d", "logor"]})
    >>> out = cs.meta.convert(d, "es", "v", "metric", to="d")
    >>> float(round(out.loc[0, "yi"], 4))
    0.629
    """

    to = check_choice(to, "to", ("d", "r", "logor"))
    cols = {"effect": effect, "variance": variance, "metric": metric, "n1": n1, "n2": n2}
    numeric = ["effect", "variance", *(["n1"] if n1 else []), *(["n2"] if n2 else [])]
    df, _ = prepare(data, cols, numeric=numeric)
    out = data.loc[df.index].copy()
    yi, vi, notes = [], [], []
    for idx in df.index:
        m = str(df.at[idx, metric]).strip().lower()
        if m not in METRICS:
            raise ValueError(f"{metric!r} row {idx!r}: unknown metric {m!r}; use one of "
                             f"{list(METRICS)}.")  # fmt: skip
        y, v = float(df.at[idx, effect]), float(df.at[idx, variance])
        if m == "r" and not -1 < y < 1:
            raise ValueError(f"{effect!r} row {idx!r}: r = {y} is outside (-1, 1).")
        if not v > 0:
            raise ValueError(f"{variance!r} row {idx!r}: the variance must be positive.")
        a = 4.0
        if n1 and n2:
            a = (df.at[idx, n1] + df.at[idx, n2]) ** 2 / (df.at[idx, n1] * df.at[idx, n2])
        y2, v2, note = _convert(m, to, y, v, a, bool(n1 and n2))
        yi.append(y2)
        vi.append(v2)
        notes.append(note)
    out["yi"], out["vi"], out["conversion"] = yi, vi, notes
    return out
