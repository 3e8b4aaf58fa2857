"""Needs of the offender caseload per district, each compared with the other districts.

``needs_profile(store, dataset)`` reads one snapshot of an ``offender_caseload`` data set
(docs/datasets.md: need flags in ``records.flags``, risk band in ``records.category``) — the
latest snapshot month unless ``snapshot`` is given, announced in ``attrs['notes']``.

**Long format**, one row per district and measure (clearer than a wide table with three
columns per need, and the same shape for needs and risk bands):

==================  ==========================================================================
column              meaning
==================  ==========================================================================
``district_code``   the district as given in the caseload
``district_name``   its name from the reference data (None when not known)
``caseload``        people on the caseload in the district at the snapshot
``measure_type``    ``need`` (a need flag) or ``risk_band``
``measure``         the need (``disability``, ``mental_health``, ``accommodation``,
                    ``substance_misuse``, ``domestic_abuse`` …) or the risk band
``count``           people with the need / in the band
``share``           count / caseload, a fraction 0..1
``others_share``    the average (unweighted mean) of the *other* districts' shares
``difference``      (share − others_share) in percentage points
``highest``         True for the district(s) with the highest share of the measure
                    (ties all marked; none when every share is 0)
==================  ==========================================================================

Needs are the flags the mapping maps (read from the mapping file when it can be, so a need
nobody has shows 0%) plus any other flags the records hold. Risk bands are those in the data
(``not recorded`` for a blank band). With one district there is nothing to compare with:
``others_share`` and ``difference`` are empty, ``highest`` is False, and the notes say so.
Numbers are unrounded; nothing is rendered.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pandas as pd

from commsafe.errors import InputError
from commsafe.measures.partner import check_dataset
from commsafe.periods import as_month, month_label
from commsafe.store import Store

__all__ = ["NEEDS", "needs_profile"]

#: the need fields of the offender_caseload kind, in the documented order
NEEDS = ("disability", "mental_health", "accommodation", "substance_misuse", "domestic_abuse")
_BAND_ORDER = ("low", "medium", "high", "very high")
COLUMNS = ["district_code", "district_name", "caseload", "measure_type", "measure", "count",
           "share", "others_share", "difference", "highest"]


def _mapped_needs(store: Store, dataset: str) -> list[str] | None:
    row = store.con.execute("SELECT mapping_path FROM datasets WHERE dataset = ?",
                            [dataset]).fetchall()
    try:
        mapping = tomllib.loads(Path(row[0][0]).read_text(encoding="utf-8"))
    except (OSError, IndexError, TypeError, ValueError):
        return None
    columns = mapping.get("columns", {})
    return [n for n in NEEDS if n in columns]


def _band_key(band: str) -> tuple[int, str]:
    low = band.lower()
    return (_BAND_ORDER.index(low) if low in _BAND_ORDER else len(_BAND_ORDER), low)


def needs_profile(store: Store, dataset: str, *,
                  snapshot: date | str | None = None) -> pd.DataFrame:
    """Share of each district's caseload with each need and in each risk band (long format).

    ``snapshot`` is a month (``'2024-12'``, or any date in it); the latest snapshot month in
    the data set by default.
    """
    where = "needs_profile"
    notes = check_dataset(store, dataset, "offender_caseload", where)
    con = store.con
    months = [pd.Timestamp(r[0]).date() for r in con.execute(
        "SELECT DISTINCT month FROM records WHERE dataset = ? AND month IS NOT NULL "
        "ORDER BY 1", [dataset]).fetchall()]
    if not months:
        raise InputError(f"{where}: data set {dataset!r} has no dated caseload rows.")
    if snapshot is None:
        month = months[-1]
        notes.append(f"snapshot {month_label(month)}: the latest in the data set (default)"
                     + (f"; also held: {', '.join(month_label(m) for m in months[:-1])}"
                        if len(months) > 1 else ""))
    else:
        month = as_month(snapshot)
        if month not in months:
            raise InputError(f"{where}: no snapshot in {month_label(month)} in data set "
                             f"{dataset!r}. Snapshots held: "
                             f"{', '.join(month_label(m) for m in months)}.")
        notes.append(f"snapshot {month_label(month)}")
    rows = con.execute(
        "SELECT district_code, category, flags FROM records WHERE dataset = ? AND month = ?",
        [dataset, month]).fetchall()
    people = [(str(d) if d is not None else "unknown",
               str(c).strip() if c is not None and str(c).strip() else "not recorded",
               set(f or [])) for d, c, f in rows]
    districts = sorted({p[0] for p in people})
    mapped = _mapped_needs(store, dataset)
    held = set().union(*(p[2] for p in people)) if people else set()
    if mapped is None:
        mapped = []
        notes.append("the mapping file could not be read: needs are the flags the records "
                      "hold (a need nobody has is not listed)")
    needs = [n for n in NEEDS if n in mapped or n in held]
    needs += sorted(held - set(needs))
    bands = sorted({p[1] for p in people}, key=_band_key)
    names = dict(con.execute(
        "SELECT area_code, arg_max(area_name, coalesce(vintage, 0)) FROM areas "
        "WHERE area_type = 'district' AND list_contains(?, area_code) GROUP BY 1",
        [districts]).fetchall())
    caseload = {d: sum(1 for p in people if p[0] == d) for d in districts}
    table = []
    for kind, measures in (("need", needs), ("risk_band", bands)):
        for measure in measures:
            counts = {d: sum(1 for p in people if p[0] == d and (
                measure in p[2] if kind == "need" else p[1] == measure)) for d in districts}
            shares = {d: counts[d] / caseload[d] for d in districts}
            top = max(shares.values())
            for d in districts:
                others = [shares[o] for o in districts if o != d]
                other = sum(others) / len(others) if others else float("nan")
                table.append((d, names.get(d), caseload[d], kind, measure, counts[d],
                              shares[d], other, (shares[d] - other) * 100,
                              len(districts) > 1 and top > 0 and shares[d] == top))
    frame = pd.DataFrame(table, columns=COLUMNS)
    frame["caseload"] = frame["caseload"].astype("int64")
    frame["count"] = frame["count"].astype("int64")
    for c in ("share", "others_share", "difference"):
        frame[c] = frame[c].astype(float)
    frame["highest"] = frame["highest"].astype(bool)
    notes.append("long format: one row per district and measure; share = count / caseload; "
                 "others_share = mean of the other districts' shares; difference in "
                 "percentage points; highest marks the district(s) with the top share")
    if len(districts) == 1:
        notes.append(f"only one district ({districts[0]}): no other district to compare "
                     "with (others_share and difference empty, highest False)")
    if "unknown" in caseload and None in {r[0] for r in rows}:
        notes.append(f"{caseload['unknown']} people have no district (shown as 'unknown')")
    frame.attrs["notes"] = notes
    return frame
