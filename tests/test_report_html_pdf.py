"""HTML and PDF writers of the assessment, read back: the page parsed with html.parser, the PDF
through pdftotext, pypdf's outline and pdftoppm."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from commsafe.report.html import render_html, write_html
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

HOSTILE = "<img src=x onerror=alert(1)>"
FOOTER = 'Safer Ashford Partnership — OFFICIAL "draft" </style> ) ; {'

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) not installed",
)

#: WeasyPrint warns once, on import, when the system lacks libharfbuzz-subset (it then subsets
#: fonts with fontTools). That is the machine's setup, not this code: ignore only that warning.
weasyprint_env = pytest.mark.filterwarnings(
    "ignore:HarfBuzz-Subset will be required:DeprecationWarning"
)


def _draw_figure(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(range(12), [40, 42, 39, 47, 51, 49, 55, 58, 52, 50, 46, 44], color="#1d70b8")
    ax.set_xlabel("Month")
    ax.set_ylabel("Offences")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=200)
    plt.close(fig)


def build_document(build: Path) -> Document:
    """A small assessment by hand: two chapters, level-2/3 sections, an appendix, a table with
    a numeric column, levels and emphasis, a figure (drawn into ``build/figures``), findings
    citing both, one status of each kind, bullets, a note, and a hostile area name."""
    _draw_figure(build / "figures" / "trend.png")

    table = Table(
        id="table-3",
        number=3,
        caption=f"Recorded crime by type, {HOSTILE}",
        columns=("Offence type", "2023/24", "2024/25", "Change"),
        rows=(
            ("All crime", "12,345", "11,980", "-3.0%"),
            ("Violence against the person", "4,210", "4,388", "+4.2%"),
            ("Violence with injury", "1,502", "1,467", "-2.3%"),
            ("Burglary", "1,020", "912", "-10.6%"),
            (HOSTILE, "77", "81", "+5.2%"),
        ),
        numeric=(False, True, True, True),
        levels=(0, 1, 2, 1, 1),
        emphasis=(True, False, False, False, False),
        notes=("Counts are rounded to the nearest whole number.",),
        source="Police recorded crime, 2023/24 to 2024/25",
    )
    figure = Figure(
        id="figure-2",
        number=2,
        caption="Monthly violence with injury",
        png=Path("figures/trend.png"),
        alt="Line chart: violence with injury peaked in August and fell afterwards.",
        source="Police recorded crime",
    )

    summary = Section(id="summary", title="Summary")
    summary.add(
        Paragraph("Recorded crime fell by 3% in the last year.", style="lead"),
        Finding(id="f1", text="Burglary fell by 10.6%.", cite="table-3"),
        Finding(id="f2", text="Violence peaked in August.", cite="figure-2", kind="hotspot"),
        Finding(id="f3", text="An analyst's view with no source.", cite="", kind="analyst"),
        Finding(id="f4", text="A finding citing a missing table.", cite="table-99"),
        Bullets(items=("Reduce burglary", "Tackle violence in the night-time economy")),
    )
    crime = Section(id="crime", title="Crime and disorder")
    trends = crime.sub("crime-trends", "Trends in recorded crime")
    trends.add(Paragraph("Table 3 shows recorded crime by type."), table)
    asb = trends.sub("crime-trends-asb", "Anti-social behaviour")
    asb.add(figure, Paragraph("Figures are provisional.", style="note"))
    ward = crime.sub("ward-profile", f"Ward profile: {HOSTILE}")
    ward.add(Paragraph(f"The area {HOSTILE} had the highest rate."))
    perf = crime.sub("performance", "Performance")
    perf.add(
        Status("Burglary", "Reduce by 5%", "-10.6%", "on track", detail="Ahead of target"),
        Status("Violence with injury", "Reduce by 5%", "+4.2%", "off track"),
        Status("Repeat victims", "Reduce", "Not available", "no data"),
    )
    appendix = Section(id="appendix-a", title="Appendix A: Data sources", appendix=True)
    appendix.add(Paragraph("Police recorded crime comes from the force.", style="note"))
    appendix.sub("appendix-a-quality", "Data quality").add(Paragraph("Recording is stable."))

    return Document(
        title="Community Safety Strategic Assessment 2025",
        subtitle="Safer Ashford Partnership",
        details=(("Version", "1.0"), ("Area", HOSTILE), ("Period", "April 2024 to March 2025")),
        sections=[summary, crime, appendix],
        footer=FOOTER,
    )


class _Page(HTMLParser):
    """Elements of a page: every start tag with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.nav_hrefs: list[str] = []
        self._nav = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "nav":
            self._nav += 1
        if tag == "a" and self._nav and a.get("href"):
            self.nav_hrefs.append(str(a["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._nav -= 1

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture
def document(tmp_path: Path) -> Document:
    return build_document(tmp_path)


def _normal(text: str) -> str:
    return " ".join(text.split())


# --- HTML ---------------------------------------------------------------------------------


@pytest.mark.parametrize("for_print", [False, True])
def test_html_escapes_hostile_text(document: Document, for_print: bool) -> None:
    html = render_html(document, for_print=for_print)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html
    assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    page = _parse(html)
    imgs = page.all("img")
    assert len(imgs) == len(document.figures()) == 1
    assert imgs[0]["src"] == "figures/trend.png"
    assert imgs[0]["alt"] == document.figures()[0].alt


def test_footer_is_data_not_css(document: Document) -> None:
    """The footer reaches the PDF as an escaped running element, never inside <style>."""
    html = render_html(document, for_print=True)
    style = html[html.index("<style>") : html.index("</style>")]
    assert "Safer Ashford" not in style
    assert html.count("</style>") == 1
    page = _parse(html)
    assert any("running-footer" in (a.get("class") or "") for a in page.all("div"))
    assert "OFFICIAL &#34;draft&#34; &lt;/style&gt;" in html


def test_html_is_self_contained(document: Document) -> None:
    for for_print in (False, True):
        html = render_html(document, for_print=for_print)
        assert "http://" not in html
        assert "https://" not in html
        page = _parse(html)
        assert page.all("link") == []
        assert page.all("script") == []
        assert len(page.all("style")) == 1
        assert html.startswith("<!DOCTYPE html>")
        assert "@page" in html  # stylesheet inlined


def test_sections_are_anchors_and_in_contents(document: Document) -> None:
    page = _parse(render_html(document))
    section_ids = [a.get("id") for a in page.all("section")]
    expected = [s.id for s in document.walk()]
    assert section_ids == expected
    assert page.nav_hrefs == [f"#{i}" for i in expected]
    all_ids = [a["id"] for _, a in page.tags if a.get("id")]
    assert len(all_ids) == len(set(all_ids))
    headings = [(t, a) for t, a in page.tags if t in ("h1", "h2", "h3")]
    # title + Contents + Appendices + one heading per section
    assert len(headings) == 3 + len(expected)


def test_headings_follow_levels(document: Document) -> None:
    html = render_html(document)
    for s in document.walk():
        pattern = rf'<section id="{re.escape(s.id)}"[^>]*>\s*<h{s.level}>'
        assert re.search(pattern, html), s.id
    assert 'class="level-1 appendix"' in html
    assert "<h2>Ward profile: &lt;img src=x onerror=alert(1)&gt;</h2>" in html


def test_citations_link_to_tables_and_figures(document: Document) -> None:
    html = render_html(document)
    page = _parse(html)
    xrefs = [a for a in page.all("a") if a.get("class") == "xref"]
    assert [a["href"] for a in xrefs] == ["#table-3", "#figure-2"]
    assert '(see <a class="xref" href="#table-3">Table 3</a>)' in html
    assert '(see <a class="xref" href="#figure-2">Figure 2</a>)' in html
    ids = {a.get("id") for _, a in page.tags}
    assert {"table-3", "figure-2"} <= ids
    # the uncited and the unknown citation show no link
    assert "An analyst&#39;s view with no source.</li>" in html
    assert "A finding citing a missing table.</li>" in html
    # four consecutive findings are one list
    assert len([u for u in page.all("ul") if u.get("class") == "findings"]) == 1
    assert len([li for li in page.all("li") if "finding" in (li.get("class") or "")]) == 4


def test_table_layout(document: Document) -> None:
    html = render_html(document)
    assert "<caption>Table 3: Recorded crime by type, &lt;img src=x" in html
    page = _parse(html)
    tds = page.all("td")
    num = [a for a in tds if "num" in (a.get("class") or "").split()]
    assert len(num) == 5 * 3  # three numeric columns, five rows
    assert [a.get("class") for a in page.all("th") if a.get("class") == "num"] == ["num"] * 3
    assert {"indent-1", "indent-2"} <= {a.get("class") for a in tds}
    assert [a.get("class") for a in page.all("tr")].count("emphasis") == 1
    assert "<thead>" in html
    assert '<p class="source">Source: Police recorded crime, 2023/24 to 2024/25</p>' in html
    assert '<p class="table-note">Counts are rounded' in html


def test_paragraph_styles_and_status(document: Document) -> None:
    html = render_html(document)
    assert '<p class="lead">Recorded crime fell' in html
    assert '<p class="note">Figures are provisional.</p>' in html
    page = _parse(html)
    badges = [a["class"] for a in page.all("span") if "badge" in (a.get("class") or "")]
    assert badges == ["badge badge-on-track", "badge badge-off-track", "badge badge-no-data"]
    for word in ("on track", "off track", "no data"):
        assert f">{word}</span>" in html  # the status is text, not only colour
    assert len(page.all("table")) == 3  # details, table 3, one status table for three rows
    assert "<li>Reduce burglary</li>" in html


def test_write_html(document: Document, tmp_path: Path) -> None:
    out = write_html(document, tmp_path / "assessment.html")
    assert out.read_text(encoding="utf-8") == render_html(document)


# --- PDF ----------------------------------------------------------------------------------


def _write_pdf_quietly(
    document: Document, out: Path, base_dir: Path, caplog: pytest.LogCaptureFixture
) -> Path:
    """Write the PDF and fail on any WeasyPrint warning (ignored CSS, an image not found),
    except the machine lacking libharfbuzz-subset."""
    from commsafe.report.pdf import write_pdf

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        written = write_pdf(document, out, base_dir=base_dir)
    problems = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("weasyprint") and "HarfBuzz-Subset" not in r.getMessage()
    ]
    assert problems == []
    return written


@pytest.fixture
def pdf(document: Document, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Path:
    return _write_pdf_quietly(document, tmp_path / "out" / "assessment.pdf", tmp_path, caplog)


@weasyprint_env
@needs_poppler
def test_pdf_text(document: Document, pdf: Path) -> None:
    from pypdf import PdfReader

    pages = len(PdfReader(pdf).pages)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = _normal(text)
    for s in document.walk():
        assert _normal(s.title) in flat, s.title
    table = document.tables()[0]
    for cell in (*table.columns, *(c for row in table.rows for c in row)):
        assert cell in flat, cell
    assert f"Page 1 of {pages}" in flat
    assert f"Page {pages} of {pages}" in flat
    assert HOSTILE in flat
    assert "Safer Ashford Partnership — OFFICIAL" in flat
    assert "Table 3: Recorded crime by type" in flat
    assert "Figure 2: Monthly violence with injury" in flat
    for word in ("on track", "off track", "no data"):
        assert word in flat


@weasyprint_env
def test_pdf_bookmarks(document: Document, pdf: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(pdf)

    def tree(items: list[Any]) -> list[tuple[str, list[Any]]]:
        out: list[tuple[str, list[Any]]] = []
        for item in items:
            if isinstance(item, list):
                title, _ = out[-1]
                out[-1] = (title, tree(item))
            else:
                out.append((str(item.title), []))
        return out

    def expected(sections: list[Section]) -> list[tuple[str, list[Any]]]:
        return [(s.title, expected(s.children)) for s in sections]

    assert tree(reader.outline) == expected(document.sections)
    level1 = [t for t, _ in tree(reader.outline)]
    assert level1 == ["Summary", "Crime and disorder", "Appendix A: Data sources"]


@weasyprint_env
def test_pdf_has_images_and_pages(document: Document, pdf: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    assert len(reader.pages) >= 5  # title, contents, three chapters each on a new page
    # WeasyPrint shares one resource dictionary between pages: count distinct images
    images = {(im.name, im.image and im.image.size) for page in reader.pages for im in page.images}
    assert images and {size for _, size in images} == {(1400, 640)}  # 7 x 3.2 in at 200 dpi
    assert len(images) == len(document.figures())
    assert reader.metadata is not None
    assert reader.metadata.title == document.title


@weasyprint_env
@needs_poppler
def test_pdf_first_page_renders(pdf: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)],
        check=True,
        capture_output=True,
    )
    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) == 1
    assert pngs[0].stat().st_size > 2_000
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@weasyprint_env
@needs_poppler
def test_pdf_contents_has_page_numbers(pdf: Path) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Contents" in text
    # "Summary ........ 3": the first chapter starts on page 3 (after title and contents)
    assert re.search(r"Summary\s*[.\s]*\s3\b", text), text


@weasyprint_env
def test_edge_cases(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Odd but legal models: no details/footer, a level-4 section, unknown paragraph style and
    status word, a bare table, a figure path with a space, a string with quotes."""
    from pypdf import PdfReader

    _draw_figure(tmp_path / "figures" / "area map.png")
    top = Section(id="only", title="Quotes \"double\" & 'single'")
    deep = top.sub("l2", "Two").sub("l3", "Three").sub("l4", "Four")
    deep.add(
        Paragraph("Unknown style.", style="shout"),
        Status("Indicator", "Target", "Value", "ON TRACK"),
        Status("Indicator 2", "Target", "Value", "unclear"),
        Table(id="t1", number=1, caption="Bare", columns=("A", "B"), rows=(("x", "1"),)),
        Figure(id="fig1", number=1, caption="Map", png=Path("figures/area map.png")),
    )
    doc = Document(title="Edge", subtitle="", details=(), sections=[top])
    html = render_html(doc)
    assert '<p class="body">Unknown style.</p>' in html
    assert "<h4>Four</h4>" in html
    assert 'href="#l4"' not in html  # the contents stops at level 3
    assert "Quotes &#34;double&#34; &amp; &#39;single&#39;" in html
    assert 'class="badge badge-on-track">ON TRACK<' in html
    assert 'class="badge badge-no-data">unclear<' in html
    assert 'src="figures/area%20map.png"' in html
    assert 'alt=""' in html
    assert '<div class="running-footer">' not in render_html(doc, for_print=True)
    out = _write_pdf_quietly(doc, tmp_path / "edge.pdf", tmp_path, caplog)
    reader = PdfReader(out)
    images = {im.name for page in reader.pages for im in page.images}
    assert len(images) == 1  # the image with a space in its name was found
    empty = Document(title="Empty", subtitle="", details=(), sections=[])
    assert "<main>" in render_html(empty)
    _write_pdf_quietly(empty, tmp_path / "empty.pdf", tmp_path, caplog)


def test_unknown_block_is_an_error() -> None:
    doc = Document(title="T", subtitle="", details=(), sections=[Section(id="s", title="S")])
    doc.sections[0].blocks.append("not a block")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a report block: str"):
        render_html(doc)
