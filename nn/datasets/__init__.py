"""Datasets for chainrule: the IDX format, MNIST (and its look-alikes), a shipped sample."""

from nn.datasets.idx import DatasetError, read_idx, write_idx
from nn.datasets.mnist import (
    CLASSES,
    Dataset,
    MNISTNotFound,
    as_float,
    cache_dir,
    load_idx_dataset,
    load_mnist,
    load_mnist_sample,
)

__all__ = [
    "CLASSES", "Dataset", "DatasetError", "MNISTNotFound",
    "as_float", "cache_dir", "load_idx_dataset", "load_mnist", "load_mnist_sample",
    "read_idx", "write_idx",
]
