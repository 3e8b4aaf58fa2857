"""Disclosure control: primary and secondary suppression of small protected counts."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commsafe.disclosure import (
    DisclosureRules,
    Suppressed,
    recoverable,
    recoverable_cells,
    suppress,
)
from commsafe.errors import InputError

RULES = DisclosureRules()
VALUES = ["a", "b", "c", "total"]


def _table() -> pd.DataFrame:
    rows = {
        "Burglary": [12, 8, 15],
        "Rape": [3, 10, 7],
        "Shoplifting": [20, 6, 9],
    }
    frame = pd.DataFrame(
        [[name, *counts] for name, counts in rows.items()], columns=["category", "a", "b", "c"]
    )
    frame["total"] = frame[["a", "b", "c"]].sum(axis=1)
    total = pd.DataFrame([["Total", *frame[VALUES].sum().tolist()]], columns=frame.columns)
    return pd.concat([frame, total], ignore_index=True)


def _run(table: pd.DataFrame, **kwargs: object) -> Suppressed:
    return suppress(
        table,
        value_columns=VALUES,
        total_rows=["Total"],
        total_columns=["total"],
        rules=RULES,
        **kwargs,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- known answers


def test_rules_defaults() -> None:
    assert RULES.threshold == 5
    assert RULES.mark == "<5"
    assert DisclosureRules(threshold=10).mark == "<10"
    assert DisclosureRules(mark="*").mark == "*"


@pytest.mark.parametrize(
    ("category", "protected"),
    [
        ("Rape", True),
        ("RAPE", True),
        ("domestic abuse", True),
        ("Hate crimes", True),
        ("CSE", True),
        ("Other sexual offences", True),
        ("Violence and sexual offences", False),
        ("Burglary", False),
        ("Cyber crime", False),
        (None, False),
    ],
)
def test_protected_categories(category: object, protected: bool) -> None:
    assert RULES.is_protected(category) is protected


def test_subgroups_of_a_protected_group_are_protected() -> None:
    rules = DisclosureRules(protected=("Sexual offences",))
    assert rules.is_protected("Rape")
    assert not rules.is_protected("Robbery")


def test_three_by_three_known_answer() -> None:
    table = _table()
    result = _run(table)
    rape, burglary, shoplifting, total = 1, 0, 2, 3
    assert result.primary == {(rape, "a")}
    assert result.frame.at[rape, "a"] == "<5"
    # The 3, one more in its row (the smallest, 7) and one more in its column (12) ...
    assert (rape, "c") in result.suppressed
    assert (burglary, "a") in result.suppressed
    # ... and the knock-on cells so no row or column has a single hidden cell.
    assert result.suppressed == {
        (burglary, "a"),
        (burglary, "b"),
        (rape, "a"),
        (rape, "c"),
        (shoplifting, "b"),
        (shoplifting, "c"),
    }
    for cell in result.suppressed - result.primary:
        assert result.frame.at[cell] == "[c]"
    # Totals stay published.
    assert result.frame.loc[total, VALUES].tolist() == table.loc[total, VALUES].tolist()
    assert result.frame["total"].tolist() == table["total"].tolist()
    assert not recoverable(
        result.frame, value_columns=VALUES, total_rows=["Total"], total_columns=["total"]
    )
    assert "Counts of 1–4 in protected categories are shown as <5" in result.notes[0]
    assert "1 cell(s) suppressed as small counts (primary), 5 more" in result.notes[1]
    # The input is untouched.
    assert table.at[rape, "a"] == 3


def test_attack_finds_a_lone_suppressed_cell() -> None:
    frame = _table().astype({"a": object})
    frame.at[1, "a"] = "<5"
    assert recoverable_cells(
        frame, value_columns=VALUES, total_rows=["Total"], total_columns=["total"]
    ) == {(1, "a")}


def test_zero_is_not_suppressed() -> None:
    table = pd.DataFrame({"category": ["Rape", "Hate crime"], "n": [0, 0], "m": [5, 30]})
    result = suppress(table, value_columns=["n", "m"], rules=RULES)
    assert result.suppressed == set()
    assert result.frame.equals(table)


def test_unprotected_small_counts_are_shown() -> None:
    table = pd.DataFrame({"category": ["Burglary", "Bicycle theft", "Rape"], "n": [1, 4, 2]})
    result = suppress(table, value_columns=["n"], rules=RULES)
    assert result.suppressed == {(2, "n")}
    assert result.frame["n"].tolist() == [1, 4, "<5"]


def test_derived_change_columns_are_suppressed() -> None:
    table = pd.DataFrame(
        {
            "category": ["Rape", "Burglary", "Hate crime"],
            "y2023": [6, 3, 12],
            "y2024": [2, 4, 15],
        }
    )
    table["change"] = table["y2024"] - table["y2023"]
    table["pct_change"] = 100 * table["change"] / table["y2023"]
    result = suppress(
        table,
        value_columns=["y2023", "y2024"],
        derived={"change": ["y2023", "y2024"], "pct_change": ["change", "y2023"]},
        rules=RULES,
    )
    assert result.suppressed == {(0, "y2024"), (0, "change"), (0, "pct_change")}
    assert result.frame.loc[0, ["y2023", "y2024", "change", "pct_change"]].tolist() == [
        6,
        "<5",
        "[c]",
        "[c]",
    ]
    assert result.frame.loc[1, "change"] == 1
    assert "2 derived cell(s)" in result.notes[1]


def test_lone_member_forces_the_total() -> None:
    table = pd.DataFrame({"category": ["Rape", "Total"], "n": [2, 2]})
    result = suppress(table, value_columns=["n"], total_rows=["Total"], rules=RULES)
    assert result.suppressed == {(0, "n"), (1, "n")}


def test_bad_totals_are_reported() -> None:
    table = _table()
    table.at[3, "a"] = 99
    with pytest.raises(InputError, match="total at row 3, column 'a' is 99"):
        _run(table)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"value_columns": ["nope"]}, "not a column"),
        ({"value_columns": ["n"], "total_rows": ["Total"]}, "not found"),
        ({"value_columns": ["n"], "total_columns": ["m"]}, "also be listed"),
        ({"value_columns": ["n"], "derived": {"d": ["x"]}}, "not a column"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    table = pd.DataFrame({"category": ["Rape"], "n": [2], "m": [2], "d": [0.0]})
    with pytest.raises(InputError, match=message):
        suppress(table, rules=RULES, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, None, float("nan")])
def test_bad_counts(bad: object) -> None:
    table = pd.DataFrame({"category": ["Rape", "Burglary"], "n": [bad, 2]}, dtype=object)
    with pytest.raises(InputError, match="row 0, column 'n'"):
        suppress(table, value_columns=["n"], rules=RULES)


# --------------------------------------------------------------------------- properties

PROTECTED_NAMES = ["Rape", "Domestic abuse", "hate crime", "Modern slavery"]
OTHER_NAMES = ["Burglary", "Shoplifting", "Robbery", "Drug offences"]


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], list[str], list[str], int]:
    n_rows = draw(st.integers(1, 5))
    n_cols = draw(st.integers(1, 4))
    threshold = draw(st.integers(2, 10))
    columns = [f"v{i}" for i in range(n_cols)]
    names = [
        draw(st.sampled_from(PROTECTED_NAMES if draw(st.booleans()) else OTHER_NAMES))
        for _ in range(n_rows)
    ]
    counts = draw(
        st.lists(
            st.lists(st.integers(0, 30), min_size=n_cols, max_size=n_cols),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    frame = pd.DataFrame(counts, columns=columns)
    frame.insert(0, "category", names)
    value_columns = list(columns)
    total_columns: list[str] = []
    if draw(st.booleans()):
        frame["total"] = frame[columns].sum(axis=1)
        value_columns.append("total")
        total_columns.append("total")
    total_rows: list[str] = []
    if draw(st.booleans()):
        total = pd.DataFrame(
            [["All crime", *frame[value_columns].sum().tolist()]], columns=frame.columns
        )
        frame = pd.concat([frame, total], ignore_index=True)
        total_rows.append("All crime")
    return frame, value_columns, total_rows, total_columns, threshold


@settings(max_examples=300, deadline=None)
@given(tables())
def test_suppression_properties(
    case: tuple[pd.DataFrame, list[str], list[str], list[str], int],
) -> None:
    table, value_columns, total_rows, total_columns, threshold = case
    rules = DisclosureRules(threshold=threshold)
    result = suppress(
        table,
        value_columns=value_columns,
        total_rows=total_rows,
        total_columns=total_columns,
        rules=rules,
    )
    frame = result.frame
    for label, category in table["category"].items():
        for column in value_columns:
            shown = frame.at[label, column]
            original = table.at[label, column]
            if (label, column) in result.suppressed:
                assert isinstance(shown, str)
                continue
            # Published values are the input values ...
            assert not isinstance(shown, str)
            assert shown == original
            # ... and none is a small count of a protected category.
            if rules.is_protected(category):
                assert not 0 < shown < threshold
    for label, column in result.primary:
        assert frame.at[label, column] == rules.mark
        assert 0 < table.at[label, column] < threshold
    assert not recoverable(
        frame,
        value_columns=value_columns,
        total_rows=total_rows,
        total_columns=total_columns,
    )
