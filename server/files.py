"""Published files (models, their derived data, tile sets) are read by whoever serves them — this process, a
reverse proxy, another app server on a shared folder — so they are written readable by all: files 0644,
folders 0755, set explicitly (``chmod``), never left to the process umask (a umask of 077 would make them
0600/0700, as ``mkstemp`` and ``mkdtemp`` always do). Only what is published goes through here: the
instance's secret key stays private.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o644  # a published file: the owner writes, everyone reads
FOLDER_MODE = 0o755  # a published folder: the owner writes, everyone lists and enters


def make_folders(path: str | os.PathLike) -> Path:
    """Create folder *path* and any missing parents, each created one readable by all (``FOLDER_MODE``);
    folders that exist already are left as they are. Returns *path*."""
    folder = Path(path)
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        try:
            candidate.mkdir()
        except FileExistsError:  # another process made it meanwhile
            if not candidate.is_dir():
                raise
            continue
        os.chmod(candidate, FOLDER_MODE)
    return folder


def make_readable(path: str | os.PathLike) -> None:
    """Give *path* — a file, or a folder with everything below it — the published modes (links untouched)."""
    top = Path(path)
    if not top.is_dir():
        os.chmod(top, FILE_MODE)
        return
    os.chmod(top, FOLDER_MODE)
    for root, folders, names in os.walk(top):
        for name in folders:
            os.chmod(os.path.join(root, name), FOLDER_MODE)
        for name in names:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                os.chmod(full, FILE_MODE)
