"""The assessment as an editable Word document (.docx), laid out from :class:`~.model.Document`.

Analysts finish the narrative in Word, so this writer produces a *proper* Word document rather
than a picture of one: real built-in styles ("Title", "Heading 1/2/3", "List Bullet",
"Caption", plus a few named styles of our own — "Lead", "Note", "Table Text", "Table Note" —
so a restyle is one edit), a real table-of-contents field, real SEQ fields in captions, real
tables with a repeating header row, bookmarks on headings and captions, and PAGE / NUMPAGES
fields in the footer. Like the other writers it only lays out: every value in the model is
already-formatted text, and nothing here formats a number.

Layout: A4 portrait, 2 cm margins, Arial 10.5 pt (UK English proofing). A title page (title,
subtitle, document-details table), a contents page (TOC field, filled in by Word: it offers to
update fields on open), then the sections in order. Tables are 9 pt, full width, autofit, with
preferred column widths from their content; captions sit above tables and below figures
(figures are placed 16 cm wide). Consecutive :class:`~.model.Status` blocks become one small
table (Indicator, Target, Latest, Status) with the status word in bold colour.

Captions carry the model's numbers as the SEQ field results, and findings cite them as text
("(see Table 3)", linked to the caption's bookmark). When Word updates fields it renumbers SEQ
fields in document order, so the model's numbers must run 1, 2, 3 … in document order (the
assembly numbers them so) for captions and citations to stay in step.

Output is byte-for-byte reproducible: core properties are fixed (author "commsafe", dates
2000-01-01) and the zip is rewritten with fixed member dates, because python-docx stamps each
member with the current time.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeVar, cast

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Emu, Length, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table as WordTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph as WordParagraph
from docx.text.run import Run

from commsafe.report.model import (
    Block,
    Bullets,
    Document,
    Figure,
    Finding,
    Paragraph,
    Section,
    Status,
    Table,
)

__all__ = ["FIGURE_WIDTH", "write_docx"]

# --- page and type ------------------------------------------------------------------------
PAGE_WIDTH: Final = Cm(21.0)  # A4 portrait
PAGE_HEIGHT: Final = Cm(29.7)
MARGIN: Final = Cm(2.0)
TEXT_WIDTH: Final = Emu(PAGE_WIDTH - 2 * MARGIN)  # 17 cm
FIGURE_WIDTH: Final = Cm(16.0)  # figures are drawn at print resolution (~200 dpi)
FONT: Final = "Arial"
BODY_SIZE: Final = Pt(10.5)
TABLE_SIZE: Final = Pt(9)
SMALL_SIZE: Final = Pt(8.5)
LEVEL_INDENT: Final = Cm(0.3)  # per hierarchy level, first table column
GREY: Final = RGBColor(0x59, 0x59, 0x59)
HEADER_FILL: Final = "D9E2F3"  # light blue-grey behind table header rows

#: Status word → (label shown, colour). The label is text, so the colour is never the only cue.
STATUS_LABELS: Final[dict[str, tuple[str, RGBColor]]] = {
    "on track": ("On track", RGBColor(0x1A, 0x7F, 0x37)),
    "off track": ("Off track", RGBColor(0xC0, 0x1C, 0x28)),
    "no data": ("No data", RGBColor(0x6E, 0x6E, 0x6E)),
}

TOC_INSTRUCTION: Final = 'TOC \\o "1-3" \\h \\z \\u'
TOC_PLACEHOLDER: Final = "Right-click to update the table of contents"

# Fixed metadata so the same Document always gives the same bytes.
FIXED_DATETIME: Final = datetime(2000, 1, 1, 0, 0, 0)
FIXED_ZIP_DATE: Final = (2000, 1, 1, 0, 0, 0)
AUTHOR: Final = "commsafe"

_BOOKMARK_MAX = 40  # Word's limit on bookmark names

# Elements the WordprocessingML schema orders after the ones we add (CT_Settings, CT_TcPr).
_SETTINGS_AFTER_UPDATE_FIELDS: Final = (
    "w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids",
    "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
    "w:captions", "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary",
    "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator",
)
_TCPR_AFTER_SHD: Final = (
    "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
    "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange",
)


def write_docx(document: Document, path: Path | str, *, base_dir: Path | str) -> Path:
    """Write ``document`` as a Word file at ``path`` and return the path.

    ``base_dir`` is the folder the figures' relative ``png`` paths are resolved against.
    Raises :class:`FileNotFoundError` naming the file when a figure's PNG is missing, and
    :class:`ValueError` for a malformed table (a row of the wrong width), an unknown status
    word, a table/figure id used twice or a section level outside 1 to 9. Nothing is written
    unless the whole document lays out.
    """
    out = Path(path)
    word = _Writer(_xml_safe(document), Path(base_dir)).build()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(_reproducible_bytes(word))
    return out


# Characters XML 1.0 cannot hold (lxml refuses them: "All strings must be XML compatible"):
# C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF. Data can carry them
# (a vertical tab is Excel's line break in a cell, an ESC comes from pasted terminal output).
_XML_INCOMPATIBLE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_REPLACEMENTS: Final = {"\x0b": "\n", "\x0c": "\n"}  # line/page breaks: a line break
_T = TypeVar("_T")


def _xml_text(text: str) -> str:
    """``text`` with what XML cannot hold removed: vertical tab and form feed become a line
    break, a lone surrogate U+FFFD, any other control character nothing."""
    if not _XML_INCOMPATIBLE.search(text):
        return text

    def repl(m: re.Match[str]) -> str:
        c = m.group(0)
        return _XML_REPLACEMENTS.get(c, "\ufffd" if "\ud800" <= c <= "\udfff" else "")
    return _XML_INCOMPATIBLE.sub(repl, text)


def _xml_safe(value: _T) -> _T:
    """A copy of a document model (dataclasses, lists, tuples) with every string passed
    through :func:`_xml_text`; the model itself is left as it is."""
    out: Any
    if isinstance(value, str):
        out = _xml_text(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _xml_safe(getattr(value, f.name))
                   for f in dataclasses.fields(value) if f.init}
        out = dataclasses.replace(value, **changes)
    elif isinstance(value, tuple):
        out = tuple(_xml_safe(v) for v in value)
    elif isinstance(value, list):
        out = [_xml_safe(v) for v in value]
    else:
        out = value
    return cast(_T, out)


class _Writer:
    """Lays out one :class:`Document` into one python-docx document."""

    def __init__(self, document: Document, base_dir: Path) -> None:
        self.model = document
        self.base_dir = base_dir
        self.word: WordDocument = docx.Document()
        self._next_bookmark_id = 0
        self._bookmark_names: set[str] = set()
        self._table_text_id: str | None = None
        # Captions: id → ("Table 3", bookmark name), for findings' citations.
        self.captions: dict[str, tuple[str, str]] = {}
        items: list[Table | Figure] = [*document.tables(), *document.figures()]
        for item in items:
            if item.id in self.captions:
                raise ValueError(f"table/figure id {item.id!r} is used twice in the document")
            kind = "Table" if isinstance(item, Table) else "Figure"
            self.captions[item.id] = (f"{kind} {item.number}", self._bookmark_name(item.id))

    # --- the whole document ---------------------------------------------------------------

    def build(self) -> WordDocument:
        self._set_up_page()
        self._set_up_styles()
        self._set_properties()
        self._title_page()
        self._contents_page()
        for section in self.model.sections:
            self._section(section)
        self._footer()
        # Word wants a paragraph, not a table, last in the body.
        if self._last_body_element_is_table():
            self.word.add_paragraph()
        return self.word

    def _set_up_page(self) -> None:
        sec = self.word.sections[0]
        sec.page_width, sec.page_height = PAGE_WIDTH, PAGE_HEIGHT
        sec.left_margin = sec.right_margin = MARGIN
        sec.top_margin = sec.bottom_margin = MARGIN
        sec.header_distance = sec.footer_distance = Cm(1.0)

    def _set_up_styles(self) -> None:
        styles = self.word.styles
        root = styles.element
        # One font throughout: drop the template's theme fonts (which would override any
        # explicit font) and put Arial in the document defaults; UK English for proofing.
        for rfonts in root.iter(qn("w:rFonts")):
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                rfonts.attrib.pop(qn(attr), None)
        defaults = root.find(qn("w:docDefaults"))
        rpr = None if defaults is None else defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            rfonts = rpr.find(qn("w:rFonts"))
            if rfonts is None:
                rfonts = OxmlElement("w:rFonts")
                rpr.insert(0, rfonts)
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                rfonts.set(qn(attr), FONT)
            lang = rpr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:val"), "en-GB")

        normal = styles["Normal"]
        normal.font.name = FONT
        normal.font.size = BODY_SIZE
        normal.paragraph_format.space_after = Pt(6)

        self._paragraph_style("Lead", size=Pt(12), bold=True, space_after=Pt(8))
        self._paragraph_style("Note", size=Pt(9), italic=True, color=GREY)
        self._paragraph_style("Table Text", size=TABLE_SIZE, space_after=Pt(0))
        note = self._paragraph_style("Table Note", size=SMALL_SIZE, color=GREY, space_after=Pt(2))
        note.paragraph_format.space_before = Pt(2)

        footer = styles["Footer"]
        footer.font.size = SMALL_SIZE
        tabs = footer.paragraph_format.tab_stops
        tabs.clear_all()  # the template's stops are for Letter paper
        tabs.add_tab_stop(Emu(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)

        caption = styles["Caption"]
        caption.paragraph_format.space_before = Pt(6)
        caption.paragraph_format.space_after = Pt(4)

    def _paragraph_style(
        self,
        name: str,
        *,
        size: Length,
        bold: bool = False,
        italic: bool = False,
        color: RGBColor | None = None,
        space_after: Length | None = None,
    ) -> ParagraphStyle:
        style = cast(ParagraphStyle, self.word.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH))
        style.base_style = self.word.styles["Normal"]
        style.quick_style = True
        style.font.size = size
        style.font.bold = bold or None
        style.font.italic = italic or None
        if color is not None:
            style.font.color.rgb = color
        if space_after is not None:
            style.paragraph_format.space_after = space_after
        return style

    def _set_properties(self) -> None:
        props = self.word.core_properties
        props.title = self.model.title
        props.subject = self.model.subtitle
        props.author = AUTHOR
        props.last_modified_by = AUTHOR
        props.comments = ""
        props.keywords = ""
        props.category = self.model.kind
        props.revision = 1
        props.created = FIXED_DATETIME
        props.modified = FIXED_DATETIME
        # The template's thumbnail is a blank page; better none than a wrong one.
        package = self.word.part.package
        if package is not None:
            for rid, rel in list(package.rels.items()):
                if rel.reltype == RT.THUMBNAIL:
                    del package.rels[rid]
        # Ask Word to update fields (the contents, the captions) when the file is opened.
        settings = self.word.settings.element
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        _insert_in_order(settings, update, _SETTINGS_AFTER_UPDATE_FIELDS)

    # --- front matter ----------------------------------------------------------------------

    def _title_page(self) -> None:
        self.word.add_paragraph(self.model.title, style="Title")
        if self.model.subtitle:
            self.word.add_paragraph(self.model.subtitle, style="Subtitle")
        if self.model.details:
            table = self._new_table(len(self.model.details), 2, [30.0, 70.0])
            for row, (label, value) in zip(table.rows, self.model.details, strict=True):
                self._cell_text(row.cells[0], label, bold=True)
                self._cell_text(row.cells[1], value)
        self._page_break()

    def _contents_page(self) -> None:
        self.word.add_paragraph("Contents", style="TOC Heading")
        p = self.word.add_paragraph()
        _add_field(p, TOC_INSTRUCTION, TOC_PLACEHOLDER)
        self._page_break()

    def _page_break(self) -> None:
        self.word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # --- sections and blocks ---------------------------------------------------------------

    def _section(self, section: Section) -> None:
        if not 1 <= section.level <= 9:
            raise ValueError(f"section {section.id!r}: level {section.level} is not 1 to 9")
        heading = self.word.add_heading(section.title, level=section.level)
        self._bookmark(heading, self._bookmark_name(section.id))
        for group in _group_statuses(section.blocks):
            if isinstance(group, list):
                self._statuses(group)
            else:
                self._block(group)
        for child in section.children:
            self._section(child)

    def _block(self, block: Block) -> None:
        if isinstance(block, Paragraph):
            style = {"body": "Normal", "lead": "Lead", "note": "Note"}.get(block.style, "Normal")
            self.word.add_paragraph(block.text, style=style)
        elif isinstance(block, Bullets):
            for item in block.items:
                self.word.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Finding):
            self._finding(block)
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, Figure):
            self._figure(block)
        elif isinstance(block, Status):  # pragma: no cover - grouped by _group_statuses
            self._statuses([block])
        else:  # pragma: no cover - the Block union is closed
            raise TypeError(f"not a report block: {block!r}")

    def _finding(self, finding: Finding) -> None:
        p = self.word.add_paragraph(finding.text, style="List Bullet")
        cited = self.captions.get(finding.cite) if finding.cite else None
        if cited is not None:
            label, bookmark = cited
            p.add_run(" ")
            _add_internal_link(p, f"(see {label})", bookmark)

    def _statuses(self, statuses: Sequence[Status]) -> None:
        """Consecutive status blocks as one table: Indicator, Target, Latest, Status."""
        self._separate_tables()
        table = self._new_table(len(statuses) + 1, 4, [46.0, 18.0, 18.0, 18.0])
        _mark_header_row(table)
        for cell, label in zip(table.rows[0].cells, ("Indicator", "Target", "Latest", "Status"),
                               strict=True):
            self._cell_text(cell, label, bold=True)
            _shade(cell, HEADER_FILL)
        for row, status in zip(table.rows[1:], statuses, strict=True):
            key = status.status.strip().lower()
            if key not in STATUS_LABELS:
                raise ValueError(f"indicator {status.indicator!r}: unknown status "
                                 f"{status.status!r} (expected one of {sorted(STATUS_LABELS)})")
            label, colour = STATUS_LABELS[key]
            cells = row.cells
            self._cell_text(cells[0], status.indicator)
            if status.detail:
                cells[0].add_paragraph(status.detail, style="Table Note")
            self._cell_text(cells[1], status.target)
            self._cell_text(cells[2], status.value)
            run = self._cell_text(cells[3], label, bold=True)
            run.font.color.rgb = colour
        self.word.add_paragraph(style="Table Note")  # space below, and keeps tables apart

    def _table(self, t: Table) -> None:
        ncol = len(t.columns)
        for i, row in enumerate(t.rows):
            if len(row) != ncol:
                raise ValueError(f"table {t.id!r}: row {i + 1} has {len(row)} cells, "
                                 f"expected {ncol} ({', '.join(t.columns)})")
        for name, flags, size in (("numeric", t.numeric, ncol), ("levels", t.levels, len(t.rows)),
                                  ("emphasis", t.emphasis, len(t.rows))):
            if flags and len(flags) != size:
                raise ValueError(f"table {t.id!r}: {name} has {len(flags)} values, "
                                 f"expected {size}")
        numeric = t.numeric or (False,) * ncol
        levels = t.levels or (0,) * len(t.rows)
        emphasis = t.emphasis or (False,) * len(t.rows)

        self._separate_tables()
        caption = self.word.add_paragraph(style="Caption")
        caption.paragraph_format.keep_with_next = True
        caption.add_run("Table ")
        _add_field(caption, "SEQ Table \\* ARABIC", str(t.number))
        caption.add_run(f": {t.caption}")
        self._bookmark(caption, self.captions[t.id][1])

        table = self._new_table(len(t.rows) + 1, ncol, _column_weights(t, levels))
        _mark_header_row(table)
        align = [WD_ALIGN_PARAGRAPH.RIGHT if n else WD_ALIGN_PARAGRAPH.LEFT for n in numeric]
        for j, (cell, label) in enumerate(zip(table.rows[0].cells, t.columns, strict=True)):
            self._cell_text(cell, label, bold=True, align=align[j])
            _shade(cell, HEADER_FILL)
        for i, (word_row, values) in enumerate(zip(table.rows[1:], t.rows, strict=True)):
            for j, (cell, value) in enumerate(zip(word_row.cells, values, strict=True)):
                self._cell_text(cell, value, bold=emphasis[i], align=align[j],
                                indent=Emu(LEVEL_INDENT * levels[i]) if j == 0 else None)

        below = [*t.notes, *([_source_line(t.source)] if t.source else [])]
        if not below:
            below = [""]  # an empty small paragraph: space below, and keeps tables apart
        for k, line in enumerate(below):
            p = self.word.add_paragraph(line, style="Table Note")
            if k == len(below) - 1:
                p.paragraph_format.space_after = Pt(10)

    def _figure(self, f: Figure) -> None:
        png = self.base_dir / f.png
        if not png.is_file():
            raise FileNotFoundError(f"figure {f.id!r}: PNG not found: {png}")
        p = self.word.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_before = Pt(6)
        p.paragraph_format.space_after = Pt(0)
        shape = p.add_run().add_picture(str(png), width=FIGURE_WIDTH)
        doc_pr = shape._inline.docPr
        doc_pr.set("descr", f.alt or f.caption)  # alt text; the caption when none is given

        caption = self.word.add_paragraph(style="Caption")
        caption.paragraph_format.keep_with_next = bool(f.source)
        caption.add_run("Figure ")
        _add_field(caption, "SEQ Figure \\* ARABIC", str(f.number))
        caption.add_run(f": {f.caption}")
        self._bookmark(caption, self.captions[f.id][1])
        if f.source:
            src = self.word.add_paragraph(_source_line(f.source), style="Table Note")
            src.paragraph_format.space_after = Pt(10)

    # --- footer --------------------------------------------------------------------------

    def _footer(self) -> None:
        footer = self.word.sections[0].footer
        p = footer.paragraphs[0]
        p.style = self.word.styles["Footer"]
        if self.model.footer:
            p.add_run(self.model.footer)
        p.add_run("\tPage ")
        _add_field(p, "PAGE", "1")
        p.add_run(" of ")
        _add_field(p, "NUMPAGES", "1")

    # --- helpers ---------------------------------------------------------------------------

    def _new_table(self, rows: int, cols: int, weights: Sequence[float]) -> WordTable:
        """A full-width, autofit 9 pt table with preferred column widths ∝ ``weights``."""
        table = self.word.add_table(rows=rows, cols=cols)
        table.style = self.word.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        table.autofit = True
        tbl_pr = table._tbl.tblPr
        tbl_w = tbl_pr.find(qn("w:tblW"))
        if tbl_w is not None:  # 100 % of the text width
            tbl_w.set(qn("w:type"), "pct")
            tbl_w.set(qn("w:w"), "5000")
        total = sum(weights)
        widths = [Emu(int(TEXT_WIDTH * w / total)) for w in weights]
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        for row in table.rows:
            trpr = row._tr.get_or_add_trPr()
            trpr.append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width
        return table

    def _cell_text(
        self,
        cell: _Cell,
        text: str,
        *,
        bold: bool = False,
        align: WD_ALIGN_PARAGRAPH | None = None,
        indent: Length | None = None,
    ) -> Run:
        p = cell.paragraphs[0]
        # set the style id directly: python-docx's style setter scans every style per call
        if self._table_text_id is None:
            self._table_text_id = self.word.styles["Table Text"].style_id
        p._p.style = self._table_text_id
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.left_indent = indent
        run = p.add_run(text)
        if bold:
            run.bold = True
        return run

    def _separate_tables(self) -> None:
        """Word merges two tables with nothing between them; put a paragraph between."""
        if self._last_body_element_is_table():
            self.word.add_paragraph(style="Table Note")

    def _last_body_element_is_table(self) -> bool:
        body = self.word.element.body
        blocks = [el for el in body if el.tag != qn("w:sectPr")]
        return bool(blocks) and blocks[-1].tag == qn("w:tbl")

    def _bookmark_name(self, ident: str) -> str:
        """A unique, valid Word bookmark name from a model id (letters, digits and ``_``,
        starting with a letter, at most 40 characters)."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", ident)
        if not base[:1].isalpha():
            base = "b_" + base
        base = base[:_BOOKMARK_MAX]
        name, n = base, 1
        while name.lower() in self._bookmark_names:  # Word compares names case-insensitively
            n += 1
            suffix = f"_{n}"
            name = base[: _BOOKMARK_MAX - len(suffix)] + suffix
        self._bookmark_names.add(name.lower())
        return name

    def _bookmark(self, paragraph: WordParagraph, name: str) -> None:
        """Wrap the paragraph's content in a bookmark called ``name``."""
        bid = str(self._next_bookmark_id)
        self._next_bookmark_id += 1
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), bid)
        start.set(qn("w:name"), name)
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), bid)
        p = paragraph._p
        p.insert(1 if p.pPr is not None else 0, start)
        p.append(end)


