"""Schema migrations: an older store is brought up to date when it is opened."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb

from commsafe.store import SCHEMA_VERSION, open_store


def _version_1_store(path: Path) -> None:
    sql = (resources.files("commsafe.store") / "migrations" / "001_initial.sql").read_text(
        encoding="utf-8")
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO areas VALUES ('csp', 'E22000013', 'Cambridge', 2024, 1)")
    con.close()


def test_a_version_1_store_is_migrated_even_when_opened_to_read(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _version_1_store(path)
    assert SCHEMA_VERSION >= 2
    with open_store(path, read_only=True) as st:
        assert st.schema_version() == SCHEMA_VERSION
        tables = {r[0] for r in st.con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        assert {"records", "datasets"} <= tables
        # what the old store held is kept
        assert st.scalar("SELECT area_name FROM areas WHERE area_code = 'E22000013'") == \
            "Cambridge"
