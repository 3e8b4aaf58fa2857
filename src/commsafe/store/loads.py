"""Bookkeeping of loads: one row in ``loads`` per file read, and its rejected rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from commsafe import __version__

__all__ = ["LoadRecord", "Reject", "record_load", "record_loads", "sha256_bytes"]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Reject:
    """A row that was not loaded: where it was, why, and its raw text."""

    line_number: int | None
    row_number: int | None
    reason: str
    detail: str
    raw: str | None = None


@dataclass
class LoadRecord:
    """What became of one file. ``rows_read == rows_loaded + rows_rejected + rows_duplicate``."""

    load_id: int
    path: str
    sha256: str
    kind: str
    started_at: datetime
    finished_at: datetime
    force: str | None = None
    months: Sequence[str] = ()
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    status: str = "loaded"
    note: str | None = None
    rejects: list[Reject] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        total = self.rows_loaded + self.rows_rejected + self.rows_duplicate
        if self.rows_read != total:
            raise AssertionError(
                f"{self.path}: row accounting broken: read {self.rows_read} but loaded "
                f"{self.rows_loaded} + rejected {self.rows_rejected} + duplicate "
                f"{self.rows_duplicate} = {total}"
            )


def record_load(con: duckdb.DuckDBPyConnection, rec: LoadRecord) -> None:
    """Insert the load and its rejects. Call inside the load's transaction."""
    record_loads(con, [rec])


def record_loads(con: duckdb.DuckDBPyConnection, recs: Sequence[LoadRecord]) -> None:
    """Insert loads and their rejects in two bulk statements (through Arrow: executemany
    costs about 1 ms a row). Call inside the loads' transaction."""
    for rec in recs:
        rec.check()
    if not recs:
        return
    loads = pa.table({
        "load_id": pa.array([r.load_id for r in recs], pa.int64()),
        "path": pa.array([r.path for r in recs], pa.string()),
        "sha256": pa.array([r.sha256 for r in recs], pa.string()),
        "kind": pa.array([r.kind for r in recs], pa.string()),
        "force": pa.array([r.force for r in recs], pa.string()),
        "months": pa.array([list(r.months) for r in recs], pa.list_(pa.string())),
        "rows_read": pa.array([r.rows_read for r in recs], pa.int64()),
        "rows_loaded": pa.array([r.rows_loaded for r in recs], pa.int64()),
        "rows_rejected": pa.array([r.rows_rejected for r in recs], pa.int64()),
        "rows_duplicate": pa.array([r.rows_duplicate for r in recs], pa.int64()),
        "status": pa.array([r.status for r in recs], pa.string()),
        "note": pa.array([r.note for r in recs], pa.string()),
        "replaced_by": pa.array([None] * len(recs), pa.int64()),
        "started_at": pa.array([r.started_at for r in recs], pa.timestamp("us")),
        "finished_at": pa.array([r.finished_at for r in recs], pa.timestamp("us")),
        "tool_version": pa.array([__version__] * len(recs), pa.string()),
    })
    rejects = [(r.load_id, j) for r in recs for j in r.rejects]
    with _registered(con, "_commsafe_loads", loads):
        con.execute("INSERT INTO loads SELECT * FROM _commsafe_loads")
    if rejects:
        table = pa.table({
            "load_id": pa.array([i for i, _ in rejects], pa.int64()),
            "line_number": pa.array([j.line_number for _, j in rejects], pa.int64()),
            "row_number": pa.array([j.row_number for _, j in rejects], pa.int64()),
            "reason": pa.array([j.reason for _, j in rejects], pa.string()),
            "detail": pa.array([j.detail for _, j in rejects], pa.string()),
            "raw": pa.array([j.raw for _, j in rejects], pa.string()),
        })
        with _registered(con, "_commsafe_rejects", table):
            con.execute("INSERT INTO rejects SELECT * FROM _commsafe_rejects")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)
