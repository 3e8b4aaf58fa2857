"""The assessment: `commsafe build`."""


from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commsafe.cli._common import QuietOpt, StoreOpt, _progress, _store_path, app, err, out

SpecOpt = Annotated[Path, typer.Option(
    "--spec", help="The spec (commsafe.toml, or the folder holding it).")]


@app.command("build")
def build(
    spec: SpecOpt = Path("commsafe.toml"),
    out_dir: Annotated[Path, typer.Option(
        "--out", help="Folder for the build; it goes in OUT/<assessment-id>/.")] = Path("out"),
    kind: Annotated[str, typer.Option(
        help="assessment (the full strategic assessment) or monitoring (the shorter, "
             "trend-focused quarterly report).")] = "assessment",
    store: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Build the assessment the spec describes: load what is new, compute every measure, and
    write assessment.html, .pdf and .docx, tables.xlsx, data/*.csv, figures (PNG and SVG),
    manifest.json and changes-since-last-build.md into OUT/<assessment-id>/. A failed or
    killed build leaves the previous outputs in place (the new ones are written into a hidden
    folder beside them and swapped in at the end)."""
    from commsafe.report.build import STAGES
    from commsafe.report.build import build as run_build

    with _progress(quiet, "build") as bar:  # a bar by stage on a terminal, lines in logs
        task = bar.add_task("", total=len(STAGES)) if bar is not None else None
        seen: list[str] = []

        def stage(name: str) -> None:
            if bar is not None and task is not None:
                if seen:
                    bar.advance(task)
                bar.update(task, description=name)
            elif not quiet:
                err.print(f"[dim]stage:[/dim] {name}")
            seen.append(name)

        result = run_build(spec, out_dir, store_path=_store_path(store), kind=kind,
                           stage=stage)
    if quiet:
        out.print(str(result.out_dir))
        return
    for note in result.notes:
        err.print(f"[dim]note:[/dim] {note}", soft_wrap=True)
    for what, n in result.loaded.items():
        out.print(f"{what}: {n:,}")
    out.print(f"built {result.out_dir} in {sum(result.timings.values()):.1f} s "
              f"({', '.join(f'{k} {v:.1f}' for k, v in result.timings.items())})")
    for key in ("html", "pdf", "docx", "xlsx", "atlas", "manifest", "changes"):
        if key in result.files:
            out.print(f"  {key:9} {result.files[key]}")
    out.print(f"  {'tables':9} {result.out_dir / 'data'}")
    out.print(f"  {'figures':9} {result.out_dir / 'figures'}")
    if result.changes:
        out.print(f"{result.changes:,} published figure(s) changed since the last build: see "
                  "changes-since-last-build.md")
    if result.findings_file is not None:
        out.print(f"findings file (edit, drop or add findings, then build again): "
                  f"{result.findings_file}")


@app.command("atlas")
def atlas(
    spec: SpecOpt = Path("commsafe.toml"),
    out_file: Annotated[Path, typer.Option(
        "--out", help="The HTML file to write.")] = Path("atlas.html"),
    store: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """The community safety atlas: one self-contained HTML file (no network needed) mapping
    every crime type, ASB and partner data set by ward and LSOA — count, rate per 1,000 and
    change — with a ranked chart, an area panel, the victim/offender pyramid and the data
    table. Disclosure control as in the assessment: suppressed values are not in the file."""
    from commsafe.atlas.data import spec_payload
    from commsafe.atlas.page import write_atlas
    from commsafe.errors import InputError
    from commsafe.spec import load_spec
    from commsafe.store import open_store

    loaded = load_spec(spec)
    if out_file.is_dir():
        raise InputError(f"{out_file}: is a folder; give the HTML file to write, e.g. "
                         f"{out_file / 'atlas.html'}")
    with open_store(_store_path(store), read_only=True) as st:
        payload = spec_payload(st, loaded)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    path = write_atlas(payload, out_file)
    if not quiet:
        for note in payload["meta"]["notes"]:
            err.print(f"[dim]note:[/dim] {note}", soft_wrap=True)
        size = path.stat().st_size
        out.print(f"wrote {path} ({size / 1e6:.1f} MB; open it in a browser, no network "
                  "needed)")
