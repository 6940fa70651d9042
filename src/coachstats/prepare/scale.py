"""Survey scales: reverse keys, a score per person with a rule for missing items, and the
scale's reliability (Cronbach's alpha with a Feldt interval, standardized alpha, omega total
from a one-factor maximum-likelihood model, item-rest correlations, alpha if an item is
deleted)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._validate import check_ci_level, check_dataframe
from ..results import Caution, Result, new_axes, tidy_frame
from ._context import advise, missing_columns, rows_text

__all__ = ["ScaleResult", "scale"]

#: alpha below this is flagged as a caution (Nunnally 1978's conventional floor for research use)
LOW_RELIABILITY = 0.70


@dataclass(frozen=True)
class ScaleResult(Result):
    """A scale score per row and the scale's reliability.

    Parameters
    ----------
    scores : Series
        Mean of the answered items (reverse-keyed items reversed), aligned with the input
        index; missing where fewer than ``min_answered`` items were answered.
    alpha, alpha_ci : float, (float, float)
        Cronbach's alpha and its Feldt (1965) interval at ``ci_level``.
    std_alpha : float
        Standardized alpha (from the item correlations).
    omega : float
        Omega total from a one-factor model fitted by maximum likelihood (complete cases).
    items : DataFrame
        Per item: ``item, reversed, n_answered, mean, sd, item_rest, alpha_if_deleted``.
    loadings : tuple of float
        Standardized loadings of the one-factor model, one per item.
    n : int
        Rows.
    n_scored : int
        Rows with a score.
    n_unscored : int
        Rows with too few answered items to be scored.
    min_answered : int
        Items a row needs answered to be scored.
    missing : str
        ``"complete"`` or ``"pairwise"``: the data behind the reliability.
    reverse : tuple of str
        Reverse-worded items.
    scale_range : tuple of (float, float)
        Lowest and highest possible answer.
    ci_level : float, default 0.95
        Level of the Feldt interval.

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> df = pd.DataFrame({"Q1": [1, 2, 4, 5, 3, 4], "Q2": [2, 2, 5, 4, 3, 5],
    ...                    "Q3": [5, 4, 1, 2, 3, 1]})
    >>> res = cs.prepare.scale(df, ["Q1", "Q2", "Q3"], reverse=["Q3"])
    >>> res.n_scored, res.reverse
    (6, ('Q3',))
    """

    scores: pd.Series = field(repr=False)
    items: pd.DataFrame = field(repr=False)
    alpha: float
    alpha_ci: tuple[float, float]
    std_alpha: float
    omega: float
    loadings: tuple[float, ...]
    n: int
    n_scored: int
    n_unscored: int
    min_answered: int
    missing: str
    reverse: tuple[str, ...]
    scale_range: tuple[float, float]
    ci_level: float = 0.95

    @property
    def title(self) -> str:
        return f"Scale reliability ({len(self.items)} items)"

    @property
    def notes(self) -> list[str]:
        basis = ("complete cases" if self.missing == "complete"
                 else "pairwise-complete covariances (as psych::alpha)")
        rev = ", ".join(self.reverse) if self.reverse else "none"
        return [
            f"Reliability from {basis}: n = {self.n} answer sheets.",
            f"Reverse-keyed items: {rev} (scored as {self.scale_range[0]:g} + "
            f"{self.scale_range[1]:g} - answer).",
            f"Score = mean of the answered items when at least {self.min_answered} of "
            f"{len(self.items)} are answered; {self.n_unscored} row(s) had fewer and have no "
            "score.",
            "Alpha interval: Feldt (1965); omega total from a one-factor model fitted by "
            "maximum likelihood on complete cases.",
        ]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = []
        if self.alpha < LOW_RELIABILITY:
            out.append(Caution(
                "low_reliability",
                f"Cronbach's alpha is {self.alpha:.2f}, below {LOW_RELIABILITY:.2f}: the score "
                "is too noisy for decisions about individuals and attenuates correlations.",
                value=self.alpha))
        for _, row in self.items.iterrows():
            if row["item_rest"] < 0:
                out.append(Caution(
                    "negative_item_rest",
                    f"{row['item']} correlates negatively with the rest "
                    f"(r = {row['item_rest']:.2f}): is it reverse-worded? "
                    f"{advise('reverse', [*self.reverse, row['item']])}.",
                    value=float(row["item_rest"])))
        return tuple(out)

    @property
    def n_dropped(self) -> int:
        return self.n_unscored

    def to_frame(self) -> pd.DataFrame:
        """``alpha`` (with its Feldt interval), ``standardized_alpha`` and ``omega_total``."""
        rows = [
            {"term": "alpha", "estimate": self.alpha, "ci_low": self.alpha_ci[0],
             "ci_high": self.alpha_ci[1], "ci_level": self.ci_level},
            {"term": "standardized_alpha", "estimate": self.std_alpha},
            {"term": "omega_total", "estimate": self.omega},
        ]
        for r in rows:
            r.update(n=self.n, n_items=len(self.items))
        return tidy_frame(rows)

    def item_frame(self) -> pd.DataFrame:
        """Per item: reversed or not, answers, mean, SD, item-rest r, alpha if deleted."""
        return self.items.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Item-rest correlations (bars) with alpha if the item is deleted (dots).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            ``figsize``: size of the new figure when ``ax`` is None (default grows with the
            number of items); other keys are not used.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax, figsize=kwargs.pop("figsize", (6.0, 0.5 * len(self.items) + 2.0)))
        it = self.items
        y = np.arange(len(it))[::-1]
        colors = ["#b2182b" if v < 0 else "#4575b4" for v in it["item_rest"]]
        ax.barh(y, it["item_rest"], color=colors, label="item-rest r")
        ax.plot(it["alpha_if_deleted"], y, "o", color="k", label="alpha if deleted")
        ax.axvline(self.alpha, color="grey", ls="--", lw=1, label=f"alpha = {self.alpha:.2f}")
        ax.set_yticks(y)
        ax.set_yticklabels([f"{i}{' (R)' if r else ''}" for i, r in
                            zip(it["item"], it["reversed"], strict=True)])
        ax.set_xlabel("correlation / alpha")
        low = min(0.0, float(it["item_rest"].min()), float(np.nanmin(it["alpha_if_deleted"])))
        ax.set_xlim(low - 0.05 if low < 0 else 0.0, 1.0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, fontsize=8,
                  frameon=False)
        return ax


def _alpha(c: np.ndarray) -> float:
    k = c.shape[0]
    return k / (k - 1) * (1.0 - np.trace(c) / c.sum())


def _feldt(alpha: float, n: int, k: int, ci_level: float) -> tuple[float, float]:
    p = 1.0 - ci_level
    d1, d2 = n - 1, (n - 1) * (k - 1)
    return (1 - (1 - alpha) * stats.f.ppf(1 - p / 2, d1, d2),
            1 - (1 - alpha) * stats.f.ppf(p / 2, d1, d2))


def one_factor_ml(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loadings and uniquenesses of a one-factor model fitted to covariance ``s`` by ML.

    Minimises ``log|Sigma| + tr(S Sigma^-1)`` with ``Sigma = l l' + diag(psi)``.
    """
    k = s.shape[0]
    sd = np.sqrt(np.diag(s))
    r = s / np.outer(sd, sd)  # fit on the correlation scale, then rescale (ML is scale-free)
    smc = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    x0 = np.concatenate([np.sqrt(np.clip(smc, 0.05, 0.95)), np.log(1 - np.clip(smc, 0.05, 0.95))])

    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        lam, psi = x[:k], np.exp(x[k:])
        sig = np.outer(lam, lam) + np.diag(psi)
        inv = np.linalg.inv(sig)
        _, logdet = np.linalg.slogdet(sig)
        val = logdet + np.trace(r @ inv)
        g = inv - inv @ r @ inv
        return val, np.concatenate([2 * g @ lam, np.diag(g) * psi])

    res = optimize.minimize(f, x0, jac=True, method="BFGS",
                            options={"gtol": 1e-12, "maxiter": 10_000})
    lam, psi = res.x[:k], np.exp(res.x[k:])
    if lam.sum() < 0:
        lam = -lam
    return lam * sd, psi * sd**2


