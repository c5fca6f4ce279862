"""Atomic file writes shared by the command line, sweeps and saves (never used by the model core).

Nothing a user made is ever lost: a file is written to a temporary file in the same folder,
flushed and fsynced, then renamed over the target, and the folder is fsynced so that the rename
itself survives a crash. A crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_beside(path: str | os.PathLike, suffix: str = ".tmp") -> tuple[int, str]:
    """An open temporary file next to ``path`` (same folder, so a rename is atomic).

    Args:
        path: the file that will be replaced.
        suffix: the temporary name's ending (a writer that picks its format from the name,
            such as pygame's image saver, needs ``".png"``).

    Returns:
        ``(fd, name)``; the file has ordinary permissions (0666 & ~umask). The caller writes,
        fsyncs and renames it, or removes it.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=suffix, dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    return fd, tmp


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: some file systems refuse it)."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


@contextmanager
def replaced_atomically(path: str | os.PathLike, *, suffix: str = ".tmp", exclusive: bool = False) -> Iterator[str]:
    """The one way this project writes a file: into a temporary name beside it, then renamed.

    Yields the temporary file's name (an empty file, closed); the caller writes it by any means
    (``open``, ``pyarrow.parquet.write_table``, ``Figure.savefig``, ``pygame.image.save``). On a
    normal exit the file is fsynced and renamed over ``path`` (or, with ``exclusive``,
    hard-linked to it, which fails if ``path`` exists, so nothing is overwritten even by a race),
    and the folder is fsynced. On any exception the temporary file is removed and ``path`` is
    untouched.

    Args:
        path: the target file.
        suffix: the temporary name's ending (see :func:`temp_beside`).
        exclusive: refuse to replace an existing ``path``.

    Raises:
        FileExistsError: ``exclusive`` and ``path`` exists.
        OSError: the folder is missing or not writable, the disk is full, ...
    """
    path = Path(path)
    fd, tmp = temp_beside(path, suffix)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        if not exclusive:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links: an exclusive create instead
                with open(tmp, "rb") as src, open(path, "xb") as dst:
                    dst.write(src.read())
                    dst.flush()
                    os.fsync(dst.fileno())
            Path(tmp).unlink(missing_ok=True)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def write_text_atomic(path: str | os.PathLike, text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, with ordinary permissions (0666 & ~umask).

    Args:
        path: the target file.
        text: its whole content.
        exclusive: refuse to replace an existing file (see :func:`replaced_atomically`).

    Raises:
        FileExistsError: ``exclusive`` and ``path`` exists.
        OSError: the folder is missing or not writable, the disk is full, ...; the target is then
            untouched and no temporary file is left behind.
    """
    with replaced_atomically(path, exclusive=exclusive) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)


def save_figure_atomic(fig, path: str | os.PathLike, **savefig: object) -> None:
    """Save a matplotlib figure as PNG atomically (``Figure.savefig`` keywords pass through).

    The figure is not closed: the caller owns it.

    Raises:
        OSError: as :func:`replaced_atomically`.
    """
    with replaced_atomically(path) as tmp:
        fig.savefig(tmp, format="png", **savefig)


def user_cache_dir(name: str) -> Path | None:
    """The per-user cache folder ``name`` of this program: ``$XDG_CACHE_HOME/greatpower/NAME``.

    ``XDG_CACHE_HOME`` defaults to ``~/.cache``. As the XDG base-directory specification says, a
    relative ``XDG_CACHE_HOME`` is ignored (it would scatter cache folders in whatever folder a
    command is run from); a home that is set but not an absolute path (``HOME=`` or ``HOME=x``)
    gives no cache folder at all.

    Args:
        name: the sub-folder (``"yaml"``, ``"numba"``).

    Returns:
        The folder (not created here), or None when no absolute folder can be named.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")  # $HOME, else the password database
        if "HOME" in os.environ and not os.path.isabs(os.environ["HOME"]):
            return None
        base = os.path.join(home, ".cache")
    if not os.path.isabs(base):
        return None
    return Path(base) / "greatpower" / name
