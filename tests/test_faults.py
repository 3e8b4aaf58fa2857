"""Faults (issue 14): real `commsafe` processes killed with SIGKILL at several points, two
writers at once, and readers while an ingest writes.

- ``commsafe reference load`` and ``commsafe load`` (a partner data set) killed a few
  fractions of the time a clean run holds the store after the process opened it (seen in
  ``/proc/<pid>/fd``), so that the kills land while it writes: the store opens, holds
  exactly what it held before the interrupted transaction (each reference file is its own
  transaction, so a prefix of the files may be in), and running the command again gives
  what a clean run gives.
- ``commsafe build`` killed mid-build and right after it put the new folder in place: the
  previous build is byte-for-byte unchanged or replaced by a complete new one, nothing
  half-written is visible in ``--out``, and the next build removes the hidden leftovers.
- a second writer is refused at once, naming the store and the process holding it; readers
  (``status``, ``counts``) during an ingest wait, saying so, or see the old state; a build
  (which loads what is new, so writes) waits for another writer the same way, saying so.

Kills of a build go to its whole process group: it draws figures and typesets the PDF in
forked children, which a crash of the machine (or an OOM kill of the session) takes too.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from commsafe.cli import main
from commsafe.errors import StoreInUseError
from commsafe.reference.loader import find_reference_files, load_reference
from commsafe.store import check_reference_keys, open_store
from commsafe.store.ingest import ingest

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                reason="needs /proc to see which files a process holds open")

VOLATILE = {"load_id", "replaced_by", "started_at", "finished_at"}
"""Columns that differ between two clean runs of the same load (ids from a sequence, clock
times); left out when a killed-and-rerun store is compared with a clean one."""

LONDON = ("E09000001", "E09000007", "E09000012", "E09000019", "E09000028", "E09000030",
          "E09000033")  # the City of London and the boroughs around it


def commsafe_cmd() -> list[str]:
    script = Path(sys.executable).parent / "commsafe"
    return [str(script)] if script.exists() else [sys.executable, "-m", "commsafe.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("COMMSAFE_STORE", "COMMSAFE_TEST_KILL", "COMMSAFE_WAIT")}
    return {**env, "COLUMNS": "200", **extra}


Fingerprint = dict[str, tuple[int, str]]


def fingerprint(path: Path, *, exact: bool = False) -> Fingerprint:
    """Rows and an order-free hash of every row, per table and view of the store (views such
    as ``population`` read with SELECT only). ``exact`` keeps load ids and clock times."""
    found: Fingerprint = {}
    with open_store(path, read_only=True) as st:
        names = st.con.execute("SELECT table_name FROM information_schema.tables WHERE "
                               "table_schema = 'main' ORDER BY 1").fetchall()
        for (name,) in names:
            cols = st.con.execute(f'DESCRIBE SELECT * FROM "{name}"').fetchall()
            keep = [str(c[0]) for c in cols if exact or (
                c[0] not in VOLATILE and not str(c[1]).startswith("TIMESTAMP"))]
            expr = ", ".join(f'"{c}"' for c in keep) or "1"
            row = st.con.execute(f'SELECT count(*), coalesce(sum(hash({expr})::HUGEINT), 0)'
                                 f'::VARCHAR FROM "{name}"').fetchall()[0]
            found[str(name)] = (int(row[0]), str(row[1]))
            if name == "loads":  # what was loaded, without the record of files seen again
                row = st.con.execute(f"SELECT count(*), coalesce(sum(hash({expr})::HUGEINT), 0)"
                                     "::VARCHAR FROM loads WHERE status <> 'duplicate'"
                                     ).fetchall()[0]
                found["loads not duplicate"] = (int(row[0]), str(row[1]))
    return found


def loaded(fp: Fingerprint) -> Fingerprint:
    """What a store holds, leaving out the ``loads`` rows of files seen again (a second run
    records the files a killed one had committed as duplicates)."""
    return {k: v for k, v in fp.items() if k != "loads"}


def counts(fp: Fingerprint) -> dict[str, int]:
    return {k: v[0] for k, v in fp.items()}


def reopen_check(path: Path) -> None:
    """The store opens for writing (what the next command does) and no reference key is held
    by two rows."""
    with open_store(path) as st:
        assert check_reference_keys(st.con) == dict.fromkeys(check_reference_keys(st.con), 0)
        assert st.scalar("SELECT count(*) FROM loads") is not None


def holds_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (a writer holds the store from open to exit)."""
    target = path.resolve()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            if Path(os.readlink(fd)) == target:
                return True
        except OSError:
            continue
    return False


