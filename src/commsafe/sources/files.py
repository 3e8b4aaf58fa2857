"""Finding input files: single files, folders (recursively) and .zip archives (nested too)."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commsafe.errors import InputError

__all__ = ["MAX_CELL", "MAX_COUNT", "InputFile", "Skipped", "csv_line", "find_inputs",
           "parse_count", "table_rows"]

MAX_ZIP_DEPTH = 3
#: the largest count of events a counts or partner file may give (far above any real one;
#: a float64 holds every whole number up to 2**53 exactly)
MAX_COUNT = 10**12
#: the longest cell (characters) any CSV reader takes, on every parser path alike: a closed
#: quoted cell up to this length loads whether or not the file also holds a quoted newline
#: (which sends police.uk files to the csv module); a longer one is refused naming its line.
MAX_CELL = 16 * 1024 * 1024
# The csv module's own limit (128 KiB) is process-wide state; raising it once here, where
# every reader of CSV text imports from, makes all of them agree with the Arrow parser.
csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))


def csv_line(fields: Sequence[str]) -> str:
    """One CSV record as text (for the ``raw`` column of rejects), quoted as needed."""
    buf = io.StringIO()
    # with lineterminator="" a value holding CR or LF would not be quoted (Python 3.11)
    csv.writer(buf, lineterminator="\r\n").writerow(fields)
    return buf.getvalue().removesuffix("\r\n")


@dataclass(frozen=True)
class InputFile:
    """One CSV to read: ``path`` as shown to the user (zip members as ``a.zip!dir/f.csv``)."""

    path: str
    name: str
    read: Callable[[], bytes]


@dataclass(frozen=True)
class Skipped:
    """A file found but not read, with the reason (shown in the ingest summary)."""

    path: str
    reason: str


# What reading a damaged, encrypted or oddly compressed zip member can raise.
_ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError,
                    NotImplementedError, OSError, ValueError)  # ValueError: a corrupt offset


def _file_reader(p: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return p.read_bytes()
        except OSError as exc:
            raise InputError(
                f"{p}: cannot read the file ({exc.strerror or exc}). Check it exists and you "
                "may read it."
            ) from None
    return read


def _read_member(zf: zipfile.ZipFile, member: str, display: str) -> bytes:
    try:
        return zf.read(member)
    except _ZIP_READ_ERRORS as exc:
        raise InputError(
            f"{display}: cannot read this zip member ({exc}); the archive is damaged, "
            "encrypted or uses an unsupported compression. Download it again, or unzip it "
            "with another tool and give the folder."
        ) from None


def _member_reader(archive: bytes | Path, member: str, display: str) -> Callable[[], bytes]:
    def read() -> bytes:
        src = io.BytesIO(archive) if isinstance(archive, bytes) else archive
        try:
            zf = zipfile.ZipFile(src)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise InputError(
                f"{display}: cannot open the zip archive again ({exc}). Download it again."
            ) from None
        with zf:
            return _read_member(zf, member, display)
    return read


def _failing(error: InputError) -> Callable[[], bytes]:
    """A reader that raises ``error``: a file found but unreadable fails on its own, as a
    file, and the files beside it still load."""
    def read() -> bytes:
        raise error
    return read


def _walk_zip(display: str, source: bytes | Path, depth: int,
              found: list[InputFile], skipped: list[Skipped], *, inside: bool = False) -> None:
    """The members of a zip. A broken archive raises InputError when it was given by name;
    found ``inside`` a folder or another zip, it becomes one failing input instead."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        # a damaged central directory runs one member's name into the next header's bytes
        # ("a.csvPK\x01\x02…"): the archive's list of members cannot be trusted
        if any("PK\x01\x02" in i.filename or any(ord(ch) < 32 for ch in i.filename)
               for i in zf.infolist()):
            zf.close()
            raise zipfile.BadZipFile("member names run into other headers")
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        error = InputError(
            f"{display}: not a readable zip archive (it may be truncated). "
            "Download it again, or unzip it and give the folder."
        )
        if not inside:
            raise error from None
        found.append(InputFile(display, display.rsplit("/", 1)[-1], _failing(error)))
        return
    with zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            inner = f"{display}!{info.filename}"
            lower = info.filename.lower()
            base = lower.rsplit("/", 1)[-1]
            if base.startswith(".") or "__macosx/" in lower:
                skipped.append(Skipped(inner, "hidden or system file"))
            elif lower.endswith(".csv"):
                found.append(InputFile(inner, info.filename.rsplit("/", 1)[-1],
                                       _member_reader(source, info.filename, inner)))
            elif lower.endswith(".zip"):
                if depth >= MAX_ZIP_DEPTH:
                    skipped.append(Skipped(inner, f"zip nested more than {MAX_ZIP_DEPTH} deep"))
                else:
                    _walk_zip(inner, _read_member(zf, info.filename, inner), depth + 1,
                              found, skipped, inside=True)
            else:
                skipped.append(Skipped(inner, "not a CSV file"))