def scale(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    reverse: Sequence[str] = (),
    scale_range: tuple[float, float] = (1, 5),
    min_answered: int | None = None,
    person: str | None = None,
    missing: str = "complete",
    ci_level: float = 0.95,
) -> ScaleResult:
    """Score a survey scale and estimate its reliability.

    Parameters
    ----------
    data : DataFrame
        One row per answer sheet; never modified.
    items : sequence of str
        The item columns (at least 2), answers on ``scale_range``; blanks allowed.
    reverse : sequence of str
        Reverse-worded items, scored as ``low + high - answer``.
    scale_range : (low, high)
        The lowest and highest possible answer (e.g. ``(1, 5)``).
    min_answered : int, optional
        A row gets a score when at least this many items are answered (default: half the
        items, rounded up); otherwise its score is missing.
    person : str, optional
        The person column, used to name rows in error messages.
    missing : {"complete", "pairwise"}
        Reliability from complete cases (default) or from pairwise-complete covariances
        (what ``psych::alpha`` does by default).
    ci_level : float
        Level of the Feldt interval for alpha.

    Returns
    -------
    ScaleResult
        ``scores`` aligned with ``data.index``, ``alpha``, ``alpha_ci``, ``std_alpha``,
        ``omega``, per-item ``items``; ``cautions`` flag alpha below .70 and items that
        correlate negatively with the rest (these also raise a warning naming the item).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Q1": [1, 2, 4, 5, 3, 4], "Q2": [2, 2, 5, 4, 3, 5],
    ...                    "Q3": [5, 4, 1, 2, 3, 1]})
    >>> res = scale(df, ["Q1", "Q2", "Q3"], reverse=["Q3"])
    >>> round(res.alpha, 2), res.scores.round(2).tolist()[:2]
    (0.96, [1.33, 2.0])
    """
    df = check_dataframe(data)
    ci_level = check_ci_level(ci_level)
    items = [items] if isinstance(items, str) else list(items)
    reverse = [reverse] if isinstance(reverse, str) else list(reverse)
    if len(items) < 2:
        raise ValueError(f"a scale needs at least 2 items, got {items}; "
                         f"{advise('items', ['Q1', 'Q2', 'Q3'])}.")
    missing_columns(df, {"items": items, "person": person})
    stray = [r for r in reverse if r not in items]
    if stray:
        raise ValueError(f"reverse names {stray}, which are not among the items {items}; "
                         f"{advise('reverse', [r for r in reverse if r in items])}.")
    mode = str(missing).lower()
    if mode not in ("complete", "pairwise"):
        raise ValueError(f"missing={missing!r}: choose 'complete' or 'pairwise'.")
    lo, hi = (float(v) for v in scale_range)
    keys = [person] if person else []
    x = pd.DataFrame(index=df.index)
    for c in items:
        s = df[c]
        if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            num = pd.to_numeric(s, errors="coerce")
            bad = s.index[num.isna() & s.notna() & (s.astype(str).str.strip() != "")]
            raise TypeError(
                f"item {c!r} must hold numbers (answers {lo:g}-{hi:g}); not numbers in "
                f"{rows_text(df, list(bad), keys, values=s)}. Recode text answers "
                "(e.g. 'Agree' -> 4) or blank them.")
        v = s.astype(float)
        out = v.notna() & ((v < lo) | (v > hi))
        if out.any():
            raise ValueError(
                f"item {c!r} has answers outside {lo:g}-{hi:g}: "
                f"{rows_text(df, list(s.index[out]), keys, values=s)}. Fix them or "
                f"{advise('scale_range', list(scale_range))} with the scale's real range.")
        x[c] = lo + hi - v if c in reverse else v
    k = len(items)
    if min_answered is None:
        min_answered = math.ceil(k / 2)
    if not 1 <= int(min_answered) <= k:
        raise ValueError(f"min_answered={min_answered}: must be between 1 and {k}.")
    answered = x.notna().sum(axis=1)
    scores = x.mean(axis=1).where(answered >= min_answered)
    scores.name = "score"

    complete = x.dropna()
    if mode == "complete":
        n = len(complete)
        c = np.cov(complete.to_numpy(), rowvar=False, ddof=1) if n > 1 else None
    else:
        n = int((answered > 0).sum())
        c = x.cov().to_numpy()
    if c is None or n < 3 or not np.isfinite(c).all():
        raise ValueError(f"too few complete answer sheets ({n}) to estimate reliability; "
                         f"{advise('missing', 'pairwise')} or check the items.")
    alpha = _alpha(c)
    sd = np.sqrt(np.diag(c))
    r = c / np.outer(sd, sd)
    std_alpha = (1 - k / r.sum()) * k / (k - 1)
    rest, drop = [], []
    for i in range(k):
        keep = [j for j in range(k) if j != i]
        cd = c[np.ix_(keep, keep)]
        rest.append((c[:, i].sum() - c[i, i]) / np.sqrt(c[i, i] * cd.sum()))
        drop.append(_alpha(cd) if k > 2 else float("nan"))
    if len(complete) > k:
        lam, psi = one_factor_ml(np.cov(complete.to_numpy(), rowvar=False))
        omega = float(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()))
    else:
        lam, omega = np.full(k, np.nan), float("nan")
    table = pd.DataFrame({
        "item": items,
        "reversed": [c_ in reverse for c_ in items],
        "n_answered": [int(x[c_].notna().sum()) for c_ in items],
        "mean": [float(x[c_].mean()) for c_ in items],
        "sd": [float(x[c_].std()) for c_ in items],
        "item_rest": rest,
        "alpha_if_deleted": drop,
    })
    res = ScaleResult(
        scores=scores, items=table, alpha=float(alpha),
        alpha_ci=tuple(float(v) for v in _feldt(alpha, n, k, ci_level)),  # type: ignore[arg-type]
        std_alpha=float(std_alpha), omega=omega, loadings=tuple(float(v) for v in lam), n=n,
        n_scored=int(scores.notna().sum()), n_unscored=int(scores.isna().sum()),
        min_answered=int(min_answered), missing=mode, reverse=tuple(reverse),
        scale_range=(lo, hi), ci_level=ci_level,
    )
    for cau in res.cautions:
        if cau.code == "negative_item_rest":
            warnings.warn(cau.message, UserWarning, stacklevel=2)
    return res
