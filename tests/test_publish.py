"""Disclosure control on everything a build publishes (:mod:`commsafe.report.publish`).

Property tests: whatever the table, no published cell in a protected category is a count
below the threshold, and no suppressed cell can be recovered from the totals beside it (or,
for a table by area, from the area's total published elsewhere). The CSV, workbook, manifest
figures and document table of a published table all show the same suppressed cells.
"""

from __future__ import annotations

import csv
from pathlib import Path

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from commsafe.disclosure import DisclosureRules, recoverable
from commsafe.report.publish import Publisher, disclose

CATEGORIES = ["Burglary", "Domestic abuse", "Rape", "Robbery", "Other sexual offences",
              "Hate crime", "Shoplifting", "Modern slavery"]
PERIODS = ["2022", "2023", "2024"]


def _small(value: object, threshold: int) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        0 < float(value) < threshold


@st.composite
def category_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, int]:
    cats = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=len(CATEGORIES),
                         unique=True))
    counts = {c: [draw(st.integers(0, 25)) for _ in PERIODS] for c in cats}
    rows = [{"category": "All crime", **{p: sum(counts[c][i] for c in cats)
                                         for i, p in enumerate(PERIODS)}}]
    rows += [{"category": c, **dict(zip(PERIODS, counts[c], strict=True))} for c in cats]
    frame = pd.DataFrame(rows)
    frame["change"] = frame["2024"] - frame["2023"]
    return frame, draw(st.integers(2, 10))


@settings(max_examples=200, deadline=None)
@given(category_tables())
def test_no_small_protected_count_is_published_or_recoverable(
        case: tuple[pd.DataFrame, int]) -> None:
    frame, threshold = case
    rules = DisclosureRules(threshold=threshold)
    published, notes = disclose(frame, rules, value_columns=PERIODS, category_column="category",
                                total_rows=["All crime"],
                                derived={"change": ["2023", "2024"]})
    for _, row in published.iterrows():
        if rules.is_protected(row["category"]):
            for p in PERIODS:
                assert not _small(row[p], threshold), (row["category"], p, row[p])
    assert not recoverable(published, value_columns=PERIODS, total_rows=["All crime"])
    # a change computed from a hidden count is hidden too
    for i, row in published.iterrows():
        if isinstance(row["2023"], str) or isinstance(row["2024"], str):
            assert isinstance(row["change"], str), published.loc[i].to_dict()
    # cells that needed no protection are published as they were
    hidden = {(i, p) for i, r in published.iterrows() for p in PERIODS if isinstance(r[p], str)}
    for i, r in frame.iterrows():
        for p in PERIODS:
            if (i, p) not in hidden:
                assert published.at[i, p] == r[p]
    assert bool(notes) == bool(hidden)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=15), st.integers(2, 10),
       st.sampled_from(["Domestic abuse", "Burglary"]))
def test_area_tables_of_a_protected_subject(counts: list[int], threshold: int,
                                            subject: str) -> None:
    rules = DisclosureRules(threshold=threshold)
    frame = pd.DataFrame({"area_code": [f"W{i:02d}" for i in range(len(counts))],
                          "count": counts,
                          "rate_per_1000": [c / 10 for c in counts]})
    published, _ = disclose(frame, rules, value_columns=["count"], subject=subject,
                            derived={"rate_per_1000": ["count"]})
    assert list(published.columns) == list(frame.columns)
    assert list(published["area_code"]) == list(frame["area_code"])
    hidden = [isinstance(v, str) for v in published["count"]]
    if not rules.is_protected(subject):
        assert not any(hidden)
        return
    for v in published["count"]:
        assert not _small(v, threshold)
    # the area's total is published elsewhere: one hidden area would be total minus the rest,
    # unless the total is itself a small count (then it is suppressed wherever it appears)
    if sum(hidden) == 1:
        assert 0 < sum(counts) < threshold
    for v, rate in zip(published["count"], published["rate_per_1000"], strict=True):
        assert isinstance(v, str) == isinstance(rate, str)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(category_tables())
def test_every_published_form_shows_the_same_cells(tmp_path: Path,
                                                    case: tuple[pd.DataFrame, int]) -> None:
    frame, threshold = case
    root = tmp_path / f"t{threshold}-{len(frame)}-{abs(hash(frame.to_csv()))}"
    root.mkdir()
    pub = Publisher(root, DisclosureRules(threshold=threshold))
    table = pub.table("t", frame, title="T", keys=["category"], query={"q": 1},
                      value_columns=PERIODS, category_column="category",
                      total_rows=["All crime"], derived={"change": ["2023", "2024"]})
    with (root / "data" / "t.csv").open(newline="", encoding="utf-8") as h:
        rows = list(csv.DictReader(h))
    figures = pub.records[0].figures or {}
    sheet = pub.workbook[0].frame
    for i, row in enumerate(rows):
        cat = row["category"]
        for j, p in enumerate(PERIODS, start=1):
            shown = table.rows[i][j]
            if row[p] in ("<" + str(threshold), "[c]"):
                assert shown == row[p]
                assert figures[f"{cat} / {p}"] == row[p]
                assert sheet.iloc[i][p] == row[p]
            else:
                assert shown.replace(",", "") == row[p]
                assert figures[f"{cat} / {p}"] == int(row[p])


def test_unprotected_tables_pass_through() -> None:
    frame = pd.DataFrame({"category": ["All crime", "Burglary", "Robbery"],
                          "2024": [5, 3, 2]})
    published, notes = disclose(frame, DisclosureRules(), value_columns=["2024"],
                                category_column="category", total_rows=["All crime"])
    assert published is frame and notes == []


def test_a_column_of_blanks_is_left_alone() -> None:
    """A period with no data is blank in every row: nothing to suppress there."""
    frame = pd.DataFrame({"category": ["All crime", "Rape", "Burglary"],
                          "2023": pd.array([None, None, None], dtype="Int64"),
                          "2024": [12, 2, 10]})
    published, _ = disclose(frame, DisclosureRules(), value_columns=["2023", "2024"],
                            category_column="category", total_rows=["All crime"])
    assert published["2024"].tolist() == [12, "<5", "[c]"]
    assert published["2023"].isna().all()


@pytest.mark.parametrize("threshold", [1, 3])
def test_threshold_one_suppresses_nothing(threshold: int) -> None:
    frame = pd.DataFrame({"category": ["All crime", "Rape", "Burglary"], "2024": [3, 1, 2]})
    published, _ = disclose(frame, DisclosureRules(threshold=threshold), value_columns=["2024"],
                            category_column="category", total_rows=["All crime"])
    assert (published["2024"].tolist() == [3, 1, 2]) == (threshold == 1)
