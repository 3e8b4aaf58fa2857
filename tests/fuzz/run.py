"""Run N fuzz cases (``make fuzz``): ``python tests/fuzz/run.py --cases 10000 --seed 0``.

Cases go round the kinds in turn (case i is kind ``KINDS[i % len(KINDS)]`` with seed
``S + i``), each through the oracle of :mod:`fuzz.oracle`, with a fresh store every
``--store-every`` cases (so later cases revise and duplicate earlier ones in between). Prints
the count of cases per input kind and outcome, every failure in full (the kind and seed
reproduce it: ``--only KIND:SEED``) and exits 1 when any case failed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests folder: `fuzz`

from fuzz.generate import KINDS, generate
from fuzz.oracle import FAILURES, OUTCOMES, run_case


def plan(cases: int, seed: int, kinds: tuple[str, ...] = KINDS) -> list[tuple[str, int]]:
    return [(kinds[i % len(kinds)], seed + i) for i in range(cases)]


def run_slice(work: list[tuple[str, int]], store_every: int
              ) -> tuple[Counter[tuple[str, str]], list[str], float, tuple[float, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    failures: list[str] = []
    slowest = (0.0, "")
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="commsafe-fuzz-"))
    try:
        store = root / "store-0.duckdb"
        for n, (kind, seed) in enumerate(work):
            if n and n % store_every == 0:
                store.unlink(missing_ok=True)
                store = root / f"store-{n}.duckdb"
            t = time.perf_counter()
            result = run_case(generate(kind, seed), root / "cases", store)
            took = time.perf_counter() - t
            if took > slowest[0]:
                slowest = (took, f"{kind}:{seed}")
            counts[(kind, result.outcome)] += 1
            if not result.ok:
                failures.append(result.describe())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return counts, failures, time.perf_counter() - started, slowest


def summary(counts: Counter[tuple[str, str]]) -> str:
    kinds = sorted({k for k, _ in counts}, key=lambda k: KINDS.index(k) if k in KINDS else 99)
    width = max(len(k) for k in (*kinds, "input kind", "total"))
    cols = [o.replace("_", " ") for o in OUTCOMES]
    lines = [f"{'input kind':<{width}}  " + "  ".join(f"{c:>13}" for c in cols) + "  total"]
    for k in [*kinds, "total"]:
        row = [sum(n for (kk, o), n in counts.items() if o == out and k in (kk, "total"))
               for out in OUTCOMES]
        lines.append(f"{k:<{width}}  " + "  ".join(f"{n:>13,}" for n in row) + f"  {sum(row):,}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000, help="cases in total (default 10000)")
    ap.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated input kinds")
    ap.add_argument("--store-every", type=int, default=100,
                    help="cases per store before a fresh one (default 100)")
    ap.add_argument("--only", help="run one case, KIND:SEED, and print what it did")
    args = ap.parse_args(argv)
    if args.only:
        kind, _, seed = args.only.partition(":")
        with tempfile.TemporaryDirectory() as tmp:
            result = run_case(generate(kind, int(seed)), Path(tmp), Path(tmp) / "store.duckdb")
        print(result.describe())
        return 0 if result.ok else 1
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        ap.error(f"unknown kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    work = plan(args.cases, args.seed, kinds)
    started = time.perf_counter()
    jobs = max(1, args.jobs)
    slices = [work[i::jobs] for i in range(jobs)]
    if jobs == 1:
        results = [run_slice(slices[0], args.store_every)]
    else:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(run_slice, slices, [args.store_every] * jobs))
    counts: Counter[tuple[str, str]] = Counter()
    failures: list[str] = []
    for c, fails, _, _ in results:
        counts.update(c)
        failures += fails
    took = time.perf_counter() - started
    slowest = max(r[3] for r in results)
    for f in failures:
        print(f"FAIL {f}\n", file=sys.stderr)
    print(f"commsafe fuzz: {len(work):,} cases, seed {args.seed}, {jobs} job(s), "
          f"{took:.0f} s ({1000 * took / max(1, len(work)):.0f} ms a case; slowest "
          f"{slowest[1]} {slowest[0]:.1f} s)")
    print(summary(counts))
    bad = sum(n for (_, o), n in counts.items() if o in FAILURES)
    tracebacks = sum(n for (_, o), n in counts.items() if o == "traceback")
    print(f"tracebacks: {tracebacks}; failures of the oracle: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
