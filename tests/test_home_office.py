"""Home Office police recorded crime tables by CSP: small workbooks in the published layout
(Notes sheet, year sheets 2017_18 and 2018_19, the old 'Number of Offences' header, an
Unassigned row, a negative adjustment, a fraud row, a CSP name the store does not know) read
back and recounted by hand; the performance and countywide tables from them; the real
2017/18 force-level table of crime-sim-toolkit 1.5.0 against an independent recount."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import pytest
import xlsxwriter
from scipy.stats import binomtest

from commsafe import hierarchy
from commsafe.cli import main
from commsafe.errors import FileFormatError, InputError
from commsafe.measures.context import (
    CONTEXT_COLUMNS,
    funnel_class,
    recorded_context_table,
)
from commsafe.measures.performance import PerformanceSpec, performance_table
from commsafe.reference.population import insert_population
from commsafe.sources.home_office import (
    csp_counts,
    csp_key,
    map_csp_names,
    read_recorded_crime,
    recorded_counts,
)
from commsafe.store import Store, open_store

Row = tuple[object, ...]

HEADER = ("Financial Year", "Financial Quarter", "Police Force", "CSP Name",
          "Offence Description", "Offence Group", "Offence Subgroup", "Offence Code",
          "Offence Count")
OLD_HEADER = (*HEADER[:-1], "Number of Offences")
AS = "Avon and Somerset"
BURGLARY = ("Burglary - residential", "Theft offences", "Residential burglary", "28A")
SHOP = ("Shoplifting", "Theft offences", "Shoplifting", "46")
VWI = ("Assault with injury", "Violence against the person", "Violence with injury", "5D")
DAMAGE = ("Criminal damage to a dwelling", "Criminal damage and arson", "Criminal damage",
          "58A")
FRAUD = ("Fraud recorded by the police", "Fraud offences", "Fraud offences", "53A")

Y1: list[Row] = [  # 2017/18, the old header
    ("2017/18", 1, AS, "Bristol", *BURGLARY, 10),
    ("2017/18", 2, AS, "Bristol", *BURGLARY, 5),
    ("2017/18", 1, AS, "Bristol", *SHOP, 20),
    ("2017/18", 1, AS, "Bristol", *VWI, 30),
    ("2017/18", 1, AS, "Bath & North East Somerset", *SHOP, 7),
    ("2017/18", 1, AS, "Unassigned", *SHOP, 3),
    ("2017/18", 1, AS, "Sedgmoor", *SHOP, 4),
]
Y2: list[Row] = [  # 2018/19
    ("2018/19", 1, AS, "Bristol", *BURGLARY, 12),
    ("2018/19", 1, AS, "Bristol", *SHOP, 25),
    ("2018/19", 3, AS, "Bristol", *SHOP, -2),  # an adjustment
    ("2018/19", 1, AS, "Bristol", *VWI, 24),
    ("2018/19", 2, AS, "Bristol", *FRAUD, 9),  # outside All crime
    ("2018/19", 1, AS, "Bath & North East Somerset", *SHOP, 8),
    ("2018/19", 1, AS, "Unassigned", *BURGLARY, 2),
    ("2018/19", 1, AS, "Sedgmoor", *SHOP, 5),  # misspelt: not in the store
    ("2018/19", 4, AS, "North Somerset CSP", *DAMAGE, 6),
    ("2018/19", 4, AS, "South Gloucestershire", *VWI, 11),
]
NOTES: list[Row] = [("Notes",), ("Police recorded crime by Community Safety Partnership",),
                    ("Counts can be negative: adjustments.",)]


def _sheets() -> dict[str, list[Row]]:
    return {"Notes": NOTES, "2017_18": [OLD_HEADER, *Y1], "2018_19": [HEADER, *Y2]}


def _xlsx(path: Path, sheets: dict[str, list[Row]]) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    workbook.close()
    return path


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return (f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
            "</text:p></table:table-cell>")


def _ods(path: Path, sheets: dict[str, list[Row]]) -> Path:
    """A minimal OpenDocument spreadsheet (as tests/test_harm_css.py writes one)."""
    tables = ""
    for name, rows in sheets.items():
        body = "".join("<table:table-row>" + "".join(map(_ods_cell, row))
                       + "</table:table-row>" for row in rows)
        tables += f'<table:table table:name="{escape(name)}">{body}</table:table>'
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"),
                         "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return _xlsx(tmp_path / "prc-csp.xlsx", _sheets())


# --- reading ----------------------------------------------------------------------------------

def _total(frame: pd.DataFrame, **where: object) -> int:
    sel = frame
    for column, value in where.items():
        sel = sel[sel[column] == value]
    return int(sel["count"].sum())


def test_reads_year_sheets_and_skips_notes(book: Path) -> None:
    data = read_recorded_crime(book)
    assert data.sheets == ["2017_18", "2018_19"]
    assert data.skipped_sheets == ["Notes"]
    assert data.has_csp
    assert data.years == ["2017/18", "2018/19"]
    frame = data.frame
    # every row kept: the sum of all counts is the sum of the rows as written (by hand)
    assert _total(frame) == (10 + 5 + 20 + 30 + 7 + 3 + 4) + (12 + 25 - 2 + 24 + 9 + 8 + 2 + 5
                                                             + 6 + 11)
    # Bristol shoplifting in 2018/19: 25 in Q1, the -2 adjustment in Q3, nets to 23
    assert _total(frame, csp="Bristol", year="2018/19", code="46") == 23
    assert _total(frame, csp="Bristol", year="2018/19", code="46", quarter=3) == -2
    assert _total(frame, csp="Bristol", year="2017/18", code="28A") == 15  # Q1 10 + Q2 5
    assert data.negative_rows == 1 and data.negative_total == -2
    # the fraud row: counted apart, in no group
    assert data.fraud.to_dict("records") == [{"year": "2018/19", "force": AS, "count": 9}]
    assert frame.loc[frame["code"] == "53A", "group_key"].isna().all()
    # Unassigned: in the force, in no CSP
    assert data.unassigned.to_dict("records") == [
        {"year": "2017/18", "force": AS, "count": 3}, {"year": "2018/19", "force": AS, "count": 2}]
    assert "Unassigned" not in data.csp_names(AS)
    assert data.csp_names(AS) == ["Bristol", "Bath & North East Somerset", "Sedgmoor",
                                  "North Somerset CSP", "South Gloucestershire"]
    text = " ".join(data.notes)
    assert "negative counts" in text and "fraud" in text and "Unassigned" in text
    assert "Notes" in text
    assert data.unknown_codes == {}


def test_ods_reads_the_same_as_xlsx(tmp_path: Path) -> None:
    from_xlsx = read_recorded_crime(_xlsx(tmp_path / "t.xlsx", _sheets()))
    from_ods = read_recorded_crime(_ods(tmp_path / "t.ods", _sheets()))
    cols = ["year", "quarter", "force", "csp", "code", "count"]
    left = from_xlsx.frame[cols].sort_values(cols).reset_index(drop=True)
    right = from_ods.frame[cols].sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)
    assert from_ods.sheets == ["2017_18", "2018_19"] and from_ods.skipped_sheets == ["Notes"]


def test_header_aliases_with_underscores_and_title_rows(tmp_path: Path) -> None:
    header = ("financial_year", "FINANCIAL_QUARTER", "Force_Name", "CSP_Name",
              "Offence_Description", "Offence_Group", "Offence_Subgroup", "Offence_Code",
              "Number_of_Offences")
    sheets: dict[str, list[Row]] = {"Cover": [("Title",)],
              "2018_19": [("Police recorded crime, 2018/19",), (), (*header, "Extra"),
                          *[(*row, "x") for row in Y2]]}
    data = read_recorded_crime(_xlsx(tmp_path / "u.xlsx", sheets))
    assert _total(data.frame) == 12 + 25 - 2 + 24 + 9 + 8 + 2 + 5 + 6 + 11


def test_force_level_csv(tmp_path: Path) -> None:
    path = tmp_path / "pfa.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["", "Financial_Year", "Financial_Quarter", "Force_Name",
                    "Offence_Description", "Offence_Group", "Offence_Subgroup", "Offence_Code",
                    "Number_of_Offences"])
        w.writerow([0, "2017/18", 1, "Action Fraud", "Fraud", "Fraud offences",
                    "Fraud: action fraud", "AF", 500])
        w.writerow([1, "2017/18", 1, AS, "Homicide", "Violence against the person",
                    "Homicide", "1/4.1/4.10/4.2", 2])
        w.writerow([2, "2017/18", 2, AS, *SHOP, 40])
    data = read_recorded_crime(path)
    assert not data.has_csp
    assert data.forces() == [AS]  # Action Fraud is fraud, not a force with crime
    table, _ = recorded_counts(data, force="avon & somerset", by="group")
    counts = dict(zip(table.frame["category"], table.frame["count"], strict=True))
    assert counts == {"All crime": 42, "Violence against the person": 2, "Theft offences": 40}
    with pytest.raises(InputError, match="force-level table"):
        recorded_counts(data, csp="Bristol")


# --- errors -----------------------------------------------------------------------------------

def test_bad_count_names_file_sheet_row_column_value(tmp_path: Path) -> None:
    rows = [HEADER, *Y2[:3], ("2018/19", 1, AS, "Bristol", *SHOP, "ten")]
    path = _xlsx(tmp_path / "bad.xlsx", {"Notes": NOTES, "2018_19": rows})
    with pytest.raises(InputError) as info:
        read_recorded_crime(path)
    text = str(info.value)
    for part in (str(path), "sheet '2018_19'", "row 5", "column 'Offence Count'",
                 "value 'ten'", "not a number"):
        assert part in text


def test_bad_year_and_missing_header(tmp_path: Path) -> None:
    rows: list[Row] = [HEADER, ("18-19 maybe", 1, AS, "Bristol", *SHOP, 3)]
    with pytest.raises(InputError, match=r"row 2, column 'Financial Year'.*financial year"):
        read_recorded_crime(_xlsx(tmp_path / "y.xlsx", {"2018_19": rows}))
    with pytest.raises(FileFormatError, match="no header row"):
        read_recorded_crime(_xlsx(tmp_path / "h.xlsx", {"2018_19": [("a", "b"), (1, 2)]}))
    with pytest.raises(InputError, match="no such file"):
        read_recorded_crime(tmp_path / "absent.ods")


def test_unknown_csp_suggests(book: Path) -> None:
    data = read_recorded_crime(book)
    with pytest.raises(InputError, match="Close matches: Bristol"):
        recorded_counts(data, csp="Bristoll")


# --- the performance table ------------------------------------------------------------------

def test_bristol_performance_by_subgroup_equals_hand_figures(book: Path) -> None:
    data = read_recorded_crime(book)
    table, notes = recorded_counts(data, csp="Bristol, City of", by="subgroup")
    frame = performance_table(counts=table, spec=PerformanceSpec(notes=notes))
    got = {r["category"]: r for r in frame.to_dict("records")}
    # by hand from Y1 and Y2 (Bristol rows; fraud out; -2 nets off shoplifting)
    hand = {
        "All crime": (10 + 5 + 20 + 30, 12 + 25 - 2 + 24),  # 65, 59
        "Violence against the person": (30, 24),
        "Violence with injury": (30, 24),
        "Theft offences": (35, 35),
        "Burglary": (15, 12),
        "Residential burglary": (15, 12),
        "Shoplifting": (20, 23),
    }
    assert list(got) == list(hand)  # in hierarchy order, nothing else (no fraud row)
    for category, (a, b) in hand.items():
        row = got[category]
        assert (row["2017/18"], row["2018/19"]) == (a, b)
        assert row["average"] == a  # the average of the one year before
        assert row["change"] == b - a
        assert row["p_value"] == pytest.approx(binomtest(b, a + b, 0.5).pvalue)
    assert got["All crime"]["pct_change"] == -9  # -6/65 = -9.2%
    assert got["Shoplifting"]["pct_change"] == 15  # 3/20
    assert got["Residential burglary"]["pct_change"] == -20  # -3/15
    assert got["Theft offences"]["pct_change"] == 0
    assert frame.attrs["levels"] == [0, 1, 2, 1, 2, 3, 2]
    assert any("fraud" in n for n in frame.attrs["notes"])


def test_police_uk_and_group_views(book: Path) -> None:
    data = read_recorded_crime(book)
    table, _ = recorded_counts(data, csp="bristol csp", by="police_uk")
    pairs = {(r.category, r.period): r.count for r in table.frame.itertuples()}
    assert pairs == {
        ("All crime", "2017/18"): 65, ("All crime", "2018/19"): 59,
        ("Burglary", "2017/18"): 15, ("Burglary", "2018/19"): 12,
        ("Shoplifting", "2017/18"): 20, ("Shoplifting", "2018/19"): 23,
        ("Violence and sexual offences", "2017/18"): 30,
        ("Violence and sexual offences", "2018/19"): 24,
    }
    force, _ = recorded_counts(data, force=AS, by="group")
    got = {(r.category, r.period): r.count for r in force.frame.itertuples()}
    # the force: every CSP and the Unassigned rows; a group absent in a year counts 0
    assert got[("All crime", "2017/18")] == 65 + 7 + 3 + 4
    assert got[("All crime", "2018/19")] == 59 + 8 + 2 + 5 + 6 + 11
    assert got[("Criminal damage and arson", "2017/18")] == 0
    assert got[("Criminal damage and arson", "2018/19")] == 6
    assert got[("Theft offences", "2018/19")] == 12 + 23 + 8 + 2 + 5


# --- CSP names and the countywide view -------------------------------------------------------

CSPS = {  # ONS CSP code → (name, district code, LSOA population)
    "E22000002": ("Bristol, City of", "E06000023", 400_000),
    "E22000001": ("Bath and North East Somerset", "E06000022", 200_000),
    "E22000003": ("North Somerset", "E06000024", 200_000),
    "E22000004": ("South Gloucestershire", "E06000025", 250_000),
    "E22000005": ("Sedgemoor", "E07000188", 100_000),
}
PFA = "E23000036"


def _store(path: Path) -> Store:
    st = open_store(path)
    con = st.con
    areas = [("pfa", PFA, AS)]
    links = []
    pops = []
    for i, (code, (name, district, pop)) in enumerate(CSPS.items()):
        lsoa = f"E0100000{i}"
        areas += [("csp", code, name), ("district", district, name), ("lsoa21", lsoa, lsoa)]
        links += [("lsoa21", lsoa, "district", district), ("district", district, "csp", code),
                  ("district", district, "pfa", PFA)]
        pops.append((lsoa, pop))
    con.executemany("INSERT INTO areas VALUES (?, ?, ?, 2024, 0)", areas)
    con.executemany("INSERT INTO area_links VALUES (?, ?, ?, ?, NULL, 2024, 0)", links)
    insert_population(con, [("lsoa21", c, 2021, "persons", "all", 0, None, p, "census2021", 0)
                    for c, p in pops])
    return st


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = _store(tmp_path / "s.duckdb")
    yield st
    st.close()


def test_csp_names_map_to_ons_names(store: Store) -> None:
    assert csp_key("Bristol, City of") == csp_key("Bristol") == csp_key("Bristol CSP")
    assert csp_key("Kingston upon Hull, City of") == csp_key("Hull")
    assert csp_key("Bath & North East Somerset") == csp_key("Bath and North East Somerset")
    mapping = map_csp_names(store.con, ["Bristol", "Bath & North East Somerset",
                                        "North Somerset CSP", "South Gloucestershire",
                                        "Sedgmoor", "Unassigned"])
    assert mapping.mapped == {
        "Bristol": ("E22000002", "Bristol, City of"),
        "Bath & North East Somerset": ("E22000001", "Bath and North East Somerset"),
        "North Somerset CSP": ("E22000003", "North Somerset"),
        "South Gloucestershire": ("E22000004", "South Gloucestershire"),
    }
    assert mapping.unmapped == {"Sedgmoor": "Sedgemoor"}  # Unassigned is not a CSP name
    assert "did you mean 'Sedgemoor'" in mapping.notes()[0]


def test_csp_counts_of_a_force(book: Path) -> None:
    data = read_recorded_crime(book)
    csps, force = csp_counts(data, AS, "2018/19", by="police_uk")
    total = dict(zip(force["category"], force["count"], strict=True))
    assert total["All crime"] == 59 + 8 + 2 + 5 + 6 + 11  # with Unassigned, without fraud
    bristol = csps[csps["csp"] == "Bristol"].set_index("category")["count"].to_dict()
    assert bristol == {"All crime": 59, "Burglary": 12, "Shoplifting": 23,
                       "Violence and sexual offences": 24, "Criminal damage and arson": 0}


def test_recorded_context_table(book: Path, store: Store) -> None:
    data = read_recorded_crime(book)
    frame, notes = recorded_context_table(store, data, "Bristol", year="2018/19")
    assert list(frame.columns) == list(CONTEXT_COLUMNS)
    assert set(frame["period"]) == {"2018/19"}
    allc = frame[frame["category"] == "All crime"].set_index("area_name")
    force_n = 59 + 8 + 2 + 5 + 6 + 11
    force_res = sum(pop for _, _, pop in CSPS.values())
    assert allc.loc[AS, "level"] == "pfa" and allc.loc[AS, "count"] == force_n
    assert allc.loc[AS, "rate_per_1000"] == pytest.approx(force_n * 1000 / force_res)
    hand = {"Bristol, City of": (59, 400_000), "Bath and North East Somerset": (8, 200_000),
            "North Somerset": (6, 200_000), "South Gloucestershire": (11, 250_000)}
    for name, (n, pop) in hand.items():
        row = allc.loc[name]
        assert (row["level"], row["count"], row["residents"]) == ("csp", n, pop)
        assert row["rate_per_1000"] == pytest.approx(n * 1000 / pop)
        assert row["funnel"] == funnel_class(n, pop, force_n * 1000 / force_res)
    # rates 0.1475, 0.04, 0.03, 0.044 → ranks 1, 3, 4, 2
    assert [allc.loc[n, "rank"] for n in hand] == [1, 3, 4, 2]
    # the unmapped CSP keeps its row, without code, population or rate
    sedg = allc.loc["Sedgmoor"]
    assert sedg["area_code"] == "" and sedg["count"] == 5 and pd.isna(sedg["rate_per_1000"])
    assert allc.loc["Bristol, City of", "area_code"] == "E22000002"
    text = " ".join(notes)
    assert "did you mean 'Sedgemoor'" in text
    assert "2 offences of Avon and Somerset in 2018/19 are in 'Unassigned'" in text
    assert "CSPs of Avon and Somerset in the store with no rows" in text  # Sedgemoor itself
    assert "fraud" in text
    # categories: All crime and the police.uk types with offences in the force
    assert list(dict.fromkeys(frame["category"])) == [
        "All crime", "Violence and sexual offences", "Burglary", "Shoplifting",
        "Criminal damage and arson"]
    with pytest.raises(InputError, match="did you mean 'Sedgemoor'"):
        recorded_context_table(store, data, "Sedgmoor", year="2018/19")
    with pytest.raises(InputError, match="--year 2016/17"):
        recorded_context_table(store, data, "Bristol", year="2016/17")


# --- the command line -------------------------------------------------------------------------

def test_cli_performance_csv(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recorded", "performance", str(book), "--csp", "Bristol", "--format",
                 "csv", "--by", "police_uk"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    got = {r["category"]: (r["2017/18"], r["2018/19"], r["pct_change"]) for r in rows}
    assert got["All crime"] == ("65", "59", "-9")
    assert got["Shoplifting"] == ("20", "23", "15")


def test_cli_context_and_xlsx(book: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    st = _store(tmp_path / "cli.duckdb")
    st.close()
    assert main(["recorded", "context", str(book), "--csp", "Bristol", "--year", "2018/19",
                 "--store", str(tmp_path / "cli.duckdb"), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["area_name"], r["count"]) for r in rows if r["category"] == "All crime"} == {
        (AS, "91"), ("Bristol, City of", "59"), ("Bath and North East Somerset", "8"),
        ("Sedgmoor", "5"), ("North Somerset", "6"), ("South Gloucestershire", "11")}
    out = tmp_path / "perf.xlsx"
    assert main(["recorded", "performance", str(book), "--force", AS, "--format", "xlsx",
                 "--out", str(out)]) == 0
    assert out.is_file()


def test_cli_user_mistakes_exit_2_without_traceback(book: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "commsafe"
    res = subprocess.run([str(exe), "recorded", "performance", str(book), "--csp", "Nowhere"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert "no CSP 'Nowhere'" in res.stderr and "Traceback" not in res.stderr
    bad = _xlsx(tmp_path / "bad.xlsx", {"2018_19": [HEADER, ("2018/19", 1, AS, "Bristol",
                                                              *SHOP, 1.5)]})
    res = subprocess.run([str(exe), "recorded", "performance", str(bad), "--csp", "Bristol"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "sheet '2018_19', row 2, column 'Offence Count'" in res.stderr


# --- the real 2017/18 force table (crime-sim-toolkit 1.5.0) ----------------------------------

MEMBER = "crime_sim_toolkit/src/prc-pfa-201718_new.csv"


@pytest.fixture(scope="module")
def real_csv(crime_sim_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prc") / "prc-pfa-201718_new.csv"
    with zipfile.ZipFile(crime_sim_wheel) as archive:
        out.write_bytes(archive.read(MEMBER))
    return out


def test_real_force_table_national_totals(real_csv: Path) -> None:
    # the independent recount, with the csv module
    crime: dict[str, int] = defaultdict(int)
    fraud = 0
    negative = 0
    with real_csv.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            n = int(row["Number_of_Offences"])
            negative += n < 0
            if row["Offence_Group"] == "Fraud offences":
                fraud += n
            else:
                crime[row["Offence_Group"]] += n
    data = read_recorded_crime(real_csv)
    assert data.years == ["2017/18"] and not data.has_csp
    assert data.unknown_codes == {}  # every code placed (the homicide codes combined too)
    assert int(data.fraud["count"].sum()) == fraud
    assert data.negative_rows == negative > 0
    everything = data.frame[~data.frame["fraud"]]
    assert int(everything["count"].sum()) == sum(crime.values())
    assert sum(crime.values()) == 4_881_043  # the file's total, fraud left out
    # by group: the reader's hierarchy placement agrees with the table's own group column
    by_group: dict[str, int] = defaultdict(int)
    for key, n in everything.groupby("group_key")["count"].sum().items():
        group = hierarchy.HIERARCHY[[g.key for g in hierarchy.HIERARCHY].index(str(key))]
        while group.level > 1:
            group = next(g for g in hierarchy.HIERARCHY if g.key == group.parent)
        by_group[group.name] += int(n)
    expected = {}
    for name, n in crime.items():
        found = hierarchy.find_group(name)
        assert found is not None, name
        expected[found.name] = n
    assert dict(by_group) == expected
    # one force through the counts table: its All crime is its rows' total
    table, _ = recorded_counts(data, force="Avon and Somerset", by="police_uk")
    all_crime = table.frame.loc[table.frame["category"] == "All crime", "count"].item()
    hand = 0
    with real_csv.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["Force_Name"] == "Avon and Somerset":
                hand += int(row["Number_of_Offences"])
    assert all_crime == hand
    parts = table.frame[table.frame["category"] != "All crime"]["count"].sum()
    assert parts == all_crime  # the police.uk types partition All crime


# --- ODS: streamed, with the repeats LibreOffice writes -------------------------------------

def _ods_raw(path: Path, tables: str) -> Path:
    """An ODS whose content.xml body is ``tables`` (raw table:table elements)."""
    _ods(path, {})
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>")
    with zipfile.ZipFile(path) as archive:
        manifest = archive.read("META-INF/manifest.xml")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"),
                         "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def _row_xml(row: Row, trailing: int = 0) -> str:
    blanks = (f'<table:table-cell table:number-columns-repeated="{trailing}"/>'
              if trailing else "")
    return "<table:table-row>" + "".join(map(_ods_cell, row)) + blanks + "</table:table-row>"


def test_ods_repeats_row_numbers_and_summary_sheets(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    empty = ('<table:table-row table:number-rows-repeated="5">'
             '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    year = ('<table:table table:name="2018_19">' + _row_xml(HEADER, 16000)
            + _row_xml(Y2[0], 16000) + empty
            + "".join(_row_xml(r) for r in Y2[1:])
            # the empty rows LibreOffice writes to the end of the sheet
            + '<table:table-row table:number-rows-repeated="1048000">'
              '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
            + "</table:table>")
    summary = ('<table:table table:name="All years">' + _row_xml(HEADER)
               + _row_xml(Y2[0]) + "</table:table>")
    notes = '<table:table table:name="Notes">' + _row_xml(("Notes",)) + "</table:table>"
    path = _ods_raw(tmp_path / "lo.ods", notes + summary + year)
    data = read_recorded_crime(path)
    assert data.sheets == ["2018_19"]
    assert data.skipped_sheets == ["Notes", "All years"]  # a summary is not counted twice
    assert _total(data.frame) == sum(int(r[-1]) for r in Y2)  # type: ignore[call-overload]
    # an independent read with calamine (which loads the whole book) agrees
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("2018_19")
    cells = [r for r in sheet.to_python() if any(c != "" for c in r)][1:]
    assert sum(int(float(str(r[8]))) for r in cells) == _total(data.frame)
    # row numbers count the repeated empty rows, as a spreadsheet shows them
    bad = ('<table:table table:name="2018_19">' + _row_xml(HEADER) + empty
           + _row_xml(("2018/19", 1, AS, "Bristol", *SHOP, "n/a")) + "</table:table>")
    with pytest.raises(InputError, match=r"sheet '2018_19', row 7, column 'Offence Count', "
                                         r"value 'n/a'"):
        read_recorded_crime(_ods_raw(tmp_path / "bad.ods", bad))


_PEAK = """
import sys
import lxml.etree
from commsafe.sources.home_office import read_recorded_crime