def find_inputs(paths: Iterable[Path | str]) -> tuple[list[InputFile], list[Skipped]]:
    """Every CSV under ``paths`` in a stable order, and what was passed over and why.

    Raises InputError for a path that does not exist or is not a regular file, a broken zip
    given by name, or a folder with no CSVs; a broken zip inside a folder (or another zip)
    is one input whose reading fails, so the files beside it still load.
    """
    found: list[InputFile] = []
    skipped: list[Skipped] = []
    for given in paths:
        p = Path(given)
        if not p.exists():
            raise InputError(f"{p}: no such file or folder. Check the path.")
        if p.is_dir():
            before = len(found)
            for f in sorted(q for q in p.rglob("*") if not q.is_dir()):
                low = f.name.lower()
                # hidden files and anything in hidden folders (.git, caches) or __MACOSX,
                # as inside zips
                parts = f.relative_to(p).parts
                if any(part.startswith(".") for part in parts) or "__MACOSX" in parts[:-1]:
                    continue
                if not f.is_file():  # a pipe, socket or device: reading it could hang
                    skipped.append(Skipped(str(f), "not a regular file"))
                elif low.endswith(".csv"):
                    found.append(InputFile(str(f), f.name, _file_reader(f)))
                elif low.endswith(".zip"):
                    _walk_zip(str(f), f, 1, found, skipped, inside=True)
                else:
                    skipped.append(Skipped(str(f), "not a CSV file"))
            if len(found) == before:
                raise InputError(
                    f"{p}: no CSV files in this folder (or its sub-folders). Give the folder "
                    "that holds the YYYY-MM folders of a data.police.uk download."
                )
        elif not p.is_file():
            raise InputError(f"{p}: not a regular file (a pipe, socket or device). Give a "
                             "police.uk CSV, a folder of them or a zip archive.")
        elif p.suffix.lower() == ".zip":
            _walk_zip(str(p), p, 1, found, skipped)
        else:
            found.append(InputFile(str(p), p.name, _file_reader(p)))
    return found, skipped


Rows = list[tuple[int, list[str]]]


def table_rows(path: Path, *, header_hint: str, data: bytes | None = None
               ) -> tuple[list[str], Rows]:
    """The header and the non-blank rows (with the line each starts on) of a CSV or of the
    first sheet of an XLSX workbook, every cell as text. ``header_hint`` says in messages what
    the header should hold. FileFormatError for files that cannot be read."""
    from commsafe.errors import FileFormatError, where

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import pandas as pd

        try:
            frame = pd.read_excel(path, sheet_name=0, header=None, dtype=str,
                                  keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for broken files
            raise FileFormatError(f"{path}: cannot read this workbook ({exc}). Save it as "
                                  f".xlsx (first sheet: {header_hint}) or as CSV.") from None
        if frame.empty:
            raise FileFormatError(f"{path}: the first sheet is empty. It needs a header row "
                                  f"({header_hint}).")
        values = frame.to_numpy().tolist()
        return [str(v) for v in values[0]], [
            (i + 2, [str(v) for v in row]) for i, row in enumerate(values[1:])
            if any(str(v).strip() for v in row)]
    raw = path.read_bytes() if data is None else data
    # UTF-16 (with or without its BOM) puts a NUL beside every ASCII letter of the header
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:1024]:
        raise FileFormatError(f"{where(path, 1)}: NUL bytes: the file is UTF-16 (or another "
                              "two-byte encoding), not UTF-8 text. Save the file as UTF-8 CSV.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileFormatError(f"{where(path, line)}: bytes that are not UTF-8 ({exc.reason}). "
                              "Save the file as UTF-8 CSV.") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _next_record(reader, path)
    if header is None:
        raise FileFormatError(f"{path}: the file is empty. It needs a header row "
                              f"({header_hint}).")
    rows: Rows = []
    prev = reader.line_num
    while (fields := _next_record(reader, path)) is not None:
        start, prev = prev + 1, reader.line_num
        if fields and any(f.strip() for f in fields):
            rows.append((start, fields))
    return header, rows


def _next_record(reader: Any, path: Path) -> list[str] | None:
    """The next record of ``reader`` (None at the end); FileFormatError naming the line for
    what the csv module refuses: a field over MAX_CELL characters, usually the rest of
    the file swallowed by a quote that is never closed."""
    from commsafe.errors import FileFormatError, where

    line = reader.line_num + 1
    try:
        return next(reader, None)  # type: ignore[no-any-return]
    except csv.Error as exc:
        limit = csv.field_size_limit()
        raise FileFormatError(
            f"{where(path, line)}: cannot read the record starting here ({exc}). A cell holds "
            f"more than {limit:,} characters, or a quoted cell lacks its closing quote. "
            "Shorten the cell or fix the quote, and save the file again."
        ) from None



def parse_count(text: str) -> int:
    """A count of events from a cell: a whole number 0 to MAX_COUNT, with thousands commas
    allowed and ``12.0`` read as 12. ValueError saying what is wrong otherwise (``nan``,
    ``inf``, ``1e400``, fractions, negatives and absurdly long numbers are all refused)."""
    from decimal import Decimal, InvalidOperation

    t = text.strip().replace(",", "")
    if len(t) > 40:  # no count needs more; Decimal would read a thousand digits
        raise ValueError(f"too long for a count ({len(t)} characters)")
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a finite number")
    if value != value.to_integral_value():
        raise ValueError("not a whole number")
    if value < 0:
        raise ValueError("negative: counts cannot be below zero")
    if value > MAX_COUNT:
        raise ValueError(f"larger than any count of events (over {MAX_COUNT:,})")
    return int(value)
