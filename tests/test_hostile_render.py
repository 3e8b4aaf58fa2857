"""Hostile text from every free-text field a user supplies renders as inert text.

One small assessment is built by ``commsafe build`` from inputs this module writes: a made-up
district of six LSOAs in three wards (lookups, boundaries and population), two years of
police.uk street files, a police extract and a licensed premises data set (with mappings), a
recommendations register, an interventions log and a spec. Every free-text field carries one
of the hostile strings below: partner data set titles and column headers, premises names,
register text, owners, themes and updates, intervention descriptions, priority names, owners,
rationales and indicator names, area names in the lookup (and the boundary files), and the
police.uk Location column. (Premises names, column headers, incident types and Locations are
loaded but, today, shown nowhere in the build's outputs: the test checks they load in full.)

The built ``atlas.html`` and ``assessment.html`` are then opened in Debian's Chromium with
every request outside the page blocked, and must show the hostile strings as text: no dialog,
no script element beyond those the page ships, no ``img[src=x]``, no ``svg[onload]``, no
``on*`` attribute anywhere, and the literal strings in the page's text. The PDF and the Word
document must hold the text too.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from commsafe.cli import main

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "</textarea><svg onload=alert(1)>"
RLO = "\u202e"
LONG = "Long" + "o" * 4992 + "name"  # a 5,000-character name with nowhere to break a line
HOSTILE = (SCRIPT, IMG, SVG)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# --------------------------------------------------------------------------- the inputs

DISTRICT = ("E07099901", f"{SCRIPT} District")
CSP = ("E22099901", f"{IMG} CSP")
PFA = ("E23099901", "Testforce")
FORCE = "Testforce Constabulary"
#: ward code, ward name (as the lookup gives it)
WARDS = [("E05099901", f"{IMG} Ward"),
         ("E05099902", LONG),
         ("E05099903", f"{RLO}draw eerht")]  # shows as "three ward" when the override acts
#: LSOA code, LSOA name, ward index, column, row of its 0.01° square
LSOAS = [(f"E0109990{i + 1}", f"{SVG} 00{i + 1}A" if i == 0 else f"Testdistrict 00{i + 1}A",
          i // 2, i // 2, i % 2) for i in range(6)]
WEST, SOUTH, STEP = 0.10, 52.20, 0.01
CRIME_MIX = {"Violence and sexual offences": 4, "Shoplifting": 3, "Burglary": 2,
             "Anti-social behaviour": 3, "Criminal damage and arson": 1}
MONTHS = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
LOCATIONS = [f"On or near {SCRIPT}", f"On or near {IMG}", f"On or near {SVG}",
             f"On or near {RLO}teerts"]


def _square(col: int, row: int, cols: int = 1, rows: int = 1) -> list[list[list[float]]]:
    x0, y0 = round(WEST + col * STEP, 6), round(SOUTH + row * STEP, 6)
    x1, y1 = round(x0 + cols * STEP, 6), round(y0 + rows * STEP, 6)
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def _geojson(path: Path, prefix: str, features: list[tuple[str, str, Any]]) -> None:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {f"{prefix}_code": code, f"{prefix}_name": name},
         "geometry": {"type": "Polygon", "coordinates": rings}}
        for code, name, rings in features]}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as h:
        w = csv.writer(h)
        w.writerow(header)
        w.writerows(rows)
    return path


def _reference(folder: Path) -> None:
    folder.mkdir(parents=True)
    _csv(folder / "lookup_lsoa21_ward24_ltla24.csv",
         ["lsoa21_name", "lsoa21_code", "ward24_name", "ward24_code", "ltla24_name",
          "ltla24_code"],
         [[name, code, WARDS[w][1], WARDS[w][0], DISTRICT[1], DISTRICT[0]]
          for code, name, w, _, _ in LSOAS])
    _csv(folder / "lookup_ltla24_csp24_pfa24.csv",
         ["ltla24_code", "ltla24_name", "csp24_code", "csp24_name", "pfa24_code", "pfa24_name"],
         [[*DISTRICT, *CSP, *PFA]])
    _csv(folder / "census2021_lsoa21_usual_residents.csv", ["lsoa21_code", "total_residents"],
         [[code, 1500 + 100 * i] for i, (code, *_) in enumerate(LSOAS)])
    _geojson(folder / "lsoa21_boundaries.geojson", "lsoa21",
             [(code, name, _square(c, r)) for code, name, _, c, r in LSOAS])
    _geojson(folder / "wards24_boundaries.geojson", "ward24",
             [(code, name, _square(i, 0, 1, 2)) for i, (code, name) in enumerate(WARDS)])
    _geojson(folder / "ltla24_boundaries.geojson", "ltla24",
             [(*DISTRICT, _square(0, 0, 3, 2))])


def _street_files(folder: Path, rng: random.Random) -> int:
    """Two years of street files; returns the number of rows written."""
    header = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
              "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
              "Context"]
    n = 0
    for month in MONTHS:
        rows = []
        for code, name, _, col, row in LSOAS:
            for category, mean in CRIME_MIX.items():
                for _ in range(max(0, mean + rng.randint(-1, 2) + (month >= "2024" and col))):
                    n += 1
                    lon = WEST + (col + rng.uniform(0.1, 0.9)) * STEP
                    lat = SOUTH + (row + rng.uniform(0.1, 0.9)) * STEP
                    asb = category == "Anti-social behaviour"
                    rows.append(["" if asb else f"{n:064x}", month, FORCE, FORCE,
                                 f"{lon:.6f}", f"{lat:.6f}", rng.choice(LOCATIONS), code, name,
                                 category, "" if asb else "Under investigation", ""])
        _csv(folder / month / f"{month}-testforce-street.csv", header, rows)
    return n


#: the police extract's column headers: the mapping names them, so they are hostile too
EXTRACT_COLUMNS = {"crime_ref": f"Ref {IMG}", "offence": f"Offence {SCRIPT}",
                   "committed_from": f"Committed {SVG}", "lsoa": "LSOA",
                   "victim_age": "Victim age", "victim_sex": "Victim sex",
                   "offender_age": "Offender age", "offender_sex": "Offender sex"}
PREMISES_COLUMNS = {"premises_id": f"ID {SVG}", "premises_name": f"Name {IMG}",
                    "datetime": "When", "incident_type": f"Type {SCRIPT}",
                    "violent": "Violent"}


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _mapping(path: Path, kind: str, name: str, title: str, columns: dict[str, str]) -> Path:
    lines = [f"kind = {_toml(kind)}", f"name = {_toml(name)}", f"title = {_toml(title)}",
             "", "[columns]", *(f"{k} = {_toml(v)}" for k, v in columns.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _datasets(folder: Path, rng: random.Random) -> None:
    rows = []
    for i in range(400):
        month = rng.choice(MONTHS)
        rows.append([f"CR{i:05d}", rng.choice(["Assault", f"Assault {SCRIPT}", "Theft"]),
                     f"{month}-{rng.randint(1, 28):02d}", rng.choice(LSOAS)[0],
                     rng.randint(16, 70), rng.choice("MF"), rng.randint(16, 60),
                     rng.choice("MF")])
    _csv(folder / "extract.csv", list(EXTRACT_COLUMNS.values()), rows)
    _mapping(folder / "extract.toml", "police_extract", "hostile_extract",
             f"{SCRIPT} extract {IMG} {SVG}", EXTRACT_COLUMNS)
    premises = [("P1", f"{IMG} Arms"), ("P2", f"{SVG} Tavern"), ("P3", LONG),
                ("P4", f"{SCRIPT} Club")]
    rows = []
    for i in range(120):
        pid, pname = premises[i % len(premises)]
        rows.append([pid, pname, f"{rng.choice(MONTHS)}-{rng.randint(1, 28):02d} 23:30",
                     rng.choice(["Assault", f"Fight {SVG}"]), rng.choice(["Y", "N"])])
    _csv(folder / "premises.csv", list(PREMISES_COLUMNS.values()), rows)
    _mapping(folder / "premises.toml", "premises_incidents", "hostile_premises",
             f"{SVG} premises {SCRIPT}", PREMISES_COLUMNS)


REGISTER_HEADER = ["id", "date", "document", "theme", "text", "owner", "status", "due date",
                   "update"]
REGISTER = [
    ["R1", "2024-04-15", f"{RLO}tnemssessa", f"{SVG} theme", f"{SCRIPT} recommendation",
     f"{IMG} owner", "In progress", "2025-03-31", LONG],
    ["R2", "2024-05-15", "Strategic assessment", "Violence", f"Do {IMG} this", f"{SCRIPT} lead",
     "Not started", "2024-06-30", f"{SVG} update"],
]
INTERVENTIONS_HEADER = ["id", "what", "area", "start", "comparison area", "categories",
                        "window months"]


def _spec(root: Path) -> Path:
    p1, p2 = f"{SCRIPT} violence", f"{SVG} acquisitive {IMG}"
    spec = f"""
