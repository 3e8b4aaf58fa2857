"""Bad input gets one clear line (file, line, column, value, fix) or a reject row, never a
traceback: through ``ingest()`` and through the command line.

Fixture files are written by hand in the data.police.uk street layout.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from commsafe.cli import main
from commsafe.errors import InputError, NotAStoreError, SchemaVersionError
from commsafe.store import Store, open_store
from commsafe.store.ingest import IngestResult, ingest
from commsafe.store.loads import LoadRecord

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)
FORCE = "Testforce Constabulary"
NAME = "2024-01-testforce-street.csv"


def row(n: int, month: str = "2024-01", lon: str = "0.121817", lat: str = "52.205337",
        location: str = "On or near Market Street", crime_type: str = "Burglary",
        outcome: str = "Under investigation", context: str = "") -> str:
    crime_id = f"{n:064x}" if crime_type != "Anti-social behaviour" else ""
    return ",".join([crime_id, month, FORCE, FORCE, lon, lat, location, "E01017959",
                     "Cambridge 001A", crime_type, outcome, context])


def street(*rows: str, eol: str = "\n", final_eol: bool = True) -> bytes:
    text = eol.join([HEADER, *rows]) + (eol if final_eol else "")
    return text.encode("utf-8")


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def one_load(result: IngestResult) -> LoadRecord:
    assert not result.failures, result.failures
    assert len(result.loads) == 1
    rec = result.loads[0]
    assert rec.rows_read == rec.rows_loaded + rec.rows_rejected + rec.rows_duplicate
    return rec


def one_failure(result: IngestResult, path: Path | str) -> str:
    assert not result.loads
    assert len(result.failures) == 1
    failure = result.failures[0]
    assert failure.path == str(path)
    message = failure.message
    assert str(path) in message
    assert "\n" not in message
    return message


def events(store: Store) -> int:
    n = store.scalar("SELECT count(*) FROM events")
    assert isinstance(n, int)
    return n


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def commsafe_cmd() -> list[str]:
    script = Path(sys.executable).parent / "commsafe"
    return [str(script)] if script.exists() else [sys.executable, "-m", "commsafe.cli"]


# --------------------------------------------------------------------------- whole files


def test_empty_file(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, NAME, b"")
    message = one_failure(ingest(store, [path]), path)
    assert "empty" in message and "re-download" in message.lower()
    code, _, err = cli(capsys, "ingest", path, "--store", tmp_path / "cli.duckdb", "-q")
    assert code == 1
    assert str(path) in err and "empty" in err


def test_whitespace_only_file_is_empty(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, NAME, b"\xef\xbb\xbf \r\n\n")
    assert "empty" in one_failure(ingest(store, [path]), path)


def test_header_only(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, NAME, street())
    message = one_failure(ingest(store, [path]), path)
    assert "header but no data rows" in message
    code, _, err = cli(capsys, "ingest", path, "--store", tmp_path / "cli.duckdb", "-q")
    assert code == 1 and "no data rows" in err


@pytest.mark.parametrize("header", [
    "Name,Address,Date of birth",
    HEADER.replace(",Crime type", ""),
    "",
])
def test_not_a_police_uk_file(store: Store, tmp_path: Path, header: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, NAME, f"{header}\nsomething,else,here\n".encode())
    message = one_failure(ingest(store, [path]), path)
    assert "not a police.uk street, outcomes or stop-and-search file" in message
    assert "Crime ID,Month" in message  # says what a street header looks like
    assert events(store) == 0
    code, _, err = cli(capsys, "ingest", path, "--store", tmp_path / "cli.duckdb", "-q")
    assert code == 1 and "not a police.uk" in err


def test_header_not_utf8(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, NAME, HEADER.encode("utf-16") + b"\n" + row(1).encode("utf-16"))
    message = one_failure(ingest(store, [path]), path)
    assert "line 1" in message and "UTF-8" in message


def test_missing_optional_column_is_accepted(store: Store, tmp_path: Path) -> None:
    header = HEADER.removesuffix(",Context")
    data = f"{header}\n{row(1).removesuffix(',')}\n".encode()
    path = write(tmp_path, NAME, data)
    rec = one_load(ingest(store, [path]))
    assert rec.rows_loaded == 1
    assert store.scalar("SELECT context FROM events") is None


def test_duplicate_column_name(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, NAME, f"{HEADER},Month\n{row(1)},2024-01\n".encode())
    message = one_failure(ingest(store, [path]), path)
    assert "line 1" in message and "twice" in message


def test_file_name_with_impossible_month_does_not_crash(store: Store, tmp_path: Path) -> None:
    # '2024-13' is no police.uk name: force and month come from the rows instead
    path = write(tmp_path, "2024-13-testforce-street.csv", street(row(1), row(2)))
    rec = one_load(ingest(store, [path]))
    assert rec.rows_loaded == 2
    assert rec.force == "testforce" and list(rec.months) == ["2024-01"]


# --------------------------------------------------------------------------- rejected rows


def test_bad_month(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, NAME, street(row(1), row(2, month="2024/01"), row(3)))
    rec = one_load(ingest(store, [path]))
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (3, 2, 1)
    (rj,) = rec.rejects
    assert rj.reason == "bad_month"
    assert (rj.line_number, rj.row_number) == (3, 2)
    assert str(path) in rj.detail
    assert "line 3" in rj.detail and "column 'Month'" in rj.detail
    assert "'2024/01'" in rj.detail and "YYYY-MM" in rj.detail and "Fix the row" in rj.detail
    assert rj.raw is not None and "2024/01" in rj.raw
    assert store.con.execute(
        "SELECT reason, line_number, row_number FROM rejects"
    ).fetchall() == [("bad_month", 3, 2)]
    assert events(store) == 2
    code, out, _ = cli(capsys, "ingest", path, "--store", tmp_path / "cli.duckdb")
    assert code == 0  # rejected rows are reported, not fatal
    assert "bad_month 1" in out


def test_month_mismatch(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, NAME, street(row(1), row(2), row(3, month="2024-02")))
    rec = one_load(ingest(store, [path]))
    (rj,) = rec.rejects
    assert rj.reason == "month_mismatch"
    assert rj.line_number == 4
    assert "column 'Month'" in rj.detail and "'2024-02'" in rj.detail
    assert "file name" in rj.detail
    assert events(store) == 2


@pytest.mark.parametrize(("lon", "lat", "reason"), [
    ("151.209900", "-33.865143", "outside_uk"),   # Sydney
    ("52.205337", "0.121817", "outside_uk"),      # swapped
    ("abc", "52.205337", "bad_coordinates"),
    ("0.12,5", "52.2", "bad_coordinates"),
    ("0.121817", "", "half_coordinates"),
])
def test_bad_coordinates(store: Store, tmp_path: Path, lon: str, lat: str,
                         reason: str) -> None:
    if "," in lon:
        lon = f'"{lon}"'
    path = write(tmp_path, NAME, street(row(1), row(2, lon=lon, lat=lat)))
    rec = one_load(ingest(store, [path]))
    (rj,) = rec.rejects
    assert rj.reason == reason
    assert rj.line_number == 3
    assert "line 3" in rj.detail and "column 'Longitude/Latitude'" in rj.detail
    assert lat in rj.detail and str(path) in rj.detail
    assert "\n" not in rj.detail
    assert events(store) == 1


def test_no_location_is_not_rejected(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, NAME, street(
        row(1), row(2, lon="", lat="", location="No location", crime_type="Anti-social behaviour"),
    ))
    rec = one_load(ingest(store, [path]))
    assert rec.rows_loaded == 2 and not rec.rejects
    assert store.scalar("SELECT count(*) FROM events WHERE longitude IS NULL") == 1


def test_not_utf8_row(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = row(2, location="On or near Caf\xe9 Street").encode("latin-1")
    data = street(row(1)) + bad + b"\n" + row(3).encode() + b"\n"
    path = write(tmp_path, NAME, data)
    rec = one_load(ingest(store, [path]))
    assert (rec.rows_loaded, rec.rows_rejected) == (2, 1)
    (rj,) = rec.rejects
    assert rj.reason == "not_utf8"
    assert (rj.line_number, rj.row_number) == (3, 2)
    assert "line 3" in rj.detail and "column 'Location'" in rj.detail
    assert "xe9" in rj.detail and "UTF-8" in rj.detail
    assert rj.raw is not None and "Caf\ufffd" in rj.raw
    assert store.scalar("SELECT raw FROM rejects") == rj.raw
    code, out, _ = cli(capsys, "ingest", path, "--store", tmp_path / "cli.duckdb")
    assert code == 0 and "not_utf8 1" in out


def test_not_utf8_in_a_short_row_is_stored(store: Store, tmp_path: Path) -> None:
    # a row both too short and not UTF-8: its raw text must still be storable
    data = street(row(1)) + b"x\xff\xfe,2024-01\n" + row(3).encode() + b"\n"
    path = write(tmp_path, NAME, data)
    rec = one_load(ingest(store, [path]))
    (rj,) = rec.rejects
    assert rj.reason == "wrong_field_count" and rj.line_number == 3
    assert store.scalar("SELECT raw FROM rejects") == "x\ufffd\ufffd,2024-01"


@pytest.mark.parametrize("exact", [False, True])
def test_windows_line_endings_and_bom(store: Store, tmp_path: Path, exact: bool) -> None:
    rows = [row(1, context="ctx one"), row(2, context="ctx two"), row(3, context="ctx three")]
    if exact:  # a quoted newline sends the file down the exact parser
        rows.append(row(4, location='"On or near\r\nHigh Street"', context="ctx four"))
    data = b"\xef\xbb\xbf" + street(*rows, eol="\r\n")
    path = write(tmp_path, NAME, data)
    rec = one_load(ingest(store, [path]))
    assert rec.rows_loaded == len(rows) and not rec.rejects
    got = store.con.execute(
        "SELECT event_id, context, location FROM events ORDER BY row_number"
    ).fetchall()
    assert [g[0] for g in got] == [f"{n:064x}" for n in range(1, len(rows) + 1)]  # no BOM
    assert [g[1] for g in got][:3] == ["ctx one", "ctx two", "ctx three"]  # no stray \r
    assert all("\r" not in (g[1] or "") for g in got)
    if exact:
        assert got[3][2] == "On or near\r\nHigh Street"


def test_embedded_newline_keeps_line_numbers(store: Store, tmp_path: Path) -> None:
    data = street(
        row(1),
        row(2, location='"On or near\nHigh Street"'),   # lines 3-4
        row(3, month="Jan-24"),                          # line 5
        row(4, location='"A\n\nB"'),                     # lines 6-8
        row(5, month="2024-1"),                          # line 9
    )
    path = write(tmp_path, NAME, data)
    rec = one_load(ingest(store, [path]))
    assert [(r.reason, r.line_number, r.row_number) for r in rec.rejects] == [
        ("bad_month", 5, 3), ("bad_month", 9, 5),
    ]
    assert "line 5" in rec.rejects[0].detail and "'Jan-24'" in rec.rejects[0].detail
    assert store.con.execute(
        "SELECT location FROM events ORDER BY row_number"
    ).fetchall() == [("On or near Market Street",), ("On or near\nHigh Street",), ("A\n\nB",)]


def test_blank_lines_are_not_rows(store: Store, tmp_path: Path) -> None:
    data = street(row(1), "", row(2), "", "", row(3, month="bad"))
    path = write(tmp_path, NAME, data)
    rec = one_load(ingest(store, [path]))
    assert rec.rows_read == 3
    assert [(r.line_number, r.row_number) for r in rec.rejects] == [(7, 3)]


def test_truncated_last_line(store: Store, tmp_path: Path) -> None:
    last = row(3)
    data = street(row(1), row(2), last[: len(last) // 2], final_eol=False)
    path = write(tmp_path, NAME, data)
    rec = one_load(ingest(store, [path]))
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (3, 2, 1)
    (rj,) = rec.rejects
    assert rj.reason == "wrong_field_count"
    assert rj.line_number == 4
    assert "line 4" in rj.detail and str(path) in rj.detail and "re-download" in rj.detail
    assert events(store) == 2


def test_unclosed_quote_over_a_large_file(store: Store, tmp_path: Path) -> None:
    rows = [row(i) for i in range(1, 1500)]
    rows[10] = row(11, location='"On or near Market Street')  # never closed
    path = write(tmp_path, NAME, street(*rows))
    # the rest of the file becomes one record (under MAX_CELL characters): one reject that
    # says where the quote opens and which lines it took in; the rows before it load
    rec = one_load(ingest(store, [path]))
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (11, 10, 1)
    (rj,) = rec.rejects
    assert (rj.reason, rj.line_number) == ("wrong_field_count", 12)
    assert "closing quote is missing, so lines 12 to 1500" in rj.detail
    assert events(store) == 10


def test_a_cell_over_the_limit_fails_naming_its_line(store: Store, tmp_path: Path) -> None:
    from commsafe.sources.files import MAX_CELL

    rows = [row(i) for i in range(1, 4)]
    rows[1] = row(2, location="x" * (MAX_CELL + 1))
    path = write(tmp_path, NAME, street(*rows))
    message = one_failure(ingest(store, [path]), path)
    assert "line 3" in message and "closing quote" in message and "16,777,216" in message
    assert events(store) == 0


def test_unclosed_quote_in_a_small_file(store: Store, tmp_path: Path) -> None:
    rows = [row(i) for i in range(1, 6)]
    rows[2] = row(3, location='"On or near Market Street')  # never closed: swallows the rest
    path = write(tmp_path, NAME, street(*rows))
    rec = one_load(ingest(store, [path]))
    assert (rec.rows_read, rec.rows_loaded) == (3, 2)
    (rj,) = rec.rejects
    assert (rj.reason, rj.line_number) == ("wrong_field_count", 4)


# --------------------------------------------------------------------------- several files


def test_same_force_month_in_two_files(store: Store, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path / "a", NAME, street(row(1), row(2)))
    b = write(tmp_path / "b", NAME, street(row(1), row(3)))
    other = write(tmp_path / "a", "2024-02-testforce-street.csv",
                  street(row(9, month="2024-02")))
    result = ingest(store, [a, b, other])
    assert sorted(f.path for f in result.failures) == [str(a), str(b)]
    for f in result.failures:
        assert str(a) in f.message and str(b) in f.message
        assert "testforce 2024-01" in f.message and "\n" not in f.message
    assert [r.path for r in result.loads] == [str(other)]
    assert store.con.execute(
        "SELECT strftime(month, '%Y-%m'), count(*) FROM events GROUP BY ALL"
    ).fetchall() == [("2024-02", 1)]
    code, _, err = cli(capsys, "ingest", a, b, "--store", tmp_path / "cli.duckdb", "-q")
    assert code == 1
    assert "two different files" in err and str(a) in err and str(b) in err


def test_same_file_twice_in_one_call_is_a_duplicate(store: Store, tmp_path: Path) -> None:
    a = write(tmp_path / "a", NAME, street(row(1), row(2)))
    b = write(tmp_path / "b", NAME, street(row(1), row(2)))
    result = ingest(store, [a, b])
    assert not result.failures
    assert [r.status for r in result.loads] == ["loaded", "duplicate"]
    assert events(store) == 2


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_with_junk_members(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "download.zip", _zip({
        "README.txt": b"Downloaded from data.police.uk",
        "2024-01/2024-01-testforce-street.csv": street(row(1), row(2)),
        "2024-02/2024-02-testforce-street.csv": street(row(3, month="2024-02")),
        "__MACOSX/2024-01/._2024-01-testforce-street.csv": b"\x00\x05\x16\x07",
        "2024-01/.DS_Store": b"\x00\x00",
    }))
    result = ingest(store, [path])
    assert not result.failures
    assert [r.path for r in result.loads] == [
        f"{path}!2024-01/2024-01-testforce-street.csv",
        f"{path}!2024-02/2024-02-testforce-street.csv",
    ]
    skipped = {s.path: s.reason for s in result.skipped}
    assert skipped[f"{path}!README.txt"] == "not a CSV file"
    assert len(skipped) == 3
    assert events(store) == 3


def test_nested_zip(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inner = _zip({NAME: street(row(1), row(2, month="bad"))})
    outer = write(tmp_path, "outer.zip", _zip({"inner.zip": inner, "notes.txt": b"hi"}))
    result = ingest(store, [outer])
    rec = one_load(result)
    assert rec.path == f"{outer}!inner.zip!{NAME}"
    assert rec.rows_loaded == 1
    (rj,) = rec.rejects
    assert rj.detail.startswith(f"{outer}!inner.zip!{NAME} line 3")
    assert [s.path for s in result.skipped] == [f"{outer}!notes.txt"]
    code, out, _ = cli(capsys, "ingest", outer, "--store", tmp_path / "cli.duckdb")
    assert code == 0 and "skipped" in out and "notes.txt" in out


def test_not_a_zip(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "download.zip", b"<html>Service unavailable</html>")
    with pytest.raises(InputError) as exc:
        ingest(store, [path])
    assert str(path) in str(exc.value) and "not a readable zip" in str(exc.value)
    code, _, err = cli(capsys, "ingest", path, "--store", tmp_path / "cli.duckdb")
    assert code == 2
    assert "not a readable zip" in err


def test_truncated_zip(store: Store, tmp_path: Path) -> None:
    whole = _zip({NAME: street(*(row(i) for i in range(1, 200)))})
    path = write(tmp_path, "download.zip", whole[: len(whole) // 2])
    with pytest.raises(InputError, match="truncated"):
        ingest(store, [path])


def test_zip_with_damaged_member(store: Store, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(_zip({
        NAME: street(*(row(i) for i in range(1, 300))),
        "2024-02-testforce-street.csv": street(row(1, month="2024-02")),
    }))
    data[60:70] = bytes(b ^ 0xFF for b in data[60:70])  # inside the first member's data
    path = write(tmp_path, "download.zip", bytes(data))
    result = ingest(store, [path])
    (failure,) = result.failures
    assert failure.path == f"{path}!{NAME}"
    assert failure.path in failure.message and "damaged" in failure.message
    assert [r.path for r in result.loads] == [f"{path}!2024-02-testforce-street.csv"]
    code, _, err = cli(capsys, "ingest", path, "--store", tmp_path / "cli.duckdb", "-q")
    assert code == 1 and "damaged" in err


def test_folder_without_csvs(store: Store, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "downloads"
    write(folder, "README.txt", b"nothing here")
    write(folder / "2024-01", "notes.md", b"# notes")
    with pytest.raises(InputError) as exc:
        ingest(store, [folder])
    assert str(folder) in str(exc.value) and "no CSV files" in str(exc.value)
    code, _, err = cli(capsys, "ingest", folder, "--store", tmp_path / "cli.duckdb")
    assert code == 2 and str(folder) in err and "no CSV files" in err


def test_folder_skips_hidden_folders(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    good = write(folder / "2024-01", NAME, street(row(1), row(2)))
    # an older copy in a hidden folder would otherwise conflict with the real one
    write(folder / ".cache" / "2024-01", NAME, street(row(1)))
    write(folder / "__MACOSX" / "2024-01", NAME, b"\x00\x05\x16\x07")
    write(folder / "2024-01", "._" + NAME, b"\x00\x05\x16\x07")
    result = ingest(store, [folder])
    rec = one_load(result)
    assert rec.path == str(good) and rec.rows_loaded == 2


def test_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "ingest", tmp_path / "nope", "--store", tmp_path / "s.duckdb")
    assert code == 2 and "no such file or folder" in err


# --------------------------------------------------------------------------- the store


def test_store_that_is_not_duckdb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "x.duckdb"
    bogus.write_text("these are my notes, not a database\n" * 50)
    csv_path = write(tmp_path, NAME, street(row(1)))
    with pytest.raises(NotAStoreError):
        open_store(bogus)
    code, _, err = cli(capsys, "ingest", csv_path, "--store", bogus)
    assert code == 2
    assert str(bogus) in err and "not a commsafe store" in err
    assert bogus.read_text().startswith("these are my notes")  # left alone


def test_duckdb_file_of_another_program(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE sales (id INTEGER)")
    con.close()
    code, _, err = cli(capsys, "ingest", write(tmp_path, NAME, street(row(1))),
                       "--store", other)
    assert code == 2 and "not a commsafe store" in err


def test_store_of_a_newer_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new.duckdb"
    open_store(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(SchemaVersionError) as exc:
        open_store(path)
    assert "999" in str(exc.value) and "Upgrade" in str(exc.value)
    code, _, err = cli(capsys, "ingest", write(tmp_path, NAME, street(row(1))), "--store", path)
    assert code == 2 and "Upgrade" in err


def test_store_in_use_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    csv_path = write(tmp_path, NAME, street(row(1)))
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("COMMSAFE_STORE", None)
    with open_store(path) as held:
        proc = subprocess.run(
            [*commsafe_cmd(), "ingest", str(csv_path), "--store", str(path), "-q"],
            capture_output=True, text=True, timeout=120, env=env, check=False,
        )
        assert held.scalar("SELECT count(*) FROM events") == 0
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "in use by another process" in proc.stderr
    assert str(path) in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    # once released, the same command works
    again = subprocess.run(
        [*commsafe_cmd(), "ingest", str(csv_path), "--store", str(path), "-q"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    assert again.returncode == 0, again.stderr


# ------------------------------------------------------------------ files without police.uk names


def test_unnamed_file_with_junk_month(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "street.csv", street(row(1), row(2, month="2024-1x"),
                                                row(3, month="2024-13")))
    rec = one_load(ingest(store, [path]))
    assert [r.reason for r in rec.rejects] == ["bad_month", "bad_month"]
    assert rec.rows_loaded == 1 and rec.months == ["2024-01"]


def test_a_reader_waits_for_a_writer_and_says_so(tmp_path: Path) -> None:
    """`commsafe counts` while another process writes: it says it is waiting, then reads
    what the writer committed once the writer lets go; with COMMSAFE_WAIT=0 it gives up at
    once with the lock message."""
    path = tmp_path / "busy.duckdb"
    open_store(path).close()
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("COMMSAFE_STORE", None)
    cmd = [*commsafe_cmd(), "counts", "--by", "category", "--store", str(path)]
    with subprocess.Popen(
            [sys.executable, "-c",
             "import sys; from commsafe.store import open_store\n"
             f"s = open_store({str(path)!r})\n"
             "print('held', flush=True)\n"
             "sys.stdin.readline()\n"  # hold the store until told to let go
             "s.close()\n"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        quick = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                               env={**env, "COMMSAFE_WAIT": "0"}, check=False)
        assert quick.returncode == 2 and "in use by another process" in quick.stderr
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) as reader:
            assert reader.stderr is not None
            first = reader.stderr.readline()  # printed while the writer still holds it
            assert "waiting for it to finish" in first, first
            assert reader.poll() is None  # still waiting
            holder.stdin.write("go\n")
            holder.stdin.flush()
            _, rest = reader.communicate(timeout=120)
        assert reader.returncode == 0, rest
        assert "Traceback" not in first + rest
