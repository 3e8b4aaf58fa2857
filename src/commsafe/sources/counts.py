"""Reader for aggregated counts tables: what many analysts are handed instead of records.

A counts file is CSV or XLSX with columns ``category``, ``period`` and ``count`` and
optionally ``area`` (header names are matched case-insensitively; other columns are ignored).
Periods are labels commsafe understands: ``2018/19`` (financial year), ``2024`` (calendar
year), ``2024 Q1`` (quarter), ``2024/25 Q1`` (financial quarter),
``12 months to 2024-03``; ``--period-kind academic_year`` reads ``2023/24`` as an academic year.

Errors name the file, line, column and value, and say how to fix it. Unknown categories are
kept (the performance table flags them "not in hierarchy").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from commsafe import periods
from commsafe.errors import FileFormatError, InputError, where
from commsafe.sources.files import parse_count, table_rows

__all__ = ["CountsTable", "read_counts"]

REQUIRED = ("category", "period", "count")


@dataclass(frozen=True)
class CountsTable:
    """Rows of (area, category, period, count) with each period parsed."""

    path: Path
    frame: pd.DataFrame  # columns: area, category, period, kind, start, count, line
    period_kind: str

    def periods(self) -> list[periods.Period]:
        seen: dict[str, periods.Period] = {}
        for label in self.frame["period"].unique():
            seen[label] = periods.parse_period(self.period_kind, label)
        return sorted(seen.values(), key=lambda p: p.start)


def _count(text: str, path: Path, line: int) -> int:
    try:
        return parse_count(text)
    except ValueError as exc:
        raise InputError(
            f"{where(path, line, 'count', text)}: {exc}. A count is a whole number ≥ 0 of "
            "events (e.g. 1234 or 1,234); fix the cell."
        ) from None


def read_counts(path: Path | str, *, period_kind: str | None = None) -> CountsTable:
    """Read and check a counts file. Raises FileFormatError/InputError with a fix."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file. Check the path given to --counts.")
    header, rows = table_rows(p, header_hint="category, period, count")
    index = {h.strip().lower(): i for i, h in enumerate(header)}
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise FileFormatError(
            f"{where(p, 1)}: missing column(s) {', '.join(missing)} (the header is "
            f"{', '.join(h for h in header if h)}). A counts file needs the columns "
            "category, period, count and optionally area."
        )
    if not rows:
        raise FileFormatError(f"{p}: the file has a header but no rows of counts.")
    area_i = index.get("area")
    kinds: set[str] = set()
    records = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, fields in rows:
        def cell(name: str, fields: list[str] = fields) -> str:
            i = index[name]
            return fields[i].strip() if i < len(fields) else ""

        category, label = cell("category"), cell("period")
        area = fields[area_i].strip() if area_i is not None and area_i < len(fields) else ""
        if not category:
            raise InputError(f"{where(p, line, 'category')}: empty. Give the crime type or "
                             "group the count is for.")
        kind = period_kind or _kind_of(label, p, line)
        try:
            period = periods.parse_period(kind, label)
        except InputError as exc:
            raise InputError(f"{where(p, line, 'period', label)}: {exc}") from None
        key = (area, category, period.label)
        if key in seen:
            raise InputError(
                f"{p}: lines {seen[key]} and {line} both give the count for "
                f"{category!r} in {period.label}{' in ' + area if area else ''}. "
                "Keep one of them (or add an area column if they are different areas)."
            )
        seen[key] = line
        kinds.add(period.kind)
        records.append({"area": area, "category": category, "period": period.label,
                        "kind": period.kind, "start": period.start,
                        "count": _count(cell("count"), p, line), "line": line})
    if len(kinds) > 1:
        raise InputError(
            f"{p}: periods of different kinds ({', '.join(sorted(kinds))}) in one file. "
            "Use one kind of period per file (e.g. all financial years)."
        )
    return CountsTable(p, pd.DataFrame.from_records(records), kinds.pop())


_FORMS = ("financial year '2018/19', calendar year '2024', quarter '2024 Q1', "
          "financial quarter '2024/25 Q1', rolling '12 months to 2024-03'")


def _kind_of(label: str, path: Path, line: int) -> str:
    try:
        return periods.parse_period_range(label)[0].kind
    except InputError:
        raise InputError(
            f"{where(path, line, 'period', label)}: not a period commsafe can read. "
            f"Accepted forms: {_FORMS}."
        ) from None
