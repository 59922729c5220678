"""The vectorised fast path of the lecture's 784-16-16-10 network, checked two ways.

1. Against the four backpropagation equations written by hand
   (tests/support/backprop_reference.py, the no-autograd baseline of the MNIST benchmark).
2. Against the same model run one example at a time through scalar Values.
"""

import backprop_reference as reference
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn

SIZES = [784, 16, 16, 10]


def lecture_network(activation: str, seed: int, fuse: bool) -> nn.Sequential:
    model = nn.mlp(784, SIZES[1:], activation=activation, dtype="float64", seed=seed,
                   fuse=fuse)
    assert len(model) == (3 if fuse else 5)
    for layer in model:  # non-zero biases, so a wrong bias gradient cannot hide
        if isinstance(layer, nn.Linear):
            layer.bias.data = np.random.default_rng(seed).normal(0, 0.1, layer.bias.shape)
    return model


def weights_and_biases(model):
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    return [lin.weight.data for lin in linears], [lin.bias.data for lin in linears], linears


@pytest.mark.parametrize("fuse", [False, True], ids=["layers", "fused"])
@settings(max_examples=15, deadline=None)
@given(activation=st.sampled_from(["relu", "sigmoid", "tanh"]),
       batch=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_engine_gradients_equal_the_four_backprop_equations(fuse, activation, batch, seed):
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 784))
    labels = rng.integers(0, 10, batch)
    model = lecture_network(activation, seed, fuse)
    weights, biases, linears = weights_and_biases(model)

    loss = autograd.cross_entropy(model(x), labels)
    loss.backward()
    expected_loss, weight_grads, bias_grads = reference.loss_and_gradients(
        weights, biases, x, labels, activation)

    assert loss.item() == pytest.approx(expected_loss, rel=1e-12)
    for layer, dw, db in zip(linears, weight_grads, bias_grads):
        np.testing.assert_allclose(layer.weight.grad, dw, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.bias.grad, db, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fuse", [False, True], ids=["layers", "fused"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_one_example_through_values_gives_the_fast_path_gradients(activation, fuse):
    rng = np.random.default_rng(7)
    x = rng.random(784)
    label = 3
    model = lecture_network(activation, seed=1, fuse=fuse)

    loss = autograd.cross_entropy(model(x[None, :]), np.array([label]))
    loss.backward()

    view = model.to_scalar()
    scalar_loss = nn.cross_entropy(list(view(x)), [label])
    scalar_loss.backward()

    assert scalar_loss.data == pytest.approx(loss.item(), rel=1e-12)
    grads = view.grads()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad, rtol=1e-10, atol=1e-12,
                                   err_msg=f"parameter {name}")
