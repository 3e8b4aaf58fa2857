"""Partner measures checked against an independent recount of the synthetic sample CSVs."""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from commsafe.errors import InputError
from commsafe.measures.partner import (
    ambulance_by_quarter,
    ed_assaults_monthly,
    needle_finds_by_ward,
    needle_finds_by_year,
    schools_absence,
    schools_ranked,
)
from commsafe.sources.mapped import load_dataset
from commsafe.sources.synthetic import write_partner_samples
from commsafe.store import Store
from test_synthetic import _mini_reference

KINDS = ("ed_assaults", "ambulance_callouts", "needle_finds", "school_absence")


@pytest.fixture
def samples(store: Store, tmp_path: Path) -> Path:
    _mini_reference(store)
    out = tmp_path / "samples"
    write_partner_samples(store.con, out, area_code="E22000001", seed=0)
    for kind in KINDS:
        rec = load_dataset(store, out / f"SYNTHETIC_{kind}.csv", out / f"SYNTHETIC_{kind}.toml")
        assert rec.rows_rejected == 0
    return out


def _rows(out: Path, kind: str) -> list[dict[str, str]]:
    with (out / f"SYNTHETIC_{kind}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _fy(d: date) -> str:
    y = d.year if d.month >= 4 else d.year - 1
    return f"{y}/{(y + 1) % 100:02d}"


def test_ed_monthly_matches_recount(store: Store, samples: Path) -> None:
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    for r in _rows(samples, "ed_assaults"):
        when = datetime.strptime(r["Arrival"], "%d/%m/%Y %H:%M")
        c = counts[date(when.year, when.month, 1)]
        c["all"] += 1
        c["knife_sharp"] += r["Weapon"] == "Knife"
        c["glass_bottle"] += r["Weapon"] == "Glass"
        c["admitted"] += r["Admitted"] == "Y"
    frame = ed_assaults_monthly(store, "synthetic_ed_assaults")
    assert list(frame.columns) == ["month", "all", "knife_sharp", "glass_bottle", "admitted",
                                   "share_admitted"]
    assert list(frame["month"]) == sorted(counts)
    for row in frame.itertuples(index=False):
        c = counts[row.month]
        assert (row.all, row.knife_sharp, row.glass_bottle, row.admitted) == (
            c["all"], c["knife_sharp"], c["glass_bottle"], c["admitted"])
        assert row.share_admitted == pytest.approx(c["admitted"] / c["all"])
    assert any("SYNTHETIC" in n for n in frame.attrs["notes"])


def test_ambulance_by_quarter_matches_recount(store: Store, samples: Path) -> None:
    expected: Counter[str] = Counter()
    for r in _rows(samples, "ambulance_callouts"):
        expected[r["Quarter"]] += int(r["Calls"])
    frame = ambulance_by_quarter(store, "synthetic_ambulance_callouts")
    assert list(frame.columns) == ["period", "district_code", "count"]
    assert list(frame["period"]) == sorted(expected)  # 2024 Q1 … Q4, in order
    assert set(frame["district_code"]) == {"E07000001"}
    assert dict(zip(frame["period"], frame["count"], strict=True)) == {
        k: float(v) for k, v in expected.items()}


def test_needle_finds_by_year_and_ward_match_recount(store: Store, samples: Path) -> None:
    instances: Counter[str] = Counter()
    needles: Counter[str] = Counter()
    ward_inst: Counter[str] = Counter()
    ward_needles: Counter[str] = Counter()
    for r in _rows(samples, "needle_finds"):
        fy = _fy(datetime.strptime(r["Date Found"], "%d/%m/%Y").date())
        instances[fy] += 1
        needles[fy] += int(r["Number of Needles"])
        ward_inst[r["Ward"]] += 1
        ward_needles[r["Ward"]] += int(r["Number of Needles"])
    frame = needle_finds_by_year(store, "synthetic_needle_finds")
    assert list(frame.columns) == ["period", "instances", "needles"]
    assert list(frame["period"]) == ["2023/24", "2024/25"]
    for row in frame.itertuples(index=False):
        assert (row.instances, row.needles) == (instances[row.period], needles[row.period])
    assert any("2023/24 is a part year" in n for n in frame.attrs["notes"])
    calendar = needle_finds_by_year(store, "synthetic_needle_finds", year_kind="calendar_year")
    assert list(calendar["period"]) == ["2024"]
    assert int(calendar["instances"].iloc[0]) == sum(instances.values())

    wards = needle_finds_by_ward(store, "synthetic_needle_finds", "2023/24:2024/25")
    assert list(wards.columns) == ["ward_code", "ward_name", "annual_average_instances",
                                   "annual_average_needles", "rank"]
    names = {"E05000001": "North", "E05000002": "South"}
    for row in wards.itertuples(index=False):
        assert row.ward_name == names[row.ward_code]
        assert row.annual_average_instances == pytest.approx(ward_inst[row.ward_code] / 2)
        assert row.annual_average_needles == pytest.approx(ward_needles[row.ward_code] / 2)
    by_count = sorted(ward_inst, key=lambda w: -ward_inst[w])
    assert list(wards["ward_code"]) == by_count and list(wards["rank"]) == [1, 2]
    # one year only: 2024/25, the same list given as a sequence
    one = needle_finds_by_ward(store, "synthetic_needle_finds", ["2024/25"])
    assert one["annual_average_instances"].sum() == instances["2024/25"]
    # a year with no finds counts as 0 and is named
    three = needle_finds_by_ward(store, "synthetic_needle_finds", "2022/23:2024/25")
    assert three["annual_average_instances"].sum() == pytest.approx(
        sum(instances.values()) / 3)
    assert any("2022/23" in n and "without any finds" in n for n in three.attrs["notes"])


def test_schools_match_recount(store: Store, samples: Path) -> None:
    rows = _rows(samples, "school_absence")
    frame = schools_absence(store, "synthetic_school_absence")
    assert list(frame.columns) == ["school", "academic_year", "overall_absence_pct",
                                   "exclusion_pct", "persistent_absence_pct"]
    got = {(r.school, r.academic_year): (r.overall_absence_pct, r.exclusion_pct,
                                         r.persistent_absence_pct)
           for r in frame.itertuples(index=False)}
    assert got == {(r["School"], r["Academic Year"]): (
        float(r["Overall Absence %"]), float(r["Suspension Rate %"]),
        float(r["Persistent Absence %"])) for r in rows}
    ranked = schools_ranked(store, "synthetic_school_absence")
    latest = sorted((r for r in rows if r["Academic Year"] == "2023/24"),
                    key=lambda r: -float(r["Persistent Absence %"]))
    assert list(ranked["school"]) == [r["School"] for r in latest]
    assert list(ranked["rank"]) == list(range(1, len(latest) + 1))
    assert set(ranked["academic_year"]) == {"2023/24"}
    assert any("latest" in n for n in ranked.attrs["notes"])
    older = schools_ranked(store, "synthetic_school_absence", academic_year="2021/22")
    assert set(older["academic_year"]) == {"2021/22"}
    with pytest.raises(InputError, match="Years held: 2021/22, 2022/23, 2023/24"):
        schools_ranked(store, "synthetic_school_absence", academic_year="2019/20")


def test_wrong_or_unknown_dataset_is_explained(store: Store, samples: Path) -> None:
    with pytest.raises(InputError, match="synthetic_ed_assaults"):
        ed_assaults_monthly(store, "nope")
    with pytest.raises(InputError, match="kind needle_finds, not ed_assaults"):
        ed_assaults_monthly(store, "synthetic_needle_finds")
    with pytest.raises(InputError, match="year_kind"):
        needle_finds_by_year(store, "synthetic_needle_finds", year_kind="quarter")


ED_MAPPING = """\
kind = "ed_assaults"
name = "ed_tiny"

[columns]
attendance_datetime = "Arrival"
weapon = "Weapon"
admitted = "Admitted"
"""


def test_ed_month_without_rows_counts_zero(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "ed.csv"
    data.write_text("Arrival,Weapon,Admitted\n"
                    "2024-01-05 22:00,knife,Y\n2024-01-20 01:00,glass,N\n"
                    "2024-03-02 23:30,fist,N\n", encoding="utf-8")
    mapping = tmp_path / "ed.toml"
    mapping.write_text(ED_MAPPING, encoding="utf-8")
    load_dataset(store, data, mapping)
    frame = ed_assaults_monthly(store, "ed_tiny")
    assert list(frame["month"]) == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert list(frame["all"]) == [2, 0, 1]
    assert list(frame["knife_sharp"]) == [1, 0, 0]
    assert list(frame["glass_bottle"]) == [1, 0, 0]
    assert list(frame["admitted"]) == [1, 0, 0]
    assert frame["share_admitted"].iloc[0] == 0.5 and math.isnan(frame["share_admitted"].iloc[1])
    assert any("2024-02" in n and "without attendances" in n for n in frame.attrs["notes"])
    assert not any("SYNTHETIC" in n for n in frame.attrs["notes"])


def _samples_store(tmp_path: Path, kinds: list[str]) -> tuple[Path, Path]:
    """A mini reference store with the synthetic samples of ``kinds`` loaded: (store, folder)."""
    from commsafe.sources.mapped import load_dataset
    from commsafe.sources.synthetic import write_partner_samples
    from commsafe.store import open_store

    path, out = tmp_path / "s.duckdb", tmp_path / "samples"
    with open_store(path) as st:
        _mini_reference(st)
        write_partner_samples(st.con, out, area_code="E07000001", seed=0, kinds=kinds)
        for kind in kinds:
            load_dataset(st, out / f"SYNTHETIC_{kind}.csv", out / f"SYNTHETIC_{kind}.toml")
    return path, out


def test_table_partner_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from commsafe.cli import main

    path, out = _samples_store(tmp_path, ["ed_assaults", "needle_finds"])
    capsys.readouterr()
    assert main(["table", "partner", "ed-assaults", "--dataset", "synthetic_ed_assaults",
                 "--format", "csv", "--store", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "month,all,knife_sharp,glass_bottle,admitted,share_admitted"
    with (out / "SYNTHETIC_ed_assaults.csv").open(newline="", encoding="utf-8") as fh:
        total = sum(1 for _ in csv.DictReader(fh))
    assert sum(int(line.split(",")[1]) for line in lines[1:]) == total
    assert main(["table", "partner", "needle-wards", "--dataset", "synthetic_needle_finds",
                 "--years", "2024", "--year-kind", "calendar_year", "--store",
                 str(path)]) == 0
    assert "The wards with the highest annual average instances of needle finds were" in \
        " ".join(capsys.readouterr().out.split())


def test_chart_partner_ed_assaults(tmp_path: Path) -> None:
    from commsafe.cli import main

    path, _ = _samples_store(tmp_path, ["ed_assaults"])
    charts = tmp_path / "charts"
    assert main(["chart", "partner", "ed-assaults", "--dataset", "synthetic_ed_assaults",
                 "--out", str(charts), "--store", str(path)]) == 0
    svg = (charts / "ed-assaults.svg").read_text(encoding="utf-8")
    assert "ED assault attendances per month" in svg and "synthetic_ed_assaults" in svg
    assert main(["chart", "partner", "ed-assaults", "--dataset", "synthetic_needle_finds",
                 "--out", str(charts), "--store", str(path)]) == 2


def test_chart_partner_ambulance_and_schools(tmp_path: Path) -> None:
    from commsafe.cli import main

    path, _ = _samples_store(tmp_path, ["ambulance_callouts", "school_absence"])
    charts = tmp_path / "charts"
    assert main(["chart", "partner", "ambulance", "--dataset", "synthetic_ambulance_callouts",
                 "--out", str(charts), "--store", str(path)]) == 0
    svg = (charts / "ambulance.svg").read_text(encoding="utf-8")
    assert "Ambulance assault call-outs per quarter" in svg and "Testshire" in svg
    assert main(["chart", "partner", "schools", "--dataset", "synthetic_school_absence",
                 "--out", str(charts), "--store", str(path)]) == 0
    svg = (charts / "schools.svg").read_text(encoding="utf-8")
    assert "Overall absence by academic year" in svg and "2023/24" in svg
