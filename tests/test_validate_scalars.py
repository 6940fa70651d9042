"""Scalar validators in coachstats._validate, and a guard that keeps hand-written scalar
argument checks from coming back elsewhere in the package."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

from coachstats._validate import (
    check_choice,
    check_int,
    check_number,
    check_positive,
    check_probability,
)

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "coachstats"


# --- check_int -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3), np.uint8(3)])
def test_int_accepts_python_and_numpy_integers(value) -> None:
    out = check_int(value, "n_boot", minimum=0)
    assert out == 3 and type(out) is int


@pytest.mark.parametrize("value", [True, False, np.True_, 3.0, "3", None, [3]])
def test_int_rejects_bool_float_and_text(value) -> None:
    with pytest.raises(TypeError, match="n_boot must be an integer"):
        check_int(value, "n_boot")


def test_int_float_hint_and_minimum() -> None:
    with pytest.raises(TypeError, match=r"got float 3\.0\. Did you mean 3\?"):
        check_int(3.0, "draws")
    with pytest.raises(ValueError, match="draws must be at least 1, got 0"):
        check_int(0, "draws", minimum=1)
    assert check_int(-4, "shift") == -4  # no minimum: any integer


# --- check_number / check_positive / check_probability ---------------------------------


def test_number_bounds_and_types() -> None:
    assert check_number(np.float32(0.5), "rho", low=-1, high=1) == 0.5
    assert check_number(np.int64(2), "x") == 2.0
    for bad in (True, "0.5", None):
        with pytest.raises(TypeError, match="rho must be a number"):
            check_number(bad, "rho")
    with pytest.raises(ValueError, match=r"rho must lie in \(-1, 1\), got 1"):
        check_number(1, "rho", low=-1, high=1, low_open=True, high_open=True)
    with pytest.raises(ValueError, match="must lie in"):
        check_number(float("nan"), "rho", low=-1, high=1)
    with pytest.raises(ValueError, match=r"\[2, inf\).*Ask for more"):
        check_number(1, "n", low=2, hint="Ask for more.")


def test_positive() -> None:
    assert check_positive(2, "horizon_years") == 2.0
    assert check_positive(0, "extra", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="horizon_years must be positive, got 0"):
        check_positive(0, "horizon_years")
    with pytest.raises(ValueError, match="extra must be non-negative, got -1"):
        check_positive(-1, "extra", allow_zero=True)
    with pytest.raises(ValueError, match="must be positive"):
        check_positive(float("inf"), "sd")
    with pytest.raises(TypeError):
        check_positive(True, "sd")


def test_probability_ends() -> None:
    assert check_probability(0.05, "alpha") == 0.05
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\), got 0"):
        check_probability(0, "alpha")
    assert check_probability(0, "share", open=False) == 0.0
    assert check_probability(1, "share", open=False) == 1.0
    assert check_probability(1, "reliability", open="low") == 1.0
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        check_probability(0, "reliability", open="low")
    assert check_probability(0, "turnover", open="high") == 0.0
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        check_probability(1, "turnover", open="high")
    with pytest.raises(ValueError, match=r"If 95 is a percentage, give 0\.95"):
        check_probability(95, "power")
    with pytest.raises(ValueError, match="open="):
        check_probability(0.5, "p", open="both")


# --- check_choice ----------------------------------------------------------------------


def test_choice_is_case_insensitive_and_returns_the_canonical_spelling() -> None:
    assert check_choice("reml", "method", ("REML", "DL")) == "REML"
    assert check_choice("REML", "method", ("reml", "ml")) == "reml"
    assert check_choice("Not_Yet", "control", ("never", "not_yet")) == "not_yet"
    assert check_choice(None, "scale", (None, "r")) is None
    assert check_choice(True, "two_tailed", (True, False)) is True


def test_choice_names_the_options() -> None:
    with pytest.raises(ValueError, match=r"method='lmer' is not supported; choose one of "
                                         r"'reml', 'ml'\."):
        check_choice("lmer", "method", ("reml", "ml"))
    with pytest.raises(ValueError, match="not supported"):
        check_choice(1, "two_tailed", (True, False))  # 1 is not True here
    with pytest.raises(ValueError, match="not supported"):
        check_choice(np.array([1, 2]), "kind", (1, 2))


def test_public_functions_take_options_in_any_case() -> None:
    import pandas as pd

    import coachstats as cs

    df = pd.DataFrame({"r": [0.1, 0.3, 0.25, 0.4, 0.2], "n": [50, 80, 120, 60, 90]})
    a = cs.meta.correlations(df, r="r", n="n", method="reml")
    b = cs.meta.correlations(df, r="r", n="n", method="REML")
    assert a.estimate == b.estimate and a.method == b.method == "REML"


# --- no hand-written scalar checks outside _validate ------------------------------------

_SCALAR_TYPES = {"int", "float", "str", "bool", "integer", "floating", "Integral", "Real",
                 "Number"}  # fmt: skip
_ORDER_OPS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)

#: Checks the validators cannot express, each with its reason. Keys: (file, function, arg).
ALLOWED = {
    # "0 or at least N": zero switches the bootstrap off, a handful of draws is refused
    ("did/staggered.py", "staggered", "n_boot"): "0 switches the band off, else >= 99",
    ("variance/decompose.py", "decompose", "n_boot"): "0 switches intervals off, else >= 100",
    ("simulate/series.py", "engagement_series", "n_donors"): "0 (no donors) or at least 4",
    # checks that compare an argument with another argument or with derived data
    ("simulate/meta.py", "meta_correlations", "reliability_spread"): "relative to rxx, ryy",
    ("causal/weighting.py", "_bootstrap", "n_boot"): "private; called after the public check",
    ("did/honest.py", "flci_weights", "n_pre"): "derived count, not a user option",
    ("did/honest.py", "rm_confidence_set", "n_pre"): "derived count, not a user option",
    ("did/honest.py", "sensitivity", "n_post"): "derived count, not a user option",
    ("prepare/_read.py", "_read_sheet", "sheet"): "membership in the workbook's sheets",
    ("_rng.py", "as_generator", "rng"): "the rng contract itself (seed, Generator or None)",
    ("causal/_data.py", "design", "treatment"): "a column name, not a scalar option",
    ("variance/_data.py", "nested_data", "outcome"): "a column name, not a scalar option",
    ("effects/repeated.py", "_to_array", "x"): "a column name given without a DataFrame",
    ("effects/repeated.py", "repeated_measures_d", "pre"): "column names with a DataFrame",
    ("effects/arms.py", "factorial", "factors"): "a pair of column names",
    ("effects/mediation_multilevel.py", "multilevel_mediation", "cluster"):
        "a required column name, not a scalar option",
    ("timeseries/_predictors.py", "predictor_matrix", "predictors"):
        "a list of column names or (column, times) pairs",
    ("prepare/init_study.py", "init_study", "kind"): "names the CLI flag --kind",
}


def _is_const(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.Set | ast.List):
        return all(_is_const(e) for e in node.elts)
    return isinstance(node, ast.Name) and node.id.isupper()


def _checked_argument(test: ast.AST, params: set[str]) -> str | None:
    """The argument a hand-written scalar check inspects, if ``test`` is one."""
    for n in ast.walk(test):
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                and n.func.id == "isinstance" and len(n.args) == 2):
            a0, a1 = n.args
            names = {x.id if isinstance(x, ast.Name) else x.attr for x in ast.walk(a1)
                     if isinstance(x, ast.Name | ast.Attribute)}
            if (isinstance(a0, ast.Name) and a0.id in params and names & _SCALAR_TYPES
                    and not names - _SCALAR_TYPES - {"np", "numbers"}):
                return a0.id
        if isinstance(n, ast.Compare) and all(isinstance(o, _ORDER_OPS) for o in n.ops):
            subject = [o for o in (n.left, *n.comparators) if not _is_const(o)]
            if len(subject) == 1:
                s = subject[0]
                if (isinstance(s, ast.Call) and isinstance(s.func, ast.Attribute)
                        and s.func.attr == "lower"):
                    s = s.func.value
                if isinstance(s, ast.Name) and s.id in params:
                    return s.id
    return None


def _raises_value_or_type_error(body: list[ast.stmt]) -> bool:
    st = body[0] if body else None
    if isinstance(st, ast.Raise) and st.exc is not None:
        e = st.exc.func if isinstance(st.exc, ast.Call) else st.exc
        return isinstance(e, ast.Name) and e.id in ("ValueError", "TypeError")
    return False


def hand_written_scalar_checks(root: pathlib.Path = SRC) -> list[tuple[str, str, str, int]]:
    """``if <scalar test on an argument>: raise ValueError/TypeError`` outside _validate."""
    hits = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel == "_validate.py":
            continue
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            a = fn.args
            params = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs} - {"self", "cls"}
            for node in ast.walk(fn):
                if isinstance(node, ast.If) and _raises_value_or_type_error(node.body):
                    arg = _checked_argument(node.test, params)
                    if arg:
                        hits.append((rel, fn.name, arg, node.lineno))
    return hits


def test_the_guard_catches_a_hand_written_check(tmp_path: pathlib.Path) -> None:
    (tmp_path / "mod.py").write_text(
        "def f(alpha, n, method):\n"
        "    if not 0 < alpha < 1:\n        raise ValueError('alpha')\n"
        "    if isinstance(n, bool) or not isinstance(n, int):\n        raise TypeError('n')\n"
        "    if method.lower() not in ('a', 'b'):\n        raise ValueError('method')\n"
        "    if n is None:\n        raise ValueError('fine: not a scalar check')\n"
    )
    found = {(h[1], h[2]) for h in hand_written_scalar_checks(tmp_path)}
    assert found == {("f", "alpha"), ("f", "n"), ("f", "method")}


def test_no_hand_written_scalar_checks_outside_validate() -> None:
    hits = hand_written_scalar_checks()
    left = [h for h in hits if h[:3] not in ALLOWED]
    assert not left, "use coachstats._validate (check_int, check_positive, check_probability, " \
        "check_number, check_choice) instead of: " + "; ".join(
            f"{f}:{line} {fn}() checks {arg}" for f, fn, arg, line in left)
    stale = set(ALLOWED) - {h[:3] for h in hits}
    assert not stale, f"remove from ALLOWED (no longer hand-written): {sorted(stale)}"
