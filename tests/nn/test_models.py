"""The model zoo (nn.models): LeNet-5 against PyTorch, learning, and its input check."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.datasets import load_mnist_sample


def test_lenet5_weights_load_into_pytorch_one_to_one():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    ours = nn.models.LeNet5(seed=0)
    theirs = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5),
        tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(),
        tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    labels = np.array([0, 3, 9, 4])
    loss = nn.cross_entropy(ours(Tensor(x)), labels)
    loss.backward()
    their_loss = tnn.functional.cross_entropy(theirs(torch.from_numpy(x)),
                                              torch.from_numpy(labels))
    their_loss.backward()
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=name)


def test_lenet5_learns_the_shipped_digits():
    data = load_mnist_sample()
    x = (data.train_images[:, None] / np.float32(255)).astype(np.float32)
    model = nn.models.LeNet5(seed=0)
    optimizer = nn.Adam(model.parameters(), lr=3e-3)
    loader = nn.DataLoader(x, data.train_labels.astype(np.int64), batch_size=32,
                           shuffle=True, seed=0)
    nn.fit(model, nn.cross_entropy, optimizer, loader, epochs=1, progress=False)
    test = (data.test_images[:, None] / np.float32(255)).astype(np.float32)
    assert nn.accuracy(model(Tensor(test)), data.test_labels) > 0.9  # 0.937 when written


def test_lenet5_says_which_image_size_it_needs():
    with pytest.raises(ValueError, match=r"LeNet5 expects images of shape \(N, 1, 28, 28\), "
                                         r"got \(2, 1, 32, 32\)"):
        nn.LeNet5(seed=0)(np.zeros((2, 1, 32, 32), np.float32))
