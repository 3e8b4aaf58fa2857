"""Text from data never becomes a formula or a link in the tables commsafe writes: XLSX cells
from data are strings, and CSV text cells a spreadsheet would run as a formula start with '
(OWASP's advice on CSV injection). Numbers, negative ones included, are left alone."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from commsafe.cli import main
from commsafe.findings import Finding, findings_file_text, read_findings_file
from commsafe.outputs import tables
from commsafe.outputs.tables import to_csv
from commsafe.outputs.workbook import WorkbookTable, write_workbook
from commsafe.store import Store

#: a counts file trims its cells, so the tab and CR cases are tested on the writers directly
FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)"]
HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\ry"]


def _cells(path: Path) -> list[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(path)
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None]


def test_the_rule() -> None:
    for text in HOSTILE:
        assert tables.csv_safe(text) == "'" + text
        assert tables.csv_unsafe(str(tables.csv_safe(text))) == text
    for plain in ("-12.5", "+3", "-4%", "-1,234", "No calc", "Burglary", "", "'=x"):
        assert tables.csv_safe(plain) == plain
    assert tables.csv_safe(-3) == -3 and tables.csv_safe(2.5) == 2.5
    assert tables.csv_safe("-") == "'-"  # a lone sign is not a number


def test_counts_file_to_xlsx_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    """The issue's case: a counts file whose categories are formulas, through
    `commsafe table performance --counts … --format xlsx|csv`."""
    counts = tmp_path / "c.csv"
    with counts.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["category", "period", "count"])
        for i, cat in enumerate(FORMULAS):
            w.writerow([cat, "2017/18", 20 + i])
            w.writerow([cat, "2018/19", 10 + i])  # falls: negative changes
    book = tmp_path / "t.xlsx"
    assert main(["table", "performance", "--counts", str(counts), "--format", "xlsx",
                 "--out", str(book)]) == 0
    cells = _cells(book)
    assert all(c.data_type != "f" for c in cells), [c.value for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for cat in FORMULAS:
        assert cat in texts, cat  # the text, as text
    assert not any(ws._hyperlinks for ws in openpyxl.load_workbook(book).worksheets)
    numbers = [c.value for c in cells if isinstance(c.value, int | float)]
    assert -10 in numbers  # the change of each category is a number, negative

    out = tmp_path / "t.csv"
    assert main(["table", "performance", "--counts", str(counts), "--format", "csv",
                 "--out", str(out)]) == 0
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cats = [r["category"] for r in rows]
    for cat in FORMULAS:
        assert "'" + cat in cats, cat
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cats)
    changes = [r["change"] for r in rows if r["category"] != "All crime"]
    assert changes and all(c == "-10" for c in changes)  # numbers untouched


def test_build_workbook_writes_text_as_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"category": HOSTILE, "count": [1, 2, 3, 4, 5, 6]})
    path = write_workbook(tmp_path / "w.xlsx", [WorkbookTable(
        "=sheet", frame, title='=HYPERLINK("http://evil","t")', notes=["=1+1"],
        sources=["@source"])])
    cells = _cells(path)
    assert all(c.data_type != "f" for c in cells)
    values = {c.value for c in cells}
    assert '=HYPERLINK("http://evil","t")' in values and "=1+1" in values
    assert {1, 2, 3, 4, 5, 6} <= values


def test_published_csv_escapes_text_not_numbers() -> None:
    """The writer of a build's data/*.csv."""
    frame = pd.DataFrame({"area_name": ["=cmd|' /C calc'!A0", "Leeds"],
                          "change": [-5, 3], "pct_change": [-12.5, 4.0]})
    rows = list(csv.reader(io.StringIO(to_csv(frame))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0" and rows[2][0] == "Leeds"
    assert rows[1][1:] == ["-5", "-13"]  # % change to whole numbers, a plain negative


def test_the_findings_file_round_trips(tmp_path: Path) -> None:
    """The findings file is written for spreadsheets and read back: a finding whose text
    starts with '=' is escaped on disk and read back as the analyst wrote it."""
    auto = [Finding("f1", "=2+2 is not a finding", "", "summary", "summary")]
    text = findings_file_text(auto, [])
    assert "'=2+2 is not a finding" in text
    path = tmp_path / "findings.csv"
    path.write_text(text, encoding="utf-8")
    (row,) = read_findings_file(path)
    assert row.text == "=2+2 is not a finding"


def test_a_cell_reference_is_not_a_number() -> None:
    """``-e5`` has no digits before its exponent: a spreadsheet reads it as ``=-E5``."""
    for ref in ("-e5", "+E10", "-e5%", "+.e1", "-1,2", "-1,,,", "-1e", "- 1"):
        assert tables.csv_safe(ref) == "'" + ref, ref
    for number in ("-1e5", "-.5", "+0.25", "-1,234,567.5", "-12,345%", "-0"):
        assert tables.csv_safe(number) == number, number


def test_tab_and_cr_through_the_csv_writer() -> None:
    """The two cases a counts file cannot carry (it trims cells), through ``to_csv``."""
    frame = pd.DataFrame({"category": ["\tx", "\ry", "-2+3", "Burglary"],
                          "count": [-1, 0, 7, 12], "change": [-12.5, 2.25, -3.0, 0.5]})
    text = to_csv(frame)
    assert "\r" not in text.replace('"\'\ry"', "")  # the one CR is inside quotes
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["category", "count", "change"]
    assert [r[0] for r in rows[1:]] == ["'\tx", "'\ry", "'-2+3", "Burglary"]
    assert [r[1] for r in rows[1:]] == ["-1", "0", "7", "12"]
    assert [r[2] for r in rows[1:]] == ["-12.500", "2.250", "-3", "0.500"]


def test_a_header_from_data_is_escaped() -> None:
    frame = pd.DataFrame({"=1+1": [1], "@x": ["a"]})
    assert next(csv.reader(io.StringIO(to_csv(frame)))) == ["'=1+1", "'@x"]


def test_frames_handed_to_pandas() -> None:
    """The hotspot and density CSVs go through pandas' writer after ``csv_safe_frame``."""
    frame = pd.DataFrame({"area_code": pd.Categorical(["=A", "E01"]),
                          "label": pd.array(["@x", None], dtype="string"),
                          "z": [-1.5, 2.0], "n": [-3, 4]})
    buf = io.StringIO()
    tables.csv_safe_frame(frame).to_csv(buf, index=False)
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows[1:] == [["'=A", "'@x", "-1.5", "-3"], ["E01", "", "2.0", "4"]]
    assert frame["area_code"].tolist() == ["=A", "E01"]  # the frame itself is not changed


def test_a_carriage_return_inside_a_cell_is_quoted(tmp_path: Path) -> None:
    """A bare CR ends a row in a spreadsheet: ``x\r=1+1`` unquoted would put ``=1+1`` at
    the start of a row. Python's and pandas' writers leave it unquoted with ``\n`` rows."""
    hostile = "x\r=1+1"
    frame = pd.DataFrame({"area_code": [hostile, "E01"], "z": [-1.5, 2.0]})
    written_path = tables.frame_to_csv(frame, tmp_path / "f.csv")
    with written_path.open(encoding="utf-8", newline="") as fh:
        written = fh.read()
    for text in (to_csv(frame), written):
        assert '"x\r=1+1"' in text
        assert text.count("\n") == 3 and text.endswith("\n") and "\r\n" not in text
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert [r[0] for r in rows] == ["area_code", hostile, "E01"]
    assert tables.frame_to_csv(frame.iloc[1:], tmp_path / "g.csv").read_text(
        encoding="utf-8") == "area_code,z\nE01,2.0\n"  # pandas' own form otherwise
    auto = [Finding("f1", "two lines\r=1+1", "", "summary", "summary")]
    path = tmp_path / "findings.csv"
    path.write_text(findings_file_text(auto, []), encoding="utf-8", newline="")
    (row,) = read_findings_file(path)  # one finding, not a second row starting "=1+1"
    assert row.text.splitlines() == ["two lines", "=1+1"]  # (read with universal newlines)


def test_hotspot_csv(tmp_path: Path) -> None:
    from commsafe.spatial.hotspots import HotspotResult

    frame = pd.DataFrame({"area_code": ['=HYPERLINK("http://evil","x")', "E01000001"],
                          "count": [3, 4], "z": [-2.75, 1.0], "class": ["cold", "-"]})
    path = HotspotResult(frame=frame, notes=[], params={"kind": "areas"}).to_csv(
        tmp_path / "h.csv")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[1] == ['\'=HYPERLINK("http://evil","x")', "3", "-2.75", "cold"]
    assert rows[2] == ["E01000001", "4", "1.0", "'-"]


def test_publisher_writes_data_csv_and_workbook_as_text(tmp_path: Path) -> None:
    """``Publisher.table``: a build's ``data/<name>.csv`` escaped, its sheet written as text."""
    from commsafe.disclosure import DisclosureRules
    from commsafe.report.publish import Publisher

    frame = pd.DataFrame({"category": [*FORMULAS, "All crime"],
                          "2023": [20, 21, 22, 23, 86], "2024": [10, 11, 12, 13, 46],
                          "change": [-10, -10, -10, -10, -40],
                          "pct_change": [-50.0, -47.6, -45.5, -43.5, -46.5]})
    pub = Publisher(tmp_path, DisclosureRules())
    pub.table("t", frame, title="=T", keys=["category"], query={"q": 1},
              value_columns=["2023", "2024"], category_column="category",
              total_rows=["All crime"])
    with (tmp_path / "data" / "t.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["category"] for r in rows] == ["'" + c for c in FORMULAS] + ["All crime"]
    assert [r["change"] for r in rows] == ["-10", "-10", "-10", "-10", "-40"]
    assert [r["pct_change"] for r in rows] == ["-50", "-48", "-46", "-44", "-47"]
    book = write_workbook(tmp_path / "tables.xlsx", pub.workbook)
    cells = _cells(book)
    assert all(c.data_type != "f" for c in cells)
    values = [c.value for c in cells]
    assert all(c in values for c in FORMULAS) and "=T" in values and -40 in values


def test_counts_to_csv_escapes_a_crime_type(store: Store,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`commsafe counts --format csv` prints through the same writer."""
    store.con.execute(
        "INSERT INTO events (source, force, event_id, row_number, month, category, "
        "crime_type, is_asb, resolution, load_id) VALUES ('police_uk', 'x', NULL, 1, "
        "DATE '2024-01-01', '=1+1', '=1+1', false, 'unresolved', 0)")
    path = store.path
    store.close()
    capsys.readouterr()
    assert main(["counts", "--by", "category", "--format", "csv", "--store", str(path)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert ["'=1+1", "1"] in rows
