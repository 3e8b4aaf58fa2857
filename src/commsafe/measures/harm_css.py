"""The sheet "List of weights" of an ONS Crime Severity Score workbook, as ONS publishes it.

:func:`read_weights_sheet` reads it from ``.xlsx``, ``.xlsm``, ``.xls`` or ``.ods`` with
python-calamine: title and note rows, then a header row (found in the first 30 rows by holding
both an offence-code and a weight column; names matched case-insensitively, with aliases and
'[note N]' marks ignored), then one row per offence: ``Offence category`` (filled only on the
first row of each category and carried down), ``Offence code``, ``Offence`` and ``Weight``.
Blank and footnote rows are skipped. :mod:`commsafe.measures.harm` turns the result into harm
weights. Every problem is an :class:`~commsafe.errors.InputError` naming file, sheet, row,
column and value and saying how to fix it; a broken file is a
:class:`~commsafe.errors.FileFormatError`, never a traceback from the reader.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from commsafe import hierarchy
from commsafe.errors import FileFormatError, InputError

__all__ = ["CSS_SHEET", "CssSheet", "read_weights_sheet"]

CSS_SHEET: Final = "List of weights"
_HEADER_SCAN_ROWS: Final = 30
_CSS_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "category": ("offence category", "category", "offence group", "offence classification"),
    "code": ("offence code", "code", "ho code", "ho offence code", "home office offence code"),
    "offence": ("offence", "offence description", "offence name", "offence title"),
    "weight": ("weight", "weight (severity score)", "severity weight", "severity score",
               "css weight", "crime severity score weight", "offence weight"),
}  # fmt: skip
_NOTE_MARK: Final = re.compile(r"\s*\[[^\]]*\]")  # ONS tables add '[note 2]' to headers
_CODE_SHAPE: Final = re.compile(r"^\d+[A-Z]?(?:[./]\d+[A-Z]?)?$")  # 8N, 105A, 4.10, 4/1
_OTHER_CODE: Final = re.compile(r"^[A-Z][A-Z0-9]*(?: [A-Z0-9]+)?$")  # fraud: AF, CIFAS, FFA UK
_CODE_JOINS: Final = re.compile(r"\s*(?:[,;+&]|\bAND\b)\s*")
_CSS_FIX_LAYOUT: Final = (
    "Fix: use the Crime Severity Score weights workbook as downloaded from ONS (its sheet "
    f"{CSS_SHEET!r} with columns 'Offence category', 'Offence code', 'Offence', 'Weight')."
)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _at(
    path: Path, sheet: str, row: int, col: int | None = None, name: str = "", value: object = None
) -> str:
    """``file, sheet 'S', row N, column 'D' (Weight), value 'V'`` (rows and columns 1-based)."""
    text = f"{path}, sheet {sheet!r}, row {row}"
    if col is not None:
        text += f", column {_column_letter(col)!r}" + (f" ({name})" if name else "")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets store every number as a float
    if value is not None:
        shown = str(value)
        text += f", value {shown[:57] + '...' if len(shown) > 60 else shown!r}"
    return text


def _header_key(cell: object) -> str | None:
    if not isinstance(cell, str):
        return None
    text = hierarchy.normalise(_NOTE_MARK.sub("", cell))
    for key, aliases in _CSS_COLUMNS.items():
        if text in aliases:
            return key
    return None


def _read_grid(path: Path) -> tuple[str, list[list[object]]]:
    """The "List of weights" sheet as rows of cells, row 0 being spreadsheet row 1."""
    # Imported here on purpose: only workbook users pay for loading the Rust extension.
    import python_calamine

    if not path.is_file():
        raise InputError(f"{path}: harm weights workbook not found. Fix: check the path.")
    fix = (
        "Fix: download the workbook again from ONS, or open it in a spreadsheet program and "
        "save it as .xlsx or .ods."
    )
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
        wanted = [name for name in names if name.strip().casefold() == CSS_SHEET.casefold()]
        if not wanted:
            raise InputError(
                f"{path}: no sheet {CSS_SHEET!r}; the sheets are "
                f"{', '.join(repr(name) for name in names) or 'none'}. {_CSS_FIX_LAYOUT}"
            )
        grid = workbook.get_sheet_by_name(wanted[0]).to_python(skip_empty_area=False)
    except InputError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's errors, and Rust panics (not Exception subclasses)
        raise FileFormatError(
            f"{path}: cannot be read as an Excel or OpenDocument workbook "
            f"({type(exc).__name__}: {exc}). {fix}"
        ) from None
    return wanted[0], [list(row) for row in grid]


def _find_header(path: Path, sheet: str, grid: list[list[object]]) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(grid[:_HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = _header_key(cell)
            if key is not None:
                columns.setdefault(key, col)
        if "code" in columns and "weight" in columns:
            return index, columns
    raise FileFormatError(
        f"{path}, sheet {sheet!r}: no header row in the first {_HEADER_SCAN_ROWS} rows (a row "
        "naming both an offence code column, e.g. 'Offence code', and a weight column, e.g. "
        f"'Weight'). {_CSS_FIX_LAYOUT}"
    )


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _split_codes(cell: object) -> list[str] | None:
    """The offence codes a code cell names (normalised), or None if it is not code-like.

    Numbers are read as the data tables write codes (8.0 is '8', 4.1 is '4.1'); text may join
    several codes with commas, '+' or 'and', or with '/' between dotted codes as the Home Office
    tables write homicide ('1/4.1/4.10/4.2'; '4/1' alone is code 4.1). Letter codes of at most
    two words and 12 characters (the fraud codes 'AF', 'FFA UK') are kept as they are.
    """
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        if not math.isfinite(cell) or cell < 0:
            return None
        text = str(int(cell)) if float(cell).is_integer() else repr(float(cell))
        return [hierarchy.normalise_code(text)]
    if not isinstance(cell, str):
        return None
    codes: list[str] = []
    for part in _CODE_JOINS.split(" ".join(cell.upper().split())):
        if _OTHER_CODE.match(part) and len(part) <= 12:
            codes.append(part)
            continue
        part = part.replace(" ", "")
        for code in part.split("/") if "/" in part and "." in part else [part]:
            if not _CODE_SHAPE.match(code):
                return None
            codes.append(hierarchy.normalise_code(code))
    return codes or None


def _css_weight(here: str, cell: object) -> float:
    fix = "Fix: give a non-negative number such as 7.5 in the weight column."
    try:
        if isinstance(cell, bool) or not isinstance(cell, int | float | str):
            raise ValueError
        weight = float(cell.strip() if isinstance(cell, str) else cell)
    except ValueError:
        raise InputError(f"{here}: not a number. {fix}") from None
    if not math.isfinite(weight) or weight < 0:
        raise InputError(f"{here}: not a non-negative finite number. {fix}")
    return weight


@dataclass(frozen=True)
class CssSheet:
    """The offence weights of a "List of weights" sheet."""

    sheet: str
    """The sheet's name as the workbook spells it."""
    weights: dict[str, float]
    """Normalised offence code → weight, for every code of the sheet."""
    rows: dict[str, int]
    """Normalised offence code → the (1-based) spreadsheet row it was first given in."""
    outside: list[str]
    """The codes not in commsafe's offence hierarchy (e.g. fraud), in sheet order."""


