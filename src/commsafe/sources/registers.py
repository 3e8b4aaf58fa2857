"""Readers for the two files the analyst keeps by hand: the recommendations register and the
interventions log.

Both are CSV (UTF-8, a byte-order mark is fine) or XLSX (the first sheet is read). The first
row is the header. Header names are matched ignoring case, and spaces, underscores and hyphens
are the same (``Due Date``, ``due_date`` and ``due-date`` are one column). Other columns are
ignored, as are columns with no header (Excel exports often end with empty columns). Rows whose
cells are all blank are skipped. Text values are trimmed.

Recommendations register
========================

============  ========  ==========================================================
column        required  meaning
============  ========  ==========================================================
id            yes       unique reference, e.g. ``R12`` (ids differing only in case clash)
date          yes       when the recommendation was made (a date, see below)
document      no        the assessment or review it came from
theme         yes       priority or theme it belongs to
text          yes       the recommendation
owner         no        who is responsible
status        yes       one of the statuses below
due date      no        when it should be done (a date)
update        no        latest progress note
============  ========  ==========================================================

Statuses are read ignoring case (spaces, underscores and hyphens alike) and normalised:

================================  ==============
written                           normalised to
================================  ==============
``not started``                   Not started
``open``                          Open
``in progress``                   In progress
``overdue``                       Overdue
``complete``, ``completed``       Complete
``closed``                        Closed
``superseded``                    Superseded
================================  ==============

``Open`` is kept as its own status rather than read as "Not started": an open item may well be
under way, and the register should not claim otherwise. ``Overdue`` is likewise kept as written.

A row is **overdue** at a date ``as_of`` when it is not finished (status other than Complete,
Closed or Superseded) and either its due date is before ``as_of`` (an item due on ``as_of``
itself is not yet overdue) or the analyst marked it ``Overdue``.

:func:`register_table` lists the rows dated on or after an optional ``since`` with their
financial quarter (``2024/25 Q1`` is April to June 2024), sorted by date and then id (numbers
inside ids compare as numbers, so ``R2`` comes before ``R10``). :func:`status_summary` counts
rows by status, in the order of the table above, with how many of each are overdue.

Interventions log
=================

=================  ========  =========================================================
column             required  meaning
=================  ========  =========================================================
id                 yes       unique reference (ids differing only in case clash)
what               yes       what was done
area               yes       the area it covered (as named in the build's areas)
start              yes       when it started (a date)
end                no        when it ended (a date, not before ``start``)
comparison area    no        a similar area without the intervention (not ``area`` itself)
categories         no        police.uk crime types separated by ``;``; blank means all
window months      no        months compared either side of the start month (default 6)
=================  ========  =========================================================

Categories are police.uk street-level categories (:mod:`commsafe.taxonomy`): the 13 crime types
and ``Anti-social behaviour``, matched ignoring case; old names are read as their current name
(``Violent crime`` is ``Violence and sexual offences``). :meth:`Intervention.evaluate` runs
:func:`commsafe.profiles.interventions.evaluate_intervention` around the start month; ``end`` is
recorded for the report and does not change the windows.

Dates
=====

``2024-05-01`` (ISO) or ``01/05/2024`` (UK day/month/year; ``1/5/2024`` too), optionally
followed by a time, which is ignored; in XLSX also real Excel date cells. Two-digit years are not
accepted.

Errors
======

Every problem raises :class:`~commsafe.errors.InputError` (or its subclass
:class:`~commsafe.errors.FileFormatError` when the file itself cannot be read as a table) naming
the file, the line (CSV: the physical line the record starts on, as the csv module counts; XLSX:
the sheet and row number), the column and the value, and saying how to fix it: missing
required columns, a blank required value, an unknown status, a bad date, a duplicate id (both
lines named), an unknown crime type (with the closest match), a value past the last header
column in a CSV (usually an unquoted comma), a file that is missing, unreadable, empty, has a
header but no rows, or is neither CSV nor XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from commsafe import taxonomy
from commsafe.errors import FileFormatError, InputError, where
from commsafe.periods import financial_quarter
from commsafe.sources.files import table_rows

if TYPE_CHECKING:
    from commsafe.profiles.interventions import InterventionResult

__all__ = [
    "FINISHED_STATUSES",
    "STATUSES",
    "Intervention",
    "InterventionsLog",
    "Recommendation",
    "RecommendationsRegister",
    "read_interventions",
    "read_recommendations",
    "register_table",
    "status_summary",
]

STATUSES: Final[tuple[str, ...]] = (
    "Not started", "Open", "In progress", "Overdue", "Complete", "Closed", "Superseded")
"""The normalised statuses, in the order :func:`status_summary` lists them."""

FINISHED_STATUSES: Final[frozenset[str]] = frozenset({"Complete", "Closed", "Superseded"})
"""Statuses of items that can no longer be overdue."""

_STATUS_WORDS: Final[dict[str, str]] = {
    "not started": "Not started",
    "open": "Open",
    "in progress": "In progress",
    "overdue": "Overdue",
    "complete": "Complete",
    "completed": "Complete",
    "closed": "Closed",
    "superseded": "Superseded",
}
_ACCEPTED_STATUSES: Final = ", ".join(f"'{w}'" for w in _STATUS_WORDS)

REC_COLUMNS: Final = ("id", "date", "document", "theme", "text", "owner", "status",
                      "due date", "update")
REC_REQUIRED: Final = ("id", "date", "theme", "text", "status")
INT_COLUMNS: Final = ("id", "what", "area", "start", "end", "comparison area", "categories",
                      "window months")
INT_REQUIRED: Final = ("id", "what", "area", "start")
DEFAULT_WINDOW_MONTHS: Final = 6

TABLE_COLUMNS: Final = ("id", "date", "quarter", "document", "theme", "recommendation", "owner",
                        "status", "due", "overdue", "update")

_DATE_FORMS: Final = "YYYY-MM-DD (e.g. 2024-05-01) or DD/MM/YYYY (e.g. 01/05/2024)"
_TIME: Final = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO_RE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_UK_RE: Final = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME)
_SEPARATORS_RE: Final = re.compile(r"[\s_\-]+")
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CRIME_NAMES: Final[tuple[str, ...]] = (*taxonomy.CRIME_TYPES, taxonomy.ASB)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Recommendation:
    """One row of the recommendations register. Blank optional text is ``""``; ``line`` is
    the CSV line (or XLSX row) the row starts on."""

    id: str
    date: date
    document: str
    theme: str
    text: str
    owner: str
    status: str
    due: dt.date | None
    update: str
    line: int

    @property
    def finished(self) -> bool:
        """Complete, Closed or Superseded."""
        return self.status in FINISHED_STATUSES

    def is_overdue(self, as_of: dt.date) -> bool:
        """Not finished, and due before ``as_of`` or marked Overdue."""
        day = _as_date(as_of, "as_of")
        if self.finished:
            return False
        return self.status == "Overdue" or (self.due is not None and self.due < day)


@dataclass(frozen=True)
class RecommendationsRegister:
    """The rows of a recommendations register, in file order."""

    path: Path
    items: tuple[Recommendation, ...]

    def __iter__(self) -> Iterator[Recommendation]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Intervention:
    """One row of the interventions log. ``categories`` are standard police.uk names (empty:
    all); ``line`` is the CSV line (or XLSX row) the row starts on."""

    id: str
    what: str
    area: str
    start: date
    end: date | None
    comparison_area: str | None
    categories: tuple[str, ...]
    window_months: int
    line: int

    def evaluate(self, events: pd.DataFrame, *, comparison: pd.DataFrame | None = None,
                 **options: Any) -> InterventionResult:
        """:func:`~commsafe.profiles.interventions.evaluate_intervention` with this row's start
        and window. ``events`` (and ``comparison``, for ``comparison_area``) must already be
        limited to the area and categories; ``options`` are passed on (alpha, subject, …)."""
        from commsafe.profiles.interventions import evaluate_intervention

        return evaluate_intervention(events, self.start, window_months=self.window_months,
                                     comparison=comparison, **options)


@dataclass(frozen=True)
class InterventionsLog:
    """The rows of an interventions log, in file order."""

    path: Path
    items: tuple[Intervention, ...]

    def __iter__(self) -> Iterator[Intervention]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# --------------------------------------------------------------------------- reading tables


@dataclass(frozen=True)
class _Source:
    """Where values come from, for messages: a CSV file, or a sheet of a workbook."""

    path: Path
    sheet: str | None = None

    @property
    def line_word(self) -> str:
        return "line" if self.sheet is None else "row"

    def at(self, line: int | None = None, column: str | None = None,
           value: object = None) -> str:
        if self.sheet is None:
            return where(self.path, line, column, value)
        head = f"{self.path}, sheet {self.sheet!r}"
        if line is not None:
            head += f", row {line}"
        tail = where("", None, column, value)  # ", column 'c', value 'v'" (or "")
        return head + tail


Row = tuple[int, list[object]]


def _raw_bytes(path: Path, what: str) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: no such file. Check the path given for the {what}.")
    if path.is_dir():
        raise InputError(f"{path}: this is a folder, not a file. Give the {what} file itself "
                         "(CSV or XLSX).")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc}). Check you may "
                         "read it and that it is not locked by another program.") from None


def _read_table(path: Path, what: str, hint: str) -> tuple[_Source, list[str], list[Row]]:
    """The header and the non-blank rows of a CSV or of the first sheet of an XLSX."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        extra = (" Old .xls workbooks cannot be read: open it in Excel and save it as .xlsx."
                 if suffix == ".xls" else "")
        raise FileFormatError(f"{path}: not a CSV or XLSX file (the name ends "
                              f"{suffix or 'with no extension'!r}).{extra} Save the {what} as "
                              ".csv (UTF-8) or .xlsx.")
    data = _raw_bytes(path, what)
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise FileFormatError(f"{path}: the file is empty. It needs a header row ({hint}) and "
                              f"a row for each entry of the {what}.")
    if suffix == ".csv":
        if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
            raise FileFormatError(f"{path}: this is an Excel workbook with a .csv name. Rename "
                                  "it to .xlsx, or open it in Excel and save it as CSV UTF-8.")
        try:
            header, rows = table_rows(path, header_hint=hint, data=data)
        except csv.Error as exc:
            raise FileFormatError(f"{path}: cannot be read as CSV ({exc}). Save it again as "
                                  "CSV UTF-8 from Excel.") from None
        source = _Source(path)
        if not any(h.strip() for h in header):
            raise FileFormatError(f"{source.at(1)}: the first line is blank. Put the header "
                                  f"({hint}) on line 1.")
        width = max((i + 1 for i, h in enumerate(header) if h.strip()), default=0)
        for line, fields in rows:
            beyond = [f for f in fields[width:] if f.strip()]
            if beyond:
                raise InputError(
                    f"{source.at(line, None, beyond[0])}: the row has a value past the last "
                    f"column of the header ({len(fields)} values, {width} columns). A value "
                    "holding a comma must be in double quotes; fix the row or add a header.")
        converted: list[Row] = [(line, list(fields)) for line, fields in rows]
        return source, header, converted
    return _read_workbook(path, data, what, hint)


