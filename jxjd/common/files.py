"""Files and folders that hold personal data or secrets: owner-only (0700 folders, 0600 files)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def tighten(path: str | os.PathLike[str], mode: int) -> None:
    """Remove permission bits beyond `mode` from an existing path we own (never widen)."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        current = os.stat(path).st_mode & 0o777
        if current & ~mode:
            os.chmod(path, current & mode)


def _make_dirs(path: Path) -> None:
    """Create `path` and its missing parents as 0700 folders (existing ones are left as they are)."""
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=PRIVATE_DIR)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """A folder readable only by the owner: created 0700 (with 0700 parents), tightened if looser."""
    path = Path(path)
    _make_dirs(path)
    tighten(path, PRIVATE_DIR)
    return path


def private_file(path: str | os.PathLike[str]) -> Path:
    """Make sure `path` exists as an owner-only file (created empty at 0600, tightened if looser)."""
    path = Path(path)
    _make_dirs(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    tighten(path, PRIVATE_FILE)
    return path


def write_private(path: str | os.PathLike[str], data: bytes, *, replace: bool = True) -> None:
    """Write a whole owner-only file atomically: readers see the old file or the new, never half.

    With replace=False an existing file is kept and FileExistsError raised (keys are never
    overwritten).
    """
    path = Path(path)
    _make_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # raises FileExistsError if the file is already there
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def append_private(path: str | os.PathLike[str], line: str) -> None:
    """Append one line to an owner-only file (created 0600); one write, so lines never interleave."""
    path = Path(path)
    _make_dirs(path.parent)
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tighten(path, PRIVATE_FILE)


def private_sqlite(url: str) -> None:
    """Create an SQLite database file 0600 before SQLite does (it would make it 0644).

    SQLite gives its -wal and -shm files the database file's permissions, so they follow. Files
    left by an older version are tightened. In-memory and URI-style databases are left alone.
    """
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        private_file(path)
    except OSError:  # an unusable path: SQLite reports it when connecting (database unavailable)
        return
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix), PRIVATE_FILE)
