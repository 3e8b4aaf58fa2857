"""Crime types published by police.uk in street-level crime files (the ``Crime type`` column).

Current street files carry 14 categories: 13 crime types (:data:`CRIME_TYPES`, in the order the
police.uk crime-categories list gives them, with 'Other crime' last) and 'Anti-social
behaviour' (:data:`ASB`), which is not a crime and is never counted among crimes. All 14 occur in
the real extracts checked: Cambridgeshire 2018-10…2019-02 and 2024, City of London 2024-01…2025-12
and West Yorkshire 2016-07, 2017-07 and 2018-07.

Earlier names (:data:`LEGACY_NAMES`):

- 'Violent crime' was renamed 'Violence and sexual offences' in May 2013; same coverage, so it
  maps to the current name.
- 'Public disorder and weapons' (September 2011 to April 2013) was split in May 2013 into
  'Public order' and 'Possession of weapons'. No one-to-one mapping exists, so
  :func:`standard_name` keeps it as its own legacy category (:data:`LEGACY_CATEGORIES`); sum the
  two current types to compare with it.

Some names kept their wording but changed coverage, which no renaming can fix: 'Other theft'
included bicycle theft and theft from the person until May 2013, and 'Other crime' covered
everything outside the first five categories until September 2011.
"""

from __future__ import annotations

import string
from typing import Final

__all__ = [
    "ASB",
    "CRIME_TYPES",
    "LEGACY_CATEGORIES",
    "LEGACY_NAMES",
    "is_asb",
    "is_known",
    "sql_standard_name",
    "standard_name",
]

ASB: Final = "Anti-social behaviour"

CRIME_TYPES: Final[tuple[str, ...]] = (
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
    "Other crime",
)
"""Current police.uk crime types (ASB excluded), in police.uk's order."""

LEGACY_CATEGORIES: Final[tuple[str, ...]] = ("Public disorder and weapons",)
"""Old names with no current equivalent; :func:`standard_name` keeps them as they are."""

LEGACY_NAMES: Final[dict[str, str]] = {
    "Violent crime": "Violence and sexual offences",
    "Public disorder and weapons": "Public disorder and weapons",
}
"""Names police.uk used before May 2013, mapped to the name :func:`standard_name` returns."""

# Matching folds ASCII case only and strips what ``str.strip()`` strips, so that the SQL
# expression (DuckDB's lower() folds more of Unicode than Python's) agrees exactly.
_WHITESPACE: Final = (  # every character for which str.isspace() is true
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_ASCII_FOLD: Final = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

_LOOKUP: Final[dict[str, str]] = {
    **{name.lower(): name for name in (*CRIME_TYPES, ASB)},
    **{old.lower(): new for old, new in LEGACY_NAMES.items()},
}


def _key(text: str) -> str:
    return text.strip(_WHITESPACE).translate(_ASCII_FOLD)


def standard_name(published: str) -> str:
    """The current name for a published crime type; unknown names come back stripped.

    Leading and trailing whitespace is ignored and letters match regardless of (ASCII) case.
    """
    return _LOOKUP.get(_key(published), published.strip(_WHITESPACE))


def is_asb(name: str) -> bool:
    """Whether ``name`` is anti-social behaviour (which is not a crime type)."""
    return standard_name(name) == ASB


def is_known(name: str) -> bool:
    """Whether ``name`` is a current or legacy police.uk category, ASB included."""
    return _key(name) in _LOOKUP


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_standard_name(column: str) -> str:
    """A DuckDB CASE expression doing :func:`standard_name` on ``column``.

    ``column`` is inserted as written (an identifier or expression the caller trusts). Matching
    is on the trimmed, ASCII-lower-cased text; unknown values come back trimmed, NULL stays NULL.
    """
    trimmed = f"trim({column}, {_sql_string(_WHITESPACE)})"
    key = (
        f"translate({trimmed}, {_sql_string(string.ascii_uppercase)}, "
        f"{_sql_string(string.ascii_lowercase)})"
    )
    branches = " ".join(
        f"WHEN {_sql_string(lowered)} THEN {_sql_string(name)}" for lowered, name in _LOOKUP.items()
    )
    return f"CASE {key} {branches} ELSE {trimmed} END"