def _read_workbook(path: Path, data: bytes, what: str, hint: str
                   ) -> tuple[_Source, list[str], list[Row]]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            # Excel features openpyxl does not keep (validation, styles) warn; values are fine
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        sheet = book.worksheets[0]
        values = [list(r) for r in sheet.iter_rows(min_row=1, values_only=True)]
    except Exception as exc:  # openpyxl raises many kinds for broken or encrypted files
        raise FileFormatError(f"{path}: cannot read this workbook ({type(exc).__name__}: "
                              f"{exc}). Save it again as .xlsx (not password protected), or "
                              "as CSV UTF-8.") from None
    source = _Source(path, sheet.title)
    if not values or not any(_is_filled(v) for v in values[0]):
        if any(_is_filled(v) for row in values for v in row):
            raise FileFormatError(f"{source.at(1)}: the first row is blank. Put the header "
                                  f"({hint}) in row 1.")
        raise FileFormatError(f"{source.at()}: the first sheet is empty. It needs a header row "
                              f"({hint}) and a row for each entry of the {what}; the first "
                              "sheet is the one read.")
    header = [_text(v) for v in values[0]]
    rows: list[Row] = [(i + 2, list(r)) for i, r in enumerate(values[1:])
                       if any(_is_filled(v) for v in r)]
    return source, header, rows


