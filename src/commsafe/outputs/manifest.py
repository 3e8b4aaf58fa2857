"""The build manifest: what a build read, what it wrote, and which figures it published.

``manifest.json`` (sorted keys, 2-space indent, trailing newline) records the tool, the spec,
the current input files from the store's ``loads`` table, and every output with its checksum,
size, kind, the query that made it and — for tables — every published figure. Apart from
``built_at`` it is a pure function of the store, the spec and the files written, so two builds
of the same inputs give the same manifest but for that one field; with ``SOURCE_DATE_EPOCH``
set (:func:`source_date`) that field is fixed too and every byte of a rebuild is the same.
:func:`changes_since` and :func:`changes_markdown` compare two manifests figure by figure.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from commsafe import __version__
from commsafe.errors import InputError
from commsafe.outputs.tables import _missing, _plain, format_cell
from commsafe.store import Store

__all__ = [
    "KEY_SEPARATOR",
    "Change",
    "InputEntry",
    "Manifest",
    "OutputEntry",
    "OutputRecord",
    "build_manifest",
    "changes_markdown",
    "changes_since",
    "file_sha256",
    "read_manifest",
    "table_figures",
    "write_manifest",
]

KEY_SEPARATOR = " / "
OutputKind = Literal["table", "figure", "document"]
_KINDS = ("table", "figure", "document")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class OutputRecord:
    """An output a build wrote, as the build describes it.

    ``path`` is relative to the build folder (or absolute inside it); ``query`` holds the
    parameters that made it; ``figures`` (tables only) maps cell id → value, see
    :func:`table_figures`.
    """

    path: str | Path
    kind: OutputKind
    query: Mapping[str, Any] = field(default_factory=dict)
    figures: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class InputEntry:
    path: str
    sha256: str
    kind: str
    rows_read: int | None
    rows_loaded: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "kind": self.kind,
                "rows_read": self.rows_read, "rows_loaded": self.rows_loaded}


@dataclass(frozen=True)
class OutputEntry:
    path: str
    sha256: str
    bytes: int
    kind: str
    query: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "sha256": self.sha256, "bytes": self.bytes,
                               "kind": self.kind, "query": self.query}
        if self.kind == "table":
            out["figures"] = self.figures or {}
        return out


@dataclass
class Manifest:
    """A build's manifest. ``built_at`` is the only field that varies between identical builds."""

    built_at: str
    spec: dict[str, Any] = field(default_factory=dict)
    inputs: list[InputEntry] = field(default_factory=list)
    outputs: list[OutputEntry] = field(default_factory=list)
    tool_name: str = "commsafe"
    tool_version: str = __version__

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": {"name": self.tool_name, "version": self.tool_version},
            "built_at": self.built_at,
            "spec": self.spec,
            "inputs": [i.to_dict() for i in self.inputs],
            "outputs": [o.to_dict() for o in self.outputs],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False,
                          allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        tool = data.get("tool") or {}
        return cls(
            built_at=str(data["built_at"]),
            spec=dict(data.get("spec") or {}),
            inputs=[InputEntry(path=i["path"], sha256=i["sha256"], kind=i["kind"],
                               rows_read=i.get("rows_read"), rows_loaded=i.get("rows_loaded"))
                    for i in data.get("inputs", [])],
            outputs=[OutputEntry(path=o["path"], sha256=o["sha256"], bytes=int(o["bytes"]),
                                 kind=o["kind"], query=dict(o.get("query") or {}),
                                 figures=(dict(o["figures"]) if o.get("figures") is not None
                                          else None))
                     for o in data.get("outputs", [])],
            tool_name=str(tool.get("name", "commsafe")),
            tool_version=str(tool.get("version", "")),
        )


# --------------------------------------------------------------------------- building


def file_sha256(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _json_default(value: object) -> object:
    plain = _plain(value)
    if plain is not value:
        return plain
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def _json_safe(value: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON round-trip, so that a manifest read back equals the one built."""
    return dict(json.loads(json.dumps(dict(value), default=_json_default, sort_keys=True)))


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def current_inputs(store: Store) -> list[InputEntry]:
    """Files whose rows the store currently holds (loaded or revised, not since replaced)."""
    rows = store.con.execute(
        "SELECT path, sha256, kind, rows_read, rows_loaded FROM loads "
        "WHERE replaced_by IS NULL AND status IN ('loaded', 'revised') "
        "ORDER BY path, sha256, load_id"
    ).fetchall()
    return [InputEntry(path=str(p), sha256=str(s), kind=str(k),
                       rows_read=None if r is None else int(r),
                       rows_loaded=None if n is None else int(n))
            for p, s, k, r, n in rows]


def _relative(out_dir: Path, path: str | Path) -> tuple[str, Path]:
    p = Path(path)
    full = p if p.is_absolute() else out_dir / p
    try:
        rel = full.resolve().relative_to(out_dir.resolve())
    except ValueError:
        raise ValueError(f"{path}: output is not inside the build folder {out_dir}") from None
    return rel.as_posix(), full


def source_date() -> datetime | None:
    """The build time set by ``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible
    builds convention), or None when it is not set. A value that is not a whole number of
    seconds is a mistake: it raises InputError naming it."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InputError(f"SOURCE_DATE_EPOCH={raw!r}: give the build time as whole seconds "
                         "since 1970-01-01 UTC (e.g. 1735689600), or unset it.")
    return datetime.fromtimestamp(int(raw), UTC)


