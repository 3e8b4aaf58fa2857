"""The recommendations register and the interventions log: reading CSV and XLSX, the report
table and summary, and bad input named by file, line, column and value.

Fixture files are written by the tests. Expected values are worked out here from the raw
rows (Python dates and the written statuses), not copied from the code's output.
"""

from __future__ import annotations

import csv
import os
import string
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commsafe.errors import FileFormatError, InputError
from commsafe.profiles.interventions import evaluate_intervention
from commsafe.sources.registers import (
    read_interventions,
    read_recommendations,
    register_table,
    status_summary,
)

REC_HEADER = ["id", "date", "document", "theme", "text", "owner", "status", "due date", "update"]
INT_HEADER = ["id", "what", "area", "start", "end", "comparison area", "categories",
              "window months"]


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Register"
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def uk(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def fin_quarter(d: date) -> str:
    """Financial quarter label worked out by hand: the year starts in April."""
    start_year = d.year if d.month >= 4 else d.year - 1
    q = (d.month - 4) % 12 // 3 + 1
    return f"{start_year}/{(start_year + 1) % 100:02d} Q{q}"


# The six-row register: (id, date, how the date is written, status as written, due).
AS_OF = date(2024, 9, 30)
RAW = [
    ("R10", date(2024, 4, 1), "iso", "  in PROGRESS ", date(2024, 9, 1)),    # overdue
    ("R2", date(2024, 4, 1), "uk", "Completed", date(2024, 6, 1)),           # done, not overdue
    ("R1", date(2024, 3, 31), "uk", "OPEN", date(2024, 9, 30)),              # due on as_of
    ("R3", date(2023, 12, 5), "iso", "not_started", None),                  # no due date
    ("R4", date(2024, 7, 15), "uk", "SUPERSEDED", date(2024, 1, 1)),         # finished
    ("R5", date(2025, 1, 2), "iso", "Overdue", date(2025, 6, 1)),            # marked overdue
]
NORMAL = {"in progress": "In progress", "completed": "Complete", "open": "Open",
          "not_started": "Not started", "superseded": "Superseded", "overdue": "Overdue"}
FINISHED = {"Complete", "Closed", "Superseded"}


def written(d: date, form: str) -> str:
    return d.isoformat() if form == "iso" else uk(d)


def expected_overdue(status: str, due: date | None, as_of: date) -> bool:
    if status in FINISHED:
        return False
    return status == "Overdue" or (due is not None and due < as_of)


@pytest.fixture
def register_csv(tmp_path: Path) -> Path:
    rows = [REC_HEADER]
    for ident, made, form, status, due in RAW:
        rows.append([ident, written(made, form), "SA 2023", f"Theme {ident}",
                     f"Do {ident}, with care", "CSP board", status,
                     "" if due is None else written(due, "uk" if form == "iso" else "iso"),
                     ""])
    return write_csv(tmp_path / "register.csv", rows)


# --------------------------------------------------------------------------- register


def test_register_rows_are_read_with_lines(register_csv: Path) -> None:
    reg = read_recommendations(register_csv)
    assert len(reg) == 6
    assert [r.id for r in reg] == [r[0] for r in RAW]
    assert [r.date for r in reg] == [r[1] for r in RAW]
    assert [r.due for r in reg] == [r[4] for r in RAW]
    assert [r.status for r in reg] == [NORMAL[r[3].strip().lower()] for r in RAW]
    assert [r.line for r in reg] == list(range(2, 8))
    assert reg.items[0].text == "Do R10, with care" and reg.items[0].update == ""


def test_register_table_quarters_overdue_and_order(register_csv: Path) -> None:
    table = register_table(read_recommendations(register_csv), as_of=AS_OF)
    assert list(table.columns) == ["id", "date", "quarter", "document", "theme",
                                   "recommendation", "owner", "status", "due", "overdue",
                                   "update"]
    by_id = table.set_index("id")
    # the boundary of the financial year, spelled out
    assert by_id.loc["R1", "quarter"] == "2023/24 Q4"   # 31 March 2024
    assert by_id.loc["R10", "quarter"] == "2024/25 Q1"  # 1 April 2024
    for ident, made, _, status, due in RAW:
        assert by_id.loc[ident, "quarter"] == fin_quarter(made)
        norm = NORMAL[status.strip().lower()]
        assert by_id.loc[ident, "overdue"] == expected_overdue(norm, due, AS_OF), ident
    assert table["overdue"].dtype == bool
    # one item is overdue by its due date; one more because it is marked Overdue
    assert list(table.loc[table["overdue"], "id"]) == ["R10", "R5"]
    # by date, then id with numbers compared as numbers (R2 before R10)
    expected = sorted(RAW, key=lambda r: (r[1], int(r[0][1:])))
    assert list(table["id"]) == [r[0] for r in expected]


def test_register_table_since_and_as_of(register_csv: Path) -> None:
    reg = read_recommendations(register_csv)
    since = date(2024, 4, 1)
    table = register_table(reg, as_of=AS_OF, since=since)
    assert sorted(table["id"]) == sorted(r[0] for r in RAW if r[1] >= since)
    # a day later, the item due on AS_OF becomes overdue
    later = register_table(reg, as_of=AS_OF + timedelta(days=1)).set_index("id")
    assert bool(later.loc["R1", "overdue"]) is True
    empty = register_table(reg, as_of=AS_OF, since=date(2030, 1, 1))
    assert empty.empty and "quarter" in empty.columns


def test_status_summary_recounted_from_raw_rows(register_csv: Path) -> None:
    reg = read_recommendations(register_csv)
    for as_of in (AS_OF, date(2024, 1, 1), date(2026, 1, 1)):
        summary = status_summary(reg, as_of)
        counts = Counter(NORMAL[r[3].strip().lower()] for r in RAW)
        overdue = Counter(NORMAL[r[3].strip().lower()] for r in RAW
                          if expected_overdue(NORMAL[r[3].strip().lower()], r[4], as_of))
        got = {row.status: (row.count, row.overdue) for row in summary.itertuples()}
        assert got == {s: (n, overdue[s]) for s, n in counts.items()}
        assert summary["count"].sum() == len(RAW)


def test_xlsx_register_with_real_excel_dates(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "register.xlsx", [
        ["ID", "Date", "Theme", "Text", "Status", "Due_Date", None, None],
        [7, datetime(2024, 3, 31), "Violence", "Fund a navigator", "Closed", None],
        [None, None, None, None, None, None],
        ["R8", "01/04/2024", "ASB", "Map hotspots", "in progress", datetime(2024, 5, 1, 0, 0)],
    ])
    reg = read_recommendations(path)
    assert [(r.id, r.date, r.due, r.line) for r in reg] == [
        ("7", date(2024, 3, 31), None, 2), ("R8", date(2024, 4, 1), date(2024, 5, 1), 4)]
    assert reg.items[0].document == reg.items[0].owner == ""
    table = register_table(reg, as_of=date(2024, 6, 1))
    assert list(table["quarter"]) == ["2023/24 Q4", "2024/25 Q1"]
    assert list(table["overdue"]) == [False, True]


def test_xlsx_errors_name_sheet_and_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "reg.xlsx", [
        ["id", "date", "theme", "text", "status"],
        ["R1", datetime(2024, 1, 1), "T", "x", "open"],
        [None],
        ["R2", 45413, "T", "x", "open"],
    ])
    with pytest.raises(InputError) as err:
        read_recommendations(path)
    msg = str(err.value)
    assert "reg.xlsx" in msg and "sheet 'Register'" in msg and "row 4" in msg
    assert "45413" in msg and "Date" in msg


