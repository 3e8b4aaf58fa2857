"""The atlas payload from a hand-made store: areas placed only by 2011 LSOA codes (as in the
package-index sample), counts and rates recounted here, and disclosure control."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import shapely

from commsafe.atlas.data import atlas_payload, svg_path
from commsafe.atlas.page import validate_payload
from commsafe.disclosure import DisclosureRules
from commsafe.periods import calendar_year
from commsafe.reference.areas import Area
from commsafe.reference.population import insert_population
from commsafe.store import Store

LEEDS = Area("district", "E08000035", "Leeds")
#: (lsoa11 code, name, population, its square in lon/lat, burglaries a month)
LSOAS = [("E01000101", "Leeds 001A", 1500, (-1.55, 53.80), 2),
         ("E01000102", "Leeds 001B", 2000, (-1.54, 53.80), 10)]


def fill(store: Store) -> None:
    con = store.con
    con.execute("INSERT INTO areas VALUES ('district', 'E08000035', 'Leeds', 2011, 0)")
    for code, name, pop, (x, y), _ in LSOAS:
        con.execute("INSERT INTO areas VALUES ('lsoa11', ?, ?, 2011, 0)", [code, name])
        con.execute("INSERT INTO area_links VALUES ('lsoa11', ?, 'district', 'E08000035', "
                    "NULL, 2011, 0)", [code])
        insert_population(con, [("lsoa11", code, 2011, "persons", "all", 0, None, pop,
                                 "census2011", 0)])
        square = shapely.box(x, y, x + 0.01, y + 0.01)
        con.execute("INSERT INTO boundaries VALUES ('lsoa11', ?, ?, 2011, ?, ?, ?, ?, ?, 0)",
                    [code, name, shapely.to_wkb(square), *square.bounds])
    rows = []
    for month in range(1, 13):
        for code, name, _, _, burglaries in LSOAS:
            for i in range(burglaries):
                rows.append(("police_uk", "west-yorkshire", f"{code}-{month}-{i}", i,
                             date(2024, month, 1), "Burglary", "Burglary", False, code, name,
                             2011, "E08000035", "code", 0))
    con.executemany(
        "INSERT INTO events (source, force, event_id, row_number, month, category, crime_type, "
        "is_asb, lsoa_code, lsoa_name, lsoa_vintage, district_code, resolution, load_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def test_2011_lsoas_when_there_is_no_2021_geography(store: Store) -> None:
    fill(store)
    payload = atlas_payload(store, LEEDS, period=calendar_year(date(2024, 1, 1)),
                            rules=DisclosureRules(), title="Leeds atlas")
    validate_payload(payload)
    assert list(payload["levels"]) == ["lsoa11"]
    areas = payload["levels"]["lsoa11"]["areas"]
    assert [a["name"] for a in areas] == ["Leeds 001A", "Leeds 001B"]
    assert {a["district"] for a in areas} == {"E08000035"}
    # no district boundary is loaded: the District column still names it (from the lookups)
    assert {a["district_name"] for a in areas} == {"Leeds"}
    v = payload["values"]["lsoa11"]["burglary"]["2024"]
    assert v["count"] == [24, 120]
    assert v["rate"] == [16.0, 60.0]  # 24 / 1,500 and 120 / 2,000 per 1,000
    assert v["rank"] == [2, 1]
    assert payload["monthly"]["lsoa11"]["burglary"]["counts"] == [[2] * 12, [10] * 12]
    assert payload["meta"]["subtitle"].endswith("crime and disorder by LSOA")


def test_disclosure_in_the_atlas(store: Store) -> None:
    """Burglary protected below 25: 001A's 24 is hidden, and so is 001B's 120, or it could be
    worked out from Leeds's total; the monthly series (all below 25) are left out."""
    fill(store)
    rules = DisclosureRules(threshold=25, protected=("Burglary",))
    payload = atlas_payload(store, LEEDS, period=calendar_year(date(2024, 1, 1)), rules=rules,
                            title="Leeds atlas")
    v = payload["values"]["lsoa11"]["burglary"]["2024"]
    assert v["marks"] == {"0": "<25", "1": "[c]"}
    assert v["count"] == [None, None] and v["rate"] == [None, None]
    assert v["rank"] == [None, None]
    series = payload["monthly"]["lsoa11"]["burglary"]["counts"]
    assert series == [[None] * 12, [None] * 12]
    # all crime is not protected: shown
    assert payload["values"]["lsoa11"]["all-crime"]["2024"]["count"] == [24, 120]


def test_svg_path_is_in_metres_with_north_up() -> None:
    square = shapely.Polygon([(0, 0), (10, 0), (10, 20), (0, 20)])
    assert svg_path(square) == "M0 0L10 0L10 -20L0 -20Z"
    holed = shapely.Polygon([(0, 0), (9, 0), (9, 9), (0, 9)], [[(3, 3), (6, 3), (6, 6)]])
    assert svg_path(holed).count("M") == 2


