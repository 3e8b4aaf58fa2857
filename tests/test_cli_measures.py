"""The chart and crosstab commands, run for real on small hand-made data."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from commsafe.cli import main
from commsafe.store import open_store
from commsafe.store.ingest import ingest

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    # 2022-04 … 2024-03: 24 months; burglary 10 a month in the first year, 13 in the second
    months = [f"{y}-{m:02d}" for y, m in [(2022 + (i + 3) // 12, (i + 3) % 12 + 1)
                                          for i in range(24)]]
    for i, month in enumerate(months):
        n = 10 if i < 12 else 13
        body = "".join(f"b{month}{j},{month},Test Police,Test Police,0.1,52.1,On or near X,"
                       f"E01000001,x,Burglary,,\n" for j in range(n))
        (folder / f"{month}-testforce-street.csv").write_text(HEAD + body, encoding="utf-8")
    path = tmp_path / "s.duckdb"
    with open_store(path) as st:
        ingest(st, [folder])
    return path


def test_chart_trend_writes_png_svg_and_the_rolling_sentence(
        store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "charts"
    capsys.readouterr()
    assert main(["chart", "trend", "--out", str(out), "--category", "Burglary",
                 "--store", str(store)]) == 0
    text = capsys.readouterr().out
    assert ("Between April 2023 and March 2024 there were 156 burglaries, a 30% increase on "
            "the previous 12 months (120)") in " ".join(text.split())
    png = mpimg.imread(out / "trend.png")
    assert png.shape[0] > 500 and png.shape[1] > 900
    svg = ET.parse(out / "trend.svg").getroot()
    texts = " ".join(t for t in svg.itertext())
    assert "Burglary" in texts and "Source: police.uk" in texts and "Test Police" in texts


def test_crosstab_known_answer_through_the_cli(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    labour = {"Albania": 4, "Czech Republic": 1, "Romania": 2, "Slovakia": 1, "Syria": 1,
              "United Kingdom": 7, "Vietnam": 1}
    f = tmp_path / "nrm.csv"
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["exploitation", "nationality"])
        for nat, n in labour.items():
            w.writerows([["Labour exploitation", nat]] * n)
        w.writerow(["Sexual exploitation", "Romania"])
    capsys.readouterr()
    assert main(["table", "crosstab", str(f), "--rows", "exploitation", "--columns",
                 "nationality", "--format", "csv"]) == 0
    rows = {r["exploitation"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["Total"]["Albania"] == "22%" and rows["Total"]["Romania"] == "17%"
    assert rows["Total"]["United Kingdom"] == "39%"
    assert rows["Labour exploitation"]["Total"] == "94%"
    assert rows["Sexual exploitation"]["Total"] == "6%"  # never 0%


def test_crosstab_missing_column_is_a_clear_error(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["table", "crosstab", str(f), "--rows", "a", "--columns", "nationality"]) == 2
    assert "nationality" in capsys.readouterr().err


def test_out_that_is_a_file_is_a_clear_error(store: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "charts"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["chart", "trend", "--out", str(blocker), "--store", str(store)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
