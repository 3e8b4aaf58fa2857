"""Benchmark: reading a very large Home Office recorded crime table by CSP (ODS), streamed.

    python benchmarks/bench_home_office.py --rows 2000000 --out docs/benchmarks-home-office.md

The Home Office publishes its police recorded crime open data tables by Community Safety
Partnership as one OpenDocument workbook of well over a gigabyte of spreadsheet XML. No such
file is in ``../shared/data``, so this benchmark *writes* one at run time in the published
layout (one sheet per financial year named like ``2018_19``, a ``Notes`` sheet, the nine
published columns), with the real offence codes of the Home Office hierarchy and CSP and force
names cycling through a list of real ones, and says so in its report. It then reads it with
``commsafe.sources.home_office.read_recorded_crime`` in a fresh process and reports the time,
rows per second and peak memory, and makes one CSP's performance table from it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ("Financial Year", "Financial Quarter", "Police Force", "CSP Name",
          "Offence Description", "Offence Group", "Offence Subgroup", "Offence Code",
          "Offence Count")

FORCES = {  # real forces and some of their CSPs (names as the Home Office prints them)
    "Avon and Somerset": ["Bristol", "Bath and North East Somerset", "North Somerset",
                          "South Gloucestershire", "Unassigned"],
    "Northumbria": ["Newcastle upon Tyne", "Gateshead", "North Tyneside", "South Tyneside",
                    "Sunderland", "Northumberland"],
    "West Yorkshire": ["Leeds", "Bradford", "Calderdale", "Kirklees", "Wakefield"],
    "Cambridgeshire": ["Cambridge", "East Cambridgeshire", "Fenland", "Huntingdonshire",
                       "South Cambridgeshire", "Peterborough"],
}

_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"')


def _offences() -> list[tuple[str, str, str, str]]:
    """(description, group, subgroup, code) for each code of the packaged hierarchy."""
    from importlib.resources import files

    text = (files("commsafe") / "data" / "offence_hierarchy.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    names = {r["key"]: r["name"] for r in rows}
    parents = {r["key"]: r["parent"] for r in rows}
    out = []
    for r in rows:
        for code in filter(None, r["ho_codes"].split(";")):
            group = r["key"]
            while parents.get(group) and parents[group] != "all_crime":
                group = parents[group]
            out.append((f"{r['name']} ({code})", names[group], r["name"], code))
    return out


def _text_cell(value: str) -> str:
    return (f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p>'
            "</table:table-cell>")


def _number_cell(value: int) -> str:
    return (f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>")


def write_ods(path: Path, rows: int, years: list[str]) -> tuple[int, int]:
    """Write the workbook; returns (data rows, bytes of content.xml)."""
    offences = _offences()
    places = [(f, c) for f, cs in FORCES.items() for c in cs]
    per_year = rows // len(years)
    written = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        with z.open("content.xml", "w", force_zip64=True) as raw:
            out = _Counting(raw)
            out.write(f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS}>'
                      "<office:body><office:spreadsheet>")
            out.write('<table:table table:name="Notes"><table:table-row>'
                      + _text_cell("Police recorded crime by Community Safety Partnership "
                                   "(generated for a benchmark)")
                      + "</table:table-row></table:table>")
            for y, year in enumerate(years):
                label = year.replace("/", "_")
                out.write(f'<table:table table:name="{label}"><table:table-row>'
                          + "".join(_text_cell(h) for h in HEADER) + "</table:table-row>")
                chunk: list[str] = []
                for i in range(per_year):
                    force, csp = places[i % len(places)]
                    desc, group, sub, code = offences[(i // len(places)) % len(offences)]
                    count = -2 if i % 997 == 0 else (i * 7 + y * 3) % 40
                    chunk.append("<table:table-row>" + _text_cell(year)
                                 + _number_cell(1 + i % 4) + _text_cell(force) + _text_cell(csp)
                                 + _text_cell(desc) + _text_cell(group) + _text_cell(sub)
                                 + _text_cell(code) + _number_cell(count) + "</table:table-row>")
                    if len(chunk) == 2000:
                        out.write("".join(chunk))
                        chunk.clear()
                out.write("".join(chunk))
                out.write("</table:table>")
                written += per_year
            out.write("</office:spreadsheet></office:body></office:document-content>")
    return written, out.bytes


class _Counting:
    def __init__(self, raw: object) -> None:
        self.raw = raw
        self.bytes = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.bytes += len(data)
        self.raw.write(data)  # type: ignore[attr-defined]


def worker(path: Path) -> int:
    from commsafe.measures.performance import performance_table
    from commsafe.sources.home_office import read_recorded_crime, recorded_counts

    start = time.perf_counter()
    data = read_recorded_crime(path)
    read_s = time.perf_counter() - start
    t = time.perf_counter()
    counts, _ = recorded_counts(data, csp="Bristol", by="group")
    table = performance_table(counts=counts)
    table_s = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kept": len(data.frame), "negative_rows": data.negative_rows,
                      "read_s": read_s, "table_s": table_s, "peak_mb": peak_mb,
                      "all_crime": {k: (None if v is None else int(v)) for k, v in
                                    table.set_index("category").loc["All crime"].items()
                                    if k[:2] == "20"}}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        return worker(args.worker)
    years = ["2015/16", "2016/17", "2017/18", "2018/19"]
    with tempfile.TemporaryDirectory(prefix="commsafe-bench-ho-") as tmp:
        path = Path(tmp) / "prc-csp-generated.ods"
        t = time.perf_counter()
        rows, xml_bytes = write_ods(path, args.rows, years)
        write_s = time.perf_counter() - t
        size = path.stat().st_size
        print(f"wrote {rows:,} rows: content.xml {xml_bytes / 1e6:,.0f} MB, file "
              f"{size / 1e6:,.0f} MB, in {write_s:.0f} s", file=sys.stderr)
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                               str(path), "--out", os.devnull],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        got = json.loads(proc.stdout.strip().splitlines()[-1])
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    text = f"""## Reading a very large Home Office CSP workbook (ODS)

Run on {when} with `python benchmarks/bench_home_office.py --rows {args.rows}` on
{platform.platform()} ({os.cpu_count()} CPUs, Python {platform.python_version()}; 1-minute
load average {load:.2f} at the end).

The workbook is **generated at run time** in the Home Office's published layout (a `Notes`
sheet and one sheet per financial year, {', '.join(years)}, with the nine published columns;
real offence codes of the Home Office hierarchy; CSP and force names cycling through a list of
real ones, an `Unassigned` CSP among them; one negative adjustment every 997 rows): no file
that size is in `../shared/data`.

| measure | value |
|---|---:|
| data rows | {rows:,} |
| content.xml (the spreadsheet XML) | {xml_bytes / 1e6:,.0f} MB |
| .ods file (zip) | {size / 1e6:,.0f} MB |
| read (`read_recorded_crime`, streamed) | {got['read_s']:.1f} s |
| rows per second | {rows / got['read_s']:,.0f} |
| XML read per second | {xml_bytes / 1e6 / got['read_s']:,.1f} MB/s |
| one CSP's performance table from it | {got['table_s']:.2f} s |
| peak memory of the reading process | {got['peak_mb']:,.0f} MB |
| rows with a negative count (adjustments), as read | {got['negative_rows']:,} |

Bristol's All crime by financial year, from the performance table made from the file:
{', '.join(f"{k}: {v:,}" for k, v in got['all_crime'].items())}.

The reader keeps one row of XML at a time (lxml `iterparse`, each row freed once read) and
sums rows as it goes, so memory stays flat as the file grows; time grows with the XML.
"""
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
