"""Word writer: write a small hand-built Document, read it back with python-docx and check the
structure Word relies on (styles, fields, header rows, bookmarks, picture, footer), that the
same Document gives the same bytes, and that bad input fails loudly."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph as WordParagraph
from matplotlib.figure import Figure as MplFigure

from commsafe.report.docx import FIGURE_WIDTH, TOC_PLACEHOLDER, write_docx
from commsafe.report.model import (
    Bullets,
    Document,
    Figure,
    Finding,
    Paragraph,
    Section,
    Status,
    Table,
)

SPECIAL = 'Counts marked <b>&"\' are provisional'
FOOTER = "Testshire Community Safety Partnership — OFFICIAL"
PNG = Path("figures") / "trend.png"

TABLE = Table(
    id="table-1",
    number=1,
    caption="Recorded crime by category, Testshire, 2024",
    columns=("Category", "Group", "Offences"),
    rows=(
        ("All crime", "", "12,345"),
        ("Violence against the person", "Violence", "4,321"),
        ("Violence with injury", "Violence", "1,234"),
    ),
    numeric=(False, False, True),
    levels=(0, 1, 2),
    emphasis=(True, False, False),
    notes=("Counts are rounded to the nearest 5.",),
    source="police.uk street-level data; commsafe",
)
FIGURE = Figure(
    id="figure-1",
    number=1,
    caption="Monthly violence, Testshire, 2023 to 2024",
    png=PNG,
    alt="Line chart: violence rose through 2024.",
    source="Source: police.uk street-level data",
)
STATUSES = (
    Status("Reduce violence with injury", "−5%", "−7%", "on track", "Ahead of the trajectory"),
    Status("Reduce repeat victims", "−10%", "+2%", "off track"),
    Status("Victim satisfaction", "80%", "–", "no data"),
)


def build_document() -> Document:
    intro = Section(id="1-summary", title="Summary")
    intro.add(
        Paragraph("Crime fell overall but violence rose.", style="lead"),
        Finding("f1", "Violence with injury rose by 12% (1,234 offences).", cite="table-1"),
        Finding("f2", "Violence peaked in July.", cite="figure-1"),
        Finding("f3", "Analysts to add context here.", cite="", kind="analyst"),
        Finding("f4", "A finding citing nothing known.", cite="table-99"),
    )
    context = intro.sub("summary-context", "Context")
    context.add(Bullets(("Population 300,000", "Three community safety wards")))
    detail = context.sub("summary-context-detail", "Detail of the context")
    detail.add(Paragraph(SPECIAL), Paragraph("Figures are provisional.", style="note"))
    chapter2 = Section(id="violence", title="Violence")
    chapter2.add(TABLE, FIGURE, *STATUSES, Paragraph("Closing paragraph."))
    appendix = Section(id="appendix-a", title="Appendix A: Data sources", appendix=True)
    appendix.add(Paragraph("police.uk street-level crime data."))
    return Document(
        title="Community Safety Strategic Assessment",
        subtitle="Testshire, 2024/25",
        details=(("Prepared by", "Testshire CSP analysts"), ("Period", "2023 to 2024"),
                 ("Protective marking", "OFFICIAL")),
        sections=[intro, chapter2, appendix],
        footer=FOOTER,
    )


def draw_png(base: Path) -> Path:
    png = base / PNG
    png.parent.mkdir(parents=True, exist_ok=True)
    fig = MplFigure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    ax.plot(range(24), [100 + (i % 5) * 7 for i in range(24)])
    ax.set_title("Monthly violence")
    fig.savefig(png, dpi=200)
    return png


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("docx")
    draw_png(base)
    return write_docx(build_document(), base / "out" / "assessment.docx", base_dir=base)


@pytest.fixture(scope="module")
def word(written: Path) -> WordDocument:
    return docx.Document(str(written))


def paragraphs_with(word: WordDocument, text: str) -> list[WordParagraph]:
    return [p for p in word.paragraphs if text in p.text]


def sty(p: WordParagraph) -> ParagraphStyle:
    assert p.style is not None
    return p.style


def near(length: int | None, expected: int) -> bool:
    """Equal to within a twip (Word stores page geometry in twips, 635 EMU)."""
    return length is not None and abs(length - expected) <= 635


def field_instructions(p: WordParagraph) -> list[str]:
    return [t.strip() for t in p._p.xpath(".//w:instrText/text()")]


def test_returns_the_path_and_writes_a_docx(written: Path) -> None:
    assert written.name == "assessment.docx"
    assert zipfile.is_zipfile(written)


def test_title_page_and_document_details(word: WordDocument) -> None:
    paras = word.paragraphs
    assert (paras[0].text, sty(paras[0]).name) == ("Community Safety Strategic Assessment",
                                                   "Title")
    assert (paras[1].text, sty(paras[1]).name) == ("Testshire, 2024/25", "Subtitle")
    details = word.tables[0]
    assert [[c.text for c in row.cells] for row in details.rows] == [
        ["Prepared by", "Testshire CSP analysts"],
        ["Period", "2023 to 2024"],
        ["Protective marking", "OFFICIAL"],
    ]
    assert details.rows[0].cells[0].paragraphs[0].runs[0].bold is True


def test_table_of_contents_field_and_update_on_open(word: WordDocument) -> None:
    (toc,) = [p for p in word.paragraphs if any(i.startswith("TOC") for i in
                                                 field_instructions(p))]
    assert field_instructions(toc) == ['TOC \\o "1-3" \\h \\z \\u']
    assert toc.text == TOC_PLACEHOLDER
    assert [f.get(qn("w:fldCharType")) for f in toc._p.xpath(".//w:fldChar")] == [
        "begin", "separate", "end"]
    (update,) = word.settings.element.xpath("w:updateFields")
    assert update.get(qn("w:val")) == "true"
    # Schema order: updateFields comes before w:compat in w:settings.
    tags = [el.tag for el in word.settings.element]
    assert tags.index(qn("w:updateFields")) < tags.index(qn("w:compat"))


def test_headings_in_order_with_builtin_styles_and_bookmarks(word: WordDocument) -> None:
    headings = [(sty(p).name, p.text) for p in word.paragraphs
                if sty(p).name.startswith("Heading")]
    assert headings == [
        ("Heading 1", "Summary"),
        ("Heading 2", "Context"),
        ("Heading 3", "Detail of the context"),
        ("Heading 1", "Violence"),
        ("Heading 1", "Appendix A: Data sources"),
    ]
    names = [p._p.xpath("w:bookmarkStart/@w:name") for p in word.paragraphs
             if sty(p).name.startswith("Heading")]
    # "1-summary" does not start with a letter, so it is prefixed; "-" becomes "_".
    assert names == [["b_1_summary"], ["summary_context"], ["summary_context_detail"],
                     ["violence"], ["appendix_a"]]


def test_bookmark_names_are_valid_and_unique(word: WordDocument) -> None:
    body = word.element.body
    names = body.xpath(".//w:bookmarkStart/@w:name")
    ids = body.xpath(".//w:bookmarkStart/@w:id")
    assert len(set(names)) == len(names) == len(set(ids))
    assert sorted(ids) == sorted(body.xpath(".//w:bookmarkEnd/@w:id"))
    for name in names:
        assert name[0].isalpha() and len(name) <= 40
        assert all(c.isalnum() or c == "_" for c in name)


def test_table_header_row_alignment_levels_and_emphasis(word: WordDocument) -> None:
    (table,) = [t for t in word.tables if t.rows[0].cells[0].text == "Category"]
    assert table.style is not None and table.style.name == "Table Grid"
    assert [c.text for c in table.rows[0].cells] == ["Category", "Group", "Offences"]
    assert table.rows[0]._tr.xpath("w:trPr/w:tblHeader")
    assert not table.rows[1]._tr.xpath("w:trPr/w:tblHeader")
    assert all(r.bold for c in table.rows[0].cells for r in c.paragraphs[0].runs)
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert body == [list(r) for r in TABLE.rows]
    for row in table.rows:
        assert row.cells[2].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
        assert row.cells[0].paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT
    indents = [row.cells[0].paragraphs[0].paragraph_format.left_indent for row in table.rows[1:]]
    assert [round((i or 0) / Cm(0.3)) for i in indents] == [0, 1, 2]
    assert [bool(row.cells[0].paragraphs[0].runs[0].bold) for row in table.rows[1:]] == [
        True, False, False]
    assert table.rows[1].cells[0].paragraphs[0].style.font.size == Pt(9)
    assert table.autofit


def test_table_caption_above_and_notes_and_source_below(word: WordDocument) -> None:
    body = list(word.element.body)
    (caption,) = paragraphs_with(word, "Table 1: Recorded crime by category")
    (table,) = [t for t in word.tables if t.rows[0].cells[0].text == "Category"]
    i = body.index(table._tbl)
    assert body[i - 1] is caption._p
    after = [WordParagraph(el, word._body) for el in body[i + 1 : i + 3]]
    assert [p.text for p in after] == ["Counts are rounded to the nearest 5.",
                                       "Source: police.uk street-level data; commsafe"]
    assert {sty(p).name for p in after} == {"Table Note"}


def test_captions_have_caption_style_and_seq_fields(word: WordDocument) -> None:
    captions = [p for p in word.paragraphs if sty(p).name == "Caption"]
    assert [p.text for p in captions] == [
        "Table 1: Recorded crime by category, Testshire, 2024",
        "Figure 1: Monthly violence, Testshire, 2023 to 2024",
    ]
    assert [field_instructions(p) for p in captions] == [
        ["SEQ Table \\* ARABIC"], ["SEQ Figure \\* ARABIC"]]
    assert [p._p.xpath("w:bookmarkStart/@w:name") for p in captions] == [["table_1"],
                                                                          ["figure_1"]]


def test_figure_picture_width_alt_text_and_caption_below(word: WordDocument,
                                                         written: Path) -> None:
    (shape,) = word.inline_shapes
    assert shape.width == FIGURE_WIDTH == Cm(16)
    assert abs(shape.height / shape.width - 900 / 1600) < 0.01  # aspect kept (8 × 4.5 in)
    assert shape._inline.docPr.get("descr") == FIGURE.alt
    png = (written.parent.parent / PNG).read_bytes()
    with zipfile.ZipFile(written) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert [z.read(n) for n in media] == [png]
    body = list(word.element.body)
    (pic,) = [p for p in word.paragraphs if p._p.xpath(".//w:drawing")]
    (caption,) = paragraphs_with(word, "Figure 1:")
    (source,) = [p for p in word.paragraphs if p.text == "Source: police.uk street-level data"]
    assert body.index(pic._p) + 1 == body.index(caption._p) == body.index(source._p) - 1
    assert source.text == FIGURE.source  # already "Source: …": not doubled


def test_findings_cite_tables_and_figures(word: WordDocument) -> None:
    (f1,) = paragraphs_with(word, "Violence with injury rose by 12%")
    assert f1.text == "Violence with injury rose by 12% (1,234 offences). (see Table 1)"
    assert sty(f1).name == "List Bullet"
    assert f1._p.xpath("w:hyperlink/@w:anchor") == ["table_1"]
    (f2,) = paragraphs_with(word, "Violence peaked in July.")
    assert f2.text == "Violence peaked in July. (see Figure 1)"
    (f3,) = paragraphs_with(word, "Analysts to add context here.")
    assert f3.text == "Analysts to add context here."
    (f4,) = paragraphs_with(word, "A finding citing nothing known.")
    assert f4.text == "A finding citing nothing known."


def test_status_blocks_become_one_table_with_coloured_words(word: WordDocument) -> None:
    (table,) = [t for t in word.tables if t.rows[0].cells[0].text == "Indicator"]
    assert [c.text for c in table.rows[0].cells] == ["Indicator", "Target", "Latest", "Status"]
    assert table.rows[0]._tr.xpath("w:trPr/w:tblHeader")
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert rows == [
        ["Reduce violence with injury\nAhead of the trajectory", "−5%", "−7%", "On track"],
        ["Reduce repeat victims", "−10%", "+2%", "Off track"],
        ["Victim satisfaction", "80%", "–", "No data"],
    ]
    colours = [str(row.cells[3].paragraphs[0].runs[0].font.color.rgb) for row in table.rows[1:]]
    assert colours == ["1A7F37", "C01C28", "6E6E6E"]
    assert all(row.cells[3].paragraphs[0].runs[0].bold for row in table.rows[1:])


def test_bullets_and_paragraph_styles(word: WordDocument) -> None:
    bullets = [p.text for p in word.paragraphs if sty(p).name == "List Bullet"
               and not p.text.startswith(("Violence", "Analysts", "A finding"))]
    assert bullets == ["Population 300,000", "Three community safety wards"]
    (lead,) = paragraphs_with(word, "Crime fell overall")
    assert sty(lead).name == "Lead" and sty(lead).font.size == Pt(12) and sty(lead).font.bold
    (note,) = paragraphs_with(word, "Figures are provisional.")
    assert sty(note).name == "Note" and sty(note).font.italic
    assert sty(note).font.size < word.styles["Normal"].font.size
    (body,) = paragraphs_with(word, "Closing paragraph.")
    assert sty(body).name == "Normal"


def test_markup_characters_appear_literally(word: WordDocument, written: Path) -> None:
    (p,) = paragraphs_with(word, "Counts marked")
    assert p.text == SPECIAL
    with zipfile.ZipFile(written) as z:
        xml = z.read("word/document.xml").decode()
    assert "<b>&amp;" not in SPECIAL and "&lt;b&gt;&amp;" in xml


def test_footer_text_and_page_fields(word: WordDocument) -> None:
    footer = word.sections[0].footer
    assert not footer.is_linked_to_previous
    (p,) = footer.paragraphs
    assert field_instructions(p) == ["PAGE", "NUMPAGES"]
    assert p.text == f"{FOOTER}\tPage 1 of 1"
    stops = sty(p).paragraph_format.tab_stops
    (stop,) = stops
    assert near(stop.position, Cm(17))


def test_page_setup_and_default_font(word: WordDocument) -> None:
    sec = word.sections[0]
    assert sec.orientation == WD_ORIENT.PORTRAIT
    assert near(sec.page_width, Cm(21)) and near(sec.page_height, Cm(29.7))
    for margin in (sec.left_margin, sec.right_margin, sec.top_margin, sec.bottom_margin):
        assert near(margin, Cm(2))
    normal = word.styles["Normal"]
    assert (normal.font.name, normal.font.size) == ("Arial", Pt(10.5))
    # No theme font left to override Arial in headings and the title.
    assert not word.styles.element.xpath(".//w:rFonts[@w:asciiTheme]")


def test_core_properties_are_fixed(word: WordDocument) -> None:
    props = word.core_properties
    assert props.title == "Community Safety Strategic Assessment"
    assert props.subject == "Testshire, 2024/25"
    assert props.author == props.last_modified_by == "commsafe"
    assert (props.created.year, props.created.month, props.created.day) == (2000, 1, 1)
    assert props.modified == props.created


def test_same_document_gives_the_same_bytes(tmp_path: Path, written: Path) -> None:
    base = written.parent.parent
    a = write_docx(build_document(), tmp_path / "a.docx", base_dir=base)
    b = write_docx(build_document(), tmp_path / "b.docx", base_dir=str(base))
    assert a.read_bytes() == b.read_bytes() == written.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {info.date_time for info in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in z.namelist()


def test_missing_png_raises_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"trend\.png"):
        write_docx(build_document(), tmp_path / "x.docx", base_dir=tmp_path)
    assert not (tmp_path / "x.docx").exists()


def test_malformed_table_and_unknown_status_raise(tmp_path: Path) -> None:
    bad_table = Table(id="t", number=1, caption="c", columns=("A", "B"), rows=(("1",),))
    doc = Document("T", "S", (), sections=[Section(id="s", title="S").add(bad_table)])
    with pytest.raises(ValueError, match="row 1 has 1 cells, expected 2"):
        write_docx(doc, tmp_path / "x.docx", base_dir=tmp_path)
    bad_status = Status("Indicator", "1", "2", "sideways")
    doc = Document("T", "S", (), sections=[Section(id="s", title="S").add(bad_status)])
    with pytest.raises(ValueError, match="sideways"):
        write_docx(doc, tmp_path / "x.docx", base_dir=tmp_path)


def test_minimal_document_is_valid(tmp_path: Path) -> None:
    doc = Document("Only a title", "", (), sections=[Section(id="s", title="Empty")])
    word = docx.Document(str(write_docx(doc, tmp_path / "m.docx", base_dir=tmp_path)))
    assert [p.text for p in word.paragraphs if sty(p).name == "Heading 1"] == ["Empty"]
    assert word.sections[0].footer.paragraphs[0].text == "\tPage 1 of 1"
