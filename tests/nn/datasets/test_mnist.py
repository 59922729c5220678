"""MNIST (nn.datasets.mnist): IDX datasets, where they are searched for, downloads, the
shipped sample, the full set when present. No test touches the network: downloads are
served from memory by a fake `urlopen`. The IDX format itself is tested in test_idx.py."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from idx_files import header

from nn.datasets import (
    Dataset,
    DatasetError,
    MNISTNotFound,
    as_float,
    cache_dir,
    fetch,
    load_idx_dataset,
    load_mnist,
    load_mnist_sample,
    mnist,
    write_idx,
)

FULL_DATA = os.environ.get("CHAINRULE_DATA")  # read before the fixture below clears it

MIRROR_A, MIRROR_B = "https://mirror-a.invalid/mnist/", "https://mirror-b.invalid/mnist/"

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test sees the user's data, cache or network."""
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))

    def no_network(url, timeout):
        raise AssertionError(f"test tried to open {url}")

    monkeypatch.setattr(fetch, "urlopen", no_network)


def no_part_files(folder: Path) -> bool:
    return not any(name.endswith(".part") for name in os.listdir(folder))


# ---------------------------------------------------------------- IDX datasets and search order


def make_dataset(folder: Path, n_train: int, compressed: bool = True) -> dict[str, bytes]:
    """Write a tiny MNIST look-alike; return each file's uncompressed bytes by name."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(n_train)
    arrays = {
        FILES[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        FILES[1]: np.arange(n_train, dtype=np.uint8) % 10,
        FILES[2]: rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        FILES[3]: np.array([7, 2, 1], dtype=np.uint8),
    }
    raw = {}
    for name, array in arrays.items():
        write_idx(folder / (name + (".gz" if compressed else "")), array)
        raw[name] = header(0x08, *array.shape) + array.tobytes()
    return raw


def test_load_idx_dataset_with_and_without_gzip(tmp_path):
    make_dataset(tmp_path / "a", 4, compressed=False)
    make_dataset(tmp_path / "b", 4, compressed=True)
    a, b = load_idx_dataset(tmp_path / "a"), load_idx_dataset(tmp_path / "b")
    assert isinstance(a, Dataset) and a.source == str(tmp_path / "a")
    for field in ("train_images", "train_labels", "test_images", "test_labels"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert a.train_images.shape == (4, 28, 28) and a.test_labels.tolist() == [7, 2, 1]
    assert "(4, 28, 28)" in repr(a)


def test_load_idx_dataset_errors(tmp_path):
    make_dataset(tmp_path, 4)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="missing t10k-labels-idx1-ubyte"):
        load_idx_dataset(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(2, np.uint8))
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz holds 3 images but "
                                           "t10k-labels-idx1-ubyte.gz holds 2 labels"):
        load_idx_dataset(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros((3, 1), np.uint8))
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte.gz: expected uint8 labels"):
        load_idx_dataset(tmp_path)


def test_search_order_root_then_env_then_cache(tmp_path, monkeypatch):
    make_dataset(tmp_path / "root", 1)
    make_dataset(tmp_path / "env" / "mnist", 2)  # CHAINRULE_DATA may name the parent
    make_dataset(tmp_path / "xdg-cache" / "chainrule" / "mnist", 3)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    assert len(load_mnist(tmp_path / "root").train_images) == 1
    assert len(load_mnist(tmp_path).train_images) == 2  # tmp_path/mnist does not exist
    assert len(load_mnist().train_images) == 2
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env" / "mnist"))  # or the folder
    assert load_mnist().source == str(tmp_path / "env" / "mnist")
    monkeypatch.delenv("CHAINRULE_DATA")
    assert len(load_mnist(tmp_path / "nothing here").train_images) == 3
    make_dataset(tmp_path / "root" / "mnist", 4)
    assert len(load_mnist(tmp_path / "root").train_images) == 1  # the folder itself first


def test_cache_dir_defaults_to_home(tmp_path, monkeypatch):
    assert cache_dir() == tmp_path / "xdg-cache" / "chainrule"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "chainrule"


def test_not_found_without_download_lists_where_to_put_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    with pytest.raises(DatasetError) as caught:
        load_mnist(tmp_path / "root", download=False)
    message = str(caught.value)
    for folder in ("root", "root/mnist", "env", "env/mnist", "xdg-cache/chainrule/mnist"):
        assert f"  {tmp_path / folder}\n" in message
    assert "CHAINRULE_DATA" in message and "train-images-idx3-ubyte.gz" in message
    assert isinstance(caught.value, MNISTNotFound) and caught.value.download_error is None
    assert caught.value.searched[:2] == [tmp_path / "root", tmp_path / "root" / "mnist"]


# ---------------------------------------------------------------- downloads, served from memory


class FakeResponse(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


class DropsConnection(FakeResponse):
    def read(self, size=-1):
        if self.tell() > 10:
            raise ConnectionResetError("connection reset by peer")
        return super().read(min(size, 11))


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A fake urlopen serving `server.files` (url -> bytes or response class), logging calls;
    MNIST's checksums become those of a tiny look-alike, whose files it returns."""
    raw = make_dataset(tmp_path / "originals", 5)
    monkeypatch.setattr(mnist, "MNIST_MD5", {n: hashlib.md5(b).hexdigest() for n, b in raw.items()})
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", (MIRROR_A, MIRROR_B))

    class Server:
        def __init__(self):
            self.files, self.calls = {}, []
            self.good = {name + ".gz": (tmp_path / "originals" / (name + ".gz")).read_bytes()
                         for name in FILES}

        def serve(self, mirror, names=FILES, corrupt=False, response=FakeResponse):
            for name in names:
                data = self.good[name + ".gz"]
                if corrupt:  # valid gzip, wrong content
                    data = gzip.compress(gzip.decompress(data)[:-1] + b"\xff")
                self.files[mirror + name + ".gz"] = (response, data)

    server = Server()

    def urlopen(url, timeout):
        server.calls.append(url)
        assert timeout <= 10
        if url not in server.files:
            raise urllib.error.URLError("[Errno -2] Name or service not known")
        response, data = server.files[url]
        return response(data)

    monkeypatch.setattr(fetch, "urlopen", urlopen)
    return server


