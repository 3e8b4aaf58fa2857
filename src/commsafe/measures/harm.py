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
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Final

from commsafe import hierarchy, taxonomy
from commsafe.errors import FileFormatError, InputError, where

__all__ = ["EXAMPLE_FILE", "HarmWeights", "example_weights_path", "load_weights"]

EXAMPLE_FILE: Final = "harm_weights_example.csv"


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
    """Read harm weights from a CSV file (format in the module docstring)."""
    path = Path(path)
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
