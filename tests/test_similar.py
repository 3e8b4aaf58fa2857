"""Most similar groups: known answers on a hand-made store, the recorded crime comparison, the
CLI, and one run on the real reference data (skipped without ../shared/data)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import shapely

from commsafe.cli import main
from commsafe.disclosure import DisclosureRules
from commsafe.errors import InputError, ReferenceDataError
from commsafe.measures.similar import (
    MEMBER_COLUMNS,
    SIMILAR_COLUMNS,
    csp_variables,
    most_similar,
    similar_comparison,
    similar_group,
)
from commsafe.periods import calendar_year, month_range
from commsafe.reference.areas import Area
from commsafe.reference.loader import load_reference
from commsafe.report.assemble import assemble
from commsafe.report.model import Table
from commsafe.report.publish import Publisher
from commsafe.sources.home_office import read_recorded_crime
from commsafe.spec import Spec
from commsafe.store import Store, open_store

# Four CSPs, one district each, two 2021 LSOAs of 500 residents each per district.
#   CSP    deprived LSOAs (decile ≤ 2)   district area           residents aged 15–24
#   Alpha  1 of 2  → 0.5                 1000 m × 1000 m = 100 ha   100 → 0.1   density 10
#   Beta   0       → 0.0                 1000 m × 1000 m = 100 ha   100 → 0.1   density 10
#   Gamma  2 of 2  → 1.0                 1000 m ×  500 m =  50 ha   300 → 0.3   density 20
#   Delta  1 of 2  → 0.5                  500 m ×  500 m =  25 ha   200 → 0.2   density 40
CSPS = {  # name → (csp code, district code, (decile, young) per LSOA, (width, height) m)
    "Alpha": ("E22000901", "E06000901", ((1, 50), (7, 50)), (1000, 1000)),
    "Beta": ("E22000902", "E06000902", ((5, 50), (3, 50)), (1000, 1000)),
    "Gamma": ("E22000903", "E06000903", ((2, 150), (1, 150)), (1000, 500)),
    "Delta": ("E22000904", "E06000904", ((10, 100), (2, 100)), (500, 500)),
}
PFA = ("E23000901", "Testshire")
AGES = [str(a) for a in range(90)] + ["90+"]


def _lsoa(i: int, j: int) -> str:
    return f"E0190{i}{j:03d}"


def _write_reference(root: Path) -> list[Path]:
    """The CSVs and GeoJSON of the four CSPs (by code), in ``root``."""
    lookup = ["lsoa21_code,lsoa21_name,ward24_code,ltla24_code,ltla24_name"]
    csp = ["ltla24_code,ltla24_name,csp24_code,csp24_name,pfa24_code,pfa24_name"]
    pop = ["lsoa21_code,total_population," + ",".join(AGES)]
    imd = ["lsoa21_code,IMD_decile,IMD_rank"]
    features = []
    for i, (name, (code, district, lsoas, (w, h))) in enumerate(CSPS.items(), start=1):
        csp.append(f"{district},{name},{code},{name},{PFA[0]},{PFA[1]}")
        for j, (decile, young) in enumerate(lsoas, start=1):
            lsoa = _lsoa(i, j)
            lookup.append(f"{lsoa},{name} {j:03d}A,E0500090{i},{district},{name}")
            ages = [0] * len(AGES)
            ages[20] = young  # aged 15–24
            ages[40] = 500 - young
            pop.append(f"{lsoa},500," + ",".join(map(str, ages)))
            imd.append(f"{lsoa},{decile},{decile * 100 + j}")
        x0, y0 = 400_000 + 10_000 * i, 500_000
        ring = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]
        features.append({"type": "Feature", "properties": {"ltla24_code": district,
                                                           "ltla24_name": name},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    files = {"lookup_lsoa21_ltla.csv": lookup, "lookup_ltla_csp.csv": csp,
             "mid2019_lsoa21_ages.csv": pop, "imd2025_test_lsoa21.csv": imd}
    paths = []
    for fname, lines in files.items():
        (root / fname).write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(root / fname)
    geo = {"type": "FeatureCollection", "features": features,
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}}
    (root / "districts.geojson").write_text(json.dumps(geo), encoding="utf-8")
    return [*paths, root / "districts.geojson"]


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Store]:
    st = open_store(tmp_path / "small.duckdb")
    records = load_reference(st, _write_reference(tmp_path))
    assert all(r.status == "loaded" and not r.rejects for r in records)
    yield st
    st.close()


def test_variables_of_the_hand_made_store(small: Store) -> None:
    found = csp_variables(small, 2019)
    assert found.year == 2019 and found.indexes == {"england": "imd2025-england"}
    v = found.frame.set_index("csp_name")
    assert v.loc[list(CSPS), "residents"].tolist() == [1000.0] * 4
    assert v.loc[list(CSPS), "deprived_share"].tolist() == [0.5, 0.0, 1.0, 0.5]
    assert v.loc[list(CSPS), "young_share"].tolist() == pytest.approx([0.1, 0.1, 0.3, 0.2])
    # boundaries given in British National Grid, stored in WGS84, measured back in BNG
    assert v.loc[list(CSPS), "area_ha"].tolist() == pytest.approx([100, 100, 50, 25], rel=1e-4)
    assert v.loc[list(CSPS), "density"].tolist() == pytest.approx([10, 10, 20, 40], rel=1e-4)


def test_group_by_hand(small: Store) -> None:
    # z-scores (ddof 0): deprived share mean 0.5, variance 0.125; density mean 20, variance
    # 150; young share mean 0.175, variance 0.006875. Squared z differences from Alpha:
    #   Beta  0.25/0.125 = 2                                   → √2
    #   Gamma 2 + 10²/150 + 0.2²/0.006875 = 2 + 2/3 + 64/11     → √(2 + 2/3 + 64/11)
    #   Delta 0 + 30²/150 + 0.1²/0.006875 = 6 + 16/11           → √(6 + 16/11)
    group, notes = similar_group(small, "Alpha", 2019, size=4)
    assert list(group.columns) == list(MEMBER_COLUMNS)
    assert group["csp_name"].tolist() == ["Alpha", "Beta", "Delta", "Gamma"]
    assert group["rank"].tolist() == [1, 2, 3, 4]
    assert group["distance"].tolist() == pytest.approx(
        [0, math.sqrt(2), math.sqrt(6 + 16 / 11), math.sqrt(2 + 2 / 3 + 64 / 11)], rel=1e-4)
    alpha = group.iloc[0]
    assert alpha["z_deprived"] == pytest.approx(0)
    assert alpha["z_density"] == pytest.approx(-10 / math.sqrt(150), rel=1e-4)
    assert alpha["z_young"] == pytest.approx(-0.075 / math.sqrt(0.006875))
    assert "4 of 4 CSPs" in " ".join(notes)
    three, _ = similar_group(small, "E22000901", 2019, size=3)  # by code, the default size cut
    assert three["csp_name"].tolist() == ["Alpha", "Beta", "Delta"]
    fifteen, notes = similar_group(small, "Gamma", 2019)
    assert len(fifteen) == 4 and fifteen.iloc[0]["csp_name"] == "Gamma"
    assert any("fewer than the 15 asked for" in n for n in notes)


def test_ties_by_code_and_self_first() -> None:
    frame = pd.DataFrame({
        "csp_code": ["E22000003", "E22000002", "E22000001", "E22000004"],
        "csp_name": ["C", "B", "A", "D"], "residents": [1.0] * 4,
        "deprived_share": [0.5, 0.5, 0.5, 0.2], "density": [1.0, 1.0, 1.0, 2.0],
        "young_share": [0.1, 0.1, 0.1, 0.1]})
    group = most_similar(frame, "E22000003", size=3)
    # B and A are at distance 0 from C too: C first all the same, then by code
    assert group["csp_code"].tolist() == ["E22000003", "E22000001", "E22000002"]
    assert group["distance"].tolist() == [0, 0, 0]
    assert (group["z_young"] == 0).all()  # a variable that does not vary
    with pytest.raises(InputError, match="at least 2 members"):
        most_similar(frame, "E22000003", size=1)


def test_a_csp_lacking_a_variable_says_what_to_load(small: Store) -> None:
    small.con.execute("DELETE FROM boundaries")
    small.memo.clear()
    with pytest.raises(ReferenceDataError, match=r"Alpha \(E22000901\): no density.*boundaries"):
        similar_group(small, "Alpha", 2019)


def test_no_single_year_population(store: Store) -> None:
    with pytest.raises(ReferenceDataError, match="single year of age"):
        csp_variables(store, 2019)


HO_HEADER = ("Financial Year,Financial Quarter,Police Force,CSP Name,Offence Description,"
             "Offence Group,Offence Subgroup,Offence Code,Offence Count")
BURGLARY = "Burglary - residential,Theft offences,Residential burglary,28A"
SHOP = "Shoplifting,Theft offences,Shoplifting,46"


def _recorded(path: Path) -> Path:
    rows = [HO_HEADER,
            f"2017/18,1,Testshire,Alpha,{BURGLARY},10",
            f"2017/18,1,Testshire,Alpha,{SHOP},4",
            f"2017/18,2,Testshire,Beta,{BURGLARY},20",
            f"2017/18,1,Testshire,Beta,{SHOP},2",
            f"2017/18,1,Testshire,Gamma,{BURGLARY},50"]  # Delta has no rows
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_comparison_with_the_group(small: Store, tmp_path: Path) -> None:
    data = read_recorded_crime(_recorded(tmp_path / "prc.csv"))
    result = similar_comparison(small, data, "Alpha", year="2017/18", size=3)
    table = result.table
    assert list(table.columns) == list(SIMILAR_COLUMNS)
    got = table.set_index("category")
    # group Alpha, Beta, Delta; Delta is not in the table, so Alpha and Beta are compared;
    # residents 1,000 each (the 2019 estimates, the nearest year to 2017)
    assert got.loc["All crime", "count"] == 14
    assert got.loc["All crime", "rate_per_1000"] == pytest.approx(14)
    assert got.loc["All crime", "msg_rate_per_1000"] == pytest.approx((14 + 22) / 2)
    assert got.loc["All crime", "rank"] == 2 and got.loc["All crime", "members_ranked"] == 2
    assert got.loc["Burglary", "msg_rate_per_1000"] == pytest.approx(15)
    assert got.loc["Burglary", "rank"] == 2
    assert got.loc["Shoplifting", "rank"] == 1
    assert got.loc["Shoplifting", "msg_rate_per_1000"] == pytest.approx(3)
    text = " ".join(result.notes)
    assert "Delta (not in prc.csv)" in text and "group: Alpha, Beta, Delta" in text
    assert "nearest year loaded, 2019" in text
    members = result.members.set_index("csp_name")
    assert members.loc["Delta", "data"] == "not in prc.csv"
    assert members.loc["Beta", "count"] == 22 and members.loc["Alpha", "data"] == "yes"


def test_comparison_bad_year(small: Store, tmp_path: Path) -> None:
    data = read_recorded_crime(_recorded(tmp_path / "prc.csv"))
    with pytest.raises(InputError, match=r"--year 2018/19: not in prc.csv"):
        similar_comparison(small, data, "Alpha", year="2018/19")


def test_cli_similar(small: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = small.path
    small.close()
    prc = _recorded(tmp_path / "prc.csv")
    assert main(["recorded", "similar", str(prc), "--csp", "Alpha", "--year", "2017/18",
                 "--size", "3", "--format", "csv", "--store", str(path)]) == 0
    out = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out.out)))
    assert [r["category"] for r in rows] == ["All crime", "Burglary", "Shoplifting"]
    assert rows[0]["rank"] == "2"
    assert "members with no data" in out.err
    assert main(["recorded", "similar", str(prc), "--csp", "Alpha", "--year", "2017/18",
                 "--size", "3", "--members", "--format", "csv", "--store", str(path)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["csp_name"] for r in rows] == ["Alpha", "Beta", "Delta"]
    assert main(["recorded", "similar", str(prc), "--csp", "Nowhere", "--year", "2017/18",
                 "--store", str(path)]) != 0
    err = capsys.readouterr().err
    assert "Nowhere" in err and "Traceback" not in err


# Real data -----------------------------------------------------------------------------------

REAL = ("geography/lookup_lsoa21_ward24_ltla24.csv", "geography/lookup_ltla24_csp24_pfa24.csv",
        "geography/lookup_lsoa11_lsoa21_ltla22.csv", "geography/ltla24_boundaries.geojson",
        "population/census2021_lsoa21_usual_residents.csv",
        "population/mid2019_lsoa11_persons_single_year_of_age.csv", "deprivation")


@pytest.fixture(scope="module")
def real(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Geography, district boundaries, population and deprivation from ../shared/data (no
    session fixture builds a reference store, so this module loads the few files it needs)."""
    st = open_store(tmp_path_factory.mktemp("similar") / "real.duckdb")
    load_reference(st, [shared_data / f for f in REAL])
    yield st
    st.close()