def read_weights_sheet(path: str | Path) -> CssSheet:
    """Read the offence codes and weights of the "List of weights" sheet of ``path``."""
    path = Path(path)
    sheet, grid = _read_grid(path)
    header, columns = _find_header(path, sheet, grid)
    code_col, weight_col = columns["code"], columns["weight"]
    category_col = columns.get("category")
    weights: dict[str, float] = {}
    rows: dict[str, int] = {}
    outside: list[str] = []
    category = ""
    for index in range(header + 1, len(grid)):
        cells, number = grid[index], index + 1

        def cell(col: int, cells: list[object] = cells) -> object:
            return cells[col] if col < len(cells) else None

        code_cell, weight_cell = cell(code_col), cell(weight_col)
        if category_col is not None and not _blank(cell(category_col)):
            category = str(cell(category_col)).strip()  # filled down to the rows below
        codes = None if _blank(code_cell) else _split_codes(code_cell)
        if _blank(weight_cell) and codes is None:
            continue  # a blank, note or footnote row
        in_category = f" (category {category!r})" if category else ""
        if codes is None:
            raise InputError(
                f"{_at(path, sheet, number, code_col, 'offence code', code_cell)}{in_category}: "
                "a weight without a Home Office offence code. Fix: give the offence code (such "
                "as 8N, 105A or 4/1) or delete the row."
            )
        if _blank(weight_cell):
            raise InputError(
                f"{_at(path, sheet, number, weight_col, 'weight')}{in_category}: no weight for "
                f"offence code {code_cell!r}. Fix: give its weight or delete the row."
            )
        here = _at(path, sheet, number, weight_col, "weight", weight_cell) + in_category
        weight = _css_weight(here, weight_cell)
        for code in codes:
            if code in weights and weights[code] != weight:
                raise InputError(
                    f"{_at(path, sheet, number, code_col, 'offence code', code_cell)}: offence "
                    f"code {code} has weight {weight:g} here but {weights[code]:g} in row "
                    f"{rows[code]}. Fix: keep one of the two rows (codes typed as numbers lose "
                    "trailing zeros, so 4.10 reads as 4.1: format the code column as text)."
                )
            if code not in weights and hierarchy.group_for_offence_code(code) is None:
                outside.append(code)
            weights[code] = weight
            rows.setdefault(code, number)
    if not weights:
        raise InputError(
            f"{path}, sheet {sheet!r}: the header is in row {header + 1} but no offence code "
            f"with a weight follows. {_CSS_FIX_LAYOUT}"
        )
    return CssSheet(sheet, weights, rows, outside)
