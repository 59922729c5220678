"""Models and digits shared by the interop tests.

`cli_models` are the two networks `chainrule train` builds (see its `build_model`): the
standardising layer, then the 784-16-16-10 ReLU MLP with fused activations, or LeNet-5.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn.datasets import as_float


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """500 real MNIST test digits from the shipped sample, float32 in [0, 1], (500, 784)."""
    images = nn.load_mnist_sample().test_images[:500]
    return as_float(images).reshape(len(images), -1).astype(np.float32)


def cli_mlp(x: np.ndarray) -> nn.Sequential:
    net = nn.mlp(784, [16, 16, 10], "relu", init="he_normal", seed=0, fuse=True)
    return nn.Sequential(nn.Standardize.fit(x), *net)


def cli_lenet5(x: np.ndarray) -> nn.Sequential:
    return nn.Sequential(nn.Standardize.fit(x.reshape(-1, 1, 28, 28)), nn.LeNet5(seed=0))


@pytest.fixture(params=["mlp", "lenet5"])
def cli_model(request: pytest.FixtureRequest, digits: np.ndarray) -> tuple:
    """(model in eval mode, one example's shape, the digits in that shape)."""
    if request.param == "mlp":
        return cli_mlp(digits).eval(), (784,), digits
    return cli_lenet5(digits).eval(), (1, 28, 28), digits.reshape(-1, 1, 28, 28)


def _conv_stack() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2),
                                   seed=0), nn.ReLU())


# every layer type, alone or in the smallest network it needs: (id, factory, input shape)
MODULE_CASES = [
    ("linear", lambda: nn.Linear(6, 4, seed=0), (6,)),
    ("linear_no_bias_3d_input", lambda: nn.Linear(6, 4, bias=False, seed=0), (5, 6)),
    ("linear_fused_relu", lambda: nn.Sequential(nn.Linear(6, 4, activation="relu",
                                                            seed=0)), (6,)),
    ("linear_fused_sigmoid", lambda: nn.Sequential(nn.Linear(6, 4, activation="sigmoid",
                                                            seed=0)), (6,)),
    ("linear_fused_tanh", lambda: nn.Sequential(nn.Linear(6, 4, activation="tanh",
                                                            seed=0)), (6,)),
    ("relu", nn.ReLU, (7,)),
    ("sigmoid", nn.Sigmoid, (7,)),
    ("tanh", nn.Tanh, (2, 7)),
    ("leaky_relu", lambda: nn.LeakyReLU(0.2), (7,)),
    ("elu", lambda: nn.ELU(0.7), (7,)),
    ("softmax", lambda: nn.Softmax(axis=1), (4, 3)),
    ("maxout", lambda: nn.Sequential(nn.Linear(6, 8, seed=1), nn.Maxout(4)), (6,)),
    ("conv1d", lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, seed=0), (2, 11)),
    ("conv2d", _conv_stack, (2, 9, 8)),
    ("maxpool2d", lambda: nn.MaxPool2d((2, 3), stride=(1, 2)), (2, 7, 8)),
    ("avgpool2d", lambda: nn.AvgPool2d(2), (3, 6, 6)),
    ("flatten", lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 2, seed=0)), (3, 2, 2)),
    ("dropout_in_training_mode", lambda: nn.Sequential(nn.Dropout(0.5, seed=0),
                                                         nn.Linear(4, 2, seed=0)), (4,)),
    ("standardize", lambda: nn.Standardize(np.linspace(-1, 1, 6).reshape(2, 3), 0.5),
     (2, 3)),
    ("nested_sequential", lambda: nn.Sequential(
        nn.Sequential(nn.Linear(5, 4, seed=0), nn.Tanh()),
        nn.mlp(4, [3, 2], fuse=True, seed=1)), (5,)),
    ("lenet5_tanh_avg", lambda: nn.LeNet5(activation="tanh", pooling="avg", seed=0),
     (1, 28, 28)),
    ("lenet5_c3_table", lambda: nn.LeNet5(c3_table=True, seed=0), (1, 28, 28)),
    ("conv2d_connection_table", lambda: nn.Conv2d(
        3, 2, 3, connections=[[1, 0, 1], [0, 1, 1]], seed=0), (3, 5, 5)),
    ("float64_mlp", lambda: nn.mlp(5, [4, 3], "tanh", dtype="float64", seed=0), (5,)),
]


@pytest.fixture(params=MODULE_CASES, ids=[case[0] for case in MODULE_CASES])
def module_case(request: pytest.FixtureRequest) -> tuple:
    """(a fresh model, one example's shape, 3 random examples of the model's dtype)."""
    _, factory, shape = request.param
    model = factory()
    dtype = nn.train.model_dtype(model)
    x = np.random.default_rng(0).normal(size=(3, *shape)).astype(dtype)
    return model, shape, x
