"""The police.uk reader on every real file, and on real rows damaged at random.

The fast (Arrow) and exact (csv module) parsers must give identical tables; row counts are
checked against an independent recount with Python's csv module.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from commsafe.errors import FileFormatError
from commsafe.sources import police_uk
from commsafe.sources.police_uk import detect_kind, force_slug, name_info, parse
from commsafe.store import open_store
from commsafe.store.ingest import ingest

SHARED_POLICE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "police-uk"
REAL_FILES = (
    sorted(str(p.relative_to(SHARED_POLICE)) for p in SHARED_POLICE.rglob("*.csv"))
    if SHARED_POLICE.is_dir() else []
)
REAL_STREET = "cambridgeshire-2024/2024-01/2024-01-cambridgeshire-street.csv"

REJECT_REASONS = {
    "wrong_field_count", "not_utf8", "bad_month", "month_mismatch", "missing_category",
    "half_coordinates", "bad_coordinates", "outside_uk",
}


def csv_recount(data: bytes) -> int:
    """Non-blank records after the header, as Python's csv module sees them."""
    text = data.decode("utf-8", errors="surrogateescape")
    records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=False) if r]
    return max(len(records) - 1, 0)


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("rel", REAL_FILES)
def test_real_file_fast_and_exact_agree(shared_data: Path, rel: str) -> None:
    path = shared_data / "police-uk" / rel
    data = path.read_bytes()
    fast = parse(data, str(path))
    exact = parse(data, str(path), force_exact=True)
    assert fast.fast, f"{rel}: a clean police.uk file should take the fast path"
    assert not exact.fast
    assert fast.table.schema == exact.table.schema
    assert fast.table.equals(exact.table)
    assert fast.rejects == exact.rejects == []
    n = csv_recount(data)
    assert n > 0
    assert fast.rows_read == exact.rows_read == fast.table.num_rows == n
    assert fast.table.column("_row").to_pylist() == list(range(1, n + 1))
    assert fast.table.column("_line").to_pylist() == list(range(2, n + 2))
    # the kind comes from the header and agrees with the police.uk name
    month, force, kind = name_info(path.name)
    assert fast.schema.kind == kind
    assert month == path.parent.name
    assert force is not None and rel.startswith(force)
    expected_cols = [name for _, name in police_uk.KINDS[kind].columns] + ["_row", "_line"]
    assert fast.table.column_names == expected_cols


@pytest.mark.parametrize("rel", [r for r in REAL_FILES if r.endswith("-street.csv")])
def test_real_reported_by_slug_matches_file_name(shared_data: Path, rel: str) -> None:
    path = shared_data / "police-uk" / rel
    parsed = parse(path.read_bytes(), str(path))
    forces = set(parsed.table.column("reported_by").to_pylist())
    assert len(forces) == 1
    assert force_slug(forces.pop()) == name_info(path.name)[1]


def test_real_data_has_every_kind() -> None:
    if not REAL_FILES:
        pytest.skip("../shared/data is not present: real-data tests need it beside the checkout")
    kinds = {name_info(Path(r).name)[2] for r in REAL_FILES}
    assert kinds == {"street", "outcomes", "stop_search"}


# --------------------------------------------------------------------------- known answers


STREET_HEADER = [h for h, _ in police_uk.STREET.columns]
OUTCOMES_HEADER = [h for h, _ in police_uk.OUTCOMES.columns]
SEARCH_HEADER = [h for h, _ in police_uk.STOP_SEARCH.columns]


def test_detect_kind_by_header() -> None:
    assert detect_kind(STREET_HEADER, "f.csv").kind == "street"
    assert detect_kind(OUTCOMES_HEADER, "f.csv").kind == "outcomes"
    assert detect_kind(SEARCH_HEADER, "f.csv").kind == "stop_search"
    # case does not matter, optional columns may be missing, order may differ
    assert detect_kind([h.upper() for h in STREET_HEADER], "f.csv").kind == "street"
    assert detect_kind([h for h in STREET_HEADER if h != "Context"], "f.csv").kind == "street"
    assert detect_kind(list(reversed(OUTCOMES_HEADER)), "f.csv").kind == "outcomes"
    # street + outcome type is still street (it has Crime type)
    assert detect_kind([*STREET_HEADER, "Outcome type"], "f.csv").kind == "street"


