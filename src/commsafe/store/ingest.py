"""Loading police.uk files into the store, exactly, idempotently and atomically.

Rules (see docs/store.md):

* every data row of a file is accounted for: ``rows_read = loaded + rejected + duplicate``;
  rows are never de-duplicated within a file (identical ASB rows are distinct incidents);
* idempotent per force × month × kind: the same file again is a *duplicate* (nothing added);
  a different file for a force-month already loaded is a *revision* that replaces that
  force-month's rows, and the load says which loads it replaced;
* each file loads in its own transaction: an interrupted ingest leaves the store as it was
  before the file being loaded;
* two different files for the same force-month in one call are a conflict: neither is loaded.
"""

from __future__ import annotations

import os
import re
import signal
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from commsafe import taxonomy
from commsafe.errors import CommsafeError, FileFormatError
from commsafe.reference.resolve import ResolveCache, has_reference, resolve_rows
from commsafe.sources import police_uk
from commsafe.sources.files import InputFile, Skipped, csv_line, find_inputs
from commsafe.store import Store, now
from commsafe.store.loads import LoadRecord, Reject, record_loads, sha256_bytes

__all__ = ["FileFailure", "IngestResult", "ingest"]

# UK bounding box (WGS84) with a margin: Scilly, Shetland and Northern Ireland lie inside.
UK_LON = (-8.75, 1.85)
UK_LAT = (49.8, 60.95)

LONDON = ZoneInfo("Europe/London")

#: files are loaded in batches of about this much CSV, one transaction each
BATCH_BYTES = 256 * 1024 * 1024
#: files parsed ahead, in worker threads, while the current batch is stored
PARSE_AHEAD = 2

TABLE_OF_KIND = {"street": "events", "outcomes": "outcomes", "stop_search": "stop_search"}


@dataclass(frozen=True)
class FileFailure:
    """A file that was not loaded at all, and why (the message says how to fix it)."""

    path: str
    message: str


@dataclass
class IngestResult:
    loads: list[LoadRecord] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def totals(self) -> dict[str, int]:
        keys = ("rows_read", "rows_loaded", "rows_rejected", "rows_duplicate")
        return {k: sum(getattr(r, k) for r in self.loads) for k in keys}


@dataclass
class _Meta:
    """What a file claims, found without loading it: kind, force, months and checksum."""

    file: InputFile
    sha: str
    kind: str
    force: str
    months: list[str]
    size: int


_MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _file_months(parsed: police_uk.ParsedFile) -> list[str]:
    """Valid months a file's rows hold (stop and search: the UK local month of the search)."""
    if parsed.schema.kind != "stop_search":
        values = {v.strip() for v in parsed.table.column("month").to_pylist()}
        return sorted(v for v in values if _MONTH_RE.fullmatch(v))
    months = set()
    for v in parsed.table.column("searched_at").to_pylist():
        try:
            stamp = datetime.fromisoformat(v)
        except ValueError:
            continue
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        months.add(stamp.astimezone(LONDON).strftime("%Y-%m"))
    return sorted(months)


def _file_force(parsed: police_uk.ParsedFile, path: str) -> str:
    if "reported_by" in parsed.table.column_names:
        values = {v for v in parsed.table.column("reported_by").to_pylist() if v}
        if len(values) == 1:
            return police_uk.force_slug(values.pop())
    raise FileFormatError(
        f"{path}: cannot tell which police force this file is for. Name it as police.uk does "
        "(YYYY-MM-<force>-street.csv, e.g. 2024-01-cambridgeshire-street.csv)."
    )


