"""`commsafe hotspots` run for real on a planted cluster of police.uk-format events."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commsafe.cli import main
from commsafe.store import open_store
from commsafe.store.ingest import ingest

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")
CLUSTER = (0.1200, 52.2050)  # central Cambridge


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    rng = np.random.default_rng(11)
    lon = np.concatenate([rng.uniform(0.05, 0.20, 400),
                          rng.normal(CLUSTER[0], 0.0008, 250)])
    lat = np.concatenate([rng.uniform(52.15, 52.25, 400),
                          rng.normal(CLUSTER[1], 0.0005, 250)])
    folder = tmp_path / "data"
    folder.mkdir()
    body = "".join(f"id{i},2024-05,T,T,{x:.6f},{y:.6f},On or near X,,,Robbery,,\n"
                   for i, (x, y) in enumerate(zip(lon, lat, strict=True)))
    (folder / "2024-05-testforce-street.csv").write_text(HEAD + body, encoding="utf-8")
    store = tmp_path / "s.duckdb"
    with open_store(store) as st:
        ingest(st, [folder])
    return store


def test_grid_hotspots_find_the_planted_cluster(planted: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hot"
    assert main(["hotspots", "--period", "2024", "--out", str(out), "--cell-size", "250",
                 "--store", str(planted)]) == 0
    captured = capsys.readouterr()
    assert "cell size set to" not in captured.err  # set by hand: not announced as a default
    assert "Benjamini–Hochberg" in captured.err
    features = json.loads((out / "hotspots_grid.geojson").read_text())["features"]
    hot = [f["properties"] for f in features if f["properties"]["class"] == "hot"]
    assert hot, "the planted cluster must come out hot"
    for cell in hot:  # every hot cell lies near the planted cluster
        assert abs(cell["lon"] - CLUSTER[0]) < 0.01 and abs(cell["lat"] - CLUSTER[1]) < 0.01
    table = pd.read_csv(out / "hotspots_grid.csv")
    assert table["count"].sum() == 650
    assert (out / "hotspots_grid.png").stat().st_size > 10_000


def test_kde_surface_integrates_to_the_events(planted: Path, tmp_path: Path) -> None:
    out = tmp_path / "kde"
    assert main(["hotspots", "--method", "kde", "--period", "2024", "--out", str(out),
                 "--cell-size", "200", "--bandwidth", "600", "--store", str(planted)]) == 0
    cells = pd.read_csv(out / "hotspots_kde.csv")
    total = cells["density"].sum() * (0.2 * 0.2)  # events per km² × km² per cell
    assert total == pytest.approx(650, rel=1e-6)


def test_too_few_events_is_explained(tmp_path: Path, planted: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotspots", "--period", "2024", "--out", str(tmp_path / "x"),
                 "--category", "Burglary", "--store", str(planted)]) == 2
    assert "too few events" in capsys.readouterr().err


def test_points_map_and_selection_by_asb(planted: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pts"
    assert main(["map", "points", "--period", "2024 H1", "--category", "Robbery",
                 "--out", str(out), "--store", str(planted)]) == 0
    assert (out / "map_points.png").stat().st_size > 10_000
    assert "650 events" in (out / "map_points.svg").read_text(encoding="utf-8")
    capsys.readouterr()
    # the planted data has no ASB: an ASB selection is empty and says so, for both commands
    assert main(["map", "points", "--period", "2024", "--asb-only", "--out", str(out),
                 "--store", str(planted)]) == 2
    assert "no located events" in capsys.readouterr().err
    assert main(["hotspots", "--period", "2024", "--asb-only", "--out", str(out),
                 "--store", str(planted)]) == 2
    assert "too few events" in capsys.readouterr().err
