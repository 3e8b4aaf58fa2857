"""Area types, ONS codes, geography lookups and boundaries.

Area types: ``lsoa11``, ``lsoa21``, ``msoa11``, ``msoa21``, ``ward``, ``district`` (lower-tier
local authority), ``csp`` (Community Safety Partnership) and ``pfa`` (police force area).
Codes are ONS GSS codes: a letter and 8 digits (``E01000001``). LSOA codes must be English or
Welsh (``E01``/``W01``; MSOA ``E02``/``W02``): police.uk covers England and Wales, so Scottish
data zones in UK-wide lookups are rejected rows (reason ``not_england_wales``).

Column names give the area type and the vintage (boundary year): ``<type><yy>_code`` and
``<type><yy>_name`` (``lsoa21_code``, ``ward24_name``, ``ltla24_code``, ``pfa20_code``), or the
ONS style ``<TYPE><YY>CD``/``<TYPE><YY>NM`` (``LSOA11CD``, ``WD22CD``, ``LAD24NM``, ``PFA20CD``).
``ltla``/``lad`` mean district and ``wd`` ward; lsoa and msoa need ``11`` or ``21``.

Lookup CSVs (recognised by their code columns; name columns and other columns are optional):

* ``lsoa21``, ``ward``, ``district`` → ``reference:lsoa21_ward_district``: links lsoa21→ward,
  lsoa21→district, ward→district.
* ``district``, ``csp``, ``pfa`` → ``reference:district_csp_pfa``: links district→csp,
  district→pfa, csp→pfa (a district can belong to several CSPs).
* ``lsoa11``, ``lsoa21`` (+ ``change_code``/``CHGIND``; a district column is ignored) →
  ``reference:lsoa11_lsoa21``: links lsoa11→lsoa21 with the ONS change code U/S/M/X.
* ``lsoa11``, ``ward`` → ``reference:lsoa11_ward``; ``ward``, ``district`` →
  ``reference:ward_district``; ``lsoa11``, ``msoa11`` → ``reference:lsoa11_msoa11``.
* crime-sim-toolkit's ``PoliceforceLSOA.csv`` (``,Region code,Region name,Local authority code,
  Local authority name,MSOA Code,MSOA Name,LSOA Code,LSOA Name,Police_force``) →
  ``reference:lsoa11_district_msoa11``: areas lsoa11, msoa11 and district (local authorities as
  at the 2011 Census, vintage 2011); links lsoa11→district and lsoa11→msoa11. The
  ``Police_force`` column holds force names without codes and is not loaded.

Every code in a lookup also becomes an ``areas`` row. ``areas`` and ``area_links`` hold one row
per key whatever the vintage: a later load replaces a row when its vintage is the same or newer
(names are kept when the newer file has none); an older vintage only fills in a missing name.

Boundaries: a GeoJSON FeatureCollection whose features carry a code property (first recognised
one wins) and optionally a name property → ``reference:boundaries:<area_type>``. Geometry is
stored as WKB in EPSG:4326 with its bounding box; a file that declares another CRS (the
``crs`` member, e.g. British National Grid) is transformed. Missing areas rows are added.
A code on several features (a ward split by a district boundary) gets one boundary, the union
of its polygons; the same feature twice counts as a duplicate. Features without a valid code
or without a (Multi)Polygon are rejects, numbered by feature (``row_number``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from commsafe.errors import FileFormatError, where
from commsafe.sources.files import csv_line
from commsafe.store import shapes
from commsafe.store.loads import Reject

__all__ = [
    "AREA_TYPES",
    "CHANGE_CODES",
    "GEOGRAPHY_FORMATS",
    "LOOKUPS",
    "AreaColumn",
    "Outcome",
    "Plan",
    "SourceFile",
    "check_code",
    "csv_rows",
    "is_ons_code",
    "merge",
    "parse_area_column",
    "raw_line",
    "recognise_geography_csv",
    "recognise_geojson",
    "reference_summary",
    "write_areas",
    "write_links",
]

AREA_TYPES = ("lsoa11", "lsoa21", "msoa11", "msoa21", "ward", "district", "csp", "pfa")

_ONS_CODE = re.compile(r"[A-Z]\d{8}\Z")
_AREA_COLUMN = re.compile(
    r"(?P<t>lsoa|msoa|ward|wd|ltla|lad|district|csp|pfa)(?P<yy>\d{2})?_?(?P<r>code|cd|name|nm)\Z",
    re.IGNORECASE,
)
_TYPE_ALIASES = {"wd": "ward", "ltla": "district", "lad": "district"}
# English/Welsh entity prefixes required for small areas.
_ENTITIES = {"lsoa11": "01", "lsoa21": "01", "msoa11": "02", "msoa21": "02"}
_LABELS = {
    "lsoa11": "LSOA 2011", "lsoa21": "LSOA 2021", "msoa11": "MSOA 2011", "msoa21": "MSOA 2021",
    "ward": "ward", "district": "district", "csp": "CSP", "pfa": "police force area",
}
CHANGE_CODES = frozenset({"U", "S", "M", "X"})


def is_ons_code(value: str) -> bool:
    """True for a GSS code: one capital letter and 8 digits."""
    return bool(_ONS_CODE.match(value))


def vintage_of(yy: str | None) -> int | None:
    if yy is None:
        return None
    n = int(yy)
    return 2000 + n if n < 80 else 1900 + n


@dataclass(frozen=True)
class AreaColumn:
    """What a column name says: area type, vintage (or None) and role ``code``/``name``."""

    area_type: str
    vintage: int | None
    role: str


def parse_area_column(name: str) -> AreaColumn | None:
    """``lsoa21_code`` → (lsoa21, 2021, code); ``WD22NM`` → (ward, 2022, name); else None."""
    m = _AREA_COLUMN.match(name.strip())
    if not m:
        return None
    t, yy, r = m.group("t").lower(), m.group("yy"), m.group("r").lower()
    role = "code" if r in ("code", "cd") else "name"
    if t in ("lsoa", "msoa"):
        if yy not in ("11", "21"):
            return None
        return AreaColumn(t + yy, 2000 + int(yy), role)
    return AreaColumn(_TYPE_ALIASES.get(t, t), vintage_of(yy), role)


def check_code(area_type: str, value: str) -> tuple[str, str] | None:
    """None if ``value`` is a valid code for ``area_type``, else (reason, explanation + fix)."""
    label = _LABELS.get(area_type, area_type)
    if not value:
        return "blank_code", f"the {label} code is blank. Fix: fill in the code or delete the row."
    if not is_ons_code(value):
        return ("bad_code", f"{value!r} is not an ONS code (a letter and 8 digits, e.g. "
                "E01000001). Fix: correct the code in the file.")
    entity = _ENTITIES.get(area_type)
    if entity and value[1:3] != entity:
        return ("wrong_area_type", f"{value!r} is not a {label} code (those start E{entity} "
                f"or W{entity}). Fix: check the column holds {label} codes.")
    if entity and value[0] not in "EW":
        return ("not_england_wales", f"{value!r} is outside England and Wales (police.uk covers "
                "England and Wales only); the row is not needed. Nothing to fix for a UK-wide "
                "lookup.")
    return None


# Files ---------------------------------------------------------------------------------------

@dataclass
class SourceFile:
    """One input file: its bytes, their sha256 and the decoded text."""

    path: Path
    data: bytes
    sha256: str

    @cached_property
    def text(self) -> str:
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return self.data.decode("cp1252", errors="replace")


def csv_rows(src: SourceFile, text: str | None = None
             ) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Header and an iterator of (line number where the row starts, fields); blank lines skipped.

    ``text`` defaults to the whole decoded file. Raises FileFormatError for text the csv module
    cannot parse (e.g. NUL bytes).
    """
    reader = csv.reader(io.StringIO(src.text if text is None else text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FileFormatError(f"{src.path}: the file is empty. Fix: give a file with a header "
                              "line.") from None
    except csv.Error as exc:
        raise FileFormatError(f"{where(src.path, 1)}: cannot read the header as CSV ({exc}). "
                              "Fix: save the file as comma-separated text (UTF-8).") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        last = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileFormatError(
                    f"{where(src.path, reader.line_num)}: cannot read the file as CSV ({exc}). "
                    "Fix: save the file as comma-separated text (UTF-8).") from None
            start, last = last + 1, reader.line_num
            if row:
                yield start, row

    return [h.strip().lstrip("\ufeff") for h in header], rows()


@dataclass
class Outcome:
    """What a format's loader did with one file; rows are file rows (or features)."""

    rows_read: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def reject(self, line: int | None, row: int | None, reason: str, detail: str,
               raw: str | None = None) -> None:
        self.rejects.append(Reject(line, row, reason, detail, raw))


@dataclass(frozen=True)
class Plan:
    """A recognised file: its ``loads.kind``, a title and the function that loads it."""

    kind: str
    title: str
    run: Callable[[duckdb.DuckDBPyConnection, int, SourceFile], Outcome]


raw_line = csv_line


def reject_short_row(out: Outcome, src: SourceFile, header: Sequence[str], line: int, n: int,
                     row: Sequence[str], need: int) -> bool:
    """Reject (and return True for) a row with fewer than ``need`` fields."""
    if len(row) >= need:
        return False
    out.reject(line, n, "wrong_column_count",
               f"{where(src.path, line)}: {len(row)} fields but the header has "
               f"{len(header)}. Fix: the row is cut short or has a missing comma.",
               raw_line(row))
    return True


# Writing -------------------------------------------------------------------------------------

def merge(con: duckdb.DuckDBPyConnection, table: str, staged: pa.Table, keys: Sequence[str],
          set_sql: str, scope: str | None = None, *, keys_unique: bool = False) -> None:
    """Update rows of ``table`` whose keys are in ``staged`` (``set_sql`` may use t. and s.),
    then insert the staged rows whose keys are absent.

    This is what keeps the reference tables at one row per key (since schema version 3 no
    primary-key index does): ``staged`` must have unique keys, and it is checked (an internal
    error, never bad input: every format's reader rejects or counts repeated keys first) unless
    the caller passes ``keys_unique=True`` because its reader already proved it.

    ``scope`` is an SQL condition on ``t`` that every matching row meets (e.g. one year): when
    no row of the table meets it, the rows are simply inserted, which is much faster.
    """
    if staged.num_rows == 0:
        return
    name = f"_commsafe_staged_{table}"
    con.register(name, staged)
    try:
        cols = ", ".join(staged.column_names)
        if not keys_unique:
            key_cols = ", ".join(keys)
            distinct = con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {key_cols} FROM {name})").fetchall()
            if distinct[0][0] != staged.num_rows:
                raise AssertionError(
                    f"{table}: {staged.num_rows - distinct[0][0]:,} staged rows repeat a key "
                    f"({key_cols}); the reader should have rejected them")
        if scope is not None:
            row = con.execute(f"SELECT count(*) FROM {table} AS t WHERE {scope}").fetchall()
            if row[0][0] == 0:
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
                return
        on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        if scope is not None:
            on = f"{on} AND {scope}"
        con.execute(f"UPDATE {table} AS t SET {set_sql} FROM {name} AS s WHERE {on}")
        scols = ", ".join(f"s.{c}" for c in staged.column_names)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {scols} FROM {name} AS s "
                    f"ANTI JOIN {table} AS t ON {on}")
    finally:
        con.unregister(name)


