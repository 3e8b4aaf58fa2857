"""Reader for data.police.uk CSV files: street-level crime and ASB, outcomes, stop and search.

A file's kind is recognised by its header (the file name is used for the force and month when it
follows the police.uk pattern ``YYYY-MM-<force>-<kind>.csv``). Parsing yields every data row as
text, with its row number (1 = first data row) and the physical line it starts on, plus rows
that could not be parsed (wrong number of fields, bytes that are not UTF-8) as rejects.

Two parsers give identical results: a fast one (Arrow's multi-threaded CSV reader) used when
the file is clean UTF-8 with one record per line, and an exact one (Python's csv module) used
otherwise, which knows the line of every record. Field validation (month, coordinates…) happens
afterwards, in SQL, in :mod:`commsafe.store.ingest`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from commsafe.errors import FileFormatError
from commsafe.sources.files import MAX_CELL, csv_line
from commsafe.store.loads import Reject

__all__ = [
    "KINDS",
    "ParsedFile",
    "Schema",
    "detect_kind",
    "force_slug",
    "name_info",
    "parse",
    "sniff",
]


@dataclass(frozen=True)
class Schema:
    """A police.uk file kind: its published columns and the names we store them under."""

    kind: str
    columns: tuple[tuple[str, str], ...]  # (published header, internal name)
    required: frozenset[str]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(h for h, _ in self.columns)

    def internal(self, header: str) -> str | None:
        for h, name in self.columns:
            if h.lower() == header.lower():
                return name
        return None


STREET = Schema(
    "street",
    (
        ("Crime ID", "crime_id"), ("Month", "month"), ("Reported by", "reported_by"),
        ("Falls within", "falls_within"), ("Longitude", "longitude"), ("Latitude", "latitude"),
        ("Location", "location"), ("LSOA code", "lsoa_code"), ("LSOA name", "lsoa_name"),
        ("Crime type", "category"), ("Last outcome category", "outcome"),
        ("Context", "context"),
    ),
    frozenset({"Crime ID", "Month", "Longitude", "Latitude", "LSOA code", "Crime type"}),
)
OUTCOMES = Schema(
    "outcomes",
    (
        ("Crime ID", "crime_id"), ("Month", "month"), ("Reported by", "reported_by"),
        ("Falls within", "falls_within"), ("Longitude", "longitude"), ("Latitude", "latitude"),
        ("Location", "location"), ("LSOA code", "lsoa_code"), ("LSOA name", "lsoa_name"),
        ("Outcome type", "outcome_type"),
    ),
    frozenset({"Crime ID", "Month", "Outcome type"}),
)
STOP_SEARCH = Schema(
    "stop_search",
    (
        ("Type", "search_type"), ("Date", "searched_at"),
        ("Part of a policing operation", "part_of_operation"),
        ("Policing operation", "policing_operation"), ("Latitude", "latitude"),
        ("Longitude", "longitude"), ("Gender", "gender"), ("Age range", "age_range"),
        ("Self-defined ethnicity", "self_defined_ethnicity"),
        ("Officer-defined ethnicity", "officer_defined_ethnicity"),
        ("Legislation", "legislation"), ("Object of search", "object_of_search"),
        ("Outcome", "outcome"),
        ("Outcome linked to object of search", "outcome_linked_to_object"),
        ("Removal of more than just outer clothing", "removal_of_outer_clothing"),
    ),
    frozenset({"Type", "Date", "Latitude", "Longitude", "Gender", "Age range"}),
)
KINDS: dict[str, Schema] = {s.kind: s for s in (STREET, OUTCOMES, STOP_SEARCH)}

_NAME_RE = re.compile(
    # a real month only: '2024-13-x-street.csv' is not a police.uk name (and 2024-13 no date)
    r"^(?P<month>\d{4}-(?:0[1-9]|1[0-2]))-(?P<force>[a-z0-9-]+?)"
    r"-(?P<kind>street|outcomes|stop-and-search)\.csv$",
    re.IGNORECASE,
)


def name_info(name: str) -> tuple[str | None, str | None, str | None]:
    """(month 'YYYY-MM', force slug, kind) from a police.uk file name, or Nones."""
    m = _NAME_RE.match(PurePosixPath(name).name)
    if not m:
        return None, None, None
    kind = m.group("kind").lower().replace("stop-and-search", "stop_search")
    return m.group("month"), m.group("force").lower(), kind


# Forces whose police.uk slug is not their name without 'Police'/'Constabulary'.
_SLUG_ALIASES = {
    "of-northern-ireland": "northern-ireland",  # Police Service of Northern Ireland
    "psni": "northern-ireland",
    "british-transport": "btp",
    "hampshire-and-isle-of-wight": "hampshire",
}


def force_slug(text: str) -> str:
    """'Cambridgeshire Constabulary' → 'cambridgeshire' (the slug police.uk uses in names)."""
    t = text.lower().replace("&", " and ")
    for word in ("constabulary", "police service", "police force", "police"):
        t = re.sub(rf"\b{word}\b", " ", t)
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    t = _SLUG_ALIASES.get(t, t)
    return t or "unknown"


def _split_header(first_line: str, path: str = "<file>") -> list[str]:
    try:
        return [h.strip() for h in next(csv.reader([first_line]), [])]
    except csv.Error as exc:  # e.g. a NUL or a line break the caller did not cut at
        raise FileFormatError(
            f"{path} line 1: cannot read the header ({exc}). Save the file as UTF-8 CSV with "
            "Windows or Unix line endings, or re-download it from data.police.uk."
        ) from None


def detect_kind(header: list[str], path: str) -> Schema:
    """The schema whose required columns the header has; FileFormatError otherwise."""
    have = {h.lower() for h in header}
    for schema in (STREET, OUTCOMES, STOP_SEARCH):
        if {r.lower() for r in schema.required} <= have:
            # street and outcomes share most columns; street has Crime type
            if schema is OUTCOMES and "crime type" in have:
                continue
            return schema
    shown = ", ".join(header[:6]) + (" …" if len(header) > 6 else "")
    raise FileFormatError(
        f"{path}: not a police.uk street, outcomes or stop-and-search file (header: {shown}). "
        f"A street file's header starts 'Crime ID,Month,Reported by,Falls within,…,Crime type'. "
        "Check the file is a data.police.uk download, or load partner data another way."
    )


@dataclass
class ParsedFile:
    """Every data row of a file as text columns (internal names) plus ``_row`` and ``_line``."""

    path: str
    schema: Schema
    header: list[str]
    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    fast: bool = True

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.rejects)


def _decode_header(data: bytes, path: str) -> tuple[bytes, list[str]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data or data.isspace():
        raise FileFormatError(
            f"{path}: the file is empty. Re-download it from data.police.uk, or leave it out."
        )
    # the header ends at the first line break of any style: LF, CRLF or a bare CR (classic
    # Mac line endings, which the exact parser reads like the others)
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    first = data[:min(ends)] if ends else data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first:
        raise FileFormatError(
            f"{path} line 1: the header holds NUL bytes: the file is UTF-16 (or another "
            "two-byte encoding), not UTF-8 text. Save the file as UTF-8 CSV, or re-download "
            "it from data.police.uk."
        )
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"{path} line 1: the header is not UTF-8 text ({exc.reason} at byte {exc.start}). "
            "Save the file as UTF-8 CSV."
        ) from None
    return data, _split_header(text, path)


def sniff(data: bytes, path: str) -> Schema:
    """The kind of a police.uk file from its header alone (FileFormatError if none)."""
    _, header = _decode_header(data, path)
    return detect_kind(header, path)


def parse(data: bytes, path: str, *, force_exact: bool = False) -> ParsedFile:
    """Parse a police.uk CSV held in memory. Raises FileFormatError for unusable files."""
    data, header = _decode_header(data, path)
    schema = detect_kind(header, path)
    names: list[str] = []
    for h in header:
        name = schema.internal(h)
        names.append(name if name is not None else f"extra_{len(names)}")
    if len(set(names)) != len(names):
        raise FileFormatError(f"{path} line 1: a column name appears twice. Fix the header.")
    parsed = None if force_exact else _parse_fast(data, path, schema, header, names)
    if parsed is None:
        parsed = _parse_exact(data, path, schema, header, names)
    if parsed.rows_read == 0:
        raise FileFormatError(
            f"{path}: the file has a header but no data rows. police.uk publishes no empty "
            "files: re-download it, or leave it out."
        )
    return parsed


def _finish(table: pa.Table, schema: Schema, names: list[str]) -> pa.Table:
    """Keep known columns, add missing optional ones as empty text, fixed order."""
    cols = {}
    n = table.num_rows
    for _, name in schema.columns:
        if name in names:
            cols[name] = table.column(name)
        else:
            cols[name] = pa.array([""] * n, pa.string())
    for extra in ("_row", "_line"):
        cols[extra] = table.column(extra)
    return pa.table(cols)


def _parse_fast(data: bytes, path: str, schema: Schema, header: list[str],
                names: list[str]) -> ParsedFile | None:
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    if b'"' in data[:min(ends, default=len(data))]:
        return None  # a quote in the header line may run on past it: the exact parser knows
    if not data.isascii():  # a quick test first: police.uk files are nearly all ASCII
        try:  # bad bytes go to the exact parser, which says which line and column hold them
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    invalid: list[object] = []

    def on_invalid(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           block_size=1 << 22),
            # a newline inside quotes splits the record into rows of too few fields (the
            # header of every police.uk kind has ten or more): the exact parser takes over
            parse_options=pacsv.ParseOptions(newlines_in_values=False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if invalid:
        return None
    if len(data) > MAX_CELL and any(
            (pc.max(pc.utf8_length(c)).as_py() or 0) > MAX_CELL for c in table.columns):
        return None  # a cell past the limit: the exact parser refuses it, naming the line
    octets = np.frombuffer(data, np.uint8)
    lines = int(np.count_nonzero(octets == 10)) + (0 if data.endswith(b"\n") else 1)
    if lines != table.num_rows + 1:
        return None  # embedded newlines or blank lines: only the exact parser knows lines
    if b"\r" in data:
        cr = np.flatnonzero(octets == 13)
        if cr[-1] + 1 >= len(octets) or not bool(np.all(octets[cr + 1] == 10)):
            return None  # a lone CR (even inside quotes) ends a line for the exact parser
    rows = pa.array(range(1, table.num_rows + 1), pa.int64())
    table = table.append_column("_row", rows).append_column("_line", pc.add(rows, 1))
    return ParsedFile(path, schema, header, _finish(table, schema, names), [], fast=True)


_SURROGATE = re.compile("[\udc80-\udcff]+")


def _parse_exact(data: bytes, path: str, schema: Schema, header: list[str],
                 names: list[str]) -> ParsedFile:
    text = data.decode("utf-8", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    next(reader)  # header
    width = len(names)
    columns: list[list[str]] = [[] for _ in names]
    row_numbers: list[int] = []
    line_numbers: list[int] = []
    rejects: list[Reject] = []
    row = 0
    prev_line = reader.line_num
    while True:
        start_line = prev_line + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # a cell longer than MAX_CELL, usually the rest of the file run on after a quote
            # that is never closed
            raise FileFormatError(
                f"{path} line {start_line}: cannot read the record starting here ({exc}): a "
                f"cell holds more than {MAX_CELL:,} characters, so a quoted field probably "
                "lacks its closing quote. Fix the line, or re-download the file."
            ) from None
        prev_line = reader.line_num
        if not fields:
            continue  # blank line: not a record
        row += 1
        raw = csv_line(fields)
        if len(fields) != width:
            end_line = reader.line_num
            detail = (f"{path} line {start_line}: {len(fields)} fields where the header has "
                      f"{width} (a truncated or broken line). Fix the line, or re-download "
                      "the file.")
            if end_line > start_line and any("\n" in f or "\r" in f for f in fields):
                detail = (f"{path} line {start_line}: a quoted field opens on this line and "
                          f"its closing quote is missing, so lines {start_line} to {end_line} "
                          f"({end_line - start_line + 1} lines) were read as one record of "
                          f"{len(fields)} fields (the header has {width}). Close the quote, "
                          "or re-download the file.")
            rejects.append(Reject(start_line, row, "wrong_field_count", detail,
                                  _printable(raw)))
            continue
        bad = next((i for i, f in enumerate(fields) if _SURROGATE.search(f)), None)
        if bad is not None:
            m = _SURROGATE.search(fields[bad])
            assert m is not None
            shown = m.group(0).encode("utf-8", errors="surrogateescape")
            rejects.append(Reject(
                start_line, row, "not_utf8",
                f"{path} line {start_line}, column '{header[bad]}': bytes {shown!r} are not "
                "UTF-8. Save the file as UTF-8 (police.uk files are), or fix the value.",
                _printable(raw),
            ))
            continue
        for col, value in zip(columns, fields, strict=True):
            col.append(value)
        row_numbers.append(row)
        line_numbers.append(start_line)
    table = pa.table(
        {name: pa.array(col, pa.string()) for name, col in zip(names, columns, strict=True)}
        | {"_row": pa.array(row_numbers, pa.int64()), "_line": pa.array(line_numbers, pa.int64())}
    )
    return ParsedFile(path, schema, header, _finish(table, schema, names), rejects, fast=False)


def _printable(text: str) -> str:
    """Text with undecodable bytes (surrogate escapes) shown as U+FFFD, safe to store."""
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", "replace")
