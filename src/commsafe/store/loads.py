"""Bookkeeping of loads: one row in ``loads`` per file read, and its rejected rows."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from commsafe import __version__

__all__ = ["LoadRecord", "Reject", "record_load", "sha256_bytes"]


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
    rec.check()
    con.execute(
        """INSERT INTO loads (load_id, path, sha256, kind, force, months, rows_read, rows_loaded,
               rows_rejected, rows_duplicate, status, note, replaced_by, started_at, finished_at,
               tool_version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)""",
        [rec.load_id, rec.path, rec.sha256, rec.kind, rec.force, list(rec.months),
         rec.rows_read, rec.rows_loaded, rec.rows_rejected, rec.rows_duplicate, rec.status,
         rec.note, rec.started_at, rec.finished_at, __version__],
    )
    if rec.rejects:
        # one bulk insert through Arrow: executemany costs about 1 ms a row
        rejects = pa.table({
            "load_id": pa.array([rec.load_id] * len(rec.rejects), pa.int64()),
            "line_number": pa.array([r.line_number for r in rec.rejects], pa.int64()),
            "row_number": pa.array([r.row_number for r in rec.rejects], pa.int64()),
            "reason": pa.array([r.reason for r in rec.rejects], pa.string()),
            "detail": pa.array([r.detail for r in rec.rejects], pa.string()),
            "raw": pa.array([r.raw for r in rec.rejects], pa.string()),
        })
        con.register("_commsafe_rejects", rejects)
        try:
            con.execute("INSERT INTO rejects SELECT * FROM _commsafe_rejects")
        finally:
            con.unregister("_commsafe_rejects")
