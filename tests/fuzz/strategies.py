"""Hypothesis strategies over the fuzz generator: whole cases of any kind (Hypothesis drives
the generator's random choices, so it can shrink a failing case), and police.uk street files
whose every cell Hypothesis draws, hostile values included, with any mutations."""

from __future__ import annotations

from hypothesis import strategies as st

from fuzz.generate import (
    BAD_COORDS,
    BAD_MONTHS,
    BYTE_MUTATIONS,
    CRIME_TYPES,
    ENCODINGS,
    HOSTILE,
    KINDS,
    STREET_HEADER,
    TABLE_MUTATIONS,
    TEXT_MUTATIONS,
    Case,
    Roles,
    build,
    table_file,
)

__all__ = ["cases", "cells", "mutation_lists", "street_cases"]

MUTATIONS = (*TABLE_MUTATIONS, *TEXT_MUTATIONS, *ENCODINGS, *BYTE_MUTATIONS)


def cases(kinds: tuple[str, ...] = KINDS) -> st.SearchStrategy[Case]:
    """Whole cases of ``kinds``, every random choice of the generator drawn by Hypothesis."""
    return st.builds(build, st.sampled_from(kinds), st.randoms(use_true_random=False),
                     st.integers(0, 2**31 - 1))


def cells(good: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A cell: mostly a good value, else hostile text, a bad month or coordinate, or any
    text at all."""
    return st.one_of(good, good, good, st.sampled_from((*HOSTILE, *BAD_MONTHS, *BAD_COORDS)),
                     st.text(max_size=40))


def mutation_lists() -> st.SearchStrategy[list[str]]:
    """Up to three mutations, at most one encoding."""
    return st.lists(st.sampled_from(MUTATIONS), max_size=3, unique=True).map(
        lambda ms: [m for m in ms if m not in ENCODINGS] + [m for m in ms if m in ENCODINGS][:1])


@st.composite
def street_cases(draw: st.DrawFn) -> Case:
    """One street file for ``commsafe ingest``, its cells drawn one by one."""
    month = draw(st.sampled_from(("2024-01", "2019-07", "2023-12")))
    force = "Hypo Constabulary"
    good = {
        "Crime ID": st.text("0123456789abcdef", min_size=64, max_size=64),
        "Month": st.just(month), "Reported by": st.just(force), "Falls within": st.just(force),
        "Longitude": st.floats(-0.5, 0.5).map(lambda v: f"{v:.6f}"),
        "Latitude": st.floats(52.0, 52.5).map(lambda v: f"{v:.6f}"),
        "Location": st.just("On or near Hill Road"), "LSOA code": st.just("E01017959"),
        "LSOA name": st.just("Cambridge 001A"), "Crime type": st.sampled_from(CRIME_TYPES),
        "Last outcome category": st.just("Under investigation"), "Context": st.just(""),
    }
    rows = draw(st.lists(st.tuples(*(cells(good[h]) for h in STREET_HEADER)).map(list),
                         min_size=1, max_size=6))
    mutations = draw(mutation_lists())
    rng = draw(st.randoms(use_true_random=False))
    data = table_file(rng, STREET_HEADER, rows, Roles(months=(1,), coords=(4, 5)), mutations)
    rel = f"in/{month}-hypo-street.csv"
    return Case("street", -1, {rel: data}, ["ingest", f"@{rel}", "-q"], mutations,
                recount={rel: ("police", data)}, names=(rel,), label="hypothesis cells")