def _scan(file: InputFile) -> _Meta:
    """Checksum and claims of a file; parses it only when its name does not say them."""
    data = file.read()
    schema = police_uk.sniff(data, file.path)
    month, force, kind = police_uk.name_info(file.name)
    if kind is not None and kind != schema.kind:
        raise FileFormatError(
            f"{file.path}: the name says a {kind.replace('_', '-')} file but the header is "
            f"that of a {schema.kind.replace('_', '-')} file. Rename the file to match "
            "its contents."
        )
    if month is None or force is None:
        parsed = police_uk.parse(data, file.path)
        months = [month] if month else _file_months(parsed)
        force = force or _file_force(parsed, file.path)
    else:
        months = [month]
    return _Meta(file, sha256_bytes(data), schema.kind, force, months, len(data))


def _try_scan(file: InputFile) -> _Meta | CommsafeError:
    try:
        return _scan(file)
    except CommsafeError as exc:
        return exc


def _parse(meta: _Meta) -> police_uk.ParsedFile:
    return police_uk.parse(meta.file.read(), meta.file.path)


def ingest(store: Store, paths: Sequence[Path | str], *,
           progress: Callable[[str, int, int, int], None] | None = None,
           resolve: bool = True, batch_bytes: int = BATCH_BYTES) -> IngestResult:
    """Load every police.uk file under ``paths``. Per-file problems are collected, not raised.

    Files are scanned first (checksums, and the force-months they claim, so that conflicts
    are found before anything loads). They are then loaded in batches of about
    ``batch_bytes`` of CSV, each batch one transaction (validated, stored and resolved to areas
    together), the next file being parsed in a worker thread meanwhile. An interruption
    leaves every batch committed before it and nothing of the batch under way.
    ``progress(path, done, total, rows)`` is called as each file is staged: files done of
    ``total``, and ``rows`` read so far (loaded, rejected or duplicate).
    """
    inputs, skipped = find_inputs(paths)
    result = IngestResult(skipped=skipped)
    metas: list[_Meta] = []
    with ThreadPoolExecutor(max_workers=PARSE_AHEAD) as pool:  # reading and hashing: no GIL
        for f, scanned in zip(inputs, pool.map(_try_scan, inputs), strict=True):
            if isinstance(scanned, _Meta):
                metas.append(scanned)
            else:
                result.failures.append(FileFailure(f.path, str(scanned)))
    metas = _drop_conflicts(metas, result)
    total = len(metas)
    cache = ResolveCache() if resolve else None
    current = _current_loads(store)
    ahead: dict[int, Future[police_uk.ParsedFile]] = {}
    with ThreadPoolExecutor(max_workers=PARSE_AHEAD) as pool:

        def prefetch(i: int) -> None:
            if i < total and i not in ahead and (metas[i].kind, metas[i].sha) not in current:
                ahead[i] = pool.submit(_parse, metas[i])

        for i in range(PARSE_AHEAD):
            prefetch(i)
        rows_before = 0  # rows read in the batches already committed
        for batch in _batches(metas, batch_bytes):
            with store.transaction() as con:
                loader = _Batch(store, con, current, store.next_load_ids(len(batch)))
                for i, meta in batch:
                    prefetch(i + PARSE_AHEAD)
                    future = ahead.pop(i, None)
                    try:
                        loader.add(meta, future)
                    except CommsafeError as exc:
                        result.failures.append(FileFailure(meta.file.path, str(exc)))
                    if progress:
                        progress(meta.file.path, i + 1, total, rows_before + loader.rows_read)
                records = loader.finish(cache)
            rows_before += loader.rows_read
            result.loads.extend(records)
            for rec in records:
                if rec.status in ("loaded", "revised"):
                    current[(rec.kind, rec.sha256)] = rec.rows_read
    return result


def _batches(metas: list[_Meta], limit: int) -> Iterator[list[tuple[int, _Meta]]]:
    batch: list[tuple[int, _Meta]] = []
    size = 0
    for i, meta in enumerate(metas):
        batch.append((i, meta))
        size += meta.size
        if size >= limit:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _current_loads(store: Store) -> dict[tuple[str, str], int]:
    """(kind, sha256) of the files whose rows are in the store now → their rows_read."""
    return {(k, s): int(n) for k, s, n in store.con.execute(
        "SELECT kind, sha256, rows_read FROM loads WHERE replaced_by IS NULL "
        "AND status IN ('loaded', 'revised')").fetchall()}


