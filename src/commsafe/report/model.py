"""The assessment document as data: what the HTML, PDF and Word writers lay out.

The build (:mod:`commsafe.report.assemble`) computes every number and sentence and places them
in a :class:`Document`; the writers (:mod:`commsafe.report.html`, :mod:`commsafe.report.docx`)
only lay it out, so the three formats say the same thing. Every value here is already
formatted text (disclosure control already applied): writers never format numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from commsafe.findings import Finding

__all__ = [
    "Block",
    "Bullets",
    "Document",
    "Figure",
    "Finding",
    "Paragraph",
    "Section",
    "Status",
    "Table",
]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text (never markup). ``style`` is ``"body"``, ``"note"`` (small,
    for caveats) or ``"lead"`` (a summary paragraph shown larger)."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Status:
    """An on/off-track indicator row, shown as a coloured badge beside its text."""

    indicator: str
    target: str
    value: str
    status: str  # "on track" | "off track" | "no data"
    detail: str = ""


@dataclass(frozen=True)
class Table:
    """A table: ``columns`` are header labels, ``rows`` are formatted cells (strings).
    ``id`` is unique in the document (``table-3``); ``number`` is shown in the caption
    ("Table 3: …"). ``numeric`` marks columns to right-align. ``levels`` (optional) gives
    each row an indent level (the hierarchy), ``emphasis`` the rows to show bold (totals)."""

    id: str
    number: int
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    levels: tuple[int, ...] = ()
    emphasis: tuple[bool, ...] = ()
    notes: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Figure:
    """A figure: ``png`` (print resolution) and ``svg`` paths relative to the build folder,
    ``alt`` a text alternative."""

    id: str
    number: int
    caption: str
    png: Path
    svg: Path | None = None
    alt: str = ""
    source: str = ""


Block = Paragraph | Bullets | Finding | Status | Table | Figure


@dataclass
class Section:
    """A heading (``level`` 1 = chapter, 2, 3) with its blocks and sub-sections.
    ``id`` is the HTML anchor and PDF/Word bookmark name."""

    id: str
    title: str
    level: int = 1
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    appendix: bool = False

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self

    def sub(self, id: str, title: str) -> Section:
        child = Section(id=id, title=title, level=self.level + 1, appendix=self.appendix)
        self.children.append(child)
        return child

    def walk(self) -> list[Section]:
        """This section and every section below it, in document order."""
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out


@dataclass
class Document:
    """The whole assessment. ``details`` is the document-details table (label, value)."""

    title: str
    subtitle: str
    details: Sequence[tuple[str, str]]
    sections: list[Section] = field(default_factory=list)
    kind: str = "assessment"  # or "monitoring"
    footer: str = ""

    def walk(self) -> list[Section]:
        out: list[Section] = []
        for s in self.sections:
            out.extend(s.walk())
        return out

    def tables(self) -> list[Table]:
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Figure)]

    def findings(self) -> list[Finding]:
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Finding)]