def test_newcastle_group_on_real_data(real: Store) -> None:
    found = csp_variables(real, 2019)
    assert found.indexes == {"england": "imd2025-england", "wales": "imd2019-wales"}
    v = found.frame.dropna(subset=["deprived_share", "density", "young_share"])
    assert len(v) > 250
    assert (v["density"] > 0).all() and (v["density"] < 500).all()
    for share in ("deprived_share", "young_share"):
        assert v[share].between(0, 1).all()
    cardiff = v.set_index("csp_name").loc["Cardiff"]  # the Welsh index, on 2011 LSOAs
    assert 0 < cardiff["deprived_share"] < 1
    group, _ = similar_group(real, "Newcastle upon Tyne", 2019)
    assert len(group) == 15 and group["csp_code"].is_unique
    first = group.iloc[0]
    assert first["csp_name"] == "Newcastle upon Tyne" and first["distance"] == 0
    assert group["distance"].is_monotonic_increasing
    assert 0.3 < first["deprived_share"] < 0.45  # about 37%
    assert 20 < first["density"] < 35 and 0.15 < first["young_share"] < 0.25


def test_the_document_shows_the_group(small: Store, tmp_path: Path) -> None:
    """A spec naming a Home Office table gives Appendix A the most similar group comparison
    and the group itself, with the figures worked out here by hand: the group of Alpha is all
    four CSPs (fewer than 15 exist); Delta has no rows, so Alpha (14 per 1,000), Beta (22)
    and Gamma (50) are ranked and averaged."""
    rows = [("police_uk", "testshire", f"e{m}-{k}", k, m, "Burglary", "Burglary", False,
             _lsoa(1, 1), "Alpha 001A", 2021, _lsoa(1, 1), "E06000901", "E22000901",
             PFA[0], "code", 0)
            for m in month_range("2023-01", "2024-12") for k in range(3)]
    small.con.executemany(
        "INSERT INTO events (source, force, event_id, row_number, month, category, "
        "crime_type, is_asb, lsoa_code, lsoa_name, lsoa_vintage, lsoa21_code, district_code, "
        "csp_code, pfa_code, resolution, load_id) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    for kind, code in small.con.execute(  # the atlas draws wards and LSOAs
            "SELECT area_type, area_code FROM areas a WHERE area_type IN ('ward', 'lsoa21') "
            "AND NOT EXISTS (SELECT 1 FROM boundaries b WHERE b.area_type = a.area_type "
            "AND b.area_code = a.area_code)").fetchall():
        square = shapely.box(-1.6, 53.8, -1.59, 53.81)
        small.con.execute("INSERT INTO boundaries VALUES (?, ?, ?, 2024, ?, ?, ?, ?, ?, 0)",
                          [kind, code, code, shapely.to_wkb(square), *square.bounds])
    spec = Spec(partnership_name="Alpha", area="E22000901",
                assessed=calendar_year(date(2024, 1, 1)),
                compare=calendar_year(date(2023, 1, 1)),
                recorded_crime=_recorded(tmp_path / "prc.csv"))
    doc = assemble(small, spec, Area("csp", "E22000901", "Alpha"),
                   Publisher(tmp_path / "b", DisclosureRules())).document
    tables = {b.caption: b for s in doc.walk() for b in s.blocks if isinstance(b, Table)}
    table = next(t for c, t in tables.items()
                 if c.startswith("Alpha and its most similar group of partnerships, 2017/18"))
    rows = {r[0].strip(): r for r in table.rows}
    cols = list(table.columns)
    total = rows["All crime"]
    assert total[cols.index("Count")] == "14"
    assert total[cols.index("Rate per 1,000")] == "14.0"
    assert total[cols.index("Group average rate per 1,000")] == "28.7"  # (14 + 22 + 50) / 3
    assert (total[cols.index("Rank")], total[cols.index("Members ranked")]) == ("3", "3")
    members = next(t for c, t in tables.items()
                   if c.startswith("The most similar group of Alpha"))
    names = [r[list(members.columns).index("Partnership")].strip() for r in members.rows]
    assert names[0] == "Alpha" and sorted(names) == ["Alpha", "Beta", "Delta", "Gamma"]
    assert any("Delta (not in prc.csv)" in n for n in table.notes)
