"""Partner data sets through a declared mapping: every kind, rejects, errors, idempotency."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from commsafe.errors import FileFormatError, InputError
from commsafe.measures.crosstab import crosstab_shares
from commsafe.reference.population import insert_population
from commsafe.sources.mapped import KINDS, load_dataset, read_mapping
from commsafe.store import Store, open_store
from commsafe.store.loads import LoadRecord

SECRET = "Zebedee-Quist"  # a personal value that must never reach the store


def _files(tmp_path: Path, kind: str, columns: dict[str, str], body: str,
           extra: str = "", name: str | None = None) -> tuple[Path, Path]:
    cols = "\n".join(f'{k} = "{v}"' for k, v in columns.items())
    mapping = tmp_path / f"{kind}.toml"
    mapping.write_text(f'kind = "{kind}"\nname = "{name or kind}"\n{extra}\n[columns]\n'
                       f"{cols}\n", encoding="utf-8")
    data = tmp_path / f"{kind}.csv"
    data.write_text(body, encoding="utf-8")
    return data, mapping


def _reasons(rec: LoadRecord) -> list[str]:
    return [r.reason for r in rec.rejects]


def _check(rec: LoadRecord, read: int, loaded: int) -> None:
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (read, loaded, read - loaded)
    assert rec.rows_read == rec.rows_loaded + rec.rows_rejected + rec.rows_duplicate


POLICE_COLUMNS = {
    "crime_ref": "Ref", "offence_code": "HO Code", "offence": "Offence",
    "committed_from": "From", "committed_to": "To", "lsoa": "LSOA",
    "victim_age": "V Age", "victim_sex": "V Sex", "offender_age": "O Age",
    "domestic_abuse": "DA", "knife": "Knife", "outcome": "Outcome",
    "easting": "Easting", "northing": "Northing",
}
POLICE_EXTRA = ('personal = ["Victim Name"]\n[formats]\n'
                'committed_from = ["%d/%m/%Y %H:%M", "%d/%m/%Y"]\n'
                'committed_to = "%d/%m/%Y %H:%M"\n[codes.domestic_abuse]\n"DA" = "yes"\n')
POLICE_CSV = (
    "Ref,HO Code,Offence,From,To,LSOA,Victim Name,V Age,V Sex,O Age,DA,Knife,Outcome,"
    "Easting,Northing\n"
    f"C1,105A,Common assault,05/01/2024 23:10,05/01/2024 23:30,E01000001,{SECRET},24,M,31,"
    "DA,N,Charged,545000,258000\n"
    f"C2,046,Shoplifting,06/02/2024,,E01000003,{SECRET},,,,N,N,,,\n"
    f"C3,008N,Assault with injury,2024-03-01,,E01000001,{SECRET},30,F,,N,Y,,,\n"
    f"C4,008N,Assault with injury,07/03/2024 01:00,,E01000002,{SECRET},130,F,,N,N,,,\n"
    f"C5,008N,Assault with injury,07/03/2024 01:00,,E01000002,{SECRET},x,F,,N,N,,,\n"
    f"C6,008N,Assault with injury,07/03/2024 01:00,,E01000002,{SECRET},22,Q,,N,N,,,\n"
    f"C7,,,07/03/2024 01:00,,E01000002,{SECRET},22,F,,N,N,,,\n"
    f"C8,008N,Assault with injury,,,E01000002,{SECRET},22,F,,N,N,,,\n"
    f"C9,008N,Assault with injury,07/03/2024 01:00,,E01000002,{SECRET},22,F,,maybe,N,,,\n"
    f"C10,008N,too,few\n"
)


def _mini_reference(store: Store) -> None:
    con = store.con
    con.executemany("INSERT INTO areas VALUES (?, ?, ?, 2021, 0)", [
        ("lsoa21", "E01000001", "A"), ("lsoa21", "E01000002", "B"),
        ("lsoa21", "E01000003", "C"), ("ward", "E05000001", "North"),
        ("ward", "E05000002", "South"), ("district", "E07000001", "Testshire"),
        ("csp", "E22000001", "Testshire CSP")])
    links = [("lsoa21", "E01000001", "ward", "E05000001"),
             ("lsoa21", "E01000002", "ward", "E05000001"),
             ("lsoa21", "E01000003", "ward", "E05000002"),
             ("ward", "E05000001", "district", "E07000001"),
             ("ward", "E05000002", "district", "E07000001"),
             ("district", "E07000001", "csp", "E22000001")]
    links += [("lsoa21", c, "district", "E07000001")
              for c in ("E01000001", "E01000002", "E01000003")]
    con.executemany("INSERT INTO area_links VALUES (?, ?, ?, ?, NULL, 2024, 0)", links)
    insert_population(con, [("lsoa21", c, 2021, "persons", "all", 0, None, p, "census2021", 0)
                    for c, p in [("E01000001", 1000), ("E01000002", 1500)]])


def _no_secret(store: Store) -> None:
    for table in ("records", "rejects", "datasets", "loads"):
        text = store.con.execute(f"SELECT string_agg(CAST(t AS VARCHAR), '|') FROM {table} t"
                                 ).fetchall()[0][0] or ""
        assert SECRET not in text, table


def test_police_extract_every_reject_reason_and_no_personal_data(store: Store,
                                                                 tmp_path: Path) -> None:
    _mini_reference(store)
    data, mapping = _files(tmp_path, "police_extract", POLICE_COLUMNS, POLICE_CSV,
                           POLICE_EXTRA)
    rec = load_dataset(store, data, mapping)
    _check(rec, 10, 2)
    assert _reasons(rec) == ["bad_date", "bad_age", "bad_age", "unknown_code",
                             "missing_value", "missing_value", "unknown_code",
                             "wrong_field_count"]
    details = {r.row_number: r for r in rec.rejects}
    assert "line 4, column 'From', value '2024-03-01'" in details[3].detail
    assert "%d/%m/%Y %H:%M, %d/%m/%Y" in details[3].detail
    assert "value '130'" in details[4].detail and "0-120" in details[4].detail
    assert "female, male, other, unknown" in details[6].detail
    assert "offence or offence_code" in details[7].detail
    assert "committed_from" in details[8].detail
    assert "[codes.domestic_abuse]" in details[9].detail and "DA" in details[9].detail
    assert all(SECRET not in (r.raw or "") and SECRET not in r.detail for r in rec.rejects)
    rows = store.con.execute(
        "SELECT record_id, offence_code, category, occurred_at, occurred_to, month, "
        "victim_age, victim_sex, offender_age, flags, ward_code, district_code, "
        "round(longitude, 2), round(latitude, 2), attributes FROM records ORDER BY row_number"
    ).fetchall()
    first, second = rows
    assert first[:3] == ("C1", "105A", "Common assault")
    assert str(first[3]) == "2024-01-05 23:10:00" and str(first[4]) == "2024-01-05 23:30:00"
    assert str(first[5]) == "2024-01-01" and first[6:9] == (24, "male", 31)
    assert first[9] == ["domestic_abuse"]
    assert first[10:12] == ("E05000001", "E07000001")
    assert first[12:14] == (pytest.approx(0.12, abs=0.05), pytest.approx(52.2, abs=0.05))
    assert json.loads(first[14])["outcome"] == "Charged"
    assert second[0] == "C2" and str(second[3]) == "2024-02-06 00:00:00"
    assert second[10:12] == ("E05000002", "E07000001")
    _no_secret(store)
    ds = store.con.execute("SELECT dataset, kind, synthetic, personal_columns, load_id "
                           "FROM datasets").fetchall()
    assert ds == [("police_extract", "police_extract", False, ["Victim Name"], rec.load_id)]


def test_personal_mapped_column_is_validated_but_never_stored_or_shown(
        store: Store, tmp_path: Path) -> None:
    body = ("When,Type,Age\n2024-01-01 10:00,Nuisance,45\n2024-01-02 10:00,Nuisance,999\n")
    data, mapping = _files(tmp_path, "asb_incidents",
                           {"datetime": "When", "category": "Type"}, body,
                           'personal = ["Age"]')
    rec = load_dataset(store, data, mapping)
    _check(rec, 2, 2)  # an unmapped personal column is never even read
    ed_body = (f"Arrival,Age,Name\n01/01/2024 10:00,{SECRET}1,{SECRET}\n"
               "01/01/2024 11:00,33,x\n")
    data, mapping = _files(tmp_path, "ed_assaults",
                           {"attendance_datetime": "Arrival", "age": "Age"}, ed_body,
                           'personal = ["Age", "Name"]\n[formats]\n'
                           'attendance_datetime = "%d/%m/%Y %H:%M"')
    rec = load_dataset(store, data, mapping)
    _check(rec, 2, 1)
    assert _reasons(rec) == ["bad_age"]
    assert "personal column: value not shown" in rec.rejects[0].detail
    assert store.con.execute("SELECT count(victim_age) FROM records WHERE kind = "
                             "'ed_assaults'").fetchall() == [(0,)]
    _no_secret(store)


def test_asb_incidents(store: Store, tmp_path: Path) -> None:
    body = ("Ref,When,Type,LSOA,Lat,Lon,Where\n"
            "A1,2024-05-01 21:00,Nuisance,E01000001,52.2,0.12,On or near Park Road\n"
            "A2,2024-05-02 21:00,,E01000001,,,\n"
            "A3,01/05/2024,Personal,,,,\n")
    data, mapping = _files(tmp_path, "asb_incidents", {
        "ref": "Ref", "datetime": "When", "category": "Type", "lsoa": "LSOA",
        "latitude": "Lat", "longitude": "Lon", "location": "Where"}, body)
    rec = load_dataset(store, data, mapping)
    _check(rec, 3, 2)
    assert _reasons(rec) == ["missing_value"]
    assert store.con.execute("SELECT record_id, latitude, location, month FROM records "
                             "ORDER BY row_number").fetchall()[0][:3] == (
        "A1", 52.2, "On or near Park Road")


def test_ed_assaults_weapon_codes_and_flags(store: Store, tmp_path: Path) -> None:
    body = ("Arrival,Assault,Weapon,Where,Loc,Admitted,Age,Sex,LSOA\n"
            "01/06/2024 01:30,01/06/2024 00:45,Knife,Street,High St,Y,19,M,E01000001\n"
            "01/06/2024 02:30,,Bottle,Pub/club,,N,25,F,\n"
            "02/06/2024 02:30,,Fist,Home,,N,40,F,\n"
            "03/06/2024 02:30,,Spoon,Home,,N,40,F,\n"
            ",,Fist,Home,,N,40,F,\n")
    data, mapping = _files(tmp_path, "ed_assaults", {
        "attendance_datetime": "Arrival", "assault_datetime": "Assault", "weapon": "Weapon",
        "location_type": "Where", "location": "Loc", "admitted": "Admitted", "age": "Age",
        "sex": "Sex", "lsoa": "LSOA"}, body,
        '[formats]\nattendance_datetime = "%d/%m/%Y %H:%M"\n'
        'assault_datetime = "%d/%m/%Y %H:%M"\n')
    rec = load_dataset(store, data, mapping)
    _check(rec, 5, 3)
    assert _reasons(rec) == ["unknown_code", "missing_value"]
    assert "knife/sharp" in rec.rejects[0].detail and "'Spoon'" in rec.rejects[0].detail
    rows = store.con.execute("SELECT category, flags, victim_age, victim_sex, attributes "
                             "FROM records ORDER BY row_number").fetchall()
    assert [r[0] for r in rows] == ["knife/sharp", "glass/bottle", "body part"]
    assert rows[0][1] == ["admitted", "knife"] and rows[1][1] == ["glass"]
    assert json.loads(rows[0][4]) == {"assault_datetime": "2024-06-01T00:45:00",
                                      "location_type": "Street"}


def test_ambulance_callouts_by_date_or_quarter(store: Store, tmp_path: Path) -> None:
    body = ("Date,Quarter,LSOA,Category,Calls\n"
            ",2024 Q2,E01000001,Assault,4\n"
            "2024-07-03,,E01000002,Alcohol,\n"
            ",2024 Q5,E01000002,Alcohol,3\n"
            ",2024 Q1,E01000002,Alcohol,-1\n"
            ",,E01000002,Alcohol,1\n")
    data, mapping = _files(tmp_path, "ambulance_callouts", {
        "date": "Date", "quarter": "Quarter", "lsoa": "LSOA", "category": "Category",
        "count": "Calls"}, body)
    rec = load_dataset(store, data, mapping)
    _check(rec, 5, 2)
    assert _reasons(rec) == ["bad_period", "bad_number", "missing_value"]
    rows = store.con.execute("SELECT period_label, month, value FROM records "
                             "ORDER BY row_number").fetchall()
    assert [(r[0], str(r[1]), r[2]) for r in rows] == [
        ("2024 Q2", "2024-04-01", 4.0), (None, "2024-07-01", 1.0)]


def test_needle_finds(store: Store, tmp_path: Path) -> None:
    _mini_reference(store)
    body = ("Found,Ward,Where,Needles\n12/02/2024,E05000001,Park,3\n"
            "13/02/2024,,,2\n2024-02-13,E05000001,,2\n14/02/2024,E05000002,,lots\n")
    data, mapping = _files(tmp_path, "needle_finds", {
        "date": "Found", "ward": "Ward", "location": "Where", "needles": "Needles"}, body,
        '[formats]\ndate = "%d/%m/%Y"')
    rec = load_dataset(store, data, mapping)
    _check(rec, 4, 1)
    assert _reasons(rec) == ["missing_value", "bad_date", "bad_number"]
    assert store.con.execute("SELECT ward_code, district_code, value FROM records"
                             ).fetchall() == [("E05000001", "E07000001", 3.0)]


def test_school_absence(store: Store, tmp_path: Path) -> None:
    body = ("School,Year,Overall,Excl,PA\nNorth Primary,2023/24,5.9,0.4,18.2\n"
            "North Primary,2024,5.9,0.4,18.2\nSouth Academy,2023/24,150,0.4,18.2\n")
    data, mapping = _files(tmp_path, "school_absence", {
        "school": "School", "academic_year": "Year", "overall_absence_pct": "Overall",
        "exclusion_pct": "Excl", "persistent_absence_pct": "PA"}, body)
    rec = load_dataset(store, data, mapping)
    _check(rec, 3, 1)
    assert _reasons(rec) == ["bad_period", "bad_number"]
    row = store.con.execute("SELECT school, period_label, month, value, attributes "
                            "FROM records").fetchall()[0]
    assert row[:2] == ("North Primary", "2023/24") and str(row[2]) == "2023-09-01"
    assert row[3] == 5.9 and json.loads(row[4]) == {"exclusion_pct": 0.4,
                                                    "persistent_absence_pct": 18.2}


NRM = (("Labour exploitation", "Albania", 4), ("Labour exploitation", "Czech Republic", 1),
       ("Labour exploitation", "Romania", 2), ("Labour exploitation", "Slovakia", 1),
       ("Labour exploitation", "Syria", 1), ("Labour exploitation", "United Kingdom", 7),
       ("Labour exploitation", "Vietnam", 1), ("Sexual exploitation", "Romania", 1))


def nrm_crosstab(store: Store, dataset: str) -> dict[str, str]:
    frame = store.con.execute(
        "SELECT category AS exploitation_type, attributes->>'nationality' AS nationality "
        "FROM records WHERE dataset = ?", [dataset]).df()
    table = crosstab_shares(frame, "nationality", "exploitation_type")
    shown = table.display_shares()
    out = {str(k): str(v) for k, v in shown["Total"].items()}
    out.update({str(k): str(v) for k, v in shown.loc["Total"].items()})
    assert int(table.counts.loc["Total", "Total"]) == 18
    return out


EXPECTED_NRM = {"Albania": "22%", "Czech Republic": "6%", "Romania": "17%",
                "United Kingdom": "39%", "labour": "94%", "sexual": "6%"}


def test_nrm_referrals_reproduce_the_known_crosstab(store: Store, tmp_path: Path) -> None:
    lines = [f"2024,{kind},{nat},{'Adult' if i % 3 else 'Minor'},Police"
             for kind, nat, n in NRM for i in range(n)]
    body = ("Year,Type,Nationality,Age group,Agency\n" + "\n".join(lines)
            + "\n2024,Labour exploitation,France,Pensioner,Police\n"
            + "twenty,Labour exploitation,France,Adult,Police\n")
    data, mapping = _files(tmp_path, "nrm_referrals", {
        "year": "Year", "exploitation_type": "Type", "nationality": "Nationality",
        "age_group": "Age group", "referring_agency": "Agency"}, body,
        '[codes.exploitation_type]\n"Labour exploitation" = "labour"\n'
        '"Sexual exploitation" = "sexual"\n')
    rec = load_dataset(store, data, mapping)
    _check(rec, 20, 18)
    assert _reasons(rec) == ["unknown_code", "bad_period"]
    assert "adult, minor" in rec.rejects[0].detail
    shares = nrm_crosstab(store, "nrm_referrals")
    assert {k: shares[k] for k in EXPECTED_NRM} == EXPECTED_NRM
    flags = store.con.execute("SELECT flags FROM records ORDER BY row_number LIMIT 2"
                              ).fetchall()
    assert flags == [(["minor"],), (["adult"],)]


def test_premises_incidents(store: Store, tmp_path: Path) -> None:
    body = ("ID,Name,When,Type,Violent,Severity\nP1,Red Lion,2024-01-05 23:00,Assault,Yes,3\n"
            "P1,Red Lion,2024-01-06 23:00,Disorder,No,1\nP2,Crown,2024-01-06 23:00,Fight,"
            "Perhaps,2\n,Crown,2024-01-06 23:00,Fight,Yes,2\n")
    data, mapping = _files(tmp_path, "premises_incidents", {
        "premises_id": "ID", "premises_name": "Name", "datetime": "When",
        "incident_type": "Type", "violent": "Violent", "severity": "Severity"}, body)
    rec = load_dataset(store, data, mapping)
    _check(rec, 4, 2)
    assert _reasons(rec) == ["unknown_code", "missing_value"]
    assert store.con.execute("SELECT premises_id, premises_name, flags FROM records ORDER BY "
                             "row_number").fetchall() == [("P1", "Red Lion", ["violent"]),
                                                          ("P1", "Red Lion", [])]


def test_offender_caseload(store: Store, tmp_path: Path) -> None:
    body = ("District,Snapshot,Disability,MH,Accom,Substance,DA,Risk\n"
            "E07000001,2024-03-31,Y,Y,N,N,Y,High\nE07000001,31/03/2024,N,N,N,N,N,Low\n"
            ",2024-03-31,N,N,N,N,N,Low\n")
    data, mapping = _files(tmp_path, "offender_caseload", {
        "district": "District", "snapshot_date": "Snapshot", "disability": "Disability",
        "mental_health": "MH", "accommodation": "Accom", "substance_misuse": "Substance",
        "domestic_abuse": "DA", "risk_band": "Risk"}, body,
        '[formats]\nsnapshot_date = "%Y-%m-%d"')
    rec = load_dataset(store, data, mapping)
    _check(rec, 3, 1)
    assert _reasons(rec) == ["bad_date", "missing_value"]
    assert store.con.execute("SELECT district_code, category, flags FROM records").fetchall() \
        == [("E07000001", "High", ["disability", "domestic_abuse", "mental_health"])]


def test_counts(store: Store, tmp_path: Path) -> None:
    body = ("Area,Group,Period,Count\nE05000001,Burglary,2024 Q1,12\n"
            "E07000001,Burglary,2023/24,40\nTown centre,Burglary,2024,4\n"
            "E05000001,Burglary,2024 Q1,many\nE05000001,,2024 Q1,1\n")
    data, mapping = _files(tmp_path, "counts", {
        "area": "Area", "category": "Group", "period": "Period", "count": "Count"}, body)
    rec = load_dataset(store, data, mapping)
    _check(rec, 5, 3)
    assert _reasons(rec) == ["bad_number", "missing_value"]
    rows = store.con.execute("SELECT ward_code, district_code, location, period_label, month, "
                             "value FROM records ORDER BY row_number").fetchall()
    assert [(r[0], r[1], r[2], r[3], str(r[4]), r[5]) for r in rows] == [
        ("E05000001", None, None, "2024 Q1", "2024-01-01", 12.0),
        (None, "E07000001", None, "2023/24", "2023-04-01", 40.0),
        (None, None, "Town centre", "2024", "2024-01-01", 4.0)]


def test_xlsx_is_read(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "needles.xlsx"
    pd.DataFrame({"Found": [pd.Timestamp("2024-02-12"), pd.Timestamp("2024-03-01")],
                  "Ward": ["E05000001", "E05000002"], "Needles": [3, 1]}
                 ).to_excel(path, index=False)
    _, mapping = _files(tmp_path, "needle_finds", {"date": "Found", "ward": "Ward",
                                                   "needles": "Needles"}, "")
    rec = load_dataset(store, path, mapping)
    _check(rec, 2, 2)
    assert rec.months == ["2024-02", "2024-03"]


def test_idempotent_reload_and_revised_file_replaces(store: Store, tmp_path: Path) -> None:
    data, mapping = _files(tmp_path, "premises_incidents", {
        "premises_id": "ID", "datetime": "When", "violent": "Violent"},
        "ID,When,Violent\nP1,2024-01-05 23:00,Yes\nP1,2024-01-06 23:00,No\nP2,bad,No\n")
    first = load_dataset(store, data, mapping)
    again = load_dataset(store, data, mapping)
    assert again.status == "duplicate" and again.rows_duplicate == 3 == again.rows_read
    assert again.rows_loaded == 0 and "nothing added" in (again.note or "")
    assert store.con.execute("SELECT count(*) FROM records").fetchall() == [(2,)]
    data.write_text("ID,When,Violent\nP9,2024-02-05 23:00,Yes\n", encoding="utf-8")
    revised = load_dataset(store, data, mapping)
    assert revised.status == "revised"
    assert f"replaces the 2 rows of data set premises_incidents from load {first.load_id}" \
        in (revised.note or "")
    assert store.con.execute("SELECT premises_id, load_id FROM records").fetchall() == [
        ("P9", revised.load_id)]
    assert store.con.execute("SELECT replaced_by FROM loads WHERE load_id = ?",
                             [first.load_id]).fetchall() == [(revised.load_id,)]
    assert store.con.execute("SELECT load_id FROM datasets").fetchall() == [(revised.load_id,)]
    # the same data under a changed mapping is not a duplicate: it reloads
    mapping.write_text('title = "x"\n' + mapping.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_dataset(store, data, mapping).status == "revised"


def test_a_failing_load_leaves_the_store_as_it_was(store: Store, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import commsafe.sources.mapped as mapped

    data, mapping = _files(tmp_path, "counts", {"category": "C", "period": "P", "count": "N"},
                           "C,P,N\nBurglary,2024,3\n")
    load_dataset(store, data, mapping)
    data.write_text("C,P,N\nBurglary,2024,5\n", encoding="utf-8")

    def boom(*args: object) -> None:
        raise RuntimeError("interrupted")

    monkeypatch.setattr(mapped, "_resolve_areas", boom)
    with pytest.raises(RuntimeError):
        load_dataset(store, data, mapping)
    assert store.con.execute("SELECT value FROM records").fetchall() == [(3.0,)]
    assert store.con.execute("SELECT count(*) FROM loads").fetchall() == [(1,)]


def test_unknown_column_lists_the_columns_and_a_close_match(store: Store,
                                                            tmp_path: Path) -> None:
    data, mapping = _files(tmp_path, "asb_incidents", {"datetime": "Date Tim",
                                                       "category": "Type"},
                           "Ref,Date Time,Type\nA,2024-01-01 10:00,Nuisance\n")
    with pytest.raises(FileFormatError) as err:
        load_dataset(store, data, mapping)
    text = str(err.value)
    assert "'Date Tim'" in text and "Close matches: 'Date Time'" in text
    assert "'Ref', 'Date Time', 'Type'" in text and "[columns]" in text
    assert store.con.execute("SELECT count(*) FROM loads").fetchall() == [(0,)]


def test_mapping_errors(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('kind = "ed_assault"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_mapping(path)
    assert "Did you mean 'ed_assaults'" in str(err.value)
    assert all(kind in str(err.value) for kind in KINDS)
    path.write_text('kind = "ed_assaults"\nname = "x"\n[columns]\nage = "Age"\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match="needs the field\\(s\\) attendance_datetime"):
        read_mapping(path)
    path.write_text('kind = "counts"\nname = "x"\n[columns]\ncategory = "C"\nperiod = "P"\n'
                    'count = "N"\ncolour = "Z"\n', encoding="utf-8")
    with pytest.raises(InputError, match="'colour' is not a field of kind counts"):
        read_mapping(path)
    path.write_text('kind = "counts"\n[columns\n', encoding="utf-8")
    with pytest.raises(FileFormatError, match="not a valid TOML"):
        read_mapping(path)
    path.write_text('kind = "counts"\n[columns]\ncategory = "C"\n', encoding="utf-8")
    with pytest.raises(InputError, match="no data set name"):
        read_mapping(path)
    path.write_text('kind = "ed_assaults"\nname = "x"\n[columns]\n'
                    'attendance_datetime = "A"\n[codes.weapon]\n"K" = "dagger"\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match="not one of the canonical values"):
        read_mapping(path)


def test_every_example_mapping_in_the_docs_reads(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "datasets.md").read_text(
        encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```toml\n")[1:]]
    kinds = set()
    for i, block in enumerate(blocks):
        path = tmp_path / f"m{i}.toml"
        path.write_text(block, encoding="utf-8")
        kinds.add(read_mapping(path).kind)
    assert kinds == set(KINDS)
    for kind in KINDS:
        assert f"### {kind}\n" in text


def test_declared_age_bands(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "victims.csv"
    data.write_text(
        "Ref,Date,Offence,Victim age,Victim sex\n"
        "V1,2024-01-05,Common assault,25-29,M\n"       # a 5-year band
        "V2,2024-01-06,Common assault,18-24,F\n"       # a wider band: kept as a band
        "V3,2024-01-07,Common assault,40,F\n"          # a plain age still reads
        "V4,2024-01-08,Common assault,teen,F\n",       # neither: rejected with the bands
        encoding="utf-8")
    mapping = tmp_path / "victims.toml"
    mapping.write_text(
        'kind = "police_extract"\nname = "banded"\n'
        '[columns]\ncrime_ref = "Ref"\ncommitted_from = "Date"\noffence = "Offence"\n'
        'victim_age = "Victim age"\nvictim_sex = "Victim sex"\n'
        '[formats]\ncommitted_from = "%Y-%m-%d"\n'
        '[codes.victim_sex]\nM = "male"\nF = "female"\n'
        '[age_bands.victim_age]\n"25-29" = [25, 29]\n"18-24" = [18, 24]\n"90+" = [90, 120]\n',
        encoding="utf-8")
    rec = load_dataset(store, data, mapping)
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (4, 3, 1)
    assert "25-29, 18-24, 90+" in rec.rejects[0].detail
    rows = store.con.execute(
        "SELECT record_id, victim_age, json_extract_string(attributes, '$.victim_age_band') "
        "FROM records ORDER BY row_number").fetchall()
    assert rows == [("V1", None, "25-29"), ("V2", None, "18-24"), ("V3", 40, None)]
    # the pyramid counts a 5-year band in its band, and a wider band as an unknown age
    from commsafe.cli import main

    store_path = str(store.path)
    store.close()
    assert main(["chart", "pyramid", "--dataset", "banded", "--out", str(tmp_path / "p"),
                 "--store", store_path]) == 0
    svg = (tmp_path / "p" / "pyramid.svg").read_text(encoding="utf-8")
    assert "n = 2" in svg and "1 with unknown age or sex not shown" in svg
    bad = tmp_path / "bad.toml"
    bad.write_text(mapping.read_text(encoding="utf-8").replace("[25, 29]", "[29, 25]"),
                   encoding="utf-8")
    with open_store(store_path) as again, pytest.raises(InputError, match="first and last age"):
        load_dataset(again, data, bad)


def test_an_unclosed_quote_keeps_no_personal_data_and_names_the_lines(
        store: Store, tmp_path: Path) -> None:
    """A stray quote on line 3 swallows the 59 lines after it into one record: that record is
    rejected, its text (holding 59 NHS numbers, in whatever cell the merge put them) is not
    kept, and the message names the line of the quote and the lines read as one."""
    _mini_reference(store)
    nhs = [f"9{i:09d}" for i in range(60)]
    lines = ["Ref,HO Code,Offence,From,To,LSOA,Victim Name,V Age,V Sex,O Age,DA,Knife,Outcome,"
             "Easting,Northing"]
    for i, number in enumerate(nhs):
        offence = '"Assault with injury' if i == 1 else "Assault with injury"  # never closed
        lines.append(f"C{i},008N,{offence},07/03/2024 01:00,,E01000002,{number},22,F,,N,N,,,")
    data, mapping = _files(tmp_path, "police_extract", POLICE_COLUMNS,
                           "\n".join(lines) + "\n", POLICE_EXTRA)
    rec = load_dataset(store, data, mapping)
    assert rec.rows_read == rec.rows_loaded + rec.rows_rejected + rec.rows_duplicate
    assert rec.rows_loaded == 1 and rec.rows_rejected == 1  # C0 loads; C1's quote runs to EOF
    (bad,) = rec.rejects
    assert bad.reason == "wrong_field_count" and bad.line_number == 3
    assert "lines 3 to 61 (59 lines) were read as one record" in bad.detail
    assert "closing quote is missing" in bad.detail
    assert bad.raw is None
    stored = store.con.execute(
        "SELECT string_agg(CAST(t AS VARCHAR), '|') FROM rejects t").fetchall()[0][0] or ""
    assert not any(n in stored for n in nhs[1:]), "an NHS number reached the store"
    assert not any(n in bad.detail for n in nhs)
