from __future__ import annotations

import itertools
from datetime import date

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commsafe.errors import InputError
from commsafe.periods import (
    PERIOD_KINDS,
    SQL_LABEL_KINDS,
    YEARLY_KINDS,
    Period,
    academic_year,
    add_months,
    calendar_year,
    financial_quarter,
    financial_year,
    month_label,
    month_range,
    months_text,
    next_period,
    parse_month,
    parse_period,
    parse_period_range,
    period_of,
    previous_period,
    quarter,
    rolling_12,
    span,
    sql_label,
)

FIXED_KINDS = [kind for kind in PERIOD_KINDS if kind != "rolling_12"]

months = st.builds(
    lambda year, month: date(year, month, 1),
    st.integers(min_value=1900, max_value=2200),
    st.integers(min_value=1, max_value=12),
)
sql_months = st.builds(
    lambda year, month: date(year, month, 1),
    st.integers(min_value=1990, max_value=2060),
    st.integers(min_value=1, max_value=12),
)


# --------------------------------------------------------------------------- months


def test_parse_month_accepts_yyyy_mm() -> None:
    assert parse_month("2024-03") == date(2024, 3, 1)
    assert parse_month(" 1999-12 ") == date(1999, 12, 1)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("2024-13", "the month must be 01 to 12, not 13"),
        ("2024-00", "the month must be 01 to 12, not 00"),
        ("2024-3", ""),
        ("March 2024", ""),
        ("2024-03-01", ""),
        ("", ""),
    ],
)
def test_parse_month_rejects_with_expected_form(text: str, detail: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_month(text)
    message = str(caught.value)
    assert message.startswith(f"{text.strip()!r} is not a month in YYYY-MM form (e.g. 2024-03)")
    assert detail in message


def test_month_range_inclusive_and_across_years() -> None:
    assert month_range("2023-11", "2024-02") == [
        date(2023, 11, 1),
        date(2023, 12, 1),
        date(2024, 1, 1),
        date(2024, 2, 1),
    ]
    assert month_range("2024-02", "2024-02") == [date(2024, 2, 1)]
    assert month_range("2024-03", "2024-02") == []


def test_dates_are_moved_to_first_of_month() -> None:
    assert financial_year(date(2019, 3, 31)).label == "2018/19"
    assert date(2019, 3, 17) in financial_year("2018-04")


def test_add_months() -> None:
    assert add_months("2024-01", -1) == date(2023, 12, 1)
    assert add_months("2023-12", 1) == date(2024, 1, 1)
    assert add_months("2024-05", 24) == date(2026, 5, 1)


# --------------------------------------------------------------------------- hand-checked


@pytest.mark.parametrize(
    ("function", "month", "label", "start", "end"),
    [
        (financial_year, "2019-03", "2018/19", date(2018, 4, 1), date(2019, 3, 1)),
        (financial_year, "2019-04", "2019/20", date(2019, 4, 1), date(2020, 3, 1)),
        (financial_year, "2099-06", "2099/00", date(2099, 4, 1), date(2100, 3, 1)),
        (financial_year, "2000-01", "1999/00", date(1999, 4, 1), date(2000, 3, 1)),
        (academic_year, "2023-08", "2022/23", date(2022, 9, 1), date(2023, 8, 1)),
        (academic_year, "2023-09", "2023/24", date(2023, 9, 1), date(2024, 8, 1)),
        (calendar_year, "2024-07", "2024", date(2024, 1, 1), date(2024, 12, 1)),
        (quarter, "2024-03", "2024 Q1", date(2024, 1, 1), date(2024, 3, 1)),
        (quarter, "2024-04", "2024 Q2", date(2024, 4, 1), date(2024, 6, 1)),
        (quarter, "2024-12", "2024 Q4", date(2024, 10, 1), date(2024, 12, 1)),
        (financial_quarter, "2024-04", "2024/25 Q1", date(2024, 4, 1), date(2024, 6, 1)),
        (financial_quarter, "2024-09", "2024/25 Q2", date(2024, 7, 1), date(2024, 9, 1)),
        (financial_quarter, "2024-12", "2024/25 Q3", date(2024, 10, 1), date(2024, 12, 1)),
        (financial_quarter, "2025-03", "2024/25 Q4", date(2025, 1, 1), date(2025, 3, 1)),
        (rolling_12, "2017-02", "12 months to 2017-02", date(2016, 3, 1), date(2017, 2, 1)),
        (rolling_12, "2024-03", "12 months to 2024-03", date(2023, 4, 1), date(2024, 3, 1)),
        (rolling_12, "2024-12", "12 months to 2024-12", date(2024, 1, 1), date(2024, 12, 1)),
    ],
)
def test_hand_checked_periods(
    function: object, month: str, label: str, start: date, end: date
) -> None:
    assert callable(function)
    period = function(month)
    assert (period.label, period.start, period.end) == (label, start, end)


def test_period_membership_and_months() -> None:
    fy = financial_year("2018-06")
    assert "2019-03" in fy
    assert date(2019, 4, 1) not in fy
    assert "2018-03" not in fy
    assert 2019 not in fy  # not a month at all
    assert list(fy.months()) == month_range("2018-04", "2019-03")
    assert len(fy) == 12
    assert str(fy) == "2018/19"


def test_period_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError, match="before start"):
        Period("calendar_year", "x", date(2024, 2, 1), date(2024, 1, 1))
    with pytest.raises(ValueError, match="firsts of months"):
        Period("calendar_year", "x", date(2024, 1, 2), date(2024, 3, 1))


