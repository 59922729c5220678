"""Writing files and folders whole or not at all: the atomic writes every part of chainrule uses.

A write goes to a hidden sibling `.NAME.PID-RANDOM.part` (PID: the writing process) that
replaces NAME only once complete. A process killed mid-write leaves its part behind; the
next write of NAME removes the parts of processes that are no longer running.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _part_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")


def _running(pid: int) -> bool:
    if os.name == "nt":  # os.kill would end the process there: assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True


def remove_stale_parts(path: str | os.PathLike) -> None:
    """Remove the `.part` files and folders that crashed writes of `path` left behind.

    Only parts whose writing process no longer runs are removed: a write under way in
    another process keeps its part.
    """
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)-[0-9a-f]{{8}}\.part")
    with os.scandir(path.parent) as entries:
        stale = [Path(entry.path) for entry in entries
                 if (match := pattern.fullmatch(entry.name))
                 and int(match[1]) != os.getpid() and not _running(int(match[1]))]
    for part in stale:
        if part.is_dir() and not part.is_symlink():
            shutil.rmtree(part, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a temporary file beside `path` that replaces `path` only if the block succeeds.

    Readers never see a half-written file: on any error the temporary file is removed and
    an existing `path` is left as it was. A replaced file keeps its permissions; a
    symbolic link stays a link, and the file it points to is replaced. The folder must
    exist (the error names it).
    """
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist")
    remove_stale_parts(path)
    temp = _part_path(path)
    # os.open with mode 0o666 lets the umask decide a new file's permissions, as open() would
    fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "w+b") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` as UTF-8 to `path` through `atomic_write`."""
    with atomic_write(path) as file:
        file.write(text.encode("utf-8"))


def _check_folder_target(path: Path, replace: bool) -> None:
    if path.is_dir():
        with os.scandir(path) as entries:
            if next(entries, None) is not None and not replace:
                raise FileExistsError(f"{path} is a folder that is not empty")
    elif path.exists() or path.is_symlink():
        raise NotADirectoryError(f"{path} exists and is not a folder")


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike, replace: bool = False) -> Iterator[Path]:
    """Yield a new empty folder beside `path` that becomes `path` only if the block succeeds.

    Missing parent folders are created first. `path` may be missing or an empty folder;
    a folder that is not empty raises FileExistsError unless `replace`, and then it is
    removed only once the new one is complete. A file raises NotADirectoryError. On any
    error the new folder is removed and `path` is left as it was.
    """
    path = Path(path)
    _check_folder_target(path, replace)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # not a folder by that name: a file
        raise NotADirectoryError(f"cannot create {path}: {path.parent} is a file") from None
    remove_stale_parts(path)
    stage = _part_path(path)
    stage.mkdir()
    try:
        yield stage
        _check_folder_target(path, replace)  # again: the folder may have changed meanwhile
        if path.exists():
            old = _part_path(path)
            os.rename(path, old)
            os.rename(stage, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(stage, path)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
