from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from commsafe.errors import InputError
from commsafe.measures.significance import change_test
from commsafe.periods import month_range
from commsafe.profiles.interventions import (
    evaluate_intervention,
    weighted_displacement_difference,
)

INTERVENTION = date(2024, 3, 1)


def monthly(start: str, end: str, before: int, after: int, during: int = 999) -> pd.DataFrame:
    """Aggregated rows: ``before`` a month before March 2024, ``after`` after, ``during`` in it."""
    rows = []
    for m in month_range(start, end):
        count = before if m < INTERVENTION else after if m > INTERVENTION else during
        rows.append({"month": m, "count": count})
    return pd.DataFrame(rows)


def test_planted_40pct_drop_is_significant() -> None:
    r = evaluate_intervention(monthly("2023-09", "2024-09", 100, 60), INTERVENTION)
    assert (r.before, r.after, r.change) == (600, 360, -240)
    assert r.pct_change == pytest.approx(-40.0)
    assert r.p_value == change_test(600, 360).p_value
    assert r.p_value < 1e-10
    assert r.significant and r.words == "significant decrease"
    assert r.wdd is None


def test_intervention_month_is_excluded() -> None:
    # the 999 in March 2024 counts on neither side
    r = evaluate_intervention(monthly("2023-09", "2024-09", 100, 60, during=999),
                              date(2024, 3, 20))
    assert (r.before, r.after) == (600, 360)
    assert r.window.before.start == date(2023, 9, 1)
    assert r.window.before.end == date(2024, 2, 1)
    assert r.window.after.start == date(2024, 4, 1)
    assert r.window.after.end == date(2024, 9, 1)


def test_seeded_poisson_event_rows_40pct_drop() -> None:
    rng = np.random.default_rng(20240301)
    dates = []
    for m in month_range("2023-09", "2024-09"):
        rate = 100 if m < INTERVENTION else 60
        for _ in range(rng.poisson(rate)):
            dates.append(pd.Timestamp(m.year, m.month, int(rng.integers(1, 28)), 22))
    r = evaluate_intervention(pd.DataFrame({"date": dates}), INTERVENTION)
    assert r.significant
    assert r.after < r.before
    assert r.pct_change is not None and -50 < r.pct_change < -30


def test_small_5pct_drop_is_not_significant() -> None:
    # 10 a month before, 9.5 a month after (60 → 57): 5% fewer
    frame = monthly("2023-09", "2024-09", 10, 10)
    frame.loc[frame["month"] > INTERVENTION, "count"] = [10, 9, 10, 9, 10, 9]
    r = evaluate_intervention(frame, INTERVENTION)
    assert (r.before, r.after) == (60, 57)
    assert r.pct_change == pytest.approx(-5.0)
    assert not r.significant
    assert r.words == "no significant change"
    assert r.p_value > 0.5


def test_wdd_known_answer_by_hand() -> None:
    # Tb=600, Ta=360, Cb=500, Ca=480: WDD = (360-600) - (480-500) = -240 + 20 = -220
    # Var = 600 + 360 + 500 + 480 = 1940; z = -220 / 44.0454... = -4.99484...
    d = weighted_displacement_difference(600, 360, 500, 480)
    assert d.wdd == -220
    assert d.variance == 1940
    assert d.z == pytest.approx(-220 / math.sqrt(1940))
    assert d.z == pytest.approx(-4.994843, abs=1e-6)
    # two-sided normal p: erfc(|z| / sqrt 2)
    assert d.p_value == pytest.approx(math.erfc(abs(d.z) / math.sqrt(2)), rel=1e-9)
    assert d.significant
    # small counts: Tb=20, Ta=15, Cb=18, Ca=17 → WDD = -5 - (-1) = -4, Var 70
    small = weighted_displacement_difference(20, 15, 18, 17)
    assert (small.wdd, small.variance) == (-4, 70)
    assert small.p_value == pytest.approx(math.erfc(4 / math.sqrt(70) / math.sqrt(2)))
    assert not small.significant
    zero = weighted_displacement_difference(0, 0, 0, 0)
    assert (zero.wdd, zero.z, zero.p_value, zero.significant) == (0, 0.0, 1.0, False)


