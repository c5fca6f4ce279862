"""Atomic file writes shared by the command line, sweeps and saves (never used by the model core).

Nothing a user made is ever lost: a file is written to a temporary file in the same folder,
flushed and fsynced, then renamed over the target, and the folder is fsynced so that the rename
itself survives a crash. A crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def temp_beside(path: str | os.PathLike) -> tuple[int, str]:
    """An open temporary file next to ``path`` (same folder, so a rename is atomic).

    Returns:
        ``(fd, name)``; the file has ordinary permissions (0666 & ~umask). The caller writes,
        fsyncs and renames it, or removes it.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    return fd, tmp


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, with ordinary permissions (0666 & ~umask).

    Raises:
        OSError: the folder is missing or not writable, the disk is full, ...; the target is then
            untouched and no temporary file is left behind.
    """
    path = Path(path)
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