def _drop_conflicts(metas: list[_Meta], result: IngestResult) -> list[_Meta]:
    """Two different files claiming one force-month-kind in one call: load neither."""
    claims: dict[tuple[str, str, str], list[_Meta]] = defaultdict(list)
    for m in metas:
        for month in m.months:
            claims[(m.kind, m.force, month)].append(m)
    bad: set[int] = set()
    for (kind, force, month), group in claims.items():
        if len({g.sha for g in group}) > 1:
            names = " and ".join(sorted({g.file.path for g in group}))
            for g in group:
                if id(g) not in bad:
                    bad.add(id(g))
                    result.failures.append(FileFailure(
                        g.file.path,
                        f"{kind.replace('_', '-')} data for {force} {month} is in two different "
                        f"files: {names}. Give only one of them (the newer download).",
                    ))
    # the same file twice in one call (a folder and its zip) is fine: the second is a duplicate
    return [m for m in metas if id(m) not in bad]


_KILL_COUNTS: dict[str, int] = defaultdict(int)


def _kill_point(stage: str) -> None:
    """Test hook: COMMSAFE_TEST_KILL=<stage>[:N] makes the process kill -9 itself the N-th
    time (default the first) it reaches that stage: a real crash at a chosen point."""
    want, _, nth = os.environ.get("COMMSAFE_TEST_KILL", "").partition(":")
    if want == stage:
        _KILL_COUNTS[stage] += 1
        if _KILL_COUNTS[stage] == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class _Pending:
    """A file of the batch being loaded: its record, rejects so far and staged rows."""

    meta: _Meta
    load_id: int
    parsed: police_uk.ParsedFile
    previous: list[int]
    rejects: list[Reject]
    started: datetime


