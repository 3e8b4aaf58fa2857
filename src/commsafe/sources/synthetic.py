"""Synthetic partner data sets for a real area, for demonstrations and tests.

:func:`write_partner_samples` takes a CSP or district from the loaded reference data (its
LSOAs, wards and population) and writes, for every kind :mod:`commsafe.sources.mapped` reads,
a made-up CSV ``SYNTHETIC_<kind>.csv`` and its mapping ``SYNTHETIC_<kind>.toml`` (title
starting "SYNTHETIC", ``synthetic = true``), plus a ``README.txt`` saying the files are not
real. The same area and seed give byte-identical files.

Volumes are meant to look plausible, not to be right: about 80 police-recorded crimes per
1,000 people a year; ED assault attendances about 40 a month for 250,000 people (10% knife or
sharp object, 15% glass or bottle, 25% admitted); needle finds concentrated in two wards;
one licensed premises whose violent incidents rise into the Cardiff model's high band in the
second half of the year; victim and offender ages peaking between 20 and 35. The NRM sample is
the 18 referrals of the worked example in docs/datasets.md (shuffled, with made-up agencies).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from commsafe.errors import InputError, ReferenceDataError

__all__ = ["SAMPLE_KINDS", "write_partner_samples"]

YEAR = 2024

SAMPLE_KINDS = ("police_extract", "asb_incidents", "ed_assaults", "ambulance_callouts",
                "needle_finds", "school_absence", "nrm_referrals", "premises_incidents",
                "offender_caseload", "counts")

SURNAMES = ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
            "Thomas", "Johnson", "Roberts", "Walker", "Wright", "Robinson", "Thompson")
STREETS = ("High Street", "Station Road", "Church Lane", "Park Road", "Victoria Street",
           "Market Square", "Mill Lane", "London Road", "The Green", "Queen Street")

# offence, Home Office code, weight, violent
OFFENCES = (
    ("Common assault", "105A", 14, True), ("Assault with injury", "008N", 9, True),
    ("Harassment", "008A", 8, True), ("Shoplifting", "046", 12, False),
    ("Theft from the person", "039", 3, False), ("Residential burglary", "028A", 6, False),
    ("Theft from a vehicle", "045", 5, False), ("Criminal damage to a vehicle", "058C", 7, False),
    ("Possession of cannabis", "092D", 4, False),
    ("Public fear, alarm or distress", "125", 9, False),
    ("Sexual assault on a female aged 13 and over", "017", 2, True),
    ("Robbery of personal property", "034B", 2, True),
    ("Possession of article with blade or point", "010C", 1, False),
)
OUTCOMES = ("Investigation complete; no suspect identified", "Charged", "Caution",
            "Evidential difficulties; victim does not support action", "Under investigation",
            "Community resolution")


@dataclass(frozen=True)
class _Area:
    code: str
    name: str
    districts: list[str]
    lsoas: list[str]
    ward_of: dict[str, str]
    ward_names: dict[str, str]
    population: dict[str, float]
    year: int = YEAR
    """The calendar year the records are dated in."""

    @property
    def total(self) -> float:
        return sum(self.population.values())

    @property
    def wards(self) -> list[str]:
        return sorted(set(self.ward_of.values()))


def _area(con: duckdb.DuckDBPyConnection, area_code: str) -> _Area:
    found = con.execute("SELECT area_type, coalesce(area_name, area_code) FROM areas "
                        "WHERE upper(area_code) = upper(?) AND area_type IN ('csp', 'district')"
                        " ORDER BY area_type", [area_code.strip()]).fetchall()
    if not found:
        raise ReferenceDataError(
            f"area {area_code!r}: no CSP or district with that code in the reference data. "
            "Give the ONS code of a CSP (E22…) or district, or load the lookups with "
            "'commsafe reference load'.")
    area_type, name = found[0]
    code = area_code.strip().upper()
    if area_type == "csp":
        districts = [r[0] for r in con.execute(
            "SELECT DISTINCT from_code FROM area_links WHERE from_type = 'district' AND "
            "to_type = 'csp' AND to_code = ? ORDER BY 1", [code]).fetchall()]
    else:
        districts = [code]
    # 2021 LSOAs where the lookups have them; else 2011 LSOAs (e.g. the package-index sample,
    # whose lookup links 2011 LSOAs to districts and has no wards)
    lsoa_type, lsoas = "lsoa21", []
    for candidate in ("lsoa21", "lsoa11"):
        lsoas = [r[0] for r in con.execute(
            "SELECT DISTINCT from_code FROM area_links WHERE from_type = ? AND "
            "to_type = 'district' AND list_contains(?, to_code) ORDER BY 1",
            [candidate, districts]).fetchall()]
        if lsoas:
            lsoa_type = candidate
            break
    if not lsoas:
        raise ReferenceDataError(
            f"area {area_code!r} ({name}): no LSOAs are linked to it in the reference "
            "data, so there is nowhere to place records. Load the LSOA lookups with "
            "'commsafe reference load'.")
    ward_of = {r[0]: r[1] for r in con.execute(
        "SELECT from_code, arg_max(to_code, coalesce(vintage, 0)) FROM area_links "
        "WHERE from_type = ? AND to_type = 'ward' AND list_contains(?, from_code) "
        "GROUP BY from_code ORDER BY 1", [lsoa_type, lsoas]).fetchall()}
    ward_names = {r[0]: r[1] or r[0] for r in con.execute(
        "SELECT area_code, area_name FROM areas WHERE area_type = 'ward' ORDER BY 1"
    ).fetchall()}
    pops = {r[0]: float(r[1]) for r in con.execute(
        "SELECT area_code, arg_max(population, year) FROM population WHERE area_type = ? "
        "AND sex = 'persons' AND age_band = 'all' AND list_contains(?, area_code) "
        "GROUP BY area_code ORDER BY 1", [lsoa_type, lsoas]).fetchall()}
    population = {c: pops.get(c) or 1600.0 for c in lsoas}  # typical LSOA when not loaded
    return _Area(code, str(name), districts, lsoas, ward_of, ward_names, population)


# --------------------------------------------------------------------------- drawing


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _age(rng: random.Random, median: float, spread: float = 0.35,
         low: int = 10, high: int = 90) -> int:
    """Ages from a log-normal: most between 20 and 35, a long tail of older people."""
    return min(high, max(low, round(rng.lognormvariate(math.log(median), spread))))


def _when(rng: random.Random, month: int, night: bool = False, *, year: int = YEAR
          ) -> datetime:
    day = rng.randint(1, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
    if night and rng.random() < 0.6:
        hour = rng.choice((20, 21, 22, 23, 0, 1, 2, 3))
    else:
        hour = rng.randint(0, 23)
    return datetime(year, month, day, hour, rng.randint(0, 59))


def _yn(rng: random.Random, p: float) -> str:
    return "Y" if rng.random() < p else "N"


def _sex(rng: random.Random, p_male: float) -> str:
    r = rng.random()
    return "M" if r < p_male else "F" if r < 0.98 else "U"


def _weighted(rng: random.Random, items: Sequence[str], weights: Sequence[float], k: int
              ) -> list[str]:
    return rng.choices(list(items), weights=list(weights), k=k)


# --------------------------------------------------------------------------- kinds


def _police_extract(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["Crime Reference", "Home Office Code", "Offence", "Committed From",
              "Committed To", "Recorded Date", "LSOA", "Victim Surname", "Victim Age",
              "Victim Gender", "Suspect Age", "Suspect Gender", "DA Flag", "Hate Flag",
              "CSE Flag", "Knife Flag", "Alcohol Flag", "Outcome"]
    n = min(20000, max(60, _poisson(rng, a.total * 0.08)))
    places = _weighted(rng, a.lsoas, [a.population[c] for c in a.lsoas], n)
    offences = rng.choices(OFFENCES, weights=[o[2] for o in OFFENCES], k=n)
    rows = []
    for i, (lsoa, (offence, code, _, violent)) in enumerate(zip(places, offences, strict=True)):
        start = _when(rng, rng.randint(1, 12), year=a.year, night=violent)
        end = start + timedelta(minutes=rng.choice((0, 15, 30, 60, 180)))
        recorded = start + timedelta(hours=rng.randint(0, 72))
        has_victim = offence not in ("Shoplifting", "Possession of cannabis",
                                     "Possession of article with blade or point")
        rows.append([
            f"SY/{a.year % 100:02d}/{i + 1:06d}", code, offence,
            start.strftime("%d/%m/%Y %H:%M"),
            end.strftime("%d/%m/%Y %H:%M") if rng.random() < 0.7 else "",
            recorded.strftime("%d/%m/%Y %H:%M"), lsoa,
            rng.choice(SURNAMES) if has_victim else "",
            str(_age(rng, 31)) if has_victim and rng.random() < 0.9 else "",
            _sex(rng, 0.5 if violent else 0.55) if has_victim else "",
            str(_age(rng, 27, 0.3, 12, 80)) if rng.random() < 0.6 else "",
            _sex(rng, 0.82) if rng.random() < 0.7 else "",
            _yn(rng, 0.3 if violent else 0.03), _yn(rng, 0.02), _yn(rng, 0.005),
            _yn(rng, 0.05 if violent else 0.01), _yn(rng, 0.15 if violent else 0.05),
            rng.choice(OUTCOMES)])
    rows.sort(key=lambda r: datetime.strptime(r[3], "%d/%m/%Y %H:%M"))
    return header, rows


def _asb_incidents(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["Incident Ref", "Date Time", "ASB Category", "LSOA", "Location"]
    n = max(30, _poisson(rng, a.total * 0.03))
    places = _weighted(rng, a.lsoas, [a.population[c] for c in a.lsoas], n)
    rows = []
    for i, lsoa in enumerate(places):
        when = _when(rng, rng.randint(1, 12), year=a.year, night=True)
        category = _weighted(rng, ("Personal", "Nuisance", "Environmental"), (2, 7, 1), 1)[0]
        rows.append([f"ASB{i + 1:05d}", when.strftime("%Y-%m-%d %H:%M"), category, lsoa,
                     f"On or near {rng.choice(STREETS)}"])
    rows.sort(key=lambda r: r[1])
    return header, rows


def _ed_assaults(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["Arrival", "Assault Time", "Weapon", "Location Type", "Location Detail",
              "Admitted", "Age", "Sex", "LSOA", "NHS Number"]
    per_month = 40 * min(4.0, max(0.5, a.total / 250_000))
    weapons = ("Knife", "Glass", "Blunt object", "Fist", "Other")
    rows = []
    for month in range(1, 13):
        for _ in range(_poisson(rng, per_month)):
            assault = _when(rng, month, night=True, year=a.year)
            arrival = assault + timedelta(minutes=rng.randint(20, 300))
            rows.append([
                arrival.strftime("%d/%m/%Y %H:%M"),
                assault.strftime("%d/%m/%Y %H:%M") if rng.random() < 0.8 else "",
                _weighted(rng, weapons, (10, 15, 10, 55, 10), 1)[0],
                _weighted(rng, ("Street", "Pub/club", "Home", "Other"), (40, 25, 25, 10), 1)[0],
                rng.choice(STREETS), _yn(rng, 0.25), str(_age(rng, 27, 0.3, 12, 85)),
                _sex(rng, 0.72), rng.choice(a.lsoas) if rng.random() < 0.85 else "",
                f"{rng.randint(4000000000, 4999999999)}"])
    rows.sort(key=lambda r: datetime.strptime(r[0], "%d/%m/%Y %H:%M"))
    return header, rows


def _ambulance_callouts(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["Quarter", "LSOA", "Call Category", "Calls"]
    rates = {"Assault": 2.0, "Alcohol related": 3.0, "Overdose/poisoning": 1.2,
             "Self harm": 1.5}  # a year per 1,000 people
    rows = []
    for q in range(1, 5):
        for lsoa in a.lsoas:
            for category, rate in rates.items():
                count = _poisson(rng, a.population[lsoa] / 1000 * rate / 4 * rng.uniform(0.5, 2))
                if count:
                    rows.append([f"{a.year} Q{q}", lsoa, category, str(count)])
    return header, rows


def _needle_finds(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["Date Found", "Ward", "Where Found", "Number of Needles"]
    # without wards in the lookups the finds are placed by LSOA and given a location only
    wards = a.wards or a.lsoas
    hot = set(rng.sample(wards, min(2, len(wards))))
    weights = [10.0 if w in hot else 1.0 for w in wards]
    n = max(24, _poisson(rng, 15 * 12 * min(4.0, max(0.5, a.total / 250_000))))
    rows = []
    for ward in _weighted(rng, wards, weights, n):
        when = _when(rng, rng.randint(1, 12), year=a.year)
        needles = 1 + _poisson(rng, 4.0 if ward in hot else 0.8)
        rows.append([when.strftime("%d/%m/%Y"), ward if a.wards else "",
                     rng.choice(("Park", "Alleyway", "Stairwell", "Car park", "Public toilet")),
                     str(needles)])
    rows.sort(key=lambda r: datetime.strptime(r[0], "%d/%m/%Y"))
    return header, rows


def _school_absence(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["School", "Academic Year", "Overall Absence %", "Suspension Rate %",
              "Persistent Absence %"]
    schools = []
    for ward in a.wards:
        name = a.ward_names.get(ward, ward)
        schools += [f"{name} Primary School"]
        if rng.random() < 0.4:
            schools.append(f"{name} Academy")
    if not a.wards:  # no wards in the lookups: schools named after the area
        schools = [f"{a.name} School {i}" for i in range(1, min(12, 4 + len(a.lsoas) // 40))]
    rows = []
    for school in schools:
        base = rng.uniform(4.5, 8.5)
        for year in ("2021/22", "2022/23", "2023/24"):
            overall = max(2.0, base + rng.gauss(0, 0.6))
            rows.append([school, year, f"{overall:.1f}", f"{rng.uniform(0.1, 2.5):.1f}",
                         f"{min(60.0, overall * rng.uniform(2.6, 3.4)):.1f}"])
    return header, rows


NRM_REFERRALS = (
    ("Labour exploitation", "Albania", 4), ("Labour exploitation", "Czech Republic", 1),
    ("Labour exploitation", "Romania", 2), ("Labour exploitation", "Slovakia", 1),
    ("Labour exploitation", "Syria", 1), ("Labour exploitation", "United Kingdom", 7),
    ("Labour exploitation", "Vietnam", 1), ("Sexual exploitation", "Romania", 1),
)


def _nrm_referrals(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["Year", "Exploitation Type", "Nationality", "Age Group", "Referring Agency"]
    rows = [[str(a.year), kind, nationality,
             "Under 18" if rng.random() < 0.3 else "18 or over",
             rng.choice(("Police", "Local authority", "Home Office", "NGO"))]
            for kind, nationality, n in NRM_REFERRALS for _ in range(n)]
    rng.shuffle(rows)
    return header, rows


def _premises_incidents(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["Premises ID", "Premises Name", "Incident Date", "Incident Type", "Violent",
              "Severity"]
    names = ("The Red Lion", "The Crown", "Kings Arms", "Club Neon", "The Railway",
             "The White Hart", "Bar Eight", "The Swan", "The Plough", "Vault Nightclub")
    planted = 3  # rises from the low band into the high band (6+ violent in 6 months)
    planted_violent = (0, 0, 1, 0, 0, 1, 1, 1, 2, 2, 3, 3)
    rows = []
    for i, name in enumerate(names):
        pid = f"P{i + 1:03d}"
        for month in range(1, 13):
            violent = planted_violent[month - 1] if i == planted else _poisson(rng, 0.25)
            other = _poisson(rng, 0.6)
            for is_violent in [True] * violent + [False] * other:
                when = _when(rng, month, night=True, year=a.year)
                kind = rng.choice(("Assault", "Fight", "Glassing")) if is_violent else \
                    rng.choice(("Disorder", "Drunk and incapable", "Theft", "Drugs found"))
                rows.append([pid, name, when.strftime("%d/%m/%Y %H:%M"), kind,
                             "Yes" if is_violent else "No",
                             str(rng.randint(2, 5) if is_violent else rng.randint(1, 2))])
    rows.sort(key=lambda r: (datetime.strptime(r[2], "%d/%m/%Y %H:%M"), r[0]))
    return header, rows


def _offender_caseload(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["District", "Snapshot Date", "Offender Name", "Disability", "Mental Health",
              "Accommodation Need", "Substance Misuse", "DA Perpetrator", "Risk Band"]
    rows = []
    for district in a.districts:
        for month in (3, 6, 9, 12):
            snapshot = date(a.year, month, 1) + timedelta(days=27)
            for _ in range(max(5, _poisson(rng, a.total * 0.004 / len(a.districts)))):
                rows.append([district, snapshot.isoformat(), rng.choice(SURNAMES),
                             _yn(rng, 0.2), _yn(rng, 0.4), _yn(rng, 0.3), _yn(rng, 0.45),
                             _yn(rng, 0.25),
                             _weighted(rng, ("Low", "Medium", "High", "Very high"),
                                       (30, 45, 20, 5), 1)[0]])
    return header, rows


def _counts(a: _Area, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    header = ["Area", "Offence Group", "Period", "Count"]
    groups = {"Violence against the person": 30.0, "Theft offences": 20.0,
              "Criminal damage and arson": 8.0, "Burglary": 4.0, "Drug offences": 3.0}
    rows = []
    places = a.wards or a.lsoas  # LSOAs when the lookups have no wards
    for ward in places:
        pop = (sum(p for c, p in a.population.items() if a.ward_of.get(c) == ward)
               if a.wards else a.population.get(ward, 0.0))
        for q in range(1, 5):
            for group, rate in groups.items():
                rows.append([ward, group, f"{a.year} Q{q}",
                             str(_poisson(rng, pop / 1000 * rate / 4))])
    return header, rows


_GENERATORS = {
    "police_extract": _police_extract, "asb_incidents": _asb_incidents,
    "ed_assaults": _ed_assaults, "ambulance_callouts": _ambulance_callouts,
    "needle_finds": _needle_finds, "school_absence": _school_absence,
    "nrm_referrals": _nrm_referrals, "premises_incidents": _premises_incidents,
    "offender_caseload": _offender_caseload, "counts": _counts,
}

_MAPPINGS = {
    "police_extract": """\