@dataclass
class Kill:
    delay: float  # seconds after the process opened the store (after its start with group)
    running: bool  # still running when the signal went
    store_open: bool  # ... and holding the store open: the kill landed in the write phase
    returncode: int
    opened: float | None = None  # seconds from the start until it held the store
    took: float = 0.0  # seconds from the start to its end


def run_and_kill(cmd: list[str], delay: float | None, store: Path, *,
                 env: dict[str, str] | None = None, group: bool = False,
                 from_open: bool = True) -> Kill:
    """Start ``cmd`` and SIGKILL it (its process group with ``group``) ``delay`` seconds
    after it opened ``store`` (after its start when not ``from_open``) unless it ended
    before; ``delay`` None lets it run to the end, noting when it opened the store."""
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=env or clean_env(), start_new_session=group) as proc:
        start = time.monotonic()
        opened: float | None = None
        running = store_open = False
        while proc.poll() is None:
            now = time.monotonic()
            if opened is None and holds_open(proc.pid, store):
                opened = now - start
            anchor = opened if from_open else 0.0
            if delay is not None and anchor is not None and now - start >= anchor + delay:
                store_open = holds_open(proc.pid, store)
                running = proc.poll() is None
                if running:
                    if group:
                        os.killpg(proc.pid, signal.SIGKILL)
                    else:
                        proc.kill()
                break
            time.sleep(0.005)
        _, err = proc.communicate(timeout=300)
        took = time.monotonic() - start
        if group:  # children of the build may still be dying: let them go
            time.sleep(0.2)
    assert running or proc.returncode == 0, err
    return Kill(delay or 0.0, running, store_open, proc.returncode, opened, took)


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=clean_env(),
                          check=False)
    return time.monotonic() - start, done


# ------------------------------------------------------------------------------ reference data


