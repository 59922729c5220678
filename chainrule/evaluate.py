"""`chainrule evaluate`: test accuracy, loss and per-digit accuracy of a saved model."""

from __future__ import annotations

import argparse

import numpy as np

import nn
from autograd import Tensor
from chainrule import report
from chainrule.mnist import DIGITS, input_shape, inputs, load_data, load_model, logits


def evaluate(args: argparse.Namespace) -> int:
    """Run `chainrule evaluate`: print the test results of `args.model`; the exit code."""
    model = load_model(args.model)
    data = load_data(args, "evaluating on")
    x, y = inputs(data.test_images, input_shape(model)), data.test_labels.astype(np.int64)
    out = logits(model, x)
    loss = float(nn.cross_entropy(Tensor(out), y).data)
    confusion = report.confusion_matrix(y, out.argmax(axis=1))
    accuracy = report.per_class_accuracy(confusion)
    print(f"model: {args.model} ({model.num_parameters():,} parameters)")
    print(f"data: {data.source}")
    if data.is_sample:
        print("note: the sample's test digits come from MNIST's training set")
    print(f"test accuracy: {np.trace(confusion) / len(y):.2%}  loss: {loss:.4f}  "
          f"({len(y):,} digits)")
    print("digit  examples  correct  accuracy")
    for digit in range(DIGITS):
        print(f"{digit:>5}  {confusion[digit].sum():>8,}  {confusion[digit, digit]:>7,}  "
              f"{accuracy[digit]:>8.2%}")
    return 0
