"""MNIST and datasets laid out like it (Fashion-MNIST, KMNIST): find, download, load.

`load_mnist` looks for the four IDX files in `root`, then (unless `fallback=False`) in the
folder named by the environment variable CHAINRULE_DATA, then in the user cache, and
downloads them into `root` (or the cache) only if none of these holds them.
`load_mnist_sample` needs no files at all: it reads 5,000 real MNIST digits shipped inside
the package.
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import nn.datasets.fetch as fetch
from nn.datasets.idx import DatasetError, PathLike, read_idx

ENV_VAR = "CHAINRULE_DATA"

# Dataset field -> standard file name (without ".gz"), shared by MNIST, Fashion-MNIST, KMNIST
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# the official md5 checksums of the uncompressed MNIST files
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

SAMPLE_FILE = "mnist_sample.npz"
SAMPLE_TEST_PER_DIGIT = 100  # of the 500 per digit; the other 400 are for training


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Images as uint8 arrays (n, height, width), labels as uint8 arrays (n,)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str  # where the data came from, in words: a folder, a download, the sample
    is_sample: bool = False  # the 5,000-digit sample shipped with chainrule (a subset)

    def __repr__(self) -> str:  # the default would print every pixel
        return (f"Dataset(train_images={self.train_images.shape}, "
                f"test_images={self.test_images.shape}, source={self.source!r}"
                f"{', is_sample=True' if self.is_sample else ''})")


def as_float(images: np.ndarray) -> np.ndarray:
    """uint8 images (n, ...) -> float32 rows (n, pixels) scaled to [0, 1]."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim < 2:
        raise TypeError(f"as_float expects uint8 images of shape (n, ...), got "
                        f"{images.dtype} of shape {images.shape}")
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255)