def _london_reference(shared: Path, folder: Path) -> Path:
    """The 2021 LSOA → ward → district lookup, boundaries and population of the boroughs in
    :data:`LONDON`, cut from the real files (small, so a build is quick)."""
    geo, pop = shared / "geography", shared / "population"
    folder.mkdir(parents=True)

    def cut(src: Path, keep: object) -> list[dict[str, str]]:
        with src.open(newline="", encoding="utf-8") as h:
            reader = csv.DictReader(h)
            rows = [r for r in reader if keep is None or keep(r)]  # type: ignore[operator]
            fields = list(reader.fieldnames or [])
        with (folder / src.name).open("w", newline="", encoding="utf-8") as h:
            w = csv.DictWriter(h, fields)
            w.writeheader()
            w.writerows(rows)
        return rows

    rows = cut(geo / "lookup_lsoa21_ward24_ltla24.csv", lambda r: r["ltla24_code"] in LONDON)
    lsoas = {r["lsoa21_code"] for r in rows}
    wards = {r["ward24_code"] for r in rows}
    cut(geo / "lookup_ltla24_csp24_pfa24.csv", None)
    cut(pop / "census2021_lsoa21_usual_residents.csv", lambda r: r["lsoa21_code"] in lsoas)
    for name, key, keep in (("lsoa21_boundaries.geojson", "lsoa21_code", lsoas),
                            ("wards22_boundaries.geojson", "ward22_code", wards),
                            ("ltla24_boundaries.geojson", "ltla24_code", set(LONDON))):
        data = json.loads((geo / name).read_text(encoding="utf-8"))
        data["features"] = [f for f in data["features"] if f["properties"][key] in keep]
        (folder / name).write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_kill_9_during_reference_load(shared_data: Path, tmp_path: Path) -> None:
    """`commsafe reference load` of four real files (one already in the store) killed at
    three points: the store opens and holds what it held before plus only whole files
    (each file loads in one transaction), and a second run gives what a clean run gives."""
    folder = tmp_path / "ref"
    folder.mkdir()
    for name in ("geography/lookup_lsoa21_ward24_ltla24.csv",
                 "geography/lookup_ltla24_csp24_pfa24.csv",
                 "geography/ltla24_boundaries.geojson",
                 "population/census2021_lsoa21_usual_residents.csv"):
        shutil.copy(shared_data / name, folder)
    base = tmp_path / "base.duckdb"
    with open_store(base) as st:  # before: two months of street data and one lookup
        police = shared_data / "police-uk" / "city-of-london-2024-25"
        assert not ingest(st, [police / "2024-01", police / "2024-02"]).failures
        load_reference(st, [folder / "lookup_ltla24_csp24_pfa24.csv"])
    before = fingerprint(base, exact=True)
    assert before["events"][0] > 1000 and before["areas"][0] > 0

    # every state a kill may leave: the files in load order, each whole or not at all
    files = find_reference_files([folder])
    assert len(files) == 4
    allowed = [fingerprint(base)]
    prefix = tmp_path / "prefix.duckdb"
    shutil.copy(base, prefix)
    for f in files:
        with open_store(prefix) as st:
            load_reference(st, [f])
        allowed.append(fingerprint(prefix))

    clean = tmp_path / "clean.duckdb"
    shutil.copy(base, clean)
    cmd = [*commsafe_cmd(), "reference", "load", str(folder), "-q", "--store"]
    run = run_and_kill([*cmd, str(clean)], None, clean)
    assert run.returncode == 0 and run.opened is not None, run
    took = run.took - run.opened  # how long it holds the store
    final = fingerprint(clean)
    assert final != allowed[0] and final["population"][0] > before["population"][0]
    allowed.append(final)  # with the events re-resolved against the new reference

    kills = []
    for i, share in enumerate((0.2, 0.5, 0.8)):
        store = tmp_path / f"killed-{i}.duckdb"
        shutil.copy(base, store)
        kill = run_and_kill([*cmd, str(store)], share * took, store)
        kills.append(kill)
        reopen_check(store)
        state = fingerprint(store)
        assert state in allowed, (kill, counts(state))
        print(f"killed at {kill.delay:.2f} s of {took:.2f} s: {kill}; files committed: "
              f"{allowed.index(state)} of {len(files)} (5: and events re-resolved)")
        if state == allowed[0]:  # nothing committed: exactly the store as it was
            assert fingerprint(store, exact=True) == before
        again = subprocess.run([*cmd, str(store)], capture_output=True, text=True,
                               timeout=300, env=clean_env(), check=False)
        assert again.returncode == 0, again.stderr
        rerun = loaded(fingerprint(store))
        assert counts(rerun) == counts(loaded(final))
        assert rerun == loaded(final)
    assert any(k.running and k.store_open and k.returncode == -9 for k in kills), kills


# ------------------------------------------------------------------------------- partner data