def test_bom_trailing_columns_blank_rows_and_multiline_cells(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    text = ("Id,Date,Theme,Text,Status,Due Date,,\r\n"
            ",,,,,,,\r\n"
            'R1,2024-05-01,T,"two\r\nlines",Open,,,\r\n'
            "   ,  ,,,,,,\r\n"
            "R1,2024-05-02,T,x,Open,,,\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with pytest.raises(InputError) as err:
        read_recommendations(path)
    # R1 starts on line 3 (its text runs onto line 4); the duplicate is on line 6
    msg = str(err.value)
    assert "excel.csv" in msg and "lines 3 and 6" in msg and "'R1'" in msg
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("R1,2024-05-02", "R2,2024-05-02")
                     .encode("utf-8"))
    reg = read_recommendations(path)
    assert [(r.id, r.line, r.text) for r in reg] == [("R1", 3, "two\r\nlines"),
                                                    ("R2", 6, "x")]


# --------------------------------------------------------------------------- interventions


def test_interventions_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "log.csv", [
        ["ID", "What", "Area", "Start", "End", "Comparison_Area", "Categories",
         "Window Months"],
        ["I1", "Street lighting", "Market ward", "01/03/2024", "2024-08-31", "Castle ward",
         "burglary; violent crime ;Anti-social behaviour;", "3"],
        ["I2", "PSPO", "Town centre", "2024-06-10", "", "", "", ""],
    ], bom=True)
    log = read_interventions(path)
    one, two = log.items
    assert (one.id, one.start, one.end, one.comparison_area, one.window_months, one.line) == (
        "I1", date(2024, 3, 1), date(2024, 8, 31), "Castle ward", 3, 2)
    assert one.categories == ("Burglary", "Violence and sexual offences",
                              "Anti-social behaviour")
    assert (two.end, two.comparison_area, two.categories, two.window_months) == (
        None, None, (), 6)


