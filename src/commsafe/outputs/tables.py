"""Writing measure tables: CSV (the contract), Markdown, Excel, and cells for the terminal.

Formatting only: the numbers arrive computed and rounded by ``commsafe.measures``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["NO_POPULATION", "XLSX_OPTIONS", "CsvWriter", "csv_safe",
           "csv_safe_frame", "csv_unsafe", "csv_writer", "format_cell", "frame_to_csv",
           "mark_missing_rates", "to_csv", "to_markdown", "to_xlsx"]

NO_POPULATION = "no population"


def mark_missing_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where a rate that cannot be computed (no population) reads "no population"."""
    if "population" not in frame.columns or "rate_per_1000" not in frame.columns:
        return frame
    out = frame.copy()
    missing = out["population"].isna()
    if missing.any():
        out["rate_per_1000"] = out["rate_per_1000"].astype(object)
        out.loc[missing, "rate_per_1000"] = NO_POPULATION
    return out


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _plain(value: object) -> object:
    """numpy scalars → Python numbers."""
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, str) else value


def format_cell(column: str, value: object, *, display: bool) -> str:
    """Text for one cell. ``display`` adds % signs, separators and readable p-values."""
    value = _plain(value)
    if _missing(value):
        return ""
    if isinstance(value, str):
        return value
    if column == "p_value":
        p = float(value)  # type: ignore[arg-type]
        if not display:
            return f"{p:.4g}"
        return "<0.001" if p < 0.001 else f"{p:.3f}"
    if column in ("average",) or column.endswith("rate_per_1000") or column.startswith("rate"):
        return f"{float(value):,.1f}" if display else f"{float(value):.1f}"  # type: ignore[arg-type]
    if column.startswith("harm"):
        return f"{float(value):,.0f}" if display else f"{float(value):.1f}"  # type: ignore[arg-type]
    if column in ("share", "pct_share") or column.startswith("share_") or \
            column.endswith("_share"):
        return f"{float(value):.1%}" if display else f"{float(value):.4f}"  # type: ignore[arg-type]
    if column == "pct_change" and isinstance(value, int | float):
        from commsafe.measures.rounding import round_half_away

        whole = int(round_half_away(float(value)))
        return f"{whole}%" if display else str(whole)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if display else str(value)
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}" if display else str(int(value))
        return f"{value:,.1f}" if display else f"{value:.3f}"
    return str(value)


def _rows(frame: pd.DataFrame, display: bool) -> list[list[str]]:
    cols = list(frame.columns)
    return [[format_cell(c, v, display=display) for c, v in zip(cols, row, strict=True)]
            for row in frame.itertuples(index=False)]


#: what a spreadsheet reads as the start of a formula (OWASP, CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: text that is a plain number: a sign, digits (thousands separated by commas or not), a
#: decimal part, an exponent, a % sign; there must be digits before the exponent, so that
#: ``-e5`` or ``+E10%`` (a cell reference to a spreadsheet) is not taken for a number
_PLAIN_NUMBER = re.compile(r"[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)(e[+-]?\d+)?%?",
                           re.IGNORECASE)

#: xlsxwriter options: text from data is written as text, never as a formula, link or number
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False}


