"""One vocabulary across the package: every public signature is checked against the rules
written in CONTRIBUTING.md ("One vocabulary")."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator

import pytest

PUBLIC_MODULES = (
    "bayes", "did", "effects", "interpret", "meta", "plotting", "report", "results", "roi",
    "simulate", "survival", "validate", "variance",
)  # fmt: skip
OPTIONAL_MODULES = ("causal", "power", "prepare", "privacy", "survey", "timeseries")

#: Names replaced by the vocabulary: old name -> the word to use instead.
RETIRED = {
    "df": "data", "frame": "data", "id": "person", "pvalue": "p_value", "seed": "rng",
    "random_state": "rng", "random_seed": "rng", "conf_level": "ci_level",
    "missing": "dropna", "n_draws": "draws", "min_size": "min_group_size",
    "min_at_risk": "min_group_size", "min_n": "min_group_size",
}  # fmt: skip
KEYWORD_ONLY = ("ci_level", "rng", "dropna", "min_group_size", "draws", "tune", "chains")
#: Column-role arguments whose default must not be a domain column name.
ROLES = ("outcome", "unit", "person", "time", "cohort", "treatment", "cluster", "levels",
         "weights")  # fmt: skip

#: Signatures not yet on the vocabulary; this list only shrinks.
KNOWN: dict[str, str] = {}


#: Names that look retired but mean something else here (kept deliberately).
ALLOWED: dict[str, tuple[str, ...]] = {
    "prepare.scale": ("missing",),  # psych's "complete" / "pairwise" choice, not dropping rows
}


def _public_functions() -> Iterator[tuple[str, object]]:
    names = list(PUBLIC_MODULES)
    for m in OPTIONAL_MODULES:
        if importlib.util.find_spec(f"coachstats.{m}") is not None:
            names.append(m)
    for m in names:
        mod = importlib.import_module(f"coachstats.{m}")
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                yield f"{m}.{name}", obj


FUNCTIONS = dict(_public_functions())


def _problems(qualname: str, fn: object) -> list[str]:
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    out = []
    for p in params:
        if p.name in RETIRED:
            out.append(f"argument {p.name}= should be {RETIRED[p.name]}=")
        if p.name in KEYWORD_ONLY and p.kind is not p.KEYWORD_ONLY:
            out.append(f"option {p.name}= should come after '*'")
        if p.name in ROLES and isinstance(p.default, str | tuple | list) and p.default:
            out.append(f"column role {p.name}= has a domain default {p.default!r}")
    frame_first = [p for p in params if "DataFrame" in str(p.annotation)]
    df_note = str(sig.parameters["df"].annotation) if "df" in sig.parameters else ""
    if "argument df= should be data=" in out and "DataFrame" not in df_note and (
            df_note in ("float", "int") or params[0].name != "df"):
        out.remove("argument df= should be data=")  # degrees of freedom
    if frame_first and params[0].name != "data" and params[0] is frame_first[0]:
        out.append(f"the input frame is {params[0].name}=, should be data=")
    return out


def test_the_walk_finds_the_public_api() -> None:
    assert len(FUNCTIONS) > 60
    assert "did.staggered" in FUNCTIONS and "effects.repeated_measures_d" in FUNCTIONS


@pytest.mark.parametrize("qualname", sorted(FUNCTIONS))
def test_public_signature_speaks_the_vocabulary(qualname: str) -> None:
    problems = _problems(qualname, FUNCTIONS[qualname])
    allowed = ALLOWED.get(qualname, ())
    problems = [p for p in problems if not any(p.startswith(f"argument {a}=") for a in allowed)]
    if qualname in KNOWN:
        assert problems, f"{qualname} now follows the vocabulary: remove it from KNOWN"
        pytest.xfail(f"not yet on the vocabulary: {KNOWN[qualname]}")
    assert not problems, f"{qualname}: " + "; ".join(problems)


def test_the_rules_catch_what_they_should() -> None:
    import pandas as pd

    def bad(df: pd.DataFrame, outcome: str = "engagement", ci_level: float = 0.95) -> None:
        """Example."""

    found = " ".join(_problems("bad", bad))
    assert "df= should be data=" in found
    assert "domain default 'engagement'" in found
    assert "ci_level= should come after '*'" in found


def test_retired_names_are_hidden_and_still_accepted_by_study_specs() -> None:
    import coachstats as cs
    from coachstats.report.runner import _check_args, _privacy_args

    for fn, old in [(cs.roi.phillips, "missing"), (cs.roi.bayesian, "missing"),
                    (cs.roi.tiers, "missing"), (cs.survival.kaplan_meier, "min_at_risk"),
                    (cs.survival.competing_risks, "min_at_risk"),
                    (cs.report.run_study, "seed"), (cs.validate.run_replicate, "seed")]:
        assert old not in inspect.signature(fn).parameters
        assert old in fn.__deprecated_arguments__
    _check_args(cs.roi.phillips, {"benefit": "b", "cost": "c", "missing": "drop"}, "spec")
    _check_args(cs.roi.phillips, {"benefit": "b", "cost": "c", "dropna": True}, "spec")
    # a spec's old min_at_risk becomes min_group_size, checked against the study threshold
    assert _privacy_args(cs.survival.kaplan_meier, {"min_at_risk": 7}, 5, "spec") == {
        "min_group_size": 7}
    assert _privacy_args(cs.survival.kaplan_meier, {}, 5, "spec") == {"min_group_size": 5}
