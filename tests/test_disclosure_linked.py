"""Linked disclosure (issue 14.4): :func:`commsafe.disclosure.protect` withholds cells so that
no small protected count can be worked out from the published cells by any combination of
the equations tying them, checked by an independent attacker (linear algebra by rank)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from commsafe.disclosure import protect

Line = tuple[Hashable, Sequence[Hashable]]


def worked_out(lines: Sequence[Line], hidden: set[Hashable], cell: Hashable) -> bool:
    """Whether a reader who sees every cell not in ``hidden`` can compute ``cell`` exactly:
    the unit vector of ``cell`` lies in the row space of the equations restricted to the
    hidden cells (the rank does not grow when it is added)."""
    order = sorted(hidden, key=repr)
    col = {c: i for i, c in enumerate(order)}
    rows = []
    for total, members in lines:
        r = np.zeros(len(order))
        if total in col:
            r[col[total]] += 1
        for m in members:
            if m in col:
                r[col[m]] -= 1
        if r.any():
            rows.append(r)
    unit = np.zeros(len(order))
    unit[col[cell]] = 1
    a = np.array(rows) if rows else np.zeros((0, len(order)))
    return bool(np.linalg.matrix_rank(np.vstack([a, unit])) == np.linalg.matrix_rank(a))


def table_lines(values: list[list[int]]) -> tuple[dict[Hashable, int], list[Line]]:
    """A table with a total column (each row) and a total row (each column, and the grand
    total): the cells and equations of a typical published cross-tabulation."""
    n, m = len(values), len(values[0])
    cells: dict[Hashable, int] = {}
    for i in range(n):
        for j in range(m):
            cells[(i, j)] = values[i][j]
        cells[(i, "T")] = sum(values[i])
    for j in range(m):
        cells[("T", j)] = sum(values[i][j] for i in range(n))
    cells[("T", "T")] = sum(map(sum, values))
    lines: list[Line] = [((i, "T"), [(i, j) for j in range(m)]) for i in range(n)]
    lines += [(("T", j), [(i, j) for i in range(n)]) for j in range(m + 1)
              if j < m] + [(("T", "T"), [(i, "T") for i in range(n)])]
    return cells, lines


def test_a_cell_fixed_by_two_equations_together_is_protected() -> None:
    """Two hidden 2×2 blocks joined by one hidden cell (a bridge): every row and column has
    two hidden cells, so no single equation gives anything away, yet the bridge cell is the
    difference of sums. The one-equation rule leaves it; protect() withholds more."""
    values = [[3, 9, 0, 20], [9, 3, 0, 20], [0, 0, 3, 9], [0, 0, 9, 3]]
    cells, lines = table_lines(values)
    # make (0, 2) a small cell linking the blocks: primary pattern forming a bridge
    values[0][2] = 2
    cells, lines = table_lines(values)
    primary = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)}
    plan = protect(cells, lines, [c for c in primary if 0 < cells[c] < 5])
    hidden = set(plan.primary | plan.secondary)
    for c in plan.primary:
        assert not worked_out(lines, hidden, c), c


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.integers(2, 5).flatmap(lambda n: st.integers(2, 5).flatmap(
    lambda m: st.lists(st.lists(st.integers(0, 12), min_size=m, max_size=m), min_size=n,
                       max_size=n))))
def test_no_small_cell_of_a_random_table_can_be_worked_out(values: list[list[int]]) -> None:
    cells, lines = table_lines(values)
    primary = [c for c in cells if 0 < cells[c] < 5 and "T" not in c]
    plan = protect(cells, lines, primary)
    hidden = set(plan.primary | plan.secondary)
    assert plan.primary == set(primary) and not plan.exposed and plan.unchecked == 0
    for c in plan.primary:
        assert not worked_out(lines, hidden, c), (values, c, sorted(hidden, key=repr))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.integers(0, 9), min_size=3, max_size=3), min_size=2, max_size=6),
       st.integers(0, 2))
def test_known_totals_and_nested_areas(values: list[list[int]], protected: int) -> None:
    """Areas × crime types with All crime per area (a line), the partnership's total of each
    type published elsewhere (known, never withheld) and pairs of areas nested in wards."""
    n = len(values)
    cells: dict[Hashable, int] = {}
    lines: list[Line] = []
    for a in range(n):
        for t in range(3):
            cells[("lsoa", a, t)] = values[a][t]
        cells[("lsoa", a, "all")] = sum(values[a])
        lines.append((("lsoa", a, "all"), [("lsoa", a, t) for t in range(3)]))
    for t in (*range(3), "all"):
        cells[("total", t)] = sum(cells[("lsoa", a, t)] for a in range(n))
        lines.append((("total", t), [("lsoa", a, t) for a in range(n)]))
        for w in range(0, n, 2):
            members = [("lsoa", a, t) for a in (w, w + 1) if a < n]
            cells[("ward", w, t)] = sum(cells[c] for c in members)
            lines.append((("ward", w, t), members))
    primary = [c for c in cells if c[-1] == protected and 0 < cells[c] < 5]
    # the totals are published elsewhere (known) unless one is itself a small protected
    # count: then that table withholds it and another total, modelled as none known
    totals = [("total", t) for t in (*range(3), "all")]
    known = [] if any(c in primary for c in totals) else totals
    plan = protect(cells, lines, primary, known=known)
    hidden = set(plan.primary | plan.secondary)
    assert not hidden & set(known)
    for c in plan.primary - plan.exposed:
        assert not worked_out(lines, hidden, c), (values, c)
    assert not plan.exposed  # every line has a member that may be withheld
