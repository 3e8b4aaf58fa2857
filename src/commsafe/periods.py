"""Reporting periods built from whole months.

A month is a :class:`datetime.date` on the first of the month; functions that take a month also
accept a ``'YYYY-MM'`` string (see :func:`parse_month`) and any ``date``, which they move to the
first of its month.

Period kinds and their labels:

==================  ====================  ================================================
kind                label                 months
==================  ====================  ================================================
financial_year      ``2018/19``           April 2018 … March 2019
calendar_year       ``2024``              January … December 2024
quarter             ``2024 Q1``           January … March 2024
financial_quarter   ``2024/25 Q1``        April … June 2024 (Q4 is January … March 2025)
academic_year       ``2023/24``           September 2023 … August 2024
rolling_12          ``12 months to        April 2023 … March 2024
                    2024-03``
==================  ====================  ================================================

Labels are technical keys; :attr:`Period.name` and :attr:`Period.long_name` give the words an
analyst would write (``April to June 2024``, ``2023/24``, ``July 2022 to June 2023``) and
:func:`months_text` names any set of months.

Year labels wrap the century (``2099/00``). :func:`sql_label` builds DuckDB expressions that
compute the same labels from a DATE column, so SQL and Python agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from commsafe.errors import InputError

__all__ = [
    "PERIOD_KINDS",
    "SQL_LABEL_KINDS",
    "YEARLY_KINDS",
    "MonthLike",
    "Period",
    "academic_year",
    "add_months",
    "as_month",
    "calendar_year",
    "financial_quarter",
    "financial_year",
    "month_label",
    "month_range",
    "months_text",
    "next_period",
    "parse_month",
    "parse_period",
    "parse_period_range",
    "period_of",
    "previous_period",
    "quarter",
    "rolling_12",
    "sql_label",
]

MonthLike = date | str

PERIOD_KINDS: Final[tuple[str, ...]] = (
    "financial_year",
    "calendar_year",
    "quarter",
    "financial_quarter",
    "academic_year",
    "rolling_12",
)
"""Every period kind, in the order they are documented."""

YEARLY_KINDS: Final[tuple[str, ...]] = (
    "financial_year",
    "calendar_year",
    "academic_year",
    "rolling_12",
)
"""Kinds whose periods are 12 months long; the other kinds are quarters (3 months)."""

SQL_LABEL_KINDS: Final[tuple[str, ...]] = (
    "month",
    "financial_year",
    "calendar_year",
    "quarter",
    "financial_quarter",
    "academic_year",
)
"""Kinds :func:`sql_label` accepts (``rolling_12`` has no fixed label for a month)."""

# First calendar month of each kind's year, for the kinds that have one.
_YEAR_START: Final[dict[str, int]] = {
    "financial_year": 4,
    "calendar_year": 1,
    "quarter": 1,
    "financial_quarter": 4,
    "academic_year": 9,
}

_EXPECTED_FORM: Final[dict[str, str]] = {
    "financial_year": "YYYY/YY, e.g. 2018/19",
    "calendar_year": "YYYY, e.g. 2024",
    "quarter": "YYYY Qn, e.g. 2024 Q1",
    "financial_quarter": "YYYY/YY Qn, e.g. 2024/25 Q1",
    "academic_year": "YYYY/YY, e.g. 2023/24",
    "rolling_12": "'12 months to YYYY-MM', e.g. 12 months to 2024-03",
}

_MONTH_NAMES: Final[tuple[str, ...]] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_YEAR_RE = re.compile(r"(\d{4})")
_SPLIT_YEAR_RE = re.compile(r"(\d{4})/(\d{2})")
_QUARTER_RE = re.compile(r"(\d{4})\s*Q(\d)", re.IGNORECASE)
_SPLIT_QUARTER_RE = re.compile(r"(\d{4})/(\d{2})\s*Q(\d)", re.IGNORECASE)
_ROLLING_RE = re.compile(r"12\s+months\s+to\s+(\S+)", re.IGNORECASE)


# --------------------------------------------------------------------------- months


def parse_month(text: str) -> date:
    """Parse ``'YYYY-MM'`` into the first day of that month; raise InputError otherwise."""
    shown = text.strip() if isinstance(text, str) else text
    match = _MONTH_RE.fullmatch(shown) if isinstance(shown, str) else None
    if match is None:
        raise InputError(f"{shown!r} is not a month in YYYY-MM form (e.g. 2024-03)")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InputError(
            f"{shown!r} is not a month in YYYY-MM form (e.g. 2024-03): "
            f"the month must be 01 to 12, not {match.group(2)}"
        )
    if year < 1:
        raise InputError(
            f"{shown!r} is not a month in YYYY-MM form (e.g. 2024-03): "
            "the year must be 0001 or later"
        )
    return date(year, month, 1)


def as_month(value: MonthLike) -> date:
    """Return ``value`` as the first day of its month (``date`` or ``'YYYY-MM'``)."""
    if isinstance(value, str):
        return parse_month(value)
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    raise InputError(
        f"{value!r} is not a month: give a date or text in YYYY-MM form (e.g. 2024-03)"
    )


def month_label(month: MonthLike) -> str:
    """Label a month as ``'YYYY-MM'``."""
    m = as_month(month)
    return f"{m.year:04d}-{m.month:02d}"


def add_months(month: MonthLike, n: int) -> date:
    """The month ``n`` months after ``month`` (``n`` may be negative)."""
    m = as_month(month)
    index = m.year * 12 + (m.month - 1) + n
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise InputError(
            f"{month_label(m)} plus {n} months is outside the supported years 0001 to 9999"
        )
    return date(year, month0 + 1, 1)


def _span_text(first: date, last: date) -> str:
    """Words for the run of months ``first`` to ``last`` (``last`` not before ``first``)."""
    first_name, last_name = _MONTH_NAMES[first.month - 1], _MONTH_NAMES[last.month - 1]
    if (first.year, first.month) == (last.year, last.month):
        return f"{first_name} {first.year}"
    if first.year == last.year:
        return f"{first_name} to {last_name} {last.year}"
    return f"{first_name} {first.year} to {last_name} {last.year}"


def months_text(months: Sequence[date]) -> str:
    """Name a set of months in words, joining consecutive months into runs.

    ``[2024-01, 2024-02, 2024-03, 2024-06]`` gives ``'January to March 2024 and June 2024'``;
    three or more runs read ``'A, B and C'``; runs may cross years (``'November 2023 to
    January 2024'``). Order and repeats do not matter; any ``date`` counts as its month. An
    empty set gives ``'no months'``.
    """
    distinct = sorted({as_month(m) for m in months})
    if not distinct:
        return "no months"
    runs: list[tuple[date, date]] = []
    for m in distinct:
        if runs and add_months(runs[-1][1], 1) == m:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    parts = [_span_text(first, last) for first, last in runs]
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def month_range(start: MonthLike, end: MonthLike) -> list[date]:
    """Every month from ``start`` to ``end``, both included; empty if ``end`` is before."""
    first, last = as_month(start), as_month(end)
    count = (last.year - first.year) * 12 + (last.month - first.month) + 1
    return [add_months(first, i) for i in range(max(count, 0))]


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A run of whole months: ``start`` and ``end`` are the first days of the first and last."""

    kind: str
    label: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start.day != 1 or self.end.day != 1:
            raise ValueError(f"period {self.label!r}: start and end must be firsts of months")
        if self.end < self.start:
            raise ValueError(f"period {self.label!r}: end {self.end} is before start {self.start}")

    def months(self) -> Iterator[date]:
        """Yield each month of the period in order."""
        return iter(month_range(self.start, self.end))

    def __len__(self) -> int:
        """Number of months in the period."""
        return (self.end.year - self.start.year) * 12 + (self.end.month - self.start.month) + 1

    def __contains__(self, month: object) -> bool:
        if not isinstance(month, date | str):
            return False
        m = as_month(month)
        return self.start <= m <= self.end

    def __str__(self) -> str:
        return self.label

    @property
    def long_name(self) -> str:
        """The months in words: ``April 2023 to March 2024``, ``January to December 2024``,
        ``July 2018`` for a single month."""
        return _span_text(self.start, self.end)

    @property
    def name(self) -> str:
        """The period as an analyst would write it (``label`` stays the technical key).

        Financial years read ``2023/24``, academic years ``2023/24 academic year``; every
        other kind (calendar years, quarters, rolling 12 months, spans) reads as its
        :attr:`long_name`, e.g. ``April to June 2024`` or ``July 2022 to June 2023``.
        """
        if self.kind == "financial_year":
            return self.label
        if self.kind == "academic_year":
            return f"{self.label} academic year"
        return self.long_name


def _split_year_label(year: int) -> str:
    return f"{year:04d}/{(year + 1) % 100:02d}"


def _year_of(month: date, start_month: int) -> int:
    """The year in which the kind's year containing ``month`` starts."""
    return month.year if month.month >= start_month else month.year - 1


def financial_year(month: MonthLike) -> Period:
    """The financial year (April to March) containing ``month``."""
    m = as_month(month)
    y = _year_of(m, 4)
    start = date(y, 4, 1)
    return Period("financial_year", _split_year_label(y), start, add_months(start, 11))


def academic_year(month: MonthLike) -> Period:
    """The academic year (September to August) containing ``month``."""
    m = as_month(month)
    y = _year_of(m, 9)
    start = date(y, 9, 1)
    return Period("academic_year", _split_year_label(y), start, add_months(start, 11))


def calendar_year(month: MonthLike) -> Period:
    """The calendar year containing ``month``."""
    m = as_month(month)
    return Period("calendar_year", f"{m.year:04d}", date(m.year, 1, 1), date(m.year, 12, 1))


def quarter(month: MonthLike) -> Period:
    """The calendar quarter containing ``month`` (Q1 = January to March)."""
    m = as_month(month)
    q = (m.month - 1) // 3 + 1
    start = date(m.year, 3 * q - 2, 1)
    return Period("quarter", f"{m.year:04d} Q{q}", start, add_months(start, 2))


def financial_quarter(month: MonthLike) -> Period:
    """The financial quarter containing ``month`` (Q1 = April to June)."""
    m = as_month(month)
    y = _year_of(m, 4)
    q = ((m.month - 4) % 12) // 3 + 1
    start = add_months(date(y, 4, 1), 3 * (q - 1))
    return Period("financial_quarter", f"{_split_year_label(y)} Q{q}", start, add_months(start, 2))


def rolling_12(end_month: MonthLike) -> Period:
    """The 12 months ending with ``end_month``, labelled ``12 months to YYYY-MM``."""
    end = as_month(end_month)
    return Period("rolling_12", f"12 months to {month_label(end)}", add_months(end, -11), end)


_BUILDERS = {
    "financial_year": financial_year,
    "calendar_year": calendar_year,
    "quarter": quarter,
    "financial_quarter": financial_quarter,
    "academic_year": academic_year,
    "rolling_12": rolling_12,
}


def _check_kind(kind: str, allowed: tuple[str, ...]) -> None:
    if kind not in allowed:
        raise InputError(f"{kind!r} is not a period kind; use one of: {', '.join(allowed)}")


def period_of(kind: str, month: MonthLike) -> Period:
    """The period of ``kind`` containing ``month``; for ``rolling_12``, the 12 months to it."""
    _check_kind(kind, PERIOD_KINDS)
    return _BUILDERS[kind](month)


def next_period(period: Period) -> Period:
    """The period of the same kind that starts the month after ``period`` ends."""
    if period.kind == "rolling_12":
        return rolling_12(add_months(period.end, 12))
    return period_of(period.kind, add_months(period.end, 1))


def previous_period(period: Period) -> Period:
    """The period of the same kind that ends the month before ``period`` starts."""
    if period.kind == "rolling_12":
        return rolling_12(add_months(period.start, -1))
    return period_of(period.kind, add_months(period.start, -1))


# --------------------------------------------------------------------------- parsing labels


def _bad_label(kind: str, label: str, why: str = "") -> InputError:
    reason = f": {why}" if why else ""
    name = kind.replace("_", " ")
    return InputError(f"{label!r} is not a {name} label; expected {_EXPECTED_FORM[kind]}{reason}")


def _split_year(kind: str, label: str, first: str, second: str) -> int:
    year = int(first)
    if int(second) != (year + 1) % 100:
        hint = f"{second} does not follow {first} (did you mean {_split_year_label(year)}?)"
        raise _bad_label(kind, label, hint)
    if year < 1 or year > 9998:
        raise _bad_label(kind, label, "the year must be between 0001 and 9998")
    return year


def _quarter_number(kind: str, label: str, text: str) -> int:
    q = int(text)
    if not 1 <= q <= 4:
        raise _bad_label(kind, label, f"the quarter must be Q1 to Q4, not Q{q}")
    return q


def parse_period(kind: str, label: str) -> Period:
    """The period of ``kind`` whose label is ``label`` (the inverse of ``Period.label``)."""
    _check_kind(kind, PERIOD_KINDS)
    text = label.strip()
    if kind in ("financial_year", "academic_year"):
        match = _SPLIT_YEAR_RE.fullmatch(text)
        if match is None:
            raise _bad_label(kind, label)
        year = _split_year(kind, label, match.group(1), match.group(2))
        return period_of(kind, date(year, _YEAR_START[kind], 1))
    if kind == "calendar_year":
        match = _YEAR_RE.fullmatch(text)
        if match is None or int(match.group(1)) < 1:
            raise _bad_label(kind, label)
        return calendar_year(date(int(match.group(1)), 1, 1))
    if kind == "quarter":
        match = _QUARTER_RE.fullmatch(text)
        if match is None or int(match.group(1)) < 1:
            raise _bad_label(kind, label)
        q = _quarter_number(kind, label, match.group(2))
        return quarter(date(int(match.group(1)), 3 * q - 2, 1))
    if kind == "financial_quarter":
        match = _SPLIT_QUARTER_RE.fullmatch(text)
        if match is None:
            raise _bad_label(kind, label)
        year = _split_year(kind, label, match.group(1), match.group(2))
        q = _quarter_number(kind, label, match.group(3))
        return financial_quarter(add_months(date(year, 4, 1), 3 * (q - 1)))
    # rolling_12
    match = _ROLLING_RE.fullmatch(text)
    if match is None:
        raise _bad_label(kind, label)
    try:
        end = parse_month(match.group(1))
    except InputError as error:
        raise _bad_label(kind, label, str(error)) from None
    return rolling_12(end)


def _infer_kind(label: str) -> str:
    text = label.strip()
    if _SPLIT_QUARTER_RE.fullmatch(text):
        return "financial_quarter"
    if _QUARTER_RE.fullmatch(text):
        return "quarter"
    if _SPLIT_YEAR_RE.fullmatch(text):
        return "financial_year"
    if _YEAR_RE.fullmatch(text):
        return "calendar_year"
    if _ROLLING_RE.fullmatch(text):
        return "rolling_12"
    raise InputError(
        f"cannot tell what kind of period {label!r} is; expected a financial year (2018/19), "
        "calendar year (2024), quarter (2024 Q1), financial quarter (2024/25 Q1) "
        "or '12 months to YYYY-MM'"
    )


def parse_period_range(text: str, kind: str | None = None) -> list[Period]:
    """Periods from ``'FIRST:LAST'`` inclusive, e.g. ``'2013/14:2018/19'`` or ``'2019:2024'``.

    The kind is inferred from the labels unless given; ``YYYY/YY`` means financial years (pass
    ``kind='academic_year'`` for academic years). A single label gives a one-period list.
    """
    parts = text.split(":")
    if len(parts) > 2 or not all(part.strip() for part in parts):
        raise InputError(
            f"{text!r} is not a period range; "
            "expected FIRST:LAST, e.g. 2013/14:2018/19 or 2019:2024"
        )
    first_label, last_label = parts[0].strip(), parts[-1].strip()
    if kind is None:
        kind = _infer_kind(first_label)
        last_kind = _infer_kind(last_label)
        if last_kind != kind:
            raise InputError(
                f"period range {text!r} mixes a {kind.replace('_', ' ')} ({first_label}) "
                f"with a {last_kind.replace('_', ' ')} ({last_label}); use the same form for both"
            )
    first, last = parse_period(kind, first_label), parse_period(kind, last_label)
    if last.start < first.start:
        raise InputError(
            f"period range {text!r} ends before it starts; write the earlier period first "
            f"({last.label}:{first.label})"
        )
    periods = [first]
    while periods[-1].end < last.end:
        periods.append(next_period(periods[-1]))
    if periods[-1] != last:
        raise InputError(
            f"period range {text!r}: {last.label} is not a whole number of periods after "
            f"{first.label}; rolling 12-month ranges step by 12 months"
        )
    return periods


# --------------------------------------------------------------------------- SQL


def sql_label(kind: str, column: str) -> str:
    """A DuckDB expression giving the ``kind`` label of the DATE in ``column``.

    ``column`` is inserted as written (an identifier or expression the caller trusts). Kinds are
    :data:`SQL_LABEL_KINDS`; ``month`` gives ``'YYYY-MM'``. The result equals the Python label.
    """
    _check_kind(kind, SQL_LABEL_KINDS)
    c = f"({column})"

    def year_text(year_expr: str) -> str:
        return f"lpad(CAST({year_expr} AS VARCHAR), 4, '0')"

    def split_year(start_month: int) -> str:
        y = f"(year({c}) - CASE WHEN month({c}) < {start_month} THEN 1 ELSE 0 END)"
        return f"{year_text(y)} || '/' || lpad(CAST(({y} + 1) % 100 AS VARCHAR), 2, '0')"

    if kind == "month":
        return f"{year_text(f'year({c})')} || '-' || lpad(CAST(month({c}) AS VARCHAR), 2, '0')"
    if kind == "calendar_year":
        return year_text(f"year({c})")
    if kind == "quarter":
        return f"{year_text(f'year({c})')} || ' Q' || CAST(quarter({c}) AS VARCHAR)"
    if kind == "financial_quarter":
        q = f"((month({c}) + 8) % 12) // 3 + 1"
        return f"{split_year(4)} || ' Q' || CAST({q} AS VARCHAR)"
    return split_year(_YEAR_START[kind])


_HALF = re.compile(r"^\s*(\d{4})\s*H([12])\s*$", re.IGNORECASE)


def span(text: str) -> Period:
    """One run of months from a period label (``2024``, ``2024 Q1``, ``2024/25`` …), a half
    year (``2024 H1`` = January–June, ``2024 H2`` = July–December) or a range ``A:B`` of
    labels of one kind (``2024 Q1:2024 Q2``), for measures over any stretch of months."""
    half = _HALF.match(text)
    if half:
        year, h = int(half.group(1)), int(half.group(2))
        start = date(year, 1 if h == 1 else 7, 1)
        return Period("span", f"{year} H{h}", start, add_months(start, 5))
    parts = parse_period_range(text)
    if len(parts) == 1:
        return parts[0]
    return Period("span", f"{parts[0].label} to {parts[-1].label}", parts[0].start,
                  parts[-1].end)
