"""Statistical disclosure control for published Community Safety Partnership tables.

Small counts of sensitive offences (sexual offences, domestic abuse, hate crime, …) can identify
victims in a small area, so a published table must not show them, and must not let a reader
work them out again from the totals printed beside them.

:func:`suppress` applies two rules:

* **Primary suppression.** In a row whose category is *protected* (see :class:`DisclosureRules`)
  every count ``0 < value < threshold`` is replaced by :attr:`DisclosureRules.mark` (``"<5"``).
  **Zero is not suppressed**, as is common ONS practice: a zero does not identify anyone, and
  hiding zeros would make every empty cell look like a small count.
* **Secondary (complementary) suppression.** A *line* is a set of published cells tied by one
  equation: a declared total row's cell equals the sum of the other rows' cells in that column,
  and a declared total column's cell equals the sum of the other value columns in that row.
  If a line has exactly one suppressed cell, that cell is the total minus the rest and can be
  recovered, so the smallest other non-suppressed cell of the line is suppressed too (a
  non-zero, non-total cell if there is one: the total stays published). This repeats until no
  line has exactly one suppressed cell, because row and column lines interact; then all the
  lines are solved together and more cells are suppressed while a primary cell is still fixed
  by a combination of them (:func:`protect`, which takes any system of linked cells).
  Secondarily suppressed cells show :attr:`DisclosureRules.secondary_mark` (``"[c]"``, the GSS
  shorthand for *confidential*), since they are not necessarily below the threshold; set it to
  the primary mark to show one symbol for both.
* **Derived columns** (``change``, ``pct_change``, rates, …) named in ``derived`` are suppressed
  in a row whenever any column they are computed from is suppressed in that row; otherwise the
  count could be recovered from e.g. last year's count and the change.

:func:`recoverable` implements the attack the secondary rule defends against; the tests use it.
It only considers single equations (a line with exactly one hidden cell); it does not solve the
whole system of equations or use bounds such as "every count is at least 0".
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Number
from typing import Any, cast

import numpy as np
import pandas as pd

from commsafe.errors import InputError
from commsafe.hierarchy import OffenceGroup, descendants, find_group, find_marker, normalise

__all__ = [
    "DEFAULT_PROTECTED",
    "DisclosureRules",
    "Plan",
    "Suppressed",
    "protect",
    "recoverable",
    "recoverable_cells",
    "suppress",
]

Cell = tuple[Hashable, str]
"""A table cell: (row index label, column name)."""

DEFAULT_PROTECTED: tuple[str, ...] = (
    "Sexual offences",
    "Rape",
    "Other sexual offences",
    "Child sexual exploitation",
    "Domestic abuse",
    "Modern slavery",
    "Hate crime",
)
"""Categories whose small counts are suppressed by default."""


@dataclass(frozen=True)
class DisclosureRules:
    """Which categories are protected, below which count, and how suppressed cells are shown.

    A category is protected when, after :func:`commsafe.hierarchy.normalise` (case, dashes,
    ``&``), it is one of ``protected``, is an alias of the same hierarchy group or marker
    (e.g. "Hate crimes", "CSE"), or is a subgroup of a protected hierarchy group (protecting
    "Sexual offences" protects "Rape"). Only the listed names count: the police.uk type
    "Violence and sexual offences" is *not* protected by default, because it is dominated by
    violence and spans two groups; add it to ``protected`` if a table needs it.
    """

    threshold: int = 5
    protected: tuple[str, ...] = DEFAULT_PROTECTED
    mark: str | None = None
    """Shown for primarily suppressed cells; defaults to ``f"<{threshold}"``."""
    secondary_mark: str = "[c]"
    """Shown for secondarily suppressed cells and suppressed derived cells."""
    _names: frozenset[str] = field(init=False, repr=False, compare=False)
    _groups: frozenset[str] = field(init=False, repr=False, compare=False)
    _markers: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise InputError(f"threshold {self.threshold!r} must be a whole number")
        if self.threshold < 1:
            raise InputError(f"threshold {self.threshold} must be at least 1")
        if isinstance(self.protected, str):
            raise InputError(
                f"protected {self.protected!r} must be a sequence of category names, not one "
                'string. Fix: write protected=("Rape",)'
            )
        object.__setattr__(self, "protected", tuple(self.protected))
        if self.mark is None:
            object.__setattr__(self, "mark", f"<{self.threshold}")
        groups: set[str] = set()
        markers: set[str] = set()
        for name in self.protected:
            group = find_group(name)
            if group is not None:
                groups.add(group.key)
                groups.update(sub.key for sub in descendants(group.key))
            marker = find_marker(name)
            if marker is not None:
                markers.add(marker)
        object.__setattr__(self, "_names", frozenset(normalise(n) for n in self.protected))
        object.__setattr__(self, "_groups", frozenset(groups))
        object.__setattr__(self, "_markers", frozenset(markers))

    @property
    def primary_mark(self) -> str:
        """The mark of primarily suppressed cells (never None after construction)."""
        return self.mark if self.mark is not None else f"<{self.threshold}"

    def is_protected(self, category: object) -> bool:
        """Whether rows of ``category`` have their small counts suppressed."""
        if not isinstance(category, str):
            return False
        if normalise(category) in self._names:
            return True
        group: OffenceGroup | None = find_group(category)
        if group is not None and group.key in self._groups:
            return True
        marker = find_marker(category)
        return marker is not None and marker in self._markers

    def rule_text(self) -> str:
        """The rule in words, for a table's footnote."""
        span = f"1–{self.threshold - 1}" if self.threshold > 2 else "1"
        if self.threshold == 1:
            return "no counts are suppressed (threshold 1)"
        return (
            f"counts of {span} in protected categories are shown as {self.primary_mark}; "
            f"zero is shown; further cells shown as {self.secondary_mark} are suppressed so "
            "that suppressed counts cannot be worked out from totals"
        )


