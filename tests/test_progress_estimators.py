"""Opt-in progress bars of long estimator loops (bootstrap; MCMC in test_bayes_adapter.py):
drawn only when asked, silent by default, and the numbers never depend on them."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from rich.console import Console

import coachstats as cs
from coachstats._progress import Progress, progress_bar
from coachstats.did import aggregate_panel, staggered


def _display() -> tuple[Progress, io.StringIO]:
    buf = io.StringIO()
    return Progress(True, console=Console(file=buf, force_terminal=True, width=120)), buf


def test_progress_bar_draws_only_when_asked(capsys):
    p, buf = _display()
    with progress_bar(p, "resamples", total=7) as advance:
        for _ in range(7):
            advance()
    assert "resamples" in buf.getvalue() and "7/7" in buf.getvalue()
    with progress_bar(False, "silent", total=3) as advance:
        advance(3)
    with progress_bar(None, "not a terminal", total=3) as advance:  # stderr captured
        advance(3)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_shared_display_removes_finished_bar():
    p, _ = _display()
    with p:
        with progress_bar(p, "inner", total=2) as advance:
            advance(2)
        assert p.active and len(p._bar.tasks) == 0


def _nested(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    team = np.repeat(np.arange(60), 5)
    mgr = team // 3
    y = rng.normal(0, 0.5, 20)[mgr] + rng.normal(0, 0.3, 60)[team] + rng.normal(0, 1, 300)
    return pd.DataFrame({"manager": mgr, "team": team, "engagement": y})


def test_decompose_bootstrap_bar_and_same_numbers(capsys):
    df = _nested()
    p, buf = _display()
    a = cs.variance.decompose(df, "engagement", ["manager", "team"], n_boot=100, rng=4,
                              progress=p)
    b = cs.variance.decompose(df, "engagement", ["manager", "team"], n_boot=100, rng=4)
    assert "parametric bootstrap" in buf.getvalue() and "100/100" in buf.getvalue()
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    np.testing.assert_array_equal(a.draws, b.draws)
    assert capsys.readouterr().err == ""


def test_staggered_multiplier_bootstrap_bar_and_same_numbers():
    sim = cs.simulate.engagement_panel(n_managers=30, rng=7)
    teams = aggregate_panel(sim.data, "engagement", "team", "quarter",
                            keep=["manager", "coached_from"])
    cols = dict(outcome="engagement", unit="team", time="quarter", cohort="coached_from")
    p, buf = _display()
    a = staggered(teams, **cols, cluster="manager", n_boot=300, rng=3, progress=p)
    b = staggered(teams, **cols, cluster="manager", n_boot=300, rng=3)
    assert "multiplier bootstrap" in buf.getvalue() and "300/300" in buf.getvalue()
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


def test_weighting_bootstrap_bar_and_same_numbers():
    sim = cs.simulate.selection_into_coaching(n_leaders=200, rng=2)
    args = ("coached", "performance", ["potential", "tenure"])
    p, buf = _display()
    a = cs.causal.weighting(sim.data, *args, ci_method="bootstrap", n_boot=50, rng=1,
                            progress=p)
    b = cs.causal.weighting(sim.data, *args, ci_method="bootstrap", n_boot=50, rng=1)
    assert "bootstrap" in buf.getvalue() and "50/50" in buf.getvalue()
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


STUDY = """
[study]
title = "Progress"
seed = 3

[data.survey]
file = "{file}"

[[analysis]]
id = "components"
estimator = "variance.decompose"
data = "survey"
args = {{ outcome = "engagement", levels = ["manager", "team"], n_boot = 100 }}

[[analysis]]
id = "difference"
estimator = "effects.group_difference"
data = "survey"
args = {{ outcome = "engagement", group = "coached" }}
"""


def test_report_passes_its_display_only_to_estimators_that_take_progress(tmp_path):
    from coachstats.report import load_study, run_study

    df = _nested(1).assign(coached=lambda d: (d["manager"] % 2).astype(int),
                           manager=lambda d: "m" + d["manager"].astype(str),
                           team=lambda d: "t" + d["team"].astype(str))
    df.to_csv(tmp_path / "survey.csv", index=False)
    spec = tmp_path / "study.toml"
    spec.write_text(STUDY.format(file=(tmp_path / "survey.csv").as_posix()))
    p, buf = _display()
    with p:
        shown = run_study(load_study(spec), progress=p)
    quiet = run_study(load_study(spec))
    assert "parametric bootstrap" in buf.getvalue()
    for a, b in zip(shown.analyses, quiet.analyses, strict=True):
        pd.testing.assert_frame_equal(a.result.to_frame(), b.result.to_frame())
        assert "progress" not in a.args


def test_staggered_arms_bar_over_arms_and_same_numbers():
    sim = cs.simulate.arms_rollout(rng=2)
    args = (sim.data, "engagement", "team", "period", "cohort", "arm")
    p, buf = _display()
    a = cs.did.staggered_arms(*args, n_boot=99, rng=5, progress=p)
    b = cs.did.staggered_arms(*args, n_boot=99, rng=5)
    assert "arms" in buf.getvalue() and "2/2" in buf.getvalue()
    assert "multiplier bootstrap" in buf.getvalue()
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
