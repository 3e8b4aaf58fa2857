"""Two-way tables of counts and their shares of the grand total (e.g. NRM referrals by
exploitation type × nationality).

``counts`` and ``shares`` carry a 'Total' row and column. Shares are exact fractions of the
grand total as floats in 0..1. ``display_shares`` rounds every cell, and every total, from its
own exact share, half away from zero to whole percent: totals are never summed from rounded
cells, and a non-zero share that would show as 0% shows '<1%'.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from commsafe.errors import InputError
from commsafe.measures.rounding import format_share

__all__ = ["MISSING_LABEL", "TOTAL", "Crosstab", "crosstab_shares"]

#: label of the total row and column
TOTAL = "Total"
#: label for records whose row or column value is blank
MISSING_LABEL = "Not recorded"


@dataclass(frozen=True, eq=False)
class Crosstab:
    """Counts and shares of ``rows`` × ``columns``, each with a 'Total' row and column."""

    rows: str
    columns: str
    counts: pd.DataFrame
    shares: pd.DataFrame

    def display_shares(self, dp: int = 0) -> pd.DataFrame:
        """Shares as text ('22%'), each cell and total rounded from its own exact share."""
        return self.shares.map(lambda share: format_share(float(share), dp))

    def transpose(self) -> Crosstab:
        """The same table with rows and columns swapped."""
        return Crosstab(rows=self.columns, columns=self.rows, counts=self.counts.T.copy(),
                        shares=self.shares.T.copy())


def _labels(values: pd.Series) -> pd.Series:
    """Category labels with blanks (NaN, None, empty text) as MISSING_LABEL."""
    blank = values.isna() | values.astype(str).str.strip().eq("")
    labels = values.astype(object).where(~blank, MISSING_LABEL)
    return labels


def crosstab_shares(records: pd.DataFrame, rows: str, columns: str,
                    value: str | None = None) -> Crosstab:
    """Counts of ``rows`` × ``columns`` (the sum of ``value``, else the number of records).

    Blank categories are kept under 'Not recorded' so the grand total is every record.
    Rows and columns are in sorted order (category order for a categorical column), then
    'Total'. Swap ``rows`` and ``columns`` for the
    transposed table.
    """
    if not isinstance(records, pd.DataFrame):
        raise InputError(f"crosstab_shares: records is a {type(records).__name__}, not a "
                         "pandas DataFrame. Fix: pass a DataFrame with one row per record.")
    wanted = [rows, columns] + ([value] if value is not None else [])
    if rows == columns:
        raise InputError(f"crosstab_shares: rows and columns are both {rows!r}. "
                         "Fix: name two different columns.")
    if value is not None and value in (rows, columns):
        raise InputError(f"crosstab_shares: value {value!r} is also a row or column "
                         "dimension. Fix: name a separate column to sum, or pass value=None.")
    missing = [name for name in wanted if name not in records.columns]
    if missing:
        raise InputError(f"crosstab_shares: column(s) {', '.join(map(repr, missing))} not in "
                         f"the records (it has {', '.join(map(repr, records.columns))}). "
                         "Fix: name columns that exist.")
    if records.empty:
        raise InputError("crosstab_shares: no records, so there are no shares to compute. "
                         "Fix: check the filter or period that produced the records.")

    frame = pd.DataFrame({"_row": _labels(records[rows]), "_col": _labels(records[columns])})
    for name, dim in ((rows, "_row"), (columns, "_col")):
        if frame[dim].astype(str).eq(TOTAL).any():
            raise InputError(f"crosstab_shares: column {name!r} has a category named "
                             f"{TOTAL!r}, which would clash with the totals. Fix: rename it "
                             "or drop total rows from the records.")
    if value is None:
        frame["_value"] = 1
    else:
        amounts = records[value]
        if is_bool_dtype(amounts) or not is_numeric_dtype(amounts):
            raise InputError(f"crosstab_shares: column {value!r} is not numeric "
                             f"(dtype {amounts.dtype}). Fix: pass a column of counts.")
        if amounts.isna().any():
            raise InputError(f"crosstab_shares: column {value!r} has {int(amounts.isna().sum())}"
                             " blank value(s). Fix: fill or drop them before tabulating.")
        if (amounts < 0).any():
            raise InputError(f"crosstab_shares: column {value!r} has negative value(s), e.g. "
                             f"{amounts[amounts < 0].iloc[0]!r}. Fix: counts must be ≥ 0.")
        frame["_value"] = amounts.to_numpy()

    table = frame.groupby(["_row", "_col"], sort=False)["_value"].sum().unstack(fill_value=0)
    table = table.reindex(index=_ordered(table.index, records[rows]),
                          columns=_ordered(table.columns, records[columns]))
    table[TOTAL] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum(axis=0)
    table.index.name = rows
    table.columns.name = columns

    grand = table.loc[TOTAL, TOTAL]
    if grand == 0:
        raise InputError(f"crosstab_shares: the total of {value!r} is 0, so shares are "
                         "undefined. Fix: check the value column or the records selected.")
    shares = table.astype(float) / float(grand)
    return Crosstab(rows=rows, columns=columns, counts=table, shares=shares)


def _ordered(labels: pd.Index, source: pd.Series) -> list[object]:
    """Labels in category order for a categorical column, else sorted (as text when the
    types are mixed); 'Not recorded' last."""
    present = [label for label in labels if label != MISSING_LABEL]
    if isinstance(source.dtype, pd.CategoricalDtype):
        seen = set(present)
        ordered = [label for label in source.cat.categories if label in seen]
    else:
        try:
            ordered = sorted(present)
        except TypeError:
            ordered = sorted(present, key=str)
    return ordered + [MISSING_LABEL] * (len(present) != len(labels))