def test_the_document_maps_2011_lsoas_too(store: Store, tmp_path: Path) -> None:
    """With no ward or 2021 LSOA loaded, a priority's "Where" uses the atlas's 2011 LSOAs:
    the same counts, ranked, with a map."""
    from commsafe.report.assemble import assemble
    from commsafe.report.model import Figure, Table
    from commsafe.report.publish import Publisher
    from commsafe.spec import Indicator, Priority, Spec, Target

    fill(store)
    period = calendar_year(date(2024, 1, 1))
    spec = Spec(partnership_name="Leeds", area="E08000035", assessed=period,
                compare=calendar_year(date(2023, 1, 1)),
                priorities=(Priority("Burglary", ("Burglary",), (Indicator(
                    "Burglary count", "count", ("Burglary",), Target("change", -5)),)),))
    pub = Publisher(tmp_path, DisclosureRules())
    doc = assemble(store, spec, LEEDS, pub).document
    where = next(s for s in doc.walk() if s.id == "priority-1-where")
    table = next(b for b in where.blocks if isinstance(b, Table))
    assert [r[:2] for r in table.rows] == [("Leeds 001B", "120"), ("Leeds 001A", "24")]
    assert any(isinstance(b, Figure) for b in where.blocks)
    assert (tmp_path / "figures" / "priority-1_map.png").is_file()


def test_small_protected_counts_stay_out_of_indicator_words(store: Store,
                                                          tmp_path: Path) -> None:
    """Burglary protected below 50, 2024 Q2 against Q1 (36 and 36 burglaries): the measures
    of success say the status but neither count, in the document or its CSV."""
    import csv

    from commsafe.periods import quarter
    from commsafe.report.assemble import assemble
    from commsafe.report.model import Status
    from commsafe.report.publish import Publisher
    from commsafe.spec import Indicator, Priority, Spec, Target

    fill(store)
    spec = Spec(partnership_name="Leeds", area="E08000035",
                assessed=quarter(date(2024, 4, 1)), compare=quarter(date(2024, 1, 1)),
                suppression=50, protected=("Burglary",),
                priorities=(Priority("Burglary", ("Burglary",), (Indicator(
                    "Burglary: no significant increase", "count", ("Burglary",),
                    Target("no_significant_increase")),)),))
    pub = Publisher(tmp_path, DisclosureRules(threshold=50, protected=("Burglary",)))
    doc = assemble(store, spec, LEEDS, pub).document
    status = next(b for s in doc.walk() for b in s.blocks if isinstance(b, Status))
    assert status.status == "on track"
    assert status.value == "<50"
    assert "36" not in status.detail and "withheld" in status.detail
    with (tmp_path / "data" / "priority-1_indicators.csv").open(newline="") as h:
        row = next(csv.DictReader(h))
    assert row["value"] == row["baseline"] == "<50"
    assert "36" not in row["detail"]


def test_a_partner_data_set_outside_its_months_is_no_data(store: Store) -> None:
    """Partner records only in 2023 (the police data are 2024): for 2024 the atlas shows "no
    data" (None, unranked) in every area, never 0 with ranks."""
    fill(store)
    con = store.con
    con.execute("INSERT INTO datasets VALUES ('ed', 'ed_assaults', 'ED assaults', 'm.toml', "
                "'0', false, [], 0)")
    rows = [("ed", "ed_assaults", f"r{i}", i, date(2023, 1 + i % 12, 1), "E01000101",
             "E08000035") for i in range(30)]
    con.executemany("INSERT INTO records (dataset, kind, record_id, row_number, month, "
                    "lsoa_code, district_code, load_id) VALUES (?, ?, ?, ?, ?, ?, ?, 0)", rows)
    payload = atlas_payload(store, LEEDS, period=calendar_year(date(2024, 1, 1)),
                            rules=DisclosureRules(), title="Leeds atlas",
                            datasets=[("ed", "ED assaults", False)])
    validate_payload(payload)
    ed = payload["values"]["lsoa11"]["data-ed"]
    assert ed["2024"]["count"] == [None, None] and ed["2024"]["rank"] == [None, None]
    # the periods read as an analyst writes them
    assert [p["label"] for p in payload["periods"]][-1] == "January to December 2024"


def test_the_atlas_takes_the_minimum_base_of_the_spec(store: Store) -> None:
    """% change needs an earlier count of at least ``min_base`` (the spec's, as in the
    document): 001A's 2023 burglaries are 8 (below 10, at least 5), 001B's 40."""
    fill(store)
    rows = []
    for code, name, n in (("E01000101", "Leeds 001A", 8), ("E01000102", "Leeds 001B", 40)):
        for i in range(n):
            rows.append(("police_uk", "west-yorkshire", f"{code}-2023-{i}", i,
                         date(2023, 1 + i % 12, 1), "Burglary", "Burglary", False, code, name,
                         2011, "E08000035", "code", 0))
    store.con.executemany(
        "INSERT INTO events (source, force, event_id, row_number, month, category, crime_type, "
        "is_asb, lsoa_code, lsoa_name, lsoa_vintage, district_code, resolution, load_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    period = calendar_year(date(2024, 1, 1))
    default = atlas_payload(store, LEEDS, period=period, rules=DisclosureRules(),
                            title="Leeds atlas")
    ten = atlas_payload(store, LEEDS, period=period, rules=DisclosureRules(),
                        title="Leeds atlas", min_base=10)
    assert default["values"]["lsoa11"]["burglary"]["2024"]["change"] == [200, 200]  # 8→24
    assert ten["values"]["lsoa11"]["burglary"]["2024"]["change"] == [None, 200]  # 40→120