def cache_dir() -> Path:
    """Where downloads go by default: $XDG_CACHE_HOME/chainrule, else ~/.cache/chainrule."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chainrule"


def _find_file(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


CLASSES = 10  # MNIST, Fashion-MNIST and KMNIST alike
IMAGE_SHAPE = (28, 28)  # the same
LABEL_HEADER = 8  # bytes before the first label of an IDX1 file


def _check_split(images: Path, labels: Path, arrays: dict, split: str) -> None:
    x, y = arrays[f"{split}_images"], arrays[f"{split}_labels"]
    if x.ndim != 3 or x.dtype != np.uint8:
        raise DatasetError(f"{images.name}: expected uint8 images of shape (n, height, width), "
                           f"found {x.dtype} of shape {x.shape}")
    if x.shape[1:] != IMAGE_SHAPE:
        raise DatasetError(f"{images.name}: images are {x.shape[1]}x{x.shape[2]}, expected "
                           f"{IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]}")
    if y.ndim != 1 or y.dtype != np.uint8:
        raise DatasetError(f"{labels.name}: expected uint8 labels of shape (n,), "
                           f"found {y.dtype} of shape {y.shape}")
    if len(x) != len(y):
        raise DatasetError(f"{images.name} holds {len(x)} images but {labels.name} holds "
                           f"{len(y)} labels")
    if y.size and y.max() >= CLASSES:
        i = int(np.argmax(y >= CLASSES))
        raise DatasetError(f"{labels.name}: label {y[i]} at index {i} (byte {LABEL_HEADER + i} "
                           f"of the uncompressed file) is not a class 0-{CLASSES - 1}")


def load_idx_dataset(folder: PathLike, source: str | None = None) -> Dataset:
    """Load the four standard IDX files (each gzip-compressed or not) from `folder`."""
    folder = Path(folder)
    paths = {field: _find_file(folder, stem) for field, stem in IDX_FILES.items()}
    missing = [IDX_FILES[field] for field, path in paths.items() if path is None]
    if missing:
        raise DatasetError(f"{folder}: missing {', '.join(missing)} (with or without .gz)")
    arrays = {field: read_idx(path) for field, path in paths.items()}
    for split in ("train", "test"):
        _check_split(paths[f"{split}_images"], paths[f"{split}_labels"], arrays, split)
    return Dataset(**arrays, source=source or str(folder))


def _search_folders(root: PathLike | None, fallback: bool = True) -> list[Path]:
    """Folders to look in, in order; `root` and CHAINRULE_DATA may also be parents of mnist/.
    Without `fallback`, `root` alone (and its mnist/)."""
    bases = [Path(root)] if root is not None else []
    if root is not None and not fallback:
        return [bases[0], bases[0] / "mnist"]
    if os.environ.get(ENV_VAR):
        bases.append(Path(os.environ[ENV_VAR]))
    return [folder for base in bases for folder in (base, base / "mnist")] + [
        cache_dir() / "mnist"]


class MNISTNotFound(DatasetError):
    """No folder searched holds MNIST, and it was not downloaded (or the download failed).

    `searched` lists the folders looked in; `download_error` says why a download failed
    (None when none was tried).
    """

    def __init__(self, searched: list[Path], download_error: str | None = None) -> None:
        self.searched, self.download_error = searched, download_error
        files = ", ".join(stem + ".gz" for stem in IDX_FILES.values())
        folders = "\n".join(f"  {folder}" for folder in searched)
        message = (f"MNIST not found. Searched:\n{folders}\nPut {files} (gzip-compressed or "
                   f"not) in one of these folders, or set the environment variable {ENV_VAR} "
                   "to the folder holding them (or to its parent containing mnist/). For "
                   "5,000 digits that need no files, use load_mnist_sample().")
        super().__init__(message + (" (download=False)" if download_error is None else
                                    f"\nDownloading failed: {download_error}"))


def load_mnist(root: PathLike | None = None, download: bool = True,
               progress: bool = True, fallback: bool = True) -> Dataset:
    """Load MNIST: 60,000 training and 10,000 test digits, uint8 images (n, 28, 28).

    Searches `root`, then $CHAINRULE_DATA, then the user cache (see `cache_dir`), each for
    the four standard files; with `fallback=False`, `root` (or its mnist/ folder) alone.
    If none holds them all and `download` is true, downloads the missing ones into `root`
    (or the cache), checking the official md5 of each. Raises `MNISTNotFound` listing the
    folders searched, or `DatasetError` naming a file that is corrupt.
    """
    searched = _search_folders(root, fallback)
    for folder in searched:
        if all(_find_file(folder, stem) for stem in IDX_FILES.values()):
            return load_idx_dataset(folder)
    if not download:
        raise MNISTNotFound(searched)
    destination = Path(root) if root is not None else cache_dir() / "mnist"
    mirrors_used = set()
    try:
        destination.mkdir(parents=True, exist_ok=True)
        for stem, md5 in MNIST_MD5.items():
            if _find_file(destination, stem) is None:
                mirrors_used.add(fetch.download(stem + ".gz", destination, md5,
                                                MNIST_MIRRORS, progress))
    except (DatasetError, OSError) as error:
        raise MNISTNotFound(searched, f"into {destination}: {error}") from None
    source = f"{destination} (downloaded from {', '.join(sorted(mirrors_used))})"
    return load_idx_dataset(destination, source=source)


def load_mnist_sample() -> Dataset:
    """5,000 real MNIST training digits shipped with chainrule, split 4,000 / 1,000.

    The sample holds the first 500 of each digit in the MNIST training set. For each digit,
    the first 400 (in MNIST order) are for training and the last 100 for testing; each split
    cycles through the digits 0, 1, ..., 9, so any 10 consecutive examples hold one of each.
    """
    resource = importlib.resources.files(__package__) / SAMPLE_FILE
    with resource.open("rb") as file, np.load(file, allow_pickle=False) as npz:
        images, labels = npz["images"], npz["labels"]
    # rows are digits, columns the order within each digit
    by_digit = np.stack([np.flatnonzero(labels == digit) for digit in range(CLASSES)])
    train, test = np.split(by_digit, [by_digit.shape[1] - SAMPLE_TEST_PER_DIGIT], axis=1)
    train, test = train.T.ravel(), test.T.ravel()
    return Dataset(images[train], labels[train], images[test], labels[test],
                   source=f"MNIST sample shipped with chainrule ({resource})", is_sample=True)
