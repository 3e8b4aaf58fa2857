"""The embedded DuckDB store: opening, locking, schema migrations, load bookkeeping.

One DuckDB file holds events, reference data and the record of every load. DuckDB allows one
writing process per file; a second gets :class:`StoreInUseError`. Each load runs in its own
transaction, so an interrupted ingest leaves the store as it was before that load.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa

from commsafe import __version__
from commsafe.errors import NotAStoreError, SchemaVersionError, StoreError, StoreInUseError
from commsafe.store.population import store_long

__all__ = [
    "DEFAULT_STORE",
    "REFERENCE_KEYS",
    "SCHEMA_VERSION",
    "Store",
    "check_reference_keys",
    "compact_store",
    "default_store_path",
    "open_store",
]

DEFAULT_STORE = "commsafe.duckdb"


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("commsafe.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        m = re.match(r"(\d+)_.*\.sql$", entry.name)
        if m:
            found.append((int(m.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(v for v, _ in _migrations())

COMPACTING_MIGRATIONS = frozenset({3, 5})
"""Migrations that free most of a store's blocks (003 drops the reference tables' primary-key
indexes, 005 repacks population and boundaries); a store brought past one is rewritten into a
new file (:func:`compact_store`) so that the file actually shrinks."""


def _migrate_5(con: duckdb.DuckDBPyConnection) -> None:
    """Python step of migration 005: pack the long population rows, re-encode WKB boundaries."""
    from commsafe.store import shapes  # shapely: imported only by the stores that need it

    store_long(con, "_v4_population", merge=False)
    con.execute("DROP TABLE _v4_population")
    tbl = con.sql("SELECT area_type, area_code, geometry FROM boundaries").to_arrow_table()
    if tbl.num_rows:
        stored = tbl.column("geometry").to_pylist()
        staged = pa.table({"area_type": tbl.column("area_type"),
                           "area_code": tbl.column("area_code"),
                           "geometry": pa.array(shapes.encode(shapes.decode(stored)),
                                                pa.binary())})
        con.register("_v5_shapes", staged)
        try:
            con.execute("""UPDATE boundaries AS t SET geometry = s.geometry FROM _v5_shapes AS s
                           WHERE t.area_type = s.area_type AND t.area_code = s.area_code""")
        finally:
            con.unregister("_v5_shapes")


_PYTHON_STEPS = {5: _migrate_5}
"""Steps of a migration that SQL cannot do, run after its SQL in the same transaction."""

REFERENCE_KEYS: dict[str, tuple[str, ...]] = {
    "areas": ("area_type", "area_code"),
    "area_links": ("from_type", "from_code", "to_type", "to_code"),
    "boundaries": ("area_type", "area_code"),
    "population": ("area_type", "area_code", "year", "sex", "age_band"),
}
"""The key of each reference table. Since schema version 3 no index enforces them: the
reference loader writes one row per key (see ``commsafe.reference.geography.merge``), and
:func:`check_reference_keys` finds rows that break them."""


def default_store_path() -> Path:
    return Path(os.environ.get("COMMSAFE_STORE") or DEFAULT_STORE)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Store:
    """An open store. ``con`` is the DuckDB connection; use :meth:`transaction` for writes."""

    path: Path
    con: duckdb.DuckDBPyConnection
    read_only: bool = False
    memo: dict[tuple[object, ...], object] = field(default_factory=dict, repr=False)
    """Results of reference look-ups (areas inside an area, population) kept while nothing
    is written; every :meth:`transaction` clears it."""

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: commits on success, rolls back on any exception (Ctrl-C included)."""
        self.memo.clear()
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def next_load_id(self) -> int:
        return self.next_load_ids(1)[0]

    def next_load_ids(self, n: int) -> list[int]:
        """``n`` new load ids, ascending, in one statement (a batch of files takes its ids
        at once)."""
        rows = self.con.execute("SELECT nextval('load_id_seq') FROM range(?)", [n]).fetchall()
        return sorted(int(r[0]) for r in rows)

    def schema_version(self) -> int:
        return _schema_version(self.con)

    def scalar(self, sql: str, params: list[object] | None = None) -> object:
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()[0]
    if not has_meta or not has_meta[0]:
        return 0
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


READER_WAIT_SECONDS = 60.0
"""How long a reader waits for a writer (an ingest, a build) to let go of the store before
giving up; ``COMMSAFE_WAIT`` (seconds) changes it, 0 gives up at once. Writers never wait:
a second writer is told at once who holds the store."""


def _reader_wait() -> float:
    raw = os.environ.get("COMMSAFE_WAIT", "").strip()
    try:
        return max(0.0, float(raw)) if raw else READER_WAIT_SECONDS
    except ValueError:
        raise StoreError(f"COMMSAFE_WAIT={raw!r}: give a number of seconds (e.g. 60), or "
                         "unset it.") from None