_NEWER = "(t.vintage IS NULL OR s.vintage >= t.vintage)"

_AREAS_SCHEMA = pa.schema([("area_type", pa.string()), ("area_code", pa.string()),
                           ("area_name", pa.string()), ("vintage", pa.int16()),
                           ("load_id", pa.int64())])
_LINKS_SCHEMA = pa.schema([("from_type", pa.string()), ("from_code", pa.string()),
                           ("to_type", pa.string()), ("to_code", pa.string()),
                           ("change_code", pa.string()), ("vintage", pa.int16()),
                           ("load_id", pa.int64())])


def write_areas(con: duckdb.DuckDBPyConnection, areas: dict[tuple[str, str],
                tuple[str | None, int | None]], load_id: int, *, fill_only: bool = False) -> None:
    """Upsert areas keyed (type, code) → (name, vintage). Same or newer vintage replaces;
    older (or ``fill_only``) only fills a missing name."""
    keys = list(areas)
    staged = pa.table([
        [k[0] for k in keys], [k[1] for k in keys], [areas[k][0] for k in keys],
        [areas[k][1] for k in keys], [load_id] * len(keys)], schema=_AREAS_SCHEMA)
    fill = "coalesce(t.area_name, s.area_name)"
    if fill_only:
        set_sql = f"area_name = {fill}"
    else:
        set_sql = (f"area_name = CASE WHEN {_NEWER} THEN coalesce(s.area_name, t.area_name) "
                   f"ELSE {fill} END, "
                   f"vintage = CASE WHEN {_NEWER} THEN coalesce(s.vintage, t.vintage) "
                   "ELSE t.vintage END, "
                   f"load_id = CASE WHEN {_NEWER} THEN s.load_id ELSE t.load_id END")
    merge(con, "areas", staged, ("area_type", "area_code"), set_sql)


