"""`chainrule predict`: the digit in each image, with the top-3 probabilities."""

from __future__ import annotations

import argparse

import numpy as np

from autograd import Tensor, softmax
from chainrule.images import read_image
from chainrule.mnist import input_shape, load_model, logits


def predict(args: argparse.Namespace) -> int:
    """Run `chainrule predict`: one line per image in `args.images`; the exit code."""
    model = load_model(args.model)
    shape = input_shape(model)
    images = np.stack([read_image(path) for path in args.images])
    probabilities = softmax(Tensor(logits(model, images.reshape(len(images), *shape)))).data
    for path, p in zip(args.images, probabilities):
        top = np.argsort(p)[::-1][:3]
        print(f"{path}: {top[0]}   top-3: " + ", ".join(f"{d} {p[d]:.1%}" for d in top))
    return 0
