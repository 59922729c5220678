"""IDX and MNIST files that lie about their size: refused without reading what they claim."""

import gzip
import struct
import tracemalloc

import numpy as np
import pytest

from nn.datasets import DatasetError, load_idx_dataset, load_mnist, read_idx, write_idx

MIB = 1 << 20
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


def test_gigabytes_of_trailing_zeros_are_refused_without_inflating_them(tmp_path):
    path = tmp_path / "bomb-idx1-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as file:
        file.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + bytes([1, 2, 3]))
        zeros = bytes(MIB)
        for _ in range(256):  # 256 MiB of zeros, about 256 KiB on disk
            file.write(zeros)
    assert path.stat().st_size < 2 * MIB
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="bomb-idx1-ubyte.gz: more bytes than the 3"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MIB


def make_mnist(folder, image_shape=(28, 28), n_train=4, n_test=3):
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / (FILES[0] + ".gz"), np.zeros((n_train, *image_shape), np.uint8))
    write_idx(folder / (FILES[1] + ".gz"), np.arange(n_train, dtype=np.uint8) % 10)
    write_idx(folder / (FILES[2] + ".gz"), np.zeros((n_test, 28, 28), np.uint8))
    write_idx(folder / (FILES[3] + ".gz"), np.arange(n_test, dtype=np.uint8) % 10)


def test_images_of_56x14_are_not_read_as_28x28(tmp_path):
    make_mnist(tmp_path, image_shape=(56, 14))
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte.gz: images are 56x14, "
                                           r"expected 28x28"):
        load_idx_dataset(tmp_path)


def test_an_explicit_folder_can_be_searched_alone(tmp_path, monkeypatch):
    make_mnist(tmp_path / "env")
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    assert load_mnist(tmp_path / "typo", download=False).source == str(tmp_path / "env")
    with pytest.raises(DatasetError) as caught:
        load_mnist(tmp_path / "typo", download=False, fallback=False)
    assert caught.value.searched == [tmp_path / "typo", tmp_path / "typo" / "mnist"]
    make_mnist(tmp_path / "typo" / "mnist")
    assert load_mnist(tmp_path / "typo", fallback=False).source == str(tmp_path / "typo/mnist")
