"""One exception tree for commsafe.

Every message says what went wrong, where (file, line, column, value) and how to fix it.
The CLI prints ``str(error)`` and exits non-zero; it never shows a traceback for these.

    CommsafeError
    ├── StoreError                 the DuckDB store cannot be used
    │   ├── StoreInUseError        another process holds the write lock
    │   ├── NotAStoreError         the file is not a DuckDB database
    │   └── SchemaVersionError     the store was written by a newer commsafe
    ├── InputError                 a file or argument the user gave is wrong
    │   ├── FileFormatError        a file cannot be read as the format expected
    │   └── ConflictError          two inputs claim the same thing (e.g. one force-month)
    ├── ReferenceDataError         lookups/boundaries/population missing or malformed
    ├── QueryError                 a --where/--by expression that cannot run
    └── FetchError                 downloading data failed
"""

from __future__ import annotations

__all__ = [
    "CommsafeError",
    "ConflictError",
    "FetchError",
    "FileFormatError",
    "InputError",
    "NotAStoreError",
    "QueryError",
    "ReferenceDataError",
    "SchemaVersionError",
    "StoreError",
    "StoreInUseError",
    "where",
]


class CommsafeError(Exception):
    """Base of every error commsafe raises on purpose."""


class StoreError(CommsafeError):
    pass


class StoreInUseError(StoreError):
    """The store file is locked by another process (``holder_text`` names it)."""

    holder_text: str = "another process"


class NotAStoreError(StoreError):
    pass


class SchemaVersionError(StoreError):
    pass


class InputError(CommsafeError):
    pass


class FileFormatError(InputError):
    pass


class ConflictError(InputError):
    pass


class ReferenceDataError(CommsafeError):
    pass


class QueryError(CommsafeError):
    pass


class FetchError(CommsafeError):
    pass


def where(path: object, line: int | None = None, column: str | None = None,
          value: object = None) -> str:
    """Format a location as ``file line N, column 'C', value 'V'`` for messages."""
    parts = [str(path)]
    if line is not None:
        parts.append(f"line {line}")
    if column is not None:
        parts.append(f"column '{column}'")
    if value is not None:
        shown = str(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        parts.append(f"value {shown!r}")
    return ", ".join(parts)
