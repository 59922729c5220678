"""What the commands share: MNIST's shapes, finding its data, and running a saved classifier."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import nn
from autograd import Tensor, no_grad
from nn.datasets import CLASSES, Dataset, DatasetError, MNISTNotFound, as_float, load_mnist_sample
from nn.datasets.mnist import IDX_FILES

PIXELS, SIDE = 784, 28
DIGITS = CLASSES  # one output per digit


class UsageError(Exception):
    """A problem with what the user asked for: reported as an argparse error (exit code 2)."""


class DataError(Exception):
    """A file that is not what it should be (a model, an image, MNIST): exit code 1."""


def load_data(args: argparse.Namespace, doing: str) -> Dataset:
    """Full MNIST if it can be found or downloaded, else the shipped sample (said aloud).

    An explicit `--data` folder is searched alone (never downloaded into): MNIST is there,
    or the command fails naming it.
    """
    if args.sample:
        return load_mnist_sample()
    if args.data is not None:
        try:
            return nn.load_mnist(args.data, download=False, fallback=False)
        except MNISTNotFound as error:
            files = ", ".join(IDX_FILES.values())
            raise UsageError(f"--data {args.data}: no MNIST files there (looked in "
                             f"{' and '.join(map(str, error.searched))} for {files}, "
                             "gzip-compressed or not)") from error
        except (DatasetError, OSError) as error:
            raise DataError(f"--data {args.data}: {str(error).splitlines()[0]}") from error
    try:
        return nn.load_mnist(download=args.download)
    except (DatasetError, OSError) as error:
        if isinstance(error, MNISTNotFound):
            reason = (f"full MNIST not found (searched "
                      f"{', '.join(str(f) for f in error.searched)})")
            if error.download_error is not None:
                reason += f" and the download failed ({error.download_error})"
        else:
            reason = f"full MNIST could not be loaded ({str(error).splitlines()[0]})"
        print(f"{reason}; {doing} the 5,000-digit sample shipped with chainrule")
        return load_mnist_sample()


def input_shape(model: nn.Module) -> tuple[int, ...]:
    """One example's shape, from the first layer that takes the image."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return (module.in_channels, SIDE, SIDE)
        if isinstance(module, nn.Linear):
            return (module.in_features,)
    raise ValueError("it has no Linear or Conv2d layer to take the image")


def inputs(images: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """uint8 images -> float32 in [0, 1], in the model's input shape."""
    return as_float(images).reshape(len(images), *shape)


def logits(model: nn.Module, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The model's outputs for the examples `x`, in evaluation mode and without a graph."""
    model.eval()
    with no_grad():
        return np.concatenate([model(Tensor(xb, dtype=nn.train.model_dtype(model))).data
                               for xb in nn.DataLoader(x, batch_size=batch_size)])


def load_model(path: Path) -> nn.Module:
    """A saved MNIST classifier; UsageError if `path` is no file, DataError saying why the
    file is not an MNIST classifier."""
    if not path.is_file():
        raise UsageError(f"model file {str(path)!r} does not exist"
                         + (" (it is a folder)" if path.is_dir() else ""))
    try:
        model = nn.load(path)
        shape = input_shape(model)
        out = logits(model, np.zeros((1, *shape), dtype=np.float32))
    except (ValueError, OSError) as error:
        raise DataError(f"{path} is not a chainrule MNIST model: {error}") from error
    if shape not in ((PIXELS,), (1, SIDE, SIDE)) or out.shape != (1, DIGITS):
        raise DataError(f"{path} is a chainrule model but not an MNIST classifier: it takes "
                         f"inputs of shape {shape} and gives {out.shape[1:]} outputs, not "
                         f"{PIXELS} pixels -> {DIGITS} digits")
    return model