recommendations = "register.csv"
interventions = "interventions.csv"

[partnership]
name = "Testshire"
area = "{CSP[0]}"

[period]
assessed = "2024"
compare = "2023"

[data]
police_uk = ["police-uk"]
reference = ["reference"]
datasets = [{{ data = "partner/extract.csv", mapping = "partner/extract.toml" }},
            {{ data = "partner/premises.csv", mapping = "partner/premises.toml" }}]

[outputs]
geography = "ward"

[[priorities]]
name = {_toml(p1)}
rationale = {_toml(f"{RLO}elanoitar {IMG}")}
owner = {_toml(f"{IMG} owner")}
categories = ["Violence and sexual offences"]

[[priorities.indicators]]
name = {_toml(f"{SVG} fewer violent crimes")}
measure = "count"
target = "change:-5"

[[priorities.indicators]]
name = {_toml(f"{SCRIPT} extract records")}
measure = "count"
dataset = "hostile_extract"
target = "no_significant_increase"

[[priorities]]
name = {_toml(p2)}
rationale = {_toml(LONG)}
owner = {_toml(f"{SCRIPT} owner")}
categories = ["Shoplifting", "Burglary"]

[[priorities.indicators]]
name = {_toml(f"{IMG} rate")}
measure = "rate"
target = "below_average:3"
"""
    path = root / "commsafe.toml"
    path.write_text(spec.lstrip(), encoding="utf-8")
    return path


def make_build(root: Path) -> Path:
    """Write every input under ``root``, run ``commsafe build`` and return the build folder."""
    rng = random.Random(14)
    _reference(root / "reference")
    street_rows = _street_files(root / "police-uk", rng)
    (root / "street-rows.txt").write_text(str(street_rows), encoding="utf-8")
    _datasets(root / "partner", rng)
    _csv(root / "register.csv", REGISTER_HEADER, REGISTER)
    _csv(root / "interventions.csv", INTERVENTIONS_HEADER,
         [["I1", f"{SVG} patrols {SCRIPT}", WARDS[0][0], "2024-07-01", WARDS[2][0],
           "Violence and sexual offences", "3"]])
    spec = _spec(root)
    code = main(["build", "--spec", str(spec), "--out", str(root / "out"), "--store",
                 str(root / "commsafe.duckdb"), "--quiet"])
    assert code == 0, "commsafe build failed on hostile input"
    (folder,) = (root / "out").iterdir()
    return folder


# --------------------------------------------------------------------------- the build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build folder of one assessment made from the hostile inputs (built once)."""
    return make_build(tmp_path_factory.mktemp("hostile-build"))