@pytest.fixture(scope="module")
def partner(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A store with the London reference loaded, the synthetic partner samples for the City
    of London, and a police extract 40 times the sample's size (new crime references)."""
    root = tmp_path_factory.mktemp("partner")
    ref = _london_reference(shared_data, root / "ref")
    store = root / "base.duckdb"
    with open_store(store) as st:
        load_reference(st, [ref])
    assert main(["sample", "partner-data", "--area", "City of London", "--out",
                 str(root / "samples"), "--store", str(store)]) == 0
    sample = root / "samples" / "SYNTHETIC_police_extract.csv"
    with sample.open(newline="", encoding="utf-8") as h:
        rows = list(csv.DictReader(h))
    big = root / "extract.csv"
    with big.open("w", newline="", encoding="utf-8") as h:
        w = csv.DictWriter(h, list(rows[0]))
        w.writeheader()
        for i in range(40):
            w.writerows({**r, "Crime Reference": f"{r['Crime Reference']}-{i}"} for r in rows)
    return {"root": root, "ref": ref, "store": store, "data": big, "sample": sample,
            "mapping": sample.with_suffix(".toml")}


def test_kill_9_during_partner_data_load(partner: dict[str, Path], tmp_path: Path) -> None:
    """`commsafe load` of a 26,000-row police extract killed at two points: the store
    opens and holds either exactly what it held before or the whole file (one transaction),
    and a second run gives what a clean run gives."""
    base = partner["store"]
    before_exact, before = fingerprint(base, exact=True), fingerprint(base)
    cmd = [*commsafe_cmd(), "load", str(partner["data"]), "--mapping", str(partner["mapping"]),
           "-q", "--store"]
    clean = tmp_path / "clean.duckdb"
    shutil.copy(base, clean)
    run = run_and_kill([*cmd, str(clean)], None, clean)
    assert run.returncode == 0 and run.opened is not None, run
    took = run.took - run.opened  # how long it holds the store
    final = fingerprint(clean)
    assert final["records"][0] - before["records"][0] == 40 * 661

    kills = []
    for i, share in enumerate((0.3, 0.75)):
        store = tmp_path / f"killed-{i}.duckdb"
        shutil.copy(base, store)
        kill = run_and_kill([*cmd, str(store)], share * took, store)
        kills.append(kill)
        reopen_check(store)
        state = fingerprint(store)
        assert state in (before, final), (kill, counts(state))
        print(f"killed at {kill.delay:.2f} s of {took:.2f} s: {kill}; "
              f"{'nothing' if state == before else 'the whole file'} committed")
        if state == before:
            assert fingerprint(store, exact=True) == before_exact
        again = subprocess.run([*cmd, str(store)], capture_output=True, text=True,
                               timeout=300, env=clean_env(), check=False)
        assert again.returncode == 0, again.stderr
        rerun = loaded(fingerprint(store))
        assert counts(rerun) == counts(loaded(final))
        assert rerun == loaded(final)
    assert any(k.running and k.store_open and k.returncode == -9 for k in kills), kills


# ------------------------------------------------------------------------------- two writers


def test_second_writer_is_refused_at_once_naming_store_and_holder(
        shared_data: Path, partner: dict[str, Path], tmp_path: Path) -> None:
    """While one process holds the store for writing, a second writer (in process; and the
    ingest, reference load and load commands) is refused within a second with a message
    naming the store and the holder's process id; the holder then loads its file and the store
    holds exactly what a lone load gives."""
    store = tmp_path / "s.duckdb"
    shutil.copy(partner["store"], store)
    alone = tmp_path / "alone.duckdb"
    shutil.copy(partner["store"], alone)
    with open_store(alone) as st:
        from commsafe.sources.mapped import load_dataset
        load_dataset(st, partner["sample"], partner["mapping"])
    expected = fingerprint(alone)
    script = ("import sys\n"
              "from commsafe.store import open_store\n"
              "from commsafe.sources.mapped import load_dataset\n"
              "st = open_store(sys.argv[1])\n"
              "print('held', flush=True)\n"
              "sys.stdin.readline()\n"
              "load_dataset(st, sys.argv[2], sys.argv[3])\n"
              "st.close()\n")
    police = shared_data / "police-uk" / "city-of-london-2024-25" / "2024-01"
    with subprocess.Popen([sys.executable, "-c", script, str(store), str(partner["sample"]),
                           str(partner["mapping"])], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, env=clean_env()) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(StoreInUseError) as exc:
            open_store(store)
        assert time.monotonic() - start < 1.0
        assert str(store) in str(exc.value) and f"process {holder.pid}" in str(exc.value)
        startup, _ = timed([*commsafe_cmd(), "--version"])
        for args in (["ingest", str(police)],
                     ["reference", "load", str(partner["ref"])],
                     ["load", str(partner["data"]), "--mapping", str(partner["mapping"])]):
            took, done = timed([*commsafe_cmd(), *args, "--store", str(store), "-q"])
            assert done.returncode == 2, (args, done.stdout, done.stderr)
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
            assert "in use by another process" in lines[0]
            assert str(store) in lines[0] and f"process {holder.pid}" in lines[0], lines[0]
            assert took < startup + 1.5, (args, took, startup)
        holder.stdin.write("go\n")
        holder.stdin.flush()
        holder.communicate(timeout=120)
    assert holder.returncode == 0
    reopen_check(store)
    assert fingerprint(store) == expected


# ------------------------------------------------------------------------------------ builds


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha(p) for p in sorted(folder.rglob("*"))
            if p.is_file()}


def assert_complete(build: Path) -> None:
    """Every output the manifest lists is there with the bytes it records."""
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["outputs"]) > 20
    for o in manifest["outputs"]:
        assert sha(build / o["path"]) == o["sha256"], o["path"]
    for name in ("assessment.html", "assessment.pdf", "assessment.docx", "tables.xlsx",
                 "changes-since-last-build.md"):
        assert (build / name).is_file()


