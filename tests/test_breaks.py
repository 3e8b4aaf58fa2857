"""Recording breaks (level shifts) in monthly count series: hand-made and real Northumbria data."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commsafe.measures.breaks import (
    METHOD,
    Break,
    break_threshold,
    detect_breaks,
    method_note,
    recording_breaks,
)

NORTHUMBRIA = Path(__file__).resolve().parents[2] / "shared/data/police-uk/northumbria-2020-23"
if not NORTHUMBRIA.is_dir():
    NORTHUMBRIA = Path("/work/shared/data/police-uk/northumbria-2020-23")


def months_from(start: date, n: int) -> list[date]:
    out = []
    y, m = start.year, start.month
    for _ in range(n):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def poissonish(level: float, n: int, seed: int) -> list[int]:
    return [int(v) for v in np.random.default_rng(seed).poisson(level, n)]


START = date(2020, 1, 1)


def test_ten_fold_step_is_one_break_at_its_month() -> None:
    months = months_from(START, 36)
    counts = poissonish(40, 18, 1) + poissonish(400, 18, 2)
    found = detect_breaks(months, counts)
    assert len(found) == 1
    (b,) = found
    assert isinstance(b, Break)
    assert b.month == months[18] == date(2021, 7, 1)
    assert b.ratio == pytest.approx(10, rel=0.1)
    assert b.before_per_month == pytest.approx(np.mean(counts[:18]))
    assert b.after_per_month == pytest.approx(np.mean(counts[18:]))
    assert b.statistic > break_threshold(36)


def test_downward_step_found() -> None:
    months = months_from(START, 30)
    counts = poissonish(500, 12, 3) + poissonish(50, 18, 4)
    (b,) = detect_breaks(months, counts)
    assert b.month == months[12]
    assert b.ratio == pytest.approx(0.1, rel=0.15)


def test_one_month_spike_is_not_a_break() -> None:
    months = months_from(START, 36)
    counts = poissonish(60, 36, 5)
    counts[20] = 600
    assert detect_breaks(months, counts) == []


def test_short_run_at_new_level_is_not_a_break() -> None:
    """Three months high (fewer than min_side) and back: no break."""
    months = months_from(START, 30)
    counts = poissonish(60, 30, 6)
    for i in (14, 15, 16):
        counts[i] = 600
    assert detect_breaks(months, counts) == []


def test_seasonal_wobble_in_large_counts_is_not_a_break() -> None:
    months = months_from(START, 48)
    rng = np.random.default_rng(7)
    level = 3000 * (1 + 0.2 * np.sin(2 * np.pi * np.arange(48) / 12))
    counts = [int(v) for v in rng.poisson(level)]
    assert detect_breaks(months, counts) == []
    # unscaled Poisson would call this wildly significant: the overdispersion scaling matters
    assert detect_breaks(months, counts, min_ratio=1.01) == []


def test_too_short_series_is_skipped_with_a_note() -> None:
    months = months_from(START, 7)
    counts = [10, 10, 10, 100, 100, 100, 100]
    assert detect_breaks(months, counts) == []
    frame = pd.DataFrame({"force": "F", "category": "Robbery", "month": months, "count": counts})
    out, notes = recording_breaks(frame)
    assert out.empty
    assert list(out.columns) == ["force", "category", "month", "before_per_month",
                                 "after_per_month", "ratio"]
    assert notes[0] == METHOD
    assert len(notes) == 2
    assert "F / Robbery" in notes[1] and "too short to test" in notes[1]
    assert "7 months" in notes[1]


def test_gap_is_absent_not_zero_and_step_still_found() -> None:
    months = months_from(START, 36)
    counts = poissonish(50, 18, 8) + poissonish(500, 18, 9)
    # drop a month before the step and the first month of the new level
    keep = [i for i in range(36) if i not in (10, 18)]
    found = detect_breaks([months[i] for i in keep], [counts[i] for i in keep])
    assert len(found) == 1
    assert found[0].month == months[19]  # first month *present* at the new level
    assert found[0].before_per_month == pytest.approx(np.mean([counts[i] for i in range(18)
                                                               if i != 10]))
    # a month gap with a step elsewhere: same break month
    keep = [i for i in range(36) if i != 25]
    (b,) = detect_breaks([months[i] for i in keep], [counts[i] for i in keep])
    assert b.month == months[18]


def test_order_of_input_does_not_matter() -> None:
    months = months_from(START, 24)
    counts = poissonish(30, 12, 10) + poissonish(300, 12, 11)
    fwd = detect_breaks(months, counts)
    rev = detect_breaks(months[::-1], counts[::-1])
    assert fwd == rev and len(fwd) == 1


def test_two_steps_are_two_breaks() -> None:
    months = months_from(START, 42)
    counts = poissonish(40, 14, 12) + poissonish(400, 14, 13) + poissonish(80, 14, 14)
    found = detect_breaks(months, counts)
    assert [b.month for b in found] == [months[14], months[28]]
    assert found[0].ratio == pytest.approx(10, rel=0.15)
    assert found[1].ratio == pytest.approx(0.2, rel=0.15)
    # means are over the adjacent segments
    assert found[1].before_per_month == pytest.approx(np.mean(counts[14:28]))


def test_two_upward_steps() -> None:
    months = months_from(START, 36)
    counts = poissonish(20, 12, 15) + poissonish(100, 12, 16) + poissonish(600, 12, 17)
    assert [b.month for b in detect_breaks(months, counts)] == [months[12], months[24]]


def test_small_shift_below_min_ratio_is_not_a_break() -> None:
    months = months_from(START, 36)
    counts = poissonish(1000, 18, 18) + poissonish(1300, 18, 19)
    assert detect_breaks(months, counts) == []  # 1.3-fold, below 1.5
    assert len(detect_breaks(months, counts, min_ratio=1.2)) == 1


def test_zero_before_and_all_zero() -> None:
    months = months_from(START, 24)
    assert detect_breaks(months, [0] * 24) == []
    (b,) = detect_breaks(months, [0] * 12 + poissonish(50, 12, 20))
    assert b.month == months[12] and math.isinf(b.ratio)


def test_bad_input_raises() -> None:
    months = months_from(START, 10)
    with pytest.raises(ValueError, match="months but"):
        detect_breaks(months, [1] * 9)
    with pytest.raises(ValueError, match="more than once"):
        detect_breaks([*months[:9], months[0]], [1] * 10)
    with pytest.raises(ValueError, match="negative"):
        detect_breaks(months, [1] * 9 + [-1])


def test_threshold_is_bonferroni_chi_square() -> None:
    from scipy.stats import chi2

    assert break_threshold(36) == pytest.approx(chi2.ppf(1 - 0.001 / 29, 1))
    assert "1 - 0.001" in METHOD and "Bonferroni" in METHOD
    assert method_note() == METHOD


def test_recording_breaks_frame_contract() -> None:
    months = months_from(START, 30)
    step = poissonish(20, 15, 21) + poissonish(200, 15, 22)
    flat = poissonish(100, 30, 23)
    rows = [("F", "Arson", m, c) for m, c in zip(months, step, strict=True)]
    # "Drugs" has no row in some months the force has data: those count 0, so it steps down
    rows += [("F", "Drugs", m, c) for m, c in zip(months[:15], flat[:15], strict=True)]
    rows += [("G", "Arson", m, c) for m, c in zip(months, flat, strict=True)]
    frame = pd.DataFrame(rows, columns=["force", "category", "month", "count"])
    out, notes = recording_breaks(frame)
    assert list(out.columns) == ["force", "category", "month", "before_per_month",
                                 "after_per_month", "ratio"]
    assert out[["force", "category", "month"]].values.tolist() == [
        ["F", "Arson", "2021-04"], ["F", "Drugs", "2021-04"]]
    assert out.loc[0, "before_per_month"] == round(float(np.mean(step[:15])), 1)
    assert out.loc[0, "ratio"] == round(np.mean(step[15:]) / np.mean(step[:15]), 2)
    assert out.loc[1, "after_per_month"] == 0.0
    assert notes == [METHOD]
    assert out.attrs["notes"] == notes


# ---------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def northumbria() -> pd.DataFrame:
    """Northumbria street records as force × crime type × month counts (Month, Crime type)."""
    files = sorted(NORTHUMBRIA.glob("*/*-street.csv"))
    if not files:
        pytest.skip(f"real police.uk Northumbria street files not found under {NORTHUMBRIA}")
    parts = [pd.read_csv(f, usecols=["Month", "Crime type"], dtype=str) for f in files]
    raw = pd.concat(parts, ignore_index=True)
    counts = raw.groupby(["Month", "Crime type"]).size().reset_index(name="count")
    return pd.DataFrame({
        "force": "Northumbria Police",
        "category": counts["Crime type"],
        "month": [date(int(m[:4]), int(m[5:7]), 1) for m in counts["Month"]],
        "count": counts["count"].astype(int),
    })


def test_real_data_months_as_published(northumbria: pd.DataFrame) -> None:
    months = set(northumbria["month"])
    assert len(months) == 33
    assert date(2022, 1, 1) not in months  # missing as published: absent, not zero


def with_plant(frame: pd.DataFrame, category: str, start: date) -> pd.DataFrame:
    planted = frame.copy()
    hit = (planted["category"] == category) & (planted["month"] >= start)
    planted.loc[hit, "count"] = planted.loc[hit, "count"] * 10
    return planted


@pytest.mark.parametrize("category", ["Robbery", "Bicycle theft"])
@pytest.mark.parametrize("start", [date(2021, 9, 1), date(2022, 2, 1)])
def test_planted_ten_fold_step_found_at_its_month(
    northumbria: pd.DataFrame, category: str, start: date
) -> None:
    """2022-02 is the month after the published gap: the break is dated by it."""
    out, _ = recording_breaks(with_plant(northumbria, category, start))
    mine = out[out["category"] == category]
    assert mine["month"].tolist() == [start.strftime("%Y-%m")]
    # ratio is ten times the real series' own after/before ratio (Robbery rises anyway)
    series = northumbria[northumbria["category"] == category]
    before = series.loc[series["month"] < start, "count"].mean()
    after = series.loc[series["month"] >= start, "count"].mean()
    assert mine["ratio"].iloc[0] == pytest.approx(10 * after / before, abs=0.006)
    assert mine["before_per_month"].iloc[0] == round(before, 1)
    # the plant does not disturb the other series
    real, _ = recording_breaks(northumbria)
    others = out[out["category"] != category].reset_index(drop=True)
    expect = real[real["category"] != category].reset_index(drop=True)
    pd.testing.assert_frame_equal(others.astype(object), expect.astype(object))


def test_real_data_unplanted(northumbria: pd.DataFrame) -> None:
    out, notes = recording_breaks(northumbria)
    print("\nRecording breaks in real Northumbria data (2020-05 to 2023-02, 2022-01 absent):")
    print(out.to_string(index=False) if not out.empty else "(none)")
    assert notes == [METHOD]  # 33 months: every series long enough to test
    for category in ("Robbery", "Bicycle theft"):
        assert out[out["category"] == category].empty
    # no real series shows anything like a ten-fold recording change
    assert ((out["ratio"] < 3) & (out["ratio"] > 1 / 3)).all()


def test_a_steady_trend_is_not_a_break() -> None:
    """A rise from 450 to 1,000 a month over 30 months (like Northumbria's vehicle crime) and
    a fall from 7,000 to 3,000 differ by more than 1.5-fold end to end, but there is no step."""
    months = [date(2020 + (4 + i) // 12, (4 + i) % 12 + 1, 1) for i in range(30)]
    rise = [round(450 + 550 * i / 29) for i in range(30)]
    fall = [round(7000 - 4000 * i / 29) for i in range(30)]
    assert detect_breaks(months, rise) == []
    assert detect_breaks(months, fall) == []
    stepped = [450] * 15 + [1000] * 15
    assert [b.month for b in detect_breaks(months, stepped)] == [months[15]]
