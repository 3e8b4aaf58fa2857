"""Offender caseload needs per district, against a recount of the sample and a tiny table."""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import pytest

from commsafe.errors import InputError
from commsafe.profiles.needs import needs_profile
from commsafe.sources.mapped import load_dataset
from commsafe.sources.synthetic import write_partner_samples
from commsafe.store import Store
from test_synthetic import _mini_reference

NEED_COLUMNS = {"disability": "Disability", "mental_health": "Mental Health",
                "accommodation": "Accommodation Need", "substance_misuse": "Substance Misuse",
                "domestic_abuse": "DA Perpetrator"}


def test_sample_shares_match_recount(store: Store, tmp_path: Path) -> None:
    _mini_reference(store)
    out = tmp_path / "s"
    write_partner_samples(store.con, out, area_code="E22000001", seed=0,
                          kinds=["offender_caseload"])
    load_dataset(store, out / "SYNTHETIC_offender_caseload.csv",
                 out / "SYNTHETIC_offender_caseload.toml")
    with (out / "SYNTHETIC_offender_caseload.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    latest = max(r["Snapshot Date"] for r in rows)
    for snapshot, month in ((None, latest), ("2024-03", "2024-03-28")):
        people = [r for r in rows if r["Snapshot Date"] == month]
        frame = needs_profile(store, "synthetic_offender_caseload", snapshot=snapshot)
        assert list(frame.columns) == ["district_code", "district_name", "caseload",
                                       "measure_type", "measure", "count", "share",
                                       "others_share", "difference", "highest"]
        assert set(frame["district_code"]) == {"E07000001"}
        assert set(frame["district_name"]) == {"Testshire"}
        assert set(frame["caseload"]) == {len(people)}
        needs = frame[frame["measure_type"] == "need"].set_index("measure")
        assert list(needs.index) == list(NEED_COLUMNS)
        for need, header in NEED_COLUMNS.items():
            n = sum(r[header] == "Y" for r in people)
            assert needs.loc[need, "count"] == n
            assert needs.loc[need, "share"] == pytest.approx(n / len(people))
        bands = frame[frame["measure_type"] == "risk_band"].set_index("measure")
        expected = Counter(r["Risk Band"] for r in people)
        assert dict(bands["count"]) == dict(expected)
        assert list(bands.index) == [b for b in ("Low", "Medium", "High", "Very high")
                                     if b in expected]
        # one district: nothing to compare with, and it says so
        assert frame["others_share"].isna().all() and frame["difference"].isna().all()
        assert not frame["highest"].any()
        notes = frame.attrs["notes"]
        assert any("only one district" in n for n in notes)
        assert any("SYNTHETIC" in n for n in notes)
        if snapshot is None:
            assert any("latest" in n and "2024-12" in n for n in notes)


CASELOAD_MAPPING = """\
kind = "offender_caseload"
name = "caseload_tiny"

[columns]
district = "District"
snapshot_date = "Snapshot Date"
mental_health = "MH"
accommodation = "Accommodation"
risk_band = "Risk"
"""

# A: MH 2/4; B: MH 1/2; C: MH 4/5 — nobody has an accommodation need
CASELOAD = """\
District,Snapshot Date,MH,Accommodation,Risk
E07000001,2024-06-28,Y,N,Low
E07000001,2024-09-28,Y,N,Low
E07000001,2024-09-28,Y,N,Low
E07000001,2024-09-28,N,N,High
E07000001,2024-09-28,N,N,High
E07000002,2024-09-28,Y,N,Low
E07000002,2024-09-28,N,N,Medium
E07000003,2024-09-28,Y,N,
E07000003,2024-09-28,Y,N,Low
E07000003,2024-09-28,Y,N,Low
E07000003,2024-09-28,Y,N,High
E07000003,2024-09-28,N,N,High
"""


def _tiny(store: Store, tmp_path: Path) -> None:
    _mini_reference(store)
    (tmp_path / "c.csv").write_text(CASELOAD, encoding="utf-8")
    (tmp_path / "c.toml").write_text(CASELOAD_MAPPING, encoding="utf-8")
    load_dataset(store, tmp_path / "c.csv", tmp_path / "c.toml")


def test_districts_compared_with_the_others(store: Store, tmp_path: Path) -> None:
    _tiny(store, tmp_path)
    frame = needs_profile(store, "caseload_tiny")
    assert any("2024-09" in n and "latest" in n for n in frame.attrs["notes"])
    mh = frame[frame["measure"] == "mental_health"].set_index("district_code")
    assert dict(mh["caseload"]) == {"E07000001": 4, "E07000002": 2, "E07000003": 5}
    assert dict(mh["share"]) == pytest.approx({"E07000001": 0.5, "E07000002": 0.5,
                                               "E07000003": 0.8})
    assert mh.loc["E07000001", "others_share"] == pytest.approx((0.5 + 0.8) / 2)
    assert mh.loc["E07000001", "difference"] == pytest.approx(-15.0)
    assert mh.loc["E07000003", "difference"] == pytest.approx(30.0)
    assert dict(mh["highest"]) == {"E07000001": False, "E07000002": False, "E07000003": True}
    assert mh.loc["E07000001", "district_name"] == "Testshire"
    assert mh["district_name"].isna().sum() == 2
    # a mapped need nobody has is listed at 0%, with no district marked highest
    acc = frame[frame["measure"] == "accommodation"]
    assert len(acc) == 3 and (acc["share"] == 0).all() and not acc["highest"].any()
    needs = frame.loc[frame["measure_type"] == "need", "measure"].unique().tolist()
    assert needs == ["mental_health", "accommodation"]
    bands = frame[frame["measure_type"] == "risk_band"]
    assert bands["measure"].unique().tolist() == ["Low", "Medium", "High", "not recorded"]
    c = bands[bands["district_code"] == "E07000003"].set_index("measure")
    assert dict(c["count"]) == {"Low": 2, "Medium": 0, "High": 2, "not recorded": 1}
    high = bands[bands["measure"] == "High"].set_index("district_code")
    assert high.loc["E07000001", "highest"] and not high.loc["E07000003", "highest"]
    # shares of the bands add up to the caseload in every district
    total = bands.groupby("district_code")["share"].sum()
    assert all(math.isclose(v, 1.0) for v in total)


def test_earlier_snapshot_and_errors(store: Store, tmp_path: Path) -> None:
    _tiny(store, tmp_path)
    june = needs_profile(store, "caseload_tiny", snapshot="2024-06")
    assert set(june["district_code"]) == {"E07000001"} and set(june["caseload"]) == {1}
    assert any("only one district" in n for n in june.attrs["notes"])
    with pytest.raises(InputError, match="Snapshots held: 2024-06, 2024-09"):
        needs_profile(store, "caseload_tiny", snapshot="2024-12")
    with pytest.raises(InputError, match="caseload_tiny"):
        needs_profile(store, "nope")
