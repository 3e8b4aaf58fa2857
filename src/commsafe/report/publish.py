"""Publishing a build's tables and figures: disclosure control, files, workbook, manifest.

Every table an assessment shows goes through :meth:`Publisher.table`, which

1. applies disclosure control (:func:`commsafe.disclosure.suppress`) when the table holds
   counts of a protected category — small counts become "<5" and enough other cells "[c]"
   that no suppressed count can be worked out from the totals;
2. writes the published table to ``data/<name>.csv`` (the same cells as every other format);
3. queues it for ``tables.xlsx`` (one sheet per table, sources in a note);
4. records it for ``manifest.json`` with the query that made it and every published figure;
5. returns the :class:`~commsafe.report.model.Table` the document shows (formatted text).

Figures go through :meth:`Publisher.figure` (PNG + SVG under ``figures/``, recorded too).
Nothing here computes a statistic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from commsafe.disclosure import DisclosureRules, suppress
from commsafe.outputs.manifest import OutputRecord, table_figures
from commsafe.outputs.tables import format_cell, to_csv
from commsafe.outputs.workbook import WorkbookTable
from commsafe.report import forked
from commsafe.report.model import Figure, Table

__all__ = ["Publisher", "disclose", "slug"]

#: the subject column added to an area table while it is suppressed (dropped after)
_SUBJECT = "__subject__"
_ALL_AREAS = "__all areas__"


def slug(text: str) -> str:
    """A file-name-safe lower-case id: 'Cambridge City CSP' → 'cambridge-city-csp'."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "assessment"


