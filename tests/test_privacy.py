"""Privacy guard: minimum group size, complementary suppression, identifier scan, manifest.

The grouping labels here are public (``public_labels``) so that tests can name cells; see
test_privacy_people.py for pseudonyms and counting people.
"""

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from coachstats.report import PrivacyError, render_study
from coachstats.report import safe_group_means as _safe_group_means
from coachstats.report.privacy import check_min_size, guess_id_columns, scan_for_identifiers


def safe_group_means(*args, **kw):
    return _safe_group_means(*args, public_labels=["division", "manager", "team"], **kw)


def people(layout, seed=0):
    """One row per employee; ``layout`` maps manager -> team sizes."""
    rng = np.random.default_rng(seed)
    rows, eid = [], 40000
    for m, sizes in layout.items():
        for j, size in enumerate(sizes):
            for _ in range(size):
                eid += 1
                rows.append({"employee_id": f"EMP-{eid}", "manager": m, "team": f"{m}-T{j + 1}",
                             "engagement": round(float(rng.normal(3.6, 0.7)), 2)})
    return pd.DataFrame(rows)


def derivable(table, groups):
    """Withheld cells whose sum or count follows from the published numbers.

    Every relation "parent = sum of its children" (overall = sum of top-level groups, each
    group = sum of its subgroups) is linear in the withheld cells' sums (and counts). A cell
    is derivable when its unit vector lies in the row space of those relations.
    """
    t = table.reset_index(drop=True)
    keys = []
    for _, r in t.iterrows():
        depth = 0 if r["level"] == "overall" else groups.index(r["level"]) + 1
        keys.append(tuple(r[g] for g in groups[:depth]))
    pos = {k: i for i, k in enumerate(keys)}
    hidden = [i for i in range(len(t)) if t.loc[i, "withheld"]]
    col = {i: j for j, i in enumerate(hidden)}
    rows = []
    for k, i in pos.items():
        kids = [pos[c] for c in pos if len(c) == len(k) + 1 and c[: len(k)] == k]
        if not kids:
            continue
        a = np.zeros(len(hidden))
        for node, sign in [(i, 1.0)] + [(c, -1.0) for c in kids]:
            if node in col:
                a[col[node]] += sign
        if a.any():
            rows.append(a)
    if not hidden:
        return []
    A = np.array(rows) if rows else np.zeros((0, len(hidden)))
    rank = np.linalg.matrix_rank(A) if len(A) else 0
    out = []
    for i, j in col.items():
        e = np.zeros(len(hidden))
        e[j] = 1
        if np.linalg.matrix_rank(np.vstack([A, e])) == rank:
            out.append(keys[i])
    return out


def smallest_derivable_union(table, groups, df, k):
    """The smallest set of withheld innermost groups, under ``k`` people in all, whose sum
    follows from the published cells (None if there is none).

    Each published cell is a known sum over the innermost groups under it; a set of
    withheld innermost groups is derivable when its indicator vector lies in the row space
    of those cells. Every subset with fewer than ``k`` people is tried, so this catches
    combinations across levels, not only single cells.
    """
    t = table.reset_index(drop=True)
    inner = groups[-1]
    leaf = t[t["level"] == inner].reset_index(drop=True)
    keys = [tuple(r[g] for g in groups) for _, r in leaf.iterrows()]
    size = [int((df[inner] == key[-1]).sum()) for key in keys]
    rows = []
    for _, r in t[~t["withheld"]].iterrows():
        depth = 0 if r["level"] == "overall" else groups.index(r["level"]) + 1
        key = tuple(r[g] for g in groups[:depth])
        rows.append([float(lk[:depth] == key) for lk in keys])
    A = np.array(rows) if rows else np.zeros((0, len(keys)))
    rank = np.linalg.matrix_rank(A) if len(A) else 0
    hidden = [i for i in range(len(keys)) if leaf.loc[i, "withheld"]]
    for r in range(1, len(hidden) + 1):
        for combo in combinations(hidden, r):
            if sum(size[i] for i in combo) >= k:
                continue
            v = np.zeros(len(keys))
            v[list(combo)] = 1.0
            if np.linalg.matrix_rank(np.vstack([A, v])) == rank:
                return [keys[i] for i in combo]
    return None


def test_withheld_groups_at_different_levels_cannot_be_combined():
    # overall - M1 - M3-T2 would give M2-T1 + M3-T1: 3 + 1 people
    df = people({"M1": [5, 5, 5, 5], "M2": [3], "M3": [1, 6]})
    t = safe_group_means(df, "engagement", ["manager", "team"]).table
    assert smallest_derivable_union(t, ["manager", "team"], df, 5) is None
    assert derivable(t, ["manager", "team"]) == []
    team = t.set_index("team")
    assert team.loc["M3-T2", "withheld"]
    assert "outside its published groups" in team.loc["M3-T2", "reason"]
    assert not t.loc[t["manager"] == "M1", "withheld"].any()  # nothing more than needed