class _Batch:
    """Files loaded in one transaction: staged per kind, validated, stored and resolved
    together (a handful of statements per batch instead of a dozen per file)."""

    def __init__(self, store: Store, con: duckdb.DuckDBPyConnection,
                 current: dict[tuple[str, str], int], load_ids: list[int]) -> None:
        self.store = store
        self.load_ids = iter(load_ids)
        """One id per file of the batch, taken in file order."""
        self.con = con
        self.current = dict(current)
        self.records: list[LoadRecord] = []
        self.pending: list[_Pending] = []
        self.existing: dict[str, dict[tuple[str, str], set[int]]] = {}
        self.rows_read = 0
        """Data rows of the batch's files read so far (for progress)."""

    def _existing(self, kind: str) -> dict[tuple[str, str], set[int]]:
        """(force, month) → load_ids whose rows of this kind are stored now."""
        if kind not in self.existing:
            found: dict[tuple[str, str], set[int]] = defaultdict(set)
            for force, month, load_id in self.con.execute(
                f"SELECT DISTINCT force, strftime(month, '%Y-%m'), load_id "
                f"FROM {TABLE_OF_KIND[kind]}"
            ).fetchall():
                found[(force, month)].add(load_id)
            self.existing[kind] = found
        return self.existing[kind]

    def add(self, meta: _Meta, future: Future[police_uk.ParsedFile] | None) -> None:
        started = now()
        load_id = next(self.load_ids)
        key = (meta.kind, meta.sha)
        if key in self.current:
            if future is not None:
                future.cancel()
            n = self.current[key]
            self.rows_read += n
            self.records.append(LoadRecord(
                load_id, meta.file.path, meta.sha, meta.kind, started, now(), force=meta.force,
                months=meta.months, rows_read=n, rows_duplicate=n, status="duplicate",
                note="same file as one already loaded; nothing added",
            ))
            return
        parsed = future.result() if future is not None else _parse(meta)
        self.rows_read += parsed.rows_read
        existing = self._existing(meta.kind)
        previous = sorted({i for m in meta.months for i in existing.get((meta.force, m), ())})
        if previous:
            self.con.execute(
                f"""DELETE FROM {TABLE_OF_KIND[meta.kind]} WHERE force = ? AND month IN
                    (SELECT CAST(m || '-01' AS DATE) FROM unnest(?::VARCHAR[]) t(m))""",
                [meta.force, meta.months],
            )
            self.con.execute(
                "UPDATE loads SET replaced_by = ? WHERE list_contains(?::BIGINT[], load_id)",
                [load_id, previous],
            )
        for m in meta.months:
            existing[(meta.force, m)] = {load_id}
        self.current[key] = parsed.rows_read
        self.pending.append(_Pending(meta, load_id, parsed, previous, list(parsed.rejects),
                                     started))

    def finish(self, cache: ResolveCache | None) -> list[LoadRecord]:
        """Validate and store the staged rows, resolved to areas as they are inserted (when
        ``cache`` is given and reference data are loaded), and record the loads."""
        loaded: dict[int, int] = {}
        resolve = cache is not None and has_reference(self.con)
        for kind in TABLE_OF_KIND:
            files = [f for f in self.pending if f.meta.kind == kind]
            if files:
                loaded.update(self._store_kind(kind, files, cache if resolve else None))
        _kill_point("mid-load")
        for f in self.pending:
            meta = f.meta
            note = (f"revised file: replaces {meta.force} {', '.join(meta.months)} from "
                    f"load(s) {', '.join(map(str, f.previous))}") if f.previous else None
            self.records.append(LoadRecord(
                f.load_id, meta.file.path, meta.sha, meta.kind, f.started, now(),
                force=meta.force, months=meta.months, rows_read=f.parsed.rows_read,
                rows_loaded=loaded.get(f.load_id, 0), rows_rejected=len(f.rejects),
                status="revised" if f.previous else "loaded", note=note,
                rejects=sorted(f.rejects, key=lambda r: r.row_number or 0),
            ))
        self.records.sort(key=lambda r: r.load_id)
        record_loads(self.con, self.records)
        return self.records

    def _store_kind(self, kind: str, files: list[_Pending],
                    cache: ResolveCache | None) -> dict[int, int]:
        tables = []
        for f in files:
            t = f.parsed.table
            n = t.num_rows
            name_month = police_uk.name_info(f.meta.file.name)[0]
            t = t.append_column("_load_id", pa.array([f.load_id] * n, pa.int64()))
            t = t.append_column("_force", pa.array([f.meta.force] * n, pa.string()))
            t = t.append_column("_name_month", pa.array([name_month] * n, pa.string()))
            tables.append(t)
        staged = pa.concat_tables(tables)
        if kind == "street":
            staged = staged.append_column("crime_type",
                                          _standard_names(staged.column("category")))
        self.con.register("staged", staged)
        bad = None
        try:
            # the checks run once: rows failing one are taken out by key
            bad = self.con.sql(
                f"SELECT * FROM (SELECT *, CASE {_CHECKS[kind]} END AS reason FROM staged) "
                "WHERE reason IS NOT NULL ORDER BY _load_id, _row"
            ).to_arrow_table()
            good = "staged"
            if bad.num_rows:
                self.con.register("_bad", bad.select(["_load_id", "_row"]))
                good = "(SELECT * FROM staged ANTI JOIN _bad USING (_load_id, _row))"
            resolved = kind == "street" and cache is not None
            if resolved:
                resolve_rows(self.con, f"""(SELECT _load_id AS load_id, _row AS row_number,
                    CAST(trim(month) || '-01' AS DATE) AS month,
                    NULLIF(lsoa_code, '') AS lsoa_code,
                    TRY_CAST(NULLIF(longitude, '') AS DOUBLE) AS longitude,
                    TRY_CAST(NULLIF(latitude, '') AS DOUBLE) AS latitude FROM {good})""",
                             cache=cache)
            try:
                self.con.execute(_insert_sql(kind, resolved=resolved).replace(
                    "FROM checked", f"FROM {good} s"))
            finally:
                if resolved:
                    self.con.execute("DROP TABLE IF EXISTS _resolved")
        finally:
            self.con.unregister("staged")
            if bad is not None and bad.num_rows:
                self.con.unregister("_bad")
        assert bad is not None
        by_id = {f.load_id: f for f in files}
        bad_count: dict[int, int] = defaultdict(int)
        if bad.num_rows:
            for load_id, reject in _reject_rows(bad, by_id):
                by_id[load_id].rejects.append(reject)
                bad_count[load_id] += 1
        return {f.load_id: f.parsed.table.num_rows - bad_count[f.load_id] for f in files}