# --- module helpers ---------------------------------------------------------------------


def _group_statuses(blocks: Sequence[Block]) -> Iterator[Block | list[Status]]:
    """The blocks in order, with each run of consecutive :class:`Status` as one list."""
    run: list[Status] = []
    for block in blocks:
        if isinstance(block, Status):
            run.append(block)
            continue
        if run:
            yield run
            run = []
        yield block
    if run:
        yield run


def _column_weights(t: Table, levels: Sequence[int]) -> list[float]:
    """Preferred relative column widths from the content: the longest header word (headers
    wrap at spaces) or the longest cell (capped, long text wraps), plus first-column indent."""
    weights = []
    for j, label in enumerate(t.columns):
        header = max((len(w) for w in label.split()), default=1)
        cells = [len(row[j]) + (3 * levels[i] if j == 0 else 0) for i, row in enumerate(t.rows)]
        weights.append(float(max(header, min(max(cells, default=0), 40)) + 2))
    return weights


def _source_line(source: str) -> str:
    return source if source.lower().startswith("source") else f"Source: {source}"


def _add_field(paragraph: WordParagraph, instruction: str, result: str) -> None:
    """Append a complex field (``w:fldChar`` begin / instruction / separate / result / end)
    whose current result is ``result``; Word recomputes it when fields are updated."""

    def char_run(kind: str) -> None:
        fld = OxmlElement("w:fldChar")
        fld.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(fld)

    char_run("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char_run("separate")
    paragraph.add_run(result)
    char_run("end")


def _add_internal_link(paragraph: WordParagraph, text: str, anchor: str) -> None:
    """Append ``text`` as a hyperlink to the bookmark ``anchor`` (plain-looking text)."""
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), anchor)
    link.set(qn("w:history"), "1")
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _mark_header_row(table: WordTable) -> None:
    """Mark the first row as a header row, repeated at the top of each page."""
    trpr = table.rows[0]._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:tblHeader"))  # after w:cantSplit, as the schema orders them


def _shade(cell: _Cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    _insert_in_order(cell._tc.get_or_add_tcPr(), shd, _TCPR_AFTER_SHD)


def _insert_in_order(parent: BaseOxmlElement, child: BaseOxmlElement,
                     successors: Sequence[str]) -> None:
    """Insert ``child`` before the first of ``parent``'s children named in ``successors``
    (the elements the schema puts after it), or last when there is none."""
    after = {qn(tag) for tag in successors}
    for i, el in enumerate(parent):
        if el.tag in after:
            parent.insert(i, child)
            return
    parent.append(child)


def _reproducible_bytes(word: WordDocument) -> bytes:
    """The saved document, re-zipped with fixed member dates and attributes."""
    raw = io.BytesIO()
    word.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with (zipfile.ZipFile(raw) as src,
          zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