def test_three_levels_random_hierarchies_never_leak_a_small_union():
    for seed in range(40):
        rng = np.random.default_rng(1000 + seed)
        rows = []
        for d in range(int(rng.integers(1, 4))):
            for m in range(int(rng.integers(1, 4))):
                for j in range(int(rng.integers(1, 4))):
                    n = int(rng.integers(1, 9))
                    rows += [{"division": f"D{d}", "manager": f"D{d}M{m}",
                              "team": f"D{d}M{m}T{j}", "engagement": float(rng.normal())}
                             for _ in range(n)]
        df = pd.DataFrame(rows)
        k = int(rng.integers(3, 7))
        groups = ["division", "manager", "team"]
        t = safe_group_means(df, "engagement", groups, min_group_size=k).table
        assert smallest_derivable_union(t, groups, df, k) is None, seed
        assert (t.loc[~t["withheld"], "n"] >= k).all()


def test_team_of_3_and_4_under_manager_of_12_not_derivable():
    df = people({"M1": [3, 4, 5], "M2": [6, 8], "M3": [7, 5]})
    res = safe_group_means(df, "engagement", ["manager", "team"])
    t = res.table
    hidden = set(t.loc[t["withheld"], "team"])
    assert {"M1-T1", "M1-T2"} <= hidden
    assert derivable(t, ["manager", "team"]) == []
    # published numbers are the real means
    pub = t.loc[(t["level"] == "team") & ~t["withheld"]]
    for _, r in pub.iterrows():
        assert r["mean"] == pytest.approx(df.loc[df["team"] == r["team"], "engagement"].mean())
        assert r["n"] == (df["team"] == r["team"]).sum()
    items = [s.item for s in res.suppressions("x")]
    assert any("M1-T1" in i for i in items) and any("M1-T2" in i for i in items)


def test_single_small_team_forces_complementary_suppression():
    df = people({"M1": [3, 9], "M2": [6, 6]})
    t = safe_group_means(df, "engagement", ["manager", "team"]).table
    team = t.set_index("team")
    assert team.loc["M1-T1", "withheld"] and team.loc["M1-T2", "withheld"]
    assert team.loc["M1-T2", "reason"].startswith("complementary")
    assert not team.loc["M2-T1", "withheld"]
    assert derivable(t, ["manager", "team"]) == []


def test_two_tiny_siblings_hidden_together_need_a_third():
    # 2 + 2 withheld together would reveal a group of 4: a third cell must go
    df = people({"M1": [2, 2, 6, 7], "M2": [5, 5]})
    t = safe_group_means(df, "engagement", ["manager", "team"]).table
    m1 = t.loc[(t["manager"] == "M1") & (t["level"] == "team")]
    assert m1["withheld"].sum() == 3
    assert derivable(t, ["manager", "team"]) == []


def test_small_manager_is_protected_at_the_top_level_too():
    df = people({"M1": [4], "M2": [5, 6], "M3": [12]})
    t = safe_group_means(df, "engagement", ["manager", "team"]).table
    assert derivable(t, ["manager", "team"]) == []
    assert t.loc[t["manager"] == "M1", "withheld"].all()
    assert t.loc[(t["level"] == "manager"), "withheld"].sum() >= 2


@pytest.mark.parametrize("seed", range(25))
def test_random_hierarchies_never_leak(seed):
    rng = np.random.default_rng(seed)
    layout = {f"M{i}": list(rng.integers(1, 10, size=rng.integers(1, 5)))
              for i in range(rng.integers(2, 7))}
    df = people(layout, seed)
    k = int(rng.integers(3, 7))
    t = safe_group_means(df, "engagement", ["manager", "team"], min_group_size=k).table
    assert derivable(t, ["manager", "team"]) == []
    assert smallest_derivable_union(t, ["manager", "team"], df, k) is None
    shown = t.loc[~t["withheld"]]
    assert (shown["n"] >= k).all()
    # whatever is withheld under a published parent hides at least k people in total
    for m in t.loc[(t["level"] == "manager") & ~t["withheld"], "manager"]:
        kids = t.loc[(t["level"] == "team") & (t["manager"] == m)]
        hid = kids.loc[kids["withheld"], "team"]
        if len(hid):
            assert (df["team"].isin(hid)).sum() >= k