def write_links(con: duckdb.DuckDBPyConnection, links: dict[tuple[str, str, str, str],
                tuple[str | None, int | None]], load_id: int) -> None:
    """Upsert links keyed (from_type, from_code, to_type, to_code) → (change_code, vintage)."""
    keys = list(links)
    staged = pa.table([
        [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], [k[3] for k in keys],
        [links[k][0] for k in keys], [links[k][1] for k in keys], [load_id] * len(keys)],
        schema=_LINKS_SCHEMA)
    set_sql = (f"change_code = CASE WHEN {_NEWER} THEN coalesce(s.change_code, t.change_code) "
               "ELSE t.change_code END, "
               f"vintage = CASE WHEN {_NEWER} THEN coalesce(s.vintage, t.vintage) "
               "ELSE t.vintage END, "
               f"load_id = CASE WHEN {_NEWER} THEN s.load_id ELSE t.load_id END")
    merge(con, "area_links", staged, ("from_type", "from_code", "to_type", "to_code"), set_sql)


def _count_note(what: str, counts: dict[str, int]) -> str:
    inner = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    return f"{what}: {inner}" if inner else f"{what}: none"


# Lookups -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoleColumn:
    """An area type read from a code column (and optional name column) of a lookup."""

    area_type: str
    vintage: int | None
    code_idx: int
    name_idx: int | None


