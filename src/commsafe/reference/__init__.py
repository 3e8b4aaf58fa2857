"""Reference data: areas and their links, boundaries and population, loaded into the store.

``load_reference(store, paths)`` loads lookups, boundaries and population files recognised by
their content; ``reference_summary(con)`` counts what the store holds. Formats are documented
in :mod:`commsafe.reference.geography` and :mod:`commsafe.reference.population`.
"""

from __future__ import annotations

from commsafe.reference.geography import (
    AREA_TYPES,
    check_code,
    is_ons_code,
    parse_area_column,
    reference_summary,
)
from commsafe.reference.loader import Progress, find_reference_files, load_reference, recognise
from commsafe.reference.population import normalise_sex, parse_age_band

__all__ = [
    "AREA_TYPES",
    "Progress",
    "check_code",
    "find_reference_files",
    "is_ons_code",
    "load_reference",
    "normalise_sex",
    "parse_age_band",
    "parse_area_column",
    "recognise",
    "reference_summary",
]
