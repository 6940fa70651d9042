"""Landmark analysis: treatment status fixed at a chosen time among those still at risk."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .._validate import check_dataframe, check_positive, require_columns
from ._cox import CoxResult, cox
from ._guard import AFTER_ORIGIN, after_origin


def landmark(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    *,
    at: float,
    treatment_time: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> CoxResult:
    """Cox model from a landmark: who was treated by time ``at``, among those still at risk.

    Everyone whose follow-up ended at or before ``at`` is left out; for the rest, each
    treatment that begins during follow-up is coded 1 if it had begun by ``at`` (and 0
    otherwise, even if it began later), and time is counted from ``at``. This removes the
    immortal-time bias of an "ever treated" covariate at the price of answering a narrower
    question: the effect of being treated by ``at`` on what happens after ``at``.

    Parameters
    ----------
    data : DataFrame
        One row per person; never modified.
    duration, event : str
        Follow-up time since the origin and the event column (as :func:`cox`).
    covariates : list of str
        Model covariates. Those that begin after the origin (``treatment_time`` or the
        data's mark from :func:`mark_after_origin`) are recoded at the landmark; the others
        are used as they are (they must be known at the landmark).
    at : float
        The landmark, in the units of ``duration`` (e.g. 24 months after hire). Choose it
        before looking at results; report it.
    treatment_time : mapping, optional
        ``{covariate: column with the time it began (missing = never)}``. Default: the
        data's after-origin mark.
    **kwargs
        Passed to :func:`cox` (``cluster``, ``strata``, ``weights``, ``ties``, ``ci_level``,
        ``event_of_interest``, ``dropna``).

    Returns
    -------
    CoxResult
        With ``landmark`` and ``n_landmark_excluded`` set; its notes state the landmark.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.retention(coaching_start=(6, 30), rng=1)
    >>> fit = landmark(sim.data, "months", "event", ["coached"], at=12,
    ...                event_of_interest="exit", cluster="manager")
    >>> fit.landmark
    12.0
    """
    df = check_dataframe(data)
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    tt = dict(treatment_time) if treatment_time is not None else after_origin(df)
    tt = {c: col for c, col in tt.items() if c in covariates}
    if not tt:
        raise ValueError(
            "landmark: no covariate is known to begin after the time origin. Pass "
            "treatment_time={'<covariate>': '<column with the time it began>'} (or mark the "
            "data with survival.mark_after_origin)."
        )
    require_columns(df, {"duration": duration, **{f"treatment_time[{c}]": v
                                                   for c, v in tt.items()}})
    try:
        at = float(at)
    except (TypeError, ValueError):
        raise TypeError(f"at must be a number (a time since the origin), got {at!r}.") from None
    check_positive(at, "at (a time)", allow_zero=True)
    dur = pd.to_numeric(df[duration], errors="coerce")
    keep = dur > at
    n_excluded = int((dur <= at).sum())
    if keep.sum() == 0:
        raise ValueError(
            f"landmark at {at:g}: nobody is still under observation after it (the largest "
            f"{duration!r} is {dur.max():g}); choose an earlier landmark."
        )
    frame = df.loc[keep].copy()
    frame.attrs = {k: v for k, v in df.attrs.items() if k != AFTER_ORIGIN}
    for c, col in tt.items():
        began = pd.to_numeric(frame[col], errors="coerce")
        frame[c] = (began <= at).astype(int)  # missing (never treated) compares False
    frame[duration] = dur[keep] - at
    fit = cox(frame, duration, event, covariates, **kwargs)
    return dataclasses.replace(fit, landmark=at, n_landmark_excluded=n_excluded)


__all__ = ["landmark"]
