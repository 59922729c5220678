"""Convolution and pooling one Value at a time (nn.scalar_conv): the same numbers and
gradients as the Tensor ops, and a shared weight that collects every position's gradient."""

from __future__ import annotations

import numpy as np
import pytest
from conv_cases import SMALL, conv_cases, pool_cases
from hypothesis import given
from tensors import leaf

import autograd as ag
from autograd import Value
from nn.functional import avg_pool2d, conv2d, max_pool2d
from nn.scalar_conv import scalar_avg_pool2d, scalar_conv2d, scalar_max_pool2d


def value_grid(a: np.ndarray, name: str) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    for index in np.ndindex(a.shape):
        out[index] = Value(float(a[index]), label=f"{name}{index}")
    return out


def grads_of(grid: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: v.grad, otypes=[float])(grid)


@SMALL
@given(conv_cases())
def test_scalar_conv2d_equals_the_tensor_op(case):
    _, c_in, _, size, kernel, stride, padding, dilation, bias, seed = case
    rng = np.random.default_rng(seed)
    image, kernel_w = rng.standard_normal((c_in,) + size), rng.standard_normal((c_in,) + kernel)
    b = float(rng.standard_normal())
    xs, ws, bv = value_grid(image, "x"), value_grid(kernel_w, "w"), Value(b)
    out = scalar_conv2d(xs, ws, stride, padding, dilation, bv if bias else None)
    weights_out = rng.standard_normal((len(out), len(out[0])))
    total = Value.sum([v * float(c) for row, crow in zip(out, weights_out)
                       for v, c in zip(row, crow)])
    total.backward()

    x, w, bt = leaf(image[None]), leaf(kernel_w[None]), leaf(np.array([b]))
    y = conv2d(x, w, bt if bias else None, stride, padding, dilation)
    (y * weights_out).sum().backward()
    values = np.array([[v.data for v in row] for row in out])
    np.testing.assert_allclose(values, y.data[0, 0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads_of(xs), x.grad[0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads_of(ws), w.grad[0], rtol=1e-10, atol=1e-10)
    if bias:
        assert bv.grad == pytest.approx(bt.grad[0], abs=1e-10)


@SMALL
@given(pool_cases())
def test_scalar_pools_equal_the_tensor_ops(case):
    (_, _, h, w), kernel, stride, seed = case
    image = np.random.default_rng(seed).integers(0, 3, (h, w)).astype(float)  # ties too
    for scalar, tensor in ((scalar_max_pool2d, max_pool2d), (scalar_avg_pool2d, avg_pool2d)):
        xs = value_grid(image, "x")
        out = scalar(xs, kernel, stride)
        Value.sum([v * (i + 1) for i, v in enumerate(o for row in out for o in row)]).backward()
        x = leaf(image[None, None])
        y = tensor(x, kernel, stride)
        (y * np.arange(1, y.size + 1).reshape(y.shape)).sum().backward()
        np.testing.assert_allclose([[v.data for v in row] for row in out], y.data[0, 0],
                                   rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(grads_of(xs), x.grad[0, 0], rtol=1e-10, atol=1e-10)


def test_a_shared_weight_collects_gradient_from_every_position():
    image = value_grid(np.arange(16.0).reshape(4, 4), "x")
    kernel = value_grid(np.array([[0.5, -1.0], [0.25, 2.0]]), "w")
    out = scalar_conv2d(image, kernel)
    assert len(out) == 3 and all(len(row) == 3 for row in out)
    loss = Value.sum([v for row in out for v in row])
    loss.backward()
    # w[i, j] multiplies x[r + i, c + j] at each of the 9 positions
    for i in range(2):
        for j in range(2):
            assert kernel[i, j].grad == sum(4.0 * (r + i) + c + j
                                            for r in range(3) for c in range(3))
    source = ag.draw_graph(loss).source
    w00 = str(id(kernel[0, 0]))
    assert sum(line.strip().startswith(f"{w00} ->") for line in source.splitlines()) == 9
