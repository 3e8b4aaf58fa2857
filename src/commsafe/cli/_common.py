"""The app, its sub-apps, shared options and the helpers commands share."""


from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import errors as rich_errors
from rich.console import Console, HighlighterType, JustifyMethod, OverflowMethod
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.style import Style
from rich.table import Table
from rich.text import Text

from commsafe import __version__
from commsafe.errors import CommsafeError

app = typer.Typer(
    name="commsafe",
    help="Community safety strategic assessments from police.uk and partner data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
reference_app = typer.Typer(help="Load geography lookups, boundaries and population.",
                            no_args_is_help=True)
fetch_app = typer.Typer(help="Download police.uk data or the real sample data.",
                        no_args_is_help=True)
table_app = typer.Typer(help="Measure tables: performance, rates, areas, vulnerable locations, "
                             "cross-tabulations.",
                        no_args_is_help=True)
app.add_typer(reference_app, name="reference")
app.add_typer(fetch_app, name="fetch")
chart_app = typer.Typer(help="Charts (PNG and SVG) in the house style.", no_args_is_help=True)
map_app = typer.Typer(help="Static maps (PNG and SVG) for the document.", no_args_is_help=True)
app.add_typer(table_app, name="table")
app.add_typer(chart_app, name="chart")
app.add_typer(map_app, name="map")

# A markup tag as Rich reads one, with the backslashes before it (an odd number escapes it).
_TAG = re.compile(r"(\\*)\[([a-z#/@][^\[]*?)]")


class _Console(Console):
    """A Console on which user data cannot act as markup, wherever it is printed from.

    Commands should still print data with :func:`rich.markup.escape` or as
    :class:`rich.text.Text`; as a safety net, a markup string's tags that are not styles
    (``[partnership]``, a ward ``[E05000123]``) are shown as written instead of vanishing,
    and a closing tag that closes nothing (a crime type ``[/bold]``) is shown instead of
    raising MarkupError: a traceback for a file or a value with brackets in it."""

    def _guard(self, text: str) -> str:
        if "[" not in text:
            return text
        open_tags: list[str] = []

        def fix(m: re.Match[str]) -> str:
            slashes, tag = m.group(1), m.group(2)
            if len(slashes) % 2:  # already escaped
                return m.group(0)
            if tag.startswith("/"):
                name = Style.normalize(tag[1:].strip())
                if name and name in open_tags:
                    del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name)]
                    return m.group(0)
                if not name and open_tags:
                    open_tags.pop()
                    return m.group(0)
            else:
                name, equals, params = tag.partition("=")
                try:
                    self.get_style(f"{name} {params}" if equals else name)
                except rich_errors.MissingStyle:
                    pass
                else:
                    open_tags.append(Style.normalize(name))
                    return m.group(0)
            return f"{slashes}\\[{tag}]"  # shown as written

        return _TAG.sub(fix, text)

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: HighlighterType | None = None,
    ) -> Text:
        if markup or (markup is None and self._markup):
            text = self._guard(text)
        try:
            return super().render_str(text, style=style, justify=justify, overflow=overflow,
                                      emoji=emoji, markup=markup, highlight=highlight,
                                      highlighter=highlighter)
        except rich_errors.MarkupError:  # not expected after _guard: show the text as is
            return super().render_str(text, style=style, justify=justify, overflow=overflow,
                                      emoji=emoji, markup=False, highlight=highlight,
                                      highlighter=highlighter)


# Piped or captured output is not squeezed to 80 columns: tables stay readable in logs.
# No emoji codes: a value holding ':fire:' is printed as written.
out = _Console(highlight=False, emoji=False, width=None if sys.stdout.isatty() else 140)
err = _Console(stderr=True, highlight=False, emoji=False,
               width=None if sys.stderr.isatty() else 140)

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", envvar="COMMSAFE_STORE",
                 help="The DuckDB store file (default ./commsafe.duckdb).", show_default=False),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or summaries.")]
CategoryOpt = Annotated[list[str] | None, typer.Option(
    help="police.uk crime type(s); repeat for several (default: all crime).")]
IncludeAsbOpt = Annotated[bool, typer.Option("--include-asb", help="Count ASB beside crime.")]
AsbOnlyOpt = Annotated[bool, typer.Option("--asb-only", help="Count ASB only.")]


class OutFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    md = "md"
    xlsx = "xlsx"


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


def _store_path(store: Path | None) -> Path:
    from commsafe.store import default_store_path

    return store if store is not None else default_store_path()


@contextmanager
def _progress(quiet: bool, label: str) -> Iterator[Any]:
    if quiet or not err.is_terminal:  # no bars in logs and pipes
        yield None
        return
    progress = Progress(
        TextColumn(f"[bold]{escape(label)}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TextColumn("{task.description}", markup=False), console=err,
        transient=True,
    )
    with progress:
        yield progress


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False,
) -> None:
    if version:
        out.print(f"commsafe {__version__}")
        raise typer.Exit()


def _table(title: str, left: Sequence[str], right: Sequence[str],
           after: Sequence[str] = ()) -> Table:
    """A titled table: text columns ``left``, figures ``right``, then text ``after``.

    Title and headers are plain text, never markup (they can hold data: a period, a value of
    a cross-tabulation); add rows as :class:`rich.text.Text` for the same reason."""
    t = Table(title=Text(title), title_justify="left")
    for c in left:
        t.add_column(Text(c))
    for c in right:
        t.add_column(Text(c), justify="right")
    for c in after:
        t.add_column(Text(c))
    return t