def _connect(path: Path, read_only: bool,
             wait: bool | None = None) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file. Finding it locked by another process, a caller that ``wait``s
    (every reader; a build's writer) waits up to :func:`_reader_wait` seconds, saying so once
    on standard error, and then sees the state the holder committed; a writer that does not
    wait, or one whose wait runs out, gets StoreInUseError. ``wait`` defaults to
    ``read_only``."""
    if not (read_only if wait is None else wait):
        return _connect_once(path, read_only)
    deadline = time.monotonic() + _reader_wait()
    said = False
    while True:
        try:
            return _connect_once(path, read_only)
        except StoreInUseError as exc:
            if time.monotonic() >= deadline:
                raise
            if not said:
                sys.stderr.write(f"note: {exc.holder_text} is using {path}; waiting for "
                                 "it to finish (COMMSAFE_WAIT sets how long; Ctrl-C stops)\n")
                sys.stderr.flush()
                said = True
            time.sleep(0.25)


def _connect_once(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = re.search(r"PID (\d+)", text)
            who = f" (process {pid.group(1)})" if pid else ""
            error = StoreInUseError(
                f"{path}: the store is in use by another process{who}. Wait for it to finish, "
                "or use another store with --store PATH."
            )
            error.holder_text = f"process {pid.group(1)}" if pid else "another process"
            raise error from None
        if "not a valid DuckDB database" in text or "database file" in text.lower():
            raise NotAStoreError(
                f"{path}: this file is not a commsafe store (not a DuckDB database). "
                "Give another path with --store, or move the file away."
            ) from None
        raise StoreError(f"{path}: cannot open the store: {text}") from None
    except duckdb.Error as exc:
        text = str(exc)
        if "version" in text.lower() and "storage" in text.lower():
            raise SchemaVersionError(
                f"{path}: the store was written by a newer DuckDB than this commsafe uses. "
                "Upgrade commsafe."
            ) from None
        raise NotAStoreError(
            f"{path}: this file is not a commsafe store ({text.splitlines()[0]}). "
            "Give another path with --store, or move the file away."
        ) from None


def open_store(path: Path | str | None = None, *, read_only: bool = False,
               create: bool = True, wait: bool | None = None) -> Store:
    """Open (and create or migrate) the store at ``path``. While another process holds it,
    a reader waits (``COMMSAFE_WAIT``) and a writer is refused at once, unless ``wait``
    says otherwise.

    Raises :class:`StoreInUseError` when another process writes to it,
    :class:`NotAStoreError` for a file that is not DuckDB and
    :class:`SchemaVersionError` for a store written by a newer commsafe.
    """
    p = Path(path) if path is not None else default_store_path()
    if not p.exists():
        if read_only or not create:
            raise StoreError(
                f"{p}: no store here yet. Load data first with 'commsafe ingest PATH' "
                "or point at a store with --store PATH (or COMMSAFE_STORE)."
            )
        if p.parent and not p.parent.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
    elif p.is_dir():
        raise NotAStoreError(f"{p}: is a folder, not a store file. Give a file path with --store.")
    con = _connect(p, read_only, wait)
    try:
        version = _schema_version(con)
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{p}: the store has schema version {version} but this commsafe "
                f"({__version__}) knows up to version {SCHEMA_VERSION}. Upgrade commsafe."
            )
        if version < SCHEMA_VERSION:
            if read_only:
                # migrate once with a writing connection, then read as asked
                con.close()
                with open_store(p, read_only=False):
                    pass
                con = _connect(p, read_only=True)
            else:
                _migrate(con, version)
                if version > 0 and any(version < m <= SCHEMA_VERSION
                                       for m in COMPACTING_MIGRATIONS):
                    con = compact_store(con, p)
    except BaseException:
        con.close()
        raise
    return Store(path=p, con=con, read_only=read_only)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def compact_store(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyConnection:
    """Rewrite the store at ``path`` (open for writing as ``con``) into a fresh file and return
    a connection to it; ``con`` is closed.

    DuckDB keeps the blocks freed by dropped tables and indexes inside the file, so a store only
    shrinks when it is copied. The copy is made while ``con`` still holds the store's write lock:
    ``CHECKPOINT`` (the WAL is emptied, so nothing of it can be replayed onto the new file),
    ``COPY FROM DATABASE`` into ``.<name>.compact-<pid>`` beside it, then an atomic
    ``os.replace`` over the store. Any failure before the rename leaves the store as it was
    (migrated, not compacted) and removes the partial copy.
    """
    tmp = path.with_name(f".{path.name}.compact-{os.getpid()}")
    wal = tmp.with_name(tmp.name + ".wal")
    for leftover in (tmp, wal):
        leftover.unlink(missing_ok=True)
    rows = con.execute("SELECT current_database()").fetchall()
    name = str(rows[0][0])
    con.execute("CHECKPOINT")
    con.execute("SET enable_progress_bar = false")
    try:
        con.execute(f"ATTACH {_quote(str(tmp))} AS _commsafe_compact")
        try:
            con.execute(f'COPY FROM DATABASE "{name.replace(chr(34), chr(34) * 2)}" '
                        "TO _commsafe_compact")
        finally:
            con.execute("DETACH _commsafe_compact")
        try:
            os.replace(tmp, path)
        except PermissionError:  # Windows will not replace an open file: let go of it first
            con.close()
            os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, wal):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return _connect(path, read_only=False)


def check_reference_keys(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Number of keys held by more than one row, per reference table (0 everywhere in a store
    written only by the reference loader)."""
    found: dict[str, int] = {}
    for table, keys in REFERENCE_KEYS.items():
        cols = ", ".join(keys)
        rows = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {table} GROUP BY ALL "
                           "HAVING count(*) > 1)").fetchall()
        found[table] = int(rows[0][0])
    return found


def _migrate(con: duckdb.DuckDBPyConnection, current: int) -> None:
    if current == 0:
        has_tables = con.execute(
            "SELECT count(*) FROM information_schema.tables"
        ).fetchall()[0]
        if has_tables and has_tables[0]:
            raise NotAStoreError(
                "this DuckDB file holds tables but is not a commsafe store. "
                "Give another path with --store."
            )
    con.execute("SET enable_progress_bar = false")  # a long migration must not draw on stdout
    try:
        for version, sql in _migrations():
            if version <= current:
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(sql)
                if version in _PYTHON_STEPS:
                    _PYTHON_STEPS[version](con)
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)]
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
    finally:
        con.execute("RESET enable_progress_bar")
