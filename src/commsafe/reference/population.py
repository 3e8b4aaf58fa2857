"""Population tables: which CSV headers are recognised and how they become ``population`` rows.

All population files load with kind ``reference:population``. Rows are keyed (area_type,
area_code, year, sex, age_band); a later file replaces the rows it covers. ``sex`` is
``persons``, ``male`` or ``female``; ``age_band`` is ``all`` (age_from 0, age_to NULL), a single
year ``'37'`` (from = to = 37), an open band ``'90+'`` (90, NULL) or a range ``'16-24'``.

Recognised headers (case-insensitive; ``<area>_code`` is any area code column, see
:mod:`commsafe.reference.geography`, e.g. ``lsoa21_code``; name columns are ignored):

* Census 2021 usual residents: ``<area>_code,total_residents`` → year 2021, source
  ``census2021``, sex persons, age_band all.
* Mid-year estimates by single year of age: ``<area>_code[,<area>_name],total_population,0,1,
  …,89,90+`` → source ``midYYYY``, sex persons, one row for ``all`` (from
  ``total_population``) and one per age column. The year is the ``year`` argument (``--year``)
  or else the one 4-digit year 1990–2100 in the file name — the only thing ever taken from a
  file name; with neither, FileFormatError.
* crime-sim-toolkit's ``census_2011_population_hh.csv`` (``Region code,Region name,Local
  authority code,Local authority name,MSOA Code,MSOA Name,LSOA Code,LSOA Name,,Persons,Persons,
  Persons,Hectares,…``): the first ``Persons`` column (all usual residents; values may have
  thousands separators, "1,563") → lsoa11, year 2011, source ``census2011``.
* Long format, for analysts' own population tables::

      <type>_code,year,population[,sex][,age_band or age][,source]

  ``<type>`` is lsoa11, lsoa21, msoa11, ward, district, csp or pfa (``ward24_code`` or
  ``ltla24_code`` work too). ``year`` is 1900–2100. ``sex`` is persons (Persons/All/Total/P),
  male (M/Male/Males) or female (F/Female/Females); missing means persons. ``age_band``/``age``
  is all, a single year (``37``), ``90+`` or ``16-24``; missing means all. ``source`` defaults
  to ``custom``.

Rows that cannot be loaded are rejects with their line: a blank or malformed code, a value that
is not a non-negative number, an unknown sex, year or age band, or the same key twice with
different values. The same row twice counts as a duplicate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from commsafe.errors import FileFormatError, where
from commsafe.reference.geography import (
    AREA_TYPES,
    Outcome,
    Plan,
    SourceFile,
    check_code,
    csv_rows,
    parse_area_column,
    raw_line,
    reject_short_row,
)
from commsafe.store.population import store_long

__all__ = [
    "POPULATION_FORMATS",
    "insert_population",
    "normalise_sex",
    "parse_age_band",
    "parse_number",
    "recognise_population_csv",
    "year_from_name",
]

KIND = "reference:population"

CENSUS2011_HEADER = ("Region code,Region name,Local authority code,Local authority name,"
                     "MSOA Code,MSOA Name,LSOA Code,LSOA Name,,Persons,Persons,Persons,Hectares,"
                     "Persons per hectare,Households,Persons per household")

POPULATION_FORMATS: tuple[tuple[str, str], ...] = (
    ("Census 2021 usual residents", "lsoa21_code, total_residents"),
    ("mid-year estimates by single year of age (year from --year or the file name)",
     "lsoa11_code, lsoa11_name, total_population, 0, 1, …, 89, 90+"),
    ("Census 2011 population (crime-sim-toolkit census_2011_population_hh.csv)",
     CENSUS2011_HEADER),
    ("long population table", "<type>_code, year, population [, sex] [, age_band or age] "
     "[, source] with <type> lsoa11|lsoa21|msoa11|ward|district|csp|pfa"),
)

_SEX = {
    "persons": "persons", "person": "persons", "people": "persons", "all": "persons",
    "total": "persons", "p": "persons", "t": "persons",
    "male": "male", "males": "male", "m": "male",
    "female": "female", "females": "female", "f": "female",
}
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?\Z")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_SINGLE = re.compile(r"\d{1,3}\Z")
_OPEN = re.compile(r"(\d{1,3})\s*\+\Z")
_RANGE = re.compile(r"(\d{1,3})\s*(?:-|to)\s*(\d{1,3})\Z")
_YEAR_IN_NAME = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_TOTAL_POP = ("total_population", "all_ages", "all ages")
_POP_TYPES = frozenset(AREA_TYPES)


def normalise_sex(value: str) -> str | None:
    """``M``/``Male`` → male, ``F``/``Female`` → female, ``Persons``/``All``/``total`` →
    persons; None for anything else."""
    return _SEX.get(value.strip().lower())


def parse_age_band(value: str) -> tuple[str, int, int | None] | None:
    """(age_band, age_from, age_to) for ``all``, ``37``, ``90+``, ``16-24``; None if invalid."""
    text = value.strip().lower()
    if text in ("all", "total", "all ages", "all_ages", "persons"):
        return "all", 0, None
    if _SINGLE.match(text):
        n = int(text)
        return str(n), n, n
    m = _OPEN.match(text)
    if m:
        n = int(m.group(1))
        return f"{n}+", n, None
    m = _RANGE.match(text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if a <= b:
            return f"{a}-{b}", a, b
    return None


def parse_number(value: str) -> float | None:
    """A finite float from ``"1563"``, ``"1563.0"`` or ``"1,563"``; None otherwise."""
    text = value.strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def year_from_name(path: Path) -> int | None:
    """The single 4-digit year 1990–2100 in the file name, else None."""
    years = {int(y) for y in _YEAR_IN_NAME.findall(path.name) if 1990 <= int(y) <= 2100}
    return years.pop() if len(years) == 1 else None


# Recognition ---------------------------------------------------------------------------------

def _code_column(header: Sequence[str]) -> tuple[int, str] | None:
    """The finest area code column (index, area type) in a population header."""
    found: dict[str, int] = {}
    for i, h in enumerate(header):
        col = parse_area_column(h)
        if col is not None and col.role == "code" and col.area_type in _POP_TYPES:
            found.setdefault(col.area_type, i)
    for t in AREA_TYPES:
        if t in found:
            return found[t], t
    return None


def recognise_population_csv(path: Path, header: Sequence[str],
                             year: int | None) -> Plan | None:
    """The population plan for a CSV header, or None if it is not a population table."""
    lowered = [h.strip().lower() for h in header]
    if lowered.count("persons") >= 1 and {"lsoa code", "local authority code"} <= set(lowered) \
            and "police_force" not in lowered:
        spec = _Columns(lowered.index("lsoa code"), "lsoa11",
                        value_idx=lowered.index("persons"))
        return _plan("Census 2011 population (LSOA 2011)", spec, 2011, "census2011")
    code = _code_column(header)
    if code is None:
        return None
    code_idx, area_type = code
    if "total_residents" in lowered:
        spec = _Columns(code_idx, area_type, value_idx=lowered.index("total_residents"))
        return _plan(f"Census 2021 usual residents ({area_type})", spec, 2021, "census2021")
    total = next((i for i, h in enumerate(lowered) if h in _TOTAL_POP), None)
    if total is not None:
        ages: list[tuple[int, str, int, int | None]] = []
        for i, h in enumerate(header):
            if i == total or parse_area_column(h) is not None:
                continue
            band = parse_age_band(h) if h.strip() and h.strip().lower() != "all" else None
            if band is None:
                return None
            ages.append((i, *band))
        if not ages:
            return None
        seen: dict[str, int] = {}
        for i, label, _, _ in ages:
            if label in seen:
                raise FileFormatError(
                    f"{where(path, 1, header[i], header[i])}: the age band {label!r} has two "
                    f"columns ({header[seen[label]]!r} and {header[i]!r}), so each area would "
                    "get two populations for it. Fix: keep one column per age band.")
            seen[label] = i
        the_year = year if year is not None else year_from_name(path)
        if the_year is None:
            raise FileFormatError(
                f"{path}: a mid-year population file ({header[total]} and single years of "
                "age) but neither --year nor a single 4-digit year (1990–2100) in the file name "
                "says which year. Fix: give --year YYYY (or put the year in the file name).")
        return _midyear_plan(area_type, code_idx, total, ages, the_year)
    if "year" in lowered and "population" in lowered:
        spec = _Columns(
            code_idx, area_type, value_idx=lowered.index("population"),
            year_idx=lowered.index("year"),
            sex_idx=lowered.index("sex") if "sex" in lowered else None,
            age_idx=next((lowered.index(c) for c in ("age_band", "age") if c in lowered), None),
            source_idx=lowered.index("source") if "source" in lowered else None)
        return _plan(f"population table ({area_type})", spec, None, "custom")
    return None


# Row-by-row formats --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Columns:
    code_idx: int
    area_type: str
    value_idx: int
    year_idx: int | None = None
    sex_idx: int | None = None
    age_idx: int | None = None
    source_idx: int | None = None


_POP_SCHEMA = pa.schema([("area_type", pa.string()), ("area_code", pa.string()),
                         ("year", pa.int16()), ("sex", pa.string()), ("age_band", pa.string()),
                         ("age_from", pa.int16()), ("age_to", pa.int16()),
                         ("population", pa.float64()), ("source", pa.string()),
                         ("load_id", pa.int64())])
_POP_KEYS = ("area_type", "area_code", "year", "sex", "age_band")


def insert_population(con: duckdb.DuckDBPyConnection,
                      rows: Sequence[Sequence[object]]) -> None:
    """Store population rows given as tuples in the ``population`` view's column order
    (area_type, area_code, year, sex, age_band, age_from, age_to, population, source, load_id),
    replacing rows of the same key: what ``INSERT INTO population`` did before the view."""
    columns: list[Sequence[object]] = [[r[j] for r in rows] for j in range(len(_POP_SCHEMA))]
    write_population(con, pa.table([pa.array(list(c), f.type) for c, f in
                                    zip(columns, _POP_SCHEMA, strict=True)],
                                   schema=_POP_SCHEMA))


def write_population(con: duckdb.DuckDBPyConnection, staged: pa.Table, *,
                     scope: str | None = None, keys_unique: bool = False) -> None:
    """Store long population rows (``_POP_SCHEMA``: one per area, year, sex and age band).

    A staged row replaces the stored one of the same key; other stored bands of the same area,
    year and sex stay. The store keeps them wide (:mod:`commsafe.store.population`); the
    ``population`` view gives the long rows back. ``scope`` is an SQL condition on ``t``
    (area_type, year, sex) that every affected stored row meets: when none does, nothing needs
    merging. ``keys_unique`` as for :func:`commsafe.reference.geography.merge`.
    """
    if staged.num_rows == 0:
        return
    con.register("_pop_in", staged)
    try:
        if not keys_unique:
            distinct = con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(_POP_KEYS)} FROM _pop_in)"
            ).fetchall()[0][0]
            if distinct != staged.num_rows:
                raise AssertionError(
                    f"population: {staged.num_rows - distinct:,} staged rows repeat a key; the "
                    "reader should have rejected them")
        existing = True
        if scope is not None:
            existing = bool(con.execute(
                f"SELECT EXISTS (SELECT 1 FROM population_rows AS t WHERE {scope})"
            ).fetchall()[0][0])
        store_long(con, "_pop_in", merge=existing)
    finally:
        con.unregister("_pop_in")


def _plan(title: str, spec: _Columns, year: int | None, source: str) -> Plan:
    def run(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile) -> Outcome:
        return _run_rows(con, load_id, src, spec, year, source)
    return Plan(KIND, title, run)


def _run_rows(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile, spec: _Columns,
              fixed_year: int | None, default_source: str) -> Outcome:
    out = Outcome()
    header, rows = csv_rows(src)
    used = [i for i in (spec.code_idx, spec.value_idx, spec.year_idx, spec.sex_idx,
                        spec.age_idx, spec.source_idx) if i is not None]
    need = max(used) + 1
    kept: dict[tuple[str, int, str, str], tuple[float, int, int | None, str, int]] = {}
    for line, row in rows:
        out.rows_read += 1
        n = out.rows_read

        def bad(reason: str, col: int | None, value: str | None, text: str,
                line: int = line, n: int = n, row: list[str] = row) -> None:
            at = where(src.path, line, header[col] if col is not None else None, value)
            out.reject(line, n, reason, f"{at}: {text}", raw_line(row))

        if len(row) < need:
            bad("wrong_column_count", None, None, f"{len(row)} fields but the header has "
                f"{len(header)}. Fix: the row is cut short or has a missing comma.")
            continue
        code = row[spec.code_idx].strip().upper()
        problem = check_code(spec.area_type, code)
        if problem:
            bad(problem[0], spec.code_idx, code, problem[1])
            continue
        year = fixed_year
        if spec.year_idx is not None:
            text = row[spec.year_idx].strip()
            number = parse_number(text)
            if number is None or number != int(number) or not 1900 <= number <= 2100:
                bad("bad_year", spec.year_idx, text, "the year must be a whole number "
                    "1900–2100. Fix: correct the year.")
                continue
            year = int(number)
        assert year is not None
        sex = "persons"
        if spec.sex_idx is not None and row[spec.sex_idx].strip():
            found = normalise_sex(row[spec.sex_idx])
            if found is None:
                bad("bad_sex", spec.sex_idx, row[spec.sex_idx], "sex must be persons "
                    "(Persons/All/Total), male (M/Male) or female (F/Female). Fix: correct it.")
                continue
            sex = found
        band: tuple[str, int, int | None] | None = ("all", 0, None)
        if spec.age_idx is not None and row[spec.age_idx].strip():
            band = parse_age_band(row[spec.age_idx])
            if band is None:
                bad("bad_age_band", spec.age_idx, row[spec.age_idx], "the age band must be "
                    "'all', a single year ('37'), an open band ('90+') or a range ('16-24'). "
                    "Fix: correct it.")
                continue
        assert band is not None
        text = row[spec.value_idx]
        value = parse_number(text)
        if value is None:
            bad("bad_number", spec.value_idx, text, "the population is not a number. Fix: "
                "give a number such as 1563 (or leave the row out).")
            continue
        if value < 0:
            bad("negative_population", spec.value_idx, text, "the population is negative. "
                "Fix: correct the value.")
            continue
        source = default_source
        if spec.source_idx is not None and row[spec.source_idx].strip():
            source = row[spec.source_idx].strip()
        key = (code, year, sex, band[0])
        if key in kept:
            first = kept[key]
            if (first[0], first[3]) == (value, source):
                out.rows_duplicate += 1
            else:
                bad("conflicting_duplicate", spec.value_idx, text, f"{code} {year} {sex} "
                    f"{band[0]} already has population {first[0]:g} (line {first[4]}). "
                    "Fix: keep one row per area, year, sex and age band.")
            continue
        kept[key] = (value, band[1], band[2], source, line)
        out.rows_loaded += 1
    keys = list(kept)
    staged = pa.table([
        [spec.area_type] * len(keys), [k[0] for k in keys], [k[1] for k in keys],
        [k[2] for k in keys], [k[3] for k in keys], [kept[k][1] for k in keys],
        [kept[k][2] for k in keys], [kept[k][0] for k in keys], [kept[k][3] for k in keys],
        [load_id] * len(keys)], schema=_POP_SCHEMA)
    write_population(con, staged)
    if out.rows_read == 0:
        out.notes.append("header only: no data rows (nothing is wrong)")
    years = sorted({k[1] for k in keys})
    out.notes.append(f"population rows: {len(keys):,} ({spec.area_type}; years "
                     f"{', '.join(map(str, years)) or 'none'})")
    return out


# Mid-year estimates (wide, fast path) --------------------------------------------------------

def _midyear_plan(area_type: str, code_idx: int, total_idx: int,
                  ages: list[tuple[int, str, int, int | None]], year: int) -> Plan:
    def run(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile) -> Outcome:
        return _run_midyear(con, load_id, src, area_type, code_idx, total_idx, ages, year)
    return Plan(KIND, f"mid-{year} population by single year of age ({area_type})", run)


def _const(value: object, n: int, type_: pa.DataType) -> pa.Array:
    return pa.array([value], type_).take(pa.array(np.zeros(n, dtype=np.int64)))


_CLEAN_CODE = {"lsoa11": r"^[EW]01\d{6}$", "lsoa21": r"^[EW]01\d{6}$",
               "msoa11": r"^[EW]02\d{6}$", "msoa21": r"^[EW]02\d{6}$"}


def _read_clean(src: SourceFile, n_columns: int, code_idx: int, value_idx: list[int],
                area_type: str) -> tuple[list[str], np.ndarray] | None:
    """(codes, values) read with pyarrow when every row is clean, else None.

    Clean: each row has the header's fields, codes are valid and distinct, values are finite
    non-negative numbers. Anything else goes through the row-by-row reader, which gives line
    numbers and reasons; both readers load the same rows from a clean file.
    """
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(n_columns)]
    wanted = [names[code_idx]] + [names[i] for i in value_idx]
    types = {names[i]: pa.float64() for i in value_idx}
    types[names[code_idx]] = pa.string()
    try:
        table = pcsv.read_csv(
            pa.BufferReader(src.data),
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pcsv.ParseOptions(newlines_in_values=False),
            convert_options=pcsv.ConvertOptions(column_types=types, include_columns=wanted,
                                                strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    codes = table.column(names[code_idx])
    pattern = _CLEAN_CODE.get(area_type, r"^[A-Z]\d{8}$")
    if table.num_rows and (not pc.all(pc.match_substring_regex(codes, pattern)).as_py()
                           or pc.count_distinct(codes).as_py() != table.num_rows):
        return None
    matrix = np.column_stack([table.column(names[i]).to_numpy() for i in value_idx]
                             ) if table.num_rows else np.empty((0, len(value_idx)))
    if not (np.isfinite(matrix).all() and (matrix >= 0).all()):
        return None
    return codes.to_pylist(), matrix.astype(np.float64, copy=False)


def _read_rows(src: SourceFile, out: Outcome, area_type: str, code_idx: int,
               value_idx: list[int]) -> tuple[list[str], np.ndarray]:
    """(codes, values) read row by row; bad rows go to ``out`` as rejects with their line."""
    header, rows = csv_rows(src)
    need = max([code_idx, *value_idx]) + 1
    lo, hi = value_idx[0], value_idx[-1] + 1
    contiguous = value_idx == list(range(lo, hi))
    codes: list[str] = []
    values: list[list[float]] = []
    first: dict[str, tuple[int, int]] = {}  # code → (line, position in codes)
    for line, row in rows:
        out.rows_read += 1
        n = out.rows_read
        if reject_short_row(out, src, header, line, n, row, need):
            continue
        code = row[code_idx].strip().upper()
        problem = check_code(area_type, code)
        if problem:
            out.reject(line, n, problem[0],
                       f"{where(src.path, line, header[code_idx], code)}: {problem[1]}",
                       raw_line(row))
            continue
        try:
            nums = (list(map(float, row[lo:hi])) if contiguous
                    else [float(row[i]) for i in value_idx])
            ok = min(nums) >= 0 and all(map(math.isfinite, nums))
        except ValueError:
            ok = False
        if not ok:
            parsed = [parse_number(row[i]) for i in value_idx]
            bad = next((k for k, v in enumerate(parsed) if v is None or v < 0), None)
            if bad is not None:
                col = value_idx[bad]
                reason = "bad_number" if parsed[bad] is None else "negative_population"
                out.reject(line, n, reason, f"{where(src.path, line, header[col], row[col])}: "
                           "the population is not a non-negative number. Fix: correct the "
                           "value (or leave the row out).", raw_line(row))
                continue
            nums = [float(v) for v in parsed if v is not None]
        if code in first:
            if values[first[code][1]] == nums:
                out.rows_duplicate += 1
            else:
                out.reject(line, n, "conflicting_duplicate",
                           f"{where(src.path, line, header[code_idx], code)}: the area appears "
                           f"again (first on line {first[code][0]}) with other values. Fix: "
                           "keep one row per area.", raw_line(row))
            continue
        first[code] = (line, len(codes))
        codes.append(code)
        values.append(nums)
        out.rows_loaded += 1
    return codes, np.array(values, dtype=np.float64).reshape(len(codes), len(value_idx))


def _run_midyear(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile, area_type: str,
                 code_idx: int, total_idx: int, ages: list[tuple[int, str, int, int | None]],
                 year: int, *, fast: bool = True) -> Outcome:
    out = Outcome()
    header, _ = csv_rows(src, src.text.split("\n", 1)[0])
    value_idx = [total_idx] + [a[0] for a in ages]
    clean = _read_clean(src, len(header), code_idx, value_idx, area_type) if fast else None
    if clean is not None:
        codes, matrix = clean
        out.rows_read = out.rows_loaded = len(codes)
    else:
        codes, matrix = _read_rows(src, out, area_type, code_idx, value_idx)
    k = len(value_idx)
    n_areas = len(codes)
    total = n_areas * k
    bands = ["all"] + [a[1] for a in ages]
    froms = np.array([0] + [a[2] for a in ages], dtype=np.int16)
    tos = np.array([-1] + [-1 if a[3] is None else a[3] for a in ages], dtype=np.int16)
    area_idx = np.repeat(np.arange(n_areas, dtype=np.int64), k)  # area by area
    band_idx = np.tile(np.arange(k, dtype=np.int64), n_areas)
    tos_all = tos[band_idx]
    staged = pa.table([
        _const(area_type, total, pa.string()),
        pa.array(codes, pa.string()).take(pa.array(area_idx)),
        _const(year, total, pa.int16()),
        _const("persons", total, pa.string()),
        pa.array(bands, pa.string()).take(pa.array(band_idx)),
        pa.array(froms[band_idx], pa.int16()),
        pa.array(tos_all, pa.int16(), mask=tos_all < 0),
        pa.array(matrix[area_idx, band_idx], pa.float64()),
        _const(f"mid{year}", total, pa.string()),
        _const(load_id, total, pa.int64())], schema=_POP_SCHEMA)
    # keys are unique: codes are distinct (both readers) and so are the header's age bands
    write_population(con, staged, keys_unique=True,
                     scope=f"t.area_type = '{area_type}' AND t.year = {int(year)} "
                     "AND t.sex = 'persons'")
    if out.rows_read == 0:
        out.notes.append("header only: no data rows (nothing is wrong)")
    out.notes.append(f"population rows: {total:,} ({area_type}, {year}, persons, all + "
                     f"{len(ages)} age bands)")
    if n_areas:
        off = int((np.abs(matrix[:, 0] - matrix[:, 1:].sum(axis=1)) > 0.5).sum())
        if off:
            out.notes.append(f"{off:,} areas whose total differs from the sum of ages by more "
                             "than 0.5")
    return out