@pytest.fixture(scope="module")
def pdf_text(built: Path) -> str:
    """The PDF's text (pdftotext)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", str(built / "assessment.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_every_output_is_written_and_every_row_loaded(built: Path) -> None:
    for name in ("assessment.html", "assessment.pdf", "assessment.docx", "atlas.html",
                 "tables.xlsx", "manifest.json"):
        assert (built / name).is_file(), name
        assert (built / name).stat().st_size > 1000, name
    with (built / "data" / "sources.csv").open(newline="", encoding="utf-8") as h:
        sources = list(csv.DictReader(h))
    loaded = {r["file"]: (int(r["rows_read"]), int(r["rows_loaded"])) for r in sources}
    assert loaded["extract.csv"] == (400, 400)  # hostile headers, offences
    assert loaded["premises.csv"] == (120, 120)  # hostile premises names
    assert loaded["lookup_lsoa21_ward24_ltla24.csv"] == (6, 6)
    street = sum(n for f, (_, n) in loaded.items() if f.endswith("-street.csv"))
    written = int((built.parents[1] / "street-rows.txt").read_text(encoding="utf-8"))
    assert street == written  # hostile Locations


def test_pdf_holds_the_hostile_text(pdf_text: str) -> None:
    text = pdf_text
    for s in HOSTILE:
        assert s in text, s
    assert f"{SCRIPT} violence" in text  # a priority name, as written
    assert f"{IMG} Ward" in text  # a ward name from the lookup
    assert f"{SCRIPT} recommendation" in text  # register text


def test_a_5000_character_name_is_not_cut_off_in_the_pdf(pdf_text: str, built: Path) -> None:
    """The name wraps (the document gives over-long runs break opportunities) instead of
    running off the page: every time it is printed, all of its letters are on the pages
    (running headers and table cells may interleave with it in the text layer)."""
    import re

    text = pdf_text.replace("\u200b", "")
    printed = text.count("Long" + "o" * 20)
    # its o's: long runs, and the short one a line may leave before "name"
    letters = (sum(len(run) for run in re.findall(r"o{20,}", text))
               + sum(len(run) for run in re.findall(r"(?<!o)(o{1,19})name", text)))
    assert printed >= 3  # sentences and ward tables
    assert letters == printed * (len(LONG) - len("Longname"))
    # a ward table's row keeps its figures on the page, beside the name's first line
    layout = subprocess.run(["pdftotext", "-layout", str(built / "assessment.pdf"), "-"],
                            check=True, capture_output=True, text=True).stdout
    assert re.search(r"Longo{20,}\s+\d[\d,]*\s+[\d,]+\s+\d+\.\d\s+\d+\s*$", layout, re.M)


def test_word_document_holds_the_hostile_text(built: Path) -> None:
    import docx

    d = docx.Document(str(built / "assessment.docx"))
    text = "\n".join([*(p.text for p in d.paragraphs),
                      *(c.text for t in d.tables for r in t.rows for c in r.cells)])
    for s in HOSTILE:
        assert s in text, s
    for s in (f"{SCRIPT} violence", f"{IMG} Ward", f"{SCRIPT} recommendation", f"{IMG} owner",
              f"{SVG} patrols {SCRIPT}", f"{RLO}draw eerht", LONG):
        assert s in text, s[:40]


def test_svg_figures_hold_no_markup_from_the_data(built: Path) -> None:
    """Figure titles and labels carry the names: each SVG is well-formed, and has no script
    element, no event handler attribute and no foreign image."""
    import xml.etree.ElementTree as ET

    svgs = sorted((built / "figures").glob("*.svg"))
    assert len(svgs) >= 5
    hostile_in_figures = 0
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        hostile_in_figures += "alert(1)" in text
        root = ET.fromstring(text)
        for el in root.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            assert tag not in ("script", "foreignObject"), (svg.name, tag)
            assert not [a for a in el.attrib if a.rsplit("}", 1)[-1].lower().startswith("on")]
            if tag == "image":
                href = next((v for k, v in el.attrib.items() if k.endswith("href")), "")
                assert href.startswith("data:image/png;base64,"), (svg.name, href[:40])
    assert hostile_in_figures, "no figure carries a hostile name, so nothing was checked"


# --------------------------------------------------------------------------- the browser

sync_api = pytest.importorskip("playwright.sync_api")
needs_chromium = pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                                    reason="Debian chromium (/usr/bin/chromium) is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian chromium (/usr/bin/chromium) is not installed")
    pw = sync_api.sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@dataclass
class Opened:
    """A page and what it did: dialogs, requests outside the build, script errors."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser: Any, built: Path) -> Iterator[Any]:
    """``open_page(path)``: the file loaded in a fresh context where only files of the build
    may load; every dialog is recorded and dismissed."""
    contexts: list[Any] = []
    inside = built.as_uri() + "/"

    def _open(path: Path) -> Opened:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        opened = Opened(page=context.new_page())

        def route(r: Any) -> None:
            if r.request.url.startswith(inside):
                r.continue_()
            else:
                opened.blocked.append(r.request.url)
                r.abort()

        def on_dialog(d: Any) -> None:
            opened.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        context.route("**/*", route)
        opened.page.on("dialog", on_dialog)
        opened.page.on("pageerror", lambda e: opened.errors.append(str(e)))
        opened.page.goto(path.as_uri())
        return opened

    yield _open
    for context in contexts:
        context.close()


