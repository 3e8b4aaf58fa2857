"""Hostile input: line endings the header splitter did not expect, UTF-16 without a BOM,
fields over the csv module's size limit, counts that are not whole numbers (``nan``, ``inf``,
``1e400``, 23 digits), Rich markup in data and paths, and control characters bound for the
Word document. Each gets a clear message (or is read correctly), never a traceback, and one
bad file never costs the good files beside it.

Every file is written by the test into ``tmp_path`` and read through the real code paths.
"""

from __future__ import annotations

import csv
from pathlib import Path

import docx
import pytest

from commsafe.cli import main
from commsafe.errors import FileFormatError, InputError
from commsafe.report.docx import write_docx
from commsafe.report.model import Document, Paragraph, Section, Table
from commsafe.sources import police_uk
from commsafe.sources.counts import read_counts
from commsafe.sources.files import MAX_CELL
from commsafe.sources.mapped import load_dataset
from commsafe.store import Store
from commsafe.store.ingest import ingest

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)
FORCE = "Testforce Constabulary"


def row(n: int, month: str, crime_type: str = "Burglary", context: str = "") -> str:
    return ",".join([f"{n:064x}", month, FORCE, FORCE, "0.121817", "52.205337",
                     "On or near Market Street", "E01017959", "Cambridge 001A", crime_type,
                     "Under investigation", context])


def street_name(month: str) -> str:
    return f"{month}-testforce-street.csv"


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def write_counts(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["category", "period", "count"])
        w.writerows(rows)
    return path


# --------------------------------------------------------------------------- 1. line endings


