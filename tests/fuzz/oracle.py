"""The oracle every fuzz case must satisfy, and the code that runs a case.

A case runs the command line in-process (``commsafe.cli.main``, standard output and error
captured), or for the spec and the registers the reader itself. It passes when:

* the command ends in success (exit 0), or in a clean error: a non-zero exit code, no
  ``Traceback (most recent call last)`` in its output and no exception escaping it, and a
  message that names the file (for ``ingest`` exiting 1, every ``error:`` line names one);
  a reader raises :class:`commsafe.errors.CommsafeError` naming the file, nothing else;
* the row accounting holds for every load the command made, and for every load still current
  in the store: ``rows_read = rows_loaded + rows_rejected + rows_duplicate``, the rows stored
  under the load are ``rows_loaded``, its rows in ``rejects`` are ``rows_rejected``, and
  ``rows_read`` equals an independent recount of the file's data rows with the csv module;
* after exit 0 every generated CSV the command was given has a load; a register read without
  error holds one entry per non-blank row.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuzz.generate import Case

__all__ = ["FAILURES", "OUTCOMES", "Result", "recount", "run_case", "write_case"]

TRACEBACK = "Traceback (most recent call last)"
OUTCOMES = ("loaded", "clean_error", "traceback", "accounting", "unnamed_error", "bad_exit")
FAILURES = frozenset({"traceback", "accounting", "unnamed_error", "bad_exit"})
ROW_TABLES = {"street": "events", "outcomes": "outcomes", "stop_search": "stop_search"}
MAX_ZIP_DEPTH = 3  # commsafe.sources.files.MAX_ZIP_DEPTH: deeper members are skipped


@dataclass
class Result:
    case: Case
    outcome: str
    code: int | None = None
    detail: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome not in FAILURES

    @property
    def blame(self) -> str:
        """The commsafe source file of the innermost traceback frame ('' if none)."""
        frames = re.findall(r'File "[^"]*/src/(commsafe/[^"]+)", line (\d+)', self.detail)
        return f"{frames[-1][0]}:{frames[-1][1]}" if frames else ""

    def describe(self) -> str:
        c = self.case
        at = f" at {self.blame}" if self.blame else ""
        return (f"{c.kind}:{c.seed} ({c.label or '-'}; mutations "
                f"{', '.join(c.mutations) or 'none'}): {self.outcome}{at} (exit {self.code}) "
                f"{'; '.join(self.problems)}\n{self.detail[-3000:]}")


def write_case(case: Case, folder: Path) -> Path:
    """Write the case's files under ``folder`` (emptied first); the folder, resolved."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for rel, data in case.files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return folder.resolve()