def test_download_into_cache(server, tmp_path, capsys):
    server.serve(MIRROR_A)
    data = load_mnist()
    folder = tmp_path / "xdg-cache" / "chainrule" / "mnist"
    assert data.source == f"{folder} (downloaded from {MIRROR_A})"
    assert data.train_images.shape == (5, 28, 28) and data.test_labels.tolist() == [7, 2, 1]
    assert sorted(os.listdir(folder)) == sorted(name + ".gz" for name in FILES)
    assert "downloading https://mirror-a.invalid" in capsys.readouterr().err
    assert len(load_mnist().train_images) == 5 and len(server.calls) == 4  # now found locally


def test_download_into_root_only_missing_files(server, tmp_path):
    server.serve(MIRROR_A)
    root = tmp_path / "root"
    make_dataset(root, 5)
    (root / "train-labels-idx1-ubyte.gz").unlink()
    (root / "t10k-images-idx3-ubyte.gz").unlink()
    load_mnist(root, progress=False)
    assert server.calls == [MIRROR_A + "train-labels-idx1-ubyte.gz",
                            MIRROR_A + "t10k-images-idx3-ubyte.gz"]


def test_failing_mirror_falls_back_to_next(server, tmp_path):
    server.serve(MIRROR_A, names=FILES[:1], response=DropsConnection)  # dies mid-transfer
    server.serve(MIRROR_B)
    data = load_mnist(progress=False)
    assert data.source.endswith(f"(downloaded from {MIRROR_B})")
    assert server.calls[:3] == [MIRROR_A + FILES[0] + ".gz", MIRROR_B + FILES[0] + ".gz",
                                MIRROR_A + FILES[1] + ".gz"]
    assert no_part_files(tmp_path / "xdg-cache" / "chainrule" / "mnist")


def test_bad_checksum_is_deleted_and_next_mirror_used(server, tmp_path):
    server.serve(MIRROR_A, corrupt=True)
    server.serve(MIRROR_B, names=FILES[1:])
    folder = tmp_path / "xdg-cache" / "chainrule" / "mnist"
    with pytest.raises(DatasetError) as caught:
        load_mnist(progress=False)
    message = str(caught.value)
    assert f"{MIRROR_A}{FILES[0]}.gz: md5 of the uncompressed data is " in message
    assert f"{MIRROR_B}{FILES[0]}.gz: " in message
    assert os.listdir(folder) == []  # nothing half-written, nothing unverified
    server.serve(MIRROR_B, names=FILES[:1])
    assert load_mnist(progress=False).source.endswith(f"(downloaded from {MIRROR_B})")


