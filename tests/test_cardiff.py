from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from commsafe.errors import InputError
from commsafe.periods import month_range
from commsafe.profiles.cardiff import band_trajectory, early_warnings, premises_scores

MONTHS = month_range("2024-01", "2024-12")

# violent incidents a month, January … December 2024 (hand-computed scores below)
RISING = [0, 0, 0, 0, 0, 1, 1, 2, 3, 0, 0, 0]
STEADY = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]  # 3 in any 6 consecutive months
VERGING = [0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0]


def incidents() -> pd.DataFrame:
    rows = []
    for pid, name, counts in (("P1", "The Rising Sun", RISING), ("P2", "The Steady Arms", STEADY),
                              ("P3", "The Edge", VERGING)):
        for month, n in zip(MONTHS, counts, strict=True):
            for i in range(n):
                rows.append({"premises_id": pid, "premises_name": name,
                             "date": f"{month:%Y-%m}-{10 + i:02d}", "violent": True})
            # non-violent incidents every month: must not count
            for i in range(4):
                rows.append({"premises_id": pid, "premises_name": name,
                             "date": f"{month:%Y-%m}-{20 + i:02d}", "violent": False})
    return pd.DataFrame(rows)


def score_of(scores: pd.DataFrame, pid: str, month: str) -> tuple[int, str]:
    row = scores[(scores["premises_id"] == pid)
                 & (scores["month"] == date.fromisoformat(month + "-01"))]
    assert len(row) == 1
    return int(row["score"].iloc[0]), str(row["band"].iloc[0])


def test_scores_rolling_window_and_bands() -> None:
    scores = premises_scores(incidents())
    assert list(scores.columns[:5]) == ["premises_id", "premises_name", "month", "score", "band"]
    assert len(scores) == 3 * 12
    # P1 rolling 6-month sums: Jun 1, Jul 2, Aug 4, Sep 7, Oct 7, Nov 7, Dec 6
    expected = {"2024-06": (1, "low"), "2024-07": (2, "low"), "2024-08": (4, "medium"),
                "2024-09": (7, "high"), "2024-10": (7, "high"), "2024-11": (7, "high"),
                "2024-12": (6, "high")}
    for month, want in expected.items():
        assert score_of(scores, "P1", month) == want
    # windows starting before the data are partial
    full = scores[scores["premises_id"] == "P1"].set_index("month")["full_window"]
    assert not full[date(2024, 5, 1)] and full[date(2024, 6, 1)]


def test_non_violent_ignored() -> None:
    scores = premises_scores(incidents())
    assert score_of(scores, "P2", "2024-12") == (3, "medium")
    only_other = incidents()
    only_other["violent"] = False
    assert premises_scores(only_other)["score"].eq(0).all()


def test_rising_premises_flagged_in_right_month_steady_not() -> None:
    warnings = early_warnings(premises_scores(incidents()))
    p1 = warnings[warnings["premises_id"] == "P1"]
    # first flagged in August 2024: low (2, July) → medium (4)
    first = p1.iloc[0]
    assert first["month"] == date(2024, 8, 1)
    assert bool(first["new"])
    assert first["reason"] == "band rose from low in 2024-07 (score 2) to medium within 3 months"
    # September: into the high band, same run (not new)
    sep = p1[p1["month"] == date(2024, 9, 1)].iloc[0]
    assert "to high" in sep["reason"] and not bool(sep["new"])
    # flagged Aug–Nov (Nov: still above August's medium within 3 months), not December
    assert list(p1["month"]) == [date(2024, m, 1) for m in (8, 9, 10, 11)]
    assert "P2" not in set(warnings["premises_id"])


def test_verging_on_high_band() -> None:
    warnings = early_warnings(premises_scores(incidents()))
    p3 = warnings[warnings["premises_id"] == "P3"]
    # score 5 from June to November: medium, one short of high (6)
    assert list(p3["month"]) == [date(2024, m, 1) for m in range(6, 12)]
    assert list(p3["new"]) == [True, False, False, False, False, False]
    assert p3["reason"].iloc[0] == "verging on the high band: score 5, within 1 of its threshold 6"


