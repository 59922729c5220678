"""The safetensors format, read and written with numpy alone (no `safetensors` package).

A safetensors file is three parts (https://github.com/huggingface/safetensors):

    8 bytes        N, the header's length, an unsigned little-endian integer
    N bytes        a JSON object: for each tensor {"dtype": "F32", "shape": [2, 3],
                   "data_offsets": [begin, end]}, plus "__metadata__": {str: str}
    the rest       the data: each tensor's bytes, little-endian, C order, at
                   [begin, end) counted from the data's start

The data must be covered exactly: no two tensors overlap, no byte belongs to none. Reading
checks all of it and refuses a file that breaks any rule with a `SafetensorsError` naming
the file, the tensor and the offsets; nothing is ever unpickled. `nn.save`/`nn.load`
use these functions for `.safetensors` paths, with the architecture in the metadata.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from autograd.files import atomic_write

# in the order of the official library's dtype list, which its writer sorts by (last first)
DTYPES = {
    "BOOL": np.dtype("bool"), "U8": np.dtype("uint8"), "I8": np.dtype("int8"),
    "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "F16": np.dtype("<f2"),
    "I32": np.dtype("<i4"), "U32": np.dtype("<u4"), "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
}
_RANK = {name: rank for rank, name in enumerate(DTYPES)}
NO_NUMPY_DTYPE = ("BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2",
                  "C64")  # valid in the format, but numpy has no such type
MAX_HEADER_BYTES = 100_000_000  # the official library's limit too
METADATA_KEY = "__metadata__"
ALIGNMENT = 8  # the header is padded with spaces so that the data starts 8-byte aligned


class SafetensorsError(ValueError):
    """A file that is not valid safetensors; the message names the file and what broke."""


def _format_name(dtype: np.dtype) -> str | None:
    for name, known in DTYPES.items():
        if known.kind == dtype.kind and known.itemsize == dtype.itemsize:
            return name
    return None


def write_safetensors(path: str | os.PathLike, tensors: dict[str, Any],
                      metadata: dict[str, str] | None = None) -> None:
    """Write named arrays (bool, int 8-64, float 16/32/64) and string metadata, atomically.

    Tensors are laid out as the official writer lays them out (by dtype, wider first, then
    by name), so every tensor sits aligned to its item size and the bytes are the same.
    Raises ValueError for an array of another dtype or a reserved name, TypeError for
    metadata that is not str -> str.
    """
    metadata = dict(metadata or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError(f"write_safetensors: metadata must map str to str, got {metadata!r:.80}")
    arrays = {}
    for name, value in tensors.items():
        array = np.asarray(value)
        if not isinstance(name, str) or name == METADATA_KEY:
            raise ValueError(f"write_safetensors: {name!r} cannot name a tensor")
        dtype_name = _format_name(array.dtype)
        if dtype_name is None:
            raise ValueError(f"write_safetensors: {name!r} has dtype {array.dtype}, which "
                             f"safetensors cannot hold (one of {sorted(DTYPES)})")
        arrays[name] = (dtype_name, np.asarray(array, dtype=DTYPES[dtype_name], order="C"))
    header: dict[str, Any] = {METADATA_KEY: metadata} if metadata else {}
    offset = 0
    order = sorted(arrays, key=lambda name: (-_RANK[arrays[name][0]], name))
    for name in order:
        dtype_name, array = arrays[name]
        header[name] = {"dtype": dtype_name, "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % ALIGNMENT)
    with atomic_write(path) as file:
        file.write(len(text).to_bytes(8, "little"))
        file.write(text)
        for name in order:
            file.write(arrays[name][1].tobytes())


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"the header names {repeated} more than once")
    return dict(pairs)


def _read_header(path: str, file: Any, size: int) -> tuple[dict[str, Any], int]:
    """The parsed header and the file offset where the data starts."""
    prefix = file.read(8)
    if len(prefix) < 8:
        raise SafetensorsError(f"{path}: the file ends early: {len(prefix)} bytes, fewer than "
                               "the 8 that give the header's length")
    length = int.from_bytes(prefix, "little")
    if length > MAX_HEADER_BYTES:
        raise SafetensorsError(f"{path}: header too large: bytes 0-8 give {length:,} bytes, "
                               f"more than the {MAX_HEADER_BYTES:,} allowed")
    if 8 + length > size:
        raise SafetensorsError(f"{path}: the file ends early: the header needs bytes 8 to "
                               f"{8 + length:,}, the file has {size:,} bytes")
    try:
        header = json.loads(file.read(length).decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as error:
        raise SafetensorsError(f"{path}: the header (bytes 8 to {8 + length:,}) is not JSON: "
                               f"{error}") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: the header is a JSON {type(header).__name__}, "
                               "not an object")
    return header, 8 + length


def _entry(path: str, name: str, entry: Any) -> tuple[np.dtype, tuple[int, ...], int, int]:
    """(dtype, shape, begin, end) of one tensor's header entry, each checked."""
    where = f"{path}: tensor {name!r}"
    if not isinstance(entry, dict):
        raise SafetensorsError(f"{where}: its header entry is not an object: {entry!r:.80}")
    dtype_name, shape, offsets = (entry.get(k) for k in ("dtype", "shape", "data_offsets"))
    if dtype_name in NO_NUMPY_DTYPE:
        raise SafetensorsError(f"{where}: dtype {dtype_name} has no numpy equivalent")
    if not isinstance(dtype_name, str) or dtype_name not in DTYPES:
        raise SafetensorsError(f"{where}: unknown dtype {dtype_name!r} "
                               f"(known: {', '.join(DTYPES)})")

    def counts(value: Any, length: int | None) -> bool:
        return (isinstance(value, list) and (length is None or len(value) == length)
                and all(type(n) is int and n >= 0 for n in value))

    if not counts(shape, None):
        raise SafetensorsError(f"{where}: shape {shape!r:.80} is not a list of sizes >= 0")
    if not counts(offsets, 2) or offsets[0] > offsets[1]:
        raise SafetensorsError(f"{where}: data_offsets {offsets!r:.80} is not [begin, end] "
                               "with 0 <= begin <= end")
    begin, end = offsets
    dtype = DTYPES[dtype_name]
    needed = math.prod(shape) * dtype.itemsize
    if end - begin != needed:
        raise SafetensorsError(f"{where}: data_offsets [{begin}, {end}] hold {end - begin} "
                               f"bytes, but {dtype_name} of shape {shape} needs {needed}")
    return dtype, tuple(shape), begin, end


