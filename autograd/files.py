"""Writing files whole or not at all: the one atomic write every part of chainrule uses."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a temporary file beside `path` that replaces `path` only if the block succeeds.

    Readers never see a half-written file: on any error the temporary file is removed and
    an existing `path` is left as it was. The folder must exist (the error names it).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist")
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    # os.open with mode 0o666 lets the umask decide the final permissions, as open() would
    fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "w+b") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` as UTF-8 to `path` through `atomic_write`."""
    with atomic_write(path) as file:
        file.write(text.encode("utf-8"))
