"""Partner data sets read through a declared column mapping (see docs/datasets.md).

A mapping is a TOML file::

    kind = "ed_assaults"            # one of KINDS
    name = "ed_assaults_city"       # the data set; a new file for it replaces its rows
    title = "City ED assault attendances"
    synthetic = false
    personal = ["NHS number", "Patient name"]   # never read, stored or printed

    [columns]                       # field -> header in the file
    attendance_datetime = "Arrival"
    [formats]                       # field -> strptime format, or a list of them
    attendance_datetime = ["%d/%m/%Y %H:%M", "%d/%m/%Y"]
    [codes.weapon]                  # source value -> canonical value
    "Knife" = "knife/sharp"

:func:`load_dataset` loads a CSV or XLSX file into the ``records`` table: every data row is
accounted for (``rows_read = loaded + rejected + duplicate``), rows that cannot be read are
rejected with the reason, line, column and value (never the value of a personal column), the
same file with the same mapping again is a duplicate, a different file for the data set
replaces its rows, and the whole load is one transaction.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from commsafe import periods
from commsafe.errors import FileFormatError, InputError, where
from commsafe.sources.files import parse_count, table_rows
from commsafe.store import Store, now
from commsafe.store.loads import LoadRecord, Reject, record_loads, sha256_bytes

__all__ = ["KINDS", "FieldSpec", "KindSpec", "Mapping", "load_dataset", "read_mapping"]

# --------------------------------------------------------------------------- kinds

SEXES = ("male", "female", "other", "unknown")
SEX_CODES = {"m": "male", "f": "female", "u": "unknown", "not known": "unknown",
             "not stated": "unknown", "x": "other", "i": "other", "indeterminate": "other"}
YES_NO = ("yes", "no")
FLAG_CODES = {"y": "yes", "true": "yes", "1": "yes", "t": "yes", "x": "yes",
              "n": "no", "false": "no", "0": "no", "f": "no"}
WEAPONS = ("knife/sharp", "glass/bottle", "blunt", "body part", "other")
WEAPON_CODES = {"knife": "knife/sharp", "sharp": "knife/sharp", "sharp object": "knife/sharp",
                "glass": "glass/bottle", "bottle": "glass/bottle", "blunt object": "blunt",
                "fist": "body part", "feet": "body part", "kick": "body part",
                "punch": "body part", "none": "body part"}
AGE_GROUPS = ("adult", "minor")
AGE_GROUP_CODES = {"child": "minor", "under 18": "minor", "<18": "minor", "18+": "adult",
                   "18 or over": "adult", "over 18": "adult"}
#: datetime formats tried when the mapping declares none for a field
DEFAULT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                   "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
#: period kinds tried, in order, for a period label (see commsafe.periods)
DEFAULT_PERIOD_KINDS = ("quarter", "financial_quarter", "calendar_year", "financial_year",
                        "rolling_12")


@dataclass(frozen=True)
class FieldSpec:
    """Where a field goes (a ``records`` column, ``attr``, ``flag`` or ``flags``) and how it
    is read (``text``, ``datetime``, ``number``, ``count``, ``pct``, ``age``, ``code``,
    ``period`` or ``area``)."""

    target: str
    type: str = "text"
    vocab: tuple[str, ...] = ()
    default_codes: dict[str, str] = field(default_factory=dict)
    period_kinds: tuple[str, ...] = DEFAULT_PERIOD_KINDS
    extra_flags: dict[str, str] = field(default_factory=dict)  # canonical value -> flag


@dataclass(frozen=True)
class KindSpec:
    fields: dict[str, FieldSpec]
    required: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    default_value: float | None = None  # ``value`` when no field gives it


def _text(target: str) -> FieldSpec:
    return FieldSpec(target)


def _dt(target: str) -> FieldSpec:
    return FieldSpec(target, "datetime")


def _flag() -> FieldSpec:
    return FieldSpec("flag", "code", YES_NO, FLAG_CODES)


def _sex(target: str) -> FieldSpec:
    return FieldSpec(target, "code", SEXES, SEX_CODES)


_PLACE = {"lsoa": _text("lsoa_code"), "ward": _text("ward_code"),
          "latitude": FieldSpec("latitude", "number"),
          "longitude": FieldSpec("longitude", "number"), "location": _text("location")}

KINDS: dict[str, KindSpec] = {
    "police_extract": KindSpec(
        fields={
            "crime_ref": _text("record_id"), "offence_code": _text("offence_code"),
            "offence": _text("category"), "committed_from": _dt("occurred_at"),
            "committed_to": _dt("occurred_to"), "recorded": _dt("attr"),
            "latitude": _PLACE["latitude"], "longitude": _PLACE["longitude"],
            "easting": FieldSpec("attr", "number"), "northing": FieldSpec("attr", "number"),
            "lsoa": _PLACE["lsoa"], "ward": _PLACE["ward"],
            "victim_age": FieldSpec("victim_age", "age"), "victim_sex": _sex("victim_sex"),
            "offender_age": FieldSpec("offender_age", "age"),
            "offender_sex": _sex("offender_sex"),
            "domestic_abuse": _flag(), "hate": _flag(), "cse": _flag(), "knife": _flag(),
            "alcohol": _flag(), "outcome": _text("attr"),
        },
        required=("committed_from",), one_of=(("offence", "offence_code"),)),
    "asb_incidents": KindSpec(
        fields={"ref": _text("record_id"), "datetime": _dt("occurred_at"),
                "category": _text("category"), **_PLACE},
        required=("datetime", "category")),
    "ed_assaults": KindSpec(
        fields={
            "attendance_datetime": _dt("occurred_at"), "assault_datetime": _dt("attr"),
            "weapon": FieldSpec("category", "code", WEAPONS, WEAPON_CODES,
                                extra_flags={"knife/sharp": "knife", "glass/bottle": "glass"}),
            "location_type": _text("attr"), "location": _text("location"),
            "admitted": _flag(), "age": FieldSpec("victim_age", "age"),
            "sex": _sex("victim_sex"), "lsoa": _text("lsoa_code"),
        },
        required=("attendance_datetime",)),
    "ambulance_callouts": KindSpec(
        fields={"date": _dt("occurred_at"), "quarter": FieldSpec("period_label", "period"),
                "lsoa": _text("lsoa_code"), "category": _text("category"),
                "count": FieldSpec("value", "count")},
        one_of=(("date", "quarter"),), default_value=1.0),
    "needle_finds": KindSpec(
        fields={"date": _dt("occurred_at"), "ward": _text("ward_code"),
                "location": _text("location"), "needles": FieldSpec("value", "count")},
        required=("date", "needles"), one_of=(("ward", "location"),)),
    "school_absence": KindSpec(
        fields={"school": _text("school"),
                "academic_year": FieldSpec("period_label", "period",
                                           period_kinds=("academic_year",)),
                "overall_absence_pct": FieldSpec("value", "pct"),
                "exclusion_pct": FieldSpec("attr", "pct"),
                "persistent_absence_pct": FieldSpec("attr", "pct")},
        required=("school", "academic_year", "overall_absence_pct")),
    "nrm_referrals": KindSpec(
        fields={"year": FieldSpec("period_label", "period",
                                  period_kinds=("calendar_year", "financial_year")),
                "exploitation_type": _text("category"), "nationality": _text("attr"),
                "age_group": FieldSpec("flags", "code", AGE_GROUPS, AGE_GROUP_CODES),
                "referring_agency": _text("attr")},
        required=("year", "exploitation_type")),
    "premises_incidents": KindSpec(
        fields={"premises_id": _text("premises_id"), "premises_name": _text("premises_name"),
                "datetime": _dt("occurred_at"), "incident_type": _text("category"),
                "violent": _flag(), "severity": FieldSpec("attr", "number")},
        required=("premises_id", "datetime")),
    "offender_caseload": KindSpec(
        fields={"district": _text("district_code"), "snapshot_date": _dt("occurred_at"),
                "disability": _flag(), "mental_health": _flag(), "accommodation": _flag(),
                "substance_misuse": _flag(), "domestic_abuse": _flag(),
                "risk_band": _text("category")},
        required=("district", "snapshot_date")),
    "counts": KindSpec(
        fields={"area": FieldSpec("area", "area"), "category": _text("category"),
                "period": FieldSpec("period_label", "period"),
                "count": FieldSpec("value", "count")},
        required=("category", "period", "count")),
}

RECORD_COLUMNS = (
    "dataset", "kind", "record_id", "row_number", "occurred_at", "occurred_to", "month",
    "period_label", "category", "offence_code", "longitude", "latitude", "location",
    "lsoa_code", "ward_code", "district_code", "school", "premises_id", "premises_name",
    "victim_age", "victim_sex", "offender_age", "offender_sex", "value", "flags",
    "attributes", "load_id",
)
_ARROW_TYPES: dict[str, pa.DataType] = {
    "row_number": pa.int64(), "occurred_at": pa.timestamp("us"),
    "occurred_to": pa.timestamp("us"), "month": pa.date32(), "longitude": pa.float64(),
    "latitude": pa.float64(), "victim_age": pa.int16(), "offender_age": pa.int16(),
    "value": pa.float64(), "flags": pa.list_(pa.string()), "load_id": pa.int64(),
}

# --------------------------------------------------------------------------- the mapping


@dataclass(frozen=True)
class Mapping:
    path: Path
    sha256: str
    kind: str
    name: str
    title: str | None
    synthetic: bool
    columns: dict[str, str]              # field -> header
    formats: dict[str, tuple[str, ...]]  # field -> strptime formats
    codes: dict[str, dict[str, str]]     # field -> source value (lower case) -> canonical
    personal: tuple[str, ...]
    # age field -> band label (lower case) -> (label, first age, last age)
    age_bands: dict[str, dict[str, tuple[str, int, int]]] = field(default_factory=dict)

    @property
    def spec(self) -> KindSpec:
        return KINDS[self.kind]


def _mapping_error(path: Path, text: str) -> InputError:
    return InputError(f"{path}: {text}")


def read_mapping(path: Path | str) -> Mapping:
    """Read and check a mapping file (not yet against a data file's header)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such mapping file. Give the path of a .toml mapping "
                         "(see docs/datasets.md for examples).")
    raw = p.read_bytes()
    try:
        doc = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FileFormatError(f"{p}: not a valid TOML mapping ({exc}). Fix the syntax; see "
                              "docs/datasets.md for examples.") from None
    kind = doc.get("kind")
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), list(KINDS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise _mapping_error(p, f"kind {kind!r} is not a kind commsafe knows.{hint} Set kind "
                             f"to one of: {', '.join(KINDS)}.")
    spec = KINDS[kind]
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _mapping_error(p, "no data set name. Add a line like name = \"ed_assaults_city\""
                             " (a new file for the same name replaces its rows).")
    title = doc.get("title")
    synthetic = doc.get("synthetic", False)
    if not isinstance(synthetic, bool):
        raise _mapping_error(p, f"synthetic = {synthetic!r}: write true or false.")
    columns = doc.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise _mapping_error(p, "[columns] must map each field to a header, e.g. "
                             "attendance_datetime = \"Arrival date\".")
    for section in ("formats", "codes", "age_bands"):
        if not isinstance(doc.get(section, {}), dict):
            raise _mapping_error(p, f"{section} must be a table ([{section}]) of fields, not "
                                 f"{type(doc[section]).__name__}; see docs/datasets.md for "
                                 "examples.")
    for key in (*columns, *doc.get("formats", {}), *doc.get("codes", {}),
                *doc.get("age_bands", {})):
        if key not in spec.fields:
            close = difflib.get_close_matches(key, list(spec.fields), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise _mapping_error(p, f"{key!r} is not a field of kind {kind}.{hint} Its "
                                 f"fields are: {', '.join(spec.fields)}.")
    missing = [f for f in spec.required if f not in columns]
    missing += [" or ".join(group) for group in spec.one_of
                if not any(f in columns for f in group)]
    if missing:
        raise _mapping_error(p, f"kind {kind} needs the field(s) {', '.join(missing)} but "
                             "[columns] does not map them. Add a line for each naming its "
                             "header in the file.")
    formats: dict[str, tuple[str, ...]] = {}
    for key, value in doc.get("formats", {}).items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or \
                not all(isinstance(v, str) for v in values):
            raise _mapping_error(p, f"[formats] {key} = {value!r}: give a strptime format "
                                 "or a list of them, e.g. [\"%d/%m/%Y %H:%M\", \"%d/%m/%Y\"].")
        if spec.fields[key].type != "datetime":
            raise _mapping_error(p, f"[formats] {key}: the field is not a date, so it has no "
                                 "format. Remove the line.")
        formats[key] = tuple(values)
    codes: dict[str, dict[str, str]] = {}
    for key, table in doc.get("codes", {}).items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise _mapping_error(p, f"[codes.{key}] must map source values to canonical "
                                 "values, e.g. \"Knife\" = \"knife/sharp\".")
        vocab = spec.fields[key].vocab
        bad = [v for v in table.values() if vocab and v not in vocab]
        if bad:
            raise _mapping_error(p, f"[codes.{key}] maps to {bad[0]!r}, which is not one of "
                                 f"the canonical values {', '.join(vocab)}. Fix the value.")
        codes[key] = {str(k).strip().lower(): v for k, v in table.items()}
    personal = doc.get("personal", [])
    if not isinstance(personal, list) or not all(isinstance(v, str) for v in personal):
        raise _mapping_error(p, "personal must be a list of headers, e.g. "
                             "personal = [\"NHS number\", \"Name\"].")
    age_bands: dict[str, dict[str, tuple[str, int, int]]] = {}
    for key, table in doc.get("age_bands", {}).items():
        if spec.fields[key].type != "age":
            raise _mapping_error(p, f"[age_bands.{key}]: the field is not an age. Remove the "
                                 "table.")
        bands: dict[str, tuple[str, int, int]] = {}
        for label, rng in (table.items() if isinstance(table, dict) else []):
            if not (isinstance(rng, list) and len(rng) == 2
                    and all(isinstance(v, int) for v in rng) and 0 <= rng[0] <= rng[1] <= 120):
                raise _mapping_error(p, f"[age_bands.{key}] {label!r} = {rng!r}: give the "
                                     "first and last age of the band, e.g. \"18-24\" = "
                                     "[18, 24] or \"65+\" = [65, 120].")
            bands[str(label).strip().lower()] = (str(label).strip(), rng[0], rng[1])
        if not bands:
            raise _mapping_error(p, f"[age_bands.{key}] must list the bands, e.g. "
                                 "\"18-24\" = [18, 24].")
        age_bands[key] = bands
    return Mapping(p, sha256_bytes(raw), kind, name.strip(),
                   str(title) if title is not None else None, synthetic,
                   dict(columns), formats, codes, tuple(personal), age_bands)


# --------------------------------------------------------------------------- reading files


def _resolve_headers(mapping: Mapping, path: Path, header: list[str]) -> dict[str, int]:
    exact = {h: i for i, h in enumerate(header)}
    loose = {h.strip().lower(): i for i, h in enumerate(header)}
    found: dict[str, int] = {}
    for fname, wanted in mapping.columns.items():
        if wanted in exact:
            found[fname] = exact[wanted]
        elif wanted.strip().lower() in loose:
            found[fname] = loose[wanted.strip().lower()]
        else:
            close = difflib.get_close_matches(wanted, header, n=3, cutoff=0.5)
            if not close:
                lowered = {h.lower(): h for h in header}
                close = [lowered[c] for c in difflib.get_close_matches(
                    wanted.lower(), list(lowered), n=3, cutoff=0.5)]
            hint = f" Close matches: {', '.join(map(repr, close))}." if close else ""
            raise FileFormatError(
                f"{where(path, 1, wanted)}: the mapping {mapping.path} maps field {fname!r} "
                f"to the column {wanted!r}, which is not in the file.{hint} The file's "
                f"columns are: {', '.join(map(repr, header))}. Fix the header in [columns].")
    return found


# --------------------------------------------------------------------------- rows


class _Bad(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _number(text: str) -> float:
    t = text.strip().replace(",", "").rstrip("%").strip()
    try:
        value = float(t)
    except ValueError:
        raise _Bad("bad_number", "not a number; fix the cell") from None
    if not math.isfinite(value):
        raise _Bad("bad_number", "not a finite number; fix the cell")
    return value


@dataclass
class _Reader:
    mapping: Mapping
    path: Path
    header: list[str]
    index: dict[str, int]
    xlsx: bool
    _to_wgs84: Callable[[float, float], tuple[float, float]] | None = None

    def __post_init__(self) -> None:
        self.personal = {h.strip().lower() for h in self.mapping.personal}
        self.personal_idx = {i for i, h in enumerate(self.header)
                             if h.strip().lower() in self.personal}

    def raw(self, fields: list[str]) -> str:
        shown = ["<personal>" if i in self.personal_idx else v for i, v in enumerate(fields)]
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(shown)
        return out.getvalue()

    def _wrong_width(self, fields: list[str], line: int, row_number: int) -> Reject:
        """A record with the wrong number of fields. Its cells cannot be matched to the
        header, so a personal value could sit in any of them: with personal columns declared,
        or when a quote left open swallowed later lines, its text is not kept at all."""
        # lines the record runs over (a quote open to the end of the file takes in its
        # final newline too)
        spanned = 1 + sum(f.count("\n") for f in fields) - (
            1 if fields and fields[-1].endswith("\n") else 0)
        if spanned > 1:
            detail = (f"{where(self.path, line)}: a quoted cell opens on this line and its "
                      f"closing quote is missing, so lines {line} to {line + spanned - 1} "
                      f"({spanned} lines) were read as one record of {len(fields)} fields "
                      f"(the header has {len(self.header)}); close the quote (or remove the "
                      "stray \") and load the file again")
        else:
            detail = (f"{where(self.path, line)}: {len(fields)} fields but the header has "
                      f"{len(self.header)}; fix the row (a comma inside a value needs quotes)")
        keep = not self.personal and spanned == 1
        if not keep:
            detail += " (the row's text is not kept: its cells cannot be told apart)"
        return Reject(line, row_number, "wrong_field_count", detail,
                      self.raw(fields) if keep else None)

    def _datetime(self, fname: str, text: str) -> datetime:
        formats = self.mapping.formats.get(fname, DEFAULT_FORMATS)
        tried = (*formats, "%Y-%m-%d %H:%M:%S") if self.xlsx else formats
        for fmt in tried:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
        declared = "declared" if fname in self.mapping.formats else "default"
        raise _Bad("bad_date", f"not a date in the {declared} format(s) "
                   f"{', '.join(formats)}; fix the cell or add its format to "
                   f"[formats] {fname} in the mapping")

    def _code(self, fname: str, spec: FieldSpec, text: str) -> str:
        table = {**spec.default_codes, **self.mapping.codes.get(fname, {})}
        key = text.strip().lower()
        if key in table:
            return table[key]
        canon = {v.lower(): v for v in (*spec.vocab, *self.mapping.codes.get(fname, {})
                                       .values())}
        if key in canon:
            return canon[key]
        if not spec.vocab and fname not in self.mapping.codes:
            return text.strip()
        listed = sorted({*canon.values()} | {k for k in self.mapping.codes.get(fname, {})})
        raise _Bad("unknown_code", f"not in the code list for {fname!r} "
                   f"({', '.join(listed)}); add it to [codes.{fname}] in the mapping or fix "
                   "the cell")

    def value(self, fname: str, spec: FieldSpec, text: str) -> Any:
        kind = spec.type
        if kind == "datetime":
            return self._datetime(fname, text)
        if kind == "code":
            return self._code(fname, spec, text)
        if kind == "age" and fname in self.mapping.age_bands:
            bands = self.mapping.age_bands[fname]
            band = bands.get(text.strip().lower())
            if band is not None:
                return band  # (label, first, last): stored as a band, see convert()
            try:
                float(text.strip())
            except ValueError:
                raise _Bad("bad_age", "not one of the declared age bands "
                           f"({', '.join(b[0] for b in bands.values())}) nor an age; add it "
                           f"to [age_bands.{fname}] in the mapping or fix the cell") from None
        if kind == "age":
            try:
                number = float(text.strip())
            except ValueError:
                raise _Bad("bad_age", "age is not a number; give whole years 0-120 or "
                           "leave it blank") from None
            if not number.is_integer() or not 0 <= number <= 120:
                raise _Bad("bad_age", "age out of range; give whole years 0-120 or leave "
                           "it blank")
            return int(number)
        if kind == "count":
            try:
                return float(parse_count(text))
            except ValueError as exc:
                raise _Bad("bad_number", f"{exc}; a count is a whole number ≥ 0 (e.g. 12 or "
                           "1,234): fix the cell") from None
        if kind in ("number", "pct"):
            number = _number(text)
            if kind == "pct" and not 0 <= number <= 100:
                raise _Bad("bad_number", "a percentage must lie in 0-100; fix the cell")
            return number
        if kind == "period":
            for pk in spec.period_kinds:
                try:
                    return periods.parse_period(pk, text)
                except InputError:  # try the next kind
                    continue
            raise _Bad("bad_period", "not a period label commsafe reads (e.g. '2024 Q1', "
                       "'2024', '2023/24'); fix the cell")
        if fname in self.mapping.codes:
            return self._code(fname, spec, text)
        return text.strip()

    def convert(self, fields: list[str], line: int, row_number: int
                ) -> tuple[dict[str, Any] | None, Reject | None]:
        spec = self.mapping.spec
        if len(fields) != len(self.header):
            return None, self._wrong_width(fields, line, row_number)
        row: dict[str, Any] = {}
        flags: list[str] = []
        attrs: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        present: set[str] = set()
        failed: set[str] = set()
        for fname, idx in self.index.items():
            fspec = spec.fields[fname]
            header = self.header[idx]
            text = fields[idx].strip()
            personal = idx in self.personal_idx
            if not text:
                continue
            try:
                value = self.value(fname, fspec, text)
            except _Bad as bad:
                place = (f"{where(self.path, line)}, field {fname!r} (a personal column: "
                         "value not shown)" if personal
                         else where(self.path, line, header, text))
                problems.append((bad.reason, f"{place}: {bad.message}"))
                failed.add(fname)
                continue
            present.add(fname)
            if personal:
                continue  # validated, never stored
            target = fspec.target
            if isinstance(value, tuple):  # a declared age band
                label, first, last = value
                attrs[f"{target}_band"] = label
                attrs[f"{target}_from"], attrs[f"{target}_to"] = first, last
                if first == last:
                    row[target] = first
                continue
            if target == "attr":
                attrs[fname] = value.isoformat() if isinstance(value, datetime) else value
            elif target == "flag":
                if value == "yes":
                    flags.append(fname)
            elif target == "flags":
                flags.append(value)
            elif target == "area":
                row[_area_column(value)] = value
            elif fspec.type == "period":
                row["period_label"] = text
                row["month"] = value.start
            else:
                row[target] = value
            if fspec.extra_flags.get(str(value)):
                flags.append(fspec.extra_flags[str(value)])
        missing = [f for f in spec.required if f not in present and f not in failed]
        missing += [" or ".join(g) for g in spec.one_of
                    if not any(f in present or f in failed for f in g)]
        for fname in missing:
            cols = ", ".join(repr(self.mapping.columns[f]) for f in fname.split(" or ")
                             if f in self.mapping.columns)
            problems.append(("missing_value", f"{where(self.path, line)}, column(s) {cols}: "
                             f"no value for {fname}, which kind {self.mapping.kind} needs; "
                             "fill the cell or drop the row"))
        if problems:
            return None, Reject(line, row_number, problems[0][0],
                                "; ".join(p for _, p in problems), self.raw(fields))
        if row.get("latitude") is None and "easting" in attrs and "northing" in attrs:
            lon, lat = self._wgs84(float(attrs["easting"]), float(attrs["northing"]))
            row["longitude"], row["latitude"] = lon, lat
        if row.get("occurred_at") is not None and "month" not in row:
            row["month"] = row["occurred_at"].date().replace(day=1)
        if row.get("value") is None and spec.default_value is not None:
            row["value"] = spec.default_value
        row["flags"] = sorted(set(flags))
        row["attributes"] = json.dumps(attrs, sort_keys=True, default=str)
        row["row_number"] = row_number
        return row, None

    def _wgs84(self, easting: float, northing: float) -> tuple[float, float]:
        if self._to_wgs84 is None:
            from pyproj import Transformer

            t = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
            self._to_wgs84 = lambda x, y: tuple(t.transform(x, y))  # type: ignore[assignment]
        assert self._to_wgs84 is not None
        lon, lat = self._to_wgs84(easting, northing)
        return round(lon, 6), round(lat, 6)


def _area_column(code: str) -> str:
    prefix = code[:3].upper()
    if prefix in ("E01", "W01"):
        return "lsoa_code"
    if prefix in ("E05", "W05"):
        return "ward_code"
    if prefix in ("E06", "E07", "E08", "E09", "W06"):
        return "district_code"
    return "location"


# --------------------------------------------------------------------------- loading


def load_dataset(store: Store, data_path: Path | str, mapping_path: Path | str) -> LoadRecord:
    """Load a partner CSV/XLSX file through its mapping into ``records`` (one transaction)."""
    mapping = read_mapping(mapping_path)
    path = Path(data_path)
    if not path.is_file():
        raise InputError(f"{path}: no such data file. Check the path.")
    data = path.read_bytes()
    sha = sha256_bytes(data)
    started = now()
    con = store.con
    previous = con.execute(
        "SELECT d.load_id, d.mapping_sha256, l.sha256, l.rows_read, l.path, d.kind "
        "FROM datasets d JOIN loads l USING (load_id) WHERE d.dataset = ?",
        [mapping.name]).fetchall()
    load_kind = f"partner:{mapping.kind}"
    if previous and previous[0][1] == mapping.sha256 and previous[0][2] == sha:
        n = int(previous[0][3])
        with store.transaction() as tx:
            rec = LoadRecord(
                load_id=store.next_load_id(), path=str(path), sha256=sha, kind=load_kind,
                started_at=started, finished_at=now(), rows_read=n, rows_duplicate=n,
                status="duplicate",
                note=f"same file and mapping as load {previous[0][0]} of data set "
                     f"{mapping.name}; nothing added")
            record_loads(tx, [rec])
        return rec
    xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
    header, rows = table_rows(path, header_hint="the columns the mapping uses",
                              data=None if xlsx else data)
    index = _resolve_headers(mapping, path, header)
    reader = _Reader(mapping, path, header, index, xlsx)
    good: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    for row_number, (line, fields) in enumerate(rows, start=1):
        row, reject = reader.convert(fields, line, row_number)
        if row is not None:
            good.append(row)
        elif reject is not None:
            rejects.append(reject)
    months = sorted({r["month"].strftime("%Y-%m") for r in good if r.get("month")})
    with store.transaction() as tx:
        load_id = store.next_load_id()
        note = None
        if previous:
            old_id, _, _, _, old_path, old_kind = previous[0]
            replaced = tx.execute("SELECT count(*) FROM records WHERE dataset = ?",
                                  [mapping.name]).fetchall()[0][0]
            tx.execute("DELETE FROM records WHERE dataset = ?", [mapping.name])
            tx.execute("UPDATE loads SET replaced_by = ? WHERE load_id = ?", [load_id, old_id])
            note = (f"revised file: replaces the {replaced} rows of data set {mapping.name} "
                    f"from load {old_id} ({old_path})")
            if old_kind != mapping.kind:
                note += f"; the kind changed from {old_kind} to {mapping.kind}"
        tx.execute("DELETE FROM datasets WHERE dataset = ?", [mapping.name])
        tx.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [mapping.name, mapping.kind, mapping.title, str(mapping.path),
                    mapping.sha256, mapping.synthetic, list(mapping.personal), load_id])
        _insert_records(tx, mapping, good, load_id)
        _resolve_areas(tx, load_id)
        rec = LoadRecord(
            load_id=load_id, path=str(path), sha256=sha, kind=load_kind, started_at=started,
            finished_at=now(), months=months, rows_read=len(rows), rows_loaded=len(good),
            rows_rejected=len(rejects), status="revised" if previous else "loaded",
            note=note, rejects=rejects)
        record_loads(tx, [rec])
    return rec


def _insert_records(con: Any, mapping: Mapping, rows: list[dict[str, Any]],
                    load_id: int) -> None:
    if not rows:
        return
    columns: dict[str, pa.Array] = {}
    for col in RECORD_COLUMNS:
        if col == "dataset":
            values: list[Any] = [mapping.name] * len(rows)
        elif col == "kind":
            values = [mapping.kind] * len(rows)
        elif col == "load_id":
            values = [load_id] * len(rows)
        else:
            values = [r.get(col) for r in rows]
        columns[col] = pa.array(values, _ARROW_TYPES.get(col, pa.string()))
    table = pa.table(columns)
    select = ", ".join("attributes::JSON" if c == "attributes" else c for c in RECORD_COLUMNS)
    con.register("_commsafe_records", table)
    try:
        con.execute(f"INSERT INTO records SELECT {select} FROM _commsafe_records")
    finally:
        con.unregister("_commsafe_records")


def _resolve_areas(con: Any, load_id: int) -> None:
    """Fill ward and district from the LSOA (2021 preferred), and district from the ward."""
    for to_type, column in (("ward", "ward_code"), ("district", "district_code")):
        con.execute(f"""
            UPDATE records SET {column} = link.to_code
            FROM (SELECT from_code,
                         arg_max(to_code, (from_type = 'lsoa21', coalesce(vintage, 0)))
                             AS to_code
                  FROM area_links WHERE from_type IN ('lsoa21', 'lsoa11') AND to_type = ?
                  GROUP BY from_code) AS link
            WHERE records.load_id = ? AND records.{column} IS NULL
              AND records.lsoa_code = link.from_code""", [to_type, load_id])
    con.execute("""
        UPDATE records SET district_code = link.to_code
        FROM (SELECT from_code, arg_max(to_code, coalesce(vintage, 0)) AS to_code
              FROM area_links WHERE from_type = 'ward' AND to_type = 'district'
              GROUP BY from_code) AS link
        WHERE records.load_id = ? AND records.district_code IS NULL
          AND records.ward_code = link.from_code""", [load_id])