def read_safetensors(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The named arrays (native byte order, writable) and the metadata of a safetensors file.

    Raises SafetensorsError (a ValueError) naming the file, and the tensor and offsets where
    they matter, for: a file that ends early, a header too large or not a JSON object, a
    repeated name, an unknown dtype, a bad shape, offsets that do not match the shape, run
    past the data, overlap or leave a gap, and bytes after the last tensor.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        header, data_start = _read_header(path, file, size)
        data = file.read()
    data_size = size - data_start
    metadata = header.pop(METADATA_KEY, {})
    if not isinstance(metadata, dict) or not all(
            isinstance(value, str) for value in metadata.values()):
        raise SafetensorsError(f"{path}: {METADATA_KEY} must map str to str, got "
                               f"{metadata!r:.80}")
    entries = {name: _entry(path, name, entry) for name, entry in header.items()}
    covered, previous = 0, None
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: item[1][2:]):
        if end > data_size:
            raise SafetensorsError(
                f"{path}: tensor {name!r}: data_offsets [{begin}, {end}] out of range: the "
                f"data (from file byte {data_start:,}) has {data_size:,} bytes; the file "
                "ends early or the offsets are wrong")
        if begin < covered:
            raise SafetensorsError(f"{path}: tensors {previous!r} and {name!r} overlap: "
                                   f"{name!r} begins at {begin}, {previous!r} ends at {covered}")
        if begin > covered:
            raise SafetensorsError(f"{path}: bytes [{covered}, {begin}) of the data belong to "
                                   f"no tensor (a gap before {name!r})")
        covered, previous = end, name
    if covered != data_size:
        raise SafetensorsError(f"{path}: bytes [{covered}, {data_size}) of the data, after the "
                               "last tensor, belong to no tensor")
    tensors = {}
    for name, (dtype, shape, begin, _) in entries.items():
        array = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=begin)
        tensors[name] = array.reshape(shape).astype(dtype.newbyteorder("="))
    return tensors, metadata
