"""Docs that cannot drift: the store contract, the CLI reference and the README commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from commsafe.cli import app
from commsafe.store import open_store

ROOT = Path(__file__).resolve().parents[1]


def _documented_tables() -> dict[str, list[str]]:
    text = (ROOT / "docs" / "store.md").read_text(encoding="utf-8")
    tables: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^### (\w+)\s*$", line)
        if m:
            current = m.group(1)
            tables[current] = []
            continue
        m = re.match(r"^\| `(\w+)` \|", line)
        if m and current:
            tables[current].append(m.group(1))
    return tables


def test_store_doc_lists_every_table_and_column_in_order(tmp_path: Path) -> None:
    documented = _documented_tables()
    with open_store(tmp_path / "s.duckdb") as st:
        actual: dict[str, list[str]] = {}
        for (table,) in st.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name"
        ).fetchall():
            actual[table] = [r[0] for r in st.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()]
    assert set(documented) == set(actual)
    for table, cols in actual.items():
        assert documented[table] == cols, f"docs/store.md section '{table}' is out of date"


def _commands(group: Any, prefix: str = "commsafe") -> dict[str, Any]:
    found: dict[str, Any] = {}
    if hasattr(group, "commands"):
        for name, cmd in group.commands.items():
            found.update(_commands(cmd, f"{prefix} {name}"))
    else:
        found[prefix] = group
    return found


def test_cli_reference_documents_every_command_and_option() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = _commands(typer.main.get_command(app))
    assert "commsafe ingest" in commands and "commsafe reference load" in commands
    for name, cmd in commands.items():
        assert f"## `{name}`" in text, f"docs/cli.md has no section for {name}"
        section = text.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
        for param in cmd.params:
            for opt in param.opts:
                if opt.startswith("--"):
                    assert f"`{opt}" in section, f"docs/cli.md: {name} does not mention {opt}"


def test_readme_shows_the_two_commands_near_the_top() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    head = "\n".join(lines[:40])
    assert "make demo" in head and "make test" in head


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_spec_doc_lists_every_key() -> None:
    """docs/spec.md has a row for every key the spec reader accepts, at every level."""
    from commsafe.spec import _KEYS

    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(\w+)` \|", text, re.M))
    missing = sorted({k for keys in _KEYS.values() for k in keys} - rows)
    assert not missing, f"docs/spec.md lacks: {missing}"
