"""The assessment as a PDF: the print variant of the HTML page, typeset by WeasyPrint.

:func:`write_pdf` renders :func:`commsafe.report.html.render_html` with ``for_print=True``,
so the PDF says exactly what the HTML says. The stylesheet's print rules give A4 pages,
"Page N of M" and the document footer on every page, page numbers in the contents, table
headers repeated across pages, and bookmarks from the section headings (h1–h3).
Figures are resolved against ``base_dir`` (the build folder, where the figure paths start).
"""

from __future__ import annotations

from pathlib import Path

from commsafe.report.html import render_html
from commsafe.report.model import Document

__all__ = ["write_pdf"]


def write_pdf(document: Document, path: Path | str, *, base_dir: Path | str) -> Path:
    """Write ``document`` as a PDF to ``path``; returns the path.

    ``base_dir`` is the folder relative paths in the document (figure PNGs) start from."""
    import weasyprint  # heavy import (Pango, fonts): only when a PDF is written

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    base = Path(base_dir).resolve()

    class Fetcher(weasyprint.urls.URLFetcher):  # type: ignore[misc]
        """Figures are addressed under a fixed base, so the PDF does not depend on the folder
        it was built in (a build writes to a temporary folder first); only local files."""

        def fetch(self, url: str, headers: object = None) -> object:
            if url.startswith(_BASE):
                url = base.as_uri() + "/" + url[len(_BASE):]
            return super().fetch(url, headers)

    html = weasyprint.HTML(string=render_html(document, for_print=True), base_url=_BASE,
                           url_fetcher=Fetcher(allowed_protocols=("file", "data")))
    html.write_pdf(out)
    return out


#: the base URL figures are resolved against; mapped to ``base_dir`` when they are read
_BASE = "file:///commsafe-build/"
