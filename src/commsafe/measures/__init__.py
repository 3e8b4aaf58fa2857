"""Measures, as a Python API mirroring the CLI (for notebooks).

    >>> from commsafe.store import open_store
    >>> from commsafe import measures
    >>> with open_store("commsafe.duckdb", read_only=True) as st:          # doctest: +SKIP
    ...     df = measures.performance_table(store=st, kind="quarter")
    ...     rates = measures.rates_table(st, "ward", period=...)

Each returns a pandas DataFrame; ``df.attrs["notes"]`` holds the defaults chosen and caveats.
Imports are lazy so that `commsafe counts` stays quick to start.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "change_test",
    "count_and_rate_by_year",
    "count_events",
    "crosstab_shares",
    "load_weights",
    "monthly_counts",
    "performance_table",
    "poisson_ci",
    "rate_ci_per_1000",
    "rate_per_1000",
    "rates_table",
    "read_counts",
    "rolling_comparison",
    "round_half_away",
    "spec_from_text",
    "yearly_average_monthly",
]

_WHERE = {
    "change_test": "commsafe.measures.significance",
    "count_and_rate_by_year": "commsafe.measures.trends",
    "count_events": "commsafe.measures.counts",
    "crosstab_shares": "commsafe.measures.crosstab",
    "load_weights": "commsafe.measures.harm",
    "monthly_counts": "commsafe.measures.trends",
    "performance_table": "commsafe.measures.performance",
    "poisson_ci": "commsafe.measures.intervals",
    "rate_ci_per_1000": "commsafe.measures.intervals",
    "rate_per_1000": "commsafe.measures.intervals",
    "rates_table": "commsafe.measures.rates",
    "read_counts": "commsafe.sources.counts",
    "rolling_comparison": "commsafe.measures.trends",
    "round_half_away": "commsafe.measures.rounding",
    "spec_from_text": "commsafe.measures.performance",
    "yearly_average_monthly": "commsafe.measures.trends",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'commsafe.measures' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
