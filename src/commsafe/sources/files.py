"""Finding input files: single files, folders (recursively) and .zip archives (nested too)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from commsafe.errors import InputError

__all__ = ["InputFile", "Skipped", "find_inputs"]

MAX_ZIP_DEPTH = 3


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


def _file_reader(p: Path) -> Callable[[], bytes]:
    return p.read_bytes


def _member_reader(archive: bytes | Path, member: str) -> Callable[[], bytes]:
    def read() -> bytes:
        src = io.BytesIO(archive) if isinstance(archive, bytes) else archive
        with zipfile.ZipFile(src) as zf:
            return zf.read(member)
    return read


def _walk_zip(display: str, source: bytes | Path, depth: int,
              found: list[InputFile], skipped: list[Skipped]) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except zipfile.BadZipFile:
        raise InputError(
            f"{display}: not a readable zip archive (it may be truncated). "
            "Download it again, or unzip it and give the folder."
        ) from None
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
                                       _member_reader(source, info.filename)))
            elif lower.endswith(".zip"):
                if depth >= MAX_ZIP_DEPTH:
                    skipped.append(Skipped(inner, f"zip nested more than {MAX_ZIP_DEPTH} deep"))
                else:
                    _walk_zip(inner, zf.read(info.filename), depth + 1, found, skipped)
            else:
                skipped.append(Skipped(inner, "not a CSV file"))


def find_inputs(paths: Iterable[Path | str]) -> tuple[list[InputFile], list[Skipped]]:
    """Every CSV under ``paths`` in a stable order, and what was passed over and why.

    Raises InputError for a path that does not exist, a broken zip, or a folder with no CSVs.
    """
    found: list[InputFile] = []
    skipped: list[Skipped] = []
    for given in paths:
        p = Path(given)
        if not p.exists():
            raise InputError(f"{p}: no such file or folder. Check the path.")
        if p.is_dir():
            before = len(found)
            for f in sorted(q for q in p.rglob("*") if q.is_file()):
                low = f.name.lower()
                if f.name.startswith("."):
                    continue
                if low.endswith(".csv"):
                    found.append(InputFile(str(f), f.name, _file_reader(f)))
                elif low.endswith(".zip"):
                    _walk_zip(str(f), f, 1, found, skipped)
                else:
                    skipped.append(Skipped(str(f), "not a CSV file"))
            if len(found) == before:
                raise InputError(
                    f"{p}: no CSV files in this folder (or its sub-folders). Give the folder "
                    "that holds the YYYY-MM folders of a data.police.uk download."
                )
        elif p.suffix.lower() == ".zip":
            _walk_zip(str(p), p, 1, found, skipped)
        else:
            found.append(InputFile(str(p), p.name, _file_reader(p)))
    return found, skipped
