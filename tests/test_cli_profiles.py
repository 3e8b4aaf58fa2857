"""`commsafe cardiff` and `commsafe evaluate` on hand-made CSVs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from commsafe.cli import main


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_cardiff_flags_a_premises_rising_a_band(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    rows = []
    for m in range(1, 13):  # The Bell: no violence to June, then 2 violent incidents a month
        rows += [{"premises_id": "P1", "premises_name": "The Bell", "date": f"2024-{m:02d}-10",
                  "violent": "yes" if m >= 7 else "no"}] * (2 if m >= 7 else 1)
        rows.append({"premises_id": "P2", "premises_name": "Quiet Inn",
                     "date": f"2024-{m:02d}-12", "violent": "no"})
    f = write(tmp_path / "premises.csv", rows)
    capsys.readouterr()
    assert main(["cardiff", "scores", str(f), "--format", "csv"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0].startswith("premises_id,premises_name,month,score,band")
    bell = next(line for line in lines if line.startswith("P1,"))
    assert ",12," in bell and ",high," in bell  # Jul–Dec: 6 months × 2 violent incidents
    assert "P2,Quiet Inn" in text and ",0,low," in text
    # July: score 2 (low); August: 4 (medium, threshold 3) — a rise of a band, flagged then
    warning = [line for line in lines if line.startswith("P1,") and "2024-08-01" in line]
    assert warning, "the rise from low to medium in August is flagged"
    stem = tmp_path / "charts" / "cardiff"
    assert main(["cardiff", "scores", str(f), "--chart", str(stem)]) == 0
    svg = stem.with_suffix(".svg").read_text(encoding="utf-8")
    assert "The Bell (P1)" in svg and "high from 6" in svg


def test_evaluate_prints_the_paragraph(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"month": f"2024-{m:02d}", "count": 100 if m < 7 else 60} for m in range(1, 13)]
    f = write(tmp_path / "events.csv", rows)
    capsys.readouterr()
    assert main(["evaluate", str(f), "--date", "2024-07-01", "--window", "5"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "there were 300 incidents, 40% fewer than the 500" in text
    assert "very unlikely to be chance" in text
    assert main(["evaluate", str(tmp_path / "missing.csv"), "--date", "2024-07-01"]) == 2