def build_manifest(store: Store, out_dir: Path | str, outputs: Sequence[OutputRecord],
                   spec: Mapping[str, Any], built_at: datetime | None = None) -> Manifest:
    """The manifest of a build in ``out_dir``: hashes each output file on disk."""
    out_dir = Path(out_dir)
    entries = []
    seen: set[str] = set()
    for rec in outputs:
        if rec.kind not in _KINDS:
            raise ValueError(f"{rec.path}: output kind must be one of {_KINDS}, not {rec.kind!r}")
        if rec.figures is not None and rec.kind != "table":
            raise ValueError(f"{rec.path}: only tables carry figures")
        rel, full = _relative(out_dir, rec.path)
        if rel in seen:
            raise ValueError(f"{rel}: output listed twice")
        seen.add(rel)
        if not full.is_file():
            raise FileNotFoundError(f"{full}: output listed in the manifest was not written")
        entries.append(OutputEntry(
            path=rel, sha256=file_sha256(full), bytes=full.stat().st_size, kind=rec.kind,
            query=_json_safe(rec.query),
            figures=_json_safe(rec.figures or {}) if rec.kind == "table" else None,
        ))
    entries.sort(key=lambda e: e.path)
    return Manifest(
        built_at=_iso(built_at or source_date() or datetime.now(UTC)),
        spec=_json_safe(spec),
        inputs=current_inputs(store),
        outputs=entries,
    )


def write_manifest(manifest: Manifest, path: Path | str) -> Path:
    path = Path(path)
    path.write_text(manifest.to_json(), encoding="utf-8", newline="\n")
    return path


def read_manifest(path: Path | str) -> Manifest:
    return Manifest.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- figures


def _figure_value(value: object) -> object:
    v = _plain(value)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return round(v, 6) if math.isfinite(v) else str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, datetime | date | pd.Timestamp):
        return v.isoformat()
    return str(v)


