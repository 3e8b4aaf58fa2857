"""A synthetic atlas payload made by code, for the atlas page tests and benchmarks.

:func:`sample_payload` follows the schema in :mod:`commsafe.atlas`: a grid of square wards
(and, optionally, four square LSOAs in each ward) in two districts, three indicators (two
"Crime", one "ASB"), two periods, all three measures with significance words and ranks, some
counts suppressed ("<5" below five, "[c]" as secondary suppression) with their rate and change
withheld too, a monthly series per area, and victim/offender pyramids. Deterministic: the same
arguments give the same payload.
"""

from __future__ import annotations

import math
import random
from typing import Any

__all__ = ["HOSTILE_INDICATOR", "HOSTILE_NAME", "SQUARE", "sample_payload"]

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_INDICATOR = "<script>alert(2)</script>"
#: Side of a ward square, metres.
SQUARE = 1000
_ORIGIN = (540_000, 250_000)  # easting, northing of the grid's south-west corner

# fmt: off
_NAMES = [
    "Market", "Castle", "Abbey", "Arbury", "Cherry Hinton", "Coleridge", "East Chesterton",
    "King's Hedges", "Newnham", "Petersfield", "Queen Edith's", "Romsey", "Trumpington",
    "West Chesterton", "Barnwell", "Fen Ditton", "Histon", "Milton", "Girton", "Coton",
]
# fmt: on
_INDICATORS = [
    {"id": "all-crime", "label": "All crime", "group": "Crime"},
    {"id": "violence", "label": "Violence against the person", "group": "Crime"},
    {"id": "asb", "label": "Anti-social behaviour", "group": "ASB"},
]
_MEASURES = [
    {"id": "count", "label": "Count", "unit": ""},
    {"id": "rate", "label": "Rate per 1,000 residents", "unit": "per 1,000"},
    {"id": "change", "label": "% change on previous year", "unit": "%"},
]
_PERIODS = [{"id": "2023", "label": "2023"}, {"id": "2024", "label": "2024"}]
_MONTHS = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
_BANDS = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"]
#: Typical yearly counts per 1,000 residents, by indicator.
_BASE_RATE = {"all-crime": 80.0, "violence": 1.5, "asb": 25.0}


def _square(x: float, y: float, side: float) -> str:
    """A square ring in SVG user units: x east, y = northing negated (north up)."""
    x0, y0 = round(x), round(-(y + side))
    s = round(side)
    return f"M{x0} {y0}L{x0 + s} {y0}L{x0 + s} {y0 + s}L{x0} {y0 + s}Z"


def _ranks(rates: list[float | None], counts: list[int | None]) -> list[int | None]:
    """1 = highest rate (ties share the best rank); None where the rate is withheld."""
    keyed = rates if any(r is not None for r in rates) else counts
    shown = sorted((v for v in keyed if v is not None), reverse=True)
    first = {}
    for pos, v in enumerate(shown, start=1):
        first.setdefault(v, pos)
    return [None if v is None else first[v] for v in keyed]


def _words(change: int | None, count: int | None) -> str | None:
    if change is None or count is None:
        return None
    if change >= 15 and count >= 20:
        return "significant increase"
    if change <= -15 and count >= 20:
        return "significant decrease"
    return "no significant change"


def _block(
    counts: list[int | None],
    previous: list[int | None] | None,
    population: list[int],
    secondary: int | None,
) -> dict[str, Any]:
    """One values block: counts below five become "<5", ``secondary`` gets "[c]"."""
    n = len(counts)
    marks: dict[str, str] = {}
    shown: list[int | None] = []
    for i, c in enumerate(counts):
        if c is not None and c < 5:
            marks[str(i)] = "<5"
            shown.append(None)
        elif i == secondary:
            marks[str(i)] = "[c]"
            shown.append(None)
        else:
            shown.append(c)
    rate = [None if c is None else round(c / population[i] * 1000, 1) for i, c in enumerate(shown)]
    change: list[int | None] = [None] * n
    if previous is not None:
        for i, c in enumerate(shown):
            p = previous[i]
            if c is not None and p is not None and p >= 5:
                change[i] = round((c - p) / p * 100)
    return {
        "count": shown,
        "rate": rate,
        "change": change,
        "change_words": [_words(change[i], shown[i]) for i in range(n)],
        "rank": _ranks(rate, shown),
        "marks": marks,
    }


