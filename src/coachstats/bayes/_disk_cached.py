"""Compile a PyMC model for nutpie with the Numba entry points cached on disk.

nutpie samples a PyMC model through two C callbacks (log density with gradient, and the
expansion of a draw into the stored variables). PyTensor caches the Numba code of the
log-density graph on disk, but nutpie generates the C callbacks around it afresh in every
process, and compiling those callbacks took about 3.6 s of the 4.8 s needed to get a small
model ready (the generic NumPy overloads they use are compiled again each time).

This module builds the same two callbacks from generated source registered with PyTensor's
Numba cache, keyed by the hash of the graph function they call, so a new process loads them
from disk. The PyTensor functions, initial points, shapes and names come from the same
nutpie routines as :func:`nutpie.compile_pymc_model`, so the log density, its gradient and
the draws for a given seed are bit-for-bit those of nutpie's own compilation (tested).

Data containers are passed by address: ``user_data`` is a ``uint64`` array holding, per
container, its address followed by its shape. ``with_data`` builds a new array; the model
object keeps the data alive while nutpie samples.

This relies on nutpie 0.16's model internals (the version range is pinned in
``pyproject.toml``); :func:`compile_model` falls back to :func:`nutpie.compile_pymc_model`
when they are not there, which is slower to start but gives the same draws.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import warnings
from collections.abc import Callable, Sequence
from functools import cache, wraps
from typing import Any

import numpy as np

__all__ = ["compile_model"]

#: Part of every cache key: change it whenever the generated source below changes meaning.
WRAPPER_VERSION = "1"

_DTYPES = ("float64", "float32", "int64", "int32", "int16", "int8", "uint8", "bool")


@cache
def _pointer_intrinsics() -> tuple[Any, dict[str, Any]]:
    """Numba intrinsics turning a ``void*`` into ``uint64*`` and an address into ``T*``."""
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def as_uint64_ptr(typingctx: Any, src: Any) -> Any:
        sig = types.CPointer(types.uint64)(src)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.bitcast(args[0], context.get_value_type(signature.return_type))

        return sig, codegen

    def address_to(nb_type: Any) -> Any:
        @intrinsic
        def address_as_ptr(typingctx: Any, src: Any) -> Any:
            sig = types.CPointer(nb_type)(src)

            def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
                return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

            return sig, codegen

        return address_as_ptr

    from numba.np.numpy_support import from_dtype

    return as_uint64_ptr, {d: address_to(from_dtype(np.dtype(d))) for d in _DTYPES}


def _data_lines(slots: Sequence[tuple[str, int, int]]) -> list[str]:
    """Source lines binding ``d0, d1, ...`` to the containers, from ``user_data``."""
    lines = []
    for i, (dtype, ndim, offset) in enumerate(slots):
        shape = ", ".join(f"int(ud[{offset + 1 + j}])" for j in range(ndim))
        shape = f"({shape},)" if ndim == 1 else f"({shape})"
        lines.append(f"        d{i} = carray(ptr_{dtype}(ud[{offset}]), {shape})")
    return lines


def _logp_source(n_dim: int, ud_len: int, slots: Sequence[tuple[str, int, int]]) -> str:
    args = "".join(f", d{i}" for i in range(len(slots)))
    return "\n".join(
        [
            "def logp_callback(dim, x_, out_, logp_, ud_):",
            f"    if dim != {n_dim}:",
            "        return -1",
            "    try:",
            f"        ud = carray(as_uint64_ptr(ud_), ({ud_len},))",
            *_data_lines(slots),
            f"        x = carray(x_, ({n_dim},))",
            f"        out = carray(out_, ({n_dim},))",
            "        logp = carray(logp_, ())",
            f"        logp_val, grad = inner(x{args})",
            "        logp[()] = logp_val",
            "        out[...] = grad",
            "        if not np.all(np.isfinite(out)):",
            "            return 3",
            "        if not np.isfinite(logp_val):",
            "            return 4",
            "    except Exception:",
            "        return 1",
            "    return 0",
            "",
        ]
    )


def _expand_source(
    n_dim: int, n_expanded: int, ud_len: int, slots: Sequence[tuple[str, int, int]]
) -> str:
    args = "".join(f", d{i}" for i in range(len(slots)))
    return "\n".join(
        [
            "def expand_callback(dim, expanded, x_, out_, ud_):",
            f"    if dim != {n_dim}:",
            "        return -1",
            f"    if expanded != {n_expanded}:",
            "        return -1",
            "    try:",
            f"        ud = carray(as_uint64_ptr(ud_), ({ud_len},))",
            *_data_lines(slots),
            f"        x = carray(x_, ({n_dim},))",
            f"        out = carray(out_, ({n_expanded},))",
            f"        (values,) = inner(x{args})",
            "        out[...] = values",
            "    except Exception:",
            "        return -2",
            "    return 0",
            "",
        ]
    )


def _callback(src: str, name: str, inner: Any, signature: Any) -> Any:
    """Compile ``src`` as a Numba C callback, cached on disk when ``inner`` is."""
    import numba
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS, compile_numba_function_src

    as_uint64_ptr, pointers = _pointer_intrinsics()
    env: dict[str, Any] = {
        "__name__": __name__,  # numba rebuilds a cached function's environment from it
        "np": np,
        "carray": numba.carray,
        "as_uint64_ptr": as_uint64_ptr,
        "inner": inner,
        **{f"ptr_{d}": p for d, p in pointers.items()},
    }
    py_func = getattr(inner, "py_func", None)
    inner_key = CACHED_SRC_FUNCTIONS.get(py_func) if py_func is not None else None
    key = None
    if inner_key is not None:
        text = "\n".join([WRAPPER_VERSION, numba.__version__, inner_key, src])
        key = hashlib.sha256(text.encode()).hexdigest()
    fn = compile_numba_function_src(src, name, env, cache_key=key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", numba.NumbaWarning)
        return numba.cfunc(signature, cache=key is not None)(fn)


def _with_lock(func: Callable[..., Any]) -> Callable[..., Any]:
    lock = threading.Lock()

    @wraps(func)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return func(*args, **kwargs)

    return locked


def _user_data(arrays: Sequence[np.ndarray], ud_len: int) -> np.ndarray:
    ud = np.zeros(ud_len, dtype=np.uint64)
    offset = 0
    for a in arrays:
        ud[offset] = a.ctypes.data
        ud[offset + 1 : offset + 1 + a.ndim] = a.shape
        offset += 1 + a.ndim
    return ud


def _model_class() -> type:
    from nutpie.compile_pymc import CompiledPyMCModel

    @dataclasses.dataclass(frozen=True)
    class DiskCachedPyMCModel(CompiledPyMCModel):  # type: ignore[misc]
        """nutpie's compiled PyMC model with callbacks loaded from the disk cache."""

        def with_data(self, **updates: Any) -> Any:
            keys = {var.name: key for var, key in self.shared_var_keys.items()}
            shared = dict(self.shared_data)
            for name, value in updates.items():
                if name not in keys:
                    raise KeyError(f"Unknown shared variable: {name}")
                old = shared[keys[name]]
                new = np.array(value, dtype=old.dtype, order="C", copy=True)
                if new.ndim != old.ndim:
                    raise ValueError(f"Shared variable {name} must have rank {old.ndim}")
                new.flags.writeable = False
                shared[keys[name]] = new
            ud = _user_data(list(shared.values()), len(self.user_data))
            return dataclasses.replace(self, shared_data=shared, user_data=ud)

    return DiskCachedPyMCModel


