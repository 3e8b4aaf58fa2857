"""The assessment as one self-contained HTML5 page (and the page the PDF writer prints).

:func:`render_html` lays out a :class:`~commsafe.report.model.Document` with the Jinja2
template ``templates/assessment.html.j2``; the stylesheet ``templates/assessment.css`` is
inlined in a ``<style>`` element, so the page needs nothing from the network (no CDN, no web
fonts). Every string from the model is escaped (``autoescape=True``): text is never trusted as
markup. Figures are ``<img>`` elements whose ``src`` is the figure's PNG path relative to the
build folder, where ``assessment.html`` is written.

Layout rules the template relies on (computed here, not in the template):

* consecutive :class:`Finding` blocks become one ``<ul class="findings">`` and consecutive
  :class:`Status` blocks one indicator table (Indicator | Target | Latest | Status);
* a finding's ``cite`` is looked up among the document's tables and figures by id and shown
  as "(see Table 3)" linking to ``#table-3``; nothing is shown when it is empty or unknown;
* the contents lists every section down to :data:`CONTENTS_DEPTH`;
* tables with :data:`WIDE_TABLE_COLUMNS` columns or more are set smaller, and tables with at
  most :data:`SHORT_TABLE_ROWS` rows are kept on one page in print.

``for_print=True`` is the variant the PDF writer renders: it adds the running footer element
(the page footer text, placed by CSS ``position: running(footer)``) and page numbers in the
contents (CSS ``target-counter``). Both variants say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePath
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from commsafe.report.model import (
    Block,
    Bullets,
    Document,
    Figure,
    Finding,
    Paragraph,
    Status,
    Table,
)

__all__ = ["CONTENTS_DEPTH", "SHORT_TABLE_ROWS", "WIDE_TABLE_COLUMNS", "render_html", "write_html"]

#: Deepest section level listed in the contents.
CONTENTS_DEPTH = 3
#: Tables with at least this many columns are set in a smaller type (8pt in print).
WIDE_TABLE_COLUMNS = 7
#: Tables with at most this many rows are kept on one page in print.
SHORT_TABLE_ROWS = 15

TEMPLATE = "assessment.html.j2"
STYLESHEET = "assessment.css"

_PARAGRAPH_STYLES = frozenset({"body", "lead", "note"})
_STATUS_CLASSES = {"on track": "on-track", "off track": "off-track", "no data": "no-data"}
_MAX_INDENT = 6
_NOT_CLASS = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class Run:
    """Blocks of one section laid out together: ``kind`` is ``paragraph``, ``bullets``,
    ``findings``, ``statuses``, ``table`` or ``figure``; ``findings`` and ``statuses`` runs
    hold every consecutive block of that type, the others exactly one block."""

    kind: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Citation:
    """Where a finding's ``cite`` points: ``href`` ``#table-3`` and ``label`` ``Table 3``."""

    href: str
    label: str


def runs(blocks: Sequence[Block]) -> list[Run]:
    """Group a section's blocks for layout (consecutive findings/statuses together)."""
    out: list[Run] = []
    for block in blocks:
        kind = _kind(block)
        if kind in ("findings", "statuses") and out and out[-1].kind == kind:
            out[-1] = Run(kind, (*out[-1].blocks, block))
        else:
            out.append(Run(kind, (block,)))
    return out


def _kind(block: Block) -> str:
    if isinstance(block, Paragraph):
        return "paragraph"
    if isinstance(block, Bullets):
        return "bullets"
    if isinstance(block, Finding):
        return "findings"
    if isinstance(block, Status):
        return "statuses"
    if isinstance(block, Table):
        return "table"
    if isinstance(block, Figure):
        return "figure"
    raise TypeError(f"not a report block: {type(block).__name__}")


def citations(document: Document) -> dict[str, Citation]:
    """Every table and figure id in ``document`` with its link and label."""
    out: dict[str, Citation] = {}
    for table in document.tables():
        out[table.id] = Citation(f"#{table.id}", f"Table {table.number}")
    for figure in document.figures():
        out[figure.id] = Citation(f"#{figure.id}", f"Figure {figure.number}")
    return out


