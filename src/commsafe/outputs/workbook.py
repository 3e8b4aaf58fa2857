"""One Excel workbook holding several tables: an "About" sheet, then a sheet per table.

Each table sheet has its title in A1, the table from row 3 (bold header, panes frozen under
the header and beside the first column), numbers stored as numbers, then notes and a
"Sources:" block. Writing the same tables twice gives byte-identical files: the workbook's
creation date is fixed (``created``) and xlsxwriter stamps zip members with a constant date.
Cell values reuse the single-table writer's rules (:mod:`commsafe.outputs.tables`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from commsafe import __version__
from commsafe.outputs.tables import XLSX_OPTIONS, _missing, _plain

__all__ = ["ABOUT_SHEET", "FIXED_CREATED", "WorkbookTable", "sheet_names", "write_workbook"]

ABOUT_SHEET = "About"
#: The creation date written into every workbook, so that rewrites are byte-identical.
FIXED_CREATED = datetime(2000, 1, 1)
MAX_SHEET = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

INT_FORMAT = "#,##0"
FLOAT_FORMAT = "0.0"


@dataclass(frozen=True)
class WorkbookTable:
    """One table for a workbook sheet. ``name`` is the sheet name (made valid and unique)."""

    name: str
    frame: pd.DataFrame
    title: str
    notes: Sequence[str] = ()
    sources: Sequence[str] = ()


def _clean_name(name: str) -> str:
    clean = _BAD_SHEET_CHARS.sub("-", name).strip().strip("'")
    return (clean or "table")[:MAX_SHEET]


def sheet_names(names: Sequence[str]) -> list[str]:
    """Valid, unique (case-insensitively, and not "About") sheet names for ``names``, in order.

    Characters Excel refuses become ``-``, names are cut to 31 characters, and a repeated name
    gets a suffix `` (2)``, `` (3)`` … (cutting the name so the suffix fits).
    """
    taken = {ABOUT_SHEET.lower()}
    out = []
    for raw in names:
        base = _clean_name(raw)
        name = base
        n = 1
        while name.lower() in taken:
            n += 1
            suffix = f" ({n})"
            name = base[: MAX_SHEET - len(suffix)] + suffix
        taken.add(name.lower())
        out.append(name)
    return out


def _write_value(ws: Any, row: int, col: int, column: str, raw: object,
                 formats: dict[str, Any]) -> None:
    """One data cell: numbers as numbers (ints ``#,##0``, floats ``0.0``, p-values as they
    are), booleans as yes/no, everything else as text; missing values stay blank."""
    v = _plain(raw)
    if _missing(v):
        return
    if isinstance(v, bool):
        ws.write_string(row, col, "yes" if v else "no")
    elif column == "p_value" and isinstance(v, int | float):
        ws.write_number(row, col, float(v))
    elif isinstance(v, int):
        ws.write_number(row, col, v, formats["int"])
    elif isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            ws.write_string(row, col, str(v))
        else:
            ws.write_number(row, col, v, formats["int"] if v.is_integer() else formats["float"])
    else:
        ws.write_string(row, col, str(v))


def _write_table_sheet(book: Any, ws: Any, table: WorkbookTable,
                       formats: dict[str, Any]) -> None:
    ws.write_string(0, 0, table.title, formats["bold"])
    header_row = 2
    cols = [str(c) for c in table.frame.columns]
    for j, c in enumerate(cols):
        ws.write_string(header_row, j, c, formats["head"])
        ws.set_column(j, j, max(12, min(40, len(c) + 2)) if j else 36)
    for i, row in enumerate(table.frame.itertuples(index=False, name=None),
                            start=header_row + 1):
        for j, (c, raw) in enumerate(zip(cols, row, strict=True)):
            _write_value(ws, i, j, c, raw, formats)
    ws.freeze_panes(header_row + 1, 1)
    r = header_row + len(table.frame) + 2
    for note in table.notes:
        ws.write_string(r, 0, str(note))
        r += 1
    if table.sources:
        if table.notes:
            r += 1
        ws.write_string(r, 0, "Sources:", formats["bold"])
        r += 1
        for source in table.sources:
            ws.write_string(r, 0, str(source))
            r += 1


def write_workbook(path: Path | str, tables: Sequence[WorkbookTable], *,
                   created: datetime = FIXED_CREATED) -> Path:
    """Write ``tables`` to one .xlsx at ``path``: an "About" sheet listing every sheet and its
    title, then one sheet per table. Deterministic: the same tables give the same bytes."""
    import xlsxwriter

    path = Path(path)
    names = sheet_names([t.name for t in tables])
    book = xlsxwriter.Workbook(str(path), XLSX_OPTIONS)
    book.set_properties({"created": created, "author": "commsafe",
                         "comments": f"Written by commsafe {__version__}"})
    formats = {
        "bold": book.add_format({"bold": True}),
        "head": book.add_format({"bold": True, "bottom": 1, "text_wrap": True}),
        "int": book.add_format({"num_format": INT_FORMAT}),
        "float": book.add_format({"num_format": FLOAT_FORMAT}),
    }
    about = book.add_worksheet(ABOUT_SHEET)
    about.write_string(0, 0, "About this workbook", formats["bold"])
    about.write_string(1, 0, f"Written by commsafe {__version__}. One sheet per table:")
    about.write_string(3, 0, "Sheet", formats["head"])
    about.write_string(3, 1, "Title", formats["head"])
    about.set_column(0, 0, 34)
    about.set_column(1, 1, 80)
    for i, (name, table) in enumerate(zip(names, tables, strict=True), start=4):
        quoted = name.replace("'", "''")
        about.write_url(i, 0, f"internal:'{quoted}'!A1", string=name)
        about.write_string(i, 1, table.title)
    for name, table in zip(names, tables, strict=True):
        ws = book.add_worksheet(name)
        _write_table_sheet(book, ws, table, formats)
    book.close()
    return path
