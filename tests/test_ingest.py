"""Ingest of the real police.uk extracts: exact counts, accounting, idempotence, revisions,
atomicity under kill -9."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from commsafe.cli import main
from commsafe.sources.police_uk import name_info
from commsafe.store import open_store
from commsafe.store.ingest import ingest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POLICE = DATA / "police-uk"

needs_data = pytest.mark.skipif(
    not POLICE.is_dir(), reason="../shared/data is not present: real-data tests need it"
)


def recount(folder: Path) -> dict[tuple[str, str, str], int]:
    """Independent recount of street files with the csv module: (force, month, type) → rows."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for f in sorted(folder.rglob("*-street.csv")):
        force = name_info(f.name)[1]
        assert force
        with f.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                counts[(force, row["Month"], row["Crime type"])] += 1
    return dict(counts)


def data_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return sum(1 for row in csv.reader(fh) if row) - 1


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not POLICE.is_dir():
        pytest.skip("../shared/data is not present: real-data tests need it")
    path = tmp_path_factory.mktemp("store") / "commsafe.duckdb"
    assert main(["ingest", str(POLICE), "--store", str(path), "--quiet"]) == 0
    return path


@needs_data
def test_counts_equal_independent_recount(loaded: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    rc = main(["counts", "--by", "force,month,category", "--include-asb", "--format", "csv",
               "--store", str(loaded)])
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["force", "month", "category", "count"]
    got = {(r["force"], r["month"], r["category"]): int(r["count"]) for r in rows}
    expected = recount(POLICE)
    assert got == expected
    assert sum(expected.values()) == 134_553 + 524_070  # + Northumbria 2020-05 … 2023-02


@needs_data
def test_counts_by_month_category_equal_recount(loaded: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["counts", "--by", "month,category", "--include-asb", "--format", "csv",
                 "--store", str(loaded)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    got = {(r["month"], r["category"]): int(r["count"]) for r in rows}
    expected: Counter[tuple[str, str]] = Counter()
    for (_, month, cat), n in recount(POLICE).items():
        expected[(month, cat)] += n
    assert got == dict(expected)


@needs_data
def test_crime_excludes_asb_by_default(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["counts", "--by", "category", "--format", "json", "--store", str(loaded)]) == 0
    out = capsys.readouterr().out
    assert "Anti-social behaviour" not in out
    asb = sum(n for (_, _, c), n in recount(POLICE).items() if c == "Anti-social behaviour")
    assert main(["counts", "--by", "force", "--asb-only", "--format", "csv",
                 "--store", str(loaded)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sum(int(r["count"]) for r in rows) == asb == 20_015 + 146_248


@needs_data
def test_row_accounting_holds_for_every_file(loaded: Path) -> None:
    files = sorted(POLICE.rglob("*.csv"))
    with open_store(loaded, read_only=True) as st:
        loads = {Path(p).name: (kind, read, ok, rej, dup) for p, kind, read, ok, rej, dup in
                 st.con.execute("SELECT path, kind, rows_read, rows_loaded, rows_rejected, "
                                "rows_duplicate FROM loads").fetchall()}
        per_load = dict(st.con.execute(
            "SELECT l.path, (SELECT count(*) FROM events e WHERE e.load_id = l.load_id) + "
            "(SELECT count(*) FROM outcomes o WHERE o.load_id = l.load_id) + "
            "(SELECT count(*) FROM stop_search s WHERE s.load_id = l.load_id) FROM loads l"
        ).fetchall())
    assert len(loads) == len(files) == 65 + 33  # + Northumbria's 33 street files
    for f in files:
        _kind, read, ok, rej, dup = loads[f.name]
        assert read == data_rows(f), f
        assert read == ok + rej + dup
        assert per_load[str(f)] == ok
        assert rej == 0 and dup == 0, f"{f}: real police.uk rows should all load"


@needs_data
def test_identical_asb_rows_and_repeated_crime_ids_are_all_kept(loaded: Path) -> None:
    with open_store(loaded, read_only=True) as st:
        identical = st.con.execute("""
            SELECT count(*) FROM (SELECT force, month, longitude, latitude, location, lsoa_code
                                  FROM events WHERE is_asb GROUP BY ALL HAVING count(*) > 1)
        """).fetchall()[0][0]
        asb_ids = st.con.execute("SELECT count(event_id) FROM events WHERE is_asb").fetchall()
    assert identical > 0  # exact copies exist in the real data and were not collapsed
    assert asb_ids[0][0] == 0  # ASB has no Crime ID


@needs_data
def test_second_ingest_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    folder = POLICE / "city-of-london-2024-25"
    with open_store(path) as st:
        first = ingest(st, [folder])
        before = st.con.execute("SELECT count(*), sum(hash(event_id, row_number, month)) "
                                "FROM events").fetchall()
        second = ingest(st, [folder])
        after = st.con.execute("SELECT count(*), sum(hash(event_id, row_number, month)) "
                               "FROM events").fetchall()
    assert first.totals()["rows_loaded"] == 18_867
    assert second.totals() == {"rows_read": 18_867, "rows_loaded": 0, "rows_rejected": 0,
                               "rows_duplicate": 18_867}
    assert {r.status for r in second.loads} == {"duplicate"}
    assert before == after


def _street(month: str, rows: list[tuple[str, str]]) -> bytes:
    head = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
            "LSOA name,Crime type,Last outcome category,Context\n")
    body = "".join(
        f"{cid},{month},Test Constabulary,Test Constabulary,-0.1,52.2,On or near X,"
        f"E01000001,City of London 001A,{cat},,\n" for cid, cat in rows
    )
    return (head + body).encode()


def test_revised_file_replaces_its_force_month(tmp_path: Path) -> None:
    d1, d2 = tmp_path / "v1", tmp_path / "v2"
    d1.mkdir()
    d2.mkdir()
    name = "2024-01-testforce-street.csv"
    (d1 / name).write_bytes(_street("2024-01", [("a", "Burglary"), ("b", "Robbery")]))
    (d2 / name).write_bytes(_street("2024-01", [("a", "Burglary"), ("c", "Drugs"),
                                                ("", "Anti-social behaviour")]))
    other = "2024-02-testforce-street.csv"
    (d1 / other).write_bytes(_street("2024-02", [("z", "Burglary")]))
    with open_store(tmp_path / "s.duckdb") as st:
        ingest(st, [d1])
        res = ingest(st, [d2])
        assert [r.status for r in res.loads] == ["revised"]
        assert "replaces testforce 2024-01" in (res.loads[0].note or "")
        rows = st.con.execute(
            "SELECT strftime(month, '%Y-%m'), coalesce(event_id, '-'), category FROM events "
            "ORDER BY 1, row_number").fetchall()
        assert rows == [("2024-01", "a", "Burglary"), ("2024-01", "c", "Drugs"),
                        ("2024-01", "-", "Anti-social behaviour"), ("2024-02", "z", "Burglary")]
        replaced = st.con.execute(
            "SELECT count(*) FROM loads WHERE replaced_by IS NOT NULL").fetchall()[0][0]
        assert replaced == 1
        # the old file again is a revision back, not a duplicate: its rows are gone
        back = ingest(st, [d1 / name])
        assert back.loads[0].status == "revised"
        assert st.con.execute("SELECT count(*) FROM events WHERE month = DATE '2024-01-01'"
                              ).fetchall()[0][0] == 2


def _three_months(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    for i, month in enumerate(("2024-01", "2024-02", "2024-03")):
        (folder / f"{month}-testforce-street.csv").write_bytes(
            _street(month, [(f"id{i}{j}", "Burglary") for j in range(50)]))
    store = tmp_path / "s.duckdb"
    with open_store(store) as st:  # first month loaded completely
        ingest(st, [folder / "2024-01-testforce-street.csv"])
    return folder, store


def _state(store: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with open_store(store) as st:
        months = st.con.execute("SELECT strftime(month, '%Y-%m'), count(*) FROM events "
                                "GROUP BY 1 ORDER BY 1").fetchall()
        loads = st.con.execute("SELECT status, rows_loaded FROM loads ORDER BY load_id"
                               ).fetchall()
    return months, loads


def test_kill_9_mid_ingest_keeps_exactly_the_complete_loads(tmp_path: Path) -> None:
    folder, store = _three_months(tmp_path)
    env = {**os.environ, "COMMSAFE_TEST_KILL": "mid-load"}
    exe = shutil.which("commsafe", path=str(Path(sys.executable).parent))
    assert exe
    proc = subprocess.run([exe, "ingest", str(folder), "--store", str(store), "--quiet"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9  # killed by SIGKILL inside the batch's transaction
    # one batch: nothing of the interrupted call is in the store
    assert _state(store) == ([("2024-01", 50)], [("loaded", 50)])
    with open_store(store) as st:  # and the store still works: the next run loads the rest
        res = ingest(st, [folder])
        assert [r.status for r in res.loads] == ["duplicate", "loaded", "loaded"]
        assert st.con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 150


def test_kill_9_between_batches_keeps_the_committed_batches(tmp_path: Path) -> None:
    folder, store = _three_months(tmp_path)
    script = ("import sys; from commsafe.store import open_store; "
              "from commsafe.store.ingest import ingest; "
              "st = open_store(sys.argv[1]); ingest(st, [sys.argv[2]], batch_bytes=1)")
    env = {**os.environ, "COMMSAFE_TEST_KILL": "mid-load:3"}
    proc = subprocess.run([sys.executable, "-c", script, str(store), str(folder)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    # batches of one file: the duplicate and 2024-02 committed, 2024-03 died mid-transaction
    assert _state(store) == ([("2024-01", 50), ("2024-02", 50)],
                             [("loaded", 50), ("duplicate", 0), ("loaded", 50)])
