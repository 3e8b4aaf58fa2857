"""Work in a forked process beside the build (figures, the PDF), with its failure reported.

matplotlib and WeasyPrint are CPU-bound and single-threaded, so on a machine with several
cores a build draws figures and typesets the PDF in forked processes while it goes on. A
child that fails leaves ``<marker>``, a text file with the error, for the parent to raise.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from commsafe.errors import CommsafeError

__all__ = ["can_fork", "finish", "start"]


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _child(target: Callable[..., object], args: tuple[Any, ...], marker: Path) -> None:
    try:
        target(*args)
    except BaseException as exc:  # reported to the parent, which raises
        marker.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
        os._exit(1)
    os._exit(0)


def start(target: Callable[..., object], *args: Any, marker: Path) -> BaseProcess:
    """Run ``target(*args)`` in a forked process; a failure is written to ``marker``."""
    proc = multiprocessing.get_context("fork").Process(target=_child,
                                                       args=(target, args, marker),
                                                       daemon=True)
    proc.start()
    return proc


def finish(proc: BaseProcess, marker: Path, what: str) -> None:
    """Wait for ``proc``; raise "``what``: why" if it failed (``marker`` is removed)."""
    proc.join()
    if proc.exitcode != 0 or marker.exists():
        why = marker.read_text(encoding="utf-8") if marker.exists() else (
            f"its process ended with status {proc.exitcode}")
        marker.unlink(missing_ok=True)
        raise CommsafeError(f"{what}: {why}")