def disclose(frame: pd.DataFrame, rules: DisclosureRules, *, value_columns: Sequence[str],
             category_column: str | None = None, subject: str | None = None,
             total_rows: Sequence[str] = (),
             derived: Mapping[str, Sequence[str]] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The table as published, and the disclosure notes (none when nothing is protected).

    A table by category names its ``category_column`` (protection decided per row, rows in
    ``total_rows`` being totals of the others). A table by area gives the ``subject`` it counts
    (e.g. "Domestic abuse"); when that is protected, its areas' counts are suppressed with the
    sum of the column treated as a published total (the area's total appears elsewhere in the
    document), so one hidden area cannot be recovered by subtraction. Columns in
    ``value_columns`` that hold blanks (periods without data) are left as they are.
    """
    counts = [c for c in value_columns if c in frame.columns and frame[c].notna().all()]
    if not counts or frame.empty:
        return frame, []
    if category_column is not None:
        if not any(rules.is_protected(c) for c in frame[category_column]):
            return frame, []
        work = frame.reset_index(drop=True)
        result = suppress(work, value_columns=counts, category_column=category_column,
                          total_rows=[t for t in total_rows
                                      if t in set(work[category_column])],
                          derived=_derived(derived, work), rules=rules)
        return result.frame, _notes(result.suppressed, result.notes)
    if subject is None or not rules.is_protected(subject):
        return frame, []
    work = frame.reset_index(drop=True).copy()
    work[_SUBJECT] = subject
    total = {c: int(work[c].sum()) for c in counts}
    total_row = pd.DataFrame([{**dict.fromkeys(work.columns), **total, _SUBJECT: _ALL_AREAS}])
    work = pd.concat([work, total_row.astype(object)], ignore_index=True)
    for c in counts:
        work[c] = work[c].astype("int64")
    result = suppress(work, value_columns=counts, category_column=_SUBJECT,
                      total_rows=[_ALL_AREAS], derived=_derived(derived, work), rules=rules)
    published = result.frame.iloc[:-1].drop(columns=[_SUBJECT])
    return published, _notes(result.suppressed, result.notes)


def _derived(derived: Mapping[str, Sequence[str]] | None, frame: pd.DataFrame
             ) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for column, inputs in (derived or {}).items():
        keep = [i for i in inputs if i in frame.columns]
        if column in frame.columns and keep:
            out[column] = keep
    return out


def _notes(suppressed: set[Any], notes: list[str]) -> list[str]:
    return notes if suppressed else []


class Publisher:
    """Writes a build's tables (``data/*.csv``) and figures (``figures/*``) under ``root``
    and keeps what the workbook and manifest need; numbers tables and figures in order."""

    def __init__(self, root: Path, rules: DisclosureRules, *, workers: int = 0) -> None:
        """``workers`` > 0 draws figures in that many forked processes beside the build
        (matplotlib is CPU-bound and single-threaded); :meth:`wait` collects them."""
        self.root = root
        self.rules = rules
        self.workers = workers if forked.can_fork() else 0
        self._running: list[tuple[Any, Path]] = []
        self.workbook: list[WorkbookTable] = []
        self.records: list[OutputRecord] = []
        self.tables: list[Table] = []
        self.figures: list[Figure] = []
        (root / "data").mkdir(parents=True, exist_ok=True)
        (root / "figures").mkdir(parents=True, exist_ok=True)

    def table(self, name: str, frame: pd.DataFrame, *, title: str, keys: Sequence[str],
              query: Mapping[str, Any], labels: Mapping[str, str] | None = None,
              notes: Sequence[str] = (), source: str = "",
              value_columns: Sequence[str] = (), category_column: str | None = None,
              subject: str | None = None, total_rows: Sequence[str] = (),
              derived: Mapping[str, Sequence[str]] | None = None,
              levels: Sequence[int] = (), emphasis: Sequence[bool] = (),
              show: Sequence[str] | None = None, max_rows: int | None = None) -> Table:
        """Publish ``frame`` as ``data/<name>.csv`` and a workbook sheet; return the document
        table (columns ``show`` or all, relabelled by ``labels``; the first ``max_rows``)."""
        published, disclosure_notes = disclose(
            frame, self.rules, value_columns=value_columns, category_column=category_column,
            subject=subject, total_rows=total_rows, derived=derived)
        all_notes = [*notes, *disclosure_notes]
        path = Path("data") / f"{name}.csv"
        (self.root / path).write_text(to_csv(published), encoding="utf-8", newline="")
        self.records.append(OutputRecord(path.as_posix(), "table", dict(query),
                                         table_figures(published, list(keys))))
        self.workbook.append(WorkbookTable(name=name, frame=published, title=title,
                                           notes=all_notes, sources=[source] if source else []))
        shown = list(show) if show is not None else [str(c) for c in published.columns]
        rows = published[shown] if max_rows is None else published[shown].head(max_rows)
        labels = labels or {}
        numeric = tuple(c in value_columns or c in (derived or {}) or (
            c not in keys and pd.api.types.is_numeric_dtype(frame[c])) for c in shown)
        source = source.removeprefix("Source: ")
        n = len(self.tables) + 1
        table = Table(
            id=f"table-{n}", number=n, caption=title,
            columns=tuple(labels.get(c, c) for c in shown),
            rows=tuple(tuple(format_cell(c, v, display=True) for c, v in
                             zip(shown, r, strict=True))
                       for r in rows.itertuples(index=False, name=None)),
            numeric=numeric, levels=tuple(levels[: len(rows)]),
            emphasis=tuple(emphasis[: len(rows)]),
            notes=tuple(all_notes) + ((f"The first {max_rows} of {len(published)} rows; all "
                                       f"are in {path.as_posix()} and tables.xlsx.",)
                                      if max_rows is not None and len(published) > max_rows
                                      else ()),
            source=source,
        )
        self.tables.append(table)
        return table

    def figure(self, name: str, draw: Callable[[Path], Sequence[Path]], *, caption: str,
               alt: str, query: Mapping[str, Any], source: str = "") -> Figure:
        """Draw a figure with ``draw(out_stem)`` (which writes ``<stem>.png`` and ``.svg``)."""
        source = source.removeprefix("Source: ")
        stem = self.root / "figures" / name
        if self.workers:
            paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
            self._start(draw, stem)
        else:
            paths = [Path(p) for p in draw(stem)]
        for p in paths:
            self.records.append(OutputRecord(p.relative_to(self.root).as_posix(), "figure",
                                             dict(query)))
        png = next(p for p in paths if p.suffix == ".png")
        svg = next((p for p in paths if p.suffix == ".svg"), None)
        n = len(self.figures) + 1
        fig = Figure(id=f"figure-{n}", number=n, caption=caption,
                     png=png.relative_to(self.root),
                     svg=svg.relative_to(self.root) if svg else None, alt=alt, source=source)
        self.figures.append(fig)
        return fig

    def _start(self, draw: Callable[[Path], Sequence[Path]], stem: Path) -> None:
        while len(self._running) >= self.workers:
            self._join(0)
        self._running.append((forked.start(_draw_both, draw, stem,
                                           marker=stem.with_suffix(".failed")), stem))

    def _join(self, index: int) -> None:
        proc, stem = self._running.pop(index)
        try:
            forked.finish(proc, stem.with_suffix(".failed"),
                          f"figure {stem.name} could not be drawn")
        except BaseException:
            self.wait()
            raise

    def wait(self) -> None:
        """Wait for every figure being drawn; raise if one failed."""
        while self._running:
            self._join(0)


def _draw_both(draw: Callable[[Path], Sequence[Path]], stem: Path) -> None:
    written = {Path(p).suffix for p in draw(stem)}
    if not {".png", ".svg"} <= written:
        raise RuntimeError(f"wrote {sorted(written)}, not a PNG and an SVG")