personal = ["Victim Surname"]

[columns]
crime_ref = "Crime Reference"
offence_code = "Home Office Code"
offence = "Offence"
committed_from = "Committed From"
committed_to = "Committed To"
recorded = "Recorded Date"
lsoa = "LSOA"
victim_age = "Victim Age"
victim_sex = "Victim Gender"
offender_age = "Suspect Age"
offender_sex = "Suspect Gender"
domestic_abuse = "DA Flag"
hate = "Hate Flag"
cse = "CSE Flag"
knife = "Knife Flag"
alcohol = "Alcohol Flag"
outcome = "Outcome"

[formats]
committed_from = "%d/%m/%Y %H:%M"
committed_to = "%d/%m/%Y %H:%M"
recorded = "%d/%m/%Y %H:%M"
""",
    "asb_incidents": """\
[columns]
ref = "Incident Ref"
datetime = "Date Time"
category = "ASB Category"
lsoa = "LSOA"
location = "Location"

[formats]
datetime = "%Y-%m-%d %H:%M"
""",
    "ed_assaults": """\
personal = ["NHS Number"]

[columns]
attendance_datetime = "Arrival"
assault_datetime = "Assault Time"
weapon = "Weapon"
location_type = "Location Type"
location = "Location Detail"
admitted = "Admitted"
age = "Age"
sex = "Sex"
lsoa = "LSOA"