def test_custom_thresholds() -> None:
    bands = {"green": 0, "amber": 2, "red": 4}
    scores = premises_scores(incidents(), bands=bands)
    assert score_of(scores, "P1", "2024-06") == (1, "green")
    assert score_of(scores, "P1", "2024-07") == (2, "amber")
    assert score_of(scores, "P1", "2024-08") == (4, "red")
    assert score_of(scores, "P2", "2024-08") == (3, "amber")
    warnings = early_warnings(scores)
    p1 = warnings[warnings["premises_id"] == "P1"]
    assert p1.iloc[0]["month"] == date(2024, 7, 1)
    assert p1.iloc[0]["reason"] == ("band rose from green in 2024-06 (score 1) to amber "
                                    "within 3 months")  # 2 < red 4 - 1: not verging
    p2 = warnings[warnings["premises_id"] == "P2"]
    # P2 steady at 3 = red threshold - 1: verging every full month
    assert len(p2) == 7 and list(p2["new"]).count(True) == 1


def test_custom_thresholds_window_and_months() -> None:
    scores = premises_scores(incidents(), window_months=3,
                             months=month_range("2024-08", "2024-09"))
    assert sorted(set(scores["month"])) == [date(2024, 8, 1), date(2024, 9, 1)]
    assert score_of(scores, "P1", "2024-09") == (6, "high")  # 1 + 2 + 3
    with pytest.raises(InputError, match="lowest threshold 0"):
        premises_scores(incidents(), bands={"medium": 3, "high": 6})


def test_band_trajectory() -> None:
    traj = band_trajectory(premises_scores(incidents()), "P1")
    assert list(traj.columns) == ["month", "score", "band", "full_window", "band_change"]
    assert list(traj["band_change"].iloc[6:]) == [0, 1, 1, 0, 0, 0]  # Jul → Dec
    with pytest.raises(InputError, match="'P9' is not in the scores"):
        band_trajectory(premises_scores(incidents()), "P9")


def test_missing_columns_listed() -> None:
    frame = incidents().drop(columns=["violent", "premises_name"])
    with pytest.raises(InputError, match="missing column\\(s\\) premises_name, violent"):
        premises_scores(frame)


def test_unparseable_date_names_row() -> None:
    frame = incidents()
    frame.loc[5, "date"] = "31/02/2024"
    with pytest.raises(InputError, match=r"row 6 \(index 5\), column 'date', value "
                                         r"'31/02/2024' is not a date"):
        premises_scores(frame)
    frame = incidents()
    frame["violent"] = frame["violent"].astype(object)
    frame.loc[2, "violent"] = "maybe"
    with pytest.raises(InputError, match=r"row 3 .*'violent'"):
        premises_scores(frame)


def test_no_warnings_is_an_empty_table() -> None:
    steady = incidents()
    steady = steady[steady["premises_id"] == "P2"]
    warnings = early_warnings(premises_scores(steady))
    assert len(warnings) == 0
    assert list(warnings.columns) == ["premises_id", "premises_name", "month", "score",
                                      "band", "reason", "new"]


def test_severity_weight_and_text_flags() -> None:
    frame = pd.DataFrame({"premises_id": ["P1", "P1", "P1"],
                          "premises_name": ["Old Name", "New Name", "New Name"],
                          "date": ["2024-01-05", "2024-02-05", "2024-02-06"],
                          "violent": ["yes", "Y", "no"], "severity": [2.5, 1.0, 9.0]})
    scores = premises_scores(frame, weight="severity")
    assert list(scores["score"]) == [2.5, 3.5]
    assert list(scores["premises_name"]) == ["New Name", "New Name"]
    assert list(premises_scores(frame)["score"]) == [1, 2]
