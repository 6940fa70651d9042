"""Privacy by construction: people not rows, identifiers however named, pseudonyms, the same
floor in notebooks and reports, and a raw HR survey export taken all the way to a report."""

import inspect
import json

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.cli import main
from coachstats.privacy import (
    DEFAULT_MIN_GROUP_SIZE,
    MIN_GROUP_SIZE_FLOOR,
    Manifest,
    PrivacyError,
    check_min_group_size,
    classify_name,
    count_people,
    detect_identifiers,
    pseudonyms,
    resolve_person,
    safe_crosstab,
    safe_group_means,
)


def hr_export(seed=0, waves=6):
    """A raw HR survey export: one row per employee per wave.

    Manager M-1001 leads teams T-01 (4 people) and T-02 (7 people); M-1002 leads T-03 (8)
    and T-04 (6); M-1003 leads T-05 (9). Everyone answers every wave.
    """
    rng = np.random.default_rng(seed)
    layout = {"M-1001": {"T-01": 4, "T-02": 7}, "M-1002": {"T-03": 8, "T-04": 6},
              "M-1003": {"T-05": 9}}
    rows, eid = [], 70100
    for m, teams in layout.items():
        for t, size in teams.items():
            for _ in range(size):
                eid += 1
                base = rng.normal(3.6, 0.6)
                for w in range(1, waves + 1):
                    rows.append({"EmployeeID": f"E{eid}", "ManagerID": m, "TeamID": t,
                                 "Wave": w,
                                 "Engagement": round(float(base + rng.normal(0, 0.3)), 2)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- thresholds
def test_one_default_and_one_floor():
    assert (DEFAULT_MIN_GROUP_SIZE, MIN_GROUP_SIZE_FLOOR) == (5, 3)
    assert check_min_group_size(3) == 3
    with pytest.raises(ValueError, match="min_group_size must be at least 3"):
        check_min_group_size(2)
    with pytest.raises(TypeError, match="must be an integer"):
        check_min_group_size(True)
    from coachstats.report.privacy import DEFAULT_MIN_SIZE, MIN_ALLOWED, check_min_size

    assert (DEFAULT_MIN_SIZE, MIN_ALLOWED) == (5, 3) and check_min_size(4) == 4


def test_count_people_counts_distinct_people_not_rows():
    df = hr_export()
    before = df.copy()
    n = count_people(df, "EmployeeID", "TeamID")
    assert n.to_dict() == {"T-01": 4, "T-02": 7, "T-03": 8, "T-04": 6, "T-05": 9}
    assert count_people(df, None, "TeamID")["T-01"] == 24  # rows, when nobody is named
    assert count_people(df, "EmployeeID") == 34
    pd.testing.assert_frame_equal(df, before)
    with pytest.raises(ValueError, match=r"\['Person'\] not found"):
        count_people(df, "Person", "TeamID")


# --------------------------------------------------------------------------- identifiers
@pytest.mark.parametrize("name", [
    "EmployeeID", "employee_id", "Emp ID", "EmpID", "Worker ID", "person", "participant",
    "FirstName", "Full Name", "email", "ParticipantEmail", "phone", "SSN", "National ID",
    "Mobile Number", "Respondent", "staff-no",
])
def test_person_identifiers_recognised_however_spelt(name):
    assert classify_name(name)[0] == "person"


@pytest.mark.parametrize("name", ["ManagerID", "manager", "Supervisor Name", "Line Manager",
                                  "TeamID", "Team Code", "mgr_id"])
def test_grouping_identifiers_above_the_person(name):
    assert classify_name(name)[0] == "group"


@pytest.mark.parametrize("name", ["Engagement", "Wave", "score", "rater_group", "department",
                                  "months", "coached_from", "study", "year"])
def test_ordinary_columns_are_not_identifiers(name):
    assert classify_name(name) is None


def test_identifiers_recognised_by_value():
    n = 12
    df = pd.DataFrame({
        "who": [f"W{i:03d}" for i in range(n)],
        "contact": [f"first.last{i}@example.org" for i in range(n)],
        "reach": [f"+44 20 7946 {1000 + i}" for i in range(n)],
        "label": [["Ana Lima", "Bo Chen", "Cy Diaz", "Di Eze", "Ed Fox", "Flo Gil",
                   "Gus Hu", "Hal Ito", "Ida Jay", "Jo Kim", "Kai Lee", "Liv Moe"][i]
                  for i in range(n)],
        "when": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
        "site": ["north", "south"] * 6,
        "score": np.arange(n, dtype=float),
    })
    ids = detect_identifiers(df)
    assert {"contact", "reach", "label"} <= set(ids.person)
    assert "emails" not in ids.reasons and "email addresses" in ids.reasons["contact"]
    assert "phone" in ids.reasons["reach"]
    assert not {"when", "site", "score"} & set(ids.columns)
    # with the person named, a text column unique to each person is recognised too
    ids = detect_identifiers(df, person="who")
    assert ids.person[0] == "who" and "label" in ids.person
    # declared and not-identifier lists
    ids = detect_identifiers(df, id_columns=["site"], not_identifiers=["reach"])
    assert "site" in ids.person and "reach" not in ids.columns
    assert ids.declared == ("site",) and ids.ignored == ("reach",)
    with pytest.raises(ValueError, match="person column, so it cannot be listed"):
        detect_identifiers(df, person="who", not_identifiers=["who"])


def test_person_column_resolution():
    df = hr_export()
    col, how = resolve_person(df)
    assert col == "EmployeeID" and "repeats" in how and "detected" in how
    assert resolve_person(df, "EmployeeID")[1].endswith("(named)")
    col, how = resolve_person(df.drop(columns="EmployeeID"))
    assert col is None and "each row counts as one person" in how


def test_pseudonyms_are_stable_and_reveal_nothing_from_the_seed_alone():
    vals = ["M-7", "M-3", "M-7", "M-9"]
    a = pseudonyms(vals, "Manager", rng=5)
    assert a == pseudonyms(vals, "Manager", rng=5)
    assert sorted(a.values()) == ["Manager 1", "Manager 2", "Manager 3"]
    # the derivation also depends on the data, so relabelling with the seed alone fails:
    # across many data orders the same seed gives different mappings
    maps = {tuple(sorted(pseudonyms(list(p), "Manager", rng=5).items()))
            for p in (vals, vals[::-1], vals[1:] + vals[:1], vals[2:] + vals[:2])}
    assert len(maps) > 1
    many = [f"T{i}" for i in range(12)]
    assert sorted(pseudonyms(many, "Team", rng=1).values())[0] == "Team 01"


# --------------------------------------------------------------------------- group means
@pytest.mark.parametrize("name", ["EmployeeID", "employee_id", "Emp ID", "Worker ID",
                                  "participant", "ParticipantEmail", "Full Name", "FirstName"])
def test_grouping_by_a_person_identifier_is_refused_however_spelt(name):
    df = hr_export().rename(columns={"EmployeeID": name})
    with pytest.raises(PrivacyError, match=f"refuses to group by \\['{name}'\\].*individual"):
        safe_group_means(df, "Engagement", [name])
    # naming it as the person column changes nothing
    with pytest.raises(PrivacyError, match="refuses to group by"):
        safe_group_means(df, "Engagement", ["TeamID", name], person=name)


def test_four_people_answering_six_waves_are_withheld():
    df = hr_export()
    res = safe_group_means(df, "Engagement", ["TeamID"], person="EmployeeID",
                           public_labels=["TeamID"])
    t = res.table.set_index("TeamID")
    assert t.loc["T-01", "withheld"] and t.loc["T-01", "reason"] == "fewer than 5 people"
    shown = res.table.loc[~res.table["withheld"]]
    # counts are people: T-02 has 7 people and 42 rows
    assert t.loc["T-02", "n"] == 7 and t.loc["T-02", "n_rows"] == 42
    assert (shown["n"] >= 5).all()
    # without naming the person column, the detected identifier is used (and said so)
    res2 = safe_group_means(df, "Engagement", ["TeamID"], public_labels=["TeamID"])
    assert res2.person == "EmployeeID"
    pd.testing.assert_frame_equal(res.table, res2.table)
    assert any("distinct 'EmployeeID'" in n for n in res2.notes)
    # standard errors are clustered by person: not the naive row-based ones
    r = t.loc["T-02"]
    rows = df.loc[df["TeamID"] == "T-02", "Engagement"]
    assert r["std_error"] > rows.std() / np.sqrt(len(rows)) * 1.5
    person_means = df.loc[df["TeamID"] == "T-02"].groupby("EmployeeID")["Engagement"].mean()
    assert r["mean"] == pytest.approx(rows.mean())
    assert r["std_error"] == pytest.approx(person_means.std() / np.sqrt(7), rel=0.05)


def test_repeated_rows_with_nothing_identifying_people_are_refused_in_notebooks_too():
    anon = hr_export().drop(columns="EmployeeID")
    with pytest.raises(PrivacyError, match=r"rows may repeat.*\['Wave'\].*Pass person="):
        safe_group_means(anon, "Engagement", ["TeamID"])
    with pytest.raises(PrivacyError, match="rows may repeat"):
        cs.variance.agreement(anon.assign(q=3), items=["q"], group="TeamID")
    # one row per person and no wave column: rows are people
    one = anon.loc[anon["Wave"] == 1].drop(columns="Wave")
    res = safe_group_means(one, "Engagement", ["TeamID"])
    assert res.person is None and res.table.loc[0, "n"] == 34


def test_manager_tables_are_published_under_pseudonyms():
    df = hr_export()
    before = df.copy()
    res = safe_group_means(df, "Engagement", ["ManagerID", "TeamID"], person="EmployeeID",
                           rng=3)
    pd.testing.assert_frame_equal(df, before)
    labels = set(res.table["ManagerID"].dropna()) | set(res.table["TeamID"].dropna())
    assert labels == {"Manager 1", "Manager 2", "Manager 3", "Team 1", "Team 2", "Team 3",
                      "Team 4", "Team 5"}
    text = res.to_frame().to_string() + res.summary()
    for raw in [*df["ManagerID"].unique(), *df["TeamID"].unique(), *df["EmployeeID"].unique()]:
        assert raw not in text
    assert res.pseudonymised == ("ManagerID", "TeamID")
    again = safe_group_means(df, "Engagement", ["ManagerID", "TeamID"], person="EmployeeID",
                             rng=3)
    pd.testing.assert_frame_equal(res.table, again.table)
    # the published mean of a pseudonymous manager is that manager's real mean
    key = pseudonyms(df["ManagerID"].tolist(), "Manager", rng=3)
    m3 = res.table.loc[(res.table["level"] == "ManagerID")
                       & (res.table["ManagerID"] == key["M-1003"])].iloc[0]
    assert m3["mean"] == pytest.approx(df.loc[df["ManagerID"] == "M-1003", "Engagement"].mean())
    # rows are ordered by pseudonym, not by the raw labels
    order = res.table.loc[res.table["level"] == "ManagerID", "ManagerID"].tolist()
    assert order == sorted(order)
    # public labels keep their own names; a person's id can never be public
    pub = safe_group_means(df, "Engagement", ["TeamID"], public_labels=["TeamID"])
    assert "T-02" in set(pub.table["TeamID"])
    with pytest.raises(PrivacyError, match="never published"):
        safe_group_means(df, "Engagement", ["TeamID"], public_labels=["EmployeeID"])


def test_quasi_identifier_crosstab_holds_k_people_in_every_published_cell():
    rng = np.random.default_rng(4)
    n = 160
    people = pd.DataFrame({
        "EmployeeID": [f"E{i}" for i in range(n)],
        "department": rng.choice(["ops", "sales", "hr"], n, p=[.5, .4, .1]),
        "gender": rng.choice(["f", "m", "x"], n, p=[.48, .48, .04]),
        "age_band": rng.choice(["<30", "30-49", "50+"], n),
    })
    df = pd.concat([people.assign(Wave=w) for w in (1, 2, 3)], ignore_index=True)
    df["Engagement"] = rng.normal(3.5, .5, len(df))
    by = ["department", "gender", "age_band"]
    for value in (None, "Engagement"):
        res = safe_crosstab(df, by, value, min_group_size=5)
        t = res.table
        assert res.person == "EmployeeID"
        cells = t.loc[t["level"] == "cell"]
        for _, r in cells.iterrows():
            mask = np.logical_and.reduce([df[c] == r[c] for c in by])
            people_in = df.loc[mask, "EmployeeID"].nunique()
            if not r["withheld"]:
                assert people_in >= 5 and r["n"] == people_in
        hidden = cells.loc[cells["withheld"]]
        assert len(hidden) != 1  # one withheld cell would follow from the total
        assert (hidden["reason"] == "fewer than 5 people").any()
        assert len(res.suppressions("x")) == len(hidden)
        manifest = Manifest()
        manifest.collect(res, "x")
        assert manifest.to_frame()["item"].str.startswith(
            "count for" if value is None else "mean Engagement for").all()
        assert len(manifest) == len(hidden)


# --------------------------------------------------------------------------- the same floor
def test_notebook_calls_apply_the_same_floor():
    df = hr_export()
    for bad in (1, 2):
        with pytest.raises(ValueError, match="at least 3"):
            safe_group_means(df, "Engagement", ["TeamID"], min_group_size=bad)
        with pytest.raises(ValueError, match="at least 3"):
            cs.report.safe_group_means(df, "Engagement", ["TeamID"], min_group_size=bad)
        with pytest.raises(ValueError, match="at least 3"):
            cs.variance.agreement(df.assign(q=3), items=["q"], group="TeamID",
                                  min_group_size=bad)
        sim = cs.simulate.pre_post_360(n_leaders=12, rng=1).data
        with pytest.raises(ValueError, match="at least 3"):
            cs.effects.rater_agreement(sim, leader="leader", rater_group="rater_group",
                                       rating="rating", time="time", rater="rater",
                                       min_group_size=bad)
        with pytest.raises(ValueError, match="at least 3"), pytest.warns(DeprecationWarning):
            cs.effects.rater_agreement(sim, leader="leader", rater_group="rater_group",
                                       rating="rating", time="time", min_raters=bad)
    for fn in (safe_group_means, cs.variance.agreement, cs.effects.rater_agreement):
        assert inspect.signature(fn).parameters["min_group_size"].default == 5


def test_survival_applies_the_same_floor():
    params = inspect.signature(cs.survival.kaplan_meier).parameters
    if "min_group_size" not in params:
        pytest.skip("kaplan_meier still takes min_at_risk (its own floor)")
    d = pd.DataFrame({"t": np.arange(1.0, 21.0), "e": [1, 0] * 10})
    with pytest.raises(ValueError, match="at least 3"):
        cs.survival.kaplan_meier(d, "t", "e", min_group_size=2)


def test_agreement_counts_people_and_needs_one_answer_each():
    df = hr_export()
    rng = np.random.default_rng(1)
    items = {f"q{i}": rng.integers(1, 6, len(df)) for i in range(3)}
    waves = df.assign(**items)
    with pytest.raises(ValueError, match=r"answered more than once.*filter one survey wave"):
        cs.variance.agreement(waves, items=list(items), group="TeamID", person="EmployeeID",
                              scale=(1, 5))
    one = waves.loc[waves["Wave"] == 1]
    res = cs.variance.agreement(one, items=list(items), group="TeamID", person="EmployeeID",
                                scale=(1, 5))
    assert res.n_suppressed == 1 and res.n_people_suppressed == 4  # T-01
    assert set(res.groups["n"]) == {6, 7, 8, 9}


def test_rater_groups_count_distinct_raters():
    sim = cs.simulate.pre_post_360(n_leaders=30, rng=2).data
    peers = sim.loc[sim["rater_group"] == "peer"]
    # the same four peers rate every leader: many rows, four people
    few = peers.assign(rater=peers.groupby(["leader", "time"]).cumcount() % 4)
    data = pd.concat([sim.loc[sim["rater_group"] != "peer"], few.drop_duplicates(
        ["leader", "time", "rater"])])
    res = cs.effects.rater_agreement(data, leader="leader", rater_group="rater_group",
                                     rating="rating", time="time", rater="rater",
                                     exempt_groups=("self", "manager"))
    assert "peer" in res.suppressed
    assert len(data.loc[data["rater_group"] == "peer"]) > 50


# --------------------------------------------------------------------------- the HR export
SPEC = """
[study]
title = "Engagement by team and manager"
seed = 11
{privacy}

[data.survey]
file = "placeholder.csv"
{person}

[[analysis]]
id = "means"
estimator = "report.group_means"
data = "survey"
args = {{ value = "Engagement", groups = {groups} }}
"""


def run_cli(tmp_path, capsys, groups, privacy="", person="", data=None, name="r"):
    d = tmp_path / name
    d.mkdir()
    csv = d / "export.csv"
    (data if data is not None else hr_export()).to_csv(csv, index=False)
    spec = d / "spec.toml"
    spec.write_text(SPEC.format(groups=json.dumps(groups), privacy=privacy, person=person))
    out = d / "report.html"
    code = main(["report", str(spec), "--data", str(csv), "--out", str(out)])
    cap = capsys.readouterr()
    if code:
        return code, cap.err, None, None
    return code, cap.err, out.read_text(), json.loads(out.with_suffix(".json").read_text())


def test_hr_export_to_report_publishes_nothing_it_must_not(tmp_path, capsys):
    df = hr_export()
    raw = [*df["EmployeeID"].unique(), *df["ManagerID"].unique(), *df["TeamID"].unique()]

    # 1. per-employee "groups": refused, with a message that does not advise the same call
    code, err, _, _ = run_cli(tmp_path, capsys, ["EmployeeID"], name="by_person")
    assert code == 2 and "refuses to group by ['EmployeeID']" in err
    assert "Group by a column above the person" in err
    assert not (tmp_path / "by_person" / "report.html").exists()

    # 2. teams: the 4-person team (24 rows) is withheld, counts are people, labels pseudonyms
    code, err, html, js = run_cli(tmp_path, capsys, ["TeamID"], name="teams",
                                  privacy='[privacy]\nid_columns = ["ManagerID"]')
    assert code == 0, err
    table = js["analyses"][0]["table"]
    published = [r for r in table if not r["withheld"]]
    assert {r["n"] for r in published if r["level"] == "TeamID"} <= {6.0, 7.0, 8.0, 9.0}
    assert 24.0 not in {r["n"] for r in table} and max(r["n"] for r in published) == 34
    assert sum(r["withheld"] for r in table) == 2  # T-01 and its complement
    items = [m["item"] for m in js["privacy"]["manifest"]]
    assert any("TeamID=Team" in i for i in items)
    assert js["privacy"]["people"]["survey"]["column"] == "EmployeeID"
    assert "detected as a person identifier" in html
    assert "are published as pseudonyms" in html
    for text in (html, json.dumps(js)):
        for v in raw:
            assert v not in text

    # 3. managers, declared as identifiers: published, under pseudonyms
    code, err, html, js = run_cli(tmp_path, capsys, ["ManagerID"], name="managers",
                                  privacy='[privacy]\nid_columns = ["ManagerID"]',
                                  person='person = "EmployeeID"')
    assert code == 0, err
    labels = {r["ManagerID"] for r in js["analyses"][0]["table"] if r["ManagerID"]}
    assert labels == {"Manager 1", "Manager 2", "Manager 3"}
    assert js["privacy"]["people"]["survey"]["how"].endswith("(named)")
    assert js["privacy"]["declared_id_columns"] == ["ManagerID"]
    for v in raw:
        assert v not in html and v not in json.dumps(js)


def test_hr_export_without_a_person_column_is_refused(tmp_path, capsys):
    anon = hr_export().drop(columns="EmployeeID")
    code, err, _, _ = run_cli(tmp_path, capsys, ["TeamID"], data=anon, name="anon")
    assert code == 2
    assert "no column of data entry 'survey' identifies people" in err
    assert "['Wave']" in err and 'person = "EmployeeID"' in err


def test_not_identifiers_and_public_labels(tmp_path, capsys):
    df = hr_export().assign(Member=lambda d: np.where(d["TeamID"] <= "T-03", "gold", "silver"))
    code, err, _, _ = run_cli(tmp_path, capsys, ["Member"], data=df, name="alarm")
    assert code == 2 and "refuses to group by ['Member']" in err
    code, err, html, js = run_cli(
        tmp_path, capsys, ["Member"], data=df, name="cleared",
        privacy='[privacy]\nnot_identifiers = ["Member"]\npublic_labels = ["TeamID"]')
    assert code == 0, err
    assert {r["Member"] for r in js["analyses"][0]["table"] if r["Member"]} == {"gold",
                                                                                 "silver"}
    assert js["privacy"]["not_identifiers"] == ["Member"]
    assert "Declared not to identify people" in html
    code, err, _, _ = run_cli(tmp_path, capsys, ["TeamID"], name="bad_public",
                              privacy='[privacy]\npublic_labels = ["EmployeeID"]')
    assert code == 2 and "people's identifiers are never published" in err


def test_crosstab_in_a_report_withholds_small_cells_and_lists_them(tmp_path, capsys):
    df = hr_export()
    rng = np.random.default_rng(5)
    people = df["EmployeeID"].unique()
    attrs = pd.DataFrame({"EmployeeID": people,
                          "Gender": rng.choice(["f", "m"], len(people)),
                          "AgeBand": rng.choice(["<40", "40+"], len(people), p=[.8, .2])})
    df = df.merge(attrs, on="EmployeeID")
    spec = SPEC.replace('estimator = "report.group_means"', 'estimator = "report.crosstab"')
    spec = spec.replace('args = {{ value = "Engagement", groups = {groups} }}',
                        'args = {{ by = {groups}, value = "Engagement" }}')
    d = tmp_path / "xt"
    d.mkdir()
    df.to_csv(d / "export.csv", index=False)
    (d / "spec.toml").write_text(spec.format(groups='["Gender", "AgeBand"]', privacy="",
                                             person='person = "EmployeeID"'))
    out = d / "r.html"
    assert main(["report", str(d / "spec.toml"), "--data", str(d / "export.csv"),
                 "--out", str(out)]) == 0, capsys.readouterr().err
    js = json.loads(out.with_suffix(".json").read_text())
    cells = [r for r in js["analyses"][0]["table"] if r["level"] == "cell"]
    for r in cells:
        truth = attrs.loc[(attrs["Gender"] == r["Gender"]) & (attrs["AgeBand"] == r["AgeBand"])]
        assert r["withheld"] or r["n"] == len(truth) >= 5
        if len(truth) < 5:
            assert r["withheld"]
    withheld = [r for r in cells if r["withheld"]]
    assert len(withheld) >= 2 and len(withheld) < len(cells)
    items = [m["item"] for m in js["privacy"]["manifest"]]
    assert all(any(f"Gender={r['Gender']}, AgeBand={r['AgeBand']}" in i for i in items)
               for r in withheld)


def test_estimators_do_not_import_the_report_package():
    import subprocess
    import sys

    families = ("privacy", "variance", "effects", "did", "meta", "roi", "survival", "causal",
                "survey", "timeseries", "power", "prepare", "simulate")
    code = ("import sys, importlib; [importlib.import_module('coachstats.' + m) for m in "
            f"{families!r}]; print('coachstats.report' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_output_scan_catches_raw_labels_of_pseudonymised_columns(tmp_path, capsys):
    # an estimator that labels its rows with raw manager IDs: the scan stops the report
    df = hr_export(waves=1)
    df["Coached"] = np.where(df.groupby("TeamID").cumcount() % 2 == 0, "yes", "no")
    spec = SPEC.replace('estimator = "report.group_means"',
                        'estimator = "effects.group_difference"')
    spec = spec.replace('args = {{ value = "Engagement", groups = {groups} }}',
                        'args = {{ outcome = "Engagement", group = "Coached", '
                        'reference = "no", by = {groups}, min_group_size = 3 }}')
    d = tmp_path / "scan"
    d.mkdir()
    df.to_csv(d / "export.csv", index=False)
    (d / "spec.toml").write_text(spec.format(groups='"ManagerID"', privacy="[privacy]\n"
                                             "min_group_size = 3", person=""))
    code = main(["report", str(d / "spec.toml"), "--data", str(d / "export.csv"),
                 "--out", str(d / "r.html")])
    err = capsys.readouterr().err
    assert code == 2 and "identifier value(s) from the input data" in err
    assert "'M-100" in err and not (d / "r.html").exists()


def test_a_named_rater_column_identifies_people_in_a_report(tmp_path, capsys):
    sim = cs.simulate.pre_post_360(n_leaders=20, rng=4).data.rename(
        columns={"rater": "evaluator", "leader": "ratee"})
    spec = SPEC.replace('estimator = "report.group_means"',
                        'estimator = "effects.rater_agreement"')
    spec = spec.replace('args = {{ value = "Engagement", groups = {groups} }}',
                        'args = {{ leader = "ratee", rater_group = "rater_group", '
                        'rating = "rating", time = "time"{groups} }}')
    d = tmp_path / "r360"
    d.mkdir()
    sim.to_csv(d / "export.csv", index=False)
    for extra, code in (("", 2), (', rater = "evaluator"', 0)):
        (d / "spec.toml").write_text(spec.format(groups=extra, privacy="", person=""))
        assert main(["report", str(d / "spec.toml"), "--data", str(d / "export.csv"),
                     "--out", str(d / "r.html")]) == code
        err = capsys.readouterr().err
        assert (code == 0) or "rows may repeat per person (column(s) ['time']" in err
        if code == 0:
            js = json.loads((d / "r.json").read_text())
            assert "evaluator" in js["privacy"]["identifier_columns"]["survey"]
            assert js["privacy"]["scan"]["identifier_values"] > 100


def test_standard_error_is_the_classic_one_with_one_row_per_person():
    one = hr_export(waves=1)
    res = safe_group_means(one, "Engagement", ["TeamID"], person="EmployeeID",
                           public_labels=["TeamID"])
    r = res.table.set_index("TeamID").loc["T-03"]
    y = one.loc[one["TeamID"] == "T-03", "Engagement"]
    assert r["std_error"] == pytest.approx(y.std(ddof=1) / np.sqrt(len(y)), rel=1e-12)
    from scipy import stats

    half = stats.t.ppf(0.975, len(y) - 1) * r["std_error"]
    assert r["ci_high"] - r["mean"] == pytest.approx(half, rel=1e-12)
