"""The ``fanarchive`` command: thin wrappers over library calls."""

from __future__ import annotations

import sys

import typer

try:  # typer >= 0.2x vendors click and exposes its error base class here
    from typer.exceptions import TyperException as CliError
except ImportError:  # pragma: no cover - older typer on click
    from click import ClickException as CliError  # type: ignore[assignment,no-redef]

from fanarchive.cli import sources as _sources  # noqa: F401  (registers its commands)
from fanarchive.cli.app import app
from fanarchive.errors import FanarchiveError
from fanarchive.store.database import redact_text

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; exit status 1 with a one-line reason when nothing could be done."""
    try:
        result = app(args=argv, prog_name="fanarchive", standalone_mode=False)
    except typer.Exit as exc:
        return _finish(int(exc.exit_code), argv)
    except typer.Abort:
        print("fanarchive: aborted", file=sys.stderr)
        return _finish(1, argv)
    except CliError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            return _finish(0, argv)
        print(f"fanarchive: {redact_text(exc.format_message())}", file=sys.stderr)
        return _finish(1, argv)
    except FanarchiveError as exc:
        print(f"fanarchive: {redact_text(str(exc))}", file=sys.stderr)
        return _finish(1, argv)
    except KeyboardInterrupt:
        print("fanarchive: interrupted; what was committed is kept", file=sys.stderr)
        return _finish(130, argv)
    return _finish(result if isinstance(result, int) else 0, argv)


def _finish(code: int, argv: list[str] | None) -> int:
    # The console script calls main() without argv and needs a real process exit status.
    if argv is None:
        sys.exit(code)
    return code