def _level(
    areas: list[dict[str, Any]],
    population: list[int],
    rng: random.Random,
    *,
    small_at: set[int],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Values and monthly series for one level's areas."""
    values: dict[str, Any] = {}
    monthly: dict[str, Any] = {}
    n = len(areas)
    for k, ind in enumerate(_INDICATORS):
        iid = ind["id"]
        by_period: dict[str, Any] = {}
        raw_prev: list[int | None] | None = None
        shown_prev: list[int | None] | None = None
        base = [_BASE_RATE[iid] * population[i] / 1000 * rng.uniform(0.4, 2.2) for i in range(n)]
        for j, period in enumerate(_PERIODS):
            factor = [rng.uniform(0.7, 1.35) for _ in range(n)]
            raw: list[int | None] = [max(0, round(base[i] * factor[i])) for i in range(n)]
            for i in small_at:  # a small count somewhere in every block
                if i < n:
                    raw[i] = (i + j + k) % 5
            secondary = (3 + 2 * k + j) % n if n > 6 else None
            if secondary is not None and secondary in small_at:
                secondary = (secondary + 1) % n
            blk = _block(raw, shown_prev if raw_prev is not None else None, population, secondary)
            by_period[period["id"]] = blk
            raw_prev, shown_prev = raw, blk["count"]
        values[iid] = by_period
        counts: list[list[int | None]] = []
        for i in range(n):
            series: list[int | None] = []
            for m in range(len(_MONTHS)):
                c = round(base[i] / 12 * (1 + 0.3 * math.sin((m + i) / 2)) * rng.uniform(0.6, 1.4))
                series.append(None if c < 5 else c)
            counts.append(series)
        monthly[iid] = {"months": list(_MONTHS), "counts": counts}
    return values, monthly


def _district_outline(cells: set[tuple[int, int]], side: float) -> str:
    """The boundary of a union of grid cells (col, row) as open SVG segments."""
    segments = []
    for col, row in sorted(cells):
        x, y = _ORIGIN[0] + col * side, _ORIGIN[1] + row * side
        left, right = round(x), round(x + side)
        bottom, top = round(-y), round(-(y + side))
        if (col - 1, row) not in cells:
            segments.append(f"M{left} {bottom}L{left} {top}")
        if (col + 1, row) not in cells:
            segments.append(f"M{right} {bottom}L{right} {top}")
        if (col, row - 1) not in cells:
            segments.append(f"M{left} {bottom}L{right} {bottom}")
        if (col, row + 1) not in cells:
            segments.append(f"M{left} {top}L{right} {top}")
    return "".join(segments)


def _pyramids(rng: random.Random, districts: list[tuple[str, str]], area_name: str) -> dict:
    groups = [{"id": "all", "name": area_name}] + [{"id": c, "name": n} for c, n in districts]
    data: dict[str, Any] = {}
    parts: dict[str, dict[str, dict[str, list[int]]]] = {}
    for d, (code, _) in enumerate(districts):
        parts[code] = {}
        for side, scale in (("victims", 60), ("offenders", 35)):
            parts[code][side] = {}
            for s, sex in enumerate(("male", "female")):
                peak = 5 + 2 * s + d  # districts differ in shape, not only size
                parts[code][side][sex] = [
                    max(
                        0,
                        round(
                            scale
                            * (1 + d)
                            * math.exp(-((b - peak) ** 2) / 18)
                            * rng.uniform(0.8, 1.2)
                        ),
                    )
                    for b in range(len(_BANDS))
                ]
    total = {
        side: {
            sex: [sum(parts[c][side][sex][b] for c, _ in districts) for b in range(len(_BANDS))]
            for sex in ("male", "female")
        }
        for side in ("victims", "offenders")
    }

    def suppress(block: dict[str, dict[str, list[int]]]) -> dict[str, Any]:
        return {
            side: {sex: [None if v < 5 else v for v in vals] for sex, vals in by_sex.items()}
            for side, by_sex in block.items()
        }

    data["all"] = suppress(total)
    for code, _ in districts:
        data[code] = suppress(parts[code])
    return {
        "bands": list(_BANDS),
        "groups": groups,
        "data": data,
        "value": "count",
        "source": "SYNTHETIC victims and offenders, recorded crime 2024",
    }


def sample_payload(
    n_areas: int = 14, *, hostile: bool = False, lsoa: bool = True, pyramids: bool = True
) -> dict[str, Any]:
    """A valid atlas payload (version 1) with ``n_areas`` wards (and four LSOAs per ward when
    ``lsoa``). ``hostile`` names one ward :data:`HOSTILE_NAME` and labels one indicator
    :data:`HOSTILE_INDICATOR`; ``pyramids=False`` gives ``"pyramids": None``.

    Ward 0 is "Market"; in every values block one ward has a count below five (mark "<5"),
    and one other ward is secondarily suppressed (mark "[c]")."""
    if n_areas < 2:
        raise ValueError("n_areas must be at least 2")
    rng = random.Random(20240101 + n_areas)
    cols = math.ceil(math.sqrt(n_areas))
    rows = math.ceil(n_areas / cols)
    half = math.ceil(cols / 2)
    districts = [("E07000001", "Northbrook"), ("E07000002", "Southfield")]

    wards: list[dict[str, Any]] = []
    ward_cells: list[tuple[int, int]] = []
    for i in range(n_areas):
        col, row = i % cols, rows - 1 - i // cols  # first ward at the top left
        d = 0 if col < half else 1
        name = _NAMES[i] if i < len(_NAMES) else f"Ward {i + 1}"
        if hostile and i == 1:
            name = HOSTILE_NAME
        x, y = _ORIGIN[0] + col * SQUARE, _ORIGIN[1] + row * SQUARE
        wards.append(
            {
                "code": f"E05{i:06d}",
                "name": name,
                "district": districts[d][0],
                "district_name": districts[d][1],
                "path": _square(x, y, SQUARE),
            }
        )
        ward_cells.append((col, row))
    ward_pop = [rng.randint(6000, 14000) for _ in range(n_areas)]

    margin = SQUARE / 4
    view_box = [
        _ORIGIN[0] - margin,
        -(_ORIGIN[1] + rows * SQUARE) - margin,
        cols * SQUARE + 2 * margin,
        rows * SQUARE + 2 * margin,
    ]
    levels: dict[str, Any] = {"ward": {"label": "Wards", "view_box": view_box, "areas": wards}}
    ward_values, ward_monthly = _level(wards, ward_pop, rng, small_at={2})
    values: dict[str, Any] = {"ward": ward_values}
    monthly: dict[str, Any] = {"ward": ward_monthly}

    if lsoa:
        lsoas: list[dict[str, Any]] = []
        lsoa_pop: list[int] = []
        for i, ward in enumerate(wards):
            col, row = ward_cells[i]
            for q in range(4):
                x = _ORIGIN[0] + col * SQUARE + (q % 2) * SQUARE / 2
                y = _ORIGIN[1] + row * SQUARE + (q // 2) * SQUARE / 2
                lsoas.append(
                    {
                        "code": f"E01{4 * i + q:06d}",
                        "name": f"{ward['name']} {'ABCD'[q]}",
                        "district": ward["district"],
                        "district_name": ward["district_name"],
                        "path": _square(x, y, SQUARE / 2),
                    }
                )
                lsoa_pop.append(max(1000, ward_pop[i] // 4 + rng.randint(-300, 300)))
        levels["lsoa"] = {"label": "LSOAs", "view_box": view_box, "areas": lsoas}
        values["lsoa"], monthly["lsoa"] = _level(lsoas, lsoa_pop, rng, small_at={2, 9})

    outline = []
    for d, (code, dname) in enumerate(districts):
        cells = {c for c in ward_cells if (0 if c[0] < half else 1) == d}
        outline.append({"code": code, "name": dname, "path": _district_outline(cells, SQUARE)})

    indicators = [dict(x) for x in _INDICATORS]
    if hostile:
        indicators[1]["label"] = HOSTILE_INDICATOR

    return {
        "version": 1,
        "meta": {
            "title": "Community safety atlas",
            "subtitle": "Recorded crime and anti-social behaviour by ward and LSOA",
            "area": {"code": "E99999999", "name": "Sampleton CSP", "level": "csp"},
            "data_to": "December 2024",
            "source": "SYNTHETIC sample data made by tests/atlas_sample.py",
            "disclosure": "Counts below 5 are shown as <5; [c] marks a count withheld so "
            "that a suppressed one cannot be worked out.",
            "notes": [
                "Rates are per 1,000 residents (mid-year population estimates).",
                "Change compares a period with the previous period of the same length.",
            ],
            "synthetic": True,
        },
        "levels": levels,
        "outline": outline,
        "periods": [dict(p) for p in _PERIODS],
        "indicators": indicators,
        "measures": [dict(m) for m in _MEASURES],
        "values": values,
        "monthly": monthly,
        "pyramids": _pyramids(rng, districts, "Sampleton CSP") if pyramids else None,
    }