def test_wdd_through_evaluate_with_comparison() -> None:
    comparison = monthly("2023-09", "2024-09", 500, 480)
    comparison["count"] = comparison["count"].where(comparison["month"] != INTERVENTION, 0)
    comparison.loc[comparison["month"] < INTERVENTION, "count"] = [84, 84, 83, 83, 83, 83]
    comparison.loc[comparison["month"] > INTERVENTION, "count"] = 80
    r = evaluate_intervention(monthly("2023-09", "2024-09", 100, 60), INTERVENTION,
                              comparison=comparison)
    assert r.wdd is not None
    assert (r.wdd.comparison_before, r.wdd.comparison_after) == (500, 480)
    assert r.wdd.wdd == -220
    assert r.wdd.p_value == weighted_displacement_difference(600, 360, 500, 480).p_value
    assert "Over the same months the comparison area went from 500 to 480 (down 4%)" \
        in r.paragraph
    assert "220 fewer incidents than expected" in r.paragraph
    assert "weighted displacement difference -220" in r.paragraph
    assert r.paragraph.endswith("a difference very unlikely to be chance (p < 0.001).")


def test_paragraph_content() -> None:
    r = evaluate_intervention(monthly("2023-09", "2024-09", 100, 60), INTERVENTION)
    assert r.paragraph == (
        "In the 6 months after the intervention on 1 March 2024 (April to September 2024) "
        "there were 360 incidents, 40% fewer than the 600 in the 6 months before "
        "(September 2023 to February 2024); a fall this large is very unlikely to be chance "
        "(p < 0.001).")


def test_paragraph_not_significant_and_subject() -> None:
    frame = monthly("2023-09", "2024-09", 10, 10)
    frame.loc[frame["month"] > INTERVENTION, "count"] = [10, 9, 10, 9, 10, 9]
    r = evaluate_intervention(frame, INTERVENTION, subject="assaults")
    assert "there were 57 assaults, 5% fewer than the 60" in r.paragraph
    assert "a fall this size could well be chance (p = 0." in r.paragraph


def test_months_missing_is_an_error_naming_them() -> None:
    frame = monthly("2023-09", "2024-07", 100, 60)
    with pytest.raises(InputError, match="no data for August to September 2024") as err:
        evaluate_intervention(frame, INTERVENTION)
    assert "window_months" in str(err.value)
    # a hole inside aggregated data is missing too, not zero
    holed = monthly("2023-09", "2024-09", 100, 60)
    holed = holed[holed["month"] != date(2023, 11, 1)]
    with pytest.raises(InputError, match="no data for November 2023"):
        evaluate_intervention(holed, INTERVENTION)
    # comparison area checked too
    with pytest.raises(InputError, match=r"comparison area.*September 2023"):
        evaluate_intervention(monthly("2023-09", "2024-09", 100, 60), INTERVENTION,
                              comparison=monthly("2023-10", "2024-09", 5, 5))


def test_event_rows_months_between_events_count_zero() -> None:
    dates = ["2023-09-02", "15/10/2023", "2024-09-30T23:10"]
    r = evaluate_intervention(pd.DataFrame({"date": dates}), INTERVENTION)
    assert (r.before, r.after) == (2, 1)


def test_no_events_and_bad_input() -> None:
    with pytest.raises(InputError, match="no events at all"):
        evaluate_intervention(pd.DataFrame({"date": []}), INTERVENTION)
    negative = monthly("2023-09", "2024-09", 100, 60)
    negative.loc[3, "count"] = -2
    with pytest.raises(InputError, match=r"row 4 .*negative"):
        evaluate_intervention(negative, INTERVENTION)
    with pytest.raises(InputError, match="'date' or 'month' column"):
        evaluate_intervention(pd.DataFrame({"when": ["2024-01-01"]}), INTERVENTION)
    with pytest.raises(InputError, match=r"row 2 .*'not a date' is not a date"):
        evaluate_intervention(pd.DataFrame({"date": ["2024-01-01", "not a date"]}),
                              INTERVENTION)
    with pytest.raises(InputError, match="window_months"):
        evaluate_intervention(monthly("2023-09", "2024-09", 1, 1), INTERVENTION,
                              window_months=0)
