"""Shared input checks for the ROI estimators: costs, benefits, shares and missing values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _validate as V

MISSING_CHOICES = ("raise", "zero", "drop")


def missing_mode(dropna: bool, blank_benefit_as_zero: bool) -> str:
    """The internal missing-answer policy from the public options."""
    V.check_choice(dropna, "dropna", (True, False))
    V.check_choice(blank_benefit_as_zero, "blank_benefit_as_zero", (True, False))
    if dropna and blank_benefit_as_zero:
        raise ValueError("dropna=True and blank_benefit_as_zero=True exclude each other: a "
                         "blank answer is either dropped or counted as no benefit; pass one.")
    return "drop" if dropna else "zero" if blank_benefit_as_zero else "raise"


def from_missing(value: object) -> dict[str, bool]:
    """Map the retired ``missing=`` option onto ``dropna=`` / ``blank_benefit_as_zero=``."""
    mode = V.check_choice(value, "missing", MISSING_CHOICES)
    return {"raise": {"dropna": False}, "drop": {"dropna": True},
            "zero": {"blank_benefit_as_zero": True}}[mode]


@dataclass(frozen=True)
class RoiInputs:
    """Validated per-participant arrays (benefit, cost, shares) and what was done to them."""

    benefit: np.ndarray
    cost: np.ndarray
    attribution: np.ndarray | None
    confidence: np.ndarray | None
    n_input: int
    n_dropped: int
    n_zeroed: int
    kept: np.ndarray | None = None


def _check_share(df: pd.DataFrame, column: str, arg: str) -> None:
    x = df[column].to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    if x.size and (x.min() < 0 or x.max() > 1):
        if x.min() >= 0 and x.max() <= 100:
            raise ValueError(
                f"Column {column!r} (argument {arg}=) looks like percentages (values from "
                f"{x.min():g} to {x.max():g}); shares must lie in [0, 1]. Divide the column "
                "by 100 first (e.g. df[col] / 100)."
            )
        V.require_range(
            df, column, 0, 1, arg=arg, hint="Shares must lie in [0, 1] (e.g. 0.6 for 60%)."
        )


def prepare_roi(
    data: object,
    *,
    benefit: str,
    cost: str,
    attribution: str | None,
    confidence: str | None,
    missing: str,
) -> RoiInputs:
    """Check the columns and return validated arrays; never modifies ``data``.

    ``missing``: ``"raise"`` (default) stops at any missing value; ``"zero"`` counts a
    participant with a missing benefit, attribution or confidence as having no monetary
    benefit (Phillips guiding principle 6: no data, no improvement), keeping their cost;
    ``"drop"`` removes incomplete rows (costs included) and reports how many.
    """
    missing = V.check_choice(missing, "missing", MISSING_CHOICES)
    df = V.check_dataframe(data)
    cols = {"benefit": benefit, "cost": cost, "attribution": attribution, "confidence": confidence}
    used = {a: c for a, c in cols.items() if c is not None}
    V.require_columns(df, used)
    frame = df.loc[:, list(dict.fromkeys(used.values()))].copy()
    for a, c in used.items():
        V.require_finite(frame, c, a)
    n_input = int(frame.shape[0])

    if frame[cost].isna().any():
        rows = frame.index[frame[cost].isna()]
        if missing != "drop":
            raise ValueError(
                f"Column {cost!r} (argument cost=) has {len(rows)} missing value(s) (rows "
                f"{V._rows(rows)}). Costs cannot be assumed: fill them in (fully loaded), or "
                "pass dropna=True to leave those participants out (reported)."
            )
    V.require_range(
        frame.loc[frame[cost].notna()], cost, 0, None, arg="cost",
        hint="Costs are amounts spent and cannot be negative; record refunds separately.",
    )
    V.require_range(
        frame.loc[frame[benefit].notna()], benefit, 0, None, arg="benefit",
        hint="Record a participant who reports no monetary benefit as 0; the model treats "
        "negative benefits as data errors.",
    )
    for a in ("attribution", "confidence"):
        if used.get(a) is not None:
            _check_share(frame, used[a], a)

    b = frame[benefit].to_numpy(dtype=float)
    shares = [frame[used[a]].to_numpy(dtype=float) for a in ("attribution", "confidence")
              if a in used]
    # a share is only needed when the benefit is positive (a zero benefit stays zero)
    share_missing = np.zeros(b.shape, dtype=bool)
    for s in shares:
        share_missing |= np.isnan(s) & ~(b == 0)
    incomplete = np.isnan(b) | share_missing
    n_dropped = n_zeroed = 0
    keep = np.ones(b.shape, dtype=bool)
    if missing == "drop":
        keep = ~incomplete & frame[cost].notna().to_numpy()
        n_dropped = int((~keep).sum())
    elif incomplete.any():
        if missing == "raise":
            first = frame.index[incomplete]
            which = "benefit" if np.isnan(b).any() else "attribution/confidence"
            raise ValueError(
                f"{int(incomplete.sum())} participant(s) have a missing {which} value (rows "
                f"{V._rows(first)}). Decide what a missing answer means: "
                "blank_benefit_as_zero=True counts them as no monetary benefit while keeping "
                "their cost (Phillips guiding principle 6, the conservative choice); "
                "dropna=True leaves them out (reported)."
            )
        n_zeroed = int(incomplete.sum())
        b = np.where(incomplete, 0.0, b)
    c = frame[cost].to_numpy(dtype=float)[keep]
    b = b[keep]
    out_shares = []
    for s in shares:
        s = s[keep]
        out_shares.append(np.where(b == 0, np.where(np.isnan(s), 0.0, s), s))
    if b.size == 0:
        raise ValueError("data: no rows left after removing incomplete rows.")
    if not np.any(b > 0):
        raise ValueError(
            f"Column {benefit!r} (argument benefit=): every benefit is 0, so ROI is -100% by "
            "definition and there is nothing to estimate. Check that benefits were recorded "
            "in this column (in money, per participant) and not left blank or as zero by "
            "default."
        )
    if not np.sum(c) > 0:
        raise ValueError(
            f"Column {cost!r} (argument cost=): total cost is 0; ROI is undefined. Costs "
            "should be fully loaded (fees, participants' time, administration, evaluation)."
        )
    it = iter(out_shares)
    return RoiInputs(
        benefit=b,
        cost=c,
        attribution=next(it) if "attribution" in used else None,
        confidence=next(it) if "confidence" in used else None,
        n_input=n_input,
        n_dropped=n_dropped,
        n_zeroed=n_zeroed,
        kept=keep,
    )