_MODEL_CLASS: type | None = None


def _nutpie_compile(model: Any, var_names: Sequence[str] | None) -> Any:
    """nutpie's own compilation: same draws, callbacks compiled afresh in each process."""
    import nutpie

    return nutpie.compile_pymc_model(model, var_names=var_names)


def compile_model(model: Any, *, var_names: Sequence[str] | None = None) -> Any:
    """Compile ``model`` for :func:`nutpie.sample`, loading the callbacks from disk if cached.

    Same arguments and result type as ``nutpie.compile_pymc_model(model, var_names=...)``
    with the default numba backend.
    """
    global _MODEL_CLASS
    try:
        import numba
        from nutpie.compile_pymc import _make_functions, _prepare_dims_and_coords
        from pymc.initial_point import make_initial_point_fn
        from pytensor.link.numba.cache import (  # noqa: F401
            CACHED_SRC_FUNCTIONS,
            compile_numba_function_src,
        )

        if _MODEL_CLASS is None:
            _MODEL_CLASS = _model_class()
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other nutpie
        return _nutpie_compile(model, var_names)

    initial_point_fn = _with_lock(
        make_initial_point_fn(
            model=model,
            default_strategy="support_point",
            jitter_rvs=set(model.free_RVs),
            return_transformed=True,
        )
    )
    n_dim, n_expanded, logp_pt, expand_pt, init_flat, shape_info, reparam = _make_functions(
        model,
        mode="NUMBA",
        compute_grad=True,
        join_expanded=True,
        pymc_initial_point_fn=initial_point_fn,
        var_names=var_names,
    )

    shared_vars: list[Any] = []
    for var in [*logp_pt.get_shared(), *expand_pt.get_shared()]:
        if var not in shared_vars:
            shared_vars.append(var)
    arrays = []
    for var in shared_vars:
        value = np.array(var.get_value(), order="C", copy=True)
        value.flags.writeable = False
        arrays.append(value)
    offsets, offset = [], 0
    for a in arrays:
        if a.dtype.name not in _DTYPES:  # pragma: no cover - no such container in coachstats
            return _nutpie_compile(model, var_names)
        offsets.append(offset)
        offset += 1 + a.ndim
    ud_len = max(offset, 1)
    slot_of = {var: (arrays[i].dtype.name, arrays[i].ndim, offsets[i])
               for i, var in enumerate(shared_vars)}

    types = numba.types
    logp_sig = types.int64(
        types.uint64,
        types.CPointer(types.double),
        types.CPointer(types.double),
        types.CPointer(types.double),
        types.voidptr,
    )
    expand_sig = types.int64(
        types.uint64,
        types.uint64,
        types.CPointer(types.double),
        types.CPointer(types.double),
        types.voidptr,
    )
    logp_src = _logp_source(n_dim, ud_len, [slot_of[v] for v in logp_pt.get_shared()])
    expand_src = _expand_source(
        n_dim, n_expanded, ud_len, [slot_of[v] for v in expand_pt.get_shared()]
    )
    logp_cb = _callback(logp_src, "logp_callback", logp_pt.vm.jit_fn, logp_sig)
    expand_cb = _callback(expand_src, "expand_callback", expand_pt.vm.jit_fn, expand_sig)

    keys = [f"data{i}" for i in range(len(shared_vars))]
    dims, coords = _prepare_dims_and_coords(model, shape_info, reparam)
    return _MODEL_CLASS(
        _n_dim=n_dim,
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
        compiled_logp_func=logp_cb,
        compiled_expand_func=expand_cb,
        initial_point_func=init_flat,
        shared_data=dict(zip(keys, arrays, strict=True)),
        shared_var_keys=dict(zip(shared_vars, keys, strict=True)),
        user_data=_user_data(arrays, ud_len),
        n_expanded=n_expanded,
        shape_info=shape_info,
        logp_func=logp_pt,
        expand_func=expand_pt,
        reparameterized_names=reparam,
    )