# --- validation and insertion ------------------------------------------------------------

_COORD_CHECKS = f"""
    WHEN (longitude = '') <> (latitude = '') THEN 'half_coordinates'
    WHEN longitude <> '' AND (NOT coalesce(isfinite(TRY_CAST(longitude AS DOUBLE)), false)
                              OR NOT coalesce(isfinite(TRY_CAST(latitude AS DOUBLE)), false))
         THEN 'bad_coordinates'
    WHEN longitude <> '' AND NOT (TRY_CAST(longitude AS DOUBLE) BETWEEN {UK_LON[0]} AND {UK_LON[1]}
                              AND TRY_CAST(latitude AS DOUBLE) BETWEEN {UK_LAT[0]} AND {UK_LAT[1]})
         THEN 'outside_uk'
"""

_MONTH_CHECKS = """
    WHEN NOT regexp_full_match(trim(month), '\\d{4}-(0[1-9]|1[0-2])') THEN 'bad_month'
    WHEN _name_month IS NOT NULL AND trim(month) <> _name_month THEN 'month_mismatch'
"""

_LOCAL_MONTH = (
    "strftime(timezone('Europe/London', TRY_CAST(searched_at AS TIMESTAMPTZ)), '%Y-%m')"
)

_CHECKS = {
    "street": _MONTH_CHECKS
    + "WHEN regexp_full_match(category, '\\s*') THEN 'missing_category'"
    + _COORD_CHECKS,
    "outcomes": _MONTH_CHECKS + _COORD_CHECKS,
    # police.uk files stop-and-search by the UK local month of the search
    "stop_search": f"""
    WHEN TRY_CAST(searched_at AS TIMESTAMPTZ) IS NULL THEN 'bad_date'
    WHEN _name_month IS NOT NULL AND {_LOCAL_MONTH} <> _name_month
         THEN 'date_month_mismatch'
    """ + _COORD_CHECKS,
}

_NULLIF = "NULLIF({c}, '')"


