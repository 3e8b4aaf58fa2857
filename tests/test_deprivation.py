"""Deprivation reference files: recognition, rejected rows with reasons, and the real IMD files
(skipped without ../shared/data), recounted independently."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from commsafe.errors import FileFormatError
from commsafe.reference.loader import load_reference, recognise
from commsafe.store import SCHEMA_VERSION, Store


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(store: Store) -> dict[str, tuple[object, ...]]:
    return {str(r[0]): tuple(r[1:]) for r in store.con.execute(
        "SELECT area_code, index_name, nation, index_year, area_type, imd_decile, imd_rank, "
        "imd_score FROM deprivation ORDER BY 1").fetchall()}


def test_schema_has_the_deprivation_table(store: Store) -> None:
    assert SCHEMA_VERSION >= 4 and store.schema_version() == SCHEMA_VERSION
    cols = [r[0] for r in store.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'deprivation' "
        "ORDER BY ordinal_position").fetchall()]
    assert cols == ["index_name", "nation", "index_year", "area_type", "area_code",
                    "imd_decile", "imd_rank", "imd_score", "load_id"]


def test_recognised_by_header_year_from_name(tmp_path: Path) -> None:
    f = _write(tmp_path / "imd2019_wales_lsoa11.csv",
               ["LSOA11CD,IMD_decile,IMD_rank,IMD_score", "W01000001,5,885,19.2"])
    plan = recognise(f)
    assert plan.kind == "reference:deprivation" and "2019" in plan.title
    assert recognise(f, year=2014).title.startswith("Index of Multiple Deprivation 2014")
    nameless = _write(tmp_path / "imd_wales.csv", ["lsoa11_code,IMD_decile", "W01000001,5"])
    with pytest.raises(FileFormatError, match=r"neither --year nor .* Fix: give --year"):
        recognise(nameless)


def test_rows_rejected_with_reasons(store: Store, tmp_path: Path) -> None:
    f = _write(tmp_path / "imd2025_lsoa21.csv", [
        "lsoa21_code,IMD_decile,IMD_rank,IMD_score",
        "E01000001,1,12,55.5",     # loaded
        "W01000002,10.0,1900,",    # loaded: Welsh, no score
        "E01000003,11,40,3.0",     # decile 11
        "E01000004,0,41,3.0",      # decile 0
        "E01000005,ten,42,3.0",    # decile not a number
        "E0100006,3,43,3.0",       # bad code
        "E02000007,3,44,3.0",      # an MSOA code
        "S01000008,3,45,3.0",      # Scotland
        "E01000009,3,0,3.0",       # rank 0
        "E01000010,3,46,high",     # score not a number
        "E01000001,1,12,55.5",     # the same row again: a duplicate
        "E01000001,2,12,55.5",     # the same code with another decile
        "E01000011,3",             # cut short
        ",3,47,3.0",               # blank code
    ])
    (rec,) = load_reference(store, [f])
    assert rec.status == "loaded" and rec.kind == "reference:deprivation"
    assert (rec.rows_read, rec.rows_loaded, rec.rows_duplicate, rec.rows_rejected) == (14, 2, 1, 11)
    reasons = {(r.line_number, r.reason) for r in rec.rejects}
    assert reasons == {(4, "bad_decile"), (5, "bad_decile"), (6, "bad_decile"),
                       (7, "bad_code"), (8, "wrong_area_type"), (9, "not_england_wales"),
                       (10, "bad_rank"), (11, "bad_score"), (13, "conflicting_duplicate"),
                       (14, "wrong_column_count"), (15, "blank_code")}
    eleven = next(r for r in rec.rejects if r.line_number == 4)
    for part in (str(f), "line 4", "column 'IMD_decile'", "value '11'", "1–10", "Fix:"):
        assert part in eleven.detail
    assert _rows(store) == {
        "E01000001": ("imd2025-england", "england", 2025, "lsoa21", 1, 12, 55.5),
        "W01000002": ("imd2025-wales", "wales", 2025, "lsoa21", 10, 1900, None)}
    stored = store.con.execute("SELECT count(*) FROM rejects WHERE load_id = ?",
                               [rec.load_id]).fetchall()
    assert stored[0][0] == 11


def test_later_file_replaces_rows(store: Store, tmp_path: Path) -> None:
    a = _write(tmp_path / "imd2019_a.csv", ["lsoa11_code,IMD_decile", "E01000001,4",
                                            "E01000002,5"])
    b = _write(tmp_path / "imd2019_b.csv", ["lsoa11_code,IMD_decile", "E01000001,6"])
    load_reference(store, [a, b])
    assert {k: v[4] for k, v in _rows(store).items()} == {"E01000001": 6, "E01000002": 5}
    (again,) = load_reference(store, [a])
    assert again.status == "duplicate"


def test_unknown_header_is_not_recognised(store: Store, tmp_path: Path) -> None:
    f = _write(tmp_path / "imd2019.csv", ["lsoa11_code,IMD_decile_x", "E01000001,4"])
    with pytest.raises(FileFormatError) as info:
        load_reference(store, [f])
    text = str(info.value)
    assert "not a reference format commsafe knows" in text
    assert "Index of Multiple Deprivation" in text and "IMD_decile" in text
    assert store.con.execute("SELECT count(*) FROM loads").fetchall()[0][0] == 0


FILES = {  # file → (index_name, area type, has scores)
    "imd2019_england_lsoa11.csv": ("imd2019-england", "lsoa11", False),
    "imd2019_wales_lsoa11.csv": ("imd2019-wales", "lsoa11", True),
    "imd2025_england_lsoa21.csv": ("imd2025-england", "lsoa21", True),
}


def test_real_deprivation_files(store: Store, shared_data: Path) -> None:
    folder = shared_data / "deprivation"
    records = load_reference(store, [folder])
    by_file = {Path(r.path).name: r for r in records}
    assert set(by_file) == set(FILES)
    for name, (index, area_type, scored) in FILES.items():
        with (folder / name).open(newline="", encoding="utf-8-sig") as h:
            rows = list(csv.DictReader(h))
        deciles = {int(float(r["IMD_decile"])) for r in rows}
        rec = by_file[name]
        assert rec.kind == "reference:deprivation" and rec.status == "loaded"
        assert rec.rows_read == rec.rows_loaded == len(rows) and not rec.rejects
        stored = store.con.execute(
            "SELECT kind, status, rows_read, rows_loaded, rows_rejected FROM loads "
            "WHERE load_id = ?", [rec.load_id]).fetchall()
        assert stored == [("reference:deprivation", "loaded", len(rows), len(rows), 0)]
        n, n_scored, lo, hi, types = store.con.execute(
            "SELECT count(*), count(imd_score), min(imd_decile), max(imd_decile), "
            "list(DISTINCT area_type) FROM deprivation WHERE index_name = ?",
            [index]).fetchall()[0]
        assert n == len(rows) and types == [area_type]
        assert (lo, hi) == (min(deciles), max(deciles)) == (1, 10)
        assert n_scored == (len(rows) if scored else 0)
    # the same bytes again: duplicates, nothing loaded
    again = load_reference(store, [folder])
    assert [r.status for r in again] == ["duplicate"] * 3
    assert store.con.execute("SELECT count(*) FROM deprivation").fetchall()[0][0] == sum(
        r.rows_loaded for r in records)