@dataclass(frozen=True)
class LookupSpec:
    name: str
    title: str
    expected: str
    roles: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    optional: tuple[str, ...] = ()
    change_code: bool = False


LOOKUPS: tuple[LookupSpec, ...] = (
    LookupSpec("lsoa21_ward_district", "lookup LSOA 2021 → ward → district",
               "lsoa21_code, wardYY_code, ltlaYY_code (name columns optional)",
               ("lsoa21", "ward", "district"),
               (("lsoa21", "ward"), ("lsoa21", "district"), ("ward", "district"))),
    LookupSpec("district_csp_pfa", "lookup district → CSP → police force area",
               "ltlaYY_code, cspYY_code, pfaYY_code (name columns optional)",
               ("district", "csp", "pfa"),
               (("district", "csp"), ("district", "pfa"), ("csp", "pfa"))),
    LookupSpec("lsoa11_lsoa21", "lookup LSOA 2011 → LSOA 2021",
               "lsoa11_code, lsoa21_code, change_code (names and ltlaYY_code optional)",
               ("lsoa11", "lsoa21"), (("lsoa11", "lsoa21"),), optional=("district",),
               change_code=True),
    LookupSpec("lsoa11_ward", "lookup LSOA 2011 → ward", "lsoa11_code, wardYY_code",
               ("lsoa11", "ward"), (("lsoa11", "ward"),)),
    LookupSpec("ward_district", "lookup ward → district", "wardYY_code, ltlaYY_code",
               ("ward", "district"), (("ward", "district"),)),
    LookupSpec("lsoa11_msoa11", "lookup LSOA 2011 → MSOA 2011", "lsoa11_code, msoa11_code",
               ("lsoa11", "msoa11"), (("lsoa11", "msoa11"),)),
)

POLICE_SAMPLE_HEADER = (",Region code,Region name,Local authority code,Local authority name,"
                        "MSOA Code,MSOA Name,LSOA Code,LSOA Name,Police_force")

GEOGRAPHY_FORMATS: tuple[tuple[str, str], ...] = (
    *((s.title, s.expected) for s in LOOKUPS),
    ("police force LSOA sample (crime-sim-toolkit PoliceforceLSOA.csv)", POLICE_SAMPLE_HEADER),
    ("boundaries (.geojson/.json)", "a FeatureCollection with a code property such as "
     "lsoa21_code/lsoa21_name, ward22_code, ltla24_code, pfa20_code or ONS LSOA11CD/LSOA11NM, "
     "WD22CD, LAD24CD, PFA20CD"),
)


