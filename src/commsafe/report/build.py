"""``commsafe build``: from a spec to the whole assessment, in named stages.

Stages: read the spec and the analyst's registers; load reference data, police.uk files and
partner data sets that are new (everything already loaded is recognised by checksum and
skipped); compute and lay out the document (:func:`commsafe.report.assemble.assemble`); write
``tables.xlsx``, ``assessment.html``, ``assessment.pdf``, ``assessment.docx`` and the
interactive ``atlas.html`` (:mod:`commsafe.atlas`); write
``manifest.json`` and ``changes-since-last-build.md``.

Everything is written into a hidden temporary folder beside the output
(``<out>/.<assessment-id>.building-<pid>-<random>``), which takes the place of
``<out>/<assessment-id>/`` only when the whole build succeeded, in one atomic step (on Linux
the two folders are exchanged with ``renameat2(RENAME_EXCHANGE)``; elsewhere the previous
folder is renamed aside to ``.<assessment-id>.previous-<pid>`` for the instant of the second
rename). A failed or killed build leaves the previous outputs as they were; the hidden folders
a killed build leaves behind are removed (or, for a previous build renamed aside, put back)
by the next build into the same folder. ``findings.csv`` is replaced atomically too.

The store is opened for writing only while new inputs are loaded (waiting, like a reader,
while another process holds it: ``COMMSAFE_WAIT``), then read-only for the measures and the
documents, so other readers are not kept waiting by the long part of a build. Apart from the
manifest's ``built_at``, the same inputs give the same bytes in every table and in the
manifest.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from commsafe.disclosure import DisclosureRules
from commsafe.errors import CommsafeError, InputError
from commsafe.outputs.manifest import source_date
from commsafe.spec import Spec, load_spec

__all__ = ["KINDS", "STAGES", "BuildResult", "assessment_id", "build"]

KINDS = ("assessment", "monitoring")
STAGES = ("spec", "reference", "police.uk", "partner data", "measures", "workbook", "html",
          "word", "atlas", "pdf", "manifest")
FINDINGS_FILE = "findings.csv"


@dataclass
class BuildResult:
    """Where the build wrote, what it wrote and how long each stage took (seconds)."""

    out_dir: Path
    files: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    loaded: dict[str, int] = field(default_factory=dict)
    findings_file: Path | None = None
    changes: int = 0


def assessment_id(spec: Spec, kind: str = "assessment") -> str:
    """``cambridge-2024`` / ``cambridge-2024-25``, a rolling year by its months
    (``newcastle-upon-tyne-march-2022-to-february-2023``); ``-monitoring`` for the monitoring
    kind."""
    from commsafe.report.publish import slug

    p = spec.assessed
    base = f"{slug(spec.partnership_name)}-{slug(p.name if p.kind == 'rolling_12' else p.label)}"
    return base if kind == "assessment" else f"{base}-{kind}"


def _check_writable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: is a file, not a folder. Give a folder with --out.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".commsafe-probe-"):
            pass
    except OSError as exc:
        raise InputError(f"{out}: cannot write here ({exc.strerror or exc}). Give a folder "
                         "you can write to with --out.") from None


def _registers(spec: Spec) -> dict[str, Any]:
    from commsafe.sources.registers import read_interventions, read_recommendations

    out: dict[str, Any] = {}
    if spec.recommendations is not None:
        out["recommendations"] = read_recommendations(spec.recommendations)
    if spec.interventions is not None:
        out["interventions"] = read_interventions(spec.interventions)
    return out


def build(spec_path: Path | str, out: Path | str, *, store_path: Path | str,
          kind: str = "assessment", stage: Callable[[str], None] | None = None,
          workers: int | None = None,
          today: date | None = None) -> BuildResult:
    """Build the assessment the spec describes into ``out/<assessment-id>/``.

    ``stage(name)`` is called as each stage starts (for a progress display). ``workers``
    processes draw figures and typeset the PDF beside the main work (default: the number of
    CPUs, at most 4; 0 does everything in this process).
    """
    from commsafe.store import open_store

    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    if kind not in KINDS:
        raise InputError(f"--kind {kind!r}: choose {' or '.join(KINDS)}")
    timings: dict[str, float] = {}
    started: dict[str, float] = {}

    def begin(name: str) -> None:
        now = time.perf_counter()
        for previous, at in started.items():
            timings[previous] = now - at
        started.clear()
        if name:
            started[name] = now
        if stage is not None and name:
            stage(name)

    begin("spec")
    source_date()  # a bad SOURCE_DATE_EPOCH is refused now, not by a figure half-way through
    spec = load_spec(spec_path)
    out = Path(out)
    _check_writable(out)
    registers = _registers(spec)
    final = out / assessment_id(spec, kind)
    _clean_stale(final)
    notes = list(spec.notes)
    loaded: dict[str, int] = {}
    begin("reference")
    if spec.reference or spec.police_uk or spec.datasets:
        with open_store(store_path, wait=True) as store:  # wait for another writer
            _load_inputs(store, spec, begin, loaded)
    else:
        begin("police.uk")
        begin("partner data")
    with open_store(store_path, read_only=True) as store:
        begin("measures")
        from commsafe.findings import findings_file_text, read_findings_file
        from commsafe.report.assemble import assemble
        from commsafe.report.publish import Publisher
        from commsafe.spec import resolve_area

        area = resolve_area(spec, store.con)
        rules = DisclosureRules(threshold=spec.suppression, protected=spec.protected)
        base = spec.path.parent if spec.path else Path.cwd()
        findings_path = base / FINDINGS_FILE
        analyst = read_findings_file(findings_path)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}{_BUILDING}{os.getpid()}-", dir=out))
        tmp.chmod(0o755)  # mkdtemp makes it private; a published build is readable (umask)
        try:
            pub = Publisher(tmp, rules, workers=workers)
            assembled = assemble(store, spec, area, pub, kind=kind, registers=registers,
                                 built=today or _data_date(store), analyst=analyst)
            notes.extend(assembled.notes)
            pub.wait()
            files = _write_documents(tmp, assembled, begin, parallel=workers > 0)
            begin("manifest")
            changes = _write_manifest(store, tmp, final, spec, kind, pub, files)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    _write_atomically(findings_path, findings_file_text(assembled.findings, analyst))
    _replace(tmp, final)
    begin("")
    files = {k: final / v.relative_to(tmp) for k, v in files.items()}
    return BuildResult(final, files, timings, notes, loaded, findings_path, changes)


def _load_inputs(store: Any, spec: Spec, begin: Callable[[str], None],
                 loaded: dict[str, int]) -> None:
    """Load the spec's reference files, police.uk files and partner data sets that are new
    (each loader skips, by checksum, what is already in the store)."""
    if spec.reference:
        from commsafe.reference.loader import load_reference

        recs = load_reference(store, list(spec.reference))
        loaded["reference files loaded"] = sum(r.status == "loaded" for r in recs)
        loaded["reference files already in the store"] = sum(
            r.status != "loaded" for r in recs)
    begin("police.uk")
    if spec.police_uk:
        from commsafe.store.ingest import ingest

        res = ingest(store, list(spec.police_uk))
        if res.failures:
            first = res.failures[0]
            raise InputError(f"{len(res.failures)} police.uk file(s) could not be loaded; "
                             f"the first: {first.path}: {first.message}")
        loaded["police.uk rows loaded"] = sum(r.rows_loaded for r in res.loads
                                              if r.status in ("loaded", "revised"))
        loaded["police.uk files already in the store"] = sum(
            r.status not in ("loaded", "revised") for r in res.loads)
    begin("partner data")
    if spec.datasets:
        from commsafe.sources.mapped import load_dataset

        for ds in spec.datasets:
            rec = load_dataset(store, ds.data, ds.mapping)
            loaded[f"{ds.data.name} rows loaded"] = rec.rows_loaded


def _data_date(store: Any) -> date:
    """The document's date: the day the newest input was loaded (so a rebuild of the same
    inputs gives the same document)."""
    row = store.con.execute("SELECT max(finished_at) FROM loads WHERE status IN "
                            "('loaded', 'revised')").fetchall()
    value = row[0][0] if row else None
    return value.date() if value is not None else date.today()


def _write_documents(root: Path, assembled: Any, begin: Callable[[str], None], *,
                     parallel: bool) -> dict[str, Path]:
    """The workbook, HTML, PDF and Word files. With ``parallel``, WeasyPrint typesets the PDF
    in a forked process while this one writes the others."""
    from commsafe.outputs.workbook import write_workbook
    from commsafe.report import forked
    from commsafe.report.docx import write_docx
    from commsafe.report.html import write_html
    from commsafe.report.pdf import write_pdf

    doc = assembled.document
    files: dict[str, Path] = {}
    pdf_path = root / "assessment.pdf"
    marker = pdf_path.with_suffix(".failed")
    child = (forked.start(functools.partial(write_pdf, base_dir=root), doc, pdf_path,
                          marker=marker)
             if parallel and forked.can_fork() else None)
    begin("workbook")
    files["xlsx"] = write_workbook(root / "tables.xlsx", assembled.publisher.workbook)
    begin("html")
    files["html"] = write_html(doc, root / "assessment.html")
    begin("word")
    files["docx"] = write_docx(doc, root / "assessment.docx", base_dir=root)
    begin("atlas")
    if assembled.atlas:
        files["atlas"] = _write_atlas(root, assembled)
    begin("pdf")
    if child is None:
        files["pdf"] = write_pdf(doc, pdf_path, base_dir=root)
    else:
        forked.finish(child, marker, "the PDF could not be written")
        files["pdf"] = pdf_path
    return files


def _write_atlas(root: Path, assembled: Any) -> Path:
    from commsafe.atlas.page import write_atlas

    return write_atlas(assembled.atlas, root / "atlas.html")


def _write_manifest(store: Any, root: Path, final: Path, spec: Spec, kind: str, pub: Any,
                    files: dict[str, Path]) -> int:
    from commsafe.outputs.manifest import (
        OutputRecord,
        build_manifest,
        changes_markdown,
        changes_since,
        read_manifest,
        write_manifest,
    )
    from commsafe.spec import render_spec

    records = list(pub.records)
    for key, path in files.items():
        records.append(OutputRecord(path.relative_to(root).as_posix(), "document",
                                    {"document": key, "kind": kind}))
    spec_text = render_spec(spec, spec.path.parent if spec.path else None)
    manifest = build_manifest(store, root, records, {"file": str(spec.path),
                                                     "kind": kind, "text": spec_text})
    previous = final / "manifest.json"
    if previous.is_file():
        try:
            old = read_manifest(previous)
        except (ValueError, KeyError) as exc:
            text = (f"# Changes since the last build\n\nThe previous manifest ({previous}) "
                    f"could not be read ({exc}); nothing to compare.\n")
            count = 0
        else:
            changes = changes_since(old, manifest)
            count = sum(c.cell is not None for c in changes)
            text = changes_markdown(changes, old.built_at, manifest.built_at)
    else:
        text = ("# Changes since the last build\n\nThis is the first build in this folder: "
                "nothing to compare.\n")
        count = 0
    (root / "changes-since-last-build.md").write_text(text, encoding="utf-8")
    write_manifest(manifest, root / "manifest.json")
    files["manifest"] = root / "manifest.json"
    files["changes"] = root / "changes-since-last-build.md"
    return count


def _kill_point(stage: str) -> None:
    """Test hook: COMMSAFE_TEST_KILL=<stage> makes the build kill -9 itself on reaching that
    stage (``build-after-swap``: the new folder is in place, the old one not yet
    removed): a real crash at a chosen point."""
    if os.environ.get("COMMSAFE_TEST_KILL", "").partition(":")[0] == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a folder of this pid was left by an earlier process of the same number
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _clean_stale(final: Path) -> None:
    """Tidy what killed builds of ``final`` left in its folder: a previous build renamed aside
    while the new one was put in place is put back when ``final`` is missing, and temporary
    folders of builds whose process is gone are removed (those of a build still running are
    left alone)."""
    pattern = re.compile(re.escape(f".{final.name}") + rf"(?:{re.escape(_BUILDING)}|"
                         rf"{re.escape(_PREVIOUS)})(\d+)(?:-.*)?$")
    try:
        entries = sorted(final.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        m = pattern.match(entry.name)
        if not m or not entry.is_dir() or _alive(int(m.group(1))):
            continue
        if _PREVIOUS in entry.name and not final.exists():
            try:
                entry.rename(final)
                continue
            except OSError:
                pass
        shutil.rmtree(entry, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file beside it and an atomic rename: a crash
    leaves the old file or the new one, never half of one."""
    for stale in path.parent.glob(f".{path.name}.writing-*"):  # left by a killed build
        pid = stale.name.rpartition("-")[2]
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.writing-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_BUILDING = ".building-"
_PREVIOUS = ".previous-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False when
    the system or file system cannot, so that the caller falls back to two renames."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _replace(tmp: Path, final: Path) -> None:
    """Put the finished build in place of the previous one (renames, not copies). Where the
    system can, the two folders are exchanged atomically, so ``final`` is at every instant
    either the whole previous build or the whole new one; the previous build, now under the
    temporary name, is then removed (by the next build if this process dies first)."""
    try:
        if final.exists() and _exchange(tmp, final):
            _kill_point("build-after-swap")
            shutil.rmtree(tmp, ignore_errors=True)
            return
    except OSError as exc:
        raise CommsafeError(f"{final}: could not put the new build in place ({exc}); the "
                            "previous outputs are unchanged") from None
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}{_PREVIOUS}{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    try:
        tmp.rename(final)
    except OSError as exc:
        if old is not None:
            old.rename(final)
        raise CommsafeError(f"{final}: could not put the new build in place ({exc}); the "
                            "previous outputs are unchanged") from None
    _kill_point("build-after-swap")
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
