"""The Home Office offence hierarchy used by police recorded crime performance tables.

:data:`HIERARCHY` lists the groups and subgroups depth-first, in the order the Home Office tables
(and CSP performance tables built on them) print them::

    All crime (excluding fraud; anti-social behaviour is never crime)
    ├── Violence against the person
    │   ├── Homicide
    │   ├── Death or serious injury caused by unlawful driving
    │   ├── Violence with injury
    │   ├── Violence without injury
    │   └── Stalking and harassment
    ├── Sexual offences ── Rape, Other sexual offences
    ├── Robbery ── Robbery of business property, Robbery of personal property
    ├── Theft offences
    │   ├── Burglary ── Residential burglary, Business and community burglary
    │   ├── Vehicle offences ── Theft from a vehicle, Theft of a motor vehicle,
    │   │                       Vehicle interference
    │   ├── Theft from the person, Bicycle theft, Shoplifting, All other theft offences
    ├── Criminal damage and arson ── Arson, Criminal damage
    ├── Drug offences ── Trafficking of drugs, Possession of drugs
    ├── Possession of weapons offences
    ├── Public order offences
    └── Miscellaneous crimes against society

The table lives in ``commsafe/data/offence_hierarchy.csv``. Its Home Office offence codes and
the police.uk crime type of each group are derived from the Home Office "Police recorded crime
by police force area" open data table for 2017/18 (as shipped in crime-sim-toolkit 1.5.0 on
PyPI: ``prc-pfa-201718_new.csv`` and ``CrimeCatMappings.csv``), with the April 2018 Counting
Rules split of "Death or serious injury caused by unlawful driving" out of violence with
injury; the CSV's header comment gives the details.

Names are matched by :func:`normalise`: case-insensitive, any dash (- – — …) counting as a
space, ``&`` as 'and', whitespace collapsed. So "Homicides", "Death or serious injury – unlawful
driving" and "Death or serious injury - unlawful driving" all resolve.

Special markers (:data:`MARKERS`: domestic abuse, hate crime, …) cut across the hierarchy: they
flag offences in any group, so they are kept alongside it, never inside it.

User-defined groups (e.g. "acquisitive crime") come from a TOML file read by
:func:`load_groups`::

    [groups]
    "Acquisitive crime" = ["Burglary", "Robbery", "Vehicle crime", "Theft from the person",
                           "Bicycle theft", "Shoplifting", "Other theft"]
    "Personal property crime" = ["Robbery of personal property", "Theft from the person",
                                 "Bicycle theft"]
    "Serious acquisitive and violent crime" = ["Acquisitive crime", "Violence with injury"]

Members are police.uk crime types, hierarchy names or aliases, or other groups of the same
file. :func:`expand_group` turns a group into police.uk crime types wherever a member covers
whole types.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Final

from commsafe import taxonomy
from commsafe.errors import FileFormatError, InputError, ReferenceDataError

__all__ = [
    "HIERARCHY",
    "MARKERS",
    "CategoryRow",
    "OffenceGroup",
    "children",
    "descendants",
    "expand_group",
    "find_group",
    "find_marker",
    "group_for_offence_code",
    "load_groups",
    "normalise",
    "normalise_code",
    "order_categories",
    "police_uk_groups",
    "police_uk_order",
]

DATA_FILE: Final = "offence_hierarchy.csv"
_COLUMNS: Final = ("key", "name", "parent", "level", "police_uk", "ho_codes", "aliases")


@dataclass(frozen=True)
class OffenceGroup:
    """One group or subgroup of the Home Office offence hierarchy."""

    key: str
    name: str
    parent: str | None
    level: int
    police_uk: str | None
    """The police.uk crime type its offences are published under; None if it spans several."""
    ho_codes: tuple[str, ...]
    """Home Office offence codes classified directly in this group (leaf groups only)."""
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class CategoryRow:
    """A category name found in some data, placed by :func:`order_categories`."""

    name: str
    group: OffenceGroup | None
    level: int
    in_hierarchy: bool
    marker: str | None = None
    """The :data:`MARKERS` entry the name is, if it is one (then ``in_hierarchy`` is False)."""


MARKERS: Final[tuple[str, ...]] = (
    "Domestic abuse",
    "Hate crime",
    "Child sexual exploitation",
    "Cyber crime",
    "Modern slavery",
)
"""Flags that cut across the hierarchy (an offence in any group may carry them)."""

_MARKER_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "Domestic abuse": (
        "Domestic abuse related",
        "Domestic abuse-related crime",
        "Domestic abuse crimes",
        "Domestic abuse flagged",
    ),
    "Hate crime": ("Hate crimes", "Hate crime offences"),
    "Child sexual exploitation": ("CSE",),
    "Cyber crime": ("Cybercrime", "Cyber-crime", "Cyber crimes", "Cyber-enabled crime"),
    "Modern slavery": ("Modern slavery and human trafficking",),
}

# Every dash-like character Unicode has in common use, plus the minus sign.
_DASHES: Final = re.compile(r"[\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]")
_AMPERSAND: Final = re.compile(r"\s*&\s*")
_SPACES: Final = re.compile(r"\s+")


def normalise(name: str) -> str:
    """The matching form of a category name: case-folded; dashes count as spaces, ``&`` as
    'and'; runs of whitespace collapse to one space."""
    text = _DASHES.sub(" ", name.casefold())
    text = _AMPERSAND.sub(" and ", text)
    return _SPACES.sub(" ", text).strip()


def normalise_code(code: str | float | int) -> str:
    """A Home Office offence code in the form ``4.10``, ``8N``, ``105A``.

    The Counting Rules write sub-classifications with a slash (``4/1``); the data tables use a
    dot (``4.1``). Both forms, any case and surrounding spaces are accepted. Codes are text:
    ``4.1`` and ``4.10`` are different offences. Leading zeros, as police systems often pad
    codes (``008N``, ``046``, ``004/1``), are dropped.
    """
    text = str(code).strip().upper().replace("/", ".")
    head, dot, tail = text.partition(".")
    stripped = head.lstrip("0")
    if stripped == "" or not stripped[0].isdigit():
        stripped = head[-1:] if head.strip("0") == "" else head  # "0" stays "0"; no digits: as is
    return stripped + dot + tail


# --------------------------------------------------------------------------- loading


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def _load(text: str, source: str) -> tuple[OffenceGroup, ...]:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = tuple(cell.strip() for cell in next(reader))
    if header != _COLUMNS:
        raise ReferenceDataError(
            f"{source}: header is {','.join(header)!r}, expected {','.join(_COLUMNS)!r}. "
            "Fix: restore the file from the commsafe distribution."
        )
    groups: list[OffenceGroup] = []
    seen: dict[str, OffenceGroup] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(_COLUMNS):
            raise ReferenceDataError(
                f"{source}: row {row!r} has {len(row)} fields, expected {len(_COLUMNS)}"
            )
        key, name, parent, level, police_uk, codes, aliases = (cell.strip() for cell in row)
        if key in seen:
            raise ReferenceDataError(f"{source}: key {key!r} appears twice")
        if police_uk and police_uk not in taxonomy.CRIME_TYPES:
            raise ReferenceDataError(
                f"{source}: group {key!r} has police_uk {police_uk!r}, not a police.uk crime type "
                f"({', '.join(taxonomy.CRIME_TYPES)})"
            )
        if parent and parent not in seen:
            raise ReferenceDataError(
                f"{source}: group {key!r} has parent {parent!r}, which is not listed before it"
            )
        expected_level = seen[parent].level + 1 if parent else 0
        if not level.isdigit() or int(level) != expected_level:
            raise ReferenceDataError(
                f"{source}: group {key!r} has level {level!r}, expected {expected_level}"
            )
        group = OffenceGroup(
            key=key,
            name=name,
            parent=parent or None,
            level=int(level),
            police_uk=police_uk or None,
            ho_codes=tuple(normalise_code(code) for code in _split(codes)),
            aliases=_split(aliases),
        )
        seen[key] = group
        groups.append(group)
    _check_depth_first(groups, source)
    return tuple(groups)


def _check_depth_first(groups: list[OffenceGroup], source: str) -> None:
    """Every group follows its parent's earlier children's whole subtrees (depth-first order)."""
    open_path: list[str] = []
    for group in groups:
        while open_path and open_path[-1] != group.parent:
            open_path.pop()
        if group.parent is not None and not open_path:
            raise ReferenceDataError(
                f"{source}: group {group.key!r} is not listed directly within its parent "
                f"{group.parent!r}'s subtree (the file must be in depth-first order)"
            )
        open_path.append(group.key)


def _read_packaged() -> tuple[OffenceGroup, ...]:
    resource = files("commsafe") / "data" / DATA_FILE
    try:
        text = resource.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise ReferenceDataError(
            f"commsafe/data/{DATA_FILE} cannot be read ({exc}). Fix: reinstall commsafe."
        ) from exc
    return _load(text, f"commsafe/data/{DATA_FILE}")


HIERARCHY: Final[tuple[OffenceGroup, ...]] = _read_packaged()
"""All groups, depth-first in performance-table order; ``HIERARCHY[0]`` is all crime."""

_BY_KEY: Final[dict[str, OffenceGroup]] = {group.key: group for group in HIERARCHY}
_POSITION: Final[dict[str, int]] = {group.key: i for i, group in enumerate(HIERARCHY)}


def _build_name_index() -> dict[str, OffenceGroup]:
    index: dict[str, OffenceGroup] = {}
    for group in HIERARCHY:
        for label in (group.key, group.name, *group.aliases):
            norm = normalise(label)
            other = index.get(norm)
            if other is not None and other.key != group.key:
                raise ReferenceDataError(
                    f"commsafe/data/{DATA_FILE}: {label!r} names both {other.key!r} and "
                    f"{group.key!r}"
                )
            index[norm] = group
    return index


def _build_code_index() -> dict[str, OffenceGroup]:
    index: dict[str, OffenceGroup] = {}
    for group in HIERARCHY:
        for code in group.ho_codes:
            if code in index:
                raise ReferenceDataError(
                    f"commsafe/data/{DATA_FILE}: offence code {code!r} is in both "
                    f"{index[code].key!r} and {group.key!r}"
                )
            index[code] = group
    return index


_BY_NAME: Final = _build_name_index()
_BY_CODE: Final = _build_code_index()


def _topmost_for(police_uk: str) -> tuple[OffenceGroup, ...]:
    """The highest groups published under ``police_uk`` (a group whose parent is too is skipped)."""
    return tuple(
        group
        for group in HIERARCHY
        if group.police_uk == police_uk
        and (group.parent is None or _BY_KEY[group.parent].police_uk != police_uk)
    )


_POLICE_UK_GROUPS: Final[dict[str, tuple[OffenceGroup, ...]]] = {
    crime_type: _topmost_for(crime_type) for crime_type in taxonomy.CRIME_TYPES
}
# 'Public disorder and weapons' (police.uk, September 2011 to April 2013) is today's two types.
_POLICE_UK_GROUPS["Public disorder and weapons"] = (
    _POLICE_UK_GROUPS["Possession of weapons"] + _POLICE_UK_GROUPS["Public order"]
)
for _crime_type in taxonomy.CRIME_TYPES:
    if not _POLICE_UK_GROUPS[_crime_type]:
        raise ReferenceDataError(
            f"commsafe/data/{DATA_FILE}: no group is published under police.uk {_crime_type!r}"
        )

_MARKER_INDEX: Final[dict[str, str]] = {
    normalise(label): marker
    for marker in MARKERS
    for label in (marker, *_MARKER_ALIASES.get(marker, ()))
}


# --------------------------------------------------------------------------- look-ups


def police_uk_groups(name: str) -> tuple[OffenceGroup, ...]:
    """The topmost groups whose offences police.uk publishes under crime type ``name``.

    Current and legacy police.uk names are accepted (see :func:`commsafe.taxonomy.standard_name`).
    'Violence and sexual offences' gives violence against the person *and* sexual offences;
    anti-social behaviour and unknown names give ``()``.
    """
    return _POLICE_UK_GROUPS.get(taxonomy.standard_name(name), ())


def _sole_police_uk(group: OffenceGroup) -> str | None:
    """The police.uk type ``group`` covers exactly (it is that type's only topmost group)."""
    if group.police_uk is not None and _POLICE_UK_GROUPS[group.police_uk] == (group,):
        return group.police_uk
    return None


def find_group(name: str) -> OffenceGroup | None:
    """The group called ``name`` (key, Home Office name or alias, normalised), or None.

    A police.uk crime type that corresponds to exactly one group also finds it ('Drugs' → drug
    offences, 'Other crime' → miscellaneous crimes against society); 'Violence and sexual
    offences', which spans two groups, does not (see :func:`police_uk_groups`).
    """
    group = _BY_NAME.get(normalise(name))
    if group is not None:
        return group
    if taxonomy.is_known(name):
        groups = police_uk_groups(name)
        if len(groups) == 1:
            return groups[0]
    return None


def find_marker(name: str) -> str | None:
    """The :data:`MARKERS` entry ``name`` denotes (e.g. 'Hate crimes' → 'Hate crime'), or None."""
    return _MARKER_INDEX.get(normalise(name))


def _require(key: str) -> OffenceGroup:
    group = _BY_KEY.get(key) or find_group(key)
    if group is None:
        raise KeyError(
            f"{key!r} is not a group of the offence hierarchy; keys are {', '.join(_BY_KEY)}"
        )
    return group


def children(key: str) -> tuple[OffenceGroup, ...]:
    """The direct subgroups of group ``key`` (a key, name or alias), in table order."""
    parent = _require(key)
    return tuple(group for group in HIERARCHY if group.parent == parent.key)


def descendants(key: str) -> tuple[OffenceGroup, ...]:
    """Every group below ``key`` (a key, name or alias), depth-first in table order."""
    parent = _require(key)
    start = _POSITION[parent.key] + 1
    below: list[OffenceGroup] = []
    for group in HIERARCHY[start:]:
        if group.level <= parent.level:
            break
        below.append(group)
    return tuple(below)


def police_uk_order() -> tuple[str, ...]:
    """The 13 police.uk crime types in hierarchy order (a police.uk performance table's rows)."""
    order: list[str] = []
    for group in HIERARCHY:
        if group.police_uk is not None and group.police_uk not in order:
            order.append(group.police_uk)
    return tuple(order)


def group_for_offence_code(code: str | float | int) -> OffenceGroup | None:
    """The most specific group classifying Home Office offence ``code`` (``'8N'``, ``'4/1'``).

    Fraud codes and unknown codes give None: fraud is outside all crime.
    """
    return _BY_CODE.get(normalise_code(code))


def order_categories(names: Iterable[str]) -> list[CategoryRow]:
    """Place category names found in some data in performance-table order.

    Home Office names and aliases go at their group's position; police.uk crime types at the
    position of the group(s) they are published under ('Violence and sexual offences' first
    of all, just before violence against the person, with ``group`` None as it spans two);
    then :data:`MARKERS` in their order; then every other name (anti-social behaviour
    included, which is never crime) in the order given, with ``in_hierarchy`` False. Every
    name given is kept, duplicates too; ties keep the given order.
    """
    keyed: list[tuple[tuple[int, int, int, int], CategoryRow]] = []
    for index, name in enumerate(names):
        group = _BY_NAME.get(normalise(name))
        if group is not None:
            row = CategoryRow(name, group, group.level, True)
            keyed.append(((0, _POSITION[group.key], 1, index), row))
            continue
        spans = police_uk_groups(name) if taxonomy.is_known(name) else ()
        if spans:
            first = min(spans, key=lambda g: _POSITION[g.key])
            single = spans[0] if len(spans) == 1 else None
            row = CategoryRow(name, single, first.level, True)
            keyed.append(((0, _POSITION[first.key], 0 if single is None else 1, index), row))
            continue
        marker = find_marker(name)
        if marker is not None:
            row = CategoryRow(name, None, 0, False, marker)
            keyed.append(((1, MARKERS.index(marker), 0, index), row))
            continue
        keyed.append(((2, 0, 0, index), CategoryRow(name, None, 0, False)))
    keyed.sort(key=lambda item: item[0])
    return [row for _, row in keyed]


# --------------------------------------------------------------------------- user groups


def _valid_names_hint(extra: Iterable[str] = ()) -> str:
    names = [*taxonomy.CRIME_TYPES, *(group.name for group in HIERARCHY), *extra]
    return "; ".join(names)


def load_groups(path: str | Path) -> dict[str, tuple[str, ...]]:
    """User-defined groups from the ``[groups]`` table of a TOML file.

    Returns ``{group name: members}`` in file order, each member canonical: a police.uk crime
    type by its current name, a hierarchy group by its Home Office name, another group of the
    file by its name as written. Raises :class:`~commsafe.errors.InputError` (naming the file,
    group and member) for unknown members, cycles, empty groups and group names that clash
    with a crime type or hierarchy name.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: groups file not found. Fix: check the path.") from exc
    except OSError as exc:
        raise InputError(f"{path}: groups file cannot be read ({exc}).") from exc
    try:
        document = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path}: not UTF-8 text ({exc}). Fix: save it as UTF-8.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(f"{path}: not valid TOML: {exc}") from exc

    table = document.get("groups")
    if not isinstance(table, dict):
        raise InputError(
            f"{path}: no [groups] table. Fix: put the groups under a [groups] heading, e.g.\n"
            '[groups]\n"Acquisitive crime" = ["Burglary", "Robbery", "Vehicle crime"]'
        )

    own: dict[str, str] = {}  # normalised name -> name as written
    for name, members in table.items():
        norm = normalise(name)
        if norm in own:
            raise InputError(
                f"{path}: groups {own[norm]!r} and {name!r} differ only in case, dashes or "
                "spacing. Fix: give them distinct names."
            )
        if taxonomy.is_known(name) or norm in _BY_NAME:
            raise InputError(
                f"{path}: group {name!r} has the name of a police.uk crime type or offence "
                "group, so references to it would be ambiguous. Fix: rename the group."
            )
        if find_marker(name) is not None:
            raise InputError(
                f"{path}: group {name!r} has the name of a marker ({', '.join(MARKERS)}). "
                "Fix: rename the group."
            )
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise InputError(
                f"{path}: group {name!r} must be a list of names in quotes, e.g. "
                f'"{name}" = ["Burglary", "Robbery"]; got {members!r}'
            )
        if not members:
            raise InputError(f"{path}: group {name!r} is empty. Fix: list its members.")
        own[norm] = name

    groups: dict[str, tuple[str, ...]] = {}
    for name, members in table.items():
        resolved: list[str] = []
        for member in members:
            canonical = _resolve_member(member, own)
            if canonical is None:
                raise InputError(
                    f"{path}: group {name!r} has unknown member {member!r}. Fix: use a "
                    "police.uk crime type, a Home Office offence group (or one of its "
                    "aliases) or another group of this file; valid names are: "
                    f"{_valid_names_hint(own.values())}"
                )
            resolved.append(canonical)
        groups[name] = tuple(resolved)

    _check_cycles(groups, path)
    return groups


def _resolve_member(member: str, own: Mapping[str, str]) -> str | None:
    norm = normalise(member)
    if norm in own:
        return own[norm]
    if taxonomy.is_known(member):
        return taxonomy.standard_name(member)
    group = _BY_NAME.get(norm)
    return group.name if group is not None else None


def _check_cycles(groups: Mapping[str, tuple[str, ...]], path: Path) -> None:
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = " → ".join([*trail[trail.index(name) :], name])
            raise InputError(
                f"{path}: group {name!r} contains itself through {cycle}. Fix: remove one of "
                "these memberships."
            )
        if name in done:
            return
        for member in groups[name]:
            if member in groups:
                visit(member, [*trail, name])
        done.add(name)

    for name in groups:
        visit(name, [])


def _expand_hierarchy(group: OffenceGroup) -> Iterator[str]:
    whole = _sole_police_uk(group)
    if whole is not None:
        yield whole
    elif group.police_uk is None:
        for child in children(group.key):
            yield from _expand_hierarchy(child)
    else:
        yield group.name


def expand_group(groups: Mapping[str, tuple[str, ...]], name: str) -> tuple[str, ...]:
    """The members of group ``name``, expanded into police.uk crime types where possible.

    Nested user groups are expanded; a hierarchy group becomes the police.uk type it covers
    exactly ('Burglary', 'Drug offences' → 'Drugs', 'Theft offences' → its six types), while
    a part of a type (e.g. 'Residential burglary', 'Violence against the person') is kept by
    its Home Office name, unless all parts of that type are present, which then combine into
    the type. Duplicates are dropped; first appearance sets the order. ``name`` may also be a
    police.uk type or hierarchy name.
    """
    own = {normalise(group): group for group in groups}
    seen: list[str] = []

    def walk(item: str, trail: tuple[str, ...]) -> Iterator[str]:
        norm = normalise(item)
        if norm in own:
            group_name = own[norm]
            if group_name in trail:
                raise InputError(
                    f"group {group_name!r} contains itself: {' → '.join([*trail, group_name])}"
                )
            for member in groups[group_name]:
                yield from walk(member, (*trail, group_name))
        elif taxonomy.is_known(item):
            yield taxonomy.standard_name(item)
        elif norm in _BY_NAME:
            yield from _expand_hierarchy(_BY_NAME[norm])
        else:
            raise InputError(
                f"{item!r} is neither a user-defined group ({', '.join(groups) or 'none'}) nor a "
                f"police.uk crime type or offence group. Valid names are: "
                f"{_valid_names_hint(groups)}"
            )

    for member in walk(name, ()):
        if member not in seen:
            seen.append(member)
    return _combine_parts(seen)


def _combine_parts(items: list[str]) -> tuple[str, ...]:
    """Replace a complete set of a police.uk type's topmost groups by the type itself."""
    result = list(items)
    for crime_type, parts in _POLICE_UK_GROUPS.items():
        if len(parts) < 2 or crime_type not in taxonomy.CRIME_TYPES:
            continue
        names = [part.name for part in parts]
        if all(part in result for part in names):
            first = min(result.index(part) for part in names)
            result = [item for item in result if item not in names]
            if crime_type not in result:
                result.insert(first, crime_type)
    return tuple(result)