def _roles_from_header(header: Sequence[str]) -> dict[str, RoleColumn] | None:
    codes: dict[str, tuple[int, int | None]] = {}
    names: dict[tuple[str, int | None], int] = {}
    for i, h in enumerate(header):
        col = parse_area_column(h)
        if col is None:
            continue
        if col.role == "code":
            if col.area_type in codes:
                return None  # two code columns of one type: ambiguous
            codes[col.area_type] = (i, col.vintage)
        else:
            names.setdefault((col.area_type, col.vintage), i)
    return {t: RoleColumn(t, v, i, names.get((t, v))) for t, (i, v) in codes.items()}


def recognise_geography_csv(path: Path, header: Sequence[str]) -> Plan | None:
    """The lookup plan for a CSV header, or None if it is not a geography lookup."""
    lowered = [h.strip().lower() for h in header]
    if {"lsoa code", "msoa code", "local authority code", "police_force"} <= set(lowered):
        idx = {h: i for i, h in enumerate(lowered)}
        roles = [
            RoleColumn("lsoa11", 2011, idx["lsoa code"], idx.get("lsoa name")),
            RoleColumn("msoa11", 2011, idx["msoa code"], idx.get("msoa name")),
            RoleColumn("district", 2011, idx["local authority code"],
                       idx.get("local authority name")),
        ]
        return _lookup_plan("lsoa11_district_msoa11",
                            "police force LSOA sample (LSOA 2011 → district, MSOA 2011)",
                            roles, (("lsoa11", "district"), ("lsoa11", "msoa11")), None)
    found = _roles_from_header(header)
    if not found:
        return None
    types = set(found)
    for spec in LOOKUPS:
        if set(spec.roles) <= types and types <= set(spec.roles) | set(spec.optional):
            change_idx = None
            if spec.change_code:
                change_idx = next((i for i, h in enumerate(lowered)
                                   if h in ("change_code", "chgind")), None)
            roles = [found[t] for t in spec.roles]
            return _lookup_plan(spec.name, spec.title, roles, spec.links, change_idx)
    return None


def _lookup_plan(name: str, title: str, roles: list[RoleColumn],
                 links: Sequence[tuple[str, str]], change_idx: int | None) -> Plan:
    def run(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile) -> Outcome:
        return _run_lookup(con, load_id, src, roles, links, change_idx)
    return Plan(f"reference:{name}", title, run)


def _run_lookup(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile,
                roles: list[RoleColumn], links: Sequence[tuple[str, str]],
                change_idx: int | None) -> Outcome:
    out = Outcome()
    header, rows = csv_rows(src)
    by_type = {r.area_type: r for r in roles}
    need = max([r.code_idx for r in roles] + [change_idx if change_idx is not None else 0]) + 1
    areas: dict[tuple[str, str], tuple[str | None, int | None]] = {}
    link_rows: dict[tuple[str, str, str, str], tuple[str | None, int | None]] = {}
    seen: set[tuple[str | None, ...]] = set()
    for line, row in rows:
        out.rows_read += 1
        n = out.rows_read
        if reject_short_row(out, src, header, line, n, row, need):
            continue
        codes: dict[str, str] = {}
        bad = None
        for r in roles:
            code = row[r.code_idx].strip().upper()
            problem = check_code(r.area_type, code)
            if problem:
                bad = (problem, r.code_idx, code)
                break
            codes[r.area_type] = code
        change = None
        if bad is None and change_idx is not None:
            change = row[change_idx].strip().upper() or None
            if change is not None and change not in CHANGE_CODES:
                bad = (("bad_change_code", f"{change!r} is not an ONS change code (U, S, M or "
                        "X). Fix: correct the change code."), change_idx, change)
        if bad is not None:
            (reason, text), col, value = bad
            out.reject(line, n, reason, f"{where(src.path, line, header[col], value)}: {text}",
                       raw_line(row))
            continue
        names = {r.area_type: ((row[r.name_idx].strip() or None)
                               if r.name_idx is not None and r.name_idx < len(row) else None)
                 for r in roles}
        key = (*(codes[r.area_type] for r in roles), *(names[r.area_type] for r in roles), change)
        if key in seen:
            out.rows_duplicate += 1
            continue
        seen.add(key)
        out.rows_loaded += 1
        for r in roles:
            k = (r.area_type, codes[r.area_type])
            if k not in areas or areas[k][0] is None:
                areas[k] = (names[r.area_type], r.vintage)
        for a, b in links:
            va, vb = by_type[a].vintage, by_type[b].vintage
            vintage = max((v for v in (va, vb) if v is not None), default=None)
            link_rows[(a, codes[a], b, codes[b])] = (change if (a, b) == ("lsoa11", "lsoa21")
                                                     else None, vintage)
    write_areas(con, areas, load_id)
    write_links(con, link_rows, load_id)
    area_counts: dict[str, int] = {}
    for t, _ in areas:
        area_counts[t] = area_counts.get(t, 0) + 1
    link_counts: dict[str, int] = {}
    for a, _, b, _ in link_rows:
        link_counts[f"{a}->{b}"] = link_counts.get(f"{a}->{b}", 0) + 1
    if out.rows_read == 0:
        out.notes.append("header only: no data rows (nothing is wrong)")
    out.notes.append(_count_note("areas", area_counts))
    out.notes.append(_count_note("links", link_counts))
    return out


