"""The IDX format (nn.datasets.idx): round trips of every type, the exact byte layout, and
broken files refused naming the file and the problem."""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from idx_files import header

from autograd.files import atomic_write
from nn.datasets import DatasetError, read_idx, write_idx

DTYPES = st.sampled_from(["u1", "i1", ">i2", "<i2", ">i4", "<i4", ">f4", "<f4", ">f8", "<f8"])


@settings(max_examples=60, deadline=None)
@given(array=DTYPES.flatmap(lambda dtype: hnp.arrays(
    dtype, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6))),
    compressed=st.booleans())
def test_idx_round_trip(array, compressed):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("a.idx.gz" if compressed else "a.idx")
        write_idx(path, array)
        assert (path.read_bytes()[:2] == b"\x1f\x8b") == compressed
        back = read_idx(path)
    assert back.shape == array.shape
    assert back.dtype == array.dtype.newbyteorder("=")
    assert back.tobytes() == array.astype(back.dtype).tobytes()  # bitwise, so NaNs compare


def test_idx_layout_is_big_endian_with_standard_magic(tmp_path):
    write_idx(tmp_path / "x", np.arange(6, dtype=np.uint8).reshape(1, 2, 3))
    assert (tmp_path / "x").read_bytes() == (
        b"\x00\x00\x08\x03" + struct.pack(">3I", 1, 2, 3) + bytes(range(6)))
    write_idx(tmp_path / "y", np.array([1, -2], dtype=np.int16))
    assert (tmp_path / "y").read_bytes() == b"\x00\x00\x0b\x01\x00\x00\x00\x02\x00\x01\xff\xfe"


def test_idx_read_array_is_writable(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros((2, 2), np.uint8))
    read_idx(tmp_path / "x.gz")[0, 0] = 1


@pytest.mark.parametrize("array", [np.zeros(3, np.int64), np.zeros(3, bool), np.uint8(3)])
def test_write_idx_rejects_what_idx_cannot_hold(tmp_path, array):
    with pytest.raises((TypeError, ValueError), match="write_idx"):
        write_idx(tmp_path / "x", array)
    assert os.listdir(tmp_path) == []


BROKEN = [
    (b"", "file is empty"),
    (b"\x00\x00\x08", "file is 3 bytes long, too short"),
    (b"\x01\x02\x08\x03" + bytes(100), "bad magic 0x01020803 at offset 0"),
    (header(0x07, 2) + bytes(2), "bad magic 0x00000701 at offset 0"),  # unknown type code
    (b"\x00\x00\x08\x00", "bad magic 0x00000800 at offset 0"),  # no dimensions
    (header(0x08, 10, 28, 28)[:8], "header truncated: 3 dimensions need a 16-byte header, "
                                   "the file ends at byte 8"),
    (header(0x08, 10, 28, 28) + bytes(1000), "expected 7840 bytes of data after the 16-byte "
                                             r"header \(10x28x28 uint8\), found 1000 \(file "
                                             r"truncated\?\)"),
    (header(0x0C, 2, 2) + bytes(15), r"expected 16 bytes .* found 15"),
    (header(0x08, 2, 2) + bytes(5), r"more bytes than the 4 bytes of data .*wrong dimensions"),
]


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("content, problem", BROKEN)
def test_broken_idx_file_names_file_and_problem(tmp_path, content, problem, compressed):
    name = "train-images-idx3-ubyte" + (".gz" if compressed else "")
    (tmp_path / name).write_bytes(gzip.compress(content) if compressed else content)
    with pytest.raises(DatasetError, match=f"^{name}: {problem}"):
        read_idx(tmp_path / name)


def test_truncated_or_corrupt_gzip(tmp_path):
    packed = gzip.compress(header(0x08, 100, 28, 28) + bytes(range(256)) * 306, mtime=0)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(packed[:-20])
    with pytest.raises(DatasetError, match="^train-images-idx3-ubyte.gz: gzip data is trunc"):
        read_idx(path)
    path.write_bytes(packed[:-8] + b"\x00\x00\x00\x00" + packed[-4:])  # wrong CRC
    with pytest.raises(DatasetError, match="^train-images-idx3-ubyte.gz: gzip data .*CRC"):
        read_idx(path)


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "x.gz"
    target.write_bytes(b"old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(gzip.GzipFile, "write", fail)
    with pytest.raises(OSError, match="disk full"):
        write_idx(target, np.zeros((5, 5), np.uint8))
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["x.gz"]
    with pytest.raises(RuntimeError), atomic_write(tmp_path / "y") as file:
        file.write(b"half")
        raise RuntimeError
    assert os.listdir(tmp_path) == ["x.gz"]