[formats]
attendance_datetime = "%d/%m/%Y %H:%M"
assault_datetime = "%d/%m/%Y %H:%M"

[codes.weapon]
"Knife" = "knife/sharp"
"Glass" = "glass/bottle"
"Blunt object" = "blunt"
"Fist" = "body part"
"Other" = "other"
""",
    "ambulance_callouts": """\
[columns]
quarter = "Quarter"
lsoa = "LSOA"
category = "Call Category"
count = "Calls"
""",
    "needle_finds": """\
[columns]
date = "Date Found"
ward = "Ward"
location = "Where Found"
needles = "Number of Needles"

[formats]
date = "%d/%m/%Y"
""",
    "school_absence": """\
[columns]
school = "School"
academic_year = "Academic Year"
overall_absence_pct = "Overall Absence %"
exclusion_pct = "Suspension Rate %"
persistent_absence_pct = "Persistent Absence %"
""",
    "nrm_referrals": """\
[columns]
year = "Year"
exploitation_type = "Exploitation Type"
nationality = "Nationality"
age_group = "Age Group"
referring_agency = "Referring Agency"

[codes.exploitation_type]
"Labour exploitation" = "labour"
"Sexual exploitation" = "sexual"
"Criminal exploitation" = "criminal"
""",
    "premises_incidents": """\
