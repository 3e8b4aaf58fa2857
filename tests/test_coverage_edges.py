"""Coverage edge cases on a hand-made store: two forces covering one partnership with
different gaps, a force missing for the whole period assessed, and a district with no
population. Every expected figure is recounted here from the rows the test writes."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
import shapely

from commsafe.disclosure import DisclosureRules
from commsafe.errors import InputError
from commsafe.measures.areas import coverage
from commsafe.measures.indicators import AreaMonthly
from commsafe.periods import calendar_year, month_range
from commsafe.reference.areas import Area
from commsafe.reference.population import insert_population
from commsafe.report.assemble import assemble
from commsafe.report.model import Paragraph, Table
from commsafe.report.publish import Publisher
from commsafe.spec import Spec
from commsafe.store import Store

AREA = Area("district", "E08000035", "Leeds")
#: (lsoa11 code, name, population, force policing it, burglaries a month, its square)
LSOAS = [("E01000101", "Leeds 001A", 1500, "alpha", 3, (-1.55, 53.80)),
         ("E01000102", "Leeds 001B", 2000, "beta", 5, (-1.54, 53.80))]
Y2023, Y2024 = calendar_year(date(2023, 1, 1)), calendar_year(date(2024, 1, 1))


def fill(store: Store, *, gaps: dict[str, set[date]], population: bool = True) -> list[tuple]:
    """Two LSOAs of one district, each policed by its own force, 2023-01 … 2024-12, with
    each force publishing nothing in its ``gaps`` months. Returns (force, month, count)."""
    con = store.con
    con.execute("INSERT INTO areas VALUES ('district', 'E08000035', 'Leeds', 2011, 0)")
    for code, name, pop, _, _, (x, y) in LSOAS:
        con.execute("INSERT INTO areas VALUES ('lsoa11', ?, ?, 2011, 0)", [code, name])
        con.execute("INSERT INTO area_links VALUES ('lsoa11', ?, 'district', 'E08000035', "
                    "NULL, 2011, 0)", [code])
        if population:
            insert_population(con, [("lsoa11", code, 2011, "persons", "all", 0, None, pop,
                                     "census2011", 0)])
        square = shapely.box(x, y, x + 0.01, y + 0.01)
        con.execute("INSERT INTO boundaries VALUES ('lsoa11', ?, ?, 2011, ?, ?, ?, ?, ?, 0)",
                    [code, name, shapely.to_wkb(square), *square.bounds])
    rows, written = [], []
    for month in month_range("2023-01", "2024-12"):
        for code, name, _, force, burglaries, _ in LSOAS:
            if month in gaps.get(force, set()):
                continue
            n = burglaries + month.month % 3  # a little variation by month
            written.append((force, month, n))
            for i in range(n):
                rows.append(("police_uk", force, f"{code}-{month}-{i}", i, month, "Burglary",
                             "Burglary", False, code, name, 2011, "E08000035", "code", 0))
    con.executemany(
        "INSERT INTO events (source, force, event_id, row_number, month, category, crime_type, "
        "is_asb, lsoa_code, lsoa_name, lsoa_vintage, district_code, resolution, load_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return written


def _spec() -> Spec:
    return Spec(partnership_name="Leeds", area=AREA.code, assessed=Y2024, compare=Y2023)


def _table(doc: object, name: str) -> Table:
    return next(b for s in doc.walk() for b in s.blocks  # type: ignore[attr-defined]
                if isinstance(b, Table) and b.caption.startswith(name))


def test_two_forces_with_different_gaps_are_compared_like_for_like(store: Store,
                                                                   tmp_path: Path) -> None:
    """alpha published nothing for March 2024, beta nothing for July 2023: the partnership has
    data for neither month, so 2024 and 2023 are compared over the other 10 months only."""
    gaps = {"alpha": {date(2024, 3, 1)}, "beta": {date(2023, 7, 1)}}
    written = fill(store, gaps=gaps)
    dropped = {3, 7}  # the months of the year either force lacks, in either year
    recount = {y: sum(n for _, m, n in written if m.year == y and m.month not in dropped)
               for y in (2023, 2024)}

    cmp = AreaMonthly.read(store, AREA).compared(Y2023, Y2024)
    assert cmp.months == 10 and cmp.partial
    assert [f"{m:%Y-%m}" for m in cmp.missing] == ["2023-07", "2024-03"]
    assert cmp.data is not None
    assert cmp.data.count(None, Y2023) == recount[2023]
    assert cmp.data.count(None, Y2024) == recount[2024]

    cov = coverage(store, within=AREA, months=list(month_range("2023-01", "2024-12")))
    assert len(cov) == 48  # 2 forces × 24 months
    missing = cov[cov["status"] == "missing"]
    assert sorted(zip(missing["force"], missing["month"], strict=True)) == [
        ("alpha", "2024-03"), ("beta", "2023-07")]
    assert (missing["rows"] == 0).all()

    pub = Publisher(tmp_path, DisclosureRules())
    built = assemble(store, _spec(), AREA, pub)
    with (tmp_path / "data" / "change_by_type.csv").open(newline="", encoding="utf-8") as f:
        (row,) = [r for r in csv.DictReader(f) if r["category"] == "Burglary"]
    assert int(row["2023"]) == recount[2023] and int(row["2024"]) == recount[2024]
    assert row["months_compared"] == "10"
    words = " ".join(f.text for f in built.findings)
    # the period assessed lacks March 2024 (so every count leaves it out), and the
    # comparison also lacks July 2023
    assert ("Only 11 of the 12 months of January to December 2024 have data (January to "
            "February 2024 and April to December 2024; no data for March 2024)") in words
    assert "no data for July 2023, so only the months both periods have" in words


def test_a_force_missing_for_the_whole_period_refuses_with_its_name(store: Store,
                                                                   tmp_path: Path) -> None:
    """beta published nothing in 2024: half the partnership has no data, so 2024 cannot be
    assessed; the message names the force and the months there are."""
    fill(store, gaps={"beta": set(month_range("2024-01", "2024-12"))})
    with pytest.raises(InputError) as err:
        assemble(store, _spec(), AREA, Publisher(tmp_path, DisclosureRules()))
    text = str(err.value)
    assert "beta published no street-level data for any month of it" in text
    assert "January 2023 to December 2023 (12 months)" in text
    assert "Fix:" in text


def test_a_district_with_no_population_has_blank_rates_and_says_why(store: Store,
                                                                    tmp_path: Path) -> None:
    fill(store, gaps={}, population=False)
    pub = Publisher(tmp_path, DisclosureRules())
    doc = assemble(store, _spec(), AREA, pub).document
    overview = _table(doc, "All crime by year")
    assert [r[0] for r in overview.rows] == ["January to December 2023",
                                             "January to December 2024"]
    assert all(r[2] == "" and r[3] == "" for r in overview.rows)  # residents, rate: blank
    notes = [b.text for s in doc.walk() for b in s.blocks if isinstance(b, Paragraph)]
    assert any("No population is loaded for Leeds" in t for t in notes)
    with (tmp_path / "data" / "overview_by_year.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["rate_per_1000"] for r in rows] == ["", ""]
    assert [int(r["count"]) for r in rows] == [
        sum(3 + m % 3 + 5 + m % 3 for m in range(1, 13))] * 2


def test_lsoa11_population_sums_to_the_district(store: Store, tmp_path: Path) -> None:
    """With only 2011 LSOAs loaded (no 2021 ones), the district's residents are the sum of
    its 2011 LSOAs, so the document gives rates per 1,000 (not 'no population')."""
    fill(store, gaps={})
    doc = assemble(store, _spec(), AREA, Publisher(tmp_path, DisclosureRules())).document
    overview = _table(doc, "All crime by year")
    assert [r[2] for r in overview.rows] == ["3,500", "3,500"]
    total = sum(3 + m % 3 + 5 + m % 3 for m in range(1, 13))
    assert overview.rows[1][3] == f"{total * 1000 / 3500:.1f}"


def test_harm_weights_reorder_the_key_findings(store: Store, tmp_path: Path) -> None:
    """Burglary up 48 (a high-harm type) and shoplifting up 96 (low harm), both significant:
    by size × significance shoplifting comes first; with weights 250 and 1 (harm per offence)
    burglary does, and a missing weights file fails the build instead of being skipped."""
    con = store.con
    fill(store, gaps={})
    rows = []
    for month in month_range("2023-01", "2024-12"):
        extra = {"Burglary": 4 if month.year == 2024 else 0,
                 "Shoplifting": 10 + (8 if month.year == 2024 else 0)}
        for cat, n in extra.items():
            for i in range(n):
                rows.append(("police_uk", "alpha", f"x-{cat}-{month}-{i}", 1000 + i, month,
                             cat, cat, False, "E01000101", "Leeds 001A", 2011, "E08000035",
                             "code", 0))
    con.executemany(
        "INSERT INTO events (source, force, event_id, row_number, month, category, crime_type, "
        "is_asb, lsoa_code, lsoa_name, lsoa_vintage, district_code, resolution, load_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def order(spec: Spec, out: Path) -> list[str]:
        built = assemble(store, spec, AREA, Publisher(out, DisclosureRules()))
        key = next(s for s in built.document.walk() if s.id == "key-findings")
        return [b.id.split(":")[1] for b in key.blocks
                if getattr(b, "id", "").startswith("change:")]

    plain = order(_spec(), tmp_path / "plain")
    assert plain.index("shoplifting") < plain.index("burglary")
    weights = tmp_path / "weights.csv"
    weights.write_text("category,weight\nBurglary,250\nShoplifting,1\n", encoding="utf-8")
    from dataclasses import replace

    weighted = order(replace(_spec(), harm_weights=weights), tmp_path / "harm")
    assert weighted.index("burglary") < weighted.index("shoplifting")
    with pytest.raises(InputError, match="harm weights file not found"):
        order(replace(_spec(), harm_weights=tmp_path / "nope.csv"), tmp_path / "missing")


def test_a_period_with_one_month_of_data_is_named_by_that_month(store: Store,
                                                                tmp_path: Path) -> None:
    """Only the Julys have data (as in the package-index sample): the title, the headline and
    the change table name July 2024 and July 2023, never the 12 months around them, and say
    it is 1 month with data."""
    from commsafe.periods import rolling_12

    julys = {date(2023, 7, 1), date(2024, 7, 1)}
    gaps = {f: set(month_range("2023-01", "2024-12")) - julys for f in ("alpha", "beta")}
    written = fill(store, gaps=gaps)
    spec = Spec(partnership_name="Leeds", area=AREA.code, assessed=rolling_12("2024-07"),
                compare=rolling_12("2023-07"))
    built = assemble(store, spec, AREA, Publisher(tmp_path, DisclosureRules()))
    doc = built.document
    assert doc.title == "Leeds: Strategic assessment July 2024 (1 month with data)"
    lead = next(b for s in doc.walk() if s.id == "summary" for b in s.blocks
                if isinstance(b, Paragraph))
    july = {y: sum(n for _, m, n in written if m.year == y) for y in (2023, 2024)}
    assert lead.text.startswith(f"In July 2024 there were {july[2024]:,} crimes")
    assert f"against {july[2023]:,} in July 2023" in lead.text
    change = _table(doc, "Crime by type")
    assert change.caption == "Crime by type: July 2024 compared with July 2023"
    assert change.columns[1:3] == ("July 2023", "July 2024")
    assert "July 2024 compared with July 2023 (1 month each)." in change.notes
    text = " ".join(b.text for s in doc.walk() for b in s.blocks if hasattr(b, "text"))
    assert "12 months to" not in text and "August 2023 to July 2024 there" not in text


def test_recorded_crime_tables_give_an_appendix_a_table(store: Store, tmp_path: Path) -> None:
    """A Home Office recorded crime workbook named in the spec (one sheet a financial year,
    a Notes sheet, an Unassigned row, an adjustment) gives Appendix A a table of the
    partnership's recorded crime by offence group, every figure summed here by hand."""
    from dataclasses import replace

    import xlsxwriter

    fill(store, gaps={})
    head = ("Financial Year", "Financial Quarter", "Police Force", "CSP Name",
            "Offence Description", "Offence Group", "Offence Subgroup", "Offence Code",
            "Offence Count")
    burglary = ("Burglary - residential", "Theft offences", "Residential burglary", "28A")
    shop = ("Shoplifting", "Theft offences", "Shoplifting", "46")
    sheets = {
        "Notes": [("Notes",), ("Counts can be negative: adjustments.",)],
        "2022_23": [head, ("2022/23", 1, "West Yorkshire", "Leeds", *burglary, 40),
                    ("2022/23", 2, "West Yorkshire", "Leeds", *shop, 100),
                    ("2022/23", 1, "West Yorkshire", "Unassigned", *shop, 9)],
        "2023_24": [head, ("2023/24", 1, "West Yorkshire", "Leeds", *burglary, 60),
                    ("2023/24", 3, "West Yorkshire", "Leeds", *shop, 90),
                    ("2023/24", 4, "West Yorkshire", "Leeds", *shop, -5)],
    }
    path = tmp_path / "prc-csp.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    book.close()

    # Leeds district is Leeds CSP, in West Yorkshire police force area (for the countywide
    # view: the CSP's code and population, and the force's)
    store.con.execute("INSERT INTO areas VALUES ('csp', 'E22000999', 'Leeds', 2024, 0), "
                      "('pfa', 'E23000010', 'West Yorkshire', 2024, 0)")
    store.con.execute("INSERT INTO area_links VALUES ('district', 'E08000035', 'csp', "
                      "'E22000999', NULL, 2024, 0), ('district', 'E08000035', 'pfa', "
                      "'E23000010', NULL, 2024, 0), ('csp', 'E22000999', 'pfa', 'E23000010', "
                      "NULL, 2024, 0)")
    spec = replace(_spec(), recorded_crime=path)
    doc = assemble(store, spec, AREA, Publisher(tmp_path / "b", DisclosureRules())).document
    table = _table(doc, "Police recorded crime by offence group")
    rows = {r[0].strip(): r for r in table.rows}
    years = list(table.columns[1:3])
    assert years == ["2022/23", "2023/24"]
    assert rows["All crime"][1:3] == ("140", "145")  # 40 + 100; 60 + 90 - 5
    assert rows["Residential burglary"][1:3] == ("40", "60")
    assert rows["Shoplifting"][1:3] == ("100", "85")
    assert any("Unassigned" in n for n in table.notes)  # 9 offences in no CSP, said so
    with (tmp_path / "b" / "data" / "recorded_performance.csv").open(
            newline="", encoding="utf-8") as f:
        (total,) = [r for r in csv.DictReader(f) if r["category"] == "All crime"]
    assert total["change"] == "5"
    # the countywide view from the same table: Leeds beside its force, latest year
    view = _table(doc, "Leeds in the countywide view, 2023/24")
    shown = {r[0].strip(): r for r in view.rows}
    assert shown["All crime"][1] == "145"
    with (tmp_path / "b" / "data" / "recorded_context.csv").open(
            newline="", encoding="utf-8") as f:
        ctx_rows = list(csv.DictReader(f))
    force_all = [r for r in ctx_rows if r["level"] == "pfa" and r["category"] == "All crime"]
    csp_all = [r for r in ctx_rows if r["level"] == "csp" and r["category"] == "All crime"]
    assert [r["count"] for r in force_all] == ["145"]
    assert [(r["area_name"], r["count"]) for r in csp_all] == [("Leeds", "145")]
