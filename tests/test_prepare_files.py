"""prepare.read and prepare.parse_dates: files and dates as HR systems export them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachstats import prepare

RAW = Path(__file__).resolve().parents[1] / "data" / "raw-examples"


def test_parse_dates_formats_blanks_and_excel_serials():
    d = prepare.parse_dates(["31/01/2024", "", None, "45382", "2024-02-29", 45000],
                            dayfirst=True)
    assert d.dt.strftime("%Y-%m-%d").tolist()[:1] == ["2024-01-31"]
    assert d.isna().tolist() == [False, True, True, False, False, False]
    assert d.iloc[3] == pd.Timestamp("2024-03-31")   # Excel serial 45382
    assert d.iloc[5] == pd.Timestamp("2023-03-15")
    us = prepare.parse_dates(["02/01/2024"], dayfirst=False)
    assert us.iloc[0] == pd.Timestamp("2024-02-01")
    # inferred when some day is above 12
    assert prepare.parse_dates(["02/01/2024", "25/12/2024"]).iloc[0] == pd.Timestamp("2024-01-02")
    assert prepare.parse_dates(["04.03.2024"], dayfirst=True).iloc[0] == pd.Timestamp("2024-03-04")


def test_parse_dates_errors_show_strings_as_in_file_and_ask_for_dayfirst():
    with pytest.raises(ValueError, match=r"could be day-first or month-first.*pass dayfirst=True"):
        prepare.parse_dates(["01/02/2024", "03/04/2024"])
    df = pd.DataFrame({"EmployeeID": ["E1", "E2", "E3"],
                       "HireDate": ["31/01/2024", "31/02/2024", "soon"]})
    with pytest.raises(ValueError) as e:
        prepare.parse_dates(df["HireDate"], dayfirst=True, column="HireDate", data=df,
                            keys=["EmployeeID"])
    msg = str(e.value)
    assert "column 'HireDate'" in msg and "row 3 (EmployeeID E2): '31/02/2024'" in msg
    assert "row 4 (EmployeeID E3): 'soon'" in msg
    assert "to_numeric" not in msg and "NaT" not in msg and "dropna" not in msg


def test_read_survey_export_bom_semicolon_trailing_rows():
    df = prepare.read(RAW / "engagement_survey.csv")
    assert df.columns[0] == "EmployeeID"          # no BOM in the first name
    assert list(df.columns[4:9]) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert all(pd.api.types.is_float_dtype(df[c]) for c in ["Q1", "Q2", "Q3", "Q4", "Q5"])
    assert df.iloc[-1].notna().sum() > 3          # trailing empty rows are gone
    assert df.index.equals(pd.RangeIndex(len(df)))


def test_read_cp1252_decimal_comma_and_xlsx_sheet():
    hr = prepare.read(RAW / "hr_tenure.csv")
    assert {"Zürich", "Malmö"} <= set(hr["Site"])
    roi = prepare.read(RAW / "roi_participants.csv")
    assert pd.api.types.is_float_dtype(roi["Participant time (EUR)"])
    assert roi["Travel (EUR)"].isna().any() and roi["Benefit (EUR)"].max() > 1000
    with pytest.raises(ValueError, match=r"several sheets \('Read me', 'Ratings'\).*"
                                         r"pass sheet='Read me'"):
        prepare.read(RAW / "feedback_360.xlsx")
    f = prepare.read(RAW / "feedback_360.xlsx", sheet="Ratings")
    assert list(f.columns[:4]) == ["LeaderID", "RaterID", "RaterGroup", "Wave"]


def _write(tmp_path, text: str, enc="utf-8", name="x.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(enc))
    return p


def test_read_refuses_what_it_cannot_read_safely(tmp_path):
    p = _write(tmp_path, "id,Cost,Cost\nA,1,2\n")
    with pytest.raises(ValueError, match=r"repeats column name\(s\) 'Cost'"):
        prepare.read(p)
    p = _write(tmp_path, 'id,Score\nA,"3,5"\nB,"4,0"\n')
    with pytest.raises(ValueError, match=r"'Score' holds numbers with decimal commas.*"
                                         r"pass decimal=','"):
        prepare.read(p)
    assert prepare.read(p, decimal=",")["Score"].tolist() == [3.5, 4.0]
    p = _write(tmp_path, "id,Score\nA,3\nB,4\nC,unknown\nD,5\nE,2\nF,1\n")
    with pytest.raises(ValueError, match=r"'Score' holds numbers but also text.*row 4: 'unknown'"):
        prepare.read(p)
    p = _write(tmp_path, "id;Attribution\nA;50%\nB;30%\n")
    with pytest.raises(ValueError, match="percentages written with a % sign"):
        prepare.read(p)
    p = _write(tmp_path, "id,x\nA,1\n,\nB,2\n")
    with pytest.raises(ValueError, match=r"row\(s\) 3 are empty between data rows"):
        prepare.read(p)
    p = _write(tmp_path, "Site;Cost\nZürich;1.234,5\nMalmö;12,0\n", enc="cp1252")
    df = prepare.read(p)
    assert df["Site"].tolist() == ["Zürich", "Malmö"]
    assert df["Cost"].tolist() == [1234.5, 12.0]


def test_read_keeps_column_names_exactly(tmp_path):
    p = _write(tmp_path, "Employee ID,SurveyDate,Q1\nE1,2024-01-02,3\n")
    df = prepare.read(p)
    assert df.columns.tolist() == ["Employee ID", "SurveyDate", "Q1"]
    with pytest.raises(ValueError, match=r"'surveydate' \(date=\).*'SurveyDate'"):
        prepare.waves(df, "surveydate", freq="QS")
    assert np.issubdtype(df["Q1"].dtype, np.integer)


def test_raw_examples_regenerate_from_their_seeds(tmp_path):
    from coachstats.simulate.raw_exports import write_raw_examples

    write_raw_examples(tmp_path)
    for name in ("engagement_survey.csv", "hr_tenure.csv", "roi_participants.csv",
                 "engagement_survey.truth.json", "hr_tenure.truth.json",
                 "roi_participants.truth.json", "feedback_360.truth.json"):
        assert (tmp_path / name).read_bytes() == (RAW / name).read_bytes(), name
    a = prepare.read(tmp_path / "feedback_360.xlsx", sheet="Ratings")
    pd.testing.assert_frame_equal(a, prepare.read(RAW / "feedback_360.xlsx", sheet="Ratings"))


def test_read_refuses_a_header_repeated_mid_file(tmp_path):
    # two pages of an export joined: the second page starts with the header again
    page = "EmployeeID,TeamID,SurveyDate,Q1\n"
    rows1 = "".join(f"E{i},T1,2024-01-2{i},{i % 5 + 1}\n" for i in range(4))
    rows2 = "".join(f"E{i},T2,2024-04-2{i},{i % 4 + 1}\n" for i in range(4, 7))
    p = tmp_path / "paged.csv"
    p.write_text(page + rows1 + page + rows2 + page.replace("Q1", " Q1 ") + "E9,T3,,\n",
                 encoding="utf-8")
    with pytest.raises(ValueError) as e:
        prepare.read(p)
    msg = str(e.value)
    # header = row 1, four data rows (2-5), the repeat at row 6; three more, the repeat at 10
    assert "repeated at row(s) 6, 10 (header = row 1)" in msg and "paged.csv" in msg
    assert "delete them" in msg
    # the same on ;-separated files with decimal commas, and a header with blanks in a row
    q = tmp_path / "paged_semicolon.csv"
    q.write_text("ID;Cost;Note\nP1;12,5;x\nID;Cost;\nP2;3,0;y\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"repeated at row\(s\) 3 "):
        prepare.read(q)
    # an .xlsx sheet with the header repeated after its first page
    x = tmp_path / "paged.xlsx"
    sheet = pd.DataFrame({"ID": ["P1", "P2", "ID", "P3"], "Score": [3, 4, "Score", 5]})
    sheet.to_excel(x, sheet_name="Export", index=False)
    with pytest.raises(ValueError, match=r"repeated at row\(s\) 4 \(header = row 1\)"):
        prepare.read(x, sheet="Export")
    # a data row that merely contains a column's name once is data, not a header
    ok = tmp_path / "ok.csv"
    ok.write_text("Name,Role\nAda,Role\nBob,Lead\n", encoding="utf-8")
    assert prepare.read(ok)["Role"].tolist() == ["Role", "Lead"]