@dataclass(frozen=True)
class Suppressed:
    """The result of :func:`suppress`."""

    frame: pd.DataFrame
    """The table; a column with suppressed cells is object dtype and shows the marks there."""
    suppressed: set[Cell]
    """Every suppressed (row index label, column) cell: primary, secondary and derived."""
    primary: set[Cell]
    """The cells suppressed because they are small counts in a protected category."""
    notes: list[str]
    """Footnotes: the rule and how many cells each step suppressed."""


# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class _Line:
    """Cells tied by ``total == sum(members)``."""

    total: Cell
    members: tuple[Cell, ...]

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (self.total, *self.members)


def _check_columns(table: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    for column in columns:
        if column not in table.columns:
            raise InputError(
                f"{what} {column!r} is not a column of the table; columns are "
                f"{', '.join(map(str, table.columns))}"
            )


def _total_row_labels(
    table: pd.DataFrame, category_column: str, total_rows: Sequence[str]
) -> list[Hashable]:
    wanted = {normalise(name): name for name in total_rows}
    labels: list[Hashable] = []
    found: set[str] = set()
    for label, category in table[category_column].items():
        if isinstance(category, str) and normalise(category) in wanted:
            labels.append(label)
            found.add(normalise(category))
    missing = [name for key, name in wanted.items() if key not in found]
    if missing:
        raise InputError(
            f"total row(s) {', '.join(map(repr, missing))} not found in column "
            f"{category_column!r}. Fix: name the total rows exactly as the categories are written"
        )
    return labels


def _lines(
    table: pd.DataFrame,
    value_columns: Sequence[str],
    category_column: str,
    total_rows: Sequence[str],
    total_columns: Sequence[str],
) -> list[_Line]:
    """Every equation the published table satisfies."""
    if isinstance(value_columns, str) or isinstance(total_columns, str):
        raise InputError("value_columns and total_columns must be sequences of column names")
    if isinstance(total_rows, str):
        raise InputError("total_rows must be a sequence of category names")
    _check_columns(table, value_columns, "value column")
    _check_columns(table, [category_column], "category column")
    stray = [c for c in total_columns if c not in value_columns]
    if stray:
        raise InputError(
            f"total column(s) {', '.join(map(repr, stray))} must also be listed in value_columns"
        )
    if not table.index.is_unique:
        raise InputError("the table's index has repeated labels. Fix: reset_index() first")
    total_labels = _total_row_labels(table, category_column, total_rows)
    member_rows = [label for label in table.index if label not in set(total_labels)]
    member_columns = [c for c in value_columns if c not in total_columns]
    lines: list[_Line] = []
    for total_label in total_labels:
        for column in value_columns:
            lines.append(_Line((total_label, column), tuple((r, column) for r in member_rows)))
    for total_column in total_columns:
        for label in table.index:
            lines.append(_Line((label, total_column), tuple((label, c) for c in member_columns)))
    return lines


# --------------------------------------------------------------------------- suppression


def _counts(table: pd.DataFrame, value_columns: Sequence[str]) -> dict[Cell, float]:
    values: dict[Cell, float] = {}
    for column in value_columns:
        for label, value in table[column].items():
            is_number = isinstance(value, Number) and not isinstance(value, bool)
            if not is_number or value != value:  # NaN is the only value unequal to itself
                raise InputError(
                    f"row {label!r}, column {column!r}, value {value!r} is not a count. "
                    "Fix: fill or drop missing values before suppressing"
                )
            number = float(value)
            if number < 0:
                raise InputError(
                    f"row {label!r}, column {column!r}, value {value!r} is negative; "
                    "suppression applies to counts"
                )
            values[(label, column)] = number
    return values


def _check_lines(lines: Sequence[_Line], values: Mapping[Cell, float]) -> None:
    for line in lines:
        total = values[line.total]
        summed = sum(values[cell] for cell in line.members)
        if abs(total - summed) > 1e-9 * max(1.0, abs(total)):
            label, column = line.total
            raise InputError(
                f"total at row {label!r}, column {column!r} is {total:g} but the cells it totals "
                f"sum to {summed:g}. Fix: recompute the totals or do not declare them as totals"
            )


def suppress(
    table: pd.DataFrame,
    *,
    value_columns: Sequence[str],
    category_column: str = "category",
    total_rows: Sequence[str] = (),
    total_columns: Sequence[str] = (),
    derived: Mapping[str, Sequence[str]] | None = None,
    rules: DisclosureRules,
) -> Suppressed:
    """Suppress small protected counts and every cell needed to keep them hidden.

    ``value_columns`` are the count columns (including any ``total_columns``, each the sum of
    the other value columns). ``total_rows`` names categories whose row is the sum of all the
    other rows that are not totals. ``derived`` maps a derived column to the columns it is
    computed from. Raises :class:`~commsafe.errors.InputError` for unknown columns, counts that
    are missing or negative, or declared totals that do not add up. The input is not changed.
    """
    derived = dict(derived or {})
    lines = _lines(table, value_columns, category_column, total_rows, total_columns)
    _check_columns(table, derived, "derived column")
    for column, inputs in derived.items():
        if isinstance(inputs, str):
            raise InputError(f"derived column {column!r}: inputs must be a sequence of columns")
        _check_columns(table, inputs, f"input of derived column {column!r}")
        if column in value_columns:
            raise InputError(f"derived column {column!r} is also a value column")
    values = _counts(table, value_columns)
    _check_lines(lines, values)

    primary: set[Cell] = set()
    for label, category in table[category_column].items():
        if rules.is_protected(category):
            for column in value_columns:
                if 0 < values[(label, column)] < rules.threshold:
                    primary.add((label, column))

    plan = protect(values, [(line.total, line.members) for line in lines], primary)
    secondary = cast(set[Cell], set(plan.secondary))
    hidden = cast(set[Cell], set(plan.primary)) | secondary

    derived_cells: set[Cell] = set()
    changed = True
    while changed:
        changed = False
        for column, inputs in derived.items():
            for label in table.index:
                cell = (label, column)
                if cell in derived_cells:
                    continue
                if any((label, i) in hidden or (label, i) in derived_cells for i in inputs):
                    derived_cells.add(cell)
                    changed = True

    frame = table.copy()
    marks: dict[Cell, str] = {cell: rules.primary_mark for cell in primary}
    marks.update({cell: rules.secondary_mark for cell in secondary | derived_cells})
    for column in {column for _, column in marks}:
        frame[column] = frame[column].astype(object)
    for (label, column), mark in marks.items():
        frame.loc[label, column] = mark

    notes = [
        rules.rule_text()[0].upper() + rules.rule_text()[1:] + ".",
        f"{len(primary)} cell(s) suppressed as small counts (primary), {len(secondary)} more "
        f"so they cannot be recovered from totals (secondary), {len(derived_cells)} derived "
        "cell(s) computed from suppressed counts.",
    ]
    return Suppressed(frame=frame, suppressed=hidden | derived_cells, primary=primary, notes=notes)


# --------------------------------------------------------------------------- linked cells


@dataclass(frozen=True)
class Plan:
    """Which cells of a system of linked counts to withhold (:func:`protect`)."""

    primary: frozenset[Hashable]
    """Small protected counts."""
    secondary: frozenset[Hashable]
    """Cells withheld so that no primary cell can be worked out."""
    exposed: frozenset[Hashable]
    """Primary cells still determined by the published cells: only when every cell that
    could hide them is a known (published elsewhere) total. Normally empty."""
    unchecked: int = 0
    """Hidden cells in groups too large for the exact check (protected by the one-equation
    rule only)."""


def protect(values: Mapping[Any, float], lines: Sequence[tuple[Hashable,
            Sequence[Hashable]]], primary: Iterable[Hashable], *,
            known: Iterable[Hashable] = (), exact_limit: int = 1500) -> Plan:
    """Withhold ``primary`` cells and enough others that none can be worked out from the
    cells published.

    ``values`` holds every cell's true count; each line ``(total, members)`` says
    ``values[total] == sum(values[m] for m in members)`` (a table's total row, an area's All
    crime over its crime types, a ward over its LSOAs, a year over its months…), across
    whatever tables publish the cells. ``known`` cells are published elsewhere and are never
    withheld (a partnership's total in the document).

    1. **One equation at a time**: while a line has exactly one withheld cell, withhold one
       more of it: a member rather than the total, a non-zero count rather than a zero, the
       smallest, then the first in the line (sweeping the lines in order, so the result is
       the same every time).
    2. **Every equation together**: a withheld cell is still worked out when it is fixed by
       a combination of lines (in a table with row and column totals, a cell that lies on
       no cycle of withheld cells is). For each connected group of withheld cells of at most
       ``exact_limit`` cells, a primary cell is fixed exactly when every vector of the null
       space of the group's equations is zero there; one more cell of a line through it is
       then withheld, and both steps run again.
    """
    known_set = set(known)
    all_lines = [(t, tuple(m)) for t, m in lines]
    by_cell: dict[Hashable, list[int]] = {}
    for k, (t, members) in enumerate(all_lines):
        for c in (t, *members):
            by_cell.setdefault(c, []).append(k)
    first = set(primary)
    hidden: set[Hashable] = set()
    count = [0] * len(all_lines)

    def hide(cell: Hashable) -> None:
        if cell not in hidden:
            hidden.add(cell)
            for k in by_cell.get(cell, ()):
                count[k] += 1

    def candidates(k: int) -> list[Hashable]:
        t, members = all_lines[k]
        cells = (t, *members)
        order = {c: i for i, c in enumerate(cells)}
        free = [c for c in cells if c not in hidden and c not in known_set]
        return sorted(free, key=lambda c: (c == t, values[c] == 0, values[c], order[c]))

    def close() -> None:
        changed = True
        while changed:
            changed = False
            for k in range(len(all_lines)):
                if count[k] == 1:
                    free = candidates(k)
                    if free:
                        hide(free[0])
                        changed = True

    def nearest_free(cell: Hashable) -> Hashable | None:
        """A cell to withhold for a fixed ``cell``: from a line through it, else from a line
        through the withheld cells nearest it (breadth first), the first choice of that
        line."""
        seen, frontier = {cell}, [cell]
        while frontier:
            nxt: list[Hashable] = []
            for c in frontier:
                for k in by_cell.get(c, ()):
                    free = candidates(k)
                    if free:
                        return free[0]
                    t, members = all_lines[k]
                    for d in (t, *members):
                        if d in hidden and d not in seen:
                            seen.add(d)
                            nxt.append(d)
            frontier = nxt
        return None

    for cell in sorted(first, key=repr):
        hide(cell)
    close()
    unchecked = 0
    stuck: set[Hashable] = set()
    while True:
        fixed, unchecked = _determined(all_lines, by_cell, hidden, first, exact_limit)
        fixed -= stuck
        if not fixed:
            break
        for cell in sorted(fixed, key=repr):
            free = nearest_free(cell)
            if free is None:
                stuck.add(cell)
                continue
            hide(free)
        close()
    exposed = frozenset(c for c in stuck if c in first)
    return Plan(frozenset(first), frozenset(hidden - first), exposed, unchecked)


def _determined(lines: Sequence[tuple[Hashable, Sequence[Hashable]]],
                by_cell: Mapping[Hashable, Sequence[int]], hidden: set[Hashable],
                targets: set[Hashable], limit: int) -> tuple[set[Hashable], int]:
    """The ``targets`` a reader can work out from the lines, each connected group of hidden
    cells (cells sharing a line) solved exactly; and how many hidden cells were in groups
    over ``limit`` cells, left unchecked."""
    if not targets & hidden:  # nothing small withheld (most tables): nothing to solve
        return set(), 0
    from scipy.linalg import null_space  # lazy on purpose: scipy.linalg costs the CLI's start

    parent: dict[Hashable, Hashable] = {c: c for c in hidden}

    def find(c: Hashable) -> Hashable:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    touched: set[int] = set()
    for c in hidden:
        touched.update(by_cell.get(c, ()))
    for k in touched:
        t, members = lines[k]
        inside = [c for c in (t, *members) if c in hidden]
        for c in inside[1:]:
            a, b = find(inside[0]), find(c)
            if a != b:
                parent[a] = b
    groups: dict[Hashable, list[Hashable]] = {}
    for c in hidden:
        groups.setdefault(find(c), []).append(c)
    fixed: set[Hashable] = set()
    unchecked = 0
    for cells in groups.values():
        if not any(c in targets for c in cells):
            continue
        if len(cells) > limit:
            unchecked += len(cells)
            continue
        index = {c: i for i, c in enumerate(sorted(cells, key=repr))}
        rows = sorted({k for c in cells for k in by_cell.get(c, ())})
        eq = np.zeros((len(rows), len(index)))
        for r, k in enumerate(rows):
            t, members = lines[k]
            if t in index:
                eq[r, index[t]] += 1.0
            for m in members:
                if m in index:
                    eq[r, index[m]] -= 1.0
        basis = null_space(eq) if len(rows) else np.eye(len(index))
        for c, i in index.items():
            if c in targets and (basis.shape[1] == 0 or np.abs(basis[i]).max() < 1e-9):
                fixed.add(c)
    return fixed, unchecked


# --------------------------------------------------------------------------- the attack


def _is_hidden(value: Any) -> bool:
    return isinstance(value, str)


def recoverable_cells(
    frame: pd.DataFrame,
    *,
    value_columns: Sequence[str],
    category_column: str = "category",
    total_rows: Sequence[str] = (),
    total_columns: Sequence[str] = (),
) -> set[Cell]:
    """Suppressed cells (text marks) a reader can recover as a total minus the other cells.

    A cell is recoverable when it is the only suppressed cell of a line summing to a total.
    """
    lines = _lines(frame, value_columns, category_column, total_rows, total_columns)
    found: set[Cell] = set()
    for line in lines:
        hidden = [cell for cell in line.cells if _is_hidden(frame.at[cell[0], cell[1]])]
        if len(hidden) == 1:
            found.add(hidden[0])
    return found


def recoverable(
    frame: pd.DataFrame,
    *,
    value_columns: Sequence[str],
    category_column: str = "category",
    total_rows: Sequence[str] = (),
    total_columns: Sequence[str] = (),
) -> bool:
    """Whether any suppressed cell of ``frame`` can be recovered (see :func:`recoverable_cells`)."""
    return bool(
        recoverable_cells(
            frame,
            value_columns=value_columns,
            category_column=category_column,
            total_rows=total_rows,
            total_columns=total_columns,
        )
    )