def test_intervention_evaluate_uses_start_and_window(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "log.xlsx", [
        ["id", "what", "area", "start", "window months"],
        ["I1", "Patrols", "A", datetime(2024, 3, 1), 2],
    ])
    item = read_interventions(path).items[0]
    events = pd.DataFrame({"month": [date(2024, m, 1) for m in range(1, 6)],
                           "count": [10, 12, 99, 4, 5]})
    assert item.evaluate(events) == evaluate_intervention(events, date(2024, 3, 1),
                                                          window_months=2)
    assert (item.evaluate(events).before, item.evaluate(events).after) == (22, 9)


# --------------------------------------------------------------------------- bad input

REC_OK = ["R1", "2024-05-01", "", "Theme", "Text", "", "Open", "", ""]


def rec_file(tmp_path: Path, *rows: list[str], header: list[str] = REC_HEADER) -> Path:
    return write_csv(tmp_path / "recs.csv", [header, REC_OK, *rows])


def with_(**changes: str) -> list[str]:
    row = list(REC_OK)
    row[0] = "R2"
    for key, value in changes.items():
        row[REC_HEADER.index(key.replace("_", " "))] = value
    return row


@pytest.mark.parametrize(("row", "column", "value", "fix"), [
    (with_(status="Done"), "status", "Done", "'in progress'"),
    (with_(status="complet"), "status", "complet", "Did you mean 'complete'"),
    (with_(date="2024/05/01"), "date", "2024/05/01", "DD/MM/YYYY"),
    (with_(date="05/13/2024"), "date", "05/13/2024", "day/month/year"),
    (with_(date="1 May 2024"), "date", "1 May 2024", "YYYY-MM-DD"),
    (with_(date="2024-02-30"), "date", "2024-02-30", "no such date"),
    (with_(date="01/05/24"), "date", "01/05/24", "DD/MM/YYYY"),
    (with_(due_date="soon"), "due date", "soon", "YYYY-MM-DD"),
])
def test_bad_values_name_file_line_column_value(tmp_path: Path, row: list[str], column: str,
                                                value: str, fix: str) -> None:
    path = rec_file(tmp_path, row)
    with pytest.raises(InputError) as err:
        read_recommendations(path)
    msg = str(err.value)
    assert "recs.csv" in msg and "line 3" in msg and f"column '{column}'" in msg
    assert repr(value) in msg and fix in msg


@pytest.mark.parametrize("column", ["id", "date", "theme", "text", "status"])
def test_blank_required_value(tmp_path: Path, column: str) -> None:
    row = with_(**{column.replace(" ", "_"): "  "})
    path = rec_file(tmp_path, row)
    with pytest.raises(InputError) as err:
        read_recommendations(path)
    msg = str(err.value)
    assert "recs.csv" in msg and "line 3" in msg and f"column '{column}'" in msg
    assert "empty" in msg


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = rec_file(tmp_path, with_(), with_(), ["r1", *REC_OK[1:]])
    with pytest.raises(InputError) as err:
        read_recommendations(path)
    msg = str(err.value)
    assert "recs.csv" in msg and "lines 3 and 4" in msg and "'R2'" in msg
    path = rec_file(tmp_path, ["r1", *REC_OK[1:]])
    with pytest.raises(InputError, match=r"lines 2 and 3 .*only in case \('R1'\)") as err:
        read_recommendations(path)
    assert "'r1'" in str(err.value)


