"""The assessment spec, ``commsafe.toml``: what a strategic assessment covers and how.

:func:`load_spec` reads the file (with :mod:`tomllib`) into frozen dataclasses, checking every
key; :func:`render_spec` writes a :class:`Spec` back as commented TOML and :func:`init_spec`
writes a starting ``commsafe.toml`` for a partnership. Paths in the file are relative to the
file. Defaults that :func:`load_spec` fills in are announced in :attr:`Spec.notes`.

Layout::

    recommendations = "register.xlsx"        # optional, CSV/XLSX recommendations register
    interventions = "interventions.csv"      # optional
    harm_weights = "weights.csv"             # optional, harm columns in the performance table
    recorded_crime = "prc-csp.ods"           # optional, Home Office recorded crime by CSP
    [partnership]  name, area                # area: CSP or district code or name
    [period]       assessed = "2024/25" | "2024"  or  rolling = "2025-03";  compare (optional)
    [thresholds]   min_base (5), suppression (5), min_months_compared (6),
                   protected (categories suppressed)
    [data]         police_uk = [...], datasets = [{data, mapping}], reference = [...]
    [outputs]      geography = "ward" | "lsoa"
    [[priorities]] name, rationale, owner, categories
    [[priorities.indicators]] name, measure (count|rate|share), categories | dataset, target
    [[schedule]]   quarter, theme, date
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from commsafe.disclosure import DEFAULT_PROTECTED
from commsafe.errors import FileFormatError, InputError
from commsafe.measures.indicators import MIN_MONTHS_COMPARED
from commsafe.periods import (
    Period,
    add_months,
    financial_year,
    month_label,
    parse_month,
    parse_period,
    previous_period,
    rolling_12,
)
from commsafe.taxonomy import ASB, CRIME_TYPES, standard_name

if TYPE_CHECKING:
    import duckdb

    from commsafe.reference.areas import Area

__all__ = [
    "CATEGORIES",
    "GEOGRAPHIES",
    "MEASURES",
    "SPEC_FILENAME",
    "TARGET_FORMS",
    "Dataset",
    "Indicator",
    "Priority",
    "ScheduleItem",
    "Spec",
    "Target",
    "default_priorities",
    "init_spec",
    "load_spec",
    "parse_spec_period",
    "parse_target",
    "render_spec",
    "resolve_area",
]

SPEC_FILENAME: Final = "commsafe.toml"
MEASURES: Final[tuple[str, ...]] = ("count", "rate", "share")
GEOGRAPHIES: Final[tuple[str, ...]] = ("ward", "lsoa")
CATEGORIES: Final[tuple[str, ...]] = (*CRIME_TYPES, ASB)
"""Categories a priority or indicator may name: the police.uk crime types and ASB."""

TARGET_FORMS: Final = (
    "'below_average:N' (below the N-year average, e.g. below_average:5), "
    "'change:P' (P% change on the comparison period, e.g. change:-5) or "
    "'no_significant_increase'"
)
PERIOD_FORMS: Final = (
    "assessed = a financial year 'YYYY/YY' (e.g. 2024/25) or a calendar year 'YYYY' "
    "(e.g. 2024), or rolling = 'YYYY-MM' (the 12 months to that month, e.g. 2025-03)"
)
DEFAULT_MIN_BASE: Final = 5
DEFAULT_SUPPRESSION: Final = 5
DEFAULT_GEOGRAPHY: Final = "ward"


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Target:
    """An indicator target: ``kind`` is below_average (``value`` = years), change (``value`` =
    percent change on the comparison period) or no_significant_increase (``value`` None)."""

    kind: str
    value: float | None = None

    @property
    def text(self) -> str:
        """The target as written in the spec (``below_average:5``, ``change:-5`` …)."""
        if self.value is None:
            return self.kind
        shown = int(self.value) if float(self.value).is_integer() else self.value
        return f"{self.kind}:{shown}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Indicator:
    """An indicator: police.uk ``categories`` counted, or a partner ``dataset``'s records
    (by its name in the store, e.g. ``synthetic_ed_assaults``) when that is given."""

    name: str
    measure: str
    categories: tuple[str, ...]
    target: Target
    dataset: str | None = None


@dataclass(frozen=True)
class Priority:
    name: str
    categories: tuple[str, ...]
    indicators: tuple[Indicator, ...] = ()
    rationale: str = ""
    owner: str = ""


@dataclass(frozen=True)
class Dataset:
    """A partner data set and the mapping file that says how to read it."""

    data: Path
    mapping: Path


@dataclass(frozen=True)
class ScheduleItem:
    quarter: str
    theme: str
    date: dt.date


@dataclass(frozen=True)
class Spec:
    """A whole ``commsafe.toml``. ``path`` and ``notes`` are not part of equality."""

    partnership_name: str
    area: str
    assessed: Period
    compare: Period
    min_base: int = DEFAULT_MIN_BASE
    suppression: int = DEFAULT_SUPPRESSION
    min_months_compared: int = MIN_MONTHS_COMPARED
    protected: tuple[str, ...] = DEFAULT_PROTECTED
    police_uk: tuple[Path, ...] = ()
    datasets: tuple[Dataset, ...] = ()
    reference: tuple[Path, ...] = ()
    geography: str = DEFAULT_GEOGRAPHY
    priorities: tuple[Priority, ...] = ()
    schedule: tuple[ScheduleItem, ...] = ()
    recommendations: Path | None = None
    interventions: Path | None = None
    harm_weights: Path | None = None
    recorded_crime: Path | None = None
    """The Home Office police recorded crime tables by CSP (:mod:`commsafe.sources.home_office`)."""
    path: Path | None = field(default=None, compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)


# --------------------------------------------------------------------------- parsing helpers

_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "top": ("partnership", "period", "thresholds", "data", "outputs", "priorities", "schedule",
            "recommendations", "interventions", "harm_weights", "recorded_crime"),
    "partnership": ("name", "area"),
    "period": ("assessed", "rolling", "compare"),
    "thresholds": ("min_base", "suppression", "protected", "min_months_compared"),
    "data": ("police_uk", "datasets", "reference"),
    "dataset": ("data", "mapping"),
    "outputs": ("geography",),
    "priority": ("name", "rationale", "owner", "categories", "indicators"),
    "indicator": ("name", "measure", "categories", "dataset", "target"),
    "schedule": ("quarter", "theme", "date"),
}


class _Reader:
    """Checks values from one spec file, naming the file and key in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.notes: list[str] = []

    def error(self, key: str, message: str) -> InputError:
        return InputError(f"{self.name}: '{key}' {message} (file {self.path})")

    def check_keys(self, table: Mapping[str, Any], level: str, where: str) -> None:
        valid = _KEYS[level]
        for key in table:
            if key in valid:
                continue
            close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
            hint = f": did you mean {close[0]!r}?" if close else ""
            place = f"at {where}; " if where else ""
            raise InputError(
                f"unknown key {key!r} in {self.name}{hint} "
                f"({place}valid keys there: {', '.join(valid)}; file {self.path})"
            )

    def table(self, parent: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            raise self.error(where, f"must be a table ([{key}]), not {_kind(value)}")
        return value

    def tables(self, parent: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = parent.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(where, f"must be an array of tables ([[{key}]])")
        return value

    def string(self, table: Mapping[str, Any], key: str, where: str, *,
               required: bool = False, default: str = "") -> str:
        if key not in table:
            if required:
                raise self.error(where, "is missing; it is required")
            return default
        value = table[key]
        if not isinstance(value, str):
            raise self.error(where, f"must be text in quotes, not {_kind(value)} {value!r}")
        if required and not value.strip():
            raise self.error(where, "must not be empty")
        return value.strip()

    def integer(self, table: Mapping[str, Any], key: str, where: str, default: int) -> int:
        if key not in table:
            self.notes.append(f"{where} not given: using the default {default}")
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(where, f"must be a whole number 0 or more, not {value!r}")
        return value

    def path_value(self, value: Any, where: str) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.error(where, f"must be a file path in quotes, not {value!r}")
        return (self.path.parent / value.strip()).resolve()

    def paths(self, table: Mapping[str, Any], key: str, where: str) -> tuple[Path, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.error(where, f"must be a list of file paths, not {_kind(value)}")
        return tuple(self.path_value(v, f"{where}[{i}]") for i, v in enumerate(value))

    def categories(self, value: Any, where: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.error(where, "must be a non-empty list of police.uk crime types")
        out: list[str] = []
        for item in value:
            name = standard_name(item) if isinstance(item, str) else None
            if name not in CATEGORIES:
                raise self.error(
                    where, f"has {item!r}, which is not a police.uk crime type; use one of: "
                    f"{', '.join(CATEGORIES)}")
            if name not in out:
                out.append(name)
        return tuple(out)


def _kind(value: object) -> str:
    return {
        bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
        dict: "a table", dt.date: "a date", dt.datetime: "a date-time",
    }.get(type(value), type(value).__name__)


_TARGET_RE = re.compile(r"\s*(below_average|change)\s*:\s*([+-]?\d+(?:\.\d+)?)\s*")


def parse_target(text: str) -> Target:
    """Parse a target (see :data:`TARGET_FORMS`); raise InputError listing the forms."""
    if isinstance(text, str):
        if text.strip() == "no_significant_increase":
            return Target("no_significant_increase")
        match = _TARGET_RE.fullmatch(text)
        if match is not None:
            kind, number = match.group(1), float(match.group(2))
            if kind == "change":
                return Target("change", number)
            if number.is_integer() and number >= 1:
                return Target("below_average", number)
    raise InputError(f"{text!r} is not a target; use {TARGET_FORMS}")


_FY_RE = re.compile(r"\d{4}/\d{2}")
_CY_RE = re.compile(r"\d{4}")
_MONTH_RE = re.compile(r"\d{4}-\d{2}")


def parse_spec_period(text: str | int, *, rolling: bool = False) -> Period:
    """A period as a spec gives it: ``2024/25`` (financial year), ``2024`` (calendar year),
    ``12 months to 2025-03``, or with ``rolling=True`` a month ``2025-03`` (12 months to it)."""
    label = str(text).strip() if isinstance(text, str | int) and not isinstance(
        text, bool) else None
    try:
        if label is not None:
            if rolling or _MONTH_RE.fullmatch(label):
                if _MONTH_RE.fullmatch(label):
                    return rolling_12(parse_month(label))
                return parse_period("rolling_12", label)
            if _FY_RE.fullmatch(label):
                return parse_period("financial_year", label)
            if _CY_RE.fullmatch(label):
                return parse_period("calendar_year", label)
            if label.lower().startswith("12 months to"):
                return parse_period("rolling_12", label)
    except InputError as error:
        raise InputError(f"{text!r} is not a period ({error}); accepted forms: "
                         f"{PERIOD_FORMS}") from None
    raise InputError(f"{text!r} is not a period; accepted forms: {PERIOD_FORMS}")


def _period_kind_name(period: Period) -> str:
    return {"financial_year": "financial year", "calendar_year": "calendar year",
            "rolling_12": "rolling 12 months"}.get(period.kind, period.kind.replace("_", " "))


# --------------------------------------------------------------------------- load


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Read and check ``commsafe.toml`` (or the spec file at ``path``)."""
    spec_path = Path(path)
    if spec_path.is_dir():
        spec_path = spec_path / SPEC_FILENAME
    if not spec_path.is_file():
        raise InputError(f"{spec_path}: no such spec file; create one with 'commsafe init'")
    try:  # utf-8-sig: a spec saved by Notepad or Excel starts with a byte-order mark
        raw = tomllib.loads(spec_path.read_bytes().decode("utf-8-sig"))
    except tomllib.TOMLDecodeError as error:
        raise FileFormatError(f"{spec_path}: not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise FileFormatError(f"{spec_path}: not UTF-8 text: {error}") from None
    r = _Reader(spec_path.resolve())
    r.check_keys(raw, "top", "")

    part = r.table(raw, "partnership", "partnership")
    r.check_keys(part, "partnership", "[partnership]")
    if "partnership" not in raw:
        raise r.error("partnership", "is missing; add a [partnership] table with name and area")
    name = r.string(part, "name", "partnership.name", required=True)
    area = r.string(part, "area", "partnership.area", required=True)

    assessed, compare = _load_period(r, raw)

    thr = r.table(raw, "thresholds", "thresholds")
    r.check_keys(thr, "thresholds", "[thresholds]")
    min_base = r.integer(thr, "min_base", "thresholds.min_base", DEFAULT_MIN_BASE)
    suppression = r.integer(thr, "suppression", "thresholds.suppression", DEFAULT_SUPPRESSION)
    min_months = r.integer(thr, "min_months_compared", "thresholds.min_months_compared",
                           MIN_MONTHS_COMPARED)
    if not 1 <= min_months <= 12:
        raise r.error("thresholds.min_months_compared", f"is {min_months}; give a number of "
                      "months from 1 to 12")
    if suppression < 1:
        raise r.error("thresholds.suppression", f"is {suppression}; give a count of 1 or more "
                      "(1 suppresses nothing)")
    protected = DEFAULT_PROTECTED
    if "protected" in thr:
        value = thr["protected"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise r.error("thresholds.protected", f"must be a list of category names, not "
                          f"{value!r}; e.g. protected = [\"Sexual offences\", \"Domestic abuse\"]")
        protected = tuple(v.strip() for v in value if v.strip())

    data = r.table(raw, "data", "data")
    r.check_keys(data, "data", "[data]")
    police_uk = r.paths(data, "police_uk", "data.police_uk")
    reference = r.paths(data, "reference", "data.reference")
    datasets: list[Dataset] = []
    for i, item in enumerate(r.tables(data, "datasets", "data.datasets")):
        where = f"data.datasets[{i}]"
        r.check_keys(item, "dataset", where)
        for key in ("data", "mapping"):
            if key not in item:
                raise r.error(f"{where}.{key}", "is missing; each data set needs data and "
                              "mapping paths")
        datasets.append(Dataset(r.path_value(item["data"], f"{where}.data"),
                                r.path_value(item["mapping"], f"{where}.mapping")))

    outputs = r.table(raw, "outputs", "outputs")
    r.check_keys(outputs, "outputs", "[outputs]")
    if "geography" in outputs:
        geography = r.string(outputs, "geography", "outputs.geography")
        if geography not in GEOGRAPHIES:
            raise r.error("outputs.geography",
                          f"is {geography!r}; use one of: {', '.join(GEOGRAPHIES)}")
    else:
        geography = DEFAULT_GEOGRAPHY
        r.notes.append(f"outputs.geography not given: using the default {geography!r}")

    priorities = tuple(_load_priority(r, item, i)
                       for i, item in enumerate(r.tables(raw, "priorities", "priorities")))

    schedule: list[ScheduleItem] = []
    for i, item in enumerate(r.tables(raw, "schedule", "schedule")):
        where = f"schedule[{i}]"
        r.check_keys(item, "schedule", where)
        when = item.get("date")
        if isinstance(when, str):
            try:
                when = dt.date.fromisoformat(when.strip())
            except ValueError:
                when = None
        if isinstance(when, dt.datetime) or not isinstance(when, dt.date):
            raise r.error(f"{where}.date", f"must be a date YYYY-MM-DD, not {when!r}"
                          if "date" in item else "is missing; give a date YYYY-MM-DD")
        schedule.append(ScheduleItem(
            r.string(item, "quarter", f"{where}.quarter", required=True),
            r.string(item, "theme", f"{where}.theme", required=True), when))

    optional: dict[str, Path | None] = {}
    for key in ("recommendations", "interventions", "harm_weights", "recorded_crime"):
        optional[key] = r.path_value(raw[key], key) if key in raw else None

    return Spec(
        partnership_name=name, area=area, assessed=assessed, compare=compare,
        min_base=min_base, suppression=suppression, min_months_compared=min_months,
        protected=protected, police_uk=police_uk,
        datasets=tuple(datasets), reference=reference, geography=geography,
        priorities=priorities, schedule=tuple(schedule),
        recommendations=optional["recommendations"], interventions=optional["interventions"],
        harm_weights=optional["harm_weights"], recorded_crime=optional["recorded_crime"],
        path=r.path, notes=tuple(r.notes),
    )


def _load_period(r: _Reader, raw: Mapping[str, Any]) -> tuple[Period, Period]:
    if "period" not in raw:
        raise r.error("period", f"is missing; add a [period] table: {PERIOD_FORMS}")
    per = r.table(raw, "period", "period")
    r.check_keys(per, "period", "[period]")
    if "assessed" in per and "rolling" in per:
        raise r.error("period", "has both assessed and rolling; give one of them")
    if "assessed" not in per and "rolling" not in per:
        raise r.error("period", f"needs the period assessed: {PERIOD_FORMS}")
    key = "assessed" if "assessed" in per else "rolling"
    try:
        assessed = parse_spec_period(per[key], rolling=key == "rolling")
    except InputError as error:
        raise r.error(f"period.{key}", str(error)) from None
    if "compare" in per:
        try:
            compare = parse_spec_period(per["compare"], rolling=assessed.kind == "rolling_12")
        except InputError as error:
            raise r.error("period.compare", str(error)) from None
        if compare.start >= assessed.start:
            raise r.error("period.compare", f"({compare.label}) must come before the period "
                          f"assessed ({assessed.label})")
    else:
        compare = previous_period(assessed)
        r.notes.append(f"period.compare not given: comparing {assessed.label} with "
                       f"{compare.label}, the previous {_period_kind_name(assessed)}")
    return assessed, compare


def _load_priority(r: _Reader, item: Mapping[str, Any], i: int) -> Priority:
    where = f"priorities[{i}]"
    r.check_keys(item, "priority", where)
    name = r.string(item, "name", f"{where}.name", required=True)
    if "categories" not in item:
        raise r.error(f"{where}.categories", "is missing; list the police.uk crime types "
                      f"this priority covers: {', '.join(CATEGORIES)}")
    categories = r.categories(item["categories"], f"{where}.categories")
    indicators: list[Indicator] = []
    for j, ind in enumerate(r.tables(item, "indicators", f"{where}.indicators")):
        iw = f"{where}.indicators[{j}]"
        r.check_keys(ind, "indicator", iw)
        ind_name = r.string(ind, "name", f"{iw}.name", required=True)
        measure = r.string(ind, "measure", f"{iw}.measure", required=True)
        if measure not in MEASURES:
            raise r.error(f"{iw}.measure", f"is {measure!r}; use one of: {', '.join(MEASURES)}")
        dataset = None
        if "dataset" in ind:
            dataset = r.string(ind, "dataset", f"{iw}.dataset", required=True)
            if "categories" in ind:
                raise r.error(f"{iw}.dataset", "and categories are both given; an indicator "
                              "counts either police.uk crime types or a partner data set")
            if measure == "share":
                raise r.error(f"{iw}.measure", "is 'share', which is a share of all crime; "
                              "a partner data set indicator uses count or rate")
            ind_cats: tuple[str, ...] = ()
        elif "categories" in ind:
            ind_cats = r.categories(ind["categories"], f"{iw}.categories")
        else:
            ind_cats = categories
            r.notes.append(f"{iw}.categories not given: using the priority's "
                           f"({', '.join(categories)})")
        if "target" not in ind:
            raise r.error(f"{iw}.target", f"is missing; use {TARGET_FORMS}")
        try:
            target = parse_target(ind["target"])
        except InputError as error:
            raise r.error(f"{iw}.target", str(error)) from None
        indicators.append(Indicator(ind_name, measure, ind_cats, target, dataset))
    return Priority(name, categories, tuple(indicators),
                    r.string(item, "rationale", f"{where}.rationale"),
                    r.string(item, "owner", f"{where}.owner"))


def resolve_area(spec: Spec, con: duckdb.DuckDBPyConnection) -> Area:
    """The :class:`~commsafe.reference.areas.Area` the spec's ``partnership.area`` names
    (CSP first, then district …), looked up in the store's reference data."""
    from commsafe.reference.areas import find_area

    return find_area(con, spec.area)


# --------------------------------------------------------------------------- render


def _q(text: str) -> str:
    """``text`` as a TOML basic string."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _rel(p: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(p, base)).as_posix()
    except ValueError:  # another drive on Windows
        return p.as_posix()


def _list(items: Sequence[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _period_value(period: Period) -> str:
    return month_label(period.end) if period.kind == "rolling_12" else period.label


def render_spec(spec: Spec, base: str | os.PathLike[str] | None = None) -> str:
    """``spec`` as a commented ``commsafe.toml``; paths are written relative to ``base``
    (default: the directory of ``spec.path``, else the current directory)."""
    if base is None:
        base = spec.path.parent if spec.path is not None else Path.cwd()
    b = Path(base).resolve()
    out: list[str] = [
        f"# commsafe assessment spec for {spec.partnership_name}.",
        "# Paths are relative to this file. Every key is explained by the comment above it.",
        "",
        "# Recommendations register (CSV or XLSX) tracked from earlier assessments.",
    ]
    for key, comment, example in (
            ("recommendations", None, "recommendations.xlsx"),
            ("interventions", "# Interventions list (CSV or XLSX) to evaluate.",
             "interventions.xlsx"),
            ("harm_weights", "# Harm weights (CSV: category or ho_code, weight) for harm columns "
             "in the performance table.", "harm_weights.csv"),
            ("recorded_crime", "# The Home Office police recorded crime tables by CSP (ODS, "
             "XLSX or CSV as published): a\n# recorded crime performance table in Appendix A.",
             "prc-csp-ods-tables.ods")):
        if comment:
            out.append(comment)
        value = getattr(spec, key)
        if value is None:
            out.append(f'# {key} = "{example}"   (uncomment and edit to use)')
        else:
            out.append(f"{key} = {_q(_rel(value, b))}")
    kind = "rolling" if spec.assessed.kind == "rolling_12" else "assessed"
    if kind == "rolling":
        period_comment = ("# The period assessed: the 12 months to this month (YYYY-MM). Use "
                          "assessed = \"2024/25\" or \"2024\" instead for a year.")
    else:
        period_comment = ("# The period assessed: a financial year \"YYYY/YY\" or calendar year "
                          "\"YYYY\" (or rolling = \"YYYY-MM\" for the 12 months to a month).")
    out += [
        "",
        "# The partnership the assessment is for.",
        "[partnership]",
        "# Partnership name, used in titles.",
        f"name = {_q(spec.partnership_name)}",
        "# The area covered: a CSP or district ONS code or name.",
        f"area = {_q(spec.area)}",
        "",
        "# Reporting periods.",
        "[period]",
        period_comment,
        f"{kind} = {_q(_period_value(spec.assessed))}",
        "# The period compared with (default: the previous period of the same kind).",
        f"compare = {_q(_period_value(spec.compare))}",
        "",
        "# Thresholds for reporting.",
        "[thresholds]",
        "# Smallest count a rate or percentage change is shown for.",
        f"min_base = {spec.min_base}",
        "# Fewest months two periods must both have data for to be compared (like for like",
        "# over the months they share; fewer refuse the comparison, naming the gaps).",
        f"min_months_compared = {spec.min_months_compared}",
        "# Counts below this are suppressed in published outputs.",
        f"suppression = {spec.suppression}",
        "# Categories whose small counts are suppressed (with enough other cells that they",
        "# cannot be worked out from totals). police.uk's 'Violence and sexual offences' is",
        "# not protected by default; add it here if your tables need it.",
        f"protected = {_list(list(spec.protected))}",
        "",
        "# Input data.",
        "[data]",
        "# police.uk street-level crime files or folders.",
        f"police_uk = {_list([_rel(p, b) for p in spec.police_uk])}",
        "# Partner data sets: each a data file and the mapping file describing its columns.",
        "datasets = [" + ", ".join(
            f"{{ data = {_q(_rel(d.data, b))}, mapping = {_q(_rel(d.mapping, b))} }}"
            for d in spec.datasets) + "]",
        "# Reference data: lookups, boundaries, population.",
        f"reference = {_list([_rel(p, b) for p in spec.reference])}",
        "",
        "# Outputs.",
        "[outputs]",
        "# Small-area geography for maps and tables: \"ward\" or \"lsoa\".",
        f"geography = {_q(spec.geography)}",
    ]
    for pr in spec.priorities:
        out += [
            "",
            "# A partnership priority.",
            "[[priorities]]",
            "# Priority name.",
            f"name = {_q(pr.name)}",
            "# Why it is a priority.",
            f"rationale = {_q(pr.rationale)}",
            "# Lead officer or agency.",
            f"owner = {_q(pr.owner)}",
            "# police.uk crime types the priority covers.",
            f"categories = {_list(pr.categories)}",
        ]
        for ind in pr.indicators:
            out += [
                "",
                "# An indicator of the priority above.",
                "[[priorities.indicators]]",
                "# Indicator name.",
                f"name = {_q(ind.name)}",
                "# Measure: \"count\", \"rate\" (per 1,000 residents) or \"share\" (% of all).",
                f"measure = {_q(ind.measure)}",
                *(["# The partner data set counted (its name in the store).",
                   f"dataset = {_q(ind.dataset)}"] if ind.dataset else
                  ["# police.uk crime types counted (default: the priority's); or give",
                   "# dataset = \"name\" to count a partner data set's records instead.",
                   f"categories = {_list(ind.categories)}"]),
                "# Target: \"below_average:N\" (below the N-year average), \"change:P\" "
                "(P% on the comparison period) or \"no_significant_increase\".",
                f"target = {_q(ind.target.text)}",
            ]
    for item in spec.schedule:
        out += [
            "",
            "# A scheduled themed review.",
            "[[schedule]]",
            "# Quarter, e.g. \"2025/26 Q1\".",
            f"quarter = {_q(item.quarter)}",
            "# Theme of the review.",
            f"theme = {_q(item.theme)}",
            "# Date of the meeting.",
            f"date = {item.date.isoformat()}",
        ]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- init


def default_priorities(category_counts: Mapping[str, int] | None) -> tuple[
        tuple[Priority, ...], str]:
    """Starting priorities, with a note saying what was chosen: the two largest crime types
    in ``category_counts`` (unknown names ignored; ties in police.uk order), and anti-social
    behaviour as a third when it has at least as many incidents as the second of them (a
    strategic assessment covers crime *and disorder*; ASB of that size is a demand the
    partnership answers for)."""
    totals: dict[str, int] = {}
    asb = 0
    for name, count in (category_counts or {}).items():
        std = standard_name(name)
        if std in CRIME_TYPES:
            totals[std] = totals.get(std, 0) + int(count)
        elif std == ASB:
            asb += int(count)
    ranked = sorted(totals, key=lambda n: (-totals[n], CRIME_TYPES.index(n)))[:2]
    if len(ranked) == 2:
        why = "the two largest crime types in the data"
        detail = ", ".join(f"{n} ({totals[n]:,})" for n in ranked)
    else:
        fill = [n for n in ("Violence and sexual offences", "Burglary") if n not in ranked]
        ranked = [*ranked, *fill][:2]
        why = "too few crime counts to choose from, so common starting priorities"
        detail = ", ".join(ranked)
    priorities = tuple(
        Priority(
            name=n,
            categories=(n,),
            rationale=f"One of {why}; review and edit.",
            owner="",
            indicators=(
                Indicator(f"{n}: count below the 5-year average", "count", (n,),
                          Target("below_average", 5)),
                Indicator(f"{n}: no significant increase", "count", (n,),
                          Target("no_significant_increase")),
            ),
        )
        for n in ranked
    )
    if len(totals) >= 2 and asb and asb >= totals[ranked[1]]:
        priorities += (Priority(
            name=ASB, categories=(ASB,), owner="",
            rationale=(f"Anti-social behaviour: {asb:,} incidents, as many as or more than "
                       f"{ranked[1]} ({totals[ranked[1]]:,}); review and edit."),
            indicators=(
                Indicator(f"{ASB}: count below the 5-year average", "count", (ASB,),
                          Target("below_average", 5)),
                Indicator(f"{ASB}: no significant increase", "count", (ASB,),
                          Target("no_significant_increase")),
            )),)
        return priorities, (f"priorities not given: starting with {detail} ({why}) and "
                            f"{ASB} ({asb:,} incidents, at least as many as {ranked[1]}); "
                            "edit to suit")
    return priorities, f"priorities not given: starting with {detail} ({why}); edit to suit"


def _default_period(today: dt.date) -> Period:
    """The last complete financial year before ``today``."""
    return previous_period(financial_year(today))


def init_spec(
    path: str | os.PathLike[str],
    *,
    partnership_name: str,
    area: str,
    police_uk: Sequence[str | os.PathLike[str]] = (),
    reference: Sequence[str | os.PathLike[str]] = (),
    datasets: Sequence[tuple[str | os.PathLike[str], str | os.PathLike[str]]] = (),
    priorities: Sequence[Priority] | None = None,
    period: str | None = None,
    category_counts: Mapping[str, int] | None = None,
    geography: str = DEFAULT_GEOGRAPHY,
    overwrite: bool = False,
    today: dt.date | None = None,
) -> tuple[Path, list[str]]:
    """Write a commented starting ``commsafe.toml`` at ``path`` (a file, or a directory -
    anything without a suffix - to hold one) and return its path and notes on the choices made.

    ``period`` is ``2024/25``, ``2024`` or ``2025-03`` (the 12 months to that month); when not
    given, the last complete financial year. Without ``priorities``, two are chosen from
    ``category_counts`` (see :func:`default_priorities`). Input paths are taken relative to
    the current directory and written relative to the spec file.
    """
    target = Path(path)
    if target.is_dir() or not target.suffix:
        target = target / SPEC_FILENAME
    if target.exists() and not overwrite:
        raise InputError(f"{target} already exists; edit it, or remove it to start again")
    if geography not in GEOGRAPHIES:
        raise InputError(f"geography {geography!r}: use one of: {', '.join(GEOGRAPHIES)}")
    if not partnership_name.strip() or not area.strip():
        raise InputError("init: give the partnership name and area (a CSP or district)")
    notes: list[str] = []
    if period is None:
        assessed = _default_period(today or dt.date.today())
        notes.append(f"period not given: assessing {assessed.label}, the last complete "
                     "financial year")
    else:
        assessed = parse_spec_period(period, rolling=bool(_MONTH_RE.fullmatch(period.strip())))
    compare = previous_period(assessed)
    notes.append(f"comparing with {compare.name}, the previous {_period_kind_name(assessed)}")
    if priorities is None:
        chosen, note = default_priorities(category_counts)
        notes.append(note)
    else:
        chosen = tuple(priorities)
        for pr in chosen:
            for cat in (*pr.categories, *(c for ind in pr.indicators for c in ind.categories)):
                if cat not in CATEGORIES:
                    raise InputError(f"priority {pr.name!r}: {cat!r} is not a police.uk crime "
                                     f"type; use one of: {', '.join(CATEGORIES)}")
    first_q = add_months(assessed.end, 1)
    spec = Spec(
        partnership_name=partnership_name.strip(), area=area.strip(), assessed=assessed,
        compare=compare,
        police_uk=tuple(Path(p).resolve() for p in police_uk),
        reference=tuple(Path(p).resolve() for p in reference),
        datasets=tuple(Dataset(Path(d).resolve(), Path(m).resolve()) for d, m in datasets),
        geography=geography, priorities=chosen,
        schedule=(ScheduleItem(_quarter_label(first_q), "Strategic assessment sign-off",
                               add_months(first_q, 2)),),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_spec(spec, target.parent), encoding="utf-8")
    load_spec(target)  # what we wrote must read back
    return target, notes


def _quarter_label(month: dt.date) -> str:
    fy = financial_year(month)
    q = ((month.month - 4) % 12) // 3 + 1
    return f"{fy.label} Q{q}"

