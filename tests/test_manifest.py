"""The build manifest over a small real store, figure ids, and changes between builds."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from commsafe import __version__
from commsafe.outputs.manifest import (
    Change,
    Manifest,
    OutputRecord,
    build_manifest,
    changes_markdown,
    changes_since,
    read_manifest,
    table_figures,
    write_manifest,
)
from commsafe.outputs.tables import to_csv
from commsafe.store import Store
from commsafe.store.ingest import ingest

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context\n")
ROW = ("{id},2024-01,Test Police,Test Police,-1.5,52.5,On or near Park Lane,E01000001,"
       "City of London 001A,{type},{outcome},\n")
NAME = "2024-01-testforce-street.csv"


def write_street(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NAME
    path.write_text(HEADER + "".join(ROW.format(id=i, type=t, outcome=o) for i, t, o in rows),
                    encoding="utf-8")
    return path


FIRST = [("c1", "Burglary", "Under investigation"), ("", "Anti-social behaviour", ""),
         ("c2", "Robbery", "Unable to prosecute suspect")]

TABLE = pd.DataFrame({
    "crime_type": ["Burglary", "Robbery", "Shoplifting"],
    "2023/24": [100, 20, 7],
    "2024/25": [120, 15, 7],
    "rate_per_1000": [1.2345678901, 0.25, None],
})


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_outputs(out: Path, table: pd.DataFrame = TABLE) -> list[OutputRecord]:
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "tables" / "crime.csv").write_text(to_csv(table), encoding="utf-8")
    (out / "figures").mkdir(exist_ok=True)
    (out / "figures" / "trend.svg").write_text("<svg/>\n", encoding="utf-8")
    (out / "report.md").write_text("# Report\n", encoding="utf-8")
    return [
        OutputRecord(out / "tables" / "crime.csv", "table",
                     query={"measure": "counts", "area": "E22000001", "years": ["2023/24",
                                                                                  "2024/25"]},
                     figures=table_figures(table, ["crime_type"])),
        OutputRecord("figures/trend.svg", "figure", query={"chart": "trend"}),
        OutputRecord("report.md", "document"),
    ]


def test_table_figures() -> None:
    figs = table_figures(TABLE, "crime_type")
    assert figs["Burglary / 2024/25"] == 120
    assert isinstance(figs["Burglary / 2024/25"], int)
    assert figs["Burglary / rate_per_1000"] == 1.234568
    assert "Shoplifting / rate_per_1000" not in figs  # blank cells are not published
    assert len(figs) == 3 * 3 - 1
    two = table_figures(pd.DataFrame({"area": ["A", "A"], "year": ["2023", "2024"],
                                      "n": [1, 2], "ok": [True, False]}), ["area", "year"])
    assert two == {"A / 2023 / n": 1, "A / 2023 / ok": "yes", "A / 2024 / n": 2,
                   "A / 2024 / ok": "no"}
    json.dumps(figs, allow_nan=False)
    with pytest.raises(ValueError, match="two rows share"):
        table_figures(pd.DataFrame({"k": ["a", "a"], "v": [1, 2]}), ["k"])
    with pytest.raises(KeyError):
        table_figures(TABLE, ["nope"])


def test_build_manifest_over_real_store(store: Store, tmp_path: Path) -> None:
    src = write_street(tmp_path / "police", FIRST)
    assert ingest(store, [tmp_path / "police"]).ok
    out = tmp_path / "build"
    records = write_outputs(out)
    spec = {"csp": "Testshire CSP", "years": ["2023/24", "2024/25"], "when": datetime(2025, 4, 1)}
    m = build_manifest(store, out, records, spec,
                       built_at=datetime(2025, 5, 1, 12, 0, tzinfo=UTC))
    data = m.to_dict()
    assert data["tool"] == {"name": "commsafe", "version": __version__}
    assert data["built_at"] == "2025-05-01T12:00:00Z"
    assert data["spec"]["when"] == "2025-04-01T00:00:00"
    assert data["inputs"] == [{"path": str(src), "sha256": sha(src), "kind": "street",
                               "rows_read": 3, "rows_loaded": 3}]
    by_path = {o["path"]: o for o in data["outputs"]}
    assert sorted(by_path) == ["figures/trend.svg", "report.md", "tables/crime.csv"]
    for rel, o in by_path.items():
        f = out / rel
        assert o["sha256"] == sha(f)
        assert o["bytes"] == f.stat().st_size
    assert by_path["tables/crime.csv"]["kind"] == "table"
    assert by_path["tables/crime.csv"]["query"]["measure"] == "counts"
    assert by_path["tables/crime.csv"]["figures"]["Robbery / 2023/24"] == 20
    assert "figures" not in by_path["figures/trend.svg"]
    assert by_path["report.md"]["kind"] == "document"

    # written and read back
    path = write_manifest(m, out / "manifest.json")
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and '\n  "built_at"' in text
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2,
                              ensure_ascii=False) + "\n"
    assert read_manifest(path) == m

    # a second build of the same things: identical JSON but for built_at
    again = build_manifest(store, out, write_outputs(out), spec)
    assert again.built_at != m.built_at
    a, b = json.loads(m.to_json()), json.loads(again.to_json())
    a.pop("built_at")
    b.pop("built_at")
    assert a == b
    assert m.to_json().replace(m.built_at, again.built_at) == again.to_json()


def test_build_manifest_refuses_bad_outputs(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    with pytest.raises(FileNotFoundError):
        build_manifest(store, out, [OutputRecord("missing.csv", "table")], {})
    (out / "x.svg").write_text("<svg/>", encoding="utf-8")
    with pytest.raises(ValueError, match="only tables"):
        build_manifest(store, out, [OutputRecord("x.svg", "figure", figures={"a": 1})], {})
    with pytest.raises(ValueError, match="not inside"):
        build_manifest(store, out, [OutputRecord(tmp_path / "elsewhere.csv", "table")], {})


def test_changes_since_one_cell_and_revised_input(store: Store, tmp_path: Path) -> None:
    police = tmp_path / "police"
    src = write_street(police, FIRST)
    ingest(store, [police])
    old_sha = sha(src)
    out = tmp_path / "build"
    first = build_manifest(store, out, write_outputs(out), {},
                           built_at=datetime(2025, 5, 1, tzinfo=UTC))
    assert changes_since(first, first) == []

    # police.uk revises the file; one published cell changes
    write_street(police, [*FIRST, ("c3", "Burglary", "Under investigation")])
    res = ingest(store, [police])
    assert [r.status for r in res.loads] == ["revised"]
    table = TABLE.copy()
    table.loc[1, "2024/25"] = 18
    second = build_manifest(store, out, write_outputs(out, table), {},
                            built_at=datetime(2025, 6, 1, tzinfo=UTC))
    assert [i.sha256 for i in second.inputs] == [sha(src)]

    changes = changes_since(first, second)
    assert changes == [
        Change("tables/crime.csv", "Robbery / 2024/25", "changed", old=15, new=18,
               difference=3, pct_change=20.0),
        Change(str(src), None, "input revised", old=old_sha, new=sha(src)),
    ]

    md = changes_markdown(changes, first.built_at, second.built_at)
    assert "Previous build: 2025-05-01T00:00:00Z. This build: 2025-06-01T00:00:00Z." in md
    assert "No published figure changed." not in md
    assert "## tables/crime.csv" in md
    assert "| Robbery / 2024/25 | changed | 15 | 18 | +3 | +20.0% |" in md
    assert f"| {src} | input revised | {old_sha} | {sha(src)} |" in md
    assert md.endswith("\n") and not md.endswith("\n\n")


def _manifest(figures: dict[str, object]) -> Manifest:
    from commsafe.outputs.manifest import OutputEntry

    return Manifest(built_at="x", outputs=[
        OutputEntry("t.csv", "0", 1, "table", figures=figures),
        OutputEntry("f.svg", "0", 1, "figure"),
    ])


def test_changes_order_appear_disappear_and_markdown() -> None:
    prev = _manifest({"A / n": 10, "B / n": 100, "C / n": 5, "D / label": "low",
                      "E / n": 0, "Gone / n": 1})
    curr = _manifest({"A / n": 11, "B / n": 80, "C / n": 5, "D / label": "high",
                      "E / n": 4, "New / n": 2})
    changes = changes_since(prev, curr)
    assert [(c.cell, c.status) for c in changes] == [
        ("B / n", "changed"), ("E / n", "changed"), ("A / n", "changed"),
        ("D / label", "changed"), ("New / n", "appeared"), ("Gone / n", "disappeared")]
    assert changes[0].difference == -20 and changes[0].pct_change == -20.0
    assert changes[1].pct_change is None  # from zero
    md = changes_markdown(changes, datetime(2025, 1, 1), datetime(2025, 2, 1))
    lines = md.splitlines()
    assert lines.index("| B / n | changed | 100 | 80 | -20 | -20.0% |") < \
        lines.index("| A / n | changed | 10 | 11 | +1 | +10.0% |")
    assert "| D / label | changed | low | high |  |  |" in md
    assert "| New / n | appeared |  | 2 |  |  |" in md
    assert "| Gone / n | disappeared | 1 |  |  |  |" in md
    assert "## Inputs" not in md


def test_no_changes_markdown() -> None:
    md = changes_markdown([], "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z")
    assert "No published figure changed." in md
    assert "|" not in md
    only_input = changes_markdown([Change("a.csv", None, "input revised", "x", "y")], "p", "c")
    assert "No published figure changed." in only_input
    assert "| a.csv | input revised | x | y |" in only_input


def test_an_extra_input_file_changes_no_other_sources_row() -> None:
    """The sources table is diffed by its key columns (kind, file, checksum), not by row
    position: one partner file added between two others gives its own cells as 'appeared'
    and nothing 'changed' (it gave "33 figures changed", all spurious)."""
    import hashlib

    import pandas as pd

    from commsafe.outputs.manifest import table_figures

    def sources(files: list[tuple[str, str, int]]) -> dict[str, object]:
        frame = pd.DataFrame([{"file": f, "kind": k, "rows_read": n, "rows_loaded": n,
                               "sha256": hashlib.sha256(f.encode()).hexdigest()[:12]}
                              for f, k, n in files])
        frame = frame.sort_values(["kind", "file", "sha256"]).reset_index(drop=True)
        return table_figures(frame, ["kind", "file", "sha256"])

    before = [("a.csv", "partner:a", 10), ("c.csv", "partner:c", 30),
              ("2024-01-street.csv", "street", 500)]
    after = [*before[:1], ("b.csv", "partner:b", 20), *before[1:]]
    changes = changes_since(_manifest(sources(before)), _manifest(sources(after)))
    assert {c.status for c in changes} == {"appeared"}
    assert all("b.csv" in c.cell for c in changes)
    assert len(changes) == 2  # rows_read and rows_loaded of the new file