# Boundaries ----------------------------------------------------------------------------------

_FC_HEAD = re.compile(r'"type"\s*:\s*"FeatureCollection"|"features"\s*:\s*\[')


def _geojson_error(path: Path, what: str) -> FileFormatError:
    return FileFormatError(
        f"{path}: {what}. Expected a GeoJSON FeatureCollection of boundaries whose features "
        "have a code property such as lsoa21_code, ward22_code, ltla24_code, pfa20_code or ONS "
        "style LSOA11CD, WD22CD, LAD24CD, PFA20CD. Fix: export the boundaries as GeoJSON with "
        "the area code as a property.")


def _json_document(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _geojson_error(path, f"is not UTF-8 text ({exc})") from None
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{where(path, exc.lineno)}, column {exc.colno}: not valid JSON "
                              f"({exc.msg}). Fix: repair or re-export the file.") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise _geojson_error(path, f"is not a GeoJSON FeatureCollection (top-level type {kind!r})")
    if not isinstance(doc.get("features"), list):
        raise _geojson_error(path, "has no 'features' list")
    return doc


def _pyogrio() -> Any:
    try:
        import pyogrio
    except ImportError:  # pragma: no cover - pyogrio is a dependency; json is the fallback
        return None
    return pyogrio


def _reader_for(path: Path) -> Any:
    """pyogrio for GeoJSON-named files (GDAL picks its driver by the name), else None (json)."""
    return _pyogrio() if path.suffix.lower() in (".geojson", ".json") else None


def _property_names(path: Path, head: str) -> list[str]:
    """Property names of the features (pyogrio, else the first feature read with json)."""
    if not _FC_HEAD.search(head):
        _json_document(path)  # raises with a precise message when it is not a FeatureCollection
    reader = _reader_for(path)
    if reader is not None:
        try:
            return [str(f) for f in reader.read_info(path)["fields"]]
        except Exception:  # GDAL cannot read it: the json reader gives the precise error
            pass
    doc = _json_document(path)
    for feat in doc["features"]:
        if isinstance(feat, dict) and isinstance(feat.get("properties"), dict):
            return [str(p) for p in feat["properties"]]
    return []


def recognise_geojson(path: Path, head: str) -> Plan:
    """The boundaries plan for a GeoJSON file; FileFormatError if it is not usable."""
    props = _property_names(path, head)
    code_prop = name_prop = None
    col: AreaColumn | None = None
    for p in props:
        c = parse_area_column(p)
        if c is not None and c.role == "code":
            code_prop, col = p, c
            break
    if not props:
        raise _geojson_error(path, "has no features with properties, so neither its area type "
                             "nor anything to load can be found")
    if code_prop is None or col is None:
        shown = ", ".join(props[:12])
        raise _geojson_error(path, f"has no recognisable area code property (properties: {shown})")
    for p in props:
        c = parse_area_column(p)
        if c is not None and c.role == "name" and (c.area_type, c.vintage) == (
                col.area_type, col.vintage):
            name_prop = p
            break
    area_type, vintage = col.area_type, col.vintage
    code_name, name_name = code_prop, name_prop

    def run(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile) -> Outcome:
        return _run_boundaries(con, load_id, src, area_type, vintage, code_name, name_name)

    return Plan(f"reference:boundaries:{area_type}",
                f"boundaries {_LABELS.get(area_type, area_type)} ({code_prop})", run)


