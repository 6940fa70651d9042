"""Multiplicity adjustment of a family of p-values, one vocabulary for every estimator.

``adjust`` names: ``"holm"`` (Holm 1979), ``"bh"`` (Benjamini-Hochberg 1995 false discovery
rate; also ``"fdr_bh"``, ``"benjamini-hochberg"``), ``"bonferroni"`` and ``"none"``, computed
by statsmodels' ``multipletests`` (as R ``p.adjust``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validate import check_choice

__all__ = ["ADJUST", "adjust_name", "adjust_p_values", "check_adjust"]

#: Option spelt by the user -> statsmodels method (None: no adjustment).
ADJUST: dict[str, str | None] = {
    "holm": "holm", "bh": "fdr_bh", "fdr_bh": "fdr_bh", "benjamini-hochberg": "fdr_bh",
    "bonferroni": "bonferroni", "none": None,
}  # fmt: skip

_NAMES = {"holm": "Holm (1979)", "fdr_bh": "Benjamini-Hochberg (1995) false discovery rate",
          "bonferroni": "Bonferroni", None: "none"}


def check_adjust(adjust: object) -> str:
    """The canonical ``adjust`` option (case-insensitive), or a ValueError naming them.

    Examples
    --------
    >>> check_adjust("BH")
    'bh'
    """
    return str(check_choice(adjust, "adjust", tuple(ADJUST)))


def adjust_name(adjust: str) -> str:
    """The method's name with its reference, for notes (``"Holm (1979)"``).

    Examples
    --------
    >>> adjust_name("bh")
    'Benjamini-Hochberg (1995) false discovery rate'
    """
    return _NAMES[ADJUST[check_adjust(adjust)]]


def adjust_p_values(
    p: Sequence[float] | np.ndarray, adjust: str, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and rejections at ``alpha`` for one family of tests.

    Examples
    --------
    >>> padj, reject = adjust_p_values([0.01, 0.04, 0.03], "holm")
    >>> [round(float(v), 2) for v in padj], reject.tolist()
    ([0.03, 0.06, 0.06], [True, False, False])
    """
    p = np.asarray(p, dtype=float)
    method = ADJUST[check_adjust(adjust)]
    if method is None or len(p) == 0:
        return p.copy(), p < alpha
    from statsmodels.stats.multitest import multipletests

    reject, padj, _, _ = multipletests(p, alpha=alpha, method=method)
    return np.asarray(padj, dtype=float), np.asarray(reject, dtype=bool)