def test_no_network_fails_at_once_saying_where_to_put_files(server, tmp_path):
    with pytest.raises(DatasetError) as caught:
        load_mnist(progress=False)
    message = str(caught.value)
    assert server.calls == [MIRROR_A + FILES[0] + ".gz", MIRROR_B + FILES[0] + ".gz"]
    assert "Name or service not known" in message and "CHAINRULE_DATA" in message
    assert f"  {tmp_path / 'xdg-cache' / 'chainrule' / 'mnist'}\n" in message
    assert "Name or service not known" in caught.value.download_error  # for the CLI to show
    assert fetch.TIMEOUT <= 10


def test_http_error_is_reported(server, monkeypatch):
    def not_found(url, timeout):
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(fetch, "urlopen", not_found)
    with pytest.raises(DatasetError, match="HTTP Error 404: Not Found"):
        load_mnist(progress=False)


# ---------------------------------------------------------------- the sample and the full set


def test_sample_has_500_of_each_digit_split_400_100():
    sample = load_mnist_sample()
    assert sample.train_images.shape == (4000, 28, 28)
    assert sample.test_images.shape == (1000, 28, 28)
    assert sample.train_images.dtype == np.uint8 and sample.train_labels.dtype == np.uint8
    assert np.bincount(sample.train_labels).tolist() == [400] * 10
    assert np.bincount(sample.test_labels).tolist() == [100] * 10
    assert sample.train_labels[:20].tolist() == list(range(10)) * 2  # digits interleaved
    train = {image.tobytes() for image in sample.train_images}
    assert len(train) == 4000 and not train & {image.tobytes() for image in sample.test_images}
    again = load_mnist_sample()
    assert np.array_equal(again.train_images, sample.train_images)


def test_as_float():
    images = load_mnist_sample().test_images
    x = as_float(images)
    assert x.dtype == np.float32 and x.shape == (1000, 784)
    assert x.min() == 0 and x.max() == 1
    assert np.array_equal(x.reshape(images.shape) * 255, images)
    with pytest.raises(TypeError, match="uint8"):
        as_float(x)


@pytest.fixture(scope="module")
def full_mnist() -> tuple[Path, Dataset]:
    if not FULL_DATA:
        pytest.skip("full MNIST: set CHAINRULE_DATA (e.g. ../shared/data)")
    for folder in (Path(FULL_DATA), Path(FULL_DATA) / "mnist"):
        if all(any((folder / (n + gz)).is_file() for gz in ("", ".gz")) for n in FILES):
            return folder, load_idx_dataset(folder)
    pytest.skip(f"full MNIST not found in {FULL_DATA}")


def test_full_mnist(full_mnist):
    folder, data = full_mnist
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert data.train_images.dtype == np.uint8 and data.train_labels.dtype == np.uint8
    assert np.bincount(data.train_labels).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(data.test_labels).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    for name in FILES:
        path = next(folder / (name + gz) for gz in (".gz", "") if (folder / (name + gz)).is_file())
        with open(path, "rb") as file:
            assert fetch.md5_uncompressed(file, name) == mnist.MNIST_MD5[name]


def test_sample_is_first_500_training_images_of_each_digit(full_mnist):
    _, data = full_mnist
    sample = load_mnist_sample()
    for digit in range(10):
        expected = data.train_images[data.train_labels == digit][:500]
        assert np.array_equal(sample.train_images[sample.train_labels == digit], expected[:400])
        assert np.array_equal(sample.test_images[sample.test_labels == digit], expected[400:])


def test_a_label_outside_0_to_9_is_refused_naming_file_index_and_byte(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 20).astype(np.uint8)
    labels[5] = 200
    for split, n in (("train", 20), ("t10k", 20)):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte", np.zeros((n, 28, 28), np.uint8))
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte",
                  labels if split == "train" else labels % 10)
    with pytest.raises(DatasetError, match=r"train-labels-idx1-ubyte: label 200 at index 5 "
                                           r"\(byte 13 of the uncompressed file\) is not a "
                                           r"class 0-9"):
        load_idx_dataset(tmp_path)
