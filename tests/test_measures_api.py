"""The Python API mirrors the CLI and its public names resolve."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from commsafe import measures
from commsafe.cli import main


def test_every_public_name_resolves() -> None:
    for name in measures.__all__:
        assert callable(getattr(measures, name)), name
    with pytest.raises(AttributeError):
        _ = measures.not_a_measure  # type: ignore[attr-defined]


def test_api_and_cli_give_the_same_performance_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "c.csv"
    f.write_text("category,period,count\nRobbery,2017/18,40\nRobbery,2018/19,52\n"
                 "Burglary,2017/18,300\nBurglary,2018/19,270\n", encoding="utf-8")
    frame = measures.performance_table(counts=measures.read_counts(f),
                                       spec=measures.spec_from_text(None, None, None, 5))
    assert isinstance(frame, pd.DataFrame)
    capsys.readouterr()
    assert main(["table", "performance", "--counts", str(f), "--min-base", "5",
                 "--format", "csv"]) == 0
    cli = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["category"] for r in cli] == list(frame["category"]) == ["Robbery", "Burglary"]
    assert [int(r["change"]) for r in cli] == list(frame["change"]) == [12, -30]
    assert [r["pct_change"] for r in cli] == ["30", "-10"]