@pytest.mark.parametrize("header", [
    ["Name", "Age"],
    [h for h in STREET_HEADER if h != "Crime type"],
    [h for h in SEARCH_HEADER if h != "Date"],
    [""],
])
def test_detect_kind_rejects_other_files(header: list[str]) -> None:
    with pytest.raises(FileFormatError) as exc:
        detect_kind(header, "data/partner.csv")
    msg = str(exc.value)
    assert "data/partner.csv" in msg and "not a police.uk" in msg
    assert "\n" not in msg


def test_kind_recognised_from_header_not_name() -> None:
    data = (",".join(OUTCOMES_HEADER) + "\n" + "c1,2024-01,A,A,0.1,52.1,L,E01,N,Done\n").encode()
    parsed = parse(data, "2024-01-x-street.csv")
    assert parsed.schema.kind == "outcomes"
    assert parsed.table.column("outcome_type").to_pylist() == ["Done"]


@pytest.mark.parametrize(("name", "expected"), [
    ("2024-01-cambridgeshire-street.csv", ("2024-01", "cambridgeshire", "street")),
    ("2024-12-cambridgeshire-outcomes.csv", ("2024-12", "cambridgeshire", "outcomes")),
    ("2024-01-cambridgeshire-stop-and-search.csv", ("2024-01", "cambridgeshire", "stop_search")),
    ("2025-06-city-of-london-street.csv", ("2025-06", "city-of-london", "street")),
    ("2019-02-avon-and-somerset-stop-and-search.csv",
     ("2019-02", "avon-and-somerset", "stop_search")),
    ("a/b.zip!2018-07/2018-07-west-yorkshire-street.csv",
     ("2018-07", "west-yorkshire", "street")),
    ("2024-01-Metropolitan-Street.CSV", ("2024-01", "metropolitan", "street")),
    ("street.csv", (None, None, None)),
    ("2024-01-cambridgeshire-street.txt", (None, None, None)),
    ("2024-1-cambridgeshire-street.csv", (None, None, None)),
    ("2024-13-cambridgeshire-street.csv", (None, None, None)),
    ("2024-00-cambridgeshire-street.csv", (None, None, None)),
    ("2024-01-street.csv", (None, None, None)),
])
def test_name_info(name: str, expected: tuple[str | None, str | None, str | None]) -> None:
    assert name_info(name) == expected


@pytest.mark.parametrize(("name", "slug"), [
    ("Cambridgeshire Constabulary", "cambridgeshire"),
    ("City of London Police", "city-of-london"),
    ("Metropolitan Police Service", "metropolitan"),
    ("Avon and Somerset Constabulary", "avon-and-somerset"),
    ("West Yorkshire Police", "west-yorkshire"),
    ("Devon & Cornwall Police", "devon-and-cornwall"),
    ("Dyfed-Powys Police", "dyfed-powys"),
    ("Greater Manchester Police", "greater-manchester"),
    ("Police Service of Northern Ireland", "northern-ireland"),
    ("British Transport Police", "btp"),
    ("  Thames Valley Police  ", "thames-valley"),
    ("Police", "unknown"),
])
def test_force_slug(name: str, slug: str) -> None:
    assert force_slug(name) == slug


# --------------------------------------------------------------------------- mutated real rows

N_ROWS = 50
JUNK_MONTHS = ["2024-13", "Jan 2024", "", "2024/01", " 2024-01 ", "2023-12", "abcd-ef", "2024-1"]
BAD_BYTES = [b"\xff", b"\xe9", b"\xc3(", b"\xed\xa0\x80", b"\x80\x80"]
MUTATIONS = [
    "drop_field", "dup_field", "comma_unquoted", "comma_quoted", "quote_quoted", "quote_raw",
    "newline_quoted", "crlf_quoted", "cr_quoted", "junk_month", "invalid_utf8", "blank_after",
    "bad_coords", "none",
]


