"""Synthetic partner samples: reproducible, plausible, and loadable with no rejects."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from commsafe.errors import ReferenceDataError
from commsafe.measures.crosstab import crosstab_shares
from commsafe.profiles.cardiff import premises_scores
from commsafe.reference.population import insert_population
from commsafe.sources.mapped import KINDS, load_dataset
from commsafe.sources.synthetic import SAMPLE_KINDS, write_partner_samples
from commsafe.store import Store

EXPECTED_NRM = {"Albania": "22%", "Czech Republic": "6%", "Romania": "17%",
                "United Kingdom": "39%", "labour": "94%", "sexual": "6%"}


def _mini_reference(store: Store) -> None:
    """One CSP = one district; ward North = LSOAs 1 (1,000) + 2 (1,500); South = LSOA 3."""
    con = store.con
    con.executemany("INSERT INTO areas VALUES (?, ?, ?, 2021, 0)", [
        ("lsoa21", "E01000001", "A"), ("lsoa21", "E01000002", "B"),
        ("lsoa21", "E01000003", "C"), ("ward", "E05000001", "North"),
        ("ward", "E05000002", "South"), ("district", "E07000001", "Testshire"),
        ("csp", "E22000001", "Testshire CSP")])
    links = [("lsoa21", "E01000001", "ward", "E05000001"),
             ("lsoa21", "E01000002", "ward", "E05000001"),
             ("lsoa21", "E01000003", "ward", "E05000002"),
             ("district", "E07000001", "csp", "E22000001")]
    links += [("lsoa21", c, "district", "E07000001")
              for c in ("E01000001", "E01000002", "E01000003")]
    con.executemany("INSERT INTO area_links VALUES (?, ?, ?, ?, NULL, 2024, 0)", links)
    insert_population(con, [("lsoa21", c, 2021, "persons", "all", 0, None, p, "census2021", 0)
                            for c, p in (("E01000001", 1000), ("E01000002", 1500))])


def nrm_crosstab(store: Store, dataset: str) -> dict[str, str]:
    """Shares of the nationality and exploitation-type totals, read back from ``records``."""
    frame = store.con.execute(
        "SELECT category AS exploitation_type, attributes->>'nationality' AS nationality "
        "FROM records WHERE dataset = ?", [dataset]).df()
    table = crosstab_shares(frame, "nationality", "exploitation_type")
    assert int(table.counts.loc["Total", "Total"]) == 18
    shown = table.display_shares()
    out = {str(k): str(v) for k, v in shown["Total"].items()}
    out.update({str(k): str(v) for k, v in shown.loc["Total"].items()})
    return out


def test_samples_are_reproducible_and_load_without_rejects(store: Store,
                                                            tmp_path: Path) -> None:
    _mini_reference(store)
    assert set(SAMPLE_KINDS) == set(KINDS)
    first = write_partner_samples(store.con, tmp_path / "a", area_code="E22000001", seed=7)
    second = write_partner_samples(store.con, tmp_path / "b", area_code="e22000001", seed=7)
    other = write_partner_samples(store.con, tmp_path / "c", area_code="E07000001", seed=8)
    assert [p.name for p in first] == [p.name for p in second]
    assert len(first) == 2 * len(SAMPLE_KINDS) + 1 and first[-1].name == "README.txt"
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert (tmp_path / "a" / "SYNTHETIC_ed_assaults.csv").read_bytes() != \
        (other[0].parent / "SYNTHETIC_ed_assaults.csv").read_bytes()
    assert "NOT REAL" in (tmp_path / "a" / "README.txt").read_text(encoding="utf-8")
    for kind in SAMPLE_KINDS:
        rec = load_dataset(store, tmp_path / "a" / f"SYNTHETIC_{kind}.csv",
                           tmp_path / "a" / f"SYNTHETIC_{kind}.toml")
        assert rec.rows_read > 0 and rec.rows_rejected == 0, (kind, rec.rejects[:3])
        assert rec.rows_loaded == rec.rows_read
    datasets = store.con.execute("SELECT kind, synthetic, title FROM datasets ORDER BY 1"
                                 ).fetchall()
    assert [d[0] for d in datasets] == sorted(SAMPLE_KINDS)
    assert all(d[1] and d[2].startswith("SYNTHETIC") for d in datasets)
    # personal columns of the samples never reach the store
    for surname in ("Smith", "Jones", "Williams"):
        hits = store.con.execute("SELECT count(*) FROM records WHERE CAST(attributes AS "
                                 "VARCHAR) LIKE ?", [f"%{surname}%"]).fetchall()[0][0]
        assert hits == 0
    # every LSOA-placed record is resolved to a ward and district of the area
    assert store.con.execute("SELECT count(*) FROM records WHERE lsoa_code IS NOT NULL AND "
                             "(ward_code IS NULL OR district_code <> 'E07000001')"
                             ).fetchall() == [(0,)]


def test_samples_look_plausible(store: Store, tmp_path: Path) -> None:
    _mini_reference(store)
    out = tmp_path / "s"
    write_partner_samples(store.con, out, area_code="E22000001", seed=0)
    for kind in ("ed_assaults", "police_extract", "premises_incidents", "nrm_referrals",
                 "needle_finds"):
        load_dataset(store, out / f"SYNTHETIC_{kind}.csv", out / f"SYNTHETIC_{kind}.toml")
    q = store.con.execute
    n, knife, glass, admitted = q(
        "SELECT count(*), avg((category = 'knife/sharp')::INT), "
        "avg((category = 'glass/bottle')::INT), avg(list_contains(flags, 'admitted')::INT) "
        "FROM records WHERE kind = 'ed_assaults'").fetchall()[0]
    assert 12 * 10 <= n <= 12 * 40
    assert knife == pytest.approx(0.10, abs=0.05) and glass == pytest.approx(0.15, abs=0.05)
    assert admitted == pytest.approx(0.25, abs=0.07)
    young = q("SELECT avg((victim_age BETWEEN 18 AND 40)::INT), median(victim_age) "
              "FROM records WHERE kind = 'police_extract' AND victim_age IS NOT NULL"
              ).fetchall()[0]
    assert young[0] > 0.55 and 22 <= young[1] <= 36
    shares = nrm_crosstab(store, "synthetic_nrm_referrals")
    assert {k: shares[k] for k in EXPECTED_NRM} == EXPECTED_NRM
    incidents = q("SELECT premises_id, premises_name, occurred_at::DATE AS date, "
                  "list_contains(flags, 'violent') AS violent FROM records "
                  "WHERE kind = 'premises_incidents'").df()
    scores = premises_scores(incidents)
    last = scores[scores["month"] == scores["month"].max()].set_index("premises_id")
    assert last.loc["P004", "band"] == "high"
    first_half = scores[scores["month"].astype(str) <= "2024-06-01"]
    assert (first_half.loc[first_half["premises_id"] == "P004", "band"] != "high").all()
    needles = q("SELECT ward_code, sum(value) FROM records WHERE kind = 'needle_finds' "
                "GROUP BY 1 ORDER BY 2").fetchall()
    assert len(needles) == 2 and needles[-1][1] > 0


def test_unknown_area_is_explained(store: Store, tmp_path: Path) -> None:
    _mini_reference(store)
    with pytest.raises(ReferenceDataError, match="no CSP or district"):
        write_partner_samples(store.con, tmp_path, area_code="E05000001")


def test_cli_sample_load_and_pyramid(store: Store, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    from commsafe.cli import main

    _mini_reference(store)
    path = str(store.path)
    store.close()
    out = tmp_path / "samples"
    area = "E07000001"
    assert main(["sample", "partner-data", "--area", area, "--out", str(out),
                 "--store", path]) == 0
    assert (out / "SYNTHETIC_police_extract.csv").exists()
    capsys.readouterr()
    assert main(["load", str(out / "SYNTHETIC_police_extract.csv"), "--mapping",
                 str(out / "SYNTHETIC_police_extract.toml"), "--store", path]) == 0
    assert "police_extract" in capsys.readouterr().out
    assert main(["load", str(out / "SYNTHETIC_police_extract.csv"), "--mapping",
                 str(out / "SYNTHETIC_police_extract.toml"), "--store", path]) == 0
    assert "duplicate" in capsys.readouterr().out
    charts = tmp_path / "charts"
    assert main(["chart", "pyramid", "--dataset", "synthetic_police_extract", "--out",
                 str(charts), "--area", area, "--store", path]) == 0
    svg = (charts / "pyramid.svg").read_text(encoding="utf-8")
    assert "Victims" in svg and "Offenders" in svg and "90+" in svg
    assert main(["chart", "pyramid", "--dataset", "nope", "--out", str(charts),
                 "--store", path]) == 2
    assert "synthetic_police_extract" in capsys.readouterr().err


def test_cardiff_flags_the_planted_premises_from_the_store(
        store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from commsafe.cli import main
    from commsafe.sources.mapped import load_dataset
    from commsafe.sources.synthetic import write_partner_samples

    _mini_reference(store)
    out = tmp_path / "s"
    write_partner_samples(store.con, out, area_code="E07000001", seed=0,
                          kinds=["premises_incidents"])
    load_dataset(store, out / "SYNTHETIC_premises_incidents.csv",
                 out / "SYNTHETIC_premises_incidents.toml")
    path = str(store.path)
    store.close()
    capsys.readouterr()
    assert main(["cardiff", "scores", "--dataset", "synthetic_premises_incidents",
                 "--format", "csv", "--store", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    latest = [line for line in lines if line.startswith("P004,")]
    assert latest and ",high," in latest[0]  # planted to rise into the high band by December
    # its trajectory: low in the first half, and an early warning before it turns high
    assert main(["cardiff", "scores", "--dataset", "synthetic_premises_incidents",
                 "--premises", "P004", "--format", "csv", "--store", path]) == 0
    months = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    first_high = next(r["month"] for r in months if r["band"] == "high")
    assert all(r["band"] != "high" for r in months if r["month"] < "2024-07-01")
    assert main(["cardiff", "scores", "--dataset", "synthetic_premises_incidents",
                 "--format", "csv", "--store", path]) == 0
    warned = [line.split(",")[2] for line in capsys.readouterr().out.splitlines()
              if line.startswith("P004,") and "rose" in line]
    assert warned and min(warned) < first_high


def test_samples_for_an_area_with_2011_lsoas_and_no_wards(store: Store, tmp_path: Path) -> None:
    """The package-index sample links 2011 LSOAs to districts and has no wards (make demo)."""
    from commsafe.sources.mapped import load_dataset
    from commsafe.sources.synthetic import write_partner_samples

    con = store.con
    con.executemany("INSERT INTO areas VALUES (?, ?, ?, 2011, 0)", [
        ("lsoa11", "E01000101", "Leeds 001A"), ("lsoa11", "E01000102", "Leeds 001B"),
        ("district", "E08000035", "Leeds")])
    con.executemany("INSERT INTO area_links VALUES (?, ?, 'district', 'E08000035', NULL, 2011, 0)",
                    [("lsoa11", "E01000101"), ("lsoa11", "E01000102")])
    insert_population(con, [("lsoa11", c, 2011, "persons", "all", 0, None, p, "census2011", 0)
                            for c, p in (("E01000101", 1500), ("E01000102", 1700))])
    paths = write_partner_samples(con, tmp_path / "s", area_code="E08000035", seed=3)
    csvs = [p for p in paths if p.suffix == ".csv"]
    assert len(csvs) == 10
    for data in csvs:
        rec = load_dataset(store, data, data.with_suffix(".toml"))
        assert rec.rows_rejected == 0 and rec.rows_loaded == rec.rows_read > 0, data.name
    districts = {r[0] for r in con.execute(
        "SELECT DISTINCT district_code FROM records WHERE lsoa_code IS NOT NULL").fetchall()}
    assert districts == {"E08000035"}
