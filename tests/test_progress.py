"""Progress reported while ingesting: files done of the total and rows read so far, the last
call accounting for every row (what the command line's bar shows)."""

from __future__ import annotations

from pathlib import Path

from commsafe.store import Store
from commsafe.store.ingest import ingest

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")


def _files(root: Path) -> int:
    n = 0
    for month, rows in (("2024-01", 3), ("2024-02", 5), ("2024-03", 2)):
        (root / month).mkdir(parents=True)
        body = "".join(f"id{month}{i},{month},T,T,0.1,52.2,On or near A,E01000001,x,"
                       f"Burglary,,\n" for i in range(rows))
        (root / month / f"{month}-testforce-street.csv").write_text(HEAD + body,
                                                                     encoding="utf-8")
        n += rows
    return n


def test_ingest_reports_files_and_rows(store: Store, tmp_path: Path) -> None:
    rows = _files(tmp_path / "police")
    seen: list[tuple[str, int, int, int]] = []
    result = ingest(store, [tmp_path / "police"],
                    progress=lambda path, done, total, n: seen.append((path, done, total, n)))
    assert [s[1] for s in seen] == [1, 2, 3] and {s[2] for s in seen} == {3}
    assert [s[3] for s in seen] == sorted(s[3] for s in seen)  # rows never go back
    assert seen[-1][3] == rows == result.totals()["rows_read"]
    again: list[int] = []
    ingest(store, [tmp_path / "police"], progress=lambda p, d, t, n: again.append(n))
    assert again[-1] == rows  # duplicates are rows read too