def test_min_size_rules():
    assert check_min_size(3) == 3
    with pytest.raises(ValueError, match="at least 3"):
        check_min_size(2)
    with pytest.raises(TypeError, match="integer"):
        check_min_size(4.5)
    df = people({"M1": [5]})
    with pytest.raises(ValueError, match="at least 3"):
        safe_group_means(df, "engagement", ["team"], min_group_size=1)
    with pytest.raises(ValueError, match=r"'scor'.*Available columns"):
        safe_group_means(df, "scor", ["team"])
    with pytest.raises(ValueError, match="more than one 'manager'"):
        bad = df.assign(manager=["A", "B"] * 2 + ["A"])
        safe_group_means(bad, "engagement", ["manager", "team"])


def test_identifier_helpers():
    assert guess_id_columns(pd.DataFrame(columns=["employee_id", "team", "x", "Full_Name"])) == [
        "employee_id", "team", "Full_Name"]
    found, skipped = scan_for_identifiers(
        ["<td>EMP-40001</td>", "mean 3.4, n = 12"], ["EMP-40001", "EMP-40002", 7, 123456])
    assert found == ["EMP-40001"] and skipped == 1
    assert scan_for_identifiers(["id 123456."], [123456])[0] == ["123456"]
    assert scan_for_identifiers(["n = 1234567"], [123456])[0] == []


SPEC = """
[study]
title = "Engagement by team"
seed = 1

[privacy]
public_labels = ["manager", "team"]

[data.people]
file = "people.csv"

[[analysis]]
id = "means"
estimator = "report.group_means"
data = "people"
args = {{ value = "engagement", groups = ["manager", "team"] }}
{extra}
"""


def test_report_of_small_teams_has_no_ids_no_derivable_numbers_and_a_manifest(tmp_path):
    df = people({"M1": [3, 4, 5], "M2": [6, 7]})
    df.to_csv(tmp_path / "people.csv", index=False)
    (tmp_path / "study.toml").write_text(SPEC.format(extra=""))
    html_path, js_path = render_study(tmp_path / "study.toml", tmp_path / "out" / "r.html")
    html, js = html_path.read_text(), js_path.read_text()
    for eid in df["employee_id"]:
        assert eid not in html and eid not in js
    payload = json.loads(js)
    table = pd.DataFrame(payload["analyses"][0]["table"])
    table = table.rename(columns={"estimate": "mean"})
    assert derivable(table, ["manager", "team"]) == []
    # the small teams' own values appear nowhere (at the precision of the HTML or JSON)
    for team in ("M1-T1", "M1-T2"):
        true_mean = df.loc[df["team"] == team, "engagement"].mean()
        assert f"{true_mean:.3f}" not in html
        assert repr(true_mean) not in js
    manifest = payload["privacy"]["manifest"]
    items = " | ".join(m["item"] for m in manifest)
    assert "team=M1-T1" in items and "team=M1-T2" in items
    assert "team=M1-T1" in html and "Suppression manifest" in html
    assert payload["privacy"]["scan"]["found"] == 0
    assert payload["privacy"]["identifier_columns"] == {
        "people": ["employee_id", "manager", "team"]}
    assert payload["privacy"]["public_labels"] == ["manager", "team"]


def test_report_refuses_to_write_identifiers(tmp_path):
    df = people({"M1": [6]})
    df.to_csv(tmp_path / "people.csv", index=False)
    # grouping by the employee ID column would print every ID: refused, nothing written
    spec = SPEC.format(extra="").replace('groups = ["manager", "team"]', 'groups = ["employee_id"]')
    spec = spec.replace("[privacy]", "[privacy]\nmin_group_size = 3")
    (tmp_path / "study.toml").write_text(spec)
    with pytest.raises(PrivacyError, match=r"refuses to group by.*identifies individual people"):
        render_study(tmp_path / "study.toml", tmp_path / "out" / "r.html")
    assert not (tmp_path / "out" / "r.html").exists()


def test_spec_threshold_cannot_go_below_3_or_below_study(tmp_path):
    df = people({"M1": [6]})
    df.to_csv(tmp_path / "people.csv", index=False)
    from coachstats.report import StudySpecError

    (tmp_path / "study.toml").write_text(
        SPEC.format(extra="").replace("[privacy]", "[privacy]\nmin_group_size = 2"))
    with pytest.raises(StudySpecError, match="at least 3"):
        render_study(tmp_path / "study.toml", tmp_path / "r.html")
    (tmp_path / "study.toml").write_text(
        SPEC.format(extra="").replace('"team"] }', '"team"], min_size = 4 }'))
    with pytest.raises(StudySpecError, match=r"min_size = 4 is below.*privacy threshold"):
        render_study(tmp_path / "study.toml", tmp_path / "r.html")
