"""The IDX file format of MNIST and its relatives, read and written without pickle.

An IDX file is a 4-byte magic number (00 00, a type code, the number of dimensions), one
big-endian uint32 size per dimension, then the elements in C order, big-endian. Files may be
gzip-compressed; we tell by the gzip magic bytes, not by the file name.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from autograd.files import atomic_write

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20

# type code -> numpy kind and size; the byte order is always big-endian on disk
_FORMATS = {0x08: "u1", 0x09: "i1", 0x0B: "i2", 0x0C: "i4", 0x0D: "f4", 0x0E: "f8"}
_CODES = {fmt: code for code, fmt in _FORMATS.items()}
_SUPPORTED = ", ".join(str(np.dtype(fmt)) for fmt in _CODES)

PathLike = str | os.PathLike


class DatasetError(ValueError):
    """A data file is missing, truncated or corrupt, or cannot be fetched."""


@contextlib.contextmanager
def uncompressed(file: BinaryIO, name: str) -> Iterator[BinaryIO]:
    """`file`'s bytes, gunzipped when they are gzip data. Damaged gzip data met inside the
    block raises `DatasetError` naming `name`."""
    compressed = file.read(2) == GZIP_MAGIC
    file.seek(0)
    if not compressed:
        yield file
        return
    try:
        yield gzip.GzipFile(fileobj=file, mode="rb")
    except (OSError, EOFError, zlib.error) as error:  # what gzip raises on damaged data
        raise DatasetError(f"{name}: gzip data is truncated or corrupt ({error})") from None


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into a native-endian numpy array.

    Raises `DatasetError` naming the file and the problem if it is empty, has a bad magic
    number or header, is truncated, or has bytes beyond what its dimensions call for.
    """
    path = Path(path)
    with open(path, "rb") as raw, uncompressed(raw, path.name) as stream:
        return _parse(stream, path.name)


def _read_up_to(stream: BinaryIO, size: int) -> bytearray:
    """Read `size` bytes, or fewer if the stream ends; chunked so a header claiming an absurd
    size fails on the data actually present instead of allocating it up front."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(min(CHUNK, size - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def _parse(stream: BinaryIO, name: str) -> np.ndarray:
    magic = _read_up_to(stream, 4)
    if not magic:
        raise DatasetError(f"{name}: file is empty (expected an IDX header)")
    if len(magic) < 4:
        raise DatasetError(f"{name}: file is {len(magic)} bytes long, too short for the "
                           "4-byte IDX magic number")
    code, ndim = magic[2], magic[3]
    if magic[:2] != b"\0\0" or code not in _FORMATS or ndim == 0:
        raise DatasetError(
            f"{name}: bad magic 0x{magic.hex()} at offset 0 (an IDX file starts with 00 00, "
            f"a type code among {', '.join(f'{c:02x}' for c in _FORMATS)}, then the number "
            "of dimensions, at least 1)")
    header_size = 4 + 4 * ndim
    sizes = _read_up_to(stream, 4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DatasetError(f"{name}: header truncated: {ndim} dimensions need a "
                           f"{header_size}-byte header, the file ends at byte {4 + len(sizes)}")
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = np.dtype(">" + _FORMATS[code])
    expected = math.prod(shape) * dtype.itemsize
    data = _read_up_to(stream, expected)
    what = f"{'x'.join(map(str, shape))} {dtype.newbyteorder('=')}"
    if len(data) < expected:
        raise DatasetError(f"{name}: expected {expected} bytes of data after the "
                           f"{header_size}-byte header ({what}), found {len(data)} "
                           "(file truncated?)")
    if stream.read(1):  # one byte tells; counting them all could inflate gigabytes
        raise DatasetError(f"{name}: more bytes than the {expected} bytes of data that the "
                           f"header's dimensions ({what}) call for (wrong dimensions?)")
    array = np.frombuffer(data, dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("=")) if dtype.itemsize > 1 else array


def write_idx(path: PathLike, array: np.ndarray) -> None:
    """Write `array` as an IDX file, gzip-compressed if `path` ends in ".gz", atomically."""
    array = np.asarray(array)
    fmt = f"{array.dtype.kind}{array.dtype.itemsize}"
    if fmt not in _CODES:
        raise TypeError(f"write_idx: IDX cannot hold dtype {array.dtype}; "
                        f"use one of {_SUPPORTED}")
    if not 1 <= array.ndim <= 255 or any(size >= 2**32 for size in array.shape):
        raise ValueError(f"write_idx: IDX holds 1 to 255 dimensions each below 2**32, "
                         f"got shape {array.shape}")
    header = bytes([0, 0, _CODES[fmt], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = np.ascontiguousarray(array, dtype=">" + fmt).tobytes()
    with atomic_write(path) as file:
        if str(path).endswith(".gz"):
            # mtime=0 and no stored name: the same array always gives the same bytes
            with gzip.GzipFile(filename="", mode="wb", fileobj=file, mtime=0) as compressed:
                compressed.write(header)
                compressed.write(data)
        else:
            file.write(header)
            file.write(data)
