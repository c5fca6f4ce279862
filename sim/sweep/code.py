"""The identity of the project's code, so that one sweep never mixes runs of different code.

A sweep records :func:`code_hash` in its manifest; ``--resume`` refuses to continue a sweep that
other code started, and every Dask worker reports its own hash before any run is sent to it (and
checks it again in every task, for workers that join later).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path


class CodeMismatch(RuntimeError):
    """A worker runs other code than the process that plans the sweep (message for the user)."""


def package_root() -> Path:
    """The folder of the ``sim`` package as imported by this process."""
    import sim

    return Path(sim.__file__).resolve().parent


def hash_sources(root: Path) -> str:
    """SHA-256 over the ``.py`` files under ``root``, in sorted order of their relative paths.

    Each file contributes its path relative to ``root`` (with ``/``), its length and its bytes,
    so the hash does not depend on where the package is installed, on git, on file times or on
    compiled ``.pyc`` files; any change to a source file, and any file added, removed or
    renamed, changes it.

    Args:
        root: a package folder.

    Returns:
        64 hexadecimal characters.
    """
    h = hashlib.sha256()
    files = sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*.py") if p.is_file())
    for rel, p in files:
        data = p.read_bytes()
        h.update(rel.encode("utf-8") + b"\0" + str(len(data)).encode("ascii") + b"\0")
        h.update(data)
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_hash() -> str:
    """:func:`hash_sources` of the imported ``sim`` package (computed once per process)."""
    return hash_sources(package_root())


def short(h: str | None) -> str:
    """The first 12 characters of a hash, as messages show it (``unknown`` for ``None``)."""
    return h[:12] if h else "unknown"


def check_same_code(theirs: str | None, where: str) -> None:
    """Raise :class:`CodeMismatch` when ``theirs`` is not this process's :func:`code_hash`.

    Args:
        theirs: the hash the other side reported or recorded.
        where: who has it, for the message (``the Dask worker tcp://...``).

    Raises:
        CodeMismatch: one line naming both hashes.
    """
    mine = code_hash()
    if theirs != mine:
        raise CodeMismatch(f"{where} runs code {short(theirs)}, this command runs code {short(mine)} (a hash of the sim package's sources); install the same version of the project there")
