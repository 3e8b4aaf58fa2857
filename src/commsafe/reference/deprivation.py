"""Indices of Multiple Deprivation: which CSV headers are recognised and how they become
``deprivation`` rows.

A deprivation file is a CSV with one LSOA code column (``lsoa11_code`` or ``lsoa21_code``, or
the ONS ``LSOA11CD``/``LSOA21CD``) and an ``IMD_decile`` column (case-insensitive);
``IMD_rank`` and ``IMD_score`` are read when present and every other column (the domain
deciles, ranks and scores, names) is ignored. It loads with kind ``reference:deprivation``.

Each row becomes one ``deprivation`` row keyed (index_name, area_code), where index_name is
``imd<year>-<nation>``: the year is the ``year`` argument (``--year``) or else the single
4-digit year in the file name (the one thing taken from a name, as for mid-year population
files; with neither, FileFormatError), and the nation comes from the code (``E`` England,
``W`` Wales). So ``imd2019_england_lsoa11.csv`` gives ``imd2019-england`` and the Welsh IMD
2019 ``imd2019-wales``. A later file replaces the rows it covers.

Rows that cannot be loaded are rejects with their line and a reason: a blank or malformed code
(``blank_code``, ``bad_code``, ``wrong_area_type``, ``not_england_wales``), a decile that is not
a whole number 1–10 (``bad_decile``; ``9.0`` is 9), a rank that is not a whole number ≥ 1
(``bad_rank``), a score that is not a number (``bad_score``) — a blank rank or score is NULL —
a row cut short, or a code given twice with other values (``conflicting_duplicate``). The same
row twice counts as a duplicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from commsafe.errors import FileFormatError, where
from commsafe.reference.geography import (
    Outcome,
    Plan,
    SourceFile,
    check_code,
    csv_rows,
    merge,
    parse_area_column,
    raw_line,
    reject_short_row,
)
from commsafe.reference.population import parse_number, year_from_name

__all__ = ["DEPRIVATION_FORMATS", "KIND", "NATIONS", "recognise_deprivation_csv"]

KIND = "reference:deprivation"

NATIONS = {"E": "england", "W": "wales"}
"""First letter of an LSOA code → the nation whose index it belongs to."""

DEPRIVATION_FORMATS: tuple[tuple[str, str], ...] = (
    ("Index of Multiple Deprivation (year from --year or the file name)",
     "lsoa11_code or lsoa21_code, IMD_decile [, IMD_rank] [, IMD_score] (other columns "
     "ignored)"),
)

_LSOA_TYPES = ("lsoa11", "lsoa21")


@dataclass(frozen=True)
class _Columns:
    area_type: str
    code_idx: int
    decile_idx: int
    rank_idx: int | None
    score_idx: int | None
    year: int


def recognise_deprivation_csv(path: Path, header: Sequence[str],
                              year: int | None) -> Plan | None:
    """The deprivation plan for a CSV header, or None if it is not a deprivation file.

    Raises FileFormatError for a deprivation header with two LSOA code columns, or when
    neither ``year`` nor the file name gives the index's year.
    """
    lowered = [h.strip().lower() for h in header]
    if "imd_decile" not in lowered:
        return None
    codes = [(i, col.area_type) for i, h in enumerate(header)
             if (col := parse_area_column(h)) is not None and col.role == "code"
             and col.area_type in _LSOA_TYPES]
    if not codes:
        return None
    if len(codes) > 1:
        shown = ", ".join(header[i] for i, _ in codes)
        raise FileFormatError(
            f"{where(path, 1)}: a deprivation file with {len(codes)} LSOA code columns "
            f"({shown}), so it is not clear which areas the deciles are for. Fix: keep one "
            "LSOA code column.")
    the_year = year if year is not None else year_from_name(path)
    if the_year is None:
        raise FileFormatError(
            f"{path}: a deprivation file (IMD_decile by {codes[0][1]}) but neither --year nor "
            "a single 4-digit year (1990–2100) in the file name says which index it is "
            "(e.g. 2019 for IMD 2019). Fix: give --year YYYY (or put the year in the file "
            "name, e.g. imd2019_england_lsoa11.csv).")
    spec = _Columns(
        area_type=codes[0][1], code_idx=codes[0][0], decile_idx=lowered.index("imd_decile"),
        rank_idx=lowered.index("imd_rank") if "imd_rank" in lowered else None,
        score_idx=lowered.index("imd_score") if "imd_score" in lowered else None,
        year=the_year)
    title = f"Index of Multiple Deprivation {the_year} ({spec.area_type})"

    def run(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile) -> Outcome:
        return _run(con, load_id, src, spec)
    return Plan(KIND, title, run)


_SCHEMA = pa.schema([("index_name", pa.string()), ("nation", pa.string()),
                     ("index_year", pa.int16()), ("area_type", pa.string()),
                     ("area_code", pa.string()), ("imd_decile", pa.int16()),
                     ("imd_rank", pa.int32()), ("imd_score", pa.float64()),
                     ("load_id", pa.int64())])
_SET = ("nation = s.nation, index_year = s.index_year, area_type = s.area_type, "
        "imd_decile = s.imd_decile, imd_rank = s.imd_rank, imd_score = s.imd_score, "
        "load_id = s.load_id")
_KEYS = ("index_name", "area_code")


def _whole(text: str) -> int | None:
    """``9``, ``9.0`` → 9; None for anything that is not a whole number."""
    number = parse_number(text)
    if number is None or number != int(number):
        return None
    return int(number)


def _run(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile,
         spec: _Columns) -> Outcome:
    out = Outcome()
    header, rows = csv_rows(src)
    need = max(i for i in (spec.code_idx, spec.decile_idx, spec.rank_idx, spec.score_idx)
               if i is not None) + 1
    kept: dict[str, tuple[int, int | None, float | None, int]] = {}
    for line, row in rows:
        out.rows_read += 1
        n = out.rows_read

        def bad(reason: str, col: int, value: str, text: str,
                line: int = line, n: int = n, row: list[str] = row) -> None:
            at = where(src.path, line, header[col], value)
            out.reject(line, n, reason, f"{at}: {text}", raw_line(row))

        if reject_short_row(out, src, header, line, n, row, need):
            continue
        code = row[spec.code_idx].strip().upper()
        problem = check_code(spec.area_type, code)
        if problem:
            bad(problem[0], spec.code_idx, code, problem[1])
            continue
        text = row[spec.decile_idx].strip()
        decile = _whole(text)
        if decile is None or not 1 <= decile <= 10:
            bad("bad_decile", spec.decile_idx, text, "the IMD decile must be a whole number "
                "1–10 (1 = the most deprived 10% of the nation's areas). Fix: correct the "
                "decile.")
            continue
        rank: int | None = None
        if spec.rank_idx is not None and row[spec.rank_idx].strip():
            text = row[spec.rank_idx].strip()
            rank = _whole(text)
            if rank is None or rank < 1:
                bad("bad_rank", spec.rank_idx, text, "the IMD rank must be a whole number, 1 "
                    "or more (1 = the most deprived area). Fix: correct the rank or leave it "
                    "blank.")
                continue
        score: float | None = None
        if spec.score_idx is not None and row[spec.score_idx].strip():
            text = row[spec.score_idx].strip()
            score = parse_number(text)
            if score is None:
                bad("bad_score", spec.score_idx, text, "the IMD score is not a number. Fix: "
                    "correct the score or leave it blank.")
                continue
        if code in kept:
            first = kept[code]
            if first[:3] == (decile, rank, score):
                out.rows_duplicate += 1
            else:
                bad("conflicting_duplicate", spec.code_idx, code, f"{code} appears again "
                    f"(first on line {first[3]}) with other values. Fix: keep one row per "
                    "area.")
            continue
        kept[code] = (decile, rank, score, line)
        out.rows_loaded += 1
    codes = list(kept)
    nations = [NATIONS[c[0]] for c in codes]
    staged = pa.table([
        [f"imd{spec.year}-{nation}" for nation in nations], nations,
        [spec.year] * len(codes), [spec.area_type] * len(codes), codes,
        [kept[c][0] for c in codes], [kept[c][1] for c in codes],
        [kept[c][2] for c in codes], [load_id] * len(codes)], schema=_SCHEMA)
    merge(con, "deprivation", staged, _KEYS, _SET, keys_unique=True)
    if out.rows_read == 0:
        out.notes.append("header only: no data rows (nothing is wrong)")
    per_nation = Counter(nations)
    inner = ", ".join(f"imd{spec.year}-{k} {v:,}" for k, v in sorted(per_nation.items()))
    out.notes.append(f"deprivation rows: {len(codes):,} ({spec.area_type}"
                     + (f"; {inner}" if inner else "") + ")"
                     + ("" if spec.score_idx is not None else "; no IMD_score column, scores "
                        "left empty"))
    return out
