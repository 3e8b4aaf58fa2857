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
from commsafe.outputs.tables import csv_safe, csv_unsafe, to_csv
from commsafe.outputs.workbook import WorkbookTable, write_workbook

#: a counts file trims its cells, so the tab and CR cases are tested on the writers directly
FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)"]
HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\ry"]


def _cells(path: Path) -> list[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(path)
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None]


def test_the_rule() -> None:
    for text in HOSTILE:
        assert csv_safe(text) == "'" + text
        assert csv_unsafe(str(csv_safe(text))) == text
    for plain in ("-12.5", "+3", "-4%", "-1,234", "No calc", "Burglary", "", "'=x"):
        assert csv_safe(plain) == plain
    assert csv_safe(-3) == -3 and csv_safe(2.5) == 2.5
    assert csv_safe("-") == "'-"  # a lone sign is not a number


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
