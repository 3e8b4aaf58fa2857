from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commsafe.errors import InputError
from commsafe.measures.crosstab import MISSING_LABEL, TOTAL, crosstab_shares

NATIONALITIES = ["Albania", "Czech Republic", "Romania", "Slovakia", "Syria",
                 "United Kingdom", "Vietnam"]


@pytest.fixture
def nrm() -> pd.DataFrame:
    """18 National Referral Mechanism referrals, one row each."""
    labour = {"Albania": 4, "Czech Republic": 1, "Romania": 2, "Slovakia": 1, "Syria": 1,
              "United Kingdom": 7, "Vietnam": 1}
    rows = [("Labour exploitation", nat) for nat, n in labour.items() for _ in range(n)]
    rows.append(("Sexual exploitation", "Romania"))
    return pd.DataFrame(rows, columns=["exploitation_type", "nationality"])


def test_nrm_known_answer(nrm: pd.DataFrame) -> None:
    table = crosstab_shares(nrm, "exploitation_type", "nationality")
    assert table.counts.loc[TOTAL, TOTAL] == 18
    assert list(table.counts.columns) == [*NATIONALITIES, TOTAL]
    assert list(table.counts.index) == ["Labour exploitation", "Sexual exploitation", TOTAL]
    assert table.counts.loc["Labour exploitation", TOTAL] == 17
    assert table.counts.loc[TOTAL, "Romania"] == 3
    assert table.shares.loc[TOTAL, "Albania"] == 4 / 18
    assert table.shares.loc["Sexual exploitation", TOTAL] == 1 / 18
    assert table.shares.loc[TOTAL, TOTAL] == 1.0

    shown = table.display_shares()
    assert shown.loc[TOTAL, "Albania"] == "22%"
    assert shown.loc[TOTAL, "Czech Republic"] == "6%"
    assert shown.loc["Labour exploitation", "Romania"] == "11%"
    assert shown.loc["Sexual exploitation", "Romania"] == "6%"
    assert shown.loc[TOTAL, "Romania"] == "17%"
    assert shown.loc[TOTAL, "United Kingdom"] == "39%"
    assert shown.loc["Labour exploitation", TOTAL] == "94%"
    # a published version showed the sexual exploitation total as 0%: one referral of 18
    assert shown.loc["Sexual exploitation", TOTAL] == "6%"
    assert shown.loc[TOTAL, TOTAL] == "100%"
    assert shown.loc["Sexual exploitation", "Albania"] == "0%"  # nothing happened


def test_totals_are_rounded_from_exact_shares(nrm: pd.DataFrame) -> None:
    shown = crosstab_shares(nrm, "exploitation_type", "nationality").display_shares()
    # the rounded labour cells add up to 96%, the total is 94%: never summed from cells
    labour = shown.loc["Labour exploitation", NATIONALITIES]
    assert sum(int(text.rstrip("%")) for text in labour) == 96
    assert shown.loc["Labour exploitation", TOTAL] == "94%"


def test_transpose_by_arguments(nrm: pd.DataFrame) -> None:
    by_type = crosstab_shares(nrm, "exploitation_type", "nationality")
    by_nat = crosstab_shares(nrm, "nationality", "exploitation_type")
    pd.testing.assert_frame_equal(by_nat.counts, by_type.counts.T)
    pd.testing.assert_frame_equal(by_nat.shares, by_type.shares.T)
    pd.testing.assert_frame_equal(by_nat.display_shares(), by_type.display_shares().T)
    assert by_nat.display_shares().loc["Romania", TOTAL] == "17%"
    flipped = by_type.transpose()
    assert (flipped.rows, flipped.columns) == ("nationality", "exploitation_type")
    pd.testing.assert_frame_equal(flipped.counts, by_nat.counts)


def test_value_column_sums(nrm: pd.DataFrame) -> None:
    counts = (nrm.groupby(["exploitation_type", "nationality"]).size()
              .rename("referrals").reset_index())
    table = crosstab_shares(counts, "exploitation_type", "nationality", value="referrals")
    expected = crosstab_shares(nrm, "exploitation_type", "nationality")
    pd.testing.assert_frame_equal(table.counts, expected.counts)
    pd.testing.assert_frame_equal(table.shares, expected.shares)


def test_small_shares_never_show_0_or_100_percent() -> None:
    records = pd.DataFrame({"ward": ["A", "A", "B"], "type": ["x", "y", "x"],
                            "n": [996.0, 1.0, 3.0]})
    shown = crosstab_shares(records, "ward", "type", value="n").display_shares()
    assert shown.loc["A", "y"] == "<1%"
    assert shown.loc["B", "x"] == "<1%"
    assert shown.loc[TOTAL, "y"] == "<1%"
    # 997 of 1,000 rounds to 100% but is not everything: shown as '>99%'
    assert shown.loc["A", TOTAL] == ">99%"
    assert shown.loc[TOTAL, TOTAL] == "100%"
    assert shown.loc["B", "y"] == "0%"


def test_blank_categories_are_kept(nrm: pd.DataFrame) -> None:
    records = pd.concat([nrm, pd.DataFrame({"exploitation_type": ["Labour exploitation"],
                                            "nationality": [None]})], ignore_index=True)
    table = crosstab_shares(records, "exploitation_type", "nationality")
    assert table.counts.loc[TOTAL, TOTAL] == 19
    assert list(table.counts.columns)[-2:] == [MISSING_LABEL, TOTAL]
    assert table.counts.loc["Labour exploitation", MISSING_LABEL] == 1


def test_categorical_order_is_kept() -> None:
    order = ["Low", "Medium", "High"]
    records = pd.DataFrame({"band": pd.Categorical(["High", "Low", "High"], categories=order),
                            "area": ["X", "Y", "X"]})
    table = crosstab_shares(records, "band", "area")
    assert list(table.counts.index) == ["Low", "High", TOTAL]


def test_empty_input() -> None:
    with pytest.raises(InputError, match="no records"):
        crosstab_shares(pd.DataFrame({"a": [], "b": []}), "a", "b")


def test_missing_columns_named(nrm: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"'type', 'count'"):
        crosstab_shares(nrm, "type", "nationality", value="count")


@pytest.mark.parametrize(
    ("records", "kwargs", "match"),
    [
        (pd.DataFrame({"a": ["x"], "b": ["y"], "v": ["3"]}), {"value": "v"}, "not numeric"),
        (pd.DataFrame({"a": ["x"], "b": ["y"], "v": [np.nan]}), {"value": "v"}, "blank"),
        (pd.DataFrame({"a": ["x"], "b": ["y"], "v": [-1]}), {"value": "v"}, "negative"),
        (pd.DataFrame({"a": ["x"], "b": ["y"], "v": [0]}), {"value": "v"}, "is 0"),
        (pd.DataFrame({"a": ["x"], "b": ["y"], "v": [True]}), {"value": "v"}, "not numeric"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), {"value": "a"}, "also a row"),
        (pd.DataFrame({"a": ["Total"], "b": ["y"]}), {}, "clash"),
    ],
)
def test_bad_input(records: pd.DataFrame, kwargs: dict[str, str], match: str) -> None:
    with pytest.raises(InputError, match=match):
        crosstab_shares(records, "a", "b", **kwargs)


def test_same_dimension_twice_and_not_a_frame(nrm: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="both"):
        crosstab_shares(nrm, "nationality", "nationality")
    with pytest.raises(InputError, match="not a pandas DataFrame"):
        crosstab_shares([("a", "b")], "a", "b")  # type: ignore[arg-type]