def csv_safe(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula: text starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's advice). Numbers,
    and text that is a plain number (``-12``, ``+3.5``, ``-4%``), are left as they are."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def csv_unsafe(value: str) -> str:
    """The text :func:`csv_safe` was given (for files commsafe writes and reads back)."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`csv_safe` applied to every text cell and column name (for
    writers that hand a frame to pandas' ``to_csv``)."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object)
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(csv_safe)
    out.columns = [csv_safe(c) for c in out.columns]
    return out


class CsvWriter:
    """``csv.writer`` for the files commsafe writes: rows end in ``\\n``, every cell goes
    through :func:`csv_safe` (unless ``escape`` is false), and a cell holding a carriage
    return is quoted (Python's writer with a ``\\n`` terminator leaves a bare CR unquoted,
    and a spreadsheet reads it as the end of a row: ``x\\r=1+1`` would start a new row with
    a formula)."""

    def __init__(self, fh: Any, *, escape: bool = True) -> None:
        self._fh = fh
        self._escape = escape
        self._buf = io.StringIO()
        self._w = csv.writer(self._buf, lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._buf.seek(0)
        self._buf.truncate()
        self._w.writerow([csv_safe(v) for v in row] if self._escape else row)
        self._fh.write(self._buf.getvalue()[:-2] + "\n")

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: Any) -> CsvWriter:
    """A :class:`CsvWriter` on ``fh`` (any object with ``write``)."""
    return CsvWriter(fh)


def frame_to_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """``frame`` (no index) as CSV at ``path`` in pandas' own number format, its text cells
    and column names through :func:`csv_safe` and quoted when they hold a carriage return;
    for tables that are not measure tables (hotspot cells, density grids)."""
    path = Path(path)
    safe = csv_safe_frame(frame)
    text = safe.to_csv(index=False, lineterminator="\n")
    if "\r" in text:  # pandas leaves a bare CR unquoted too: quote it (see CsvWriter)
        buf = io.StringIO()
        rows = csv.reader(io.StringIO(safe.to_csv(index=False, lineterminator="\r\n"),
                                      newline=""))
        CsvWriter(buf, escape=False).writerows(rows)
        text = buf.getvalue()
    path.write_text(text, encoding="utf-8", newline="")
    return path


def to_csv(frame: pd.DataFrame) -> str:
    """The contract form: plain numbers, `No calc`, p-values to 4 significant digits; text
    that a spreadsheet would run as a formula is prefixed with ``'`` (:func:`csv_safe`)."""
    buf = io.StringIO()
    w = csv_writer(buf)
    w.writerow(list(frame.columns))
    w.writerows(_rows(frame, display=False))
    return buf.getvalue()


def to_markdown(frame: pd.DataFrame, *, title: str | None = None,
                notes: Sequence[str] = (), levels: Sequence[int] | None = None) -> str:
    """A Markdown table; ``levels`` indent the first column (subgroups under their group)."""
    cols = list(frame.columns)
    right = [c != cols[0] for c in cols]
    lines = []
    if title:
        lines += [f"### {title}", ""]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
    for i, row in enumerate(_rows(frame, display=True)):
        if levels is not None and levels[i] > 0:
            row[0] = "\u00a0\u00a0\u00a0\u00a0" * levels[i] + row[0]
        lines.append("| " + " | ".join(v.replace("|", "\\|") for v in row) + " |")
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def to_xlsx(frame: pd.DataFrame, path: Path, *, sheet: str = "table", title: str | None = None,
            notes: Sequence[str] = ()) -> Path:
    """One sheet: a title, the table with a frozen header, notes underneath."""
    import xlsxwriter

    path = Path(path)
    book = xlsxwriter.Workbook(str(path), XLSX_OPTIONS)
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bottom": 1, "text_wrap": True})
    num = book.add_format({"num_format": "#,##0"})
    dec = book.add_format({"num_format": "#,##0.0"})
    row0 = 0
    if title:
        ws.write_string(0, 0, title, bold)
        row0 = 2
    cols = list(frame.columns)
    for j, c in enumerate(cols):
        ws.write_string(row0, j, str(c), head)
        ws.set_column(j, j, max(12, min(40, len(c) + 2)) if j else 36)
    for i, row in enumerate(frame.itertuples(index=False), start=row0 + 1):
        for j, (c, raw) in enumerate(zip(cols, row, strict=True)):
            v = _plain(raw)
            if _missing(v):
                continue
            if c == "p_value" and isinstance(v, int | float):
                ws.write_number(i, j, float(v))
            elif isinstance(v, bool):
                ws.write_string(i, j, "yes" if v else "no")
            elif isinstance(v, int):
                ws.write_number(i, j, v, num)
            elif isinstance(v, float):
                ws.write_number(i, j, v, dec if not v.is_integer() else num)
            else:
                ws.write_string(i, j, str(v))
    ws.freeze_panes(row0 + 1, 1)
    r = row0 + len(frame) + 2
    for n in notes:
        ws.write_string(r, 0, str(n))
        r += 1
    book.close()
    return path
