"""Numbers as a report shows them: each quantity has a kind, and the kind decides its unit.

A kind is one of :data:`KINDS`. ``probability`` and ``share`` are stored as fractions and
shown as percentages; ``percent`` is already in percent (``roi_pct``); ``currency`` carries
the study's currency code and thousands separators; ``count`` is a whole number. The number
of decimals follows the width of the value's interval (two significant digits of the width),
so an estimate is never shown more precisely than it is known.

Examples
--------
>>> fmt(350292.0, "currency", unit="USD")
'USD 350,292'
>>> fmt(0.134, "probability")
'13%'
>>> fmt(-26.916, "percent", width=98.0)
'−27%'
>>> fmt_p(5.04e-52)
'< 0.001'
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["KINDS", "decimals_for", "fmt", "fmt_interval", "fmt_p", "is_number"]

#: the kinds a reported quantity can have
KINDS: tuple[str, ...] = (
    "currency", "percent", "probability", "share", "count", "ratio", "multiple",
    "correlation", "smd", "hazard_ratio", "months", "years", "scale", "number", "level",
)

_MINUS = "\u2212"  # a typographic minus sign reads as one in every font

#: decimals when there is no interval to go by
_DEFAULT_DECIMALS = {
    "currency": 0, "percent": 0, "probability": 0, "share": 0, "count": 0, "ratio": 2,
    "multiple": 1, "correlation": 2, "smd": 2, "hazard_ratio": 2, "months": 1, "years": 1,
    "scale": 2, "number": 3, "level": 3,
}
#: at most this many decimals, whatever the interval
_MAX_DECIMALS = {
    "currency": 2, "percent": 1, "probability": 1, "share": 1, "count": 0, "ratio": 3,
    "multiple": 2, "correlation": 3, "smd": 3, "hazard_ratio": 3, "months": 1, "years": 2,
    "scale": 3, "number": 4, "level": 4,
}


def is_number(v: Any) -> bool:
    """True for a finite real number (not a bool)."""
    if isinstance(v, bool) or v is None:
        return False
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def decimals_for(width: float | None, kind: str = "number") -> int:
    """Decimals that show two significant digits of an interval's ``width`` (in the units
    the value is shown in), within the kind's limits.

    Examples
    --------
    >>> decimals_for(0.096), decimals_for(98.0, "percent"), decimals_for(None, "smd")
    (3, 0, 2)
    """
    top = _MAX_DECIMALS.get(kind, 3)
    if width is None or not is_number(width) or width <= 0:
        return min(_DEFAULT_DECIMALS.get(kind, 3), top)
    d = 1 - math.floor(math.log10(float(width)))
    return max(0, min(d, top))


def _signed(text: str, negative: bool) -> str:
    return f"{_MINUS}{text}" if negative else text


def fmt(value: Any, kind: str = "number", *, unit: str | None = None,
        width: float | None = None, decimals: int | None = None) -> str:
    """``value`` in the units of ``kind``.

    Parameters
    ----------
    value : number
        In the stored scale (a probability as a fraction, a percent in percent).
    kind : str
        One of :data:`KINDS`.
    unit : str, optional
        Currency code for ``currency``; a time unit (``"months"``) for ``months``/``years``
        overrides the kind's own word.
    width : float, optional
        Width of the value's interval in the stored scale; sets the decimals.
    decimals : int, optional
        Forces the number of decimals.

    Returns
    -------
    str
        Empty for a missing or non-finite value.

    Examples
    --------
    >>> fmt(0.9996, "probability"), fmt(12, "count"), fmt(0.62, "hazard_ratio")
    ('> 99.9%', '12', '0.62')
    """
    if not is_number(value):
        return "" if value is None or not isinstance(value, str) else value
    v = float(value)
    if kind in ("probability", "share"):
        pct = 100 * v
        w = None if width is None else 100 * float(width)
        d = decimals if decimals is not None else decimals_for(w, kind)
        if decimals is None and width is None and (0 < abs(pct) < 1 or 99 < abs(pct) < 100):
            d = 1
        if kind == "probability" and decimals is None:
            if 99.9 < pct <= 100 and width is None:
                return "> 99.9%"
            if 0 < pct < 0.1:
                return "< 0.1%"
        return _signed(f"{abs(pct):,.{d}f}%", pct < 0 and round(abs(pct), d) != 0)
    d = decimals if decimals is not None else decimals_for(width, kind)
    if decimals is None and width is None and kind in ("number", "scale", "level") and v != 0:
        d = max(0, min(3, 3 - math.floor(math.log10(abs(v)))))  # four significant digits
    neg = v < 0 and round(abs(v), d) != 0
    if kind == "count":
        return _signed(f"{abs(round(v)):,.0f}", neg)
    if kind == "currency":
        if decimals is None and abs(v) >= 100:
            d = 0
        body = _signed(f"{abs(v):,.{d}f}", neg)
        return f"{unit} {body}" if unit else f"{body} (currency units)"
    if kind == "percent":
        return _signed(f"{abs(v):,.{d}f}%", neg)
    if kind == "multiple":
        return _signed(f"{abs(v):,.{d}f}\u00d7", neg)
    if kind in ("months", "years"):
        word = unit or kind
        return _signed(f"{abs(v):,.{d}f} {word}", neg)
    return _signed(f"{abs(v):,.{d}f}", neg)


def fmt_interval(low: Any, high: Any, kind: str = "number", *, unit: str | None = None
                 ) -> str:
    """``"low to high"`` with the decimals of their width; empty if either end is missing.

    Examples
    --------
    >>> fmt_interval(0.122, 0.218, "smd")
    '0.122 to 0.218'
    """
    if not (is_number(low) and is_number(high)):
        return ""
    w = abs(float(high) - float(low))
    return f"{fmt(low, kind, unit=unit, width=w)} to {fmt(high, kind, unit=unit, width=w)}"


def fmt_p(p: Any) -> str:
    """A p-value as journals print it: ``"< 0.001"``, else three decimals (two above 0.1).

    Examples
    --------
    >>> fmt_p(0.0123), fmt_p(0.4567), fmt_p(1e-9)
    ('0.012', '0.46', '< 0.001')
    """
    if not is_number(p):
        return ""
    p = float(p)
    if p < 0.001:
        return "< 0.001"
    if p > 0.999:
        return "> 0.999"
    return f"{p:.2f}" if p >= 0.1 else f"{p:.3f}"