_INJECTED = """() => {
  const out = {scripts: [], handlers: [], imgx: 0, svgonload: 0, iframes: 0};
  for (const s of document.querySelectorAll("script")) {
    const type = s.getAttribute("type") || "";
    // code must not hold the data; a data block must not hold a "<" that could close it
    const bad = type === "application/json" ? s.textContent.includes("<")
      : s.textContent.includes("alert(1)") || s.src !== "";
    out.scripts.push(type + " " + (bad ? "BAD" : "ok"));
  }
  for (const el of document.querySelectorAll("*"))
    for (const a of el.attributes)
      if (a.name.toLowerCase().startsWith("on")) out.handlers.push(el.tagName + " " + a.name);
  out.imgx = document.querySelectorAll('img[src="x"]').length;
  out.svgonload = document.querySelectorAll("svg[onload]").length;
  out.iframes = document.querySelectorAll("iframe, object, embed, textarea").length;
  return out;
}"""


def assert_inert(opened: Opened, shipped_scripts: int) -> None:
    """No dialog, no script or element the data made, no event handler attribute."""
    page = opened.page
    page.wait_for_timeout(100)  # give a timer-driven handler the chance to fire
    found = page.evaluate(_INJECTED)
    assert opened.dialogs == [], opened.dialogs
    assert len(found["scripts"]) == shipped_scripts, found["scripts"]
    assert not any(s.endswith("BAD") for s in found["scripts"]), found["scripts"]
    assert found["handlers"] == [], found["handlers"]
    assert found["imgx"] == 0
    assert found["svgonload"] == 0
    assert found["iframes"] == 0
    assert opened.errors == [], opened.errors
    assert opened.blocked == [], opened.blocked


