"""Shared fixtures: the real data beside the checkout, and a fresh store per test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from commsafe.store import Store, open_store

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout (see its README); skips the test when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present: real-data tests need it beside the checkout")
    return SHARED_DATA


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh, empty store in ``tmp_path``, closed after the test."""
    st = open_store(tmp_path / "store.duckdb")
    try:
        yield st
    finally:
        st.close()


CST_VERSION = "1.5.0"
"""crime-sim-toolkit, the wheel on the package index that carries real sample data (West
Yorkshire street files, the Home Office 2017/18 force table, Census 2011 by LSOA)."""
CST_LOCAL = (Path(__file__).resolve().parents[1] / ".commsafe-cache" / "sample" / ".wheels"
             / f"crime_sim_toolkit-{CST_VERSION}-py3-none-any.whl")


@pytest.fixture(scope="session")
def crime_sim_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The crime-sim-toolkit wheel: the sample cache's copy (``commsafe fetch sample``), else
    downloaded with pip into a temporary folder; skipped, saying why, when neither works."""
    if CST_LOCAL.is_file():
        return CST_LOCAL
    target = tmp_path_factory.mktemp("crime-sim-toolkit")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "-q", "-d", str(target), f"crime-sim-toolkit=={CST_VERSION}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"{CST_LOCAL} is absent and pip cannot download crime-sim-toolkit: {exc}")
    wheels = sorted(target.glob("crime_sim_toolkit-*.whl"))
    if done.returncode != 0 or not wheels:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        pytest.skip(f"{CST_LOCAL} is absent and crime-sim-toolkit {CST_VERSION} cannot be "
                    "downloaded from the package index (no network?): " + " | ".join(tail))
    return wheels[0]