def _key_text(value: object) -> str:
    v = _plain(value)
    if _missing(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def table_figures(frame: pd.DataFrame, key_columns: Sequence[str] | str) -> dict[str, object]:
    """Every published (non-blank) cell as ``"row key / column" → value``.

    The row key joins the ``key_columns`` values with `` / ``; the value is JSON-safe (ints,
    floats rounded to 6 decimal places, strings; booleans as yes/no like the tables).
    """
    keys = [key_columns] if isinstance(key_columns, str) else list(key_columns)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise KeyError(f"key columns not in the table: {missing}")
    cols = [str(c) for c in frame.columns]
    values = [c for c in cols if c not in keys]
    out: dict[str, object] = {}
    for row in frame.itertuples(index=False, name=None):
        record = dict(zip(cols, row, strict=True))
        row_key = KEY_SEPARATOR.join(_key_text(record[k]) for k in keys)
        for c in values:
            v = _plain(record[c])
            if _missing(v):
                continue
            cell = f"{row_key}{KEY_SEPARATOR}{c}"
            if cell in out:
                raise ValueError(f"{cell}: two rows share this key; add key columns")
            out[cell] = _figure_value(v)
    return out


# --------------------------------------------------------------------------- changes

ChangeStatus = Literal["changed", "appeared", "disappeared", "input revised", "input added",
                       "input removed"]


@dataclass(frozen=True)
class Change:
    """One difference between two builds.

    For a figure: ``output`` is the table's path and ``cell`` the cell id. For an input:
    ``output`` is the input's path, ``cell`` is None and ``old``/``new`` are checksums.
    """

    output: str
    cell: str | None
    status: ChangeStatus
    old: object = None
    new: object = None
    difference: float | int | None = None
    pct_change: float | None = None


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _figure_change(output: str, cell: str, old: object, new: object) -> Change:
    if _is_number(old) and _is_number(new):
        diff: float | int = new - old  # type: ignore[operator]
        if isinstance(diff, float):
            diff = round(diff, 6)
        pct = round(diff / old * 100, 6) if old else None  # type: ignore[operator]
        return Change(output, cell, "changed", old, new, diff, pct)
    return Change(output, cell, "changed", old, new)


def changes_since(previous: Manifest, current: Manifest) -> list[Change]:
    """Figures that changed, appeared or disappeared in tables present in both builds (by path),
    then inputs revised (same path, other checksum), added or removed.

    Figures are grouped by table path; within a table, the largest absolute differences come
    first, then changes without a numeric difference, then appearances and disappearances.
    """
    changes: list[Change] = []
    before = {o.path: o for o in previous.outputs if o.kind == "table"}
    for out in sorted((o for o in current.outputs if o.kind == "table"), key=lambda o: o.path):
        old_out = before.get(out.path)
        if old_out is None:
            continue
        old_figs = old_out.figures or {}
        new_figs = out.figures or {}
        found: list[Change] = []
        for cell in sorted(set(old_figs) | set(new_figs)):
            if cell not in new_figs:
                found.append(Change(out.path, cell, "disappeared", old=old_figs[cell]))
            elif cell not in old_figs:
                found.append(Change(out.path, cell, "appeared", new=new_figs[cell]))
            elif old_figs[cell] != new_figs[cell]:
                found.append(_figure_change(out.path, cell, old_figs[cell], new_figs[cell]))
        order = {"changed": 0, "appeared": 1, "disappeared": 2}
        found.sort(key=lambda c: (order.get(c.status, 3),
                                  c.difference is None,
                                  -abs(c.difference or 0), c.cell or ""))
        changes.extend(found)

    def by_path(m: Manifest) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for i in m.inputs:
            out.setdefault(i.path, set()).add(i.sha256)
        return out

    old_in, new_in = by_path(previous), by_path(current)
    for p in sorted(set(old_in) | set(new_in)):
        if p not in new_in:
            changes.append(Change(p, None, "input removed", old=", ".join(sorted(old_in[p]))))
        elif p not in old_in:
            changes.append(Change(p, None, "input added", new=", ".join(sorted(new_in[p]))))
        elif old_in[p] != new_in[p]:
            changes.append(Change(p, None, "input revised", old=", ".join(sorted(old_in[p])),
                                  new=", ".join(sorted(new_in[p]))))
    return changes


def _show(cell: str, value: object) -> str:
    if value is None:
        return ""
    column = cell.rsplit(KEY_SEPARATOR, 1)[-1]
    return format_cell(column, value, display=True)


def _signed(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):+,}"
    if abs(value) >= 1:
        return f"{value:+,.1f}"
    return f"{value:+.4g}"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def changes_markdown(changes: Sequence[Change], previous_built_at: str | datetime,
                     current_built_at: str | datetime) -> str:
    """``changes-since-last-build.md``: a table per output, largest differences first, then the
    inputs that changed."""
    prev = _iso(previous_built_at) if isinstance(previous_built_at, datetime) \
        else previous_built_at
    curr = _iso(current_built_at) if isinstance(current_built_at, datetime) \
        else current_built_at
    lines = ["# Changes since the last build", "",
             f"Previous build: {prev}. This build: {curr}.", ""]
    figures = [c for c in changes if c.cell is not None]
    inputs = [c for c in changes if c.cell is None]
    if not figures:
        lines += ["No published figure changed.", ""]
    outputs: list[str] = []
    for c in figures:
        if c.output not in outputs:
            outputs.append(c.output)
    for out in outputs:
        rows = [c for c in figures if c.output == out]
        rows.sort(key=lambda c: (c.difference is None, -abs(c.difference or 0)))
        lines += [f"## {out}", "",
                  f"{len(rows)} figure{'s' if len(rows) != 1 else ''} changed.", "",
                  "| figure | change | previous | now | difference | % change |",
                  "|---|---|---:|---:|---:|---:|"]
        for c in rows:
            cell = c.cell or ""
            pct = "" if c.pct_change is None else f"{c.pct_change:+.1f}%"
            lines.append(f"| {_md(cell)} | {c.status} | {_md(_show(cell, c.old))} | "
                         f"{_md(_show(cell, c.new))} | {_signed(c.difference)} | {pct} |")
        lines.append("")
    if inputs:
        lines += ["## Inputs", "", "| input | change | previous sha256 | now sha256 |",
                  "|---|---|---|---|"]
        for c in inputs:
            lines.append(f"| {_md(c.output)} | {c.status} | {c.old or ''} | {c.new or ''} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