def visible_text(page: Any) -> str:
    """The text the page shows (``innerText``, not script contents), with select options."""
    text: str = page.evaluate("document.body.innerText")
    options: list[str] = page.eval_on_selector_all("option", "els => els.map(e => e.text)")
    # zero-width spaces are the break opportunities the document adds to over-long runs
    return "\n".join([text, *options]).replace("\u200b", "")


@needs_chromium
def test_the_document_shows_hostile_text_as_text(built: Path, open_page: Any) -> None:
    opened = open_page(built / "assessment.html")
    page = opened.page
    assert_inert(opened, shipped_scripts=0)  # the document ships no script at all
    text = visible_text(page)
    for s in HOSTILE:
        assert s in text, s
    for s in (f"{SCRIPT} violence",  # priority name (spec)
              f"{SVG} acquisitive {IMG}",  # priority name (spec)
              f"{IMG} owner",  # priority owner (spec) and register owner
              f"{SVG} fewer violent crimes",  # indicator name (spec)
              f"{IMG} Ward", f"{RLO}draw eerht", LONG,  # ward names (lookup)
              f"{IMG} CSP",  # the partnership's name (lookup)
              f"{SCRIPT} extract {IMG} {SVG}",  # partner data set title (mapping)
              f"{SVG} premises {SCRIPT}",  # partner data set title (mapping)
              f"{SCRIPT} recommendation", f"{SVG} theme", f"{SCRIPT} lead",  # register
              f"{SVG} patrols {SCRIPT}"):  # interventions log
        assert s in text, s[:40]
    # the figures are images of the build's own files, never the data's
    srcs = page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src'))")
    assert srcs and all(s.startswith("figures/") for s in srcs), srcs


@needs_chromium
def test_the_atlas_shows_hostile_text_as_text(built: Path, open_page: Any) -> None:
    shipped = (Path(__file__).resolve().parents[1] / "src" / "commsafe" / "atlas" / "templates"
               / "atlas.html.j2").read_text(encoding="utf-8").count("<script")
    opened = open_page(built / "atlas.html")
    page = opened.page
    page.wait_for_selector("html[data-atlas-ready]", state="attached")
    assert_inert(opened, shipped)
    indicators = page.eval_on_selector_all("#indicator option", "els => els.map(e => e.text)")
    assert f"{SVG} acquisitive {IMG}" in indicators  # a priority spanning two types
    # a partner data set's title (the premises data set has no areas, so is not mapped)
    assert f"{SCRIPT} extract {IMG} {SVG}" in indicators
    # every indicator, every ward's panel and tooltip, the chart and the pyramid
    values = page.eval_on_selector_all("#indicator option", "els => els.map(e => e.value)")
    shown: list[str] = []
    for value in values:
        page.select_option("#indicator", value)
        shown.append(page.inner_text("#legend-heading"))
    assert any(f"{SVG} acquisitive {IMG}" in s for s in shown), shown
    assert any(f"{SCRIPT} extract {IMG} {SVG}" in s for s in shown), shown
    page.select_option("#indicator", values[0])
    for code, name in WARDS:
        page.hover(f'#map path[data-code="{code}"]')
        assert page.inner_text("#tooltip .tooltip__name") == name
        page.click(f'#map path[data-code="{code}"]')
        assert page.inner_text("#panel-name") == name
    page.click("#tab-chart")
    chart = page.inner_text("#chart")
    assert f"{IMG} Ward" in chart
    page.select_option("#level", "lsoa")
    assert f"{SVG} 001A" in page.inner_text("#chart")
    page.select_option("#level", "ward")
    page.click("#tab-pyramid")
    groups = page.eval_on_selector_all("#pyramid-group option", "els => els.map(e => e.text)")
    assert f"{SCRIPT} District" in groups, groups
    page.select_option("#pyramid-group", DISTRICT[0])
    text = visible_text(page)
    for s in HOSTILE:
        assert s in text, s
    assert f"{IMG} CSP" in text
    assert_inert(opened, shipped)


@needs_chromium
def test_svg_figures_opened_alone_run_nothing(built: Path, open_page: Any) -> None:
    svgs = sorted((built / "figures").glob("*.svg"))
    opened = open_page(svgs[0])
    for svg in svgs:
        opened.page.goto(svg.as_uri())
        assert_inert(opened, shipped_scripts=0)