def test_period_of_dispatches_and_rejects_unknown_kind() -> None:
    assert period_of("academic_year", "2023-09") == academic_year("2023-09")
    assert period_of("rolling_12", "2024-03") == rolling_12("2024-03")
    with pytest.raises(InputError, match="'fiscal_year' is not a period kind; use one of:"):
        period_of("fiscal_year", "2024-03")


def test_next_and_previous_period() -> None:
    assert next_period(financial_year("2018-06")).label == "2019/20"
    assert previous_period(financial_year("2018-06")).label == "2017/18"
    assert next_period(financial_quarter("2025-02")).label == "2025/26 Q1"
    assert next_period(rolling_12("2024-03")).label == "12 months to 2025-03"
    assert previous_period(rolling_12("2024-03")).label == "12 months to 2023-03"


# --------------------------------------------------------------------------- parsing labels


def test_parse_period_examples() -> None:
    assert parse_period("financial_year", "2018/19") == financial_year("2018-04")
    assert parse_period("financial_year", "2099/00") == financial_year("2099-04")
    assert parse_period("academic_year", "2023/24").start == date(2023, 9, 1)
    assert parse_period("quarter", "2024 q3") == quarter("2024-07")
    assert parse_period("financial_quarter", "2024/25 Q4").start == date(2025, 1, 1)
    assert parse_period("rolling_12", "12 months to 2024-03").start == date(2023, 4, 1)


@pytest.mark.parametrize(
    ("kind", "label", "fragments"),
    [
        ("financial_year", "2018-19", ["'2018-19' is not a financial year label", "YYYY/YY"]),
        ("financial_year", "2018/20", ["20 does not follow 2018", "did you mean 2018/19?"]),
        ("academic_year", "2023/2024", ["academic year label", "e.g. 2023/24"]),
        ("calendar_year", "24", ["'24' is not a calendar year label", "YYYY, e.g. 2024"]),
        ("quarter", "2024 Q5", ["quarter label", "Q1 to Q4, not Q5"]),
        ("quarter", "Q1 2024", ["expected YYYY Qn, e.g. 2024 Q1"]),
        ("financial_quarter", "2024 Q1", ["financial quarter label", "YYYY/YY Qn"]),
        ("financial_quarter", "2024/26 Q1", ["26 does not follow 2024"]),
        ("rolling_12", "12 months to 2024-13", ["rolling 12 label", "not 13"]),
        ("rolling_12", "year to 2024-03", ["'12 months to YYYY-MM'"]),
    ],
)
def test_parse_period_errors_name_label_and_form(
    kind: str, label: str, fragments: list[str]
) -> None:
    with pytest.raises(InputError) as caught:
        parse_period(kind, label)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_parse_period_range_financial_years() -> None:
    periods = parse_period_range("2013/14:2018/19")
    assert [p.label for p in periods] == [
        "2013/14",
        "2014/15",
        "2015/16",
        "2016/17",
        "2017/18",
        "2018/19",
    ]
    assert all(p.kind == "financial_year" for p in periods)


