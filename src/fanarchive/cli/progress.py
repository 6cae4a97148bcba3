"""A rich progress bar behind the library's Progress protocol (drawn on stderr)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from fanarchive.store.database import redact_text


class RichProgress:
    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._bar: Progress | None = None
        self._task: int | None = None

    def start(self, total: int | None, label: str) -> None:
        self._bar = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
            TextColumn("{task.fields[current]}", style="dim"),
            console=self._console, transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(label, total=total, current="")

    def advance(self, current: str | None = None, steps: int = 1) -> None:
        if self._bar is not None and self._task is not None:
            shown = redact_text(current or "")[-50:]
            self._bar.update(self._task, advance=steps, current=shown)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self._bar is not None:
            if self._task is not None:
                self._bar.update(self._task, current="")  # type: ignore[arg-type]
            self._bar.stop()
            self._bar = None
