"""Loading reference files (lookups, boundaries, population, deprivation) into the store.

:func:`load_reference` takes files and folders (searched recursively for ``.csv``, ``.geojson``
and ``.json``; hidden files skipped), recognises every file by its content — the CSV header or
the GeoJSON properties, never its name — before loading anything, then loads each file in its
own transaction with one ``loads`` row of kind ``reference:<what>``. A file whose sha256 was
already loaded with that kind loads nothing and is recorded as ``duplicate``. Formats are
described in :mod:`commsafe.reference.geography`, :mod:`commsafe.reference.population` and
:mod:`commsafe.reference.deprivation`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from commsafe.errors import FileFormatError, InputError, ReferenceDataError, where
from commsafe.reference.deprivation import DEPRIVATION_FORMATS, recognise_deprivation_csv
from commsafe.reference.geography import (
    GEOGRAPHY_FORMATS,
    Plan,
    SourceFile,
    csv_rows,
    recognise_geography_csv,
    recognise_geojson,
)
from commsafe.reference.population import POPULATION_FORMATS, recognise_population_csv
from commsafe.store import Store, now
from commsafe.store.loads import LoadRecord, record_load, sha256_bytes

__all__ = ["SUFFIXES", "Progress", "find_reference_files", "load_reference", "recognise"]

SUFFIXES = (".csv", ".geojson", ".json")
_HEAD_BYTES = 1 << 16

Progress = Callable[[str, int, int], None]
"""``progress(path, done, total)``: before each file (done = files finished so far) and after
it (done + 1), as ``commsafe.store.ingest`` does."""


def find_reference_files(paths: Sequence[Path | str]) -> list[Path]:
    """Files given, plus the .csv/.geojson/.json files under folders given, each once."""
    found: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            found.append(p)

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            inside: list[Path] = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                inside.extend(Path(root) / f for f in files
                              if not f.startswith(".") and f.lower().endswith(SUFFIXES))
            if not inside:
                raise ReferenceDataError(
                    f"{p}: no .csv, .geojson or .json files in this folder. Fix: point at the "
                    "folder holding the lookups, boundaries, population or deprivation "
                    "files.")
            for f in sorted(inside):
                add(f)
        elif p.is_file():
            add(p)
        else:
            raise InputError(f"{p}: no such file or folder. Fix: check the path.")
    return found


def _expected_formats() -> str:
    lines = [f"  - {title}: {header}" for title, header in (*GEOGRAPHY_FORMATS,
                                                              *POPULATION_FORMATS,
                                                              *DEPRIVATION_FORMATS)]
    return "\n".join(lines)


def recognise(path: Path, *, year: int | None = None) -> Plan:
    """The plan (kind and loader) for one file, from its content.

    Raises FileFormatError for an empty file, an unknown header (listing the expected headers
    of every known format), GeoJSON that is not a usable FeatureCollection, or a mid-year
    population or deprivation file whose year is unknown.
    """
    try:
        with path.open("rb") as fh:
            head_bytes = fh.read(_HEAD_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror}). Fix: check the path "
                         "and its permissions.") from None
    head = head_bytes.decode("utf-8-sig", errors="ignore")
    stripped = head.lstrip()
    if not stripped:
        raise FileFormatError(
            f"{path}: the file is empty. Expected a reference file with one of these headers:\n"
            f"{_expected_formats()}\nFix: re-download or re-export the file.")
    if stripped[0] in "{[":
        return recognise_geojson(path, head)
    header, _ = csv_rows(SourceFile(path, head_bytes, ""), head)
    plan = (recognise_deprivation_csv(path, header, year)
            or recognise_population_csv(path, header, year)
            or recognise_geography_csv(path, header))
    if plan is None:
        shown = ",".join(header)
        raise FileFormatError(
            f"{where(path, 1, None, shown)}: this header is not a reference format commsafe "
            f"knows. Expected one of:\n{_expected_formats()}\n"
            "Fix: check this is the right file, or rename its columns to one of these headers.")
    return plan


def _previous(store: Store, sha256: str, kind: str) -> tuple[int, int] | None:
    rows = store.con.execute(
        """SELECT load_id, rows_read FROM loads WHERE sha256 = ? AND kind = ?
           AND status IN ('loaded', 'revised') ORDER BY load_id LIMIT 1""",
        [sha256, kind]).fetchall()
    return (int(rows[0][0]), int(rows[0][1])) if rows else None


def _load_one(store: Store, path: Path, plan: Plan) -> LoadRecord:
    started = now()
    data = path.read_bytes()
    src = SourceFile(path, data, sha256_bytes(data))
    with store.transaction() as con:
        load_id = store.next_load_id()
        prev = _previous(store, src.sha256, plan.kind)
        if prev is not None:
            rec = LoadRecord(
                load_id=load_id, path=str(path), sha256=src.sha256, kind=plan.kind,
                started_at=started, finished_at=now(), rows_read=prev[1],
                rows_duplicate=prev[1], status="duplicate",
                note=f"{plan.title}: same file as load {prev[0]}; nothing loaded")
        else:
            out = plan.run(con, load_id, src)
            rec = LoadRecord(
                load_id=load_id, path=str(path), sha256=src.sha256, kind=plan.kind,
                started_at=started, finished_at=now(), rows_read=out.rows_read,
                rows_loaded=out.rows_loaded, rows_rejected=len(out.rejects),
                rows_duplicate=out.rows_duplicate, status="loaded",
                note="; ".join([plan.title, *out.notes]), rejects=out.rejects)
        record_load(con, rec)
    return rec


def load_reference(store: Store, paths: Sequence[Path], *, year: int | None = None,
                   progress: Progress | None = None) -> list[LoadRecord]:
    """Load lookups, boundaries, population and deprivation files (or folders of them) into
    ``store``.

    Every file is recognised first, so an unknown file stops the run before anything is
    loaded. Each file then loads in its own transaction and gets a ``loads`` row: ``loaded``
    (rows_read = rows_loaded + rows_rejected + rows_duplicate; rejected rows in ``rejects``)
    or ``duplicate`` when the same bytes were loaded before with the same kind. ``year`` is the
    year of mid-year population and deprivation files (default: the year in their file name).
    ``progress`` is called as ``progress(path, done, total)`` before and after each file.
    Returns the records in order.
    """
    files = find_reference_files(paths)
    plans = [(f, recognise(f, year=year)) for f in files]
    records: list[LoadRecord] = []
    total = len(plans)
    for i, (f, plan) in enumerate(plans):
        if progress is not None:
            progress(str(f), i, total)
        records.append(_load_one(store, f, plan))
        if progress is not None:
            progress(str(f), i + 1, total)
    return records
