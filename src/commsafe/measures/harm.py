"""Harm-weighted crime: counts multiplied by a weight per crime category.

Weights come from a CSV file the user supplies (or the packaged example,
:func:`example_weights_path`)::

    # lines starting with '#' are comments
    category,weight,source
    Violence and sexual offences,230,my force's harm index 2024
    Burglary,250,
    ...

Columns (header names are case-insensitive, in any order):

``category``
    a police.uk crime type ('Burglary', 'Vehicle crime', legacy names too) or an offence group
    of :mod:`commsafe.hierarchy` by its Home Office name or an alias ('Residential burglary',
    'Homicides'). A hierarchy group that is exactly one police.uk type ('Drug offences' is
    'Drugs') counts as that type, so giving both is a duplicate.
``ho_code``
    instead of ``category``: a Home Office offence code ('8N', '4/1'), for weights per offence.
``weight``
    a non-negative number (e.g. days of imprisonment, as in the Cambridge Crime Harm Index, or
    an ONS Crime Severity Score weight). Units are whatever the file uses; keep one unit a file.
``source``
    optional free text saying where the weight comes from.

Each data row has either a category or an ho_code, not both. Every problem is an
:class:`~commsafe.errors.InputError` naming the file, line, column and value and saying how to
fix it.

A workbook (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``) is read as the ONS Crime Severity Score
(CSS) weights, as downloaded from ONS, by :func:`load_css_workbook`: its sheet "List of
weights" has title rows, then a header row with the columns ``Offence category`` (filled only on
the first row of each category), ``Offence code``, ``Offence`` and ``Weight``. Every offence
code of commsafe's hierarchy gets its CSS weight; each police.uk crime type and each hierarchy
group gets the average of its codes' weights weighted by the offences recorded in England and
Wales in 2017/18 (``commsafe/data/offence_volumes_201718.csv``), as the ONS score sums
count × weight over offences. The Home Office counts homicide codes 1, 4.1, 4.10 and 4.2
together; that count takes the mean weight of those of its codes the sheet weights. A category
whose weighted codes had no offences in 2017/18 gets their unweighted mean. Codes outside the
hierarchy (fraud, newer codes), categories only partly covered by weighted codes and fallbacks
are listed in ``HarmWeights.notes``. The sheet itself is read by :mod:`~.harm_css`.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Final

from commsafe import hierarchy, taxonomy
from commsafe.errors import FileFormatError, InputError, ReferenceDataError, where
from commsafe.measures import harm_css

__all__ = [
    "EXAMPLE_FILE",
    "VOLUMES_FILE",
    "WORKBOOK_SUFFIXES",
    "HarmWeights",
    "example_weights_path",
    "load_css_workbook",
    "load_weights",
]

EXAMPLE_FILE: Final = "harm_weights_example.csv"
VOLUMES_FILE: Final = "offence_volumes_201718.csv"
"""Offences recorded in England and Wales in 2017/18 per offence code (see its comment)."""
WORKBOOK_SUFFIXES: Final = (".xlsx", ".xlsm", ".xls", ".ods")


def example_weights_path() -> Path:
    """The packaged example weights (per police.uk crime type; see its leading comment)."""
    return Path(str(files("commsafe") / "data" / EXAMPLE_FILE))


def _canonical(category: str) -> str | None:
    """The name weights are stored under: a current police.uk type or a hierarchy group name."""
    if taxonomy.is_known(category):
        return taxonomy.standard_name(category)
    group = hierarchy.find_group(category)
    if group is None:
        return None
    whole = hierarchy.police_uk_groups(group.police_uk) if group.police_uk else ()
    if whole == (group,) and group.police_uk is not None:
        return group.police_uk
    return group.name


def _valid_categories() -> str:
    names = [*taxonomy.CRIME_TYPES, taxonomy.ASB]
    names += [g.name for g in hierarchy.HIERARCHY if _canonical(g.name) == g.name]
    return "; ".join(names)


@dataclass(frozen=True)
class HarmWeights:
    """Weights read by :func:`load_weights`, keyed by canonical category name and by code."""

    path: Path
    weights: Mapping[str, float]
    """Canonical category (current police.uk type or Home Office group name) → weight."""
    code_weights: Mapping[str, float] = field(default_factory=dict)
    """Home Office offence code (normalised, e.g. '4.1') → weight."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Canonical category or offence code → the row's ``source`` text, where given."""
    notes: tuple[str, ...] = ()
    """What the reader left out or approximated (e.g. CSS codes outside the hierarchy)."""

    def weight_for(self, category: str, *, inherit: bool = False) -> float | None:
        """The weight of ``category`` (any name :func:`load_weights` accepts), or None.

        With ``inherit=True`` a hierarchy group without a weight of its own takes the weight
        of the police.uk crime type it is published under (an average over that whole type,
        so only an approximation for a part of it, e.g. residential burglary).
        """
        canonical = _canonical(category)
        if canonical is None:
            return None
        if canonical in self.weights:
            return self.weights[canonical]
        if inherit:
            group = hierarchy.find_group(category)
            if group is not None and group.police_uk is not None:
                return self.weights.get(group.police_uk)
        return None

    def relative_weight(self, category: str, counts: Mapping[str, int]) -> float:
        """``category``'s weight over the average weight of ``counts`` (category → count;
        the average weighted by the counts, over the categories that have a weight): how
        much more harm an offence of it does than the area's typical offence. 1 for a
        category without a weight (All crime, ASB) or when no counted category has one."""
        weight = self.weight_for(category, inherit=True)
        weighted = {c: (n, w) for c, n in counts.items()
                    if n and (w := self.weight_for(c, inherit=True)) is not None}
        total = sum(n for n, _ in weighted.values())
        if weight is None or not total:
            return 1.0
        mean = sum(n * w for n, w in weighted.values()) / total
        return weight / mean if mean else 1.0

    def weight_for_code(self, code: str | float | int) -> float | None:
        """The weight given to Home Office offence ``code``, or None."""
        return self.code_weights.get(hierarchy.normalise_code(code))

    def harm(
        self,
        counts: Mapping[str, int],
        *,
        inherit: bool = False,
        skip_unweighted: bool = False,
    ) -> dict[str, float]:
        """``count × weight`` for each category of ``counts`` (keys kept as given).

        A category without a weight is an :class:`~commsafe.errors.InputError` listing all
        such categories, unless ``skip_unweighted`` (then it is left out of the result).
        ``inherit`` is passed to :meth:`weight_for`.
        """
        result: dict[str, float] = {}
        missing: list[str] = []
        for category, count in counts.items():
            if isinstance(count, bool) or not isinstance(count, int | float) or count < 0:
                raise InputError(
                    f"count for {category!r} is {count!r}; counts must be non-negative numbers"
                )
            weight = self.weight_for(category, inherit=inherit)
            if weight is None:
                missing.append(category)
                continue
            result[category] = count * weight
        if missing and not skip_unweighted:
            shown = ", ".join(repr(name) for name in missing)
            raise InputError(
                f"no harm weight for {shown} in {self.path}. Fix: add a row for each to "
                f"{self.path}, or leave them out of the harm total on purpose "
                "(skip_unweighted=True). Weighted categories: "
                f"{', '.join(self.weights) or 'none'}"
            )
        return result