@dataclass(frozen=True)
class Damage:
    row: int
    kind: str
    col: int
    pick: int


@dataclass(frozen=True)
class FileDamage:
    rows: int
    damages: list[Damage]
    crlf: bool
    bom: bool
    final_newline: bool
    truncate: float | None


@pytest.fixture(scope="module")
def real_rows(shared_data: Path) -> tuple[list[str], list[list[str]]]:
    """The header and 50 rows spread over a real street file, read at test time."""
    path = shared_data / "police-uk" / REAL_STREET
    with path.open(newline="", encoding="utf-8") as fh:
        records = list(csv.reader(fh))
    header, body = records[0], records[1:]
    step = max(len(body) // N_ROWS, 1)
    rows = body[::step][:N_ROWS]
    assert len(rows) == N_ROWS and all(len(r) == len(header) for r in rows)
    # the sample holds ASB rows (no Crime ID) and rows without a location
    assert any(r[0] == "" for r in rows)
    return header, rows


damage_st = st.builds(
    Damage, row=st.integers(0, N_ROWS - 1), kind=st.sampled_from(MUTATIONS),
    col=st.integers(0, 12), pick=st.integers(0, 100),
)
file_st = st.builds(
    FileDamage, rows=st.integers(1, N_ROWS), damages=st.lists(damage_st, max_size=6),
    crlf=st.booleans(), bom=st.booleans(), final_newline=st.booleans(),
    truncate=st.none() | st.floats(0.0, 1.0),
)

# damage that keeps one record per line, so the fast path is often taken
LIGHT_MUTATIONS = ["comma_quoted", "quote_quoted", "cr_quoted", "junk_month", "bad_coords",
                   "quote_raw", "none"]
light_file_st = st.builds(
    FileDamage, rows=st.integers(1, N_ROWS),
    damages=st.lists(st.builds(Damage, row=st.integers(0, N_ROWS - 1),
                               kind=st.sampled_from(LIGHT_MUTATIONS), col=st.integers(0, 12),
                               pick=st.integers(0, 100)), max_size=3),
    crlf=st.booleans(), bom=st.booleans(), final_newline=st.booleans(), truncate=st.none(),
)


def _csv_line(fields: list[str]) -> str:
    buf = io.StringIO()
    # the line terminator decides which characters force quotes: CR and LF both must
    csv.writer(buf, lineterminator="\r\n").writerow(fields)
    return buf.getvalue().removesuffix("\r\n")


def build_file(header: list[str], rows: list[list[str]], fd: FileDamage) -> bytes:
    """The bytes of a street file made of real rows with the damage applied."""
    eol = b"\r\n" if fd.crlf else b"\n"
    lines: list[bytes] = [_csv_line(header).encode()]
    for i, original in enumerate(rows[: fd.rows]):
        fields = list(original)
        raw = False
        bad_bytes: list[tuple[int, bytes]] = []
        blank_after = 0
        for d in fd.damages:
            if d.row % fd.rows != i:
                continue
            c = d.col % max(len(fields), 1)
            if d.kind == "drop_field" and fields:
                del fields[c]
            elif d.kind == "dup_field" and fields:
                fields.insert(c, fields[c])
            elif d.kind == "comma_unquoted" and fields:
                raw = True
                fields[c] += ",x"
            elif d.kind == "comma_quoted" and fields:
                fields[c] += ", with comma"
            elif d.kind == "quote_quoted" and fields:
                fields[c] = f'said "{fields[c]}"'
            elif d.kind == "quote_raw" and fields:
                raw = True
                fields[c] = ['"' + fields[c], fields[c] + '"x', 'a"b', '"'][d.pick % 4]
            elif d.kind == "newline_quoted" and fields:
                fields[c] = fields[c] + "\nsecond line"
            elif d.kind == "crlf_quoted" and fields:
                fields[c] = fields[c] + "\r\nsecond line"
            elif d.kind == "cr_quoted" and fields:
                fields[c] = fields[c] + "\rsecond line"
            elif d.kind == "junk_month" and len(fields) > 1:
                fields[1] = JUNK_MONTHS[d.pick % len(JUNK_MONTHS)]
            elif d.kind == "bad_coords" and len(fields) > 5:
                fields[4], fields[5] = [("abc", "52.1"), ("151.2", "-33.8"), ("", "52.1"),
                                        ("0.1e", "x")][d.pick % 4]
            elif d.kind == "invalid_utf8":
                bad_bytes.append((d.col * 7 + d.pick, BAD_BYTES[d.pick % len(BAD_BYTES)]))
            elif d.kind == "blank_after":
                blank_after += 1
        line = (",".join(fields) if raw else _csv_line(fields)).encode()
        for pos, b in bad_bytes:
            at = pos % (len(line) + 1)
            line = line[:at] + b + line[at:]
        lines.append(line)
        lines.extend(b"" for _ in range(blank_after))
    if fd.truncate is not None and len(lines) > 1:
        last = lines[-1]
        lines[-1] = last[: int(len(last) * fd.truncate)]
    data = eol.join(lines) + (eol if fd.final_newline and fd.truncate is None else b"")
    return (b"\xef\xbb\xbf" if fd.bom else b"") + data


def check_parse(data: bytes, path: str) -> police_uk.ParsedFile | None:
    """Parse both ways and check everything that must hold; None when the file is unusable."""
    expected = csv_recount(data)
    try:
        parsed = parse(data, path)
    except FileFormatError as exc:
        # only an empty file or one with no data rows (the header is never damaged here)
        assert expected == 0, f"{exc} but the csv module sees {expected} records"
        assert path in str(exc)
        with pytest.raises(FileFormatError):
            parse(data, path, force_exact=True)
        return None
    exact = parse(data, path, force_exact=True)
    if currently_in_test_context():
        event("fast path" if parsed.fast else "exact path")
        for reason in sorted({rj.reason for rj in parsed.rejects}):
            event(f"reject {reason}")
    assert parsed.rows_read == exact.rows_read == expected
    if parsed.fast:
        assert not parsed.rejects
    assert parsed.table.equals(exact.table)
    assert parsed.rejects == exact.rejects
    for rj in parsed.rejects:
        assert rj.reason in {"wrong_field_count", "not_utf8"}
        assert isinstance(rj.line_number, int) and rj.line_number >= 2
        assert rj.detail and path in rj.detail and f"line {rj.line_number}" in rj.detail
        assert rj.raw is not None
        rj.raw.encode("utf-8")  # storable: no undecodable bytes left in
    rows = sorted(parsed.table.column("_row").to_pylist() +
                  [rj.row_number for rj in parsed.rejects if rj.row_number is not None])
    assert rows == list(range(1, expected + 1))
    lines = parsed.table.column("_line").to_pylist()
    assert lines == sorted(lines) and len(set(lines)) == len(lines)
    assert all(ln >= r + 1 for ln, r in zip(lines, parsed.table.column("_row").to_pylist(),
                                             strict=True))
    return parsed


def test_unmutated_rows_take_the_fast_path(
    real_rows: tuple[list[str], list[list[str]]],
) -> None:
    header, rows = real_rows
    data = build_file(header, rows, FileDamage(N_ROWS, [], False, False, True, None))
    parsed = check_parse(data, "2024-01-cambridgeshire-street.csv")
    assert parsed is not None and parsed.fast and parsed.table.num_rows == N_ROWS


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fd=file_st)
def test_mutated_rows_parse(real_rows: tuple[list[str], list[list[str]]],
                            fd: FileDamage) -> None:
    header, rows = real_rows
    check_parse(build_file(header, rows, fd), "2024-01-cambridgeshire-street.csv")


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fd=light_file_st)
def test_lightly_mutated_rows_parse_the_same_both_ways(
    real_rows: tuple[list[str], list[list[str]]], fd: FileDamage,
) -> None:
    header, rows = real_rows
    check_parse(build_file(header, rows, fd), "2024-01-cambridgeshire-street.csv")


