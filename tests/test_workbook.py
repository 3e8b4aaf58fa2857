"""The multi-sheet workbook: layout, number formats, About sheet, unique names, determinism."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from commsafe.outputs.workbook import (
    ABOUT_SHEET,
    WorkbookTable,
    sheet_names,
    write_workbook,
)


def _tables() -> list[WorkbookTable]:
    crime = pd.DataFrame({
        "crime_type": ["Burglary", "Robbery", "Shoplifting"],
        "count": [1234, 56, 789],
        "rate_per_1000": [5.25, 0.3, float("nan")],
        "p_value": [0.000123, 0.5, 0.04],
        "significant": [True, False, True],
    })
    asb = pd.DataFrame({"ward": ["North", "South"], "incidents": [10, 20]})
    return [
        WorkbookTable("crime", crime, "Crime by type, 2024/25",
                      notes=("Rates per 1,000 residents.", "Blank: no population."),
                      sources=("police.uk street-level crime", "ONS mid-year estimates")),
        WorkbookTable("asb", asb, "ASB by ward"),
        WorkbookTable("crime", asb, "Crime again (same sheet name)", sources=("police.uk",)),
        WorkbookTable("A very long sheet name that Excel would refuse", asb, "Long name"),
    ]


def test_sheets_titles_and_about(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", _tables())
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    assert names[0] == ABOUT_SHEET
    assert names[1:] == ["crime", "asb", "crime (2)",
                         "A very long sheet name that Exc"]
    assert all(len(n) <= 31 for n in names)
    about = wb[ABOUT_SHEET]
    listed = {about.cell(r, 1).value: about.cell(r, 2).value for r in range(5, 9)}
    assert listed == {
        "crime": "Crime by type, 2024/25",
        "asb": "ASB by ward",
        "crime (2)": "Crime again (same sheet name)",
        "A very long sheet name that Exc": "Long name",
    }
    ws = wb["crime"]
    assert ws["A1"].value == "Crime by type, 2024/25"
    assert ws["A1"].font.bold
    assert ws["A2"].value is None


def test_header_frozen_panes_values_and_formats(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", _tables())
    wb = openpyxl.load_workbook(path)
    ws = wb["crime"]
    assert [c.value for c in ws[3]] == ["crime_type", "count", "rate_per_1000", "p_value",
                                         "significant"]
    assert all(c.font.bold for c in ws[3])
    assert ws.freeze_panes == "B4"
    assert wb["asb"].freeze_panes == "B4"
    # text as text, numbers as numbers
    assert ws["A4"].value == "Burglary" and ws["A4"].data_type == "s"
    assert ws["B4"].value == 1234 and ws["B4"].number_format == "#,##0"
    assert ws["C4"].value == 5.25 and ws["C4"].number_format == "0.0"
    assert ws["C6"].value is None  # missing stays blank
    assert ws["D4"].value == 0.000123 and ws["D4"].number_format == "General"
    assert ws["E4"].value == "yes" and ws["E5"].value == "no"
    assert ws["A6"].value == "Shoplifting" and ws["B6"].value == 789


def test_notes_and_sources_under_table(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", _tables())
    wb = openpyxl.load_workbook(path)
    ws = wb["crime"]
    column_a = [ws.cell(r, 1).value for r in range(7, ws.max_row + 1)]
    assert column_a == [None, "Rates per 1,000 residents.", "Blank: no population.", None,
                        "Sources:", "police.uk street-level crime", "ONS mid-year estimates"]
    assert ws.cell(11, 1).font.bold
    other = wb["crime (2)"]
    assert [other.cell(r, 1).value for r in range(6, other.max_row + 1)] == [
        None, "Sources:", "police.uk"]
    plain = wb["asb"]
    assert plain.max_row == 5  # title, blank, header, two rows: no notes, no sources


def test_byte_identical_rewrite(tmp_path: Path) -> None:
    a = write_workbook(tmp_path / "a.xlsx", _tables())
    b = write_workbook(tmp_path / "b.xlsx", _tables())
    assert a.read_bytes() == b.read_bytes()
    c = write_workbook(tmp_path / "c.xlsx", _tables()[:2])
    assert c.read_bytes() != a.read_bytes()


def test_sheet_names_unique_and_valid() -> None:
    names = sheet_names(["About", "a/b", "x" * 40, "x" * 40, "X" * 40, "Crime", "crime", ""])
    assert names[0] == "About (2)"
    assert names[1] == "a-b"
    assert names[2] == "x" * 31
    assert names[3] == "x" * 27 + " (2)"
    assert names[4] == "X" * 27 + " (3)"
    assert names[5:] == ["Crime", "crime (2)", "table"]
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == len(names)