def _data_lines(path: Path) -> tuple[list[str], list[int]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: harm weights file not found. Fix: check the path.") from exc
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"{path}: not UTF-8 text ({exc}). Fix: save the file as UTF-8 CSV."
        ) from exc
    except OSError as exc:
        raise InputError(f"{path}: harm weights file cannot be read ({exc}).") from exc
    lines: list[str] = []
    numbers: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        lines.append(line)
        numbers.append(number)
    return lines, numbers


def _parse_weight(path: Path, line: int, value: str) -> float:
    fix = "Fix: give a non-negative number such as 365 or 7.5 (no thousands separators)."
    if not value:
        raise InputError(f"{where(path, line, 'weight')}: the weight is empty. {fix}")
    try:
        weight = float(value)
    except ValueError:
        raise InputError(f"{where(path, line, 'weight', value)}: not a number. {fix}") from None
    if not math.isfinite(weight):
        raise InputError(f"{where(path, line, 'weight', value)}: not a finite number. {fix}")
    if weight < 0:
        raise InputError(f"{where(path, line, 'weight', value)}: weights cannot be negative. {fix}")
    return weight


def load_weights(path: str | Path) -> HarmWeights:
    """Read harm weights from a CSV file, or an ONS CSS workbook by its suffix (module docs)."""
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return load_css_workbook(path)
    lines, numbers = _data_lines(path)
    if not lines:
        raise InputError(
            f"{path}: no header and no weights. Fix: start with a header line "
            "'category,weight,source' and give one row per crime category."
        )
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = [cell.strip().lower() for cell in next(reader)]
    header_line = numbers[0]
    problems = []
    if "weight" not in header:
        problems.append("missing column 'weight'")
    if "category" not in header and "ho_code" not in header:
        problems.append("missing column 'category' (or 'ho_code')")
    for name in ("category", "ho_code", "weight", "source"):
        if header.count(name) > 1:
            problems.append(f"column {name!r} appears {header.count(name)} times")
    if problems:
        raise InputError(
            f"{where(path, header_line)}: {'; '.join(problems)} (header is "
            f"{','.join(header)!r}). Fix: the header must name the columns "
            "'category,weight' (or 'ho_code,weight'), optionally with 'source'."
        )
    col = {name: header.index(name) for name in header if name}

    weights: dict[str, float] = {}
    code_weights: dict[str, float] = {}
    sources: dict[str, str] = {}
    first_seen: dict[str, tuple[int, str, str]] = {}  # key -> (line, column, value)
    rows = 0
    for row in reader:
        line = numbers[reader.line_num - 1]
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise InputError(
                f"{where(path, line)}: {len(row)} fields but the header has {len(header)}. "
                "Fix: put any value containing a comma in double quotes."
            )

        def cell(name: str, row: list[str] = row) -> str:
            index = col.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        category, code, source = cell("category"), cell("ho_code"), cell("source")
        if category and code:
            raise InputError(
                f"{where(path, line, 'ho_code', code)}: the row gives both category "
                f"{category!r} and an offence code. Fix: give one of them per row."
            )
        if not category and not code:
            which = "category" if "category" in col else "ho_code"
            raise InputError(
                f"{where(path, line, which)}: the row names no category. Fix: give the "
                "crime category (or Home Office offence code) the weight is for."
            )
        weight = _parse_weight(path, line, cell("weight"))
        if category:
            key = _canonical(category)
            if key is None:
                raise InputError(
                    f"{where(path, line, 'category', category)}: not a police.uk crime type or "
                    "Home Office offence group. Fix: use one of these names (aliases such as "
                    f"'Homicides' or 'Domestic burglary' also work): {_valid_categories()}"
                )
            column, value, store = "category", category, weights
        else:
            key = hierarchy.normalise_code(code)
            if hierarchy.group_for_offence_code(key) is None:
                raise InputError(
                    f"{where(path, line, 'ho_code', code)}: not a Home Office offence code in "
                    "commsafe's offence hierarchy (fraud codes are outside it). Fix: use a code "
                    "such as 8N, 105A or 4/1; commsafe/data/offence_hierarchy.csv lists them."
                )
            column, value, store = "ho_code", code, code_weights
        dedupe = f"{column}:{key}"
        if dedupe in first_seen:
            other_line, _, other_value = first_seen[dedupe]
            raise InputError(
                f"{where(path, line, column, value)}: duplicate of line {other_line} "
                f"({other_value!r}); both give a weight for {key!r}. Fix: keep one of the two "
                "lines."
            )
        first_seen[dedupe] = (line, column, value)
        store[key] = weight
        if source:
            sources[key] = source
        rows += 1

    if rows == 0:
        raise InputError(
            f"{path}: the header is there but no weights follow. Fix: add one row per crime "
            "category, e.g. 'Burglary,250'."
        )
    return HarmWeights(path=path, weights=weights, code_weights=code_weights, sources=sources)