def _insert_sql(kind: str, *, resolved: bool = False) -> str:
    """INSERT … SELECT of the good staged rows of a kind (``FROM checked`` is replaced by the
    relation). ``resolved``: street rows take their areas from temp table ``_resolved``."""
    n = _NULLIF.format
    coords = ("TRY_CAST(NULLIF(longitude, '') AS DOUBLE)",
              "TRY_CAST(NULLIF(latitude, '') AS DOUBLE)")
    if kind == "street":
        areas = ("r.lsoa_vintage, r.lsoa21_code, r.ward_code, r.district_code, r.csp_code, "
                 "r.pfa_code, coalesce(r.resolution, 'unresolved')") if resolved else (
                 "NULL, NULL, NULL, NULL, NULL, NULL, 'unresolved'")
        join = (" LEFT JOIN _resolved r ON r.load_id = s._load_id AND r.row_number = s._row"
                if resolved else "")
        return f"""
        INSERT INTO events (source, force, event_id, row_number, month, category, crime_type,
            is_asb, reported_by, falls_within, longitude, latitude, location, lsoa_code,
            lsoa_name, lsoa_vintage, lsoa21_code, ward_code, district_code, csp_code, pfa_code,
            resolution, outcome, context, load_id)
        SELECT 'police_uk', _force, {n(c='crime_id')}, _row, CAST(trim(month) || '-01' AS DATE),
            trim(category), crime_type, crime_type = '{taxonomy.ASB}', {n(c='reported_by')},
            {n(c='falls_within')}, {coords[0]}, {coords[1]}, {n(c='location')},
            {n(c='lsoa_code')}, {n(c='lsoa_name')}, {areas}, {n(c='outcome')},
            {n(c='context')}, _load_id
        FROM checked{join} ORDER BY _load_id, _row"""
    if kind == "outcomes":
        return f"""
        INSERT INTO outcomes SELECT 'police_uk', _force, {n(c='crime_id')}, _row,
            CAST(trim(month) || '-01' AS DATE), {n(c='reported_by')}, {n(c='falls_within')},
            {coords[0]}, {coords[1]}, {n(c='location')}, {n(c='lsoa_code')},
            {n(c='lsoa_name')}, {n(c='outcome_type')}, _load_id
        FROM checked ORDER BY _load_id, _row"""
    cols = [c for _, c in police_uk.STOP_SEARCH.columns]
    values = []
    for c in cols:
        if c in ("latitude", "longitude"):
            values.append(coords[0] if c == "longitude" else coords[1])
        else:
            values.append(n(c=c))
    return f"""
        INSERT INTO stop_search (source, force, row_number, month, {', '.join(cols)}, load_id)
        SELECT 'police_uk', _force, _row,
            CAST({_LOCAL_MONTH} || '-01' AS DATE), {', '.join(values)}, _load_id
        FROM checked ORDER BY _load_id, _row"""


_REASON_TEXT = {
    "bad_month": ("Month", "is not a month in YYYY-MM form",
                  "Fix the row, or re-download the file"),
    "month_mismatch": ("Month", "disagrees with the month in the file name",
                       "Check the file is the month its name says, or rename it"),
    "missing_category": ("Crime type", "is empty", "Fix the row, or re-download the file"),
    "half_coordinates": ("Longitude", "has only one of longitude and latitude",
                         "Give both or neither"),
    "bad_coordinates": ("Longitude", "is not a number", "Fix the coordinates"),
    "outside_uk": ("Longitude", "lies outside the UK",
                   "Check longitude and latitude are not swapped"),
    "date_month_mismatch": ("Date", "falls in another month (UK time) than the file name says",
                            "Check the file is the month its name says, or rename it"),
    "bad_date": ("Date", "is not an ISO date-time (YYYY-MM-DDTHH:MM:SS)",
                 "Fix the row, or re-download the file"),
}


def _standard_names(category: pa.ChunkedArray) -> pa.Array:
    """Current police.uk names for a column of published ones (mapped once per distinct name)."""
    encoded = category.combine_chunks().dictionary_encode()
    names = [taxonomy.standard_name(v) for v in encoded.dictionary.to_pylist()]
    return pa.array(names, pa.string()).take(encoded.indices)


def _reject_rows(bad: pa.Table, files: dict[int, _Pending]
                 ) -> Iterator[tuple[int, Reject]]:
    for row in bad.to_pylist():
        parsed = files[row["_load_id"]].parsed
        schema = parsed.schema
        header, what, fix = _REASON_TEXT[row["reason"]]
        value = row.get(schema.internal(header) or "", "")
        if row["reason"] in ("half_coordinates", "bad_coordinates", "outside_uk"):
            value = f"{row.get('longitude', '')}, {row.get('latitude', '')}"
            header = "Longitude/Latitude"
        line = row["_line"]
        raw = csv_line([row[c] for _, c in schema.columns])
        yield row["_load_id"], Reject(
            line, row["_row"], row["reason"],
            f"{parsed.path} line {line}, column '{header}', value {value!r} {what}. {fix}.",
            raw,
        )