def peak_kib():  # VmHWM: this process's peak resident size (ru_maxrss survives exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

before = peak_kib()
print(int(read_recorded_crime(sys.argv[1]).frame["count"].sum()))
print(peak_kib() - before)
"""


def test_ods_is_streamed_not_held(tmp_path: Path) -> None:
    """Reading a 30 MB+ content.xml raises the peak memory of a fresh process by much less
    than the XML: rows are freed as they are read (lxml's memory is not seen by
    tracemalloc, so the process's peak resident size is measured)."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("needs /proc/self/status (Linux) to measure peak memory")
    rows = 40_000
    body = "".join(_row_xml(Y2[i % len(Y2)]) for i in range(rows))
    path = _ods_raw(tmp_path / "big.ods", '<table:table table:name="2018_19">'
                    + _row_xml(HEADER) + body + "</table:table>")
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("content.xml").file_size
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True,
                          text=True, timeout=600, check=True)
    total, grown_kib = (int(x) for x in done.stdout.split())
    per_round = sum(int(r[-1]) for r in Y2)  # type: ignore[call-overload]
    assert total == per_round * rows // len(Y2)
    assert size > 30_000_000
    # held whole, the rows would take several times the XML (about 7 times here)
    assert grown_kib * 1024 < size / 2, (grown_kib, size)