def test_classic_mac_and_mixed_line_endings_load_beside_good_files(
        store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    good = "\n".join([HEADER, row(1, "2024-01"), row(2, "2024-01")]) + "\n"
    write(folder, street_name("2024-01"), good.encode())
    # classic Mac: CR only, a short row on line 3 to check line numbers
    mac = "\r".join([HEADER, row(11, "2024-02", context="one"), "short,row",
                     row(12, "2024-02", context="two")]) + "\r"
    write(folder, street_name("2024-02"), mac.encode())
    # mixed: a bare CR after the header, then LF and CRLF
    mixed = HEADER + "\r" + row(21, "2024-03") + "\n" + row(22, "2024-03") + "\r\n"
    write(folder, street_name("2024-03"), mixed.encode())

    result = ingest(store, [folder])
    assert not result.failures, result.failures
    by_path = {Path(r.path).name: r for r in result.loads}
    assert by_path[street_name("2024-01")].rows_loaded == 2
    mac_rec = by_path[street_name("2024-02")]
    assert (mac_rec.rows_read, mac_rec.rows_loaded) == (3, 2)
    (reject,) = mac_rec.rejects
    assert (reject.reason, reject.line_number) == ("wrong_field_count", 3)
    assert by_path[street_name("2024-03")].rows_loaded == 2
    contexts = store.con.execute(
        "SELECT context FROM events WHERE month = DATE '2024-02-01' ORDER BY row_number"
    ).fetchall()
    assert [c[0] for c in contexts] == ["one", "two"]  # no CR left on the last field

    code, _, err = cli(capsys, "ingest", folder, "--store", tmp_path / "cli.duckdb", "-q")
    assert code == 0, err


def test_utf16_without_bom_fails_alone(store: Store, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    good = "\n".join([HEADER, row(1, "2024-01")]) + "\n"
    write(folder, street_name("2024-01"), good.encode())
    utf16 = ("\r\n".join([HEADER, row(2, "2024-02")]) + "\r\n").encode("utf-16-le")
    bad = write(folder, street_name("2024-02"), utf16)

    result = ingest(store, [folder])
    assert [r.rows_loaded for r in result.loads] == [1]
    (failure,) = result.failures
    assert failure.path == str(bad)
    assert str(bad) in failure.message and "line 1" in failure.message
    assert "UTF-16" in failure.message and "UTF-8" in failure.message

    code, _, err = cli(capsys, "ingest", folder, "--store", tmp_path / "cli.duckdb", "-q")
    assert code == 1 and "UTF-8" in err and bad.name in err


@pytest.mark.parametrize("data", [
    b'"Crime\rID",Month\r',               # a bare CR inside a quoted header field
    HEADER.encode() + b"\x00\r" + row(1, "2024-01").encode(),  # a NUL in the header
    b"\xff\xfe" + HEADER.encode("utf-16-le"),                  # UTF-16 with its BOM
])
def test_odd_headers_are_file_format_errors(data: bytes) -> None:
    with pytest.raises(FileFormatError) as err:
        police_uk.parse(data, "odd.csv")
    assert "odd.csv" in str(err.value)
    with pytest.raises(FileFormatError):
        police_uk.sniff(data, "odd.csv")


# --------------------------------------------------------------------------- 2. field size


def test_counts_field_over_the_csv_limit(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    f = write_counts(tmp_path / "big.csv", [("Burglary", "2018/19", "3"),
                                            ("x" * (MAX_CELL + 1), "2018/19", "4")])
    with pytest.raises(FileFormatError) as err:
        read_counts(f)
    message = str(err.value)
    assert "big.csv" in message and "line 3" in message and "closing quote" in message
    code, _, err_text = cli(capsys, "table", "performance", "--counts", f)
    assert code == 2 and "big.csv" in err_text and "line 3" in err_text


def test_partner_field_over_the_csv_limit(store: Store, tmp_path: Path) -> None:
    data, mapping = _partner(tmp_path, "C,P,N\nBurglary,2024 Q1,3\n"
                             f"{'y' * (MAX_CELL + 1)},2024 Q1,4\n")
    with pytest.raises(FileFormatError) as err:
        load_dataset(store, data, mapping)
    assert "counts.csv" in str(err.value) and "line 3" in str(err.value)
    assert store.con.execute("SELECT count(*) FROM records").fetchall() == [(0,)]


def test_partner_file_in_utf16_without_bom(store: Store, tmp_path: Path) -> None:
    data, mapping = _partner(tmp_path, "")
    data.write_bytes("C,P,N\r\nBurglary,2024 Q1,3\r\n".encode("utf-16-le"))
    with pytest.raises(FileFormatError, match="UTF-8"):
        load_dataset(store, data, mapping)


# --------------------------------------------------------------------------- 3. counts

ABSURD = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "12345678901234567890123"]


@pytest.mark.parametrize("value", ABSURD)
def test_absurd_count_in_a_counts_file(tmp_path: Path, value: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = write_counts(tmp_path / "c.csv", [("Burglary", "2018/19", "3"),
                                          ("Robbery", "2018/19", value)])
    with pytest.raises(InputError) as err:
        read_counts(f)
    message = str(err.value)
    for part in ("c.csv", "line 3", "column 'count'", f"value '{value}'", "whole number ≥ 0"):
        assert part in message, message
    code, _, err_text = cli(capsys, "table", "performance", "--counts", f)
    assert code == 2 and "whole number" in err_text


@pytest.mark.parametrize(("value", "expected"), [("12", 12), ("1,234", 1234), ("7.0", 7),
                                                 ("0", 0)])
def test_good_counts_still_read(tmp_path: Path, value: str, expected: int) -> None:
    f = write_counts(tmp_path / "c.csv", [("Burglary", "2018/19", value)])
    assert read_counts(f).frame["count"].tolist() == [expected]


def _partner(tmp_path: Path, body: str) -> tuple[Path, Path]:
    mapping = tmp_path / "counts.toml"
    mapping.write_text('kind = "counts"\nname = "partner_counts"\n[columns]\n'
                       'category = "C"\nperiod = "P"\ncount = "N"\n', encoding="utf-8")
    data = tmp_path / "counts.csv"
    data.write_text(body, encoding="utf-8")
    return data, mapping


@pytest.mark.parametrize("value", [*ABSURD, "2.5", "-1"])
def test_absurd_count_in_a_partner_file(store: Store, tmp_path: Path, value: str) -> None:
    data, mapping = _partner(tmp_path, f"C,P,N\nBurglary,2024 Q1,3\nRobbery,2024 Q1,{value}\n")
    rec = load_dataset(store, data, mapping)
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (2, 1, 1)
    (reject,) = rec.rejects
    assert reject.reason == "bad_number" and reject.line_number == 3
    for part in ("counts.csv", "line 3", "column 'N'", f"value '{value}'", "whole number ≥ 0"):
        assert part in reject.detail, reject.detail
    assert store.con.execute("SELECT category, value FROM records").fetchall() == [
        ("Burglary", 3.0)]


# --------------------------------------------------------------------------- 4. markup


@pytest.mark.parametrize("category", ["[/bold]", "[partnership]", "[red]", "[/]"])
def test_markup_in_a_counts_category_is_shown_as_written(
        tmp_path: Path, category: str, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_counts(tmp_path / "c.csv", [(category, "2017/18", "10"),
                                          (category, "2018/19", "12"),
                                          ("Burglary", "2017/18", "5"),
                                          ("Burglary", "2018/19", "6")])
    code, out, err = cli(capsys, "table", "performance", "--counts", f)
    assert code == 0, err
    assert category in out


def test_markup_in_paths_and_error_messages(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    good = write_counts(tmp_path / "[partnership]" / "c.csv",
                        [("Burglary", "2017/18", "5"), ("Burglary", "2018/19", "6")])
    code, out, err = cli(capsys, "table", "performance", "--counts", good, "--format", "md",
                         "--out", tmp_path / "[partnership]" / "t.md")
    assert code == 0, err
    assert "[partnership]" in out  # "wrote …/[partnership]/t.md"
    for folder in ("[partnership]", "[/bold]"):
        bad = write_counts(tmp_path / folder / "bad.csv", [("Burglary", "2018/19", "nan")])
        code, _, err = cli(capsys, "table", "performance", "--counts", bad)
        assert code == 2
        assert f"{folder}/bad.csv" in err.replace("\n", ""), err


def test_markup_in_a_crime_type_through_commsafe_counts(
        store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [row(1, "2024-01", crime_type="[/bold]"),
            row(2, "2024-01", crime_type="[partnership]")]
    path = write(tmp_path, street_name("2024-01"), ("\n".join([HEADER, *rows]) + "\n").encode())
    db = tmp_path / "cli.duckdb"
    code, _, err = cli(capsys, "ingest", path, "--store", db, "-q")
    assert code == 0, err
    code, out, err = cli(capsys, "counts", "--by", "category", "--store", db)
    assert code == 0, err
    assert "[/bold]" in out and "[partnership]" in out


# --------------------------------------------------------------------------- 5. Word


def test_control_characters_do_not_reach_the_word_xml(tmp_path: Path) -> None:
    table = Table(id="t\x00-1", number=1, caption="Cap\x1btion", columns=("Cat\x0begory", "N"),
                  rows=(("Bur\x00glary", "1\x1b2"),), numeric=(False, True),
                  notes=("note\x07 one",), source="police\x1b.uk")
    doc = Document(
        title="Test\x1bshire assessment", subtitle="2024\x00", details=(("Area\x0b", "Test\x1b"),),
        footer="OFF\x00ICIAL",
        sections=[Section("s1", "Intro\x1b[1m", blocks=[
            Paragraph("line one\x0bline two\ttabbed\x00 end \udcff!"), table])],
    )
    path = write_docx(doc, tmp_path / "out.docx", base_dir=tmp_path)
    word = docx.Document(str(path))
    texts = [p.text for p in word.paragraphs]
    assert "line one\nline two\ttabbed end \ufffd!" in texts  # \x0b a line break, \t kept
    assert "Testshire assessment" in texts and "Intro[1m" in texts
    assert word.core_properties.title == "Testshire assessment"
    cells = [c.text for t in word.tables for r in t.rows for c in r.cells]
    assert "Burglary" in cells and "12" in cells and "Cat\negory" in cells
    assert "note one" in texts and any("police.uk" in t for t in texts)
    assert "OFFICIAL" in word.sections[0].footer.paragraphs[0].text
    # the model itself is left as it was
    assert doc.title == "Test\x1bshire assessment"


# --------------------------------------------------------------------------- broken inputs


def test_a_broken_zip_in_a_folder_fails_alone(store: Store, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """One truncated archive among good files: the good files load, the zip is named as the
    one failure (exit 1), nothing is refused wholesale."""
    import zipfile

    folder = tmp_path / "in"
    good = "\n".join([HEADER, row(1, "2024-01"), row(2, "2024-01")]) + "\n"
    write(folder, street_name("2024-01"), good.encode())
    archive = folder / "2024-02.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(street_name("2024-02"), "\n".join([HEADER, row(3, "2024-02")]) + "\n")
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])  # truncated
    result = ingest(store, [folder])
    assert [Path(r.path).name for r in result.loads] == [street_name("2024-01")]
    assert result.loads[0].rows_loaded == 2
    (failure,) = result.failures
    assert failure.path.endswith("2024-02.zip") and "not a readable zip" in failure.message
    code, _, err = cli(capsys, "ingest", folder, "--store", tmp_path / "cli.duckdb", "-q")
    assert code == 1 and "2024-02.zip" in err
    # given by name, the broken archive is a mistake of the call itself
    code, _, err = cli(capsys, "ingest", archive, "--store", tmp_path / "cli2.duckdb", "-q")
    assert code == 2 and "not a readable zip" in err


def test_a_fifo_is_passed_over_not_read(store: Store, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A named pipe would block a read forever: in a folder it is skipped with a reason;
    given by name it is refused at once."""
    import os

    folder = tmp_path / "in"
    good = "\n".join([HEADER, row(1, "2024-01")]) + "\n"
    write(folder, street_name("2024-01"), good.encode())
    fifo = folder / "2024-02-testforce-street.csv"
    os.mkfifo(fifo)
    result = ingest(store, [folder])
    assert not result.failures and [r.rows_loaded for r in result.loads] == [1]
    assert any(s.path == str(fifo) and s.reason == "not a regular file"
               for s in result.skipped)
    code, _, err = cli(capsys, "ingest", fifo, "--store", tmp_path / "cli.duckdb", "-q")
    assert code == 2 and "not a regular file" in err