[columns]
premises_id = "Premises ID"
premises_name = "Premises Name"
datetime = "Incident Date"
incident_type = "Incident Type"
violent = "Violent"
severity = "Severity"

[formats]
datetime = "%d/%m/%Y %H:%M"
""",
    "offender_caseload": """\
personal = ["Offender Name"]

[columns]
district = "District"
snapshot_date = "Snapshot Date"
disability = "Disability"
mental_health = "Mental Health"
accommodation = "Accommodation Need"
substance_misuse = "Substance Misuse"
domestic_abuse = "DA Perpetrator"
risk_band = "Risk Band"

[formats]
snapshot_date = "%Y-%m-%d"
""",
    "counts": """\
[columns]
area = "Area"
category = "Offence Group"
period = "Period"
count = "Count"
""",
}

_README = """\
SYNTHETIC DATA - NOT REAL

Every SYNTHETIC_*.csv file in this folder was made up by commsafe ({version}) for
{name} ({code}) with seed {seed}. The places (LSOAs, wards, districts) are real; the
records, people, names, numbers and premises are not. Use them to try commsafe, never
as evidence. Each CSV has a mapping SYNTHETIC_<kind>.toml beside it (see docs/datasets.md);
load one with commsafe.sources.mapped.load_dataset(store, csv, toml).
"""


def sample_year(con: duckdb.DuckDBPyConnection) -> int:
    """The calendar year synthetic records are dated in: the year of the month six months
    before the latest police.uk month in the store (so a sample sits beside the latest
    year of police data), or 2024 when none is loaded."""
    latest = con.execute("SELECT max(month) FROM events").fetchall()[0][0]
    if latest is None:
        return YEAR
    month = latest.month - 6
    return latest.year + (month - 1) // 12 if month < 1 else latest.year


def write_partner_samples(con: duckdb.DuckDBPyConnection, out_dir: Path | str, *,
                          area_code: str, seed: int = 0,
                          kinds: Sequence[str] = SAMPLE_KINDS,
                          year: int | None = None) -> list[Path]:
    """Write ``SYNTHETIC_<kind>.csv`` and ``.toml`` for each kind, and ``README.txt``.

    Records are dated in ``year`` (default :func:`sample_year`: beside the police data in the
    store, so that partner data and police data overlap).

    Returns the paths written (CSV then mapping for each kind, then the README).
    """
    from commsafe import __version__

    unknown = [k for k in kinds if k not in _GENERATORS]
    if unknown:
        raise InputError(f"kinds {', '.join(unknown)}: no synthetic sample for them. Choose "
                         f"from {', '.join(SAMPLE_KINDS)}.")
    area = dataclasses.replace(_area(con, area_code),
                               year=year if year is not None else sample_year(con))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind in kinds:
        rng = random.Random(f"commsafe-synthetic:{seed}:{kind}")
        header, rows = _GENERATORS[kind](area, rng)
        data_path = out / f"SYNTHETIC_{kind}.csv"
        with data_path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        title = (f"SYNTHETIC {kind.replace('_', ' ')} for {area.name} ({area.code}), seed "
                 f"{seed}: made-up data, not real")
        mapping = (f'kind = "{kind}"\nname = "synthetic_{kind}"\n'
                   f"title = {_toml_string(title)}\nsynthetic = true\n{_MAPPINGS[kind]}")
        mapping_path = out / f"SYNTHETIC_{kind}.toml"
        mapping_path.write_text(mapping, encoding="utf-8", newline="\n")
        written += [data_path, mapping_path]
    readme = out / "README.txt"
    readme.write_text(_README.format(version=__version__, name=area.name, code=area.code,
                                     seed=seed), encoding="utf-8", newline="\n")
    written.append(readme)
    return written


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
