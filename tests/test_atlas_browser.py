"""The community safety atlas page (commsafe.atlas.page), driven in Debian's Chromium.

One browser per module; every test opens the written page through a ``file://`` URL in a fresh
context whose network is blocked: only the page itself may load, anything else is aborted and
recorded, and the test fails if anything was requested. The expected figures come from the
same synthetic payload (tests/atlas_sample.py) the page was written from.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from atlas_sample import HOSTILE_INDICATOR, HOSTILE_NAME, sample_payload
from commsafe.atlas.page import payload_json, render_atlas, validate_payload, write_atlas

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
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SEQUENTIAL = {"#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"}
PURPLES = {"#542788", "#998ec3", "#d8daeb"}
ORANGES = {"#fee0b6", "#f1a340", "#b35806"}
HATCH = "url(#atlas-hatch)"

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian chromium (/usr/bin/chromium) is not installed"
)
sync_api = pytest.importorskip("playwright.sync_api")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pw = sync_api.sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture(scope="module")
def payload() -> dict[str, Any]:
    return sample_payload()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, payload: dict[str, Any]) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("atlas")
    return {
        "large": write_atlas(sample_payload(5000, lsoa=False), folder / "large.html"),
        "sample": write_atlas(payload, folder / "atlas.html"),
        "hostile": write_atlas(sample_payload(hostile=True), folder / "hostile.html"),
        "plain": write_atlas(sample_payload(9, lsoa=False, pyramids=False), folder / "plain.html"),
    }


@dataclass
class Atlas:
    """An open atlas page and what it did: blocked requests, errors, dialogs."""

    page: Any
    url: str
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def goto(self, fragment: str = "") -> None:
        self.page.goto(self.url + fragment)
        self.page.wait_for_selector("html[data-atlas-ready]", state="attached")

    def attr_all(self, selector: str, name: str) -> list[str | None]:
        return self.page.eval_on_selector_all(
            selector, "(els, name) => els.map(e => e.getAttribute(name))", name
        )

    def texts(self, selector: str) -> list[str]:
        return self.page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


@pytest.fixture
def open_atlas(browser: Any, pages: dict[str, Path]) -> Iterator[Callable[..., Atlas]]:
    """``open_atlas(name="sample", viewport=DESKTOP, fragment="")``: the page, loaded."""
    contexts: list[Any] = []
    opened: list[Atlas] = []

    def _open(
        name: str = "sample", viewport: dict[str, int] = DESKTOP, fragment: str = ""
    ) -> Atlas:
        url = pages[name].as_uri()
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        contexts.append(context)
        atlas = Atlas(page=None, url=url)

        def route(r: Any) -> None:
            if r.request.url.split("#", 1)[0] == url:
                r.continue_()
            else:
                atlas.blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        atlas.page = page
        page.on("console", lambda m: atlas.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: atlas.errors.append(str(e)))

        def on_dialog(d: Any) -> None:
            atlas.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        atlas.goto(fragment)
        opened.append(atlas)
        return atlas

    yield _open
    for context in contexts:
        context.close()
    for atlas in opened:
        assert atlas.blocked == [], f"the page requested {atlas.blocked}"
        assert atlas.errors == [], f"console/page errors: {atlas.errors}"


def _ward(payload: dict[str, Any], code: str) -> tuple[int, dict[str, Any]]:
    areas = payload["levels"]["ward"]["areas"]
    i = next(k for k, a in enumerate(areas) if a["code"] == code)
    return i, areas[i]


def _block(
    payload: dict[str, Any], indicator: str = "all-crime", period: str = "2024", level: str = "ward"
) -> dict[str, Any]:
    return payload["values"][level][indicator][period]


def _unsuppressed(payload: dict[str, Any], n: int = 2) -> list[str]:
    v = _block(payload)
    areas = payload["levels"]["ward"]["areas"]
    return [a["code"] for i, a in enumerate(areas) if v["count"][i] is not None][:n]


# --------------------------------------------------------------------------- Python side


def test_render_is_deterministic_and_escapes_script_closers(payload: dict[str, Any]) -> None:
    assert render_atlas(payload) == render_atlas(sample_payload())
    evil = sample_payload(4, lsoa=False)
    evil["levels"]["ward"]["areas"][0]["name"] = "</script><script>alert(3)</script>\u2028&"
    evil["meta"]["title"] = "<b>Title</b>"
    html = render_atlas(evil)
    data = html.split('id="atlas-data">', 1)[1].split("</script>", 1)[0]
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(3)" in data
    assert "<" not in data and "\u2028" not in data and "&" not in data
    assert json.loads(data)["levels"]["ward"]["areas"][0]["name"].startswith("</script>")
    assert "<title>&lt;b&gt;Title&lt;/b&gt;</title>" in html
    assert html.count("<script") == 2
    assert "script-src 'sha256-" in html and "script-src 'unsafe-inline'" not in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html


def test_validation_names_what_is_missing(payload: dict[str, Any]) -> None:
    validate_payload(payload)
    broken = {k: v for k, v in payload.items() if k not in ("monthly", "pyramids")}
    with pytest.raises(ValueError, match=r"missing key\(s\) 'monthly', 'pyramids'"):
        render_atlas(broken)
    with pytest.raises(ValueError, match="version must be 1, got 2"):
        render_atlas({**payload, "version": 2})
    short = json.loads(json.dumps(payload))
    short["values"]["ward"]["asb"]["2023"]["rate"].pop()
    with pytest.raises(
        ValueError, match=r"values\.ward\.asb\.2023\.rate has 13 entries, expected 14"
    ):
        render_atlas(short)
    with pytest.raises(ValueError, match="NaN"):
        payload_json({"x": float("nan")})


# --------------------------------------------------------------------------- loading


def test_loads_offline_without_errors(open_atlas: Callable[..., Atlas], payload: dict) -> None:
    atlas = open_atlas()
    page = atlas.page
    assert page.title() == payload["meta"]["title"]
    assert page.is_visible("#synthetic-banner")
    n = len(payload["levels"]["ward"]["areas"])
    assert page.locator("#map .areas path").count() == n
    assert page.locator("#data-table-body tr").count() == n
    assert page.locator("#map .outline path").count() == len(payload["outline"])
    assert (
        page.locator("#map .outline path").first.evaluate("e => getComputedStyle(e).pointerEvents")
        == "none"
    )
    assert page.eval_on_selector("#level", "s => [...s.options].map(o => o.value)") == [
        "ward",
        "lsoa",
    ]
    groups = page.eval_on_selector_all("#indicator optgroup", "gs => gs.map(g => g.label)")
    assert groups == ["Crime", "ASB"]
    assert page.eval_on_selector("#period", "s => s.value") == "2024"
    assert page.eval_on_selector("#measure", "s => s.value") == "rate"
    # Nothing loaded but the page itself (the fixture also checks this at the end).
    assert atlas.blocked == [] and atlas.errors == []
    resources = page.evaluate("performance.getEntriesByType('resource').length")
    assert resources == 0


def test_map_drawn_mark_once(open_atlas: Callable[..., Atlas]) -> None:
    page = open_atlas().page
    assert page.evaluate("performance.getEntriesByName('atlas-map-drawn').length") == 1
    page.select_option("#level", "lsoa")
    page.select_option("#level", "ward")
    assert page.evaluate("performance.getEntriesByName('atlas-map-drawn').length") == 1


# --------------------------------------------------------------------------- switching


def test_indicator_switch_recolours_map_and_legend(open_atlas: Callable[..., Atlas]) -> None:
    atlas = open_atlas()
    page = atlas.page
    fills = atlas.attr_all("#map .areas path", "fill")
    legend = page.inner_text("#legend")
    assert set(fills) <= SEQUENTIAL | {HATCH}
    page.select_option("#indicator", "violence")
    after = atlas.attr_all("#map .areas path", "fill")
    assert after != fills
    assert page.inner_text("#legend") != legend
    assert "Violence against the person" in page.inner_text("#legend-heading")
    assert "No value / suppressed" in page.inner_text("#legend")
    marks = page.evaluate(
        "['atlas-switch-start', 'atlas-switch-done']"
        ".map(n => performance.getEntriesByName(n).length)"
    )
    assert marks == [1, 1]
    assert "indicator=violence" in page.evaluate("location.hash")


def test_change_measure_uses_diverging_palette(
    open_atlas: Callable[..., Atlas], payload: dict[str, Any]
) -> None:
    atlas = open_atlas()
    atlas.page.select_option("#measure", "change")
    change = _block(payload)["change"]
    fills = atlas.attr_all("#map .areas path", "fill")
    falls = [fills[i] for i, c in enumerate(change) if c is not None and c < 0]
    rises = [fills[i] for i, c in enumerate(change) if c is not None and c > 0]
    assert falls and rises
    assert set(falls) <= PURPLES
    assert set(rises) <= ORANGES
    assert all(fills[i] == HATCH for i, c in enumerate(change) if c is None)
    legend = atlas.page.inner_text("#legend-list")
    assert re.search(r"-\d+%", legend) and re.search(r"\+\d+%", legend)


def test_level_switch_draws_lsoas(open_atlas: Callable[..., Atlas], payload: dict) -> None:
    page = open_atlas().page
    page.select_option("#level", "lsoa")
    n = len(payload["levels"]["lsoa"]["areas"])
    assert page.locator("#map .areas path").count() == n
    assert page.locator("#data-table-body tr").count() == n
    assert "LSOAs" in page.inner_text("#map-heading")


# --------------------------------------------------------------------------- selection


def test_click_ward_highlights_bar_and_fills_panel(
    open_atlas: Callable[..., Atlas], payload: dict[str, Any]
) -> None:
    page = open_atlas().page
    code = _unsuppressed(payload)[1]
    i, area = _ward(payload, code)
    page.click(f'#map path[data-code="{code}"]')
    assert page.inner_text("#panel-name") == area["name"]
    assert area["district_name"] in page.inner_text("#panel-district")
    assert page.inner_text("#panel-count") == f"{_block(payload)['count'][i]:,}"
    assert page.get_attribute(f'#map path[data-code="{code}"]', "aria-pressed") == "true"
    assert "selected" in (
        page.get_attribute(f'#data-table-body tr[data-code="{code}"]', "class") or ""
    )
    page.click("#tab-chart")
    assert page.locator(".bar.selected").count() == 1
    assert page.get_attribute(".bar.selected", "data-code") == code
    # The panel lists every indicator, and a monthly trend.
    assert page.locator("#panel-table tbody tr").count() == len(payload["indicators"])
    assert page.locator("#panel-trend rect.trend-bar").count() > 0


def test_click_bar_selects_area_on_map(
    open_atlas: Callable[..., Atlas], payload: dict[str, Any]
) -> None:
    page = open_atlas().page
    page.click("#tab-chart")
    values = _block(payload)["rate"]
    shown = [v for v in values if v is not None]
    codes = page.eval_on_selector_all("#chart .bar", "bs => bs.map(b => b.dataset.code)")
    first = _ward(payload, codes[0])[0]
    assert values[first] == max(shown)  # highest first
    code = codes[3]
    page.click(f'#chart .bar[data-code="{code}"]')
    assert "selected" in page.get_attribute(f'#map path[data-code="{code}"]', "class")
    assert page.locator("#map path.selected").count() == 1
    assert page.inner_text("#panel-name") == _ward(payload, code)[1]["name"]
    assert "selected" in page.get_attribute(f'#chart .bar[data-code="{code}"]', "class")


def test_keyboard_selects_area(open_atlas: Callable[..., Atlas], payload: dict) -> None:
    page = open_atlas().page
    code = _unsuppressed(payload)[0]
    path = page.locator(f'#map path[data-code="{code}"]')
    assert path.get_attribute("tabindex") == "0"
    assert path.get_attribute("role") == "button"
    label = path.get_attribute("aria-label") or ""
    assert re.fullmatch(r"Market: [\d,]+\.\d per 1,000, rank \d+ of \d+", label), label
    path.focus()
    page.keyboard.press("Enter")
    assert page.inner_text("#panel-name") == "Market"
    other = _unsuppressed(payload)[1]
    page.focus(f'#map path[data-code="{other}"]')
    page.keyboard.press(" ")
    assert page.inner_text("#panel-name") == _ward(payload, other)[1]["name"]
    # The controls are reachable by Tab from the top of the page.
    page.focus("#skip-link")
    reached = set()
    for _ in range(8):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id"))
    assert {"level", "indicator", "measure", "period"} <= reached


def test_map_pan_and_zoom(open_atlas: Callable[..., Atlas]) -> None:
    page = open_atlas().page
    home = page.get_attribute("#map", "viewBox")
    width = lambda: float(page.get_attribute("#map", "viewBox").split()[2])  # noqa: E731
    page.click("#zoom-in")
    assert width() < float(home.split()[2])
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    zoomed = width()
    assert zoomed < float(home.split()[2]) / 1.6
    x0 = float(page.get_attribute("#map", "viewBox").split()[0])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert float(page.get_attribute("#map", "viewBox").split()[0]) < x0
    assert page.locator("#map path.selected").count() == 0  # a drag does not select
    page.click("#zoom-reset")
    assert page.get_attribute("#map", "viewBox") == home


# --------------------------------------------------------------------------- pyramid


def test_pyramid_switches_group(open_atlas: Callable[..., Atlas], payload: dict) -> None:
    page = open_atlas().page
    page.click("#tab-pyramid")
    pyr = payload["pyramids"]
    assert page.eval_on_selector("#pyramid-group", "s => s.value") == pyr["groups"][0]["id"]
    assert page.eval_on_selector("#pyramid-compare", "s => s.value") == pyr["groups"][0]["id"]
    bars = '.pyramid[data-side="victims"] rect.pyr-bar[data-sex="male"]'

    def read() -> tuple[list[str], list[str], list[str]]:
        return (
            page.eval_on_selector_all(bars, "rs => rs.map(r => r.dataset.value)"),
            page.eval_on_selector_all(bars, "rs => rs.map(r => r.getAttribute('width'))"),
            page.eval_on_selector_all(bars, "rs => rs.map(r => r.textContent)"),
        )

    def expected(group: str) -> list[str]:
        return ["" if v is None else str(v) for v in pyr["data"][group]["victims"]["male"]]

    values, widths, titles = read()
    assert values == expected("all")
    district = pyr["groups"][2]["id"]
    page.select_option("#pyramid-group", district)
    values2, widths2, titles2 = read()
    assert values2 == expected(district)
    assert widths2 != widths and titles2 != titles
    assert pyr["groups"][2]["name"] in page.inner_text('.pyramid[data-side="victims"] figcaption')
    assert page.locator(".pyr-compare").count() > 0  # outline of the whole area
    page.check("#pyramid-shares")
    values3, widths3, _ = read()
    assert values3 == values2 and widths3 != widths2
    assert "%" in page.text_content('.pyramid[data-side="victims"] svg')


def test_no_pyramids_says_so(open_atlas: Callable[..., Atlas]) -> None:
    page = open_atlas("plain").page
    page.click("#tab-pyramid")
    assert page.is_visible("#pyramid-none")
    assert "No victim/offender data set is loaded" in page.inner_text("#pyramid-none")
    assert page.locator("#level option").count() == 1


# --------------------------------------------------------------------------- data table


def _read_download(page: Any, click: str) -> tuple[str, list[list[str]]]:
    with page.expect_download() as info:
        page.click(click)
    download = info.value
    text = Path(download.path()).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    return download.suggested_filename, rows


def _expected_cell(v: dict[str, Any], key: str, i: int) -> str:
    x = v[key][i]
    if x is None:
        return str(v["marks"].get(str(i), ""))
    return str(x)


def test_csv_download_is_the_table(open_atlas: Callable[..., Atlas], payload: dict) -> None:
    atlas = open_atlas()
    page = atlas.page
    name, rows = _read_download(page, "#download-csv")
    assert name == "atlas-ward-all-crime-rate-2024.csv"
    assert rows[0] == [
        "Area",
        "Area code",
        "District",
        "Rate per 1,000 residents, 2024",
        "Rank",
        "Count",
    ]
    shown = atlas.attr_all("#data-table-body tr", "data-code")
    assert [r[1] for r in rows[1:]] == shown
    v = _block(payload)
    for row in rows[1:]:
        i, area = _ward(payload, row[1])
        assert row == [
            area["name"],
            area["code"],
            area["district_name"],
            _expected_cell(v, "rate", i),
            "" if v["rank"][i] is None else str(v["rank"][i]),
            _expected_cell(v, "count", i),
        ]
    assert any(r[3] in ("<5", "[c]") for r in rows[1:])

    # Another state, sorted by value: same rows in the table's order, significance added.
    page.select_option("#measure", "change")
    page.select_option("#indicator", "violence")
    page.click('#data-table thead button[data-sort="value"]')
    name, rows = _read_download(page, "#download-csv")
    assert name == "atlas-ward-violence-change-2024.csv"
    assert rows[0][-1] == "Significance" and len(rows[0]) == 7
    assert [r[1] for r in rows[1:]] == atlas.attr_all("#data-table-body tr", "data-code")
    v = _block(payload, "violence")
    for row in rows[1:]:
        i, _ = _ward(payload, row[1])
        assert row[3] == _expected_cell(v, "change", i)
        assert row[6] == (v["change_words"][i] or "")


def test_sorting_by_value_reorders_rows(open_atlas: Callable[..., Atlas], payload: dict) -> None:
    atlas = open_atlas()
    page = atlas.page
    before = atlas.attr_all("#data-table-body tr", "data-code")
    assert page.get_attribute("#data-table th.col-name", "aria-sort") == "ascending"
    page.click('#data-table thead button[data-sort="value"]')
    after = atlas.attr_all("#data-table-body tr", "data-code")
    assert after != before and sorted(after) == sorted(before)
    assert page.get_attribute("#data-table th.col-value", "aria-sort") == "descending"
    assert page.get_attribute("#data-table th.col-name", "aria-sort") is None
    rates = _block(payload)["rate"]
    shown = [rates[_ward(payload, c)[0]] for c in after]
    numbers = [x for x in shown if x is not None]
    assert numbers == sorted(numbers, reverse=True)
    assert shown[len(numbers) :] == [None] * (len(shown) - len(numbers))  # no value last
    page.click('#data-table thead button[data-sort="value"]')
    assert page.get_attribute("#data-table th.col-value", "aria-sort") == "ascending"
    asc = [rates[_ward(payload, c)[0]] for c in atlas.attr_all("#data-table-body tr", "data-code")]
    assert [x for x in asc if x is not None] == sorted(numbers)


def test_suppressed_values_show_marks_and_no_value(
    open_atlas: Callable[..., Atlas], payload: dict
) -> None:
    atlas = open_atlas()
    page = atlas.page
    v = _block(payload)
    assert v["marks"]
    areas = payload["levels"]["ward"]["areas"]
    for idx, mark in v["marks"].items():
        code = areas[int(idx)]["code"]
        row = f'#data-table-body tr[data-code="{code}"]'
        assert page.inner_text(f"{row} td.col-value") == mark
        assert page.inner_text(f"{row} td.col-count") == mark
        assert page.get_attribute(f'#map path[data-code="{code}"]', "fill") == HATCH
        assert "suppressed" in (
            page.get_attribute(f'#map path[data-code="{code}"]', "aria-label") or ""
        )
    assert f"No value / suppressed({len(v['marks'])})" in page.inner_text("#legend-list").replace(
        "\n", ""
    ).replace(" (", "(")
    assert page.evaluate("document.getElementById('atlas-hatch') !== null")


# --------------------------------------------------------------------------- permalink


def test_permalink_restores_state(open_atlas: Callable[..., Atlas], payload: dict) -> None:
    atlas = open_atlas()
    page = atlas.page
    lsoa = payload["levels"]["lsoa"]["areas"][5]
    fragment = f"#level=lsoa&indicator=asb&measure=count&period=2023&area={lsoa['code']}&view=chart"
    atlas.goto(fragment)
    page.reload()
    page.wait_for_selector("html[data-atlas-ready]", state="attached")
    values = page.evaluate(
        "['level','indicator','measure','period'].map(id => document.getElementById(id).value)"
    )
    assert values == ["lsoa", "asb", "count", "2023"]
    assert page.inner_text("#panel-name") == lsoa["name"]
    assert page.get_attribute(f'#map path[data-code="{lsoa["code"]}"]', "aria-pressed") == "true"
    assert page.get_attribute("#tab-chart", "aria-selected") == "true"
    assert page.is_visible(f'#chart .bar.selected[data-code="{lsoa["code"]}"]')
    # Bad parts fall back to the defaults, good parts are kept.
    atlas.goto("#level=nowhere&indicator=asb&measure=%3Cscript%3E&period=1999&area=nope&view=x")
    page.reload()
    page.wait_for_selector("html[data-atlas-ready]", state="attached")
    values = page.evaluate(
        "['level','indicator','measure','period'].map(id => document.getElementById(id).value)"
    )
    assert values == ["ward", "asb", "rate", "2024"]
    assert page.is_visible("#panel-empty")
    assert page.get_attribute("#tab-map", "aria-selected") == "true"
    # A hash typed into the address bar (no reload) is applied too.
    page.evaluate("location.hash = '#level=ward&indicator=violence&measure=count&period=2023'")
    page.wait_for_function("document.getElementById('indicator').value === 'violence'")
    assert page.eval_on_selector("#measure", "s => s.value") == "count"
    assert "Violence against the person" in page.inner_text("#legend-heading")


def test_skip_link_keeps_the_permalink(open_atlas: Callable[..., Atlas]) -> None:
    page = open_atlas().page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "skip-link"
    assert page.is_visible("#skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "data-table-heading"
    assert "indicator=all-crime" in page.evaluate("location.hash")


# --------------------------------------------------------------------------- safety


def test_hostile_strings_render_as_text(open_atlas: Callable[..., Atlas]) -> None:
    atlas = open_atlas("hostile")
    page = atlas.page
    hostile = sample_payload(hostile=True)
    code = next(a["code"] for a in hostile["levels"]["ward"]["areas"] if a["name"] == HOSTILE_NAME)
    assert HOSTILE_NAME in atlas.texts("#data-table-body button.area-link")
    page.hover(f'#map path[data-code="{code}"]')
    assert page.is_visible("#tooltip")
    assert page.inner_text("#tooltip .tooltip__name") == HOSTILE_NAME
    page.click(f'#map path[data-code="{code}"]')
    assert page.inner_text("#panel-name") == HOSTILE_NAME
    assert HOSTILE_INDICATOR in atlas.texts("#indicator option")
    page.select_option("#indicator", "violence")
    assert HOSTILE_INDICATOR in page.inner_text("#legend-heading")
    assert HOSTILE_INDICATOR in page.inner_text("#panel-table")
    page.click("#tab-chart")
    page.select_option("#level", "lsoa")
    page.wait_for_timeout(50)
    assert atlas.dialogs == []
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 2


# --------------------------------------------------------------------------- scale


def test_five_thousand_areas(open_atlas: Callable[..., Atlas]) -> None:
    """A whole force at LSOA level: the map draws and re-colours quickly (generous bounds,
    the point is the order of magnitude), and the table catches up just after the map."""
    atlas = open_atlas("large")
    page = atlas.page
    assert page.locator("#map .areas path").count() == 5000
    drawn = page.evaluate("performance.getEntriesByName('atlas-map-drawn')[0].startTime")
    assert drawn < 8000
    before = atlas.attr_all("#map .areas path", "fill")
    page.select_option("#indicator", "asb")
    switch = page.evaluate(
        "performance.getEntriesByName('atlas-switch-done')[0].startTime"
        " - performance.getEntriesByName('atlas-switch-start')[0].startTime"
    )
    assert switch < 2000
    assert atlas.attr_all("#map .areas path", "fill") != before
    page.wait_for_function("!document.documentElement.hasAttribute('data-atlas-pending')")
    assert "Anti-social behaviour" in page.inner_text("#data-table-caption")
    assert page.locator("#data-table-body tr").count() == 5000


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_horizontal_scroll_and_map_visible(
    open_atlas: Callable[..., Atlas], viewport: dict[str, int]
) -> None:
    atlas = open_atlas(viewport=viewport)
    page = atlas.page
    overflow = "document.scrollingElement.scrollWidth <= window.innerWidth + 1"
    assert page.evaluate(overflow)
    box = page.locator("#map").bounding_box()
    assert box is not None and box["height"] > 150
    assert box["width"] >= (0.55 if viewport is DESKTOP else 0.85) * viewport["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
    code = atlas.attr_all("#map .areas path", "data-code")[0]
    page.click(f'#map path[data-code="{code}"]')
    assert page.evaluate(overflow)
    for tab in ("#tab-chart", "#tab-pyramid"):
        page.click(tab)
        assert page.evaluate(overflow), tab
    if viewport is PHONE:  # panels stack: the area panel comes below the views
        views = page.locator(".views").bounding_box()
        panel = page.locator("#area-panel").bounding_box()
        assert panel["y"] >= views["y"] + views["height"] - 1


# --------------------------------------------------------------------------- screenshots


def write_screenshots(folder: Path) -> list[Path]:
    """Not a test: screenshots of the map, chart, panel and pyramid views at desktop and phone
    sizes, for a person to look at. ``python tests/test_atlas_browser.py [folder]``."""
    folder.mkdir(parents=True, exist_ok=True)
    page_path = write_atlas(sample_payload(), folder / "atlas.html")
    payload = sample_payload()
    code = _unsuppressed(payload)[1]
    shots: list[Path] = []
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for tag, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = b.new_context(viewport=viewport)
            context.route(
                "**/*",
                lambda r: (
                    r.continue_() if r.request.url.startswith(page_path.as_uri()) else r.abort()
                ),
            )
            page = context.new_page()
            page.goto(page_path.as_uri())
            page.wait_for_selector("html[data-atlas-ready]", state="attached")
            page.click(f'#map path[data-code="{code}"]')
            page.hover(f'#map path[data-code="{_unsuppressed(payload, 4)[3]}"]')

            def shot(page: Any, name: str, selector: str | None = None, *, tag: str = tag) -> None:
                out = folder / f"{tag}-{name}.png"
                if selector:
                    page.locator(selector).screenshot(path=str(out))
                else:
                    page.screenshot(path=str(out), full_page=name in ("page", "print"))
                shots.append(out)

            shot(page, "map")
            shot(page, "page")
            shot(page, "panel", "#area-panel")
            page.select_option("#measure", "change")
            shot(page, "map-change", ".views")
            page.click("#tab-chart")
            shot(page, "chart", ".views")
            page.click("#tab-pyramid")
            page.select_option("#pyramid-group", payload["pyramids"]["groups"][1]["id"])
            shot(page, "pyramid", ".views")
            page.select_option("#level", "lsoa")
            page.click("#tab-map")
            shot(page, "map-lsoa", ".views")
            page.emulate_media(media="print")
            shot(page, "print")
            context.close()
        b.close()
    return shots


if __name__ == "__main__":
    import sys

    for p in write_screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/atlas_shots")):
        print(p)
