"""Findings: measures turned into the sentences a strategic assessment prints.

This module only words numbers that ``commsafe.measures`` computed; it computes no statistics.
Counts carry thousands separators, percentages are whole numbers rounded half away from zero
(``commsafe.measures.rounding``), months are named in full and p-values have two decimals:

    Between March 2016 and February 2017 there were 1,880 incidents, an 8% increase on the
    previous 12 months (1,741); the change is statistically significant (p = 0.02).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from commsafe.measures.rounding import format_number, format_p_value, round_half_away
from commsafe.measures.trends import RollingComparison, missing_months_text

__all__ = [
    "indefinite_article",
    "rolling_sentence",
    "subject_for",
    "yearly_average_sentence",
]


def _month(m: date) -> str:
    return f"{m:%B %Y}"


def _singular(subject: str) -> str:
    return subject[:-1] if subject.endswith("s") and not subject.endswith("ss") else subject


def _there_were(count: int, subject: str, singular: str | None) -> str:
    if count == 0:
        return f"there were no {subject}"
    if count == 1:
        return f"there was 1 {singular or _singular(subject)}"
    return f"there were {format_number(count)} {subject}"


def indefinite_article(number_text: str) -> str:
    """'a' or 'an' before a number as spoken: an 8, an 11, an 18, an 80, an 800, a 1,100."""
    digits = number_text.replace(",", "").lstrip("-")
    if not digits.isdigit():
        return "a"
    lead = digits[: len(digits) % 3 or 3]
    return "an" if digits.startswith("8") or lead in ("11", "18") else "a"


def _p_text(p: float) -> str:
    text = format_p_value(p, 2)
    # 0.045 and 0.054 both show as 0.05, which reads as the threshold itself, and a tiny
    # p-value deserves its usual 'p < 0.001': show 3 places then
    return format_p_value(p, 3) if text in ("p = 0.05", "p < 0.01") else text


def rolling_sentence(r: RollingComparison, subject: str = "incidents", *,
                     singular: str | None = None) -> str:
    """The house sentence for a rolling 12-month comparison.

    ``subject`` is plural ("incidents", "violence and sexual offences"); ``singular`` is used for
    a count of 1 (default: ``subject`` without its final s). An incomplete comparison says which
    months have no data instead of comparing.
    """
    lead = f"Between {_month(r.current.start)} and {_month(r.current.end)}"
    if not r.complete or r.current_count is None or r.previous_count is None:
        gap = missing_months_text(r.missing)
        if r.current_count is None:
            return (f"The {subject} of the 12 months from {_month(r.current.start)} to "
                    f"{_month(r.current.end)} cannot be counted or compared with the previous "
                    f"12 months: there is no data for {gap}.")
        return (f"{lead} {_there_were(r.current_count, subject, singular)}; this cannot be "
                f"compared with the previous 12 months as there is no data for {gap}.")
    now, before = r.current_count, r.previous_count
    head = f"{lead} {_there_were(now, subject, singular)}"
    if now == before:
        return f"{head}, the same as the previous 12 months."
    if before == 0:
        change = "up from none in the previous 12 months"
    else:
        pct = r.pct_change
        if pct is None:  # pragma: no cover - pct_change is None only for a zero base
            raise ValueError("rolling comparison with a non-zero base has no pct_change")
        direction = "increase" if now > before else "decrease"
        whole = abs(round_half_away(pct, 0))
        if whole == 0:
            size = "a less than 1%"
        else:
            number = format_number(whole)
            size = f"{indefinite_article(number)} {number}%"
        change = f"{size} {direction} on the previous 12 months ({format_number(before)})"
    if r.p_value is None or r.significant is None:
        return f"{head}, {change}."
    if r.significant:
        verdict = f"the change is statistically significant ({_p_text(r.p_value)})"
    else:
        verdict = f"the change is within what chance alone would produce ({_p_text(r.p_value)})"
    return f"{head}, {change}; {verdict}."


def _average_text(x: float) -> str:
    """Whole numbers from 100 up (612), one decimal below (10.3), rounded half away."""
    return format_number(x, 0 if abs(x) >= 100 else 1)


def yearly_average_sentence(row: Mapping[str, Any], subject: str = "incidents", *,
                            singular: str | None = None) -> str:
    """A sentence for one row of ``yearly_average_monthly``.

    "In 2024/25 there were 7,344 incidents, an average of 612 a month." A year with missing
    months says over how many months the average is taken (they are never counted as zero).
    """
    total = int(row["total"])
    months = int(row["months_with_data"])
    average = _average_text(float(row["average_monthly"]))
    head = f"In {row['period']} {_there_were(total, subject, singular)}"
    if bool(row["complete"]):
        return f"{head}, an average of {average} a month."
    span = "the one month" if months == 1 else f"the {months} months"
    return (f"{head} in {span} with data, an average of {average} a month "
            f"(the other months have no data and are not counted as zero).")


#: how each police.uk category is counted in a sentence: (plural, singular)
_SUBJECTS = {
    "Anti-social behaviour": ("ASB incidents", "ASB incident"),
    "Bicycle theft": ("bicycle thefts", "bicycle theft"),
    "Burglary": ("burglaries", "burglary"),
    "Criminal damage and arson": ("criminal damage and arson offences",
                                  "criminal damage or arson offence"),
    "Drugs": ("drug offences", "drug offence"),
    "Other crime": ("other crimes", "other crime"),
    "Other theft": ("other thefts", "other theft"),
    "Possession of weapons": ("possession of weapons offences",
                              "possession of weapons offence"),
    "Public order": ("public order offences", "public order offence"),
    "Robbery": ("robberies", "robbery"),
    "Shoplifting": ("shoplifting offences", "shoplifting offence"),
    "Theft from the person": ("thefts from the person", "theft from the person"),
    "Vehicle crime": ("vehicle crimes", "vehicle crime"),
    "Violence and sexual offences": ("violence and sexual offences",
                                     "violence or sexual offence"),
}


def subject_for(categories: Sequence[str] | None, *, asb_only: bool = False
                ) -> tuple[str, str]:
    """(plural, singular) noun for counting events of these police.uk categories."""
    if asb_only:
        return _SUBJECTS["Anti-social behaviour"]
    if not categories:
        return ("crimes", "crime")
    if len(categories) == 1:
        from commsafe import taxonomy

        name = taxonomy.standard_name(categories[0])
        return _SUBJECTS.get(name, (f"{name.lower()} offences", f"{name.lower()} offence"))
    return ("crimes of these types", "crime of these types")
