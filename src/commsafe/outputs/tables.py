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

import pandas as pd

__all__ = ["NO_POPULATION", "XLSX_OPTIONS", "csv_rows", "csv_safe", "csv_safe_frame",
           "csv_unsafe", "format_cell", "mark_missing_rates", "to_csv", "to_markdown",
           "to_xlsx"]

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
_PLAIN_NUMBER = re.compile(r"[+-]?(\d[\d,]*)?(\.\d+)?(e[+-]?\d+)?%?", re.IGNORECASE)

#: xlsxwriter options: text from data is written as text, never as a formula, link or number
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False}


def csv_safe(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula: text starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's advice). Numbers,
    and text that is a plain number (``-12``, ``+3.5``, ``-4%``), are left as they are."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if any(ch.isdigit() for ch in value) and _PLAIN_NUMBER.fullmatch(value):
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
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(csv_safe)
    out.columns = [csv_safe(c) for c in out.columns]
    return out


def csv_rows(rows: Iterable[Sequence[object]]) -> list[list[object]]:
    """Rows for ``csv.writer`` with :func:`csv_safe` applied to every cell."""
    return [[csv_safe(v) for v in row] for row in rows]


def to_csv(frame: pd.DataFrame) -> str:
    """The contract form: plain numbers, `No calc`, p-values to 4 significant digits; text
    that a spreadsheet would run as a formula is prefixed with ``'`` (:func:`csv_safe`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(csv_rows([list(frame.columns)]))
    w.writerows(csv_rows(_rows(frame, display=False)))
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
