"""How long-running library calls report progress without knowing about terminals."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, total: int | None, label: str) -> None: ...

    def advance(self, current: str | None = None, steps: int = 1) -> None: ...

    def stop(self) -> None: ...


class NoProgress:
    """The default for library use and tests: report nothing."""

    def start(self, total: int | None, label: str) -> None:
        pass

    def advance(self, current: str | None = None, steps: int = 1) -> None:
        pass

    def stop(self) -> None:
        pass