@pytest.fixture(scope="module")
def project(shared_data: Path, partner: dict[str, Path],
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | float]:
    """`commsafe init` for the City of London on its 24 months of police.uk data and the
    London reference cut, and one complete build into ``out/`` (timed)."""
    root = tmp_path_factory.mktemp("project")
    store = root / "commsafe.duckdb"
    shutil.copy(partner["store"], store)
    police = shared_data / "police-uk" / "city-of-london-2024-25"
    assert main(["init", "--csp", "City of London", "--data", str(police), "--reference",
                 str(partner["ref"]), "--dir", str(root), "--store", str(store)]) == 0
    out = root / "out"
    took, done = timed([*commsafe_cmd(), "build", "--spec", str(root), "--out", str(out),
                        "--store", str(store), "-q"])
    assert done.returncode == 0, done.stderr
    build = Path(done.stdout.strip())
    assert build.parent == out
    return {"root": root, "spec": root / "commsafe.toml", "store": store, "out": out,
            "build": build, "took": took}


def hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def test_kill_9_during_build_keeps_the_previous_build(project: dict[str, Path | float],
                                                      tmp_path: Path) -> None:
    """A build killed half-way leaves the previous build byte for byte and nothing visible
    beside it; a build killed just after putting its folder in place leaves a complete new
    build; each build removes what killed ones left in hidden folders. The last build also
    shows that a build waits for another writer instead of refusing."""
    out = tmp_path / "out"
    shutil.copytree(Path(project["out"]), out)  # type: ignore[arg-type]
    build = out / Path(project["build"]).name  # type: ignore[arg-type]
    store = tmp_path / "s.duckdb"
    shutil.copy(Path(project["store"]), store)  # type: ignore[arg-type]
    previous = tree(build)
    assert hidden(out) == []
    cmd = [*commsafe_cmd(), "build", "--spec", str(project["spec"]), "--out", str(out),
           "--store", str(store), "-q"]

    # half-way: while it writes into its temporary folder
    kill = run_and_kill(cmd, 0.6 * float(project["took"]), store,  # type: ignore[arg-type]
                        group=True, from_open=False)
    assert kill.running and kill.returncode == -9, kill
    left = hidden(out)
    assert len(left) == 1 and left[0].startswith(f".{build.name}.building-"), left
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == [build.name]
    assert tree(build) == previous

    # right after the new folder took the place of the old one (before the old is removed)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False,
                          env=clean_env(COMMSAFE_TEST_KILL="build-after-swap"))
    assert done.returncode == -9, done.stderr
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == [build.name]
    assert_complete(build)
    assert tree(build) != previous  # a new build (its manifest's time, its changes file)
    # the first kill's folder is gone; the previous build is the one hidden folder left
    after = hidden(out)
    assert len(after) == 1 and after != left and after[0].startswith(f".{build.name}.building-")
    assert tree(out / after[0]) == previous

    # the next build removes it (the process that left it is gone). It is started while
    # another process holds the store: it loads what is new, so it opens the store for
    # writing, and says it is waiting (as readers do) instead of refusing; with
    # COMMSAFE_WAIT=0 it gives up at once with the lock message
    script = ("import sys\nfrom commsafe.store import open_store\n"
              "st = open_store(sys.argv[1])\nprint('held', flush=True)\n"
              "sys.stdin.readline()\nst.close()\n")
    with subprocess.Popen([sys.executable, "-c", script, str(store)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, env=clean_env()) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        quick = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                               env=clean_env(COMMSAFE_WAIT="0"))
        assert quick.returncode == 2, quick.stderr
        assert f"process {holder.pid}" in quick.stderr and str(store) in quick.stderr
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=clean_env()) as waiting:
            assert waiting.stderr is not None
            first = waiting.stderr.readline()
            assert "waiting for it to finish" in first and str(holder.pid) in first, first
            assert waiting.poll() is None
            holder.stdin.write("go\n")
            holder.stdin.flush()
            shown, rest = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, first + rest
    assert Path(shown.strip()) == build
    assert hidden(out) == []
    assert_complete(build)