def test_a_negative_net_count_gives_no_calc_not_an_error(tmp_path: Path) -> None:
    """Adjustments can outweigh a category's offences in a year (net below 0): the table is
    still made, that row's % change and test read 'No calc', with a note, and the other rows
    are tested as usual."""
    rows: list[Row] = [
        ("2017/18", 1, AS, "Bristol", *SHOP, 10), ("2017/18", 1, AS, "Bristol", *DAMAGE, 3),
        ("2018/19", 1, AS, "Bristol", *SHOP, 12), ("2018/19", 1, AS, "Bristol", *DAMAGE, 1),
        ("2018/19", 2, AS, "Bristol", *DAMAGE, -4),
    ]
    path = tmp_path / "neg.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    counts, _ = recorded_counts(read_recorded_crime(path), csp="Bristol", by="group")
    table = performance_table(counts=counts).set_index("category")
    damage = table.loc["Criminal damage and arson"]
    assert (damage["2017/18"], damage["2018/19"], damage["change"]) == (3, -3, -6)
    assert damage["pct_change"] == "No calc" and damage["significant"] == "No calc"
    theft = table.loc["Theft offences"]
    assert theft["pct_change"] == 20
    assert theft["p_value"] == pytest.approx(binomtest(12, 22, 0.5).pvalue)
    assert any("net count below 0" in n and "Criminal damage and arson" in n
               for n in table.attrs["notes"])
    out = tmp_path / "t.csv"
    assert main(["recorded", "performance", str(path), "--csp", "Bristol", "--by", "group",
                 "--format", "csv", "--out", str(out)]) == 0