def test_missing_columns_listed_with_those_found(tmp_path: Path) -> None:
    header = ["Ref", "Date", "Theme", "Recommendation", "Stauts", "Owner"]
    path = write_csv(tmp_path / "recs.csv", [header, ["R1", "2024-05-01", "T", "x", "Open", ""]])
    with pytest.raises(FileFormatError) as err:
        read_recommendations(path)
    msg = str(err.value)
    assert "recs.csv" in msg and "line 1" in msg
    for missing in ("'id'", "'text'", "'status'"):
        assert missing in msg
    for found in header:
        assert repr(found) in msg
    assert "'Stauts' meant to be 'status'" in msg


def test_value_past_the_header_is_an_unquoted_comma(tmp_path: Path) -> None:
    path = tmp_path / "recs.csv"
    path.write_text("id,date,theme,text,status\nR1,2024-05-01,T,x,Open\n"
                    "R2,2024-05-01,T,Tackle drugs, and knives,Open\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_recommendations(path)
    msg = str(err.value)
    assert "recs.csv" in msg and "line 3" in msg and "'Open'" in msg and "double quotes" in msg


def test_unknown_crime_type_suggests_closest(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "log.csv", [
        INT_HEADER,
        ["I1", "x", "A", "2024-01-01", "", "", "Burglary", ""],
        ["I2", "x", "A", "2024-01-01", "", "", "Burglary;Shop lifting", ""],
    ])
    with pytest.raises(InputError) as err:
        read_interventions(path)
    msg = str(err.value)
    assert "log.csv" in msg and "line 3" in msg and "column 'categories'" in msg
    assert "'Shop lifting'" in msg and "closest is 'Shoplifting'" in msg


def test_commas_between_crime_types(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "log.csv", [
        INT_HEADER, ["I1", "x", "A", "2024-01-01", "", "", "Burglary, Robbery", ""]])
    with pytest.raises(InputError, match=r"line 2.*'Burglary, Robbery'.*not ','"):
        read_interventions(path)


@pytest.mark.parametrize(("column", "value", "fix"), [
    ("window months", "six", "whole number"),
    ("window months", "0", "whole number"),
    ("window months", "2.5", "whole number"),
    ("end", "2023-12-31", "before the start"),
    ("comparison area", " a ", "the same as the area"),
    ("start", "2024-13-01", "no such date"),
])
def test_bad_intervention_values(tmp_path: Path, column: str, value: str, fix: str) -> None:
    row = ["I1", "x", "A", "2024-01-01", "", "", "", ""]
    row[INT_HEADER.index(column)] = value
    path = write_csv(tmp_path / "log.csv", [INT_HEADER, ["I0", "y", "B", "2024-01-01"], row])
    with pytest.raises(InputError) as err:
        read_interventions(path)
    msg = str(err.value)
    assert "log.csv" in msg and "line 3" in msg and f"column '{column}'" in msg
    assert repr(value.strip()) in msg and fix in msg


@pytest.mark.parametrize(("name", "data", "fix"), [
    ("recs.txt", b"id,date\n", "not a CSV or XLSX"),
    ("recs.xls", b"\xd0\xcf\x11\xe0", "save it as .xlsx"),
    ("recs", b"id,date\n", "no extension"),
    ("recs.csv", b"", "the file is empty"),
    ("recs.csv", b"\xef\xbb\xbf\r\n\r\n", "the file is empty"),
    ("recs.csv", b"id,date,theme,text,status\r\n,,,,\r\n", "header but no rows"),
    ("recs.csv", b"\r\nid,date,theme,text,status\r\n", "line 1: the first line is blank"),
    ("recs.csv", b"PK\x03\x04rest", "Excel workbook with a .csv name"),
    ("recs.csv", b"id,date,theme,text,status\nR1,2024-05-01,T,caf\xe9,Open\n", "not UTF-8"),
    ("recs.xlsx", b"id,date,theme,text,status\n", "cannot read this workbook"),
])
def test_files_that_cannot_be_read(tmp_path: Path, name: str, data: bytes, fix: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(FileFormatError) as err:
        read_recommendations(path)
    assert name in str(err.value) and fix in str(err.value)


def test_empty_workbook_and_blank_first_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "empty.xlsx", [])
    with pytest.raises(FileFormatError, match=r"empty\.xlsx.*first sheet is empty"):
        read_interventions(path)
    path = write_xlsx(tmp_path / "gap.xlsx", [[None], INT_HEADER])
    with pytest.raises(FileFormatError, match=r"gap\.xlsx.*row 1.*first row is blank"):
        read_interventions(path)


def test_missing_folder_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.csv: no such file"):
        read_recommendations(tmp_path / "nope.csv")
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(InputError, match=r"dir\.csv: this is a folder"):
        read_interventions(folder)
    if os.name == "posix" and os.geteuid() == 0:
        return  # root reads anything
    locked = rec_file(tmp_path)
    locked.chmod(0)
    try:
        with pytest.raises(InputError, match=r"recs\.csv: cannot read the file"):
            read_recommendations(locked)
    finally:
        locked.chmod(0o644)


def test_as_of_must_be_a_date(register_csv: Path) -> None:
    reg = read_recommendations(register_csv)
    with pytest.raises(InputError, match="as_of '2024-01-01' is not a date"):
        register_table(reg, as_of="2024-01-01")  # type: ignore[arg-type]
    # a datetime is taken as its day
    assert status_summary(reg, datetime(2024, 9, 30, 23, 0)).equals(status_summary(reg, AS_OF))


# --------------------------------------------------------------------------- properties

_STATUS_SPELLINGS = ["open", "in progress", "in_progress", "complete", "completed", "closed",
                     "overdue", "not started", "superseded"]
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl",
                                                                        "Zp")),
                min_size=1, max_size=20).map(str.strip).filter(bool)


