"""A seeded generator of whole input files for every reader commsafe has, with hostile
mutations.

:func:`generate` turns ``(kind, seed)`` into a :class:`Case`: the files to write (bytes), the
command to run on them and what the oracle needs to recount them. The same kind and seed give
the same bytes on every machine (only :class:`random.Random` is used). Kinds:

* ``street``, ``outcomes``, ``stop_search``: one police.uk CSV (``commsafe ingest FILE``);
* ``police_zip``: a zip of police.uk CSVs, maybe nested, maybe broken (``commsafe ingest``);
* ``police_folder``: a folder of CSVs and zips (``commsafe ingest DIR``);
* ``counts``: a counts file (``commsafe table performance --counts FILE``);
* ``mapped``: a partner data set and its mapping (``commsafe load DATA --mapping TOML``), CSV
  or XLSX, every partner kind;
* ``recommendations``, ``interventions``: the registers (read in-process by
  :func:`commsafe.sources.registers.read_recommendations` / ``read_interventions``);
* ``spec``: ``commsafe.toml`` (read in-process by :func:`commsafe.spec.load_spec`);
* ``reference``: ONS lookups, population, deprivation and GeoJSON boundaries
  (``commsafe reference load``).

Mutations (any of them, several at once): truncation; UTF-8 BOM, Latin-1, CP1252, UTF-16 with
and without its BOM; NUL bytes; flipped bytes; wrong, missing, extra and repeated header
columns, the header repeated as a row; 1 MB fields; bad months and dates; coordinates out of
range, swapped or not numbers; bare CR, CRLF and mixed line endings; unbalanced quotes; short
and long rows; blank lines; hostile cell values (markup, control characters, formulas, huge
and non-finite numbers); header only; empty files; broken, truncated, nested and empty zips;
TOML with wrong types, unknown and repeated keys.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["KINDS", "Case", "generate"]

KINDS: tuple[str, ...] = (
    "street", "outcomes", "stop_search", "police_zip", "police_folder", "counts", "mapped",
    "recommendations", "interventions", "spec", "reference",
)

CRIME_TYPES = (
    "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other theft",
    "Possession of weapons", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences", "Other crime",
)
ASB = "Anti-social behaviour"
OUTCOMES = ("Under investigation", "Investigation complete; no suspect identified",
            "Unable to prosecute suspect", "Status update unavailable",
            "Offender given a caution", "Court result unavailable")
LSOAS = ("E01017959", "E01017960", "E01017961", "E01017978", "E01018001", "W01000001")
WARDS = ("E05013050", "E05013051", "E05013052")
DISTRICTS = ("E07000008", "E07000012", "E06000031")

BAD_MONTHS = ("2024-13", "2024/01", "", " ", "Jan 2024", "0000-00", "2024-1", "99999-01",
              "2024-00", "2024-01-01", "２０２４-01", "NaN", "2024-02\x00")
BAD_DATES = ("2024-02-30 10:00", "31/13/2024", "2024-13-01", "yesterday", "", "0000-00-00",
             "2024-01-01T25:61:00+00:00", "1/1/24", "9999999-01-01", "2024-01-01T00:00:00+99:00",
             "\u00a02024-01-05")
BAD_COORDS = ("999", "-181", "181", "91", "-91", "nan", "inf", "-inf", "1e400", "abc", "0,12",
              "52.2.1", " ", "", "-0", "1e-400", "151.2099", "-33.86", "0x1p3", "١٢")
HOSTILE = ("[/bold]", "[red]x[/red", "[partnership]", "=cmd|' /C calc'!A0", "@SUM(1)",
           "\x1b[31m", "\x07\x08\x0b\x0c", "tab\there", "line\nbreak", "cr\ronly", '"quoted"',
           "😀💥", "\u202eevil", "\ufeffbom", "Café £5 – naïve", "nan", "inf", "-1", "1e400",
           "12345678901234567890123", "   ", "NULL", "None", "\\N", "'; DROP TABLE events;--",
           "%s%n", "{0}", "\u00ff\u00fe", "x" * 300)
NON_ASCII = ("Café", "£5", "Ölwirtschaft", "naïve", "Œuvre", "€10", "São Paulo")


@dataclass
class Case:
    """One generated input and how to run it (see the module docstring)."""

    kind: str
    seed: int
    files: dict[str, bytes]
    argv: list[str]
    mutations: list[str] = field(default_factory=list)
    call: str = "cli"
    """``cli`` (``commsafe ARGV``), or a reader called in-process: ``spec``,
    ``recommendations``, ``interventions`` (on ``target``)."""
    target: str = ""
    recount: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    """load path (relative to the case folder; zip members after ``!``) → (how to recount it:
    ``police`` or ``table``, its bytes)."""
    names: tuple[str, ...] = ()
    """A clean error must name one of these (paths relative to the case folder)."""
    rerun: bool = False
    """Run the command a second time (the same files again: all duplicates)."""
    label: str = ""


# --------------------------------------------------------------------------- mutations


def _pick(rng: random.Random, options: Sequence[str], k: int) -> list[str]:
    return rng.sample(list(options), min(k, len(options)))


TABLE_MUTATIONS = ("bad_month", "bad_coordinates", "huge_field", "wrong_header",
                   "repeated_header", "header_as_row", "hostile_cells", "short_rows",
                   "long_rows", "blank_lines", "header_only", "non_ascii")
TEXT_MUTATIONS = ("bare_cr", "crlf", "mixed_eol", "unbalanced_quote", "no_final_eol", "empty")
ENCODINGS = ("utf8_bom", "latin1", "cp1252", "utf16_bom", "utf16_nobom")
BYTE_MUTATIONS = ("truncate", "nul_bytes", "byte_flip")


def choose_mutations(rng: random.Random, table: bool = True) -> list[str]:
    """None (a clean file) a fifth of the time, else one to three mutations of any family."""
    if rng.random() < 0.2:
        return []
    pool = [*(TABLE_MUTATIONS if table else ()), *TEXT_MUTATIONS, *ENCODINGS, *BYTE_MUTATIONS]
    chosen = _pick(rng, pool, rng.choice((1, 1, 2, 3)))
    encodings = [m for m in chosen if m in ENCODINGS]
    return [m for m in chosen if m not in ENCODINGS] + encodings[:1]


@dataclass
class Roles:
    """Which columns hold months or dates, coordinates and counts (for targeted mutations)."""

    months: tuple[int, ...] = ()
    coords: tuple[int, ...] = ()
    counts: tuple[int, ...] = ()
    bad_months: Sequence[str] = BAD_MONTHS


def mutate_table(rng: random.Random, header: list[str], rows: list[list[str]], roles: Roles,
                 mutations: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    header = list(header)
    rows = [list(r) for r in rows]

    def some_rows(width: int = 1) -> list[list[str]]:
        wide = [r for r in rows if len(r) >= width]
        return [r for r in wide if rng.random() < 0.4] or wide[:1]

    for m in mutations:
        if m == "bad_month" and roles.months:
            for r in some_rows(max(roles.months) + 1):
                r[rng.choice(roles.months)] = rng.choice(roles.bad_months)
        elif m == "bad_coordinates" and roles.coords:
            for r in some_rows(max(roles.coords) + 1):
                if rng.random() < 0.3 and len(roles.coords) >= 2:  # swapped
                    a, b = roles.coords[:2]
                    r[a], r[b] = r[b], r[a]
                else:
                    r[rng.choice(roles.coords)] = rng.choice(BAD_COORDS)
        elif m == "huge_field" and some_rows():
            r = rng.choice(some_rows())
            filler = rng.choice(("x", "ab,", 'q"', "é", "\n"))
            r[rng.randrange(len(r))] = filler * (1_000_000 // len(filler))
        elif m == "wrong_header" and header:
            i = rng.randrange(len(header))
            how = rng.randrange(5)
            if how == 0:
                header[i] = header[i].upper()
            elif how == 1:
                header[i] = header[i] + " "
            elif how == 2:
                header[i] = "Unexpected column"
            elif how == 3:
                del header[i]
            else:
                header.insert(i, "Extra")
        elif m == "repeated_header" and len(header) > 1:
            i, j = rng.sample(range(len(header)), 2)
            header[j] = header[i]
        elif m == "header_as_row":
            rows.insert(rng.randrange(len(rows) + 1), list(header))
        elif m == "hostile_cells":
            for r in some_rows():
                r[rng.randrange(len(r))] = rng.choice(HOSTILE)
        elif m == "non_ascii":
            for r in some_rows():
                i = rng.randrange(len(r))
                r[i] = f"{r[i]} {rng.choice(NON_ASCII)}"
        elif m == "short_rows":
            for r in some_rows():
                del r[rng.randrange(len(r)):]
        elif m == "long_rows":
            for r in some_rows():
                r.extend(["extra"] * rng.randint(1, 3))
        elif m == "blank_lines":
            for _ in range(rng.randint(1, 3)):
                rows.insert(rng.randrange(len(rows) + 1), rng.choice(([], [""], ["   "])))
        elif m == "header_only":
            rows = []
    return header, rows


def _csv_text(rng: random.Random, header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n",
                   quoting=csv.QUOTE_ALL if rng.random() < 0.1 else csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        if r:
            w.writerow(r)
        else:
            buf.write("\n")
    return buf.getvalue()


def mutate_text(rng: random.Random, text: str, mutations: Sequence[str]) -> str:
    for m in mutations:
        if m == "bare_cr":
            text = text.replace("\n", "\r")
        elif m == "crlf":
            text = text.replace("\n", "\r\n")
        elif m == "mixed_eol":
            parts = text.split("\n")
            text = "".join(p + rng.choice(("\n", "\r\n", "\r")) for p in parts[:-1]) + parts[-1]
        elif m == "unbalanced_quote" and text:
            for _ in range(rng.randint(1, 2)):
                i = rng.randrange(len(text))
                text = text[:i] + '"' + text[i:]
        elif m == "no_final_eol":
            text = text.rstrip("\r\n")
        elif m == "empty":
            text = rng.choice(("", " ", "\n", "\r\n\r\n", "\ufeff"))
    return text


def encode(rng: random.Random, text: str, mutations: Sequence[str]) -> bytes:
    enc = next((m for m in mutations if m in ENCODINGS), None)
    if enc == "utf8_bom":
        data = text.encode("utf-8-sig", errors="surrogatepass")
    elif enc == "latin1":
        data = text.encode("latin-1", errors="replace")
    elif enc == "cp1252":
        data = text.encode("cp1252", errors="replace")
    elif enc == "utf16_bom":
        data = text.encode("utf-16", errors="surrogatepass")
    elif enc == "utf16_nobom":
        data = text.encode(rng.choice(("utf-16-le", "utf-16-be")), errors="surrogatepass")
    else:
        data = text.encode("utf-8", errors="surrogatepass")
    for m in mutations:
        if m == "truncate" and data:
            data = data[:rng.randrange(len(data))]
        elif m == "nul_bytes":
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(data) + 1) if rng.random() < 0.7 else rng.randrange(
                    min(len(data), 40) + 1)
                data = data[:i] + b"\x00" + data[i:]
        elif m == "byte_flip" and data:
            b = bytearray(data)
            for _ in range(rng.randint(1, 6)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            data = bytes(b)
    return data


def table_file(rng: random.Random, header: list[str], rows: list[list[str]], roles: Roles,
               mutations: Sequence[str]) -> bytes:
    """A CSV with ``mutations`` applied at every level: cells, text, encoding, bytes."""
    h, r = mutate_table(rng, header, rows, roles, mutations)
    return encode(rng, mutate_text(rng, _csv_text(rng, h, r), mutations), mutations)


def xlsx_file(rng: random.Random, header: list[str], rows: list[list[str]], roles: Roles,
              mutations: Sequence[str]) -> bytes:
    """An XLSX workbook (first sheet) with the cell-level mutations, maybe truncated."""
    import openpyxl

    h, r = mutate_table(rng, header, rows, roles, mutations)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in [h, *r]:
        # openpyxl refuses control characters and cells over 32,767 characters
        ws.append([c[:32_000].translate({i: None for i in range(32) if i not in (9, 10, 13)})
                   for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if "truncate" in mutations:
        data = data[:rng.randrange(len(data))]
    if "byte_flip" in mutations:
        b = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        data = bytes(b)
    return data


# --------------------------------------------------------------------------- values


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _lon(rng: random.Random) -> str:
    return f"{rng.uniform(-0.3, 0.4):.6f}"


def _lat(rng: random.Random) -> str:
    return f"{rng.uniform(52.0, 52.4):.6f}"


def _month(rng: random.Random) -> str:
    return f"{rng.randint(2016, 2025)}-{rng.randint(1, 12):02d}"


def _force(rng: random.Random) -> tuple[str, str]:
    """(slug, 'Reported by' name): now and then a shared force, so that files revise and
    duplicate those of earlier cases in the same store."""
    if rng.random() < 0.15:
        return "testforce", "Testforce Constabulary"
    n = rng.randrange(10**6)
    return f"force{n}", f"Force{n} Police"


# --------------------------------------------------------------------------- police.uk

STREET_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                 "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
                 "Context"]
OUTCOMES_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                   "Location", "LSOA code", "LSOA name", "Outcome type"]
STOP_HEADER = ["Type", "Date", "Part of a policing operation", "Policing operation", "Latitude",
               "Longitude", "Gender", "Age range", "Self-defined ethnicity",
               "Officer-defined ethnicity", "Legislation", "Object of search", "Outcome",
               "Outcome linked to object of search", "Removal of more than just outer clothing"]
FILE_KIND = {"street": "street", "outcomes": "outcomes", "stop_search": "stop-and-search"}


def _place(rng: random.Random) -> tuple[str, str, str, str, str]:
    if rng.random() < 0.1:
        return "", "", "No location", "", ""
    lsoa = rng.choice(LSOAS)
    return (_lon(rng), _lat(rng), f"On or near {rng.choice(('Market', 'Mill', 'High'))} Street",
            lsoa, f"Cambridge {rng.randint(1, 20):03d}A")


def police_rows(rng: random.Random, kind: str, month: str, force_name: str,
                n: int) -> tuple[list[str], list[list[str]], Roles]:
    rows: list[list[str]] = []
    if kind == "street":
        for _ in range(n):
            cat = ASB if rng.random() < 0.25 else rng.choice(CRIME_TYPES)
            lon, lat, loc, lsoa, lname = _place(rng)
            rows.append(["" if cat == ASB else _hex(rng), month, force_name, force_name, lon, lat,
                         loc, lsoa, lname, cat, "" if cat == ASB else rng.choice(OUTCOMES), ""])
        return STREET_HEADER, rows, Roles(months=(1,), coords=(4, 5))
    if kind == "outcomes":
        for _ in range(n):
            lon, lat, loc, lsoa, lname = _place(rng)
            rows.append([_hex(rng), month, force_name, force_name, lon, lat, loc, lsoa, lname,
                         rng.choice(OUTCOMES)])
        return OUTCOMES_HEADER, rows, Roles(months=(1,), coords=(4, 5))
    for _ in range(n):
        lon, lat, *_ = _place(rng)
        day = rng.randint(1, 28)
        stamp = f"{month}-{day:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+00:00"
        rows.append([rng.choice(("Person search", "Vehicle search", "Person and Vehicle search")),
                     stamp, rng.choice(("", "False", "True")), "", lat, lon,
                     rng.choice(("Male", "Female", "Other", "")),
                     rng.choice(("18-24", "over 34", "10-17", "")), "White - British", "White",
                     "Misuse of Drugs Act 1971 (section 23)", "Controlled drugs",
                     "A no further action disposal", rng.choice(("True", "False", "")),
                     rng.choice(("True", "False", ""))])
    return STOP_HEADER, rows, Roles(months=(1,), coords=(4, 5), bad_months=BAD_DATES)


def police_file(rng: random.Random, kind: str | None = None,
                mutations: Sequence[str] | None = None) -> tuple[str, bytes, list[str]]:
    """(file name, bytes, mutations) of one police.uk CSV."""
    kind = kind or rng.choice(("street", "street", "outcomes", "stop_search"))
    month = _month(rng)
    slug, name = _force(rng)
    n = rng.choice((1, 2, 5, 12, 40))
    header, rows, roles = police_rows(rng, kind, month, name, n)
    muts = list(choose_mutations(rng) if mutations is None else mutations)
    fname = f"{month}-{slug}-{FILE_KIND[kind]}.csv"
    if rng.random() < 0.05:  # not a police.uk name: force and month come from the rows
        fname = rng.choice(("export.csv", f"{month[:4]}-13-{slug}-street.csv", "data (1).csv"))
        muts.append("odd_name")
    return fname, table_file(rng, header, rows, roles, muts), muts


def _police_case(rng: random.Random, seed: int, kind: str) -> Case:
    fname, data, muts = police_file(rng, kind)
    rel = f"in/{fname}"
    return Case(kind, seed, {rel: data}, ["ingest", f"@{rel}", "-q"], muts,
                recount={rel: ("police", data)}, names=(rel,), rerun=rng.random() < 0.1)


ZIP_MUTATIONS = ("zip_truncated", "zip_corrupt", "zip_nested", "zip_non_csv", "zip_empty",
                 "zip_hidden", "zip_dirs", "zip_bad_crc")


def _zip(members: Sequence[tuple[str, bytes]], compress: bool = True) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            if name.endswith("/"):
                z.writestr(zipfile.ZipInfo(name), b"")
            else:
                # a fixed time stamp: the same seed gives the same bytes at any minute
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                z.writestr(info, data, compress_type=method)
    return buf.getvalue()


def police_zip(rng: random.Random, prefix: str) -> tuple[bytes, dict[str, tuple[str, bytes]],
                                                          list[str], bool]:
    """(zip bytes, recount of members by 'zip-relative' path, mutations, whether the archive
    itself is broken)."""
    members: list[tuple[str, bytes]] = []
    recount: dict[str, tuple[str, bytes]] = {}
    muts: list[str] = []
    for _ in range(rng.randint(1, 3)):
        fname, data, m = police_file(rng)
        name = f"{fname[:7]}/{fname}" if rng.random() < 0.5 else fname
        if any(name == n for n, _ in members):
            continue
        members.append((name, data))
        recount[f"{prefix}!{name}"] = ("police", data)
        muts += m
    zmuts = [] if rng.random() < 0.4 else _pick(rng, ZIP_MUTATIONS, rng.choice((1, 1, 2)))
    if "zip_nested" in zmuts:
        inner, inner_recount, m, _ = police_zip(rng, f"{prefix}!inner.zip")
        members.append(("inner.zip", inner))
        recount.update(inner_recount)
        muts += m
    if "zip_non_csv" in zmuts:
        members.append(("README.txt", b"not a csv"))
    if "zip_hidden" in zmuts:
        members.append(("__MACOSX/._x.csv", b"\x00\x05\x16\x07"))
        members.append((".hidden.csv", b"junk"))
    if "zip_dirs" in zmuts:
        members.append(("empty-dir/", b""))
    if "zip_empty" in zmuts:
        members, recount = [], {}
    stored = "zip_bad_crc" in zmuts
    data = _zip(members, compress=not stored)
    broken = False
    if "zip_truncated" in zmuts:
        data = data[:rng.randrange(max(1, len(data)))]
        broken = True
    if "zip_corrupt" in zmuts and data:
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        data = bytes(b)
        broken = True
    if stored and members:
        # flip a byte inside the first member's data: its CRC no longer matches
        name, payload = members[0]
        at = data.find(payload[:16]) if payload else -1
        if at >= 0 and payload:
            b = bytearray(data)
            b[at] ^= 0xFF
            data = bytes(b)
            broken = True
    return data, recount, muts + zmuts, broken


def _zip_case(rng: random.Random, seed: int) -> Case:
    rel = f"in/{_month(rng)}.zip"
    data, recount, muts, _ = police_zip(rng, rel)
    names = (rel,)
    return Case("police_zip", seed, {rel: data}, ["ingest", f"@{rel}", "-q"], muts,
                recount=recount, names=names, rerun=rng.random() < 0.1)


def _folder_case(rng: random.Random, seed: int) -> Case:
    files: dict[str, bytes] = {}
    recount: dict[str, tuple[str, bytes]] = {}
    muts: list[str] = []
    for _ in range(rng.randint(2, 5)):
        if rng.random() < 0.25:
            rel = f"in/{_month(rng)}-{rng.randrange(1000)}.zip"
            data, rc, m, _ = police_zip(rng, rel)
        else:
            fname, data, m = police_file(rng)
            rel = f"in/{fname[:7]}/{fname}"
            rc = {rel: ("police", data)}
        if rel in files:  # drawn twice: the first stays, and so does its recount
            continue
        recount.update(rc)
        files[rel] = data
        muts += m
    if rng.random() < 0.1:
        files["in/notes.txt"] = b"a note"
        files["in/.hidden/x.csv"] = b"junk"
        muts.append("other_files")
    names = (*files, "in")
    return Case("police_folder", seed, files, ["ingest", "@in", "-q"], muts, recount=recount,
                names=names, rerun=rng.random() < 0.1)


# --------------------------------------------------------------------------- counts

FY = ("2013/14", "2014/15", "2015/16", "2016/17", "2017/18", "2018/19")
QUARTERS = ("2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4")
BAD_PERIODS = ("2018/20", "Q5 2024", "2018-13", "", "FY18", "2018/19/20", "2024 Q0", "１９/２０",
               "2024 H3", "9999/00")


def _counts_case(rng: random.Random, seed: int) -> Case:
    labels = rng.choice((FY, QUARTERS, ("2022", "2023", "2024")))
    with_area = rng.random() < 0.3
    header = ["category", "period", "count", *(["area"] if with_area else [])]
    rows = []
    for cat in rng.sample(CRIME_TYPES, rng.randint(1, 5)):
        for p in labels:
            if rng.random() < 0.9:
                rows.append([cat, p, str(rng.randint(0, 500)),
                             *([rng.choice(DISTRICTS)] if with_area else [])])
    roles = Roles(months=(1,), counts=(2,), bad_months=BAD_PERIODS)
    muts = choose_mutations(rng)
    if rng.random() < 0.2:
        muts.append("bad_count")
        for r in rows:
            if rng.random() < 0.3:
                r[2] = rng.choice(("nan", "-1", "2.5", "1e400", "inf", "1,2,3", "", "x" * 50))
    rel = "counts.csv"
    data = table_file(rng, header, rows, roles, muts)
    argv = ["table", "performance", "--counts", f"@{rel}", "--format",
            rng.choice(("table", "csv", "md"))]
    return Case("counts", seed, {rel: data}, argv, muts, names=(rel,))


# --------------------------------------------------------------------------- mapped partner data

ValueGen = Callable[[random.Random], str]


def _dt(rng: random.Random) -> str:
    y, m, d = rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)
    if rng.random() < 0.5:
        return f"{y}-{m:02d}-{d:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    return f"{d:02d}/{m:02d}/{y}"


VALUES: dict[str, ValueGen] = {
    "ref": lambda r: f"REF{r.randrange(10**6)}",
    "category": lambda r: r.choice(CRIME_TYPES),
    "dt": _dt,
    "lat": _lat,
    "lon": _lon,
    "lsoa": lambda r: r.choice(LSOAS),
    "ward": lambda r: r.choice(WARDS),
    "district": lambda r: r.choice(DISTRICTS),
    "age": lambda r: r.choice((str(r.randint(0, 99)), "", "unknown", "130", "25.5")),
    "sex": lambda r: r.choice(("M", "F", "Male", "female", "U", "", "X", "other")),
    "flag": lambda r: r.choice(("Y", "N", "yes", "no", "", "TRUE", "0", "maybe")),
    "weapon": lambda r: r.choice(("Knife", "glass", "blunt", "fist", "other", "spoon", "")),
    "count": lambda r: str(r.randint(0, 50)),
    "pct": lambda r: f"{r.uniform(0, 30):.1f}",
    "quarter": lambda r: r.choice(QUARTERS),
    "academic_year": lambda r: r.choice(("2022/23", "2023/24", "2024/25")),
    "year": lambda r: r.choice(("2022", "2023", "2023/24")),
    "text": lambda r: r.choice(("Sexual", "Labour", "Criminal", "Domestic servitude", "British",
                                "Albanian", "Police", "Local authority")),
    "school": lambda r: f"School {r.randint(1, 9)}",
    "age_group": lambda r: r.choice(("adult", "minor", "child", "18+", "")),
    "area": lambda r: r.choice((*DISTRICTS, *WARDS)),
    "name": lambda r: r.choice(("Jane Doe", "John Smith", "A. N. Other")),
    "premises": lambda r: f"P{r.randint(1, 20)}",
}

# kind -> [(field, header, value type)]; a field None is an unmapped (personal) column
MAPPED: dict[str, list[tuple[str | None, str, str]]] = {
    "police_extract": [("crime_ref", "Crime Ref", "ref"), ("offence", "Offence", "category"),
                       ("committed_from", "Committed From", "dt"), ("latitude", "Lat", "lat"),
                       ("longitude", "Lon", "lon"), ("lsoa", "LSOA", "lsoa"),
                       ("victim_age", "Victim Age", "age"), ("victim_sex", "Victim Sex", "sex"),
                       ("offender_age", "Offender Age", "age"),
                       ("domestic_abuse", "DA", "flag"), (None, "Victim Name", "name")],
    "asb_incidents": [("ref", "Incident", "ref"), ("datetime", "When", "dt"),
                      ("category", "Type", "text"), ("lsoa", "LSOA", "lsoa"),
                      ("latitude", "Latitude", "lat"), ("longitude", "Longitude", "lon")],
    "ed_assaults": [("attendance_datetime", "Arrival", "dt"), ("weapon", "Weapon", "weapon"),
                    ("age", "Age", "age"), ("sex", "Sex", "sex"), ("lsoa", "LSOA", "lsoa"),
                    ("admitted", "Admitted", "flag"), (None, "NHS number", "ref")],
    "ambulance_callouts": [("date", "Date", "dt"), ("lsoa", "LSOA", "lsoa"),
                           ("category", "Call type", "text"), ("count", "Calls", "count")],
    "needle_finds": [("date", "Found", "dt"), ("ward", "Ward", "ward"),
                     ("needles", "Needles", "count")],
    "school_absence": [("school", "School", "school"),
                       ("academic_year", "Year", "academic_year"),
                       ("overall_absence_pct", "Absence %", "pct")],
    "nrm_referrals": [("year", "Year", "year"), ("exploitation_type", "Exploitation", "text"),
                      ("nationality", "Nationality", "text"),
                      ("age_group", "Age group", "age_group")],
    "premises_incidents": [("premises_id", "Premises", "premises"),
                           ("premises_name", "Name", "text"), ("datetime", "When", "dt"),
                           ("incident_type", "Type", "text"), ("violent", "Violent", "flag")],
    "offender_caseload": [("district", "District", "district"),
                          ("snapshot_date", "Snapshot", "dt"),
                          ("substance_misuse", "Substance", "flag"),
                          ("risk_band", "Risk", "text")],
    "counts": [("area", "Area", "area"), ("category", "Category", "category"),
               ("period", "Period", "quarter"), ("count", "Count", "count")],
}


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string is JSON-like


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else json.dumps(k)


def toml_text(doc: dict[str, object]) -> str:
    """TOML for a document of scalars, lists, tables and arrays of tables (a small writer:
    enough for mappings and specs)."""
    lines: list[str] = []

    def table(prefix: str, d: dict[str, object]) -> None:
        subs = []
        for k, v in d.items():
            if isinstance(v, dict) or (isinstance(v, list) and v
                                       and all(isinstance(x, dict) for x in v)):
                subs.append((k, v))
            else:
                lines.append(f"{_key(k)} = {toml_value(v)}")
        for k, v in subs:
            name = f"{prefix}.{_key(k)}" if prefix else _key(k)
            if isinstance(v, dict):
                lines.append(f"\n[{name}]")
                table(name, v)
            else:
                assert isinstance(v, list)
                for item in v:
                    lines.append(f"\n[[{name}]]")
                    table(name, item)

    table("", doc)
    return "\n".join(lines) + "\n"


TOML_MUTATIONS = ("wrong_type", "unknown_key", "missing_key", "repeated_key", "truncate",
                  "unbalanced_quote", "utf8_bom", "utf16_bom", "utf16_nobom", "latin1",
                  "nul_bytes", "huge_field", "byte_flip", "empty")
ODD_VALUES: tuple[object, ...] = (5, -1, 2.5, float("inf"), True, [], [1, "a"], {}, {"a": 1},
                                  "", "x" * 1000, "[/bold]", "2024-13", [[]])


def mutate_doc(rng: random.Random, doc: dict[str, object], mutations: Sequence[str]) -> None:
    """Semantic mutations of a TOML document, in place, at any depth."""
    def tables(d: dict[str, object]) -> list[dict[str, object]]:
        out = [d]
        for v in d.values():
            if isinstance(v, dict):
                out += tables(v)
            elif isinstance(v, list):
                out += [t for x in v if isinstance(x, dict) for t in tables(x)]
        return out

    for m in mutations:
        t = rng.choice(tables(doc))
        if m == "wrong_type" and t:
            t[rng.choice(list(t))] = rng.choice(ODD_VALUES)
        elif m == "unknown_key":
            t[rng.choice(("colums", "nmae", "kind2", "assesed", "Period", "extra"))] = "x"
        elif m == "missing_key" and t:
            del t[rng.choice(list(t))]
        elif m == "huge_field" and t:
            t[rng.choice(list(t))] = "y" * 1_000_000


def toml_file(rng: random.Random, doc: dict[str, object], mutations: Sequence[str]) -> bytes:
    mutate_doc(rng, doc, mutations)
    text = toml_text(doc)
    if "repeated_key" in mutations:
        lines = text.splitlines()
        keyed = [i for i, ln in enumerate(lines) if " = " in ln]
        if keyed:
            i = rng.choice(keyed)
            lines.insert(i + 1, lines[i])
        text = "\n".join(lines) + "\n"
    text = mutate_text(rng, text, [m for m in mutations if m in ("unbalanced_quote", "empty")])
    return encode(rng, text, mutations)


def choose_toml_mutations(rng: random.Random) -> list[str]:
    if rng.random() < 0.35:
        return []
    chosen = _pick(rng, TOML_MUTATIONS, rng.choice((1, 1, 2)))
    encodings = [m for m in chosen if m in ENCODINGS]
    return [m for m in chosen if m not in ENCODINGS] + encodings[:1]


def _mapped_case(rng: random.Random, seed: int) -> Case:
    kind = rng.choice(list(MAPPED))
    cols = [c for c in MAPPED[kind] if c[0] is None or rng.random() < 0.85 or c == MAPPED[kind][0]]
    # the fields a kind requires are always mapped (a missing one is a mapping mutation)
    required = {"police_extract": ("committed_from", "offence"),
                "asb_incidents": ("datetime", "category"), "ed_assaults": ("attendance_datetime",),
                "ambulance_callouts": ("date",), "needle_finds": ("date", "needles", "ward"),
                "school_absence": ("school", "academic_year", "overall_absence_pct"),
                "nrm_referrals": ("year", "exploitation_type"),
                "premises_incidents": ("premises_id", "datetime"),
                "offender_caseload": ("district", "snapshot_date"),
                "counts": ("category", "period", "count")}[kind]
    cols = [c for c in MAPPED[kind] if c in cols or c[0] in required]
    header = [h for _, h, _ in cols]
    rows = [[VALUES[t](rng) for _, _, t in cols] for _ in range(rng.choice((1, 3, 10, 30)))]
    roles = Roles(months=tuple(i for i, (_, _, t) in enumerate(cols) if t in ("dt", "quarter",
                                                                              "academic_year",
                                                                              "year")),
                  coords=tuple(i for i, (_, _, t) in enumerate(cols) if t in ("lat", "lon")),
                  counts=tuple(i for i, (_, _, t) in enumerate(cols) if t in ("count", "pct")),
                  bad_months=BAD_DATES + BAD_PERIODS)
    muts = choose_mutations(rng)
    xlsx = rng.random() < 0.08
    data_rel = f"partner/{kind}.{'xlsx' if xlsx else 'csv'}"
    if xlsx:
        data = xlsx_file(rng, header, rows, roles, [m for m in muts if m in TABLE_MUTATIONS
                                                    or m in ("truncate", "byte_flip")])
        muts.append("xlsx")
    else:
        data = table_file(rng, header, rows, roles, muts)
    name = "fuzz_shared" if rng.random() < 0.15 else f"fuzz_{kind}_{rng.randrange(10**6)}"
    doc: dict[str, object] = {
        "kind": kind, "name": name, "title": f"Fuzz {kind}", "synthetic": True,
        "personal": [h for f, h, _ in cols if f is None],
        "columns": {f: h for f, h, _ in cols if f is not None},
    }
    if rng.random() < 0.3 and any(t == "dt" for _, _, t in cols):
        f = next(f for f, _, t in cols if t == "dt")
        doc["formats"] = {f: ["%Y-%m-%d %H:%M", "%d/%m/%Y"]}
    if rng.random() < 0.2 and kind == "ed_assaults":
        doc["codes"] = {"weapon": {"Spoon": "other"}}
    if rng.random() < 0.1 and kind == "police_extract":
        doc["age_bands"] = {"victim_age": {"unknown": [0, 120], "18-24": [18, 24]}}
    tmuts = choose_toml_mutations(rng) if rng.random() < 0.3 else []
    if rng.random() < 0.05:  # a section that is not a table
        doc[rng.choice(("formats", "codes", "age_bands", "columns"))] = rng.choice(
            [v for v in ODD_VALUES if not isinstance(v, dict)])
        tmuts.append("section_type")
    mapping = toml_file(rng, doc, tmuts)
    files = {data_rel: data, "partner/mapping.toml": mapping}
    recount = {data_rel: ("table", data)} if not xlsx else {}
    return Case("mapped", seed, files,
                ["load", f"@{data_rel}", "--mapping", "@partner/mapping.toml", "-q"],
                muts + [f"toml:{m}" for m in tmuts], recount=recount,
                names=(data_rel, "partner/mapping.toml"), rerun=rng.random() < 0.1,
                label=kind)


# --------------------------------------------------------------------------- registers

STATUSES = ("Not started", "open", "In progress", "overdue", "Complete", "completed", "Closed",
            "superseded", "done?", "")


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(2020, 2026), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice((f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{d}/{m}/{y}",
                       f"{y}-{m:02d}-{d:02d} 10:00"))


def _register_case(rng: random.Random, seed: int, kind: str) -> Case:
    def spell(name: str) -> str:
        return rng.choice((name, name.title(), name.replace(" ", "_"), name.replace(" ", "-"),
                           name.upper()))

    n = rng.choice((1, 3, 8))
    if kind == "recommendations":
        names = ["id", "date", "document", "theme", "text", "owner", "status", "due date",
                 "update"]
        rows = [[f"R{i + 1}", _date(rng), "SA 2024", "Violence", "Do more", "CSP",
                 rng.choice(STATUSES[:-2]), _date(rng) if rng.random() < 0.7 else "", ""]
                for i in range(n)]
        roles = Roles(months=(1, 7), bad_months=BAD_DATES)
    else:
        names = ["id", "what", "area", "start", "end", "comparison area", "categories",
                 "window months"]
        rows = []
        for i in range(n):
            cats = "; ".join(rng.sample((*CRIME_TYPES, ASB, "Violent crime"), rng.randint(0, 2)))
            rows.append([f"I{i + 1}", "Patrols", "Market", "2024-03-01",
                         rng.choice(("", "2024-06-30")), rng.choice(("", "Petersfield")),
                         cats, rng.choice(("", "6", "3"))])
        roles = Roles(months=(3, 4), counts=(7,), bad_months=BAD_DATES)
    header = [spell(h) for h in names]
    muts = choose_mutations(rng)
    if rng.random() < 0.15:
        muts.append("register_values")
        for r in rows:
            if rng.random() < 0.4:
                if kind == "recommendations":
                    r[6] = rng.choice(("Finished", "", "[/bold]", "Overdue!"))
                else:
                    r[rng.choice((6, 7))] = rng.choice(("Burglery", "0", "-3", "1e400", "x;;y"))
        if len(rows) > 1 and rng.random() < 0.5:
            rows[1][0] = rows[0][0].lower()  # ids differing only in case clash
    xlsx = rng.random() < 0.08
    rel = f"registers/{kind}.{'xlsx' if xlsx else 'csv'}"
    if xlsx:
        data = xlsx_file(rng, header, rows, roles, [m for m in muts if m in TABLE_MUTATIONS
                                                    or m in ("truncate", "byte_flip")])
        muts.append("xlsx")
    else:
        data = table_file(rng, header, rows, roles, muts)
    return Case(kind, seed, {rel: data}, [], muts, call=kind, target=rel,
                recount={} if xlsx else {rel: ("table", data)}, names=(rel,))


# --------------------------------------------------------------------------- spec


def _spec_case(rng: random.Random, seed: int) -> Case:
    cats = rng.sample(CRIME_TYPES, 2)
    muts = choose_toml_mutations(rng)
    bad = rng.random() < 0.3  # one value out of the forms the spec allows

    def value(good: Sequence[object], odd: Sequence[object]) -> object:
        return rng.choice(odd) if bad and rng.random() < 0.3 else rng.choice(good)

    period = value(({"assessed": "2024", "compare": "2023"}, {"assessed": "2024/25"},
                    {"rolling": "2025-03"}),
                   ({"assessed": "2024/26"}, {"assessed": "2024-13"}, {"assessed": "13/14"},
                    {"rolling": rng.choice(BAD_MONTHS)}, {"assessed": "2024", "rolling": "2024-03"},
                    {"assessed": "2024", "compare": "2024"}))
    doc: dict[str, object] = {
        "partnership": {"name": "Cambridge", "area": rng.choice(("E22000013", "Cambridge"))},
        "period": period,
        "thresholds": {"min_base": value((5, 0, 10), (-1, 2.5, "5", 10**30)),
                       "min_months_compared": 6, "suppression": 5,
                       "protected": ["Sexual offences", "Domestic abuse"]},
        "data": {"police_uk": ["../police"], "reference": ["../ref"],
                 "datasets": value(([{"data": "../d.csv", "mapping": "../d.toml"}], []),
                                   ([{"data": "../d.csv"}], [{"mapping": 5}], ["d.csv"]))},
        "outputs": {"geography": value(("ward", "lsoa"), ("msoa", "", "WARD"))},
        "priorities": [{
            "name": c, "rationale": "Large.", "owner": "", "categories": [c],
            "indicators": [
                {"name": f"{c}: below average",
                 "measure": value(("count", "rate", "share"), ("ratio", "")),
                 "categories": value(([c],), ([], ["Burglery"], [ASB, "x"])),
                 "target": value(("below_average:5", "no_significant_increase", "change:-5"),
                                 ("below_average:x", "change:1e400", "change:",
                                  "above_average:3", "below_average:0", "change:nan"))},
            ]} for c in cats],
    }
    if rng.random() < 0.3:
        doc["recommendations"] = "recommendations.csv"
        doc["interventions"] = "interventions.xlsx"
    if rng.random() < 0.3:
        doc["schedule"] = [{"quarter": value(("2024/25 Q4",), ("2024/25 Q5", "Q4")),
                            "theme": "Sign-off", "date": value(("2025-03-01",), ("soon", 5))}]
    if bad:
        muts.append("bad_spec_value")
    data = toml_file(rng, doc, muts)
    rel = "sa/commsafe.toml"
    return Case("spec", seed, {rel: data}, [], muts, call="spec", target=rel,
                names=(rel,))


# --------------------------------------------------------------------------- reference


def _reference_case(rng: random.Random, seed: int) -> Case:
    what = rng.choice(("lookup", "csp", "residents", "changes", "boundaries", "population",
                       "deprivation"))
    n = rng.choice((1, 3, 10))
    codes = [f"E0110{rng.randrange(10**4):04d}" for _ in range(n)]
    muts: list[str]
    if what == "boundaries":
        muts = choose_mutations(rng, table=False)
        features = []
        for c in codes:
            x, y = rng.uniform(-1, 1), rng.uniform(51, 53)
            ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
            geometry: object = {"type": "Polygon", "coordinates": [ring]}
            if rng.random() < 0.2:
                muts.append("bad_geometry")
                geometry = rng.choice((
                    None, {"type": "Polygon", "coordinates": [[[999, 999], [1000, 5], [0, 0]]]},
                    {"type": "Polygon", "coordinates": []}, {"type": "Point", "coordinates": [0]},
                    {"type": "Polygon", "coordinates": [[["a", "b"]]]}, "nope",
                    {"type": "Circle"}, {"type": "Polygon", "coordinates": [[[float("nan"), 1]]]}))
            props: dict[str, object] = {"lsoa21_code": c, "lsoa21_name": f"Area {c[-3:]}"}
            if rng.random() < 0.1:
                muts.append("bad_properties")
                odd: list[dict[str, object]] = [{}, {"LSOA21CD": c}, {"lsoa21_code": None},
                                                {"lsoa21_code": 5}]
                props = rng.choice(odd)
            features.append({"type": "Feature", "properties": props, "geometry": geometry})
        doc: object = {"type": "FeatureCollection", "features": features}
        if rng.random() < 0.05:
            doc = rng.choice(([], {"type": "FeatureCollection"}, {"features": "x"}, "text"))
            muts.append("bad_collection")
        text = json.dumps(doc, allow_nan=True)
        rel = "ref/lsoa21_boundaries.geojson"
        data = encode(rng, mutate_text(rng, text, muts), muts)
        return Case("reference", seed, {rel: data}, ["reference", "load", f"@{rel}", "-q"],
                    muts, names=(rel, "ref"), label=what)
    if what == "lookup":
        header = ["lsoa21_name", "lsoa21_code", "ward24_name", "ward24_code", "ltla24_name",
                  "ltla24_code"]
        rows = [[f"Cambridge {c[-3:]}", c, "Castle", rng.choice(WARDS), "Cambridge",
                 rng.choice(DISTRICTS)] for c in codes]
        rel, roles = "ref/lookup_lsoa21_ward24_ltla24.csv", Roles()
    elif what == "csp":
        header = ["ltla24_code", "ltla24_name", "csp24_code", "csp24_name", "pfa24_code",
                  "pfa24_name"]
        rows = [[d, f"District {d[-2:]}", f"E2200{rng.randrange(10**4):04d}", "Some CSP",
                 "E23000023", "Cambridgeshire"] for d in rng.sample(DISTRICTS, rng.randint(1, 3))]
        rel, roles = "ref/lookup_ltla24_csp24_pfa24.csv", Roles()
    elif what == "residents":
        header = ["lsoa21_code", "total_residents"]
        rows = [[c, str(rng.randint(800, 3000))] for c in codes]
        rel, roles = "ref/census2021_lsoa21_usual_residents.csv", Roles(counts=(1,))
    elif what == "changes":
        header = ["lsoa11_name", "lsoa11_code", "change_code", "lsoa21_name", "lsoa21_code",
                  "ltla22_name", "ltla22_code"]
        rows = [[f"A {c[-3:]}", c, rng.choice(("U", "S", "M", "X", "Q")), f"B {c[-3:]}", c,
                 "Cambridge", "E07000008"] for c in codes]
        rel, roles = "ref/lookup_lsoa11_lsoa21_ltla22.csv", Roles()
    elif what == "population":
        header = ["lsoa11_code", "lsoa11_name", "total_population", *map(str, range(90))]
        rows = []
        for c in codes:
            ages = [rng.randint(0, 40) for _ in range(90)]
            rows.append([c, f"A {c[-3:]}", f"{sum(ages)}.0", *(f"{a}.0" for a in ages)])
        year = rng.choice(("2019", "2020", "1850", "20x9"))
        rel, roles = (f"ref/mid{year}_lsoa11_persons_single_year_of_age.csv",
                      Roles(counts=(2, 3, 4)))
    else:
        header = ["lsoa21_code", "IMD_decile", "Income_decile", "Employment_decile",
                  "Education_decile", "Health_decile", "Crime_decile",
                  "Housing_and_Services_decile", "Environment_decile", "IMD_rank"]
        rows = [[c, *(str(rng.randint(1, 10)) for _ in range(8)), str(rng.randint(1, 33755))]
                for c in codes]
        rel, roles = "ref/imd2025_england_lsoa21.csv", Roles(counts=(1, 2, 9))
    muts = choose_mutations(rng)
    if roles.counts and rng.random() < 0.2:
        muts.append("bad_numbers")
        for r in rows:
            r[rng.choice(roles.counts)] = rng.choice(("nan", "-5", "1e400", "x", "", "1,000"))
    data = table_file(rng, header, rows, roles, muts)
    target = f"@{rel}" if rng.random() < 0.8 else "@ref"
    return Case("reference", seed, {rel: data}, ["reference", "load", target, "-q"], muts,
                recount={rel: ("records", data)}, names=(rel, "ref"),
                rerun=rng.random() < 0.1, label=what)


# --------------------------------------------------------------------------- entry point


def generate(kind: str, seed: int) -> Case:
    """The case of ``kind`` for ``seed``: the same bytes every time."""
    rng = random.Random(f"{kind}:{seed}")
    return build(kind, rng, seed)


def build(kind: str, rng: random.Random, seed: int = -1) -> Case:
    """A case drawn from ``rng`` (a seeded Random, or one Hypothesis controls)."""
    if kind in ("street", "outcomes", "stop_search"):
        return _police_case(rng, seed, kind)
    if kind == "police_zip":
        return _zip_case(rng, seed)
    if kind == "police_folder":
        return _folder_case(rng, seed)
    if kind == "counts":
        return _counts_case(rng, seed)
    if kind == "mapped":
        return _mapped_case(rng, seed)
    if kind in ("recommendations", "interventions"):
        return _register_case(rng, seed, kind)
    if kind == "spec":
        return _spec_case(rng, seed)
    if kind == "reference":
        return _reference_case(rng, seed)
    raise ValueError(f"no such fuzz kind {kind!r}; one of {', '.join(KINDS)}")