def test_lone_cr_in_a_quoted_field_gives_the_same_lines_both_ways() -> None:
    header = ",".join(STREET_HEADER)
    row = "c{},2024-01,A,A,0.1,52.1,{},E01,N,Burglary,,"
    data = "\n".join([header, row.format(1, "x"), row.format(2, '"a\rb"'), row.format(3, "y")])
    parsed = check_parse(data.encode(), "2024-01-x-street.csv")
    assert parsed is not None
    assert parsed.table.column("location").to_pylist() == ["x", "a\rb", "y"]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fd=file_st)
def test_mutated_rows_ingest(real_rows: tuple[list[str], list[list[str]]],
                             fd: FileDamage) -> None:
    header, rows = real_rows
    data = build_file(header, rows, fd)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "2024-01-cambridgeshire-street.csv"
        path.write_bytes(data)
        parsed = check_parse(data, str(path))
        with open_store(Path(tmp) / "store.duckdb") as store:
            result = ingest(store, [path])
            events = store.scalar("SELECT count(*) FROM events")
            stored_rejects = store.scalar("SELECT count(*) FROM rejects")
        if parsed is None:
            assert not result.loads and len(result.failures) == 1
            assert str(path) in result.failures[0].message
            assert events == 0
            return
        assert not result.failures
        (rec,) = result.loads
        assert rec.rows_read == parsed.rows_read
        assert rec.rows_read == rec.rows_loaded + rec.rows_rejected + rec.rows_duplicate
        assert rec.rows_duplicate == 0
        assert events == rec.rows_loaded
        assert stored_rejects == rec.rows_rejected == len(rec.rejects)
        for rj in rec.rejects:
            event(f"ingest reject {rj.reason}")
            assert rj.reason in REJECT_REASONS
            assert rj.line_number is not None and rj.line_number >= 2
            assert str(path) in rj.detail and f"line {rj.line_number}" in rj.detail


