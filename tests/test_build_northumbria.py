"""`commsafe init` + `commsafe build` for Newcastle upon Tyne on 33 months of real Northumbria
street files (2020-05 … 2023-02, 2022-01 missing as published): the comparison period lacks a
month, so changes are like for like over the 11 months both periods have; coverage, ASB and
recording breaks are published; every figure checked here is recounted from the raw files."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from commsafe.cli import main
from realdata import REFERENCE, rows_of

FOLDER = "police-uk/northumbria-2020-23"
SHARED_MONTHS = [f"2021-{m:02d}" for m in range(3, 13) if m != 1] + ["2022-02"]
"""The comparison period March 2021 to February 2022 has no January 2022; the months it
shares with March 2022 to February 2023 are its other 11 (and their year-later twins)."""


def _later(month: str) -> str:
    y, m = month.split("-")
    return f"{int(y) + 1}-{m}"


@pytest.fixture(scope="module")
def raw(shared_data: Path) -> dict[str, Counter[tuple[str, str]]]:
    """Newcastle's rows (LSOA name 'Newcastle upon Tyne 0NNX') and the force's rows by month,
    counted from the raw files: (month, category) → rows."""
    newcastle: Counter[tuple[str, str]] = Counter()
    force: Counter[tuple[str, str]] = Counter()
    for f in sorted((shared_data / FOLDER).glob("*/*-street.csv")):
        with f.open(newline="", encoding="utf-8-sig") as h:
            for r in csv.DictReader(h):
                force[(r["Month"], "all")] += 1
                if r["LSOA name"].startswith("Newcastle upon Tyne "):
                    newcastle[(r["Month"], r["Crime type"])] += 1
    return {"newcastle": newcastle, "force": force}


@pytest.fixture(scope="module")
def build(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("northumbria")
    store = root / "commsafe.duckdb"
    refs = [a for r in REFERENCE for a in ("--reference", str(shared_data / r))]
    assert main(["init", "--csp", "Newcastle upon Tyne", "--data", str(shared_data / FOLDER),
                 *refs, "--dir", str(root), "--store", str(store)]) == 0
    assert main(["build", "--spec", str(root / "commsafe.toml"), "--out", str(root / "out"),
                 "--store", str(store), "--quiet"]) == 0
    (out,) = (root / "out").iterdir()
    return out


def test_coverage_names_the_missing_force_month(build: Path, raw: dict) -> None:
    rows = rows_of(build / "data" / "coverage.csv")
    assert list(rows[0]) == ["force", "month", "rows", "status"]
    assert len(rows) == 24  # March 2021 to February 2023, one force
    missing = [r["month"] for r in rows if r["status"] == "missing"]
    assert missing == ["2022-01"]
    for r in rows:
        assert int(r["rows"]) == raw["force"][(r["month"], "all")]


def test_changes_are_like_for_like_over_the_shared_months(build: Path, raw: dict) -> None:
    rows = {r["category"]: r for r in rows_of(build / "data" / "change_by_type.csv")}
    newcastle = raw["newcastle"]
    crime = [c for (_, c) in newcastle if c != "Anti-social behaviour"]
    for category in ("All crime", "Burglary", "Shoplifting", "Criminal damage and arson"):
        cats = set(crime) if category == "All crime" else {category}
        before = sum(newcastle[(m, c)] for m in SHARED_MONTHS for c in cats)
        after = sum(newcastle[(_later(m), c)] for m in SHARED_MONTHS for c in cats)
        row = rows[category]
        values = [int(v) for k, v in row.items() if k.startswith("12 months to")]
        assert values == [before, after], category
        assert row["months_compared"] == "11"
        assert row["change"] == str(after - before)
    html = (build / "assessment.html").read_text(encoding="utf-8")
    assert "compared with the same 11 months" in html
    assert "has no data loaded" not in html
    assert "March 2022 to February 2023" in html  # the period by its months, not "12 months to"


def test_asb_by_year_is_published(build: Path, raw: dict) -> None:
    rows = rows_of(build / "data" / "asb_by_year.csv")
    assert list(rows[0]) == ["period", "incidents", "residents", "rate_per_1000"]
    latest = rows[-1]
    assert latest["period"] == "March 2022 to February 2023"
    months = [_later(m) for m in SHARED_MONTHS] + ["2023-01"]
    assert int(latest["incidents"]) == sum(raw["newcastle"][(m, "Anti-social behaviour")]
                                           for m in months)
    assert float(latest["rate_per_1000"]) == pytest.approx(
        1000 * int(latest["incidents"]) / int(latest["residents"]), abs=0.05)
    # the year before lacks January 2022: counted over its other 11 months, with no rate
    before = rows[-2]
    assert before["period"] == "March 2021 to February 2022"
    assert int(before["incidents"]) == sum(raw["newcastle"][(m, "Anti-social behaviour")]
                                           for m in SHARED_MONTHS)
    assert before["rate_per_1000"] == ""
    html = (build / "assessment.html").read_text(encoding="utf-8")
    assert "Anti-social behaviour incidents by year" in html
    assert ("March 2021 to February 2022: 11 of 12 months have data; the count covers those "
            "months only") in html


def test_recording_breaks_are_published(build: Path) -> None:
    path = build / "data" / "recording_breaks.csv"
    with path.open(newline="", encoding="utf-8") as h:
        header = next(csv.reader(h))
    assert header == ["force", "category", "month", "before_per_month", "after_per_month",
                      "ratio"]
    for r in rows_of(path):
        ratio = float(r["ratio"])
        assert ratio >= 1.5 or ratio <= 1 / 1.5
        assert float(r["after_per_month"]) / float(r["before_per_month"]) == pytest.approx(
            ratio, rel=0.02)


def test_countywide_view_with_funnel_plot(build: Path, raw: dict) -> None:
    rows = rows_of(build / "data" / "context.csv")
    assert list(rows[0]) == ["level", "area_code", "area_name", "category", "period", "count",
                             "residents", "rate_per_1000", "rank", "funnel"]
    all_crime = [r for r in rows if r["category"] == "All crime"]
    assert sorted(r["level"] for r in all_crime) == ["csp"] * 6 + ["pfa"]
    mine = next(r for r in all_crime if r["area_name"] == "Newcastle upon Tyne")
    months = [_later(m) for m in SHARED_MONTHS] + ["2023-01"]  # assessed: every month
    assert int(mine["count"]) == sum(n for (m, c), n in raw["newcastle"].items()
                                     if m in months and c != "Anti-social behaviour")
    classes = {"within", "above 95%", "above 99.8%", "below 95%", "below 99.8%"}
    assert {r["funnel"] for r in rows if r["level"] == "csp"} <= classes
    assert sum(int(r["count"]) for r in all_crime if r["level"] == "csp") == int(
        next(r for r in all_crime if r["level"] == "pfa")["count"])
    assert (build / "figures" / "context_funnel.png").stat().st_size > 10_000
    html = (build / "assessment.html").read_text(encoding="utf-8")
    assert "Understanding the wider context: countywide view" in html


@pytest.fixture(scope="module")
def planted(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same build on a copy of the files in which Criminal damage and arson is recorded
    ten times over from June 2022 on (each row and nine copies with their own Crime IDs): a
    recording change planted in a real series."""
    root = tmp_path_factory.mktemp("planted")
    police = root / "police-uk"
    for f in sorted((shared_data / FOLDER).glob("*/*-street.csv")):
        (police / f.parent.name).mkdir(parents=True)
        with f.open(newline="", encoding="utf-8-sig") as h:
            rows = list(csv.reader(h))
        header, body = rows[0], rows[1:]
        if f.parent.name >= "2022-06":
            kind, cid = header.index("Crime type"), header.index("Crime ID")
            body += [[*r[:cid], f"{r[cid]}-copy{k}", *r[cid + 1:]]
                     for r in body if r[kind] == "Criminal damage and arson" for k in range(9)]
        with (police / f.parent.name / f.name).open("w", newline="", encoding="utf-8") as h:
            csv.writer(h).writerows([header, *body])
    store = root / "commsafe.duckdb"
    refs = [a for r in REFERENCE for a in ("--reference", str(shared_data / r))]
    assert main(["init", "--csp", "Newcastle upon Tyne", "--data", str(police), *refs,
                 "--dir", str(root), "--store", str(store)]) == 0
    assert main(["build", "--spec", str(root / "commsafe.toml"), "--out", str(root / "out"),
                 "--store", str(store), "--quiet"]) == 0
    (out,) = (root / "out").iterdir()
    return out


def test_a_planted_recording_break_is_found_and_named(planted: Path) -> None:
    breaks = rows_of(planted / "data" / "recording_breaks.csv")
    mine = [r for r in breaks if r["category"] == "Criminal damage and arson"]
    assert [r["month"] for r in mine] == ["2022-06"]
    assert 8 < float(mine[0]["ratio"]) < 12
    html = (planted / "assessment.html").read_text(encoding="utf-8")
    start = html.index("Criminal damage and arson went up from")
    sentence = html[start:html.index("</", start)]
    assert "series steps up from June 2022" in sentence
    assert "most likely a change in recording" in sentence
    assert "Criminal damage and arson rose" not in html