def _is_filled(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _text(value: object) -> str:
    """A cell as trimmed text (XLSX numbers as written: 12, not 12.0)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    return str(value).strip()


def _key(name: str) -> str:
    return _SEPARATORS_RE.sub(" ", name.strip().lower()).strip()


def _columns(source: _Source, header: Sequence[str], known: Sequence[str],
             required: Sequence[str], what: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        key = _key(name)
        if key not in known:
            continue
        if key in index:
            raise FileFormatError(
                f"{source.at(1)}: two columns are both {key!r} (columns {index[key] + 1} and "
                f"{i + 1}: {header[index[key]]!r} and {name!r}). Keep one of them.")
        index[key] = i
    missing = [c for c in required if c not in index]
    if missing:
        found = [h.strip() for h in header if h.strip()]
        unused = [h for h in found if _key(h) not in index]
        tips = []
        for m in missing:
            close = difflib.get_close_matches(m, [_key(h) for h in unused], n=1, cutoff=0.6)
            if close:
                original = next(h for h in unused if _key(h) == close[0])
                tips.append(f"is {original!r} meant to be {m!r}?")
        raise FileFormatError(
            f"{source.at(1)}: missing required column(s) {', '.join(map(repr, missing))}. "
            f"The header has {', '.join(map(repr, found)) or 'no names'}. "
            + (" ".join(t[0].upper() + t[1:] for t in tips) + " " if tips else "")
            + f"The {what} needs the columns {', '.join(required)}; it may also have "
            f"{', '.join(c for c in known if c not in required)}. Names ignore case, and "
            "spaces and underscores are alike.")
    return index


class _Row:
    """Cells of one row by column name, with checks that name the place in errors."""

    def __init__(self, source: _Source, index: dict[str, int], line: int,
                 cells: list[object]) -> None:
        self.source, self.index, self.line, self.cells = source, index, line, cells

    def raw(self, column: str) -> object:
        i = self.index.get(column)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def text(self, column: str) -> str:
        return _text(self.raw(column))

    def required(self, column: str, fix: str) -> str:
        value = self.text(column)
        if not value:
            raise InputError(f"{self.source.at(self.line, column)}: empty. {fix}")
        return value

    def fail(self, column: str, value: object, message: str) -> InputError:
        shown = value if isinstance(value, str) else _text(value) or repr(value)
        return InputError(f"{self.source.at(self.line, column, shown)}: {message}")

    def date(self, column: str, *, required: bool) -> date | None:
        value = self.raw(column)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if not _is_filled(value):
            if required:
                raise InputError(f"{self.source.at(self.line, column)}: empty. Give a date: "
                                 f"{_DATE_FORMS}.")
            return None
        if isinstance(value, bool | int | float | time | timedelta):
            raise self.fail(column, value, "a number, not a date. Format the cell as a Date "
                            f"in Excel, or type the date as {_DATE_FORMS}.")
        text = _text(value)
        iso, uk = _ISO_RE.fullmatch(text), _UK_RE.fullmatch(text)
        if iso:
            y, m, d = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
        elif uk:
            d, m, y = int(uk.group(1)), int(uk.group(2)), int(uk.group(3))
        else:
            raise self.fail(column, text, f"not a date commsafe can read. Write dates as "
                            f"{_DATE_FORMS}.")
        try:
            return date(y, m, d)
        except ValueError as exc:
            order = " (UK dates are day/month/year)" if uk else ""
            raise self.fail(column, text, f"no such date: {exc}{order}. Write dates as "
                            f"{_DATE_FORMS}.") from None


def _rows(source: _Source, header: list[str], rows: list[Row], known: Sequence[str],
          required: Sequence[str], what: str) -> Iterator[_Row]:
    index = _columns(source, header, known, required, what)
    if not rows:
        raise FileFormatError(f"{source.at()}: the file has a header but no rows. Add the "
                              f"entries of the {what} (or leave the {what} out of the spec).")
    ids: dict[str, tuple[int, str]] = {}
    for line, cells in rows:
        row = _Row(source, index, line, cells)
        ident = row.required("id", "Give every row an id (e.g. R1), unique in the file.")
        key = ident.casefold()
        if key in ids:
            first, shown = ids[key]
            same = "the same id" if shown == ident else f"ids that differ only in case ({shown!r})"
            raise InputError(
                f"{source.at(line, 'id', ident)}: {source.line_word}s {first} and {line} both "
                f"have {same}. Ids must be unique: give one of them another id.")
        ids[key] = (line, ident)
        yield row


# --------------------------------------------------------------------------- recommendations


def _status(row: _Row) -> str:
    written = row.required("status", f"Give a status: one of {_ACCEPTED_STATUSES}.")
    status = _STATUS_WORDS.get(_key(written))
    if status is None:
        close = difflib.get_close_matches(_key(written), list(_STATUS_WORDS), n=1, cutoff=0.6)
        tip = f" Did you mean {close[0]!r}?" if close else ""
        raise row.fail("status", written, f"not a status commsafe knows.{tip} Use one of "
                       f"{_ACCEPTED_STATUSES} (any case).")
    return status


def read_recommendations(path: Path | str) -> RecommendationsRegister:
    """Read and check a recommendations register (CSV or XLSX; see the module docstring).

    Raises InputError/FileFormatError naming the file, line, column and value with a fix.
    """
    p = Path(path)
    what = "recommendations register"
    source, header, rows = _read_table(p, what, "id, date, theme, text, status, …")
    items = []
    for row in _rows(source, header, rows, REC_COLUMNS, REC_REQUIRED, what):
        made = row.date("date", required=True)
        assert made is not None
        items.append(Recommendation(
            id=row.text("id"), date=made, document=row.text("document"),
            theme=row.required("theme", "Give the theme or priority the recommendation is for."),
            text=row.required("text", "Give the recommendation itself."),
            owner=row.text("owner"), status=_status(row),
            due=row.date("due date", required=False), update=row.text("update"),
            line=row.line))
    return RecommendationsRegister(p, tuple(items))


def _as_date(value: object, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise InputError(f"{name} {value!r} is not a date. Pass a datetime.date, e.g. "
                     "date(2025, 3, 31).")


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key where runs of digits compare as numbers: R2 < R10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.casefold())
                 for part in re.split(r"(\d+)", text) if part)


def _selected(register: RecommendationsRegister, since: date | None) -> list[Recommendation]:
    start = None if since is None else _as_date(since, "since")
    chosen = [r for r in register if start is None or r.date >= start]
    return sorted(chosen, key=lambda r: (r.date, _natural(r.id), r.line))


def register_table(register: RecommendationsRegister, *, as_of: date,
                   since: date | None = None) -> pd.DataFrame:
    """The register as a table for the report: one row per recommendation dated on or after
    ``since`` (all when None), sorted by date then id, with its financial quarter and whether it
    is overdue at ``as_of``.

    Columns: id, date, quarter, document, theme, recommendation, owner, status, due, overdue,
    update. ``date`` and ``due`` hold ``datetime.date`` values (``due`` None when blank).
    """
    day = _as_date(as_of, "as_of")
    records = [{
        "id": r.id, "date": r.date, "quarter": financial_quarter(r.date).label,
        "document": r.document, "theme": r.theme, "recommendation": r.text, "owner": r.owner,
        "status": r.status, "due": r.due, "overdue": r.is_overdue(day), "update": r.update,
    } for r in _selected(register, since)]
    frame = pd.DataFrame.from_records(records, columns=list(TABLE_COLUMNS))
    frame["overdue"] = frame["overdue"].astype(bool)
    return frame


def status_summary(register: RecommendationsRegister, as_of: date, *,
                   since: date | None = None) -> pd.DataFrame:
    """How many recommendations have each status, and how many of those are overdue at
    ``as_of``: columns status, count, overdue; one row per status present, in the order of
    :data:`STATUSES`. ``since`` keeps rows dated on or after it, as in :func:`register_table`.
    """
    day = _as_date(as_of, "as_of")
    chosen = _selected(register, since)
    records = []
    for status in STATUSES:
        rows = [r for r in chosen if r.status == status]
        if rows:
            records.append({"status": status, "count": len(rows),
                            "overdue": sum(r.is_overdue(day) for r in rows)})
    frame = pd.DataFrame.from_records(records, columns=["status", "count", "overdue"])
    return frame.astype({"count": "int64", "overdue": "int64"})


# --------------------------------------------------------------------------- interventions


def _categories(row: _Row) -> tuple[str, ...]:
    written = row.text("categories")
    names: list[str] = []
    for part in written.split(";"):
        name = part.strip()
        if not name:
            continue
        if not taxonomy.is_known(name):
            lowered = {n.lower(): n for n in _CRIME_NAMES}
            close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
            tip = f" The closest is {lowered[close[0]]!r}." if close else ""
            if "," in name and all(taxonomy.is_known(p) for p in name.split(",") if p.strip()):
                tip = " Separate crime types with ';', not ','."
            raise row.fail("categories", name,
                           f"not a police.uk crime type.{tip} Use police.uk names separated by "
                           f"';': {', '.join(_CRIME_NAMES)}.")
        standard = taxonomy.standard_name(name)
        if standard not in names:
            names.append(standard)
    return tuple(names)


def _window(row: _Row) -> int:
    value = row.raw("window months")
    if not _is_filled(value):
        return DEFAULT_WINDOW_MONTHS
    text = _text(value)
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or not number.is_integer() \
            or number < 1:
        raise row.fail("window months", text, "not a whole number of months of 1 or more. "
                       f"Give e.g. 6, or leave it blank for {DEFAULT_WINDOW_MONTHS}.")
    return int(number)


def read_interventions(path: Path | str) -> InterventionsLog:
    """Read and check an interventions log (CSV or XLSX; see the module docstring).

    Raises InputError/FileFormatError naming the file, line, column and value with a fix.
    """
    p = Path(path)
    what = "interventions log"
    source, header, rows = _read_table(p, what, "id, what, area, start, …")
    items = []
    for row in _rows(source, header, rows, INT_COLUMNS, INT_REQUIRED, what):
        area = row.required("area", "Give the area the intervention covered.")
        start = row.date("start", required=True)
        assert start is not None
        end = row.date("end", required=False)
        if end is not None and end < start:
            raise row.fail("end", row.raw("end"), f"before the start ({start.isoformat()}). "
                           "Fix the dates, or leave end blank.")
        comparison = row.text("comparison area") or None
        if comparison is not None and _key(comparison) == _key(area):
            raise row.fail("comparison area", comparison,
                           "the same as the area. The comparison area must be a similar "
                           "place without the intervention; leave it blank if there is none.")
        items.append(Intervention(
            id=row.text("id"), what=row.required("what", "Say what the intervention was."),
            area=area, start=start, end=end, comparison_area=comparison,
            categories=_categories(row), window_months=_window(row), line=row.line))
    return InterventionsLog(p, tuple(items))