def test_an_unclosed_quote_in_a_street_file_names_the_lines() -> None:
    """A stray quote on line 3 takes in the rest of the file: one rejected record whose
    message says where the quote opens and which lines were read as one."""
    header = ",".join(STREET_HEADER)
    stray = '"On or near X'  # opens a quote that never closes
    rows = [f"c{i},2024-01,A,A,0.1,52.1,{stray if i == 2 else 'x'},E01,N,Burglary,,"
            for i in range(1, 21)]
    parsed = police_uk.parse("\n".join([header, *rows]).encode(), "2024-01-x-street.csv")
    assert parsed.table.num_rows == 1 and len(parsed.rejects) == 1
    (bad,) = parsed.rejects
    assert bad.line_number == 3
    assert "closing quote is missing" in bad.detail
    assert "lines 3 to 21 (19 lines) were read as one record" in bad.detail


def test_a_1_mb_cell_loads_on_either_parser_path() -> None:
    """A closed 1 MB Location loads the same whether the file takes the fast (Arrow) path or,
    because another row holds a quoted newline, the exact (csv module) path; a cell past
    MAX_CELL is refused on both, naming its line."""
    header = ",".join(STREET_HEADER)
    row = "c{},2024-01,A,A,0.1,52.1,{},E01,N,Burglary,,"
    big = "X" * 1_000_000
    plain = "\n".join([header, row.format(1, big), row.format(2, "y")]).encode()
    newline = "\n".join([header, row.format(1, big), row.format(2, '"a\nb"')]).encode()
    fast = police_uk.parse(plain, "2024-01-x-street.csv")
    exact = police_uk.parse(newline, "2024-01-x-street.csv")
    assert fast.fast and not exact.fast
    for parsed in (fast, exact):
        assert not parsed.rejects and parsed.table.num_rows == 2
        assert parsed.table.column("location").to_pylist()[0] == big
    assert exact.table.column("location").to_pylist()[1] == "a\nb"
    huge = "X" * (police_uk.MAX_CELL + 1)
    for tail in ("y", '"a\nb"'):
        data = "\n".join([header, row.format(1, "x"), row.format(2, huge),
                          row.format(3, tail)]).encode()
        with pytest.raises(FileFormatError, match=r"x-street\.csv line 3: .*more than "
                           r"16,777,216 characters"):
            police_uk.parse(data, "2024-01-x-street.csv")
