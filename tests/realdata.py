"""Helpers shared by the real-data build tests (not a test module)."""

from __future__ import annotations

import csv
from pathlib import Path

#: the reference files a Cambridge build needs, under ../shared/data
REFERENCE = ("geography/lookup_lsoa21_ward24_ltla24.csv",
             "geography/lookup_ltla24_csp24_pfa24.csv",
             "geography/lookup_lsoa11_lsoa21_ltla22.csv",
             "geography/lsoa21_boundaries.geojson",
             "geography/wards22_boundaries.geojson",
             "geography/ltla24_boundaries.geojson",
             "population/census2021_lsoa21_usual_residents.csv")


def rows_of(path: Path) -> list[dict[str, str]]:
    """A CSV's rows as dicts."""
    with path.open(newline="", encoding="utf-8") as h:
        return list(csv.DictReader(h))