def test_parse_period_range_other_kinds() -> None:
    assert [p.label for p in parse_period_range("2019:2024")] == [
        "2019",
        "2020",
        "2021",
        "2022",
        "2023",
        "2024",
    ]
    assert [p.label for p in parse_period_range("2024 Q3 : 2025 Q2")] == [
        "2024 Q3",
        "2024 Q4",
        "2025 Q1",
        "2025 Q2",
    ]
    assert [p.label for p in parse_period_range("2024/25 Q4:2025/26 Q1")] == [
        "2024/25 Q4",
        "2025/26 Q1",
    ]
    academic = parse_period_range("2021/22:2022/23", kind="academic_year")
    assert [(p.kind, p.start) for p in academic] == [
        ("academic_year", date(2021, 9, 1)),
        ("academic_year", date(2022, 9, 1)),
    ]
    assert parse_period_range("2018/19") == [financial_year("2018-04")]
    assert [p.label for p in parse_period_range("12 months to 2023-03:12 months to 2025-03")] == [
        "12 months to 2023-03",
        "12 months to 2024-03",
        "12 months to 2025-03",
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2018/19:2013/14", "ends before it starts; write the earlier period first (2013/14:"),
        ("2018/19:2024", "mixes a financial year (2018/19) with a calendar year (2024)"),
        ("2018/19:", "expected FIRST:LAST"),
        ("2018:2019:2020", "expected FIRST:LAST"),
        ("last year:2024", "cannot tell what kind of period 'last year' is"),
        ("2018/20:2019/20", "20 does not follow 2018"),
        ("12 months to 2023-03:12 months to 2023-09", "not a whole number of periods"),
    ],
)
def test_parse_period_range_errors(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_period_range(text)
    assert fragment in str(caught.value)


# --------------------------------------------------------------------------- properties


@given(months)
def test_every_month_in_exactly_one_period_of_each_fixed_kind(month: date) -> None:
    for kind in FIXED_KINDS:
        period = period_of(kind, month)
        assert month in period
        assert period.kind == kind
        assert month not in previous_period(period)
        assert month not in next_period(period)
        # every month of the period maps back to the same period
        assert all(period_of(kind, m) == period for m in period.months())


@given(months)
def test_rolling_12_contains_exactly_the_12_months_to_its_end(month: date) -> None:
    period = rolling_12(month)
    assert list(period.months()) == month_range(add_months(month, -11), month)
    assert add_months(month, -12) not in period
    assert add_months(month, 1) not in period


@given(months, st.sampled_from(PERIOD_KINDS))
def test_labels_round_trip(month: date, kind: str) -> None:
    period = period_of(kind, month)
    assert parse_period(kind, period.label) == period


@given(months, st.sampled_from(PERIOD_KINDS))
def test_period_lengths(month: date, kind: str) -> None:
    period = period_of(kind, month)
    expected = 12 if kind in YEARLY_KINDS else 3
    assert len(list(period.months())) == expected
    assert len(period) == expected
    assert period.end == add_months(period.start, expected - 1)


@given(months, st.sampled_from(PERIOD_KINDS), st.integers(min_value=1, max_value=8))
def test_consecutive_periods_tile(month: date, kind: str, count: int) -> None:
    periods = [period_of(kind, month)]
    for _ in range(count):
        periods.append(next_period(periods[-1]))
    for before, after in itertools.pairwise(periods):
        assert after.start == add_months(before.end, 1)
        assert previous_period(after) == before
    covered = [m for p in periods for m in p.months()]
    assert covered == month_range(periods[0].start, periods[-1].end)
    text = f"{periods[0].label}:{periods[-1].label}"
    assert parse_period_range(text, kind=kind) == periods


@given(months)
def test_financial_quarters_make_up_the_financial_year(month: date) -> None:
    fy = financial_year(month)
    quarters = [financial_quarter(m) for m in fy.months()]
    labels = sorted({q.label for q in quarters})
    assert labels == [f"{fy.label} Q{n}" for n in range(1, 5)]


# --------------------------------------------------------------------------- SQL


def _sql_labels(kind: str, values: list[date]) -> list[str]:
    expression = sql_label(kind, "m")
    rows = ", ".join(f"({i}, DATE '{m.isoformat()}')" for i, m in enumerate(values))
    result = duckdb.sql(f"SELECT {expression} FROM (VALUES {rows}) AS t(i, m) ORDER BY i")
    return [label for (label,) in result.fetchall()]


def _python_label(kind: str, month: date) -> str:
    return month_label(month) if kind == "month" else period_of(kind, month).label


@settings(deadline=None)  # each example runs a DuckDB query: its time is not the point
@given(st.lists(sql_months, min_size=1, max_size=30))
def test_sql_label_matches_python(values: list[date]) -> None:
    for kind in SQL_LABEL_KINDS:
        assert _sql_labels(kind, values) == [_python_label(kind, m) for m in values]


def test_sql_label_every_month_of_a_century_boundary() -> None:
    values = month_range("1998-01", "2001-12") + month_range("2098-01", "2101-12")
    for kind in SQL_LABEL_KINDS:
        assert _sql_labels(kind, values) == [_python_label(kind, m) for m in values]


def test_sql_label_example_and_null() -> None:
    expression = sql_label("financial_year", "d")
    row = duckdb.execute(
        f"SELECT {expression} FROM (SELECT DATE '2019-03-01' AS d UNION ALL "
        "SELECT CAST(NULL AS DATE)) ORDER BY 1 NULLS LAST"
    ).fetchall()
    assert row == [("2018/19",), (None,)]


def test_sql_label_rejects_rolling_12() -> None:
    with pytest.raises(InputError, match="'rolling_12' is not a period kind; use one of: month"):
        sql_label("rolling_12", "d")


# --------------------------------------------------------------------------- names in words

MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


@pytest.mark.parametrize(
    ("period", "name", "long_name"),
    [
        (calendar_year("2024-05"), "January to December 2024", "January to December 2024"),
        (financial_year("2023-05"), "2023/24", "April 2023 to March 2024"),
        (financial_year("2100-02"), "2099/00", "April 2099 to March 2100"),
        (academic_year("2023-10"), "2023/24 academic year", "September 2023 to August 2024"),
        (quarter("2024-05"), "April to June 2024", "April to June 2024"),
        (quarter("2024-12"), "October to December 2024", "October to December 2024"),
        (financial_quarter("2024-05"), "April to June 2024", "April to June 2024"),
        (financial_quarter("2025-02"), "January to March 2025", "January to March 2025"),
        (rolling_12("2024-12"), "January to December 2024", "January to December 2024"),
        (rolling_12("2023-06"), "July 2022 to June 2023", "July 2022 to June 2023"),
        (span("2024 H1"), "January to June 2024", "January to June 2024"),
        (span("2024 Q4:2025 Q1"), "October 2024 to March 2025", "October 2024 to March 2025"),
        (Period("span", "x", date(2018, 7, 1), date(2018, 7, 1)), "July 2018", "July 2018"),
    ],
)
def test_period_names_known_answers(period: Period, name: str, long_name: str) -> None:
    assert period.name == name
    assert period.long_name == long_name


def test_names_leave_labels_unchanged() -> None:
    assert financial_year("2023-05").label == "2023/24"
    assert rolling_12("2024-12").label == "12 months to 2024-12"
    assert str(quarter("2024-05")) == "2024 Q2"


@pytest.mark.parametrize("end_month", range(1, 13))
def test_rolling_12_name_for_every_end_month(end_month: int) -> None:
    period = rolling_12(date(2024, end_month, 1))
    last = MONTH_NAMES[end_month - 1]
    if end_month == 12:
        expected = "January to December 2024"
    else:
        expected = f"{MONTH_NAMES[end_month]} 2023 to {last} 2024"
    assert period.name == expected
    assert _parse_months_text(period.name) == set(period.months())


@given(months, st.sampled_from(PERIOD_KINDS))
def test_long_name_starts_with_start_month_and_ends_with_end_year(month: date, kind: str) -> None:
    period = period_of(kind, month)
    assert period.long_name.startswith(MONTH_NAMES[period.start.month - 1] + " ")
    assert period.long_name.endswith(f" {period.end.year}")
    assert _parse_months_text(period.long_name) == set(period.months())
    if kind not in ("financial_year", "academic_year"):
        assert period.name == period.long_name


@given(months, st.sampled_from(["financial_year", "academic_year"]))
def test_split_year_names_use_the_label(month: date, kind: str) -> None:
    period = period_of(kind, month)
    suffix = " academic year" if kind == "academic_year" else ""
    assert period.name == period.label + suffix


def _parse_run(text: str) -> list[date]:
    """The months of one run as months_text writes it (test helper, the inverse)."""
    words = text.split(" ")
    if len(words) == 2:  # "July 2018"
        m = date(int(words[1]), MONTH_NAMES.index(words[0]) + 1, 1)
        return [m]
    if len(words) == 4:  # "January to March 2024"
        assert words[1] == "to"
        year = int(words[3])
        first = date(year, MONTH_NAMES.index(words[0]) + 1, 1)
        last = date(year, MONTH_NAMES.index(words[2]) + 1, 1)
        assert first < last
        return month_range(first, last)
    assert len(words) == 5 and words[2] == "to", text  # "November 2023 to January 2024"
    first = date(int(words[1]), MONTH_NAMES.index(words[0]) + 1, 1)
    last = date(int(words[4]), MONTH_NAMES.index(words[3]) + 1, 1)
    assert first.year < last.year
    return month_range(first, last)


def _parse_months_text(text: str) -> set[date]:
    if text == "no months":
        return set()
    head, _, tail = text.rpartition(" and ")
    runs = [*head.split(", "), tail] if head else [tail]
    parsed = [_parse_run(run) for run in runs]
    for before, after in itertools.pairwise(parsed):
        assert add_months(before[-1], 1) < after[0], "runs must be separated by a gap"
    return {m for run in parsed for m in run}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], "no months"),
        (["2024-03"], "March 2024"),
        (["2024-01", "2024-02", "2024-03"], "January to March 2024"),
        (["2023-11", "2023-12", "2024-01"], "November 2023 to January 2024"),
        (["2024-01", "2024-02", "2024-03", "2024-06"], "January to March 2024 and June 2024"),
        (["2024-06", "2024-01", "2024-03", "2024-02"], "January to March 2024 and June 2024"),
        (["2024-01", "2024-03", "2024-05"], "January 2024, March 2024 and May 2024"),
        (
            ["2023-12", "2024-01", "2024-04", "2024-07", "2024-08"],
            "December 2023 to January 2024, April 2024 and July to August 2024",
        ),
        (["2024-03", "2024-03"], "March 2024"),
    ],
)
def test_months_text_known_answers(values: list[str], expected: str) -> None:
    assert months_text([parse_month(v) for v in values]) == expected


def test_months_text_takes_any_day_of_the_month() -> None:
    assert months_text([date(2024, 3, 17), date(2024, 4, 30)]) == "March to April 2024"


@given(st.lists(sql_months, max_size=40))
def test_months_text_round_trips(values: list[date]) -> None:
    text = months_text(values)
    assert _parse_months_text(text) == set(values)
    assert months_text(sorted(set(values), reverse=True)) == text


@given(months, st.integers(min_value=1, max_value=40))
def test_months_text_of_one_run_is_its_span(start: date, count: int) -> None:
    run = month_range(start, add_months(start, count - 1))
    text = months_text(run)
    assert " and " not in text and ", " not in text
    assert text == Period("span", "x", run[0], run[-1]).long_name