def recount(how: str, data: bytes) -> int | None:
    """Data rows of a CSV, counted with the csv module apart from commsafe: ``police``
    counts every non-empty record after the header (as police.uk ingest does, undecodable
    bytes and all), ``records`` the same in strict UTF-8 (reference files: a line of blank
    cells is a row, rejected), ``table`` every record with a non-blank cell (partner data,
    registers: such lines are skipped). None when the file cannot be read as CSV at all (it
    must then fail)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8", errors="surrogateescape" if how == "police" else "strict")
        records = list(csv.reader(io.StringIO(text, newline=""), strict=False))
    except (UnicodeDecodeError, csv.Error):
        return None
    if not records:
        return None
    body = records[1:]
    if how in ("police", "records"):
        return sum(1 for r in body if r)
    return sum(1 for r in body if any(f.strip() for f in r))


def _names_ok(text: str, folder: Path, names: Sequence[str]) -> bool:
    flat = text.replace("\n", "")
    return any(str(folder / n) in flat for n in names)


_COMMANDS: dict[int, Any] = {}


@contextmanager
def _built_once() -> Iterator[None]:
    """Typer builds the click command from the app's signatures on every call (about 0.1 s,
    most of a case): while a case runs, build it once and reuse it. ``main`` and the app are
    otherwise run exactly as installed."""
    import typer.main

    original = typer.main.get_command

    def cached(app: Any) -> Any:
        if id(app) not in _COMMANDS:
            _COMMANDS[id(app)] = original(app)
        return _COMMANDS[id(app)]

    typer.main.get_command = cached  # type: ignore[assignment]
    try:
        yield
    finally:
        typer.main.get_command = original


def _cli(argv: list[str]) -> tuple[int | None, str, str]:
    from commsafe.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), warnings.catch_warnings(), _built_once():
        warnings.simplefilter("ignore")  # a warning is not a failure (pytest makes it one)
        try:
            code: int | None = main(argv)
        except Exception:
            code = None
            err.write(traceback.format_exc())
    return code, out.getvalue(), err.getvalue()


def _argv(case: Case, folder: Path, store: Path) -> list[str]:
    return [str(folder / a[1:]) if a.startswith("@") else a for a in case.argv] + [
        "--store", str(store)]


def _max_load_id(store: Path) -> int:
    if not store.exists():
        return 0
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        return int(con.execute("SELECT coalesce(max(load_id), 0) FROM loads").fetchall()[0][0])
    finally:
        con.close()


def check_accounting(case: Case, folder: Path, store: Path, since: int, code: int | None
                     ) -> list[str]:
    """Broken accounting in the loads made after ``since`` and in every current load."""
    import duckdb

    if not store.exists():
        return []
    problems: list[str] = []
    con = duckdb.connect(str(store), read_only=True)
    try:
        stored: dict[int, int] = {}
        for table in ("events", "outcomes", "stop_search", "records"):
            for load_id, n in con.execute(
                    f"SELECT load_id, count(*) FROM {table} GROUP BY load_id").fetchall():
                stored[int(load_id)] = stored.get(int(load_id), 0) + int(n)
        rejected = dict(con.execute(
            "SELECT load_id, count(*) FROM rejects GROUP BY load_id").fetchall())
        loads = con.execute(
            "SELECT load_id, path, kind, status, rows_read, rows_loaded, rows_rejected, "
            "rows_duplicate, replaced_by FROM loads ORDER BY load_id").fetchall()
    finally:
        con.close()
    new_paths: set[str] = set()
    for load_id, path, kind, status, read, ok, rej, dup, replaced in loads:
        new = load_id > since
        if new:
            new_paths.add(path)
        if read != ok + rej + dup:
            problems.append(f"load {load_id} {path}: read {read} != loaded {ok} + rejected "
                            f"{rej} + duplicate {dup}")
        if rejected.get(load_id, 0) != rej:
            problems.append(f"load {load_id} {path}: {rejected.get(load_id, 0)} rows in "
                            f"rejects but rows_rejected {rej}")
        holds_rows = kind in ROW_TABLES or kind.startswith("partner:")
        if holds_rows and status in ("loaded", "revised") and replaced is None and \
                stored.get(load_id, 0) != ok:
            problems.append(f"load {load_id} {path}: {stored.get(load_id, 0)} rows stored "
                            f"but rows_loaded {ok}")
        if new:
            rel = _relative(path, folder)
            if rel in case.recount:
                how, data = case.recount[rel]
                expected = recount(how, data)
                if expected is not None and read != expected:
                    problems.append(f"load {load_id} {path}: rows_read {read} but the file "
                                    f"has {expected} data rows")
    if code == 0 and case.argv and case.argv[0] in ("ingest", "load"):
        for rel in case.recount:
            if rel.count("!") < MAX_ZIP_DEPTH and _absolute(rel, folder) not in new_paths:
                problems.append(f"exit 0 but no load for {rel}")
    return problems


def _relative(path: str, folder: Path) -> str:
    prefix = f"{folder}/"
    return path[len(prefix):] if path.startswith(prefix) else path


def _absolute(rel: str, folder: Path) -> str:
    return f"{folder}/{rel}"


def _run_cli(case: Case, folder: Path, store: Path) -> Result:
    argv = _argv(case, folder, store)
    problems: list[str] = []
    detail = ""
    code: int | None = None
    outcome = "loaded"
    for _ in range(2 if case.rerun else 1):
        since = _max_load_id(store)
        code, out, err = _cli(argv)
        detail = f"$ commsafe {' '.join(argv)}\n--- stdout\n{out[-2000:]}\n--- stderr\n{err}"
        if code is None or TRACEBACK in out or TRACEBACK in err:
            return Result(case, "traceback", code, detail, problems)
        if code not in (0, 1, 2):
            return Result(case, "bad_exit", code, detail, [f"exit status {code}"])
        if code != 0:
            outcome = "clean_error"
            errors = [ln for ln in err.replace("\n", "").split("error:")[1:]] or [err]
            if case.argv[0] == "ingest" and code == 1:
                unnamed = [e for e in errors if not _names_ok(e, folder, case.names)]
            else:
                unnamed = [] if _names_ok(err, folder, case.names) else [err]
            if unnamed:
                return Result(case, "unnamed_error", code, detail,
                              [f"the message names none of {', '.join(case.names)}: "
                               f"{unnamed[0][:300]!r}"])
        elif outcome != "clean_error":
            outcome = "loaded"
        problems += check_accounting(case, folder, store, since, code)
        if problems:
            return Result(case, "accounting", code, detail, problems)
    return Result(case, outcome, code, detail, problems)


def _run_reader(case: Case, folder: Path) -> Result:
    from commsafe.errors import CommsafeError

    path = folder / case.target
    detail = f"{case.call}({path})"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if case.call == "spec":
                from commsafe.spec import load_spec

                load_spec(path)
                return Result(case, "loaded", 0, detail)
            from commsafe.sources import registers

            reader = (registers.read_recommendations if case.call == "recommendations"
                      else registers.read_interventions)
            entries = len(reader(path))
        except CommsafeError as exc:
            message = str(exc)
            if TRACEBACK in message:
                return Result(case, "traceback", 2, f"{detail}\n{message}")
            if not _names_ok(message, folder, case.names):
                return Result(case, "unnamed_error", 2, f"{detail}\n{message}",
                              [f"the message names none of {', '.join(case.names)}"])
            return Result(case, "clean_error", 2, f"{detail}\n{message}")
        except Exception:
            return Result(case, "traceback", None, f"{detail}\n{traceback.format_exc()}")
    expected = recount(*case.recount[case.target]) if case.target in case.recount else None
    if expected is not None and entries != expected:
        return Result(case, "accounting", 0, detail,
                      [f"{entries} entries read but the file has {expected} non-blank rows"])
    return Result(case, "loaded", 0, detail)


def run_case(case: Case, root: Path, store: Path) -> Result:
    """Write the case under ``root`` and run it against the store at ``store``."""
    folder = write_case(case, root / f"{case.kind}-{case.seed}")
    try:
        if case.call == "cli":
            return _run_cli(case, folder, store)
        return _run_reader(case, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
