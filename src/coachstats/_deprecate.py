"""Renamed arguments keep working for one minor release, with a warning naming the new one."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: The release in which deprecated argument names stop being accepted.
REMOVED_IN = "0.3"


def renamed_attribute(new: str, old: str) -> property:
    """A read-only ``old`` attribute that returns ``new`` with a FutureWarning naming it.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class R:
    ...     p_value: float
    ...     pvalue = renamed_attribute("p_value", "pvalue")
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     R(0.03).pvalue
    0.03
    """

    def get(self: Any) -> Any:
        warnings.warn(
            f"{type(self).__name__}.{old} is now called {new}; {old} stops working in "
            f"coachstats {REMOVED_IN}.",
            FutureWarning,
            stacklevel=2,
        )
        return getattr(self, new)

    return property(get, doc=f"Deprecated name of ``{new}``.")


Rename = str | tuple[str, Callable[[Any], dict[str, Any]]]


def renamed_arguments(**renames: Rename) -> Callable[[F], F]:
    """Accept ``old=`` keyword arguments as ``new=``, warning once per call.

    A rename is either the new name (the value passes unchanged) or a pair
    ``(new, convert)`` where ``convert(old_value)`` returns the new keyword arguments, for
    an old option whose values now spread over other arguments (e.g. ``missing="drop"`` ->
    ``dropna=True``).

    Examples
    --------
    >>> @renamed_arguments(df="data")
    ... def f(data):
    ...     return len(data)
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     f(df=[1, 2])
    2
    """

    def decorate(fn: F) -> F:
        params = list(inspect.signature(fn).parameters.values())
        position = {p.name: i for i, p in enumerate(params)
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)}

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, spec in renames.items():
                if old not in kwargs:
                    continue
                new, convert = (spec, None) if isinstance(spec, str) else spec
                value = kwargs.pop(old)
                mapped = {new: value} if convert is None else convert(value)
                clash = [k for k in mapped
                         if k in kwargs or len(args) > position.get(k, len(args))]
                if clash:
                    raise TypeError(
                        f"{fn.__name__}() got both {old}= (the old name) and {clash[0]}=; "
                        f"pass only {clash[0]}=."
                    )
                spelt = ", ".join(f"{k}={v!r}" for k, v in mapped.items())
                how = f"now called {new}=" if convert is None else f"replaced by {new}= ({spelt})"
                warnings.warn(
                    f"{fn.__name__}(): the argument {old}= is {how}; "
                    f"{old}= stops working in coachstats {REMOVED_IN}.",
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs.update(mapped)
            return fn(*args, **kwargs)

        wrapper.__deprecated_arguments__ = {  # type: ignore[attr-defined]
            old: spec if isinstance(spec, str) else spec[0] for old, spec in renames.items()}
        return wrapper  # type: ignore[return-value]

    return decorate
