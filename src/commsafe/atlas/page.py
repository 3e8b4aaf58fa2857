"""The community safety atlas as one self-contained, offline HTML page.

:func:`render_atlas` writes an atlas **payload** (see :mod:`commsafe.atlas` for the schema)
into the Jinja2 template ``templates/atlas.html.j2``. The stylesheet ``templates/atlas.css``
and the script ``templates/atlas.js`` are inlined, so the page makes no network request of any
kind (no CDN, no web fonts, no images; its Content-Security-Policy forbids them too)
and can be emailed or published as it is.

How data reach the page, and why it is safe:

* titles and footer texts from ``meta`` are inserted by Jinja with autoescaping;
* the whole payload is one ``<script type="application/json" id="atlas-data">`` element,
  serialised by :func:`payload_json` with sorted keys and with ``<``, ``>``, ``&``, U+2028
  and U+2029 written as ``\\u003c`` etc., so no string in it can close the element;
* the script reads that element with ``JSON.parse`` and renders every data string with
  ``textContent`` / ``setAttribute``, never as markup;
* the page's Content-Security-Policy allows no network source at all and only the one inline
  script whose SHA-256 it names, so even an injected handler could not run.

The page computes no statistics: it shows, colours (quintile class breaks of the values shown)
and sorts what the payload holds. The same payload always gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = [
    "MEASURE_IDS",
    "PAYLOAD_KEYS",
    "PAYLOAD_VERSION",
    "payload_json",
    "render_atlas",
    "validate_payload",
    "write_atlas",
]

#: The payload version this page understands.
PAYLOAD_VERSION = 1
#: Top-level keys every payload has (``pyramids`` may be ``None``).
PAYLOAD_KEYS = (
    "version",
    "meta",
    "levels",
    "outline",
    "periods",
    "indicators",
    "measures",
    "values",
    "monthly",
    "pyramids",
)
#: Measure ids the page knows how to show.
MEASURE_IDS = frozenset({"count", "rate", "change"})

TEMPLATE = "atlas.html.j2"
STYLESHEET = "atlas.css"
SCRIPT = "atlas.js"

_META_KEYS = ("title", "subtitle", "area", "data_to", "source", "disclosure", "notes", "synthetic")
_AREA_KEYS = ("code", "name", "district", "district_name", "path")
_VALUE_ARRAYS = ("count", "rate", "change", "change_words", "rank")
_SEXES = ("male", "female")
_PYRAMID_SIDES = ("victims", "offenders")
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")


# --------------------------------------------------------------------------- validation


def _missing(obj: Mapping[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if k not in obj]


def _require_keys(obj: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(obj, Mapping):
        raise ValueError(f"atlas payload: {where} must be an object, got {type(obj).__name__}")
    missing = _missing(obj, keys)
    if missing:
        names = ", ".join(repr(k) for k in missing)
        raise ValueError(f"atlas payload: {where} is missing key(s) {names}")


def _require_list(obj: Any, where: str, *, non_empty: bool = True) -> list[Any]:
    if not isinstance(obj, list):
        raise ValueError(f"atlas payload: {where} must be a list, got {type(obj).__name__}")
    if non_empty and not obj:
        raise ValueError(f"atlas payload: {where} is empty")
    return obj


def _require_length(obj: Any, n: int, where: str, what: str) -> None:
    seq = _require_list(obj, where, non_empty=False)
    if len(seq) != n:
        raise ValueError(f"atlas payload: {where} has {len(seq)} entries, expected {n} ({what})")


def _ids(items: list[Any], where: str, keys: tuple[str, ...]) -> list[str]:
    ids: list[str] = []
    for i, item in enumerate(items):
        _require_keys(item, keys, f"{where}[{i}]")
        ids.append(str(item["id"]))
    if len(set(ids)) != len(ids):
        raise ValueError(f"atlas payload: {where} has duplicate ids")
    return ids


def validate_payload(payload: Any) -> None:
    """Raise :class:`ValueError` naming the first thing in ``payload`` the page cannot show.

    Checks the top-level keys and ``version``, the ``meta`` keys, that every level has its
    areas, that ``values`` holds every level × indicator × period with arrays one entry per
    area, that ``monthly`` series (where given) are one per area, and the pyramid shape."""
    if not isinstance(payload, Mapping):
        raise ValueError(f"atlas payload must be an object, got {type(payload).__name__}")
    _require_keys(payload, PAYLOAD_KEYS, "the top level")
    if payload["version"] != PAYLOAD_VERSION:
        raise ValueError(
            f"atlas payload: version must be {PAYLOAD_VERSION}, got {payload['version']!r}"
        )
    _require_keys(payload["meta"], _META_KEYS, "meta")
    _require_keys(payload["meta"]["area"], ("code", "name", "level"), "meta.area")
    _require_list(payload["meta"]["notes"], "meta.notes", non_empty=False)

    levels = payload["levels"]
    if not isinstance(levels, Mapping) or not levels:
        raise ValueError("atlas payload: levels must be a non-empty object (ward and/or lsoa)")
    n_areas: dict[str, int] = {}
    for level, spec in levels.items():
        _require_keys(spec, ("label", "view_box", "areas"), f"levels.{level}")
        _require_length(spec["view_box"], 4, f"levels.{level}.view_box", "x, y, width, height")
        areas = _require_list(spec["areas"], f"levels.{level}.areas")
        for i, area in enumerate(areas):
            _require_keys(area, _AREA_KEYS, f"levels.{level}.areas[{i}]")
        n_areas[level] = len(areas)

    for i, district in enumerate(_require_list(payload["outline"], "outline", non_empty=False)):
        _require_keys(district, ("code", "name", "path"), f"outline[{i}]")
    periods = _ids(_require_list(payload["periods"], "periods"), "periods", ("id", "label"))
    indicators = _ids(
        _require_list(payload["indicators"], "indicators"), "indicators", ("id", "label", "group")
    )
    measures = _ids(
        _require_list(payload["measures"], "measures"), "measures", ("id", "label", "unit")
    )
    unknown = sorted(set(measures) - MEASURE_IDS)
    if unknown:
        raise ValueError(
            f"atlas payload: unknown measure id(s) {unknown}; known: {sorted(MEASURE_IDS)}"
        )

    values = payload["values"]
    for level, n in n_areas.items():
        what = f"one per area of level {level!r}"
        for indicator in indicators:
            for period in periods:
                where = f"values.{level}.{indicator}.{period}"
                try:
                    v = values[level][indicator][period]
                except (KeyError, TypeError):
                    raise ValueError(f"atlas payload: {where} is missing") from None
                _require_keys(v, (*_VALUE_ARRAYS, "marks"), where)
                for key in _VALUE_ARRAYS:
                    _require_length(v[key], n, f"{where}.{key}", what)
                if not isinstance(v["marks"], Mapping):
                    raise ValueError(f"atlas payload: {where}.marks must be an object")
                for idx in v["marks"]:
                    if not (str(idx).isdigit() and int(idx) < n):
                        raise ValueError(f"atlas payload: {where}.marks has bad area index {idx!r}")

    monthly = payload["monthly"]
    if not isinstance(monthly, Mapping):
        raise ValueError("atlas payload: monthly must be an object")
    for level, by_indicator in monthly.items():
        if level not in n_areas:
            raise ValueError(f"atlas payload: monthly.{level} is not a level in levels")
        for indicator, series in by_indicator.items():
            where = f"monthly.{level}.{indicator}"
            _require_keys(series, ("months", "counts"), where)
            months = _require_list(series["months"], f"{where}.months", non_empty=False)
            _require_length(series["counts"], n_areas[level], f"{where}.counts", "one per area")
            for i, row in enumerate(series["counts"]):
                _require_length(row, len(months), f"{where}.counts[{i}]", "one per month")

    pyramids = payload["pyramids"]
    if pyramids is not None:
        _require_keys(pyramids, ("bands", "groups", "data"), "pyramids")
        bands = _require_list(pyramids["bands"], "pyramids.bands")
        groups = _ids(
            _require_list(pyramids["groups"], "pyramids.groups"), "pyramids.groups", ("id", "name")
        )
        for group in groups:
            try:
                data = pyramids["data"][group]
            except (KeyError, TypeError):
                raise ValueError(f"atlas payload: pyramids.data.{group} is missing") from None
            for side in _PYRAMID_SIDES:
                _require_keys(data, (side,), f"pyramids.data.{group}")
                _require_keys(data[side], _SEXES, f"pyramids.data.{group}.{side}")
                for sex in _SEXES:
                    _require_length(
                        data[side][sex],
                        len(bands),
                        f"pyramids.data.{group}.{side}.{sex}",
                        "one per age band",
                    )


# --------------------------------------------------------------------------- rendering


def payload_json(payload: Mapping[str, Any]) -> str:
    """``payload`` as JSON safe to place inside a ``<script>`` element: sorted keys, no
    spaces, UTF-8 kept, and ``<``, ``>``, ``&``, U+2028, U+2029 escaped as ``\\uXXXX``.

    Raises :class:`ValueError` for NaN or infinity (``JSON.parse`` rejects them): the payload
    must say ``None`` for a missing number."""
    try:
        text = json.dumps(
            payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
        )
    except ValueError as exc:
        raise ValueError(f"atlas payload holds NaN or infinity (use None): {exc}") from None
    return _SCRIPT_ESCAPE_RE.sub(lambda m: _SCRIPT_ESCAPES[m.group(0)], text)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("commsafe.atlas", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=2)
def _asset(name: str, *forbidden: str) -> Markup:
    """A template asset (ours, not data), trusted so it is inlined unescaped; it must not
    contain what would end its element early or change how HTML parses it."""
    env = _environment()
    assert env.loader is not None
    text, _, _ = env.loader.get_source(env, name)
    for bad in forbidden:
        if bad in text.lower():
            raise RuntimeError(f"{name} must not contain {bad!r}")
    return Markup(text)


def render_atlas(payload: dict[str, Any]) -> str:
    """The atlas page for ``payload`` (schema: :mod:`commsafe.atlas`), as one HTML5 string.

    Raises :class:`ValueError` when the payload does not follow the schema."""
    validate_payload(payload)
    meta = payload["meta"]
    pyramids = payload["pyramids"]
    notes = [n for n in meta["notes"] if isinstance(n, str) and n.strip()]
    synthetic = bool(meta["synthetic"])
    js = _asset(SCRIPT, "</script", "<script", "<!--")
    # The Content-Security-Policy lets only this exact script run (no injected handler could).
    digest = base64.b64encode(hashlib.sha256(str(js).encode("utf-8")).digest()).decode("ascii")
    template = _environment().get_template(TEMPLATE)
    return template.render(
        meta=meta,
        notes=notes,
        synthetic=synthetic,
        pyramid_source=(pyramids or {}).get("source") or "",
        css=_asset(STYLESHEET, "</style"),
        js=js,
        script_hash=f"sha256-{digest}",
        data_json=Markup(payload_json(payload)),
    )


def write_atlas(payload: dict[str, Any], path: Path | str) -> Path:
    """Write :func:`render_atlas` of ``payload`` to ``path`` (UTF-8, parent folders made);
    returns the path."""
    out = Path(path)
    html = render_atlas(payload)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8", newline="\n")
    return out
