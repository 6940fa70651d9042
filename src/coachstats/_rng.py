"""One conversion for every ``rng`` argument (SPEC 7): int | Generator | None -> Generator."""

from __future__ import annotations

import numpy as np

RNGLike = int | np.integer | np.random.Generator | np.random.SeedSequence | None


def as_generator(rng: RNGLike) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``rng``.

    ``None`` gives fresh OS entropy, an int or SeedSequence seeds a new PCG64 generator, and a
    Generator is returned as is (so the caller's stream advances). Global NumPy state is
    never touched.

    Examples
    --------
    >>> bool(as_generator(1).integers(10) == as_generator(1).integers(10))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer, np.random.SeedSequence)):
        if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng < 0:
            raise ValueError(f"rng: a seed must be a non-negative integer, got {rng}.")
        if isinstance(rng, bool):
            raise TypeError("rng: expected an int seed, a numpy Generator or None, got a bool.")
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.RandomState):
        raise TypeError(
            "rng: numpy.random.RandomState is legacy global-style state; pass an int seed or "
            "numpy.random.default_rng(seed) instead."
        )
    raise TypeError(
        f"rng: expected an int seed, a numpy Generator or None, got {type(rng).__name__}."
    )


def seed_from(rng: RNGLike) -> int:
    """Draw a 31-bit integer seed from ``rng`` for libraries that only accept ints (PyMC)."""
    return int(as_generator(rng).integers(0, 2**31 - 1))


def spawn(rng: RNGLike, n: int) -> list[np.random.Generator]:
    """Return ``n`` statistically independent child generators of ``rng``."""
    return as_generator(rng).spawn(n)