def _read_features(path: Path, code_prop: str, name_prop: str | None
                   ) -> tuple[list[Any], list[Any], np.ndarray, str | None]:
    """(codes, names, shapely geometries, CRS or None) via pyogrio, else the json module."""
    import shapely

    reader = _reader_for(path)
    if reader is not None:
        try:
            meta, table = reader.read_arrow(path)
        except Exception:  # GDAL cannot read it: fall back to the json module
            pass
        else:
            gcol = meta.get("geometry_name") or "wkb_geometry"
            codes = table.column(code_prop).to_pylist()
            names = table.column(name_prop).to_pylist() if name_prop else [None] * len(codes)
            wkb = table.column(gcol).to_numpy(zero_copy_only=False)
            # a geometry GEOS cannot build (a ring not closed) becomes None: a bad_geometry
            # reject naming the feature, like a missing geometry
            return codes, names, shapely.from_wkb(wkb, on_invalid="ignore"), meta.get("crs")
    doc = _json_document(path)
    codes, names, geoms = [], [], []
    for feat in doc["features"]:
        props = (feat.get("properties") or {}) if isinstance(feat, dict) else {}
        codes.append(props.get(code_prop))
        names.append(props.get(name_prop) if name_prop else None)
        g = feat.get("geometry") if isinstance(feat, dict) else None
        try:
            geoms.append(shapely.geometry.shape(g) if g else None)
        except Exception:
            geoms.append(None)
    crs = None
    crs_member = doc.get("crs")
    if isinstance(crs_member, dict):
        crs = (crs_member.get("properties") or {}).get("name")
    return codes, names, np.array(geoms, dtype=object), crs


def _is_wgs84(crs: str | None) -> bool:
    if crs is None:
        return True
    text = str(crs).upper()
    if text in ("EPSG:4326", "OGC:CRS84", "CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84",
                "URN:OGC:DEF:CRS:EPSG::4326"):
        return True
    from pyproj import CRS

    return bool(CRS.from_user_input(crs).equals(CRS.from_epsg(4326), ignore_axis_order=True))


def _to_wgs84(geoms: np.ndarray, crs: str) -> np.ndarray:
    import shapely
    from pyproj import Transformer

    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(geoms, fn))


_BOUNDARY_SCHEMA = pa.schema([("area_type", pa.string()), ("area_code", pa.string()),
                              ("area_name", pa.string()), ("vintage", pa.int16()),
                              ("geometry", pa.binary()), ("min_x", pa.float64()),
                              ("min_y", pa.float64()), ("max_x", pa.float64()),
                              ("max_y", pa.float64()), ("load_id", pa.int64())])