def _paragraph_class(style: str) -> str:
    return style if style in _PARAGRAPH_STYLES else "body"


def _status_class(status: str) -> str:
    return _STATUS_CLASSES.get(status.strip().lower(), "no-data")


def _css_class(word: str) -> str:
    """A model word (a finding's kind) as one safe class-name token."""
    return _NOT_CLASS.sub("-", word.strip().lower()).strip("-") or "other"


def _heading_level(level: int) -> int:
    return min(max(level, 1), 4)


def _image_src(figure: Figure) -> str:
    """The figure's PNG path as a relative URL (``figures/x.png``), percent-encoded."""
    return quote(PurePath(figure.png).as_posix(), safe="/")


def _cell_flag(flags: tuple[bool, ...], index: int) -> bool:
    return index < len(flags) and bool(flags[index])


def _row_level(table: Table, index: int) -> int:
    level = table.levels[index] if index < len(table.levels) else 0
    return min(max(int(level), 0), _MAX_INDENT)


def _cell_class(table: Table, row: int, column: int) -> str:
    """Classes of one body cell: ``num`` (right-aligned) and, on a row's first cell,
    ``indent-N`` for its level in the hierarchy."""
    classes = []
    if _cell_flag(table.numeric, column):
        classes.append("num")
    if column == 0 and (level := _row_level(table, row)):
        classes.append(f"indent-{level}")
    return " ".join(classes)


def _block_class(table: Table) -> str:
    """Classes of a table's block: ``wide`` (small type) and ``short`` (kept on one page)."""
    classes = ["table-block"]
    if len(table.columns) >= WIDE_TABLE_COLUMNS:
        classes.append("wide")
    if len(table.rows) <= SHORT_TABLE_ROWS:
        classes.append("short")
    return " ".join(classes)


_UNBROKEN = re.compile(r"[^\s/\-]{60,}")
"""A run of 60+ characters with no space, slash or hyphen (where a line may break anyway): no
word, number, code or slug is this long, but a name can be (hostile data, a paste gone wrong),
and a printed page cannot wrap it."""


def _breakable(value: object) -> object:
    """Every value a template prints, before escaping: a zero-width space after every 30
    characters of an over-long run, so the PDF can wrap it instead of running off the page.
    Links, paths and slugs have slashes or hyphens, so they are left as they are."""
    if isinstance(value, str) and not isinstance(value, Markup) and _UNBROKEN.search(value):
        return _UNBROKEN.sub(
            lambda m: "\u200b".join(m.group(0)[i:i + 30]
                                     for i in range(0, len(m.group(0)), 30)), value)
    return value


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("commsafe.report", "templates"),
        autoescape=True,
        finalize=_breakable,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        runs=runs,
        paragraph_class=_paragraph_class,
        status_class=_status_class,
        css_class=_css_class,
        heading_level=_heading_level,
        image_src=_image_src,
        cell_flag=_cell_flag,
        cell_class=_cell_class,
        block_class=_block_class,
        contents_depth=CONTENTS_DEPTH,
        short_table_rows=SHORT_TABLE_ROWS,
    )
    return env


@lru_cache(maxsize=1)
def _stylesheet() -> Markup:
    """The stylesheet, trusted (it is ours, not data) so it is inlined unescaped."""
    env = _environment()
    assert env.loader is not None
    css, _, _ = env.loader.get_source(env, STYLESHEET)
    if "</" in css:
        raise ValueError(f"{STYLESHEET} must not contain '</' (it is inlined in <style>)")
    return Markup(css)


def render_html(document: Document, *, for_print: bool = False) -> str:
    """``document`` as a complete HTML5 page with its stylesheet inlined.

    ``for_print`` renders the variant the PDF writer prints (running footer element, page
    numbers in the contents)."""
    template = _environment().get_template(TEMPLATE)
    return template.render(
        document=document,
        for_print=for_print,
        css=_stylesheet(),
        cites=citations(document),
        main_sections=[s for s in document.sections if not s.appendix],
        appendix_sections=[s for s in document.sections if s.appendix],
    )


def write_html(document: Document, path: Path | str) -> Path:
    """Write :func:`render_html` of ``document`` to ``path`` (UTF-8); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(document), encoding="utf-8")
    return out
