"""The real `commsafe` command in a temporary workspace: output contracts and messages."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from commsafe.measures.counts import DIMENSIONS

EXE = shutil.which("commsafe", path=str(Path(sys.executable).parent))

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    assert EXE, "the commsafe command is not installed in this environment"
    return subprocess.run([EXE, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    data = tmp_path / "police"
    for month, rows in (("2024-03", 3), ("2024-04", 2)):
        d = data / month
        d.mkdir(parents=True)
        body = "".join(
            f"id{month}{i},{month},Test Police,Test Police,0.12,52.2,On or near A,E01000001,"
            f"x,{'Burglary' if i else 'Drugs'},,\n" for i in range(rows))
        body += f",{month},Test Police,Test Police,0.12,52.2,On or near A,E01000001,x,Anti-social behaviour,,\n"  # noqa: E501
        (d / f"{month}-testforce-street.csv").write_text(HEAD + body, encoding="utf-8")
    return tmp_path


def test_help_and_version(workspace: Path) -> None:
    res = run("--help", cwd=workspace)
    assert res.returncode == 0
    for command in ("ingest", "counts", "status", "reference", "fetch"):
        assert command in res.stdout
    assert run("--version", cwd=workspace).stdout.startswith("commsafe ")


def test_ingest_counts_status_through_the_environment_store(workspace: Path) -> None:
    env = {"COMMSAFE_STORE": str(workspace / "env.duckdb")}
    res = run("ingest", "police", cwd=workspace, env=env)
    assert res.returncode == 0, res.stderr
    assert "street" in res.stdout and "7" in res.stdout
    assert "No reference data in this store" in res.stdout
    assert (workspace / "env.duckdb").exists() and not (workspace / "commsafe.duckdb").exists()

    res = run("counts", "--by", "financial_year,category", "--format", "csv", cwd=workspace,
              env=env)
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert rows == [
        {"financial_year": "2023/24", "category": "Burglary", "count": "2"},
        {"financial_year": "2023/24", "category": "Drugs", "count": "1"},
        {"financial_year": "2024/25", "category": "Burglary", "count": "1"},
        {"financial_year": "2024/25", "category": "Drugs", "count": "1"},
    ]
    res = run("counts", "--by", "quarter", "--asb-only", "--format", "json", cwd=workspace,
              env=env)
    assert json.loads(res.stdout) == [{"quarter": "2024 Q1", "count": 1},
                                      {"quarter": "2024 Q2", "count": 1}]
    res = run("status", "--format", "json", cwd=workspace, env=env)
    report = json.loads(res.stdout)
    assert report["totals"] == {"events": 7, "asb": 2, "outcomes": 0, "stop_search": 0}
    assert [r["month"] for r in report["coverage"]["street"]] == ["2024-03", "2024-04"]
    res = run("status", cwd=workspace, env=env)
    assert res.returncode == 0 and "Coverage: street" in res.stdout


@pytest.mark.parametrize("dims", [["month"], ["force", "category"], list(DIMENSIONS)])
def test_counts_columns_are_the_dimensions_then_count(workspace: Path,
                                                      dims: list[str]) -> None:
    store = str(workspace / "s.duckdb")
    assert run("ingest", "police", "--store", store, "--quiet", cwd=workspace).returncode == 0
    res = run("counts", "--by", ",".join(dims), "--include-asb", "--format", "csv",
              "--store", store, cwd=workspace)
    assert res.returncode == 0, res.stderr
    header = next(csv.reader(io.StringIO(res.stdout)))
    assert header == [*dims, "count"]
    total = sum(int(r["count"]) for r in csv.DictReader(io.StringIO(res.stdout)))
    assert total == 7


@pytest.mark.parametrize(("args", "expected"), [
    (["counts", "--by", "month"], "no store here yet"),
    (["ingest", "nowhere"], "no such file or folder"),
    (["reference", "load", "police/2024-03/2024-03-testforce-street.csv"], "police"),
])
def test_user_mistakes_get_one_line_and_no_traceback(workspace: Path, args: list[str],
                                                     expected: str) -> None:
    res = run(*args, "--store", str(workspace / "none.duckdb"), cwd=workspace)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr + res.stdout
    assert res.stderr.startswith("error: ")
    assert expected in res.stderr.lower()


def test_where_with_a_typo_names_the_usable_columns(workspace: Path) -> None:
    store = str(workspace / "s.duckdb")
    run("ingest", "police", "--store", store, "--quiet", cwd=workspace)
    res = run("counts", "--by", "month", "--where", "forse = 'x'", "--store", store,
              cwd=workspace)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "forse" in res.stderr and "Columns you can use" in res.stderr


def test_init_writes_a_spec_that_loads(workspace: Path) -> None:
    from commsafe.spec import load_spec

    store = str(workspace / "s.duckdb")
    assert run("ingest", "police", "--store", store, "--quiet", cwd=workspace).returncode == 0
    res = run("init", "--csp", "Testshire", "--data", "police", "--dir", "assessment",
              "--store", store, cwd=workspace)
    assert res.returncode == 0, res.stderr
    assert "assessing May 2023 to April 2024, the 12 months to the latest month" in res.stderr
    spec = load_spec(workspace / "assessment" / "commsafe.toml")
    assert spec.assessed.label == "12 months to 2024-04"
    # 3 burglaries, 2 drug offences and 2 ASB incidents: ASB, as many as the second type,
    # is a third starting priority
    assert [p.name for p in spec.priorities] == ["Burglary", "Drugs", "Anti-social behaviour"]
    again = run("init", "--csp", "Testshire", "--data", "police", "--dir", "assessment",
                "--store", store, cwd=workspace)
    assert again.returncode == 2 and "Traceback" not in again.stderr
