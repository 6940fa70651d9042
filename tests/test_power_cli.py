"""``coachstats power ...`` end to end (in process)."""

import pandas as pd
import pytest

from coachstats.cli import main


def test_power_mdes_and_sample_size(capsys):
    assert main(["power", "mdes", "cra2", "J=20", "n=15", "icc=0.17"]) == 0
    out = capsys.readouterr().out
    assert "0.629" in out and "df = 18" in out
    assert main(["power", "sample-size", "cra2", "--es", "0.25", "n=4", "icc=0.2"]) == 0
    assert "rounded up to 203" in capsys.readouterr().out
    assert main(["power", "power", "cra2", "--es", "0.5", "J=20", "n=4", "icc=0.2"]) == 0
    assert "0.387" in capsys.readouterr().out
    assert main(["power", "allocate", "--budget", "200000", "--cost-cluster", "3000",
                 "--cost-person", "100", "--icc", "0.15"]) == 0
    assert "n* = 13.04" in capsys.readouterr().out


def test_power_bad_input_is_an_error_message(capsys):
    assert main(["power", "mdes", "cra2", "J=20", "n=15"]) == 2
    assert "missing ['icc']" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["power", "mdes", "cra2", "--bogus"])


def test_power_simulate_writes_table_and_plot(tmp_path, capsys):
    out, png = tmp_path / "power.csv", tmp_path / "power.png"
    assert main(["power", "simulate", "cluster_trial", "--grid", "effect=0,0.8",
                 "--set", "J=16", "--set", "n=4", "--set", "icc=0.1", "--reps", "12",
                 "--seed", "3", "--out", str(out), "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "Smallest effect with 80% power" in text
    f = pd.read_csv(out)
    assert f["effect"].tolist() == [0.0, 0.8] and (f["n_reps"] == 12).all()
    assert png.stat().st_size > 1000
    assert main(["power", "simulate", "nope"]) == 2


def test_report_section_what_this_design_could_detect(tmp_path):
    spec = tmp_path / "study.toml"
    args = ('{ outcome = "engagement", unit = "team", time = "quarter", '
            'cohort = "coached_from", cluster = "manager", aggregate = true, n_boot = 0 }')
    then = ('[{ method = "power.design_mdes", title = "What this design could detect", '
            'headline = false, plot = false }]')
    spec.write_text(f"""
[study]
title = "Coaching and engagement"
claim = "Coaching managers raises engagement."
source = "simulated"
seed = 7

[privacy]
min_group_size = 5
id_columns = ["employee"]

[data.panel]
generate = {{ kind = "engagement_panel", n_managers = 40 }}
description = "simulated"

[[analysis]]
id = "staggered"
estimator = "did.staggered"
data = "panel"
args = {args}
then = {then}
""")
    out = tmp_path / "r.html"
    assert main(["report", str(spec), "--out", str(out)]) == 0
    html = out.read_text()
    assert "What this design could detect" in html
    assert "Bloom 1995" in html and "mde[estimate]" in html
