from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsafe.taxonomy import (
    ASB,
    CRIME_TYPES,
    LEGACY_CATEGORIES,
    LEGACY_NAMES,
    is_asb,
    is_known,
    sql_standard_name,
    standard_name,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POLICE_UK = DATA / "police-uk"


def _street_crime_types() -> Counter[str]:
    if not POLICE_UK.is_dir():
        pytest.skip(f"real police.uk data not found at {POLICE_UK} (see shared/data/README.md)")
    files = sorted(POLICE_UK.glob("**/*street.csv"))
    if not files:
        pytest.skip(f"no *street.csv files under {POLICE_UK}")
    counts: Counter[str] = Counter()
    for path in files:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                counts[row["Crime type"]] += 1
    return counts


def _sql(values: list[str | None]) -> list[str | None]:
    expression = sql_standard_name("v")
    result = duckdb.execute(
        f"SELECT i, {expression} FROM "
        "(SELECT unnest($1::VARCHAR[]) AS v, unnest(range(len($1::VARCHAR[]))) AS i) ORDER BY i",
        [values],
    )
    return [value for (_, value) in result.fetchall()]


def test_current_categories() -> None:
    assert len(CRIME_TYPES) == 13
    assert len(set(CRIME_TYPES)) == 13
    assert ASB == "Anti-social behaviour"
    assert ASB not in CRIME_TYPES
    assert CRIME_TYPES[-1] == "Other crime"
    assert {"Violence and sexual offences", "Shoplifting", "Public order"} <= set(CRIME_TYPES)


def test_every_real_crime_type_is_a_current_name() -> None:
    counts = _street_crime_types()
    assert counts, "street files had no rows"
    for published in counts:
        assert is_known(published), published
        assert standard_name(published) in (*CRIME_TYPES, ASB), published
    # Today's files carry every current category and nothing else.
    assert {standard_name(name) for name in counts} == {*CRIME_TYPES, ASB}


def test_real_asb_rows_have_no_crime_id() -> None:
    if not POLICE_UK.is_dir():
        pytest.skip(f"real police.uk data not found at {POLICE_UK} (see shared/data/README.md)")
    path = next(iter(sorted(POLICE_UK.glob("**/*street.csv"))), None)
    if path is None:
        pytest.skip(f"no *street.csv files under {POLICE_UK}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    asb = [row for row in rows if is_asb(row["Crime type"])]
    crimes = [row for row in rows if not is_asb(row["Crime type"])]
    assert asb and crimes
    assert all(row["Crime ID"] == "" for row in asb)
    assert all(row["Crime ID"] != "" for row in crimes)


def test_legacy_names() -> None:
    assert standard_name("Violent crime") == "Violence and sexual offences"
    assert standard_name(" violent CRIME ") == "Violence and sexual offences"
    # Split in 2013 into 'Public order' and 'Possession of weapons': kept distinct.
    assert standard_name("Public disorder and weapons") == "Public disorder and weapons"
    assert standard_name("public disorder and weapons") == "Public disorder and weapons"
    assert "Public disorder and weapons" in LEGACY_CATEGORIES
    assert "Public disorder and weapons" not in CRIME_TYPES
    assert is_known("Public disorder and weapons")
    for old, new in LEGACY_NAMES.items():
        assert old not in CRIME_TYPES
        assert new in CRIME_TYPES or new in LEGACY_CATEGORIES
        assert standard_name(old) == new


def test_standard_name_normalises_case_and_whitespace() -> None:
    assert standard_name("  burglary\t") == "Burglary"
    assert standard_name("ANTI-SOCIAL BEHAVIOUR") == ASB
    assert standard_name("\u00a0Drugs\n") == "Drugs"
    assert standard_name("  Fraud  ") == "Fraud"
    assert not is_known("Fraud")
    assert standard_name("") == ""


def test_asb_is_never_a_crime() -> None:
    assert is_asb(ASB)
    assert is_asb(" anti-social behaviour ")
    assert not any(is_asb(name) for name in CRIME_TYPES)
    assert not any(is_asb(name) for name in LEGACY_NAMES)
    assert not is_asb("Anti-social behaviour and crime")
    assert all(standard_name(name) != ASB for name in (*CRIME_TYPES, *LEGACY_NAMES))


KNOWN = [*CRIME_TYPES, ASB, *LEGACY_NAMES]


def test_sql_matches_python_for_known_names_in_many_spellings() -> None:
    spellings = [
        variant
        for name in KNOWN
        for variant in (name, name.upper(), name.lower(), f"  {name}\t", f"\u3000{name.swapcase()}")
    ]
    assert _sql(spellings) == [standard_name(s) for s in spellings]


def test_sql_keeps_unknown_trimmed_and_null() -> None:
    assert _sql(["  Fraud ", None, "O'Brien's crime", ""]) == [
        "Fraud",
        None,
        "O'Brien's crime",
        "",
    ]


# Letters whose Unicode lower case differs between Python and DuckDB, or is ASCII.
LOOKALIKES = {"i": "\u0130", "I": "\u0130", "k": "\u212a", "s": "\u017f", "S": "\u017f"}


def _vary(name: str, changes: list[int]) -> str:
    """Change letters of ``name``: 0 keep, 1 swap case, 2 replace by a Unicode lookalike."""
    out = []
    for char, change in zip(name, [*changes, *[0] * len(name)], strict=False):
        if change == 1:
            out.append(char.swapcase())
        elif change == 2:
            out.append(LOOKALIKES.get(char, char))
        else:
            out.append(char)
    return "".join(out)


texts = st.one_of(
    st.text(),
    st.builds(
        lambda name, changes, left, right: left + _vary(name, changes) + right,
        st.sampled_from(KNOWN),
        st.lists(st.sampled_from([0, 0, 1, 2]), max_size=40),
        st.text(alphabet=" \t\n\u00a0\u2003\u200b", max_size=3),
        st.text(alphabet=" \t\r\u3000\u0085\ufeff", max_size=3),
    ),
)


def test_lookalike_letters_do_not_match() -> None:
    assert standard_name("Shoplifting".replace("i", "\u0130")) == "Shopl\u0130ft\u0130ng"
    assert _sql(["Shopl\u0130ft\u0130ng"]) == ["Shopl\u0130ft\u0130ng"]


@given(st.lists(texts, min_size=1, max_size=20))
def test_sql_agrees_with_python_on_random_text(values: list[str]) -> None:
    assert _sql(list(values)) == [standard_name(v) for v in values]
