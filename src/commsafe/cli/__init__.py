"""The `commsafe` command line: thin commands over the modules.

Errors raised on purpose (:class:`commsafe.errors.CommsafeError`) are printed as one clear
message and exit with status 2; they never show a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from commsafe.cli import (  # noqa: F401  (registers commands)
    charts,
    data,
    maps,
    profiles,
    recorded,
    report,
    tables,
)
from commsafe.cli._common import app, err
from commsafe.errors import CommsafeError

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: runs the app, turning commsafe errors into one-line messages."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="commsafe")
    except CommsafeError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        return 2
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
