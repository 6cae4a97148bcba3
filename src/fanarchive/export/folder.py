"""Build a folder export beside its target and move it into place only when it is complete.

A run killed half way leaves the previous export untouched and no half-written folder under
the target's name. Replacing an existing folder takes two renames (old out of the way, new in),
so the window without a folder at the target is two system calls wide, never a whole export.

An existing folder is only replaced when it is empty or carries the marker a previous export
left; ``-o ~/Documents`` by mistake must not delete someone's documents.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from fanarchive.errors import UsageError

MARKER = ".fanarchive-export.json"
FOLDER_FORMATS = frozenset({"epub", "html", "ao3"})


def check_target(path: Path) -> Path:
    """Fail early, with the reason, when ``path`` cannot become an export folder."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise UsageError(f"cannot write {path}: folder {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: {parent} is not a folder")
    if path.exists() and not path.is_dir():
        raise UsageError(f"cannot write {path}: it is a file; this format writes a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / MARKER).exists():
        raise UsageError(f"cannot write {path}: the folder exists, is not empty and is not a "
                         "previous fanarchive export; choose a new or empty folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path}: folder {parent} is not writable")
    return parent


def check_output(fmt: str, path: Path) -> None:
    """Fail before any work when ``path`` cannot take an export in ``fmt`` (file or folder)."""
    path = Path(path)
    if fmt in FOLDER_FORMATS:
        check_target(path)
        return
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise UsageError(f"cannot write {path}: folder {parent} {what}")
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder; {fmt} writes a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path}: folder {parent} is not writable")


@contextmanager
def atomic_folder(path: Path, fmt: str) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces ``path`` (see module doc)."""
    path = Path(path)
    parent = check_target(path)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=parent))
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc
    try:
        yield tmp
        marker = {"format": fmt, "written_at": datetime.now(UTC).isoformat(timespec="seconds")}
        (tmp / MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
        _replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace(new: Path, target: Path) -> None:
    # mkdtemp makes the folder 0700; a published site or book folder should be readable.
    os.chmod(new, 0o755)
    if not target.exists():
        os.replace(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.replace(target, old / "previous")
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old / "previous", target)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