def _run_boundaries(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile,
                    area_type: str, vintage: int | None, code_prop: str,
                    name_prop: str | None) -> Outcome:
    import shapely

    out = Outcome()
    codes, names, geoms, crs = _read_features(src.path, code_prop, name_prop)
    if not _is_wgs84(crs):
        assert crs is not None
        geoms = _to_wgs84(geoms, crs)
        out.notes.append(f"transformed from {crs} to EPSG:4326")
    bounds = shapely.bounds(geoms)
    finite = bounds[np.isfinite(bounds).all(axis=1)]
    if len(finite) and (np.abs(finite[:, [0, 2]]).max() > 180 or
                        np.abs(finite[:, [1, 3]]).max() > 90):
        raise FileFormatError(
            f"{src.path}: coordinates such as ({finite[0, 0]:.0f}, {finite[0, 1]:.0f}) are not "
            "longitude/latitude but the file declares no other CRS. Fix: add a 'crs' member "
            "(e.g. EPSG:27700 for British National Grid) or reproject to EPSG:4326.")
    wkb = shapely.to_wkb(geoms)
    types = shapely.get_type_id(geoms)
    parts: dict[str, list[int]] = {}  # code → features holding its polygons
    for i, raw_code in enumerate(codes):
        n = i + 1
        out.rows_read += 1
        code = "" if raw_code is None else str(raw_code).strip().upper()
        at = f"{src.path}, feature {n}, property '{code_prop}'"
        problem = check_code(area_type, code)
        if problem:
            out.reject(None, n, problem[0], f"{at}, value {code!r}: {problem[1]}", code)
            continue
        if geoms[i] is None or shapely.is_empty(geoms[i]):
            out.reject(None, n, "no_geometry", f"{at}, value {code!r}: the feature has no "
                       "geometry. Fix: re-export the boundary with its polygon.", code)
            continue
        if int(types[i]) not in (3, 6):  # Polygon, MultiPolygon
            out.reject(None, n, "not_polygon", f"{at}, value {code!r}: the geometry is a "
                       f"{geoms[i].geom_type}, not a Polygon or MultiPolygon. Fix: give area "
                       "boundaries, not points or lines.", code)
            continue
        if code in parts and any(wkb[j] == wkb[i] for j in parts[code]):
            out.rows_duplicate += 1
            continue
        parts.setdefault(code, []).append(i)
        out.rows_loaded += 1
    kept_codes = list(parts)
    first = [parts[c][0] for c in kept_codes]
    kept_names = [next((str(names[j]).strip() for j in parts[c]
                        if names[j] is not None and str(names[j]).strip()), None)
                  for c in kept_codes]
    b = bounds[np.asarray(first, dtype=np.int64)] if first else np.empty((0, 4))
    final = geoms[np.asarray(first, dtype=np.int64)] if first else np.empty(0, dtype=object)
    combined = 0
    for k, c in enumerate(kept_codes):
        if len(parts[c]) > 1:  # e.g. a ward split by a district boundary: one area, one shape
            combined += 1
            g = shapely.union_all(geoms[np.asarray(parts[c], dtype=np.int64)])
            final[k] = g
            b[k] = shapely.bounds(g)
    staged = pa.table([
        [area_type] * len(kept_codes), kept_codes, kept_names, [vintage] * len(kept_codes),
        pa.array(shapes.encode(final), pa.binary()), b[:, 0], b[:, 1], b[:, 2], b[:, 3],
        [load_id] * len(kept_codes)], schema=_BOUNDARY_SCHEMA)
    merge(con, "boundaries", staged, ("area_type", "area_code"),
          "area_name = s.area_name, vintage = s.vintage, geometry = s.geometry, "
          "min_x = s.min_x, min_y = s.min_y, max_x = s.max_x, max_y = s.max_y, "
          "load_id = s.load_id")
    write_areas(con, {(area_type, c): (nm, vintage) for c, nm in zip(kept_codes, kept_names,
                                                                     strict=True)},
                load_id, fill_only=True)
    invalid = int((~shapely.is_valid(final)).sum()) if len(final) else 0
    if out.rows_read == 0:
        out.notes.append("no features (nothing is wrong)")
    out.notes.append(f"boundaries {area_type}: {len(kept_codes):,}")
    if combined:
        out.notes.append(f"{combined:,} codes had several features; their polygons were "
                         "combined into one boundary")
    if invalid:
        out.notes.append(f"{invalid:,} geometries are not valid polygons (kept as published)")
    return out


# Summary -------------------------------------------------------------------------------------

def reference_summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts for ``commsafe status``.

    Keys: ``areas`` {type: n}, ``areas_by_vintage`` {type: {vintage: n}}, ``links``
    {"from->to": n}, ``boundaries`` {type: n}, ``population`` [{year, source, area_type, sex,
    areas, rows, total}] where total sums the 'all' age band, and ``loads`` {kind: n} of
    reference loads that loaded rows.
    """
    areas = dict(con.execute(
        "SELECT area_type, count(*) FROM areas GROUP BY 1 ORDER BY 1").fetchall())
    by_vintage: dict[str, dict[int | None, int]] = {}
    for t, v, n in con.execute(
            "SELECT area_type, vintage, count(*) FROM areas GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall():
        by_vintage.setdefault(t, {})[v] = n
    links = {f"{a}->{b}": n for a, b, n in con.execute(
        "SELECT from_type, to_type, count(*) FROM area_links GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()}
    boundaries = dict(con.execute(
        "SELECT area_type, count(*) FROM boundaries GROUP BY 1 ORDER BY 1").fetchall())
    population = [
        {"year": y, "source": s, "area_type": t, "sex": x, "areas": a, "rows": r,
         "total": None if tot is None or (isinstance(tot, float) and math.isnan(tot)) else tot}
        for y, s, t, x, a, r, tot in con.execute(
            """SELECT year, source, area_type, sex, count(DISTINCT area_code), count(*),
                      sum(population) FILTER (WHERE age_band = 'all')
               FROM population GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4""").fetchall()]
    loads = dict(con.execute(
        """SELECT kind, count(*) FROM loads WHERE kind LIKE 'reference:%'
           AND status IN ('loaded', 'revised') GROUP BY 1 ORDER BY 1""").fetchall())
    return {"areas": areas, "areas_by_vintage": by_vintage, "links": links,
            "boundaries": boundaries, "population": population, "loads": loads}