# --- table ---------------------------------------------------------------------------------

AreaOpt = Annotated[str | None, typer.Option(
    "--area", help="Limit to one area: an ONS code or a name (e.g. Cambridge).")]
LevelOpt = Annotated[str | None, typer.Option(
    "--level", help="Level of --area when a name is shared: csp, district, ward, lsoa, pfa.")]
ByOpt = Annotated[str, typer.Option(
    help="Area level: ward, lsoa, lsoa11 (2011 LSOAs), district, csp, pfa.")]
WhereOpt = Annotated[str | None, typer.Option(
    help="SQL condition over the count dimensions, as for 'commsafe counts'.")]
FormatOpt = Annotated[TableFormat, typer.Option("--format", help="Output format.")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Write to this file (needed for xlsx; csv and md go to standard output "
                  "otherwise).")]


def _write_table(frame: Any, fmt: TableFormat, out_path: Path | None, title: str) -> None:
    from commsafe.outputs.tables import (
        format_cell,
        mark_missing_rates,
        to_csv,
        to_markdown,
        to_xlsx,
    )

    notes = list(frame.attrs.get("notes", []))
    attrs = dict(frame.attrs)
    frame = mark_missing_rates(frame)
    frame.attrs.update(attrs)
    if fmt is TableFormat.xlsx:
        if out_path is None:
            raise CommsafeError("--format xlsx needs --out FILE.xlsx (a workbook cannot go to "
                                "the terminal).")
        to_xlsx(frame, out_path, title=title, notes=notes)
        out.print(f"wrote {out_path}", markup=False)
    elif fmt in (TableFormat.csv, TableFormat.md):
        text = (to_csv(frame) if fmt is TableFormat.csv else
                to_markdown(frame, title=title, notes=notes, levels=frame.attrs.get("levels")))
        if out_path is not None:
            out_path.write_text(text, encoding="utf-8")
            out.print(f"wrote {out_path}", markup=False)
        else:
            sys.stdout.write(text)
    else:
        cols = list(frame.columns)
        t = _table(title, cols[:1], cols[1:])
        levels = frame.attrs.get("levels")
        flagged = set(frame.attrs.get("not_in_hierarchy", []))
        for i, row in enumerate(frame.itertuples(index=False)):
            cells = [format_cell(c, v, display=True) for c, v in zip(cols, row, strict=True)]
            if levels is not None:
                cells[0] = "  " * levels[i] + cells[0]
            if cells[0].strip() in flagged:
                cells[0] += " †"
            t.add_row(*(Text(c) for c in cells))
        out.print(t)
    for n in notes:  # on standard error: a CSV on standard output stays clean
        err.print(f"[dim]note:[/dim] {escape(str(n))}", soft_wrap=True)


def _within(st: Any, area: str | None, level: str | None) -> Any:
    from commsafe.reference.areas import find_area

    return find_area(st.con, area, level) if area else None


def _area_level(st: Any, by: str) -> tuple[str, list[str]]:
    """The level to count by and notes: ``lsoa`` falls back to the 2011 LSOAs when no 2021
    LSOA is loaded but events are placed by 2011 LSOAs (announced); a level nothing can be
    placed in (no boundaries or lookup loaded) is a user error naming what to load."""
    from commsafe.measures.rates import level_missing, lsoa_level

    notes: list[str] = []
    if by == "lsoa" and lsoa_level(st) == "lsoa11":
        notes.append("no 2021 LSOAs are loaded: areas are the 2011 LSOAs the events are "
                     "placed by (load lsoa21_boundaries.geojson and "
                     "lookup_lsoa11_lsoa21_ltla22.csv with 'commsafe reference load' for 2021 "
                     "LSOAs)")
        by = "lsoa11"
    why = level_missing(st, by)
    if why:
        raise CommsafeError(f"--by {by}: {why}")
    return by, notes


# --- chart ---------------------------------------------------------------------------------

def _chart_scope(st: Any, area: str | None, level: str | None,
                 where: str | None) -> tuple[Any, str | None]:
    within = _within(st, area, level)
    cond = [f"{within.level} = '{within.code}'"] if within else []
    if where:
        cond.append(f"({where})")
    return within, " AND ".join(cond) or None


def _source_line(st: Any, where: str | None) -> str:
    from commsafe.measures.areas import source_line

    return source_line(st, where)


# --- map -----------------------------------------------------------------------------------

class Scheme(StrEnum):
    quantiles = "quantiles"
    jenks = "jenks"


def _outline(st: Any, within: Any) -> Any:
    """District boundaries inside ``within`` (a CSP or district), or None."""
    from commsafe.spatial.hotspots import district_outline

    return district_outline(st.con, within)


def _ensure_dir(path: Path) -> Path:
    """The output folder, made if needed; a clear error when a file stands in its way."""
    if path.exists() and not path.is_dir():
        raise CommsafeError(f"{path}: is a file, not a folder. Give a folder with --out "
                            "(it is made if missing).")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommsafeError(f"{path}: cannot make this folder ({exc.strerror}). Give "
                            "another one with --out.") from None
    return path

