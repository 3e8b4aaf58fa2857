"""Home Office police recorded crime open data tables, by Community Safety Partnership or force.

The Home Office publishes recorded crime as an ODS (or XLSX) workbook, one sheet per financial
year named like ``2018_19``, after front sheets (``Notes``, a cover, contents …), with the
columns ``Financial Year``, ``Financial Quarter``, ``Police Force``, ``CSP Name``, ``Offence
Description``, ``Offence Group``, ``Offence Subgroup``, ``Offence Code`` and ``Offence Count``
(older files: ``Number of Offences``; the force-level CSV tables write ``Force_Name``,
``Offence_Code``, ``Number_of_Offences``). Header names match case-insensitively, with
underscores, dashes and runs of spaces alike; other columns are ignored.

:func:`read_recorded_crime` streams every year sheet row by row and sums the counts by year,
quarter, force, CSP and offence code as it goes, so no DataFrame of the rows is ever made. An
ODS is read from its ``content.xml`` as a stream (lxml ``iterparse``, each row freed once
read), because python-calamine parses the whole ``content.xml`` of an ODS when it opens it
and would hold a 1 GB+ workbook in memory; an XLSX is read with python-calamine, one sheet at
a time; a CSV with the csv module.

Traps handled, all reported in :attr:`RecordedCrime.notes`, never dropped silently:

* "Unassigned" CSP rows belong to the force but no CSP: counted apart
  (:attr:`RecordedCrime.unassigned`), in the force's figures and in no CSP's;
* negative counts are adjustments: kept, so they net off against the other rows;
* fraud (Action Fraud, CIFAS, UK Finance …) is outside "All crime": counted apart
  (:attr:`RecordedCrime.fraud`) and kept out of every table;
* offence codes the hierarchy does not know (and whose subgroup name does not place them
  either) are kept in All crime and named;
* Home Office CSP names differing from the ONS names in the store ("&"/"and", "Bristol" /
  "Bristol, City of", "Hull" / "Kingston upon Hull, City of", a trailing " CSP"):
  :func:`map_csp_names` normalises and matches them and lists every name it could not map,
  with a suggestion.

:func:`recorded_counts` turns the rows of one CSP (or force) into the
:class:`~commsafe.sources.counts.CountsTable` that
:func:`~commsafe.measures.performance.performance_table` reads, by offence group, group and
subgroup, or police.uk crime type, by financial year. :func:`csp_counts` gives the counts of
every CSP of a force for :func:`commsafe.measures.context.recorded_context_table`.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final, Literal

import duckdb
import pandas as pd

from commsafe import hierarchy, periods
from commsafe.errors import FileFormatError, InputError
from commsafe.sources.counts import CountsTable

__all__ = [
    "ALL_CRIME",
    "BY_CHOICES",
    "CspMapping",
    "RecordedCrime",
    "csp_counts",
    "csp_key",
    "map_csp_names",
    "read_recorded_crime",
    "recorded_counts",
]

ALL_CRIME: Final = "All crime"
UNASSIGNED: Final = "Unassigned"
By = Literal["group", "subgroup", "police_uk"]
BY_CHOICES: Final[tuple[str, ...]] = ("group", "subgroup", "police_uk")

#: canonical column → header names it is published under (normalised by :func:`_header_key`)
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "year": ("financial year", "year", "fin year"),
    "quarter": ("financial quarter", "quarter", "fin qtr", "financial qtr"),
    "force": ("police force", "force name", "force", "police force area", "pfa name",
              "pfa"),
    "csp": ("csp name", "csp", "community safety partnership", "community safety "
            "partnership name"),
    "description": ("offence description", "offence"),
    "group": ("offence group",),
    "subgroup": ("offence subgroup", "offence sub group"),
    "code": ("offence code", "ho offence code", "home office offence code"),
    "count": ("offence count", "number of offences", "count", "offences",
              "number of crimes"),
}
REQUIRED: Final = ("year", "force", "code", "count")
_SHOWN: Final = {"year": "Financial Year", "quarter": "Financial Quarter",
                 "force": "Police Force", "csp": "CSP Name",
                 "description": "Offence Description", "group": "Offence Group",
                 "subgroup": "Offence Subgroup", "code": "Offence Code",
                 "count": "Offence Count"}
_YEAR_SHEET: Final = re.compile(r"^\s*(\d{4})\s*[_/\-]\s*(\d{2}|\d{4})\s*$")
_HEADER_SCAN: Final = 30  # rows searched for the header (title rows may come first)
_FRAUD_FORCES: Final = ("action fraud", "cifas", "uk finance", "financial fraud action")


def _header_key(text: object) -> str:
    return re.sub(r"[\s_\-]+", " ", str(text or "")).strip().casefold()


_ALIAS: Final[dict[str, str]] = {alias: canon for canon, aliases in COLUMNS.items()
                                 for alias in aliases}


# --------------------------------------------------------------------------- CSP names

_CSP_SUFFIX: Final = re.compile(r"\s+(csp|community safety partnership|cs partnership)$")
#: Home Office spellings that normalising alone does not bring to the ONS name (key → key)
_CSP_ALIASES: Final[dict[str, str]] = {
    "hull": "kingston upon hull",
    "city of kingston upon hull": "kingston upon hull",
    "herefordshire": "herefordshire",
    "durham": "county durham",
    "st helens": "st helens",
    "rhondda cynon taff": "rhondda cynon taf",
    "vale of glamorgan the": "vale of glamorgan",
}


def csp_key(name: str) -> str:
    """The matching form of a CSP name: case-folded, '&' as 'and', punctuation dropped, a
    trailing ' CSP' or 'Community Safety Partnership' and ', City of' / 'City of ' dropped,
    'St.'/'Saint' as 'st', whitespace collapsed. 'Bristol, City of', 'Bristol' and 'Bristol
    CSP' share one key."""
    text = hierarchy.normalise(name)  # case, dashes, '&' → 'and', spaces
    text = text.replace("'", "").replace("\u2019", "")
    text = re.sub(r"[.,;:()]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = _CSP_SUFFIX.sub("", text)
    text = re.sub(r"\s+city of$", "", text)
    text = re.sub(r"^city of\s+", "", text)
    text = re.sub(r"\bsaint\b", "st", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _CSP_ALIASES.get(text, text)


def _is_unassigned(name: str) -> bool:
    return csp_key(name) in ("unassigned", "unknown", "not assigned", "")


@dataclass(frozen=True)
class CspMapping:
    """Home Office CSP names matched to the store's CSP areas."""

    mapped: dict[str, tuple[str, str]]
    """Home Office name → (ONS area code, ONS area name)."""
    unmapped: dict[str, str | None]
    """Home Office name → a suggested ONS name (or None when nothing is close)."""

    def notes(self) -> list[str]:
        out = []
        for name, hint in self.unmapped.items():
            tip = (f"did you mean {hint!r}? (the name differs from the ONS one)" if hint
                   else "no CSP of the store has a close name; load the LTLA → CSP → PFA "
                        "lookup for this year with 'commsafe reference load'")
            out.append(f"CSP {name!r} of the Home Office table matches no CSP in the "
                       f"store: {tip}")
        return out


def map_csp_names(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> CspMapping:
    """Match Home Office CSP ``names`` to the ``areas`` of type ``csp`` (ONS names), by
    :func:`csp_key`; the newest vintage wins when two areas share a key."""
    rows = con.execute("SELECT area_code, area_name FROM areas WHERE area_type = 'csp' "
                       "AND area_name IS NOT NULL ORDER BY vintage NULLS FIRST, area_code"
                       ).fetchall()
    by_key: dict[str, tuple[str, str]] = {}
    for code, name in rows:
        by_key[csp_key(str(name))] = (str(code), str(name))
    ons_names = {key: area[1] for key, area in by_key.items()}
    mapped: dict[str, tuple[str, str]] = {}
    unmapped: dict[str, str | None] = {}
    for name in dict.fromkeys(names):
        if _is_unassigned(name):
            continue
        key = csp_key(name)
        if key in by_key:
            mapped[name] = by_key[key]
            continue
        close = difflib.get_close_matches(key, list(ons_names), n=1, cutoff=0.6)
        if not close:
            close = [k for k in ons_names if key and (key in k or k in key)][:1]
        unmapped[name] = ons_names[close[0]] if close else None
    return CspMapping(mapped, unmapped)


# --------------------------------------------------------------------------- reading


@dataclass
class RecordedCrime:
    """A Home Office recorded crime table, summed by year, quarter, force, CSP and code."""

    path: Path
    frame: pd.DataFrame
    """Columns ``year`` (``2018/19``), ``quarter`` (0 when not given), ``force``, ``csp``
    (``''`` in a force-level table; 'Unassigned' rows kept under their name), ``code``
    (normalised), ``group_key`` (the hierarchy group, None for fraud and unknown codes),
    ``fraud`` (bool), ``count`` (net of adjustments)."""
    has_csp: bool
    sheets: list[str]
    skipped_sheets: list[str]
    negative_rows: int = 0
    negative_total: int = 0
    codes: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    """Offence code → (description, group, subgroup) as first published."""
    unknown_codes: dict[str, str] = field(default_factory=dict)
    """Codes neither the hierarchy nor their subgroup name place → description."""
    notes: list[str] = field(default_factory=list)

    @property
    def years(self) -> list[str]:
        return sorted(set(self.frame["year"]))

    @property
    def fraud(self) -> pd.DataFrame:
        """Fraud counts (outside All crime) by year and force."""
        sel = self.frame[self.frame["fraud"]]
        return sel.groupby(["year", "force"], as_index=False)["count"].sum()

    @property
    def unassigned(self) -> pd.DataFrame:
        """Counts of 'Unassigned' CSP rows (in the force, in no CSP) by year and force."""
        sel = self.frame[(self.frame["csp"] != "") & self.frame["csp"].map(_is_unassigned)
                         & ~self.frame["fraud"]]
        return sel.groupby(["year", "force"], as_index=False)["count"].sum()

    def csp_names(self, force: str | None = None) -> list[str]:
        """CSP names (Unassigned left out), of one force if given, in file order."""
        frame = self.frame
        if force is not None:
            frame = frame[frame["force"] == force]
        return [c for c in dict.fromkeys(frame["csp"]) if c and not _is_unassigned(c)]

    def forces(self) -> list[str]:
        return list(dict.fromkeys(self.frame.loc[~self.frame["fraud"], "force"]))


def _at(path: Path, sheet: str | None, row: int, column: str | None = None,
        value: object = None) -> str:
    parts = [str(path)]
    if sheet is not None:
        parts.append(f"sheet {sheet!r}")
    parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    if value is not None:
        shown = str(value)
        parts.append(f"value {(shown[:57] + '...') if len(shown) > 60 else shown!r}")
    return ", ".join(parts)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


Where = str | Callable[[], str]
"""A location for messages, or a function making it (only called when there is an error)."""


def _where(where: Where) -> str:
    return where() if callable(where) else where


def _year_label(value: object, where: Where) -> str:
    text = _text(value).replace("_", "/").replace("-", "/").replace(" ", "")
    m = re.fullmatch(r"(?:FY)?(\d{4})/(\d{2}|\d{4})", text, flags=re.IGNORECASE)
    if m:
        first, second = m.group(1), m.group(2)
        text = f"{first}/{second[-2:]}"
    try:
        return periods.parse_period("financial_year", text).label
    except InputError:
        raise InputError(f"{_where(where)}: not a financial year. Write it as 2018/19 (April "
                         "2018 to March 2019), as the Home Office tables do.") from None


def _quarter(value: object, where: Where) -> int:
    text = _text(value).upper().removeprefix("Q")
    if text == "":
        return 0
    if text in ("1", "2", "3", "4"):
        return int(text)
    raise InputError(f"{_where(where)}: not a financial quarter. Give 1, 2, 3 or 4 (Q1 is April to "
                     "June), or leave the cell empty.")


def _count(value: object, where: Where) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value).replace(",", "")
        if text == "":
            raise InputError(f"{_where(where)}: empty. Every row needs its number of "
                             "offences; put 0 if there were none.")
        try:
            number = float(text)
        except ValueError:
            raise InputError(f"{_where(where)}: not a number. Give the number of offences (a whole "
                             "number; negative adjustments are allowed).") from None
    if not number.is_integer():
        raise InputError(f"{_where(where)}: not a whole number. Counts of offences are whole "
                         "numbers; fix the cell.")
    return int(number)


def _header(cells: Sequence[object]) -> dict[str, int] | None:
    """Canonical column → position, when ``cells`` is a header row (has every REQUIRED)."""
    index: dict[str, int] = {}
    for i, cell in enumerate(cells):
        canon = _ALIAS.get(_header_key(cell))
        if canon is not None and canon not in index:
            index[canon] = i
    return index if all(c in index for c in REQUIRED) else None


def _sheet_rows(path: Path) -> Iterator[tuple[str | None, Iterator[tuple[int, list[Any]]]]]:
    """(sheet name, rows numbered from 1) for each sheet to read; CSV gives one None sheet."""
    if path.suffix.lower() in (".csv", ".txt"):
        def csv_rows() -> Iterator[tuple[int, list[Any]]]:
            try:
                with path.open(newline="", encoding="utf-8-sig") as handle:
                    for number, row in enumerate(csv.reader(handle), start=1):
                        yield number, list(row)
            except UnicodeDecodeError as exc:
                raise FileFormatError(f"{path}: not UTF-8 text ({exc}). Fix: save the table "
                                      "as CSV UTF-8.") from None
        yield None, csv_rows()
        return
    if path.suffix.lower() == ".ods":
        yield from _ods_sheets(path)
        return
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for unreadable books
        raise FileFormatError(f"{path}: cannot be read as a spreadsheet ({exc}). Fix: give "
                              "the Home Office .ods or .xlsx file as downloaded, or a CSV."
                              ) from None
    names = list(book.sheet_names)
    years = [n for n in names if _YEAR_SHEET.match(n)]
    for name in names:
        if years and name not in years:  # a front sheet: Notes, cover, contents
            yield name, iter(())
            continue
        sheet = book.get_sheet_by_name(name)  # one sheet's cells at a time (XLSX)
        start = sheet.start[0] if sheet.start else 0

        def rows(sheet: Any = sheet, start: int = start) -> Iterator[tuple[int, list[Any]]]:
            yield from enumerate(sheet.iter_rows(), start=start + 1)
        yield name, rows()


# --- ODS, streamed: calamine parses the whole content.xml of an ODS when it opens it, so
# a 1 GB workbook would be held in memory; this reads content.xml as a stream instead.

_T: Final = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_O: Final = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELLS: Final = (f"{_T}table-cell", f"{_T}covered-table-cell")


def _ods_value(cell: Any) -> object:
    kind = cell.get(f"{_O}value-type")
    if kind in ("float", "percentage", "currency"):
        return float(cell.get(f"{_O}value"))
    if kind == "date":
        return cell.get(f"{_O}date-value")
    if kind == "boolean":
        return cell.get(f"{_O}boolean-value")
    if len(cell) == 1 and len(cell[0]) == 0:  # one plain paragraph: the common case
        text = cell[0].text or ""
    else:
        text = "\n".join("".join(p.itertext()) for p in cell)
    return text if text != "" else None


def _ods_events(path: Path) -> Iterator[tuple[str, int, list[Any] | None]]:
    """(sheet, row number, cells) for each row of ``content.xml``, and (sheet, 0, None) as
    each sheet starts; each row is freed as soon as it is read (lxml's iterparse, which
    python-docx already requires, filtering tables and rows in C)."""
    import zipfile

    from lxml import etree

    try:
        archive = zipfile.ZipFile(path)
        handle = archive.open("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise FileFormatError(f"{path}: not an OpenDocument spreadsheet ({exc}). Fix: give the "
                              "Home Office .ods file as downloaded, or save it as .xlsx."
                              ) from None
    table, row_tag = f"{_T}table", f"{_T}table-row"
    with archive, handle:
        sheet = ""
        number = 0
        try:
            for event, el in etree.iterparse(handle, events=("start", "end"),
                                             tag=(table, row_tag), huge_tree=True):
                if el.tag == table:
                    if event == "start":
                        sheet, number = str(el.get(f"{_T}name", "")), 0
                        yield sheet, 0, None
                    else:
                        el.clear()
                    continue
                if event == "start":
                    continue
                cells: list[Any] = []
                gap = 0
                for cell in el:
                    if cell.tag not in _CELLS:
                        continue
                    repeat = int(cell.get(f"{_T}number-columns-repeated", "1"))
                    value = _ods_value(cell)
                    if value is None:
                        gap += repeat  # trailing blanks (often thousands) are never built
                        continue
                    cells.extend([None] * gap)
                    gap = 0
                    cells.extend([value] * repeat)
                repeat_rows = int(el.get(f"{_T}number-rows-repeated", "1"))
                el.clear()
                while el.getprevious() is not None:  # drop the rows read before it
                    del el.getparent()[0]
                if not cells:
                    number += repeat_rows
                    continue
                for _ in range(repeat_rows):
                    number += 1
                    yield sheet, number, cells
        except etree.XMLSyntaxError as exc:
            raise FileFormatError(f"{path}: content.xml is not well-formed ({exc}). Fix: open "
                                  "and save the workbook again, or save it as .xlsx.") from None


def _ods_sheets(path: Path) -> Iterator[tuple[str | None, Iterator[tuple[int, list[Any]]]]]:
    events = _ods_events(path)
    pending = next(events, None)
    while pending is not None:
        name = pending[0]

        def rows() -> Iterator[tuple[int, list[Any]]]:
            nonlocal pending
            for item in events:
                if item[2] is None:  # the next sheet starts
                    pending = item
                    return
                yield item[1], item[2]
            pending = None

        sheet_rows = rows()
        yield name, sheet_rows
        for _ in sheet_rows:  # skip what the reader did not want of this sheet
            pass


def read_recorded_crime(path: Path | str) -> RecordedCrime:
    """Read a Home Office recorded crime table (ODS, XLSX or CSV), streaming its rows.

    Year sheets (``2018_19``) are read; other sheets (Notes, cover, contents) are skipped and
    listed. A workbook without year sheets has each sheet read whose header (in its first 30
    rows) has the required columns. Raises :class:`~commsafe.errors.InputError` naming file,
    sheet, row, column and value, with the fix.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file. Check the path to the Home Office table.")
    if p.suffix.lower() not in (".ods", ".xlsx", ".xlsm", ".xls", ".csv", ".txt"):
        raise FileFormatError(f"{p}: a {p.suffix or 'suffixless'} file. Give the Home Office "
                              "table as .ods, .xlsx or .csv.")
    totals: dict[tuple[str, int, str, str, str], int] = defaultdict(int)
    codes: dict[str, tuple[str, str, str]] = {}
    read: list[str] = []
    skipped: list[str] = []
    others: list[tuple[str, _Sheet | InputError]] = []
    has_csp = True
    negative_rows = negative_total = 0
    mismatched: dict[str, set[str]] = {}
    wanted = ", ".join(_SHOWN[c] for c in REQUIRED)
    for sheet, rows in _sheet_rows(p):
        is_year = sheet is None or bool(_YEAR_SHEET.match(sheet))
        try:
            part = _read_sheet(p, sheet, rows)
        except InputError as exc:
            if is_year:
                raise
            others.append((str(sheet), exc))  # an error only if no year sheet is found
            continue
        if part is None:
            if is_year:
                raise FileFormatError(
                    f"{_at(p, sheet, 1)}: no header row with the columns {wanted} in the "
                    f"first {_HEADER_SCAN} rows. Fix: give the Home Office table as published "
                    "(older names such as Number of Offences and Force_Name are accepted).")
            skipped.append(str(sheet))
            continue
        if not is_year:
            others.append((str(sheet), part))
            continue
        if sheet is not None:
            read.append(sheet)
            if part.mismatched:
                mismatched[sheet] = part.mismatched
        _merge(part, totals, codes)
        has_csp = has_csp and part.has_csp
        negative_rows += part.negative_rows
        negative_total += part.negative_total
    if read:  # year sheets found: other sheets with data are summaries, not read twice
        skipped.extend(name for name, _ in others)
    else:
        for name, item in others:
            if isinstance(item, InputError):
                raise item
            read.append(name)
            _merge(item, totals, codes)
            has_csp = has_csp and item.has_csp
            negative_rows += item.negative_rows
            negative_total += item.negative_total
    if not totals:
        raise FileFormatError(f"{p}: no rows of offences (sheets read: "
                              f"{', '.join(read) or 'none'}). Give the Home Office table with "
                              "its year sheets.")
    return _build(p, totals, codes, has_csp, read, skipped, negative_rows, negative_total,
                  mismatched)


@dataclass
class _Sheet:
    totals: dict[tuple[str, int, str, str, str], int]
    codes: dict[str, tuple[str, str, str]]
    has_csp: bool
    negative_rows: int
    negative_total: int
    mismatched: set[str]


def _merge(part: _Sheet, totals: dict[tuple[str, int, str, str, str], int],
           codes: dict[str, tuple[str, str, str]]) -> None:
    for key, n in part.totals.items():
        totals[key] += n
    for code, info in part.codes.items():
        codes.setdefault(code, info)


def _read_sheet(p: Path, sheet: str | None, rows: Iterable[tuple[int, list[Any]]]
                ) -> _Sheet | None:
    """One sheet's counts summed, or None when no header is found in its first rows."""
    totals: dict[tuple[str, int, str, str, str], int] = defaultdict(int)
    codes: dict[str, tuple[str, str, str]] = {}
    negative_rows = negative_total = 0
    mismatched: set[str] = set()
    years: dict[str, str] = {}
    m = _YEAR_SHEET.match(sheet) if sheet is not None else None
    sheet_year = _year_label(f"{m.group(1)}/{m.group(2)}", str(sheet)) if m else None
    index: dict[str, int] | None = None
    for number, cells in rows:
        if index is None:
            index = _header(cells)
            if index is None and number >= _HEADER_SCAN:
                return None
            continue
        if not any(_text(c) for c in cells):
            continue

        def cell(name: str, cells: list[Any] = cells, index: dict[str, int] = index
                 ) -> object:
            i = index.get(name)
            return cells[i] if i is not None and i < len(cells) else None

        def at(name: str, number: int = number) -> str:
            return _at(p, sheet, number, _SHOWN[name], cell(name))

        raw_year = cell("year")
        year = years.get(raw_year) if isinstance(raw_year, str) else None
        if year is None:
            year = _year_label(raw_year, partial(at, "year"))
            if isinstance(raw_year, str):
                years[raw_year] = year
        if sheet_year is not None and year != sheet_year:
            mismatched.add(year)
        quarter = _quarter(cell("quarter"), partial(at, "quarter")) if "quarter" in index else 0
        force = _text(cell("force"))
        if not force:
            raise InputError(f"{at('force')}: empty. Every row needs its police force.")
        csp = _text(cell("csp")) if "csp" in index else ""
        raw_code = _text(cell("code"))
        if not raw_code:
            raise InputError(f"{at('code')}: empty. Every row needs its Home Office "
                             "offence code (e.g. 8N, 105A).")
        code = _code_key(raw_code)
        n = _count(cell("count"), partial(at, "count"))
        if n < 0:
            negative_rows += 1
            negative_total += n
        totals[(year, quarter, force, csp, code)] += n
        if code not in codes:
            codes[code] = (_text(cell("description")), _text(cell("group")),
                           _text(cell("subgroup")))
    if index is None:
        return None
    return _Sheet(totals, codes, "csp" in index, negative_rows, negative_total, mismatched)


def _code_key(raw: str) -> str:
    """A code as the hierarchy writes it; combined codes ('1/4.1/4.10/4.2') kept whole."""
    parts = [part for part in raw.split("/") if part.strip()]
    if len(parts) > 1 and any("." in part for part in parts):
        return "/".join(hierarchy.normalise_code(part) for part in parts)
    return hierarchy.normalise_code(raw)


def _classify(code: str, info: tuple[str, str, str]) -> tuple[str | None, bool]:
    """(hierarchy group key or None, is fraud) of an offence code."""
    _description, group_name, subgroup = info
    if any(hierarchy.normalise(text).startswith("fraud") for text in (group_name, subgroup)):
        return None, True
    group = hierarchy.group_for_offence_code(code)
    if group is None and "/" in code:  # a combined code: every part in one group
        found = {hierarchy.group_for_offence_code(part) for part in code.split("/")}
        if len(found) == 1:
            group = found.pop()
    if group is None and subgroup:
        group = hierarchy.find_group(subgroup)
        if group is not None and hierarchy.children(group.key):
            group = None  # a name that is not a leaf does not place a code
    if group is None and code.upper() in ("AF", "CIFAS", "UK FINANCE", "FFA UK"):
        return None, True
    return (group.key if group else None), False


def _build(p: Path, totals: dict[tuple[str, int, str, str, str], int],
           codes: dict[str, tuple[str, str, str]], has_csp: bool, read: list[str],
           skipped: list[str], negative_rows: int, negative_total: int,
           mismatched: dict[str, set[str]]) -> RecordedCrime:
    classes = {code: _classify(code, info) for code, info in codes.items()}
    records = []
    for (year, quarter, force, csp, code), n in totals.items():
        key, fraud = classes[code]
        fraud = fraud or any(f in force.casefold() for f in _FRAUD_FORCES)
        records.append((year, quarter, force, csp, code, None if fraud else key, fraud, n))
    frame = pd.DataFrame.from_records(
        records, columns=["year", "quarter", "force", "csp", "code", "group_key", "fraud",
                          "count"])
    frame["count"] = frame["count"].astype("int64")
    unknown = {code: codes[code][0] or codes[code][2] for code, (key, fraud) in classes.items()
               if key is None and not fraud}
    data = RecordedCrime(p, frame, has_csp, read, skipped, negative_rows, negative_total,
                         codes, unknown)
    notes = data.notes
    if skipped:
        notes.append(f"sheets not read (not a year sheet such as 2018_19): "
                     f"{', '.join(skipped)}")
    for sheet, years in mismatched.items():
        notes.append(f"sheet {sheet!r} holds rows for {', '.join(sorted(years))}: each row is "
                     "counted in the year its Financial Year column gives")
    if negative_rows:
        notes.append(f"{negative_rows:,} row(s) with negative counts (adjustments, "
                     f"{negative_total:,} in all) are kept: they net off against the others")
    fraud = data.fraud
    if not fraud.empty:
        by_force = fraud.groupby("force", sort=False)["count"].sum()
        notes.append(f"fraud offences are outside All crime and in no table: "
                     f"{int(by_force.sum()):,} in the file ("
                     + "; ".join(f"{f} {int(n):,}" for f, n in by_force.items()) + ")")
    un = data.unassigned
    if not un.empty:
        notes.append(f"{int(un['count'].sum()):,} offences are in 'Unassigned' CSP rows: they "
                     "belong to their force but to no CSP (in the force's figures only)")
    if unknown:
        notes.append("offence codes not in the Home Office hierarchy (counted in All crime, "
                     "in no group): " + ", ".join(f"{c} ({d})" if d else c
                                                  for c, d in unknown.items()))
    return data


# --------------------------------------------------------------------------- counts tables

_BY_KEY: Final = {g.key: g for g in hierarchy.HIERARCHY}


def _categories(key: str | None, by: str) -> list[str]:
    """Category names a row of group ``key`` counts in (All crime first)."""
    out = [ALL_CRIME]
    if key is None:
        return out
    group = _BY_KEY[key]
    if by == "police_uk":
        chain = [group]
        while chain[-1].parent:
            chain.append(_BY_KEY[chain[-1].parent])
        types = [g.police_uk for g in chain if g.police_uk]
        if types:
            out.append(types[0])
        return out
    chain = []
    g: hierarchy.OffenceGroup | None = group
    while g is not None and g.level > 0:
        chain.append(g)
        g = _BY_KEY[g.parent] if g.parent else None
    chain.reverse()
    if by == "group":
        chain = chain[:1]
    out.extend(c.name for c in chain)
    return out


def _check_by(by: str) -> None:
    if by not in BY_CHOICES:
        raise InputError(f"--by {by!r}: choose group (the offence groups), subgroup (groups "
                         "and their subgroups) or police_uk (police.uk crime types).")


def _pick(names: Iterable[str], wanted: str, what: str, path: Path, key: Any) -> str:
    names = list(names)
    hits = [n for n in names if key(n) == key(wanted)]
    if hits:
        return hits[0]
    close = difflib.get_close_matches(key(wanted), [key(n) for n in names], n=3, cutoff=0.5)
    shown = [n for n in names if key(n) in close]
    hint = (f" Close matches: {', '.join(shown)}." if shown else
            f" Names in the file: {', '.join(names[:12])}{' …' if len(names) > 12 else ''}.")
    raise InputError(f"{path}: no {what} {wanted!r} in the table.{hint} Fix: give the name "
                     "as the Home Office table writes it.")


def find_csp(data: RecordedCrime, name: str) -> tuple[str, str]:
    """(force, Home Office CSP name) of the CSP called ``name`` (matched by :func:`csp_key`)."""
    if not data.has_csp:
        raise InputError(f"{data.path}: a force-level table (no CSP Name column). Fix: "
                         "choose a force with --force, or give the table by CSP.")
    pairs = data.frame.loc[~data.frame["fraud"], ["force", "csp"]].drop_duplicates()
    pairs = pairs[pairs["csp"].map(lambda c: bool(c) and not _is_unassigned(c))]
    csp = _pick(pairs["csp"], name, "CSP", data.path, csp_key)
    force = str(pairs.loc[pairs["csp"] == csp, "force"].iloc[0])
    return force, csp


def find_force(data: RecordedCrime, name: str) -> str:
    """The force called ``name`` in the table (case, '&'/'and' and spacing ignored)."""
    return _pick(data.forces(), name, "police force", data.path,
                 lambda n: hierarchy.normalise(n).removesuffix(" police"))


def _table_frame(frame: pd.DataFrame, years: Sequence[str], by: str, area: str
                 ) -> pd.DataFrame:
    """Rows ``area, category, period, kind, start, count, line`` of ``frame`` by ``by``;
    every category found gets a row (0 when none) in each of ``years``."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    cats: dict[str, None] = {ALL_CRIME: None}
    grouped = frame.groupby(["year", "group_key"], dropna=False)["count"].sum()
    for (year, key), n in grouped.items():
        for cat in _categories(None if pd.isna(key) else str(key), by):
            cats.setdefault(cat, None)
            sums[(cat, str(year))] += int(n)
    records = []
    for year in years:
        p = periods.parse_period("financial_year", year)
        for cat in cats:
            records.append({"area": area, "category": cat, "period": p.label,
                            "kind": p.kind, "start": p.start,
                            "count": sums.get((cat, year), 0), "line": 0})
    return pd.DataFrame.from_records(records, columns=["area", "category", "period", "kind",
                                                       "start", "count", "line"])


def recorded_counts(data: RecordedCrime, *, csp: str | None = None, force: str | None = None,
                    by: str = "subgroup") -> tuple[CountsTable, list[str]]:
    """The counts table of one CSP (or, with ``force``, one police force: its CSPs and its
    Unassigned rows) by financial year, for
    :func:`~commsafe.measures.performance.performance_table`, and the notes to show with it.

    ``by``: ``group`` (All crime and the offence groups), ``subgroup`` (All crime, groups and
    every subgroup) or ``police_uk`` (All crime and the police.uk crime types). Fraud is in
    no category; codes outside the hierarchy count in All crime only. A year the area has
    rows in is a year of data: a category without offences in it counts 0.
    """
    _check_by(by)
    if (csp is None) == (force is None):
        raise InputError("choose one CSP (--csp) or one police force (--force).")
    frame = data.frame[~data.frame["fraud"]]
    notes: list[str] = []
    if csp is not None:
        force_name, csp_name = find_csp(data, csp)
        frame = frame[(frame["force"] == force_name) & (frame["csp"] == csp_name)]
        area = csp_name
        un = data.unassigned
        un = un[un["force"] == force_name]
        notes.append(f"{csp_name} ({force_name}): Home Office police recorded crime, "
                     f"{data.path.name}"
                     + (f"; {int(un['count'].sum()):,} offences of {force_name} in "
                        "'Unassigned' CSP rows are in no CSP's figures" if not un.empty
                        else ""))
    else:
        assert force is not None
        force_name = find_force(data, force)
        frame = frame[frame["force"] == force_name]
        area = force_name
        un = data.unassigned
        un = un[un["force"] == force_name]
        notes.append(f"{force_name}: Home Office police recorded crime, {data.path.name}"
                     + (f"; includes {int(un['count'].sum()):,} offences in 'Unassigned' CSP "
                        "rows" if not un.empty else ""))
    years = sorted(set(frame["year"]))
    table = _table_frame(frame, years, by, area)
    negative = table[table["count"] < 0]
    for r in negative.itertuples():
        notes.append(f"{r.category} {r.period}: the adjustments outweigh the offences "
                     f"(net {r.count})")
    if data.negative_rows:
        sel_neg = int((frame["count"] < 0).sum())
        if sel_neg:
            notes.append(f"{sel_neg} negative adjustment(s) in {area}'s rows net off against "
                         "its other offences")
    unknown = sorted(set(frame.loc[frame["group_key"].isna(), "code"]))
    if unknown:
        notes.append("counted in All crime only (code not in the Home Office hierarchy): "
                     + ", ".join(unknown))
    notes.extend(data.notes)
    return CountsTable(data.path, table, "financial_year"), notes


def csp_counts(data: RecordedCrime, force: str, year: str, *, by: str = "police_uk"
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of every CSP of ``force`` in financial ``year`` by category, and the force's.

    Returns ``(csps, force_counts)``: ``csps`` has columns ``csp, category, count`` (one row
    per CSP and category, 0 when none; Unassigned left out), ``force_counts`` ``category,
    count`` for the whole force (its CSPs and its Unassigned rows). Fraud is in neither.
    """
    _check_by(by)
    label = periods.parse_period("financial_year", year).label
    if label not in data.years:
        raise InputError(f"--year {year}: not in {data.path.name} (years: "
                         f"{', '.join(data.years)}).")
    frame = data.frame[~data.frame["fraud"] & (data.frame["force"] == force)
                       & (data.frame["year"] == label)]
    names = data.csp_names(force)
    force_table = _table_frame(frame, [label], by, force)
    cats = list(force_table["category"])
    rows: list[dict[str, object]] = []
    for name in names:
        part = _table_frame(frame[frame["csp"] == name], [label], by, name)
        got = dict(zip(part["category"], part["count"], strict=True))
        rows.extend({"csp": name, "category": c, "count": int(got.get(c, 0))} for c in cats)
    csps = pd.DataFrame.from_records(rows, columns=["csp", "category", "count"])
    return csps, force_table[["category", "count"]].reset_index(drop=True)