def test_replace_without_an_exchange_and_recovery(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Where folders cannot be exchanged atomically the previous build is renamed aside for
    an instant; a build killed in that instant leaves it as ``.<id>.previous-<pid>``, which the
    next build puts back; a live build's temporary folder is left alone."""
    from commsafe.report import build as b

    out = tmp_path / "out"
    final = out / "area-2024"
    final.mkdir(parents=True)
    (final / "a.txt").write_text("old", encoding="utf-8")
    new = out / f".area-2024.building-{os.getpid()}-x"
    new.mkdir()
    (new / "a.txt").write_text("new", encoding="utf-8")
    monkeypatch.setattr(b, "_exchange", lambda a, c: False)
    b._replace(new, final)
    assert (final / "a.txt").read_text(encoding="utf-8") == "new" and hidden(out) == []
    # a dead build's previous folder with no build in place: put back
    with subprocess.Popen([sys.executable, "-c", "pass"]) as gone:
        pass
    final.rename(out / f".area-2024.previous-{gone.pid}")
    alive = out / f".area-2024.building-{os.getppid()}-y"  # the test runner's parent lives
    alive.mkdir()
    b._clean_stale(final)
    assert (final / "a.txt").read_text(encoding="utf-8") == "new"
    assert hidden(out) == [alive.name]
    # findings.csv goes through a temporary file too; a killed build's one is removed
    findings = tmp_path / "findings.csv"
    findings.write_text("old", encoding="utf-8")
    (tmp_path / f".findings.csv.writing-{gone.pid}").write_text("ol", encoding="utf-8")
    b._write_atomically(findings, "new")
    assert findings.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ----------------------------------------------------------------------- readers during ingest


@pytest.fixture
def ingesting(shared_data: Path, project: dict[str, Path | float],
              tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A copy of the project's store with `commsafe ingest` of Cambridgeshire 2024 (36 MB)
    running into it, once the ingest holds the store."""
    store = tmp_path / "s.duckdb"
    shutil.copy(Path(project["store"]), store)  # type: ignore[arg-type]
    with subprocess.Popen([*commsafe_cmd(), "ingest",
                           str(shared_data / "police-uk" / "cambridgeshire-2024"), "-q",
                           "--store", str(store)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=clean_env()) as writer:
        end = time.monotonic() + 60
        while not holds_open(writer.pid, store) and time.monotonic() < end:
            assert writer.poll() is None, writer.communicate()
            time.sleep(0.02)
        yield store, writer
        if writer.poll() is None:
            writer.kill()


def test_readers_during_an_ingest_wait_or_see_the_old_state(
        ingesting: tuple[Path, subprocess.Popen[str]], project: dict[str, Path | float],
        tmp_path: Path) -> None:
    """`status` and `counts` started while an ingest writes: each either reads the state
    before the ingest, or says it is waiting and then reads the state after it."""
    store, writer = ingesting
    old = tmp_path / "old.duckdb"
    shutil.copy(Path(project["store"]), old)  # type: ignore[arg-type]
    reads = {"status": ["status", "--format", "json"],
             "counts": ["counts", "--by", "force,category", "--format", "csv"]}
    procs = {k: subprocess.Popen([*commsafe_cmd(), *a, "--store", str(store)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=clean_env()) for k, a in reads.items()}
    results = {k: p.communicate(timeout=300) for k, p in procs.items()}
    _, werr = writer.communicate(timeout=300)
    assert writer.returncode == 0, werr
    assert all(p.returncode == 0 for p in procs.values()), results
    waited = {k for k, (_, e) in results.items() if "waiting for it to finish" in e}
    assert waited, results  # they started while the ingest held the store
    for k, args in reads.items():
        shown = results[k][0].replace(str(store), "STORE")
        before = subprocess.run([*commsafe_cmd(), *args, "--store", str(old)],
                                capture_output=True, text=True, env=clean_env(), timeout=120,
                                check=True).stdout.replace(str(old), "STORE")
        after = subprocess.run([*commsafe_cmd(), *args, "--store", str(store)],
                               capture_output=True, text=True, env=clean_env(), timeout=120,
                               check=True).stdout.replace(str(store), "STORE")
        assert before != after
        if k in waited:
            assert shown == after, k
        else:
            assert shown in (before, after), k