# --------------------------------------------------------------------------- ONS CSS workbook


@functools.cache
def _volumes() -> tuple[tuple[tuple[str, ...], int], ...]:
    """(offence codes, offences in England and Wales 2017/18) per row of :data:`VOLUMES_FILE`."""
    text = (files("commsafe") / "data" / VOLUMES_FILE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    result = []
    for row in csv.DictReader(lines):
        codes = tuple(hierarchy.normalise_code(code) for code in row["ho_code"].split("+"))
        if not all(hierarchy.group_for_offence_code(code) for code in codes):
            raise ReferenceDataError(
                f"commsafe/data/{VOLUMES_FILE}: {row['ho_code']!r} is not in the hierarchy"
            )
        result.append((codes, int(row["offences"])))
    return tuple(result)


def _targets() -> dict[str, frozenset[str]]:
    """Canonical category → its offence codes: police.uk crime types, then hierarchy groups."""

    def codes_of(groups: Sequence[hierarchy.OffenceGroup]) -> frozenset[str]:
        below = [g for top in groups for g in (top, *hierarchy.descendants(top.key))]
        return frozenset(code for g in below for code in g.ho_codes)

    targets = {t: codes_of(hierarchy.police_uk_groups(t)) for t in taxonomy.CRIME_TYPES}
    for group in hierarchy.HIERARCHY:
        key = _canonical(group.name)
        codes = codes_of((group,))
        if key is not None and codes and key not in targets:
            targets[key] = codes
    return targets


def _average_weights(
    code_weights: Mapping[str, float], label: str
) -> tuple[dict[str, float], dict[str, str], list[str]]:
    weights: dict[str, float] = {}
    sources: dict[str, str] = {}
    unweighted: list[str] = []
    partial: list[str] = []
    none: list[str] = []
    for name, codes in _targets().items():
        total = volume = 0.0
        missing = 0
        for unit, offences in _volumes():
            members = [code for code in unit if code in codes]
            if not members:
                continue
            known = [code_weights[code] for code in members if code in code_weights]
            if not known:
                missing += max(offences, 0)
                continue
            total += offences * sum(known) / len(known)
            volume += offences
        mine = [code_weights[code] for code in sorted(codes) if code in code_weights]
        if not mine:
            none.append(name)
        elif volume > 0:
            weights[name] = total / volume
            sources[name] = (
                f"{label}, offence weights averaged by 2017/18 England and Wales offence volumes"
            )
            if missing:
                share = missing / (missing + volume)
                shown = "over 99.9%" if share > 0.999 else f"{share:.1%}"
                partial.append(f"{name} ({shown})")
        else:
            weights[name] = sum(mine) / len(mine)
            sources[name] = f"{label}, unweighted mean of offence weights (no 2017/18 volumes)"
            unweighted.append(name)
    notes = []
    if unweighted:
        notes.append(
            "no offences were recorded in 2017/18 under the weighted codes of "
            f"{', '.join(unweighted)}; their weight is the unweighted mean of those codes' weights"
        )
    if partial:
        notes.append(
            "part of the 2017/18 offences of these categories are under codes without a CSS "
            f"weight, left out of their average: {', '.join(partial)}"
        )
    if none:
        notes.append(f"no CSS weight for any offence code of {', '.join(none)}")
    return weights, sources, notes


def load_css_workbook(path: str | Path) -> HarmWeights:
    """Read ONS Crime Severity Score weights from the workbook ONS publishes (.xlsx or .ods).

    ``code_weights`` holds the weight of each offence code of the sheet "List of weights" that
    is in commsafe's offence hierarchy (the others, e.g. fraud, are counted in ``notes``);
    ``weights`` holds, for each police.uk crime type and hierarchy group, the mean of its codes'
    weights weighted by offences recorded in England and Wales in 2017/18.
    """
    path = Path(path)
    sheet = harm_css.read_weights_sheet(path)
    found, rows, outside = sheet.weights, sheet.rows, sheet.outside
    label = f"ONS Crime Severity Score ({path.name})"
    code_weights = {code: w for code, w in found.items() if code not in outside}
    if not code_weights:
        raise InputError(
            f"{path}, sheet {sheet.sheet!r}: none of its {len(found)} offence codes is in "
            "commsafe's offence hierarchy (e.g. 8N, 105A, 4.1). Fix: check the code column "
            "holds Home Office offence codes."
        )
    weights, sources, notes = _average_weights(code_weights, label)
    for code in code_weights:
        sources[code] = f"{label}, sheet {sheet.sheet!r} row {rows[code]}"
    if outside:
        shown = ", ".join(outside[:20]) + (", ..." if len(outside) > 20 else "")
        notes.insert(
            0,
            f"{len(outside)} offence code{'s' if len(outside) != 1 else ''} of the CSS sheet "
            f"{'are' if len(outside) != 1 else 'is'} not in commsafe's offence hierarchy and "
            f"{'are' if len(outside) != 1 else 'is'} left out: {shown}",
        )
    return HarmWeights(
        path=path, weights=weights, code_weights=code_weights, sources=sources, notes=tuple(notes)
    )
