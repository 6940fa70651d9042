"""Property test: random hierarchies with repeated waves and random column names.

Whatever the columns are called, no published cell, and no sum of withheld cells that
follows from the published ones by addition and subtraction, rests on fewer than
``min_group_size`` distinct people; and no identifier value appears in the output.
"""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachstats.privacy import detect_identifiers, pseudonyms, safe_group_means
from coachstats.report.privacy import scan_for_identifiers

PERSON = ["EmployeeID", "employee_id", "Emp ID", "Worker ID", "participant", "PersonNumber",
          "respondent", "Staff No"]
MANAGER = ["ManagerID", "manager", "Supervisor", "mgr_id", "Line Manager"]
TEAM = ["TeamID", "team", "Team Code", "squad"]
VALUE = ["Engagement", "score", "eNPS", "q1"]
WAVE = ["Wave", "survey_date", "quarter", "Period"]
SEED = 17


@st.composite
def hr_data(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cols = {"person": draw(st.sampled_from(PERSON)), "manager": draw(st.sampled_from(MANAGER)),
            "team": draw(st.sampled_from(TEAM)), "value": draw(st.sampled_from(VALUE)),
            "wave": draw(st.sampled_from(WAVE))}
    teams = []  # (manager id, team id)
    for m in range(draw(st.integers(1, 3))):
        for t in range(draw(st.integers(1, 3))):
            teams.append((f"MGR-{4100 + m}", f"TEAM-{7300 + 10 * m + t}"))
    sizes = [draw(st.integers(1, 8)) for _ in teams]
    move = draw(st.floats(0, 0.3))
    rows, eid = [], 50000
    for (mgr, team), size in zip(teams, sizes, strict=True):
        for _ in range(size):
            eid += 1
            for w in range(1, int(rng.integers(1, 5)) + 1):
                at = teams[int(rng.integers(len(teams)))] if rng.random() < move else (mgr, team)
                rows.append({cols["person"]: f"E{eid}", cols["manager"]: at[0],
                             cols["team"]: at[1], cols["wave"]: w,
                             cols["value"]: float(rng.normal(3.5, 0.7))})
    df = pd.DataFrame(rows)
    k = draw(st.integers(3, 6))
    levels = draw(st.sampled_from([["manager", "team"], ["team"], ["manager"]]))
    named = draw(st.booleans())
    return df, cols, [cols[c] for c in levels], k, named


def _leaf_people(df, groups, person):
    keys = sorted(map(tuple, df[groups].drop_duplicates().itertuples(index=False)), key=str)
    people = [set(df.loc[np.logical_and.reduce([df[g] == v for g, v in zip(groups, key,
                                                                            strict=True)]),
                         person]) for key in keys]
    return keys, people


def check_case(case):
    df, cols, groups, k, named = case
    person = cols["person"]
    before = df.copy()
    res = safe_group_means(df, cols["value"], groups, min_group_size=k,
                           person=person if named else None, rng=SEED)
    pd.testing.assert_frame_equal(df, before)
    assert res.person == person  # detected by name when not given
    # map pseudonyms back to the raw labels (the analyst can: same data, same seed)
    ids = detect_identifiers(df)
    back = {}
    for g in groups:
        back[g] = {v: raw for raw, v in pseudonyms(df[g].tolist(), ids.prefix(g),
                                                   rng=SEED).items()}
    t = res.table.copy()
    for g in groups:
        t[g] = t[g].map(lambda v, g=g: back[g].get(v))
    leaf_keys, leaf_people = _leaf_people(df, groups, person)
    # every published cell holds >= k distinct people, and its n is that count
    published = []
    for _, r in t.loc[~t["withheld"]].iterrows():
        depth = 0 if r["level"] == "overall" else groups.index(r["level"]) + 1
        key = tuple(r[g] for g in groups[:depth])
        under = [i for i, lk in enumerate(leaf_keys) if lk[:depth] == key]
        n = len(set().union(*(leaf_people[i] for i in under)))
        assert n >= k and r["n"] == n
        published.append([float(i in under) for i in range(len(leaf_keys))])
    # no union of withheld leaves with 1..k-1 people follows from the published cells
    leaf_rows = t.loc[t["level"] == groups[-1]].reset_index(drop=True)
    withheld = {tuple(r[g] for g in groups) for _, r in leaf_rows.iterrows() if r["withheld"]}
    hidden = [i for i, lk in enumerate(leaf_keys) if lk in withheld]
    A = np.array(published) if published else np.zeros((0, len(leaf_keys)))
    rank = np.linalg.matrix_rank(A) if len(A) else 0
    for size in range(1, len(hidden) + 1):
        for combo in combinations(hidden, size):
            n = len(set().union(*(leaf_people[i] for i in combo)))
            if n >= k:
                continue
            v = np.zeros(len(leaf_keys))
            v[list(combo)] = 1.0
            assert np.linalg.matrix_rank(np.vstack([A, v])) > rank, (combo, n)
    # no identifier value (people, managers, teams) appears in what the result shows
    text = [res.to_frame().to_csv(), res.summary(), "\n".join(res.notes)]
    raw = [*df[person].unique(), *df[cols["manager"]].unique(), *df[cols["team"]].unique()]
    assert scan_for_identifiers(text, raw)[0] == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hr_data())
def test_no_published_number_rests_on_fewer_than_k_people(case):
    check_case(case)


@pytest.mark.slow
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hr_data())
def test_no_published_number_rests_on_fewer_than_k_people_many(case):
    check_case(case)