@st.composite
def registers(draw: st.DrawFn) -> list[tuple[str, date, str, str, date | None, str]]:
    n = draw(st.integers(1, 8))
    ids = draw(st.lists(st.text(string.ascii_letters + string.digits + "-/ ", min_size=1,
                                max_size=8).map(str.strip).filter(bool),
                        min_size=n, max_size=n, unique_by=str.casefold))
    rows = []
    for ident in ids:
        made = draw(st.dates(date(1990, 1, 1), date(2100, 12, 31)))
        form = draw(st.sampled_from(["iso", "uk"]))
        status = draw(st.sampled_from(_STATUS_SPELLINGS))
        status = "".join(c.upper() if draw(st.booleans()) else c for c in status)
        due = draw(st.none() | st.dates(date(1990, 1, 1), date(2100, 12, 31)))
        rows.append((ident, made, form, status, due, draw(_TEXT)))
    return rows


@settings(max_examples=60, deadline=None)
@given(rows=registers())
def test_random_registers_round_trip(tmp_path_factory: pytest.TempPathFactory,
                                     rows: list[tuple[str, date, str, str, date | None, str]]
                                     ) -> None:
    path = tmp_path_factory.mktemp("reg") / "register.csv"
    write_csv(path, [REC_HEADER] + [
        [ident, written(made, form), "", "Theme", text, "", status,
         "" if due is None else written(due, form), text]
        for ident, made, form, status, due, text in rows])
    reg = read_recommendations(path)
    assert [r.id for r in reg] == [r[0] for r in rows]
    assert [r.date for r in reg] == [r[1] for r in rows]
    assert [r.due for r in reg] == [r[4] for r in rows]
    assert [r.text for r in reg] == [r[5] for r in rows]
    spelled = {"completed": "complete", "in_progress": "in progress"}
    assert [r.status.lower() for r in reg] == [
        spelled.get(r[3].lower(), r[3].lower()) for r in rows]
    assert len(register_table(reg, as_of=date(2050, 1, 1))) == len(rows)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300) | st.text(",\n\r\"id dtestau\xe9\ufeff;0123456789/-",
                                               max_size=200).map(str.encode))
def test_any_bytes_read_or_raise_input_error(tmp_path_factory: pytest.TempPathFactory,
                                             data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "any.csv"
    path.write_bytes(b"id,date,theme,text,status\n" + data)
    try:
        read_recommendations(path)
    except InputError as exc:
        assert "any.csv" in str(exc)
