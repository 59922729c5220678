"""Pooling: max_pool2d and avg_pool2d against their definition, ties, their adjoints
(max_unpool2d, avg_unpool2d), first and second derivatives against central differences,
PyTorch when installed."""

from __future__ import annotations

import numpy as np
import pytest
from conv_cases import SMALL, pool_cases
from hypothesis import given
from op_checks import checks_op
from tensors import flat_gradient, leaf

import autograd as ag
from autograd import avg_pool2d, conv2d, gradcheck, max_pool2d


def reference_pool(x, kernel, stride, reduce):
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    out = np.zeros(x.shape[:2] + (oh, ow))
    for r in range(oh):
        for c in range(ow):
            out[:, :, r, c] = reduce(x[:, :, r * sh:r * sh + kh, c * sw:c * sw + kw],
                                     axis=(2, 3))
    return out


@checks_op("max_pool2d", order=1)
@SMALL
@given(pool_cases())
def test_max_pool2d_matches_definition_and_gradcheck(case):
    shape, kernel, stride, seed = case
    rng = np.random.default_rng(seed)
    # distinct values 0.1 apart: no ties, so central differences see one smooth max
    x = leaf(rng.permutation(np.prod(shape)).reshape(shape) * 0.1)
    y = max_pool2d(x, kernel, stride)
    expected = reference_pool(x.data, kernel, stride or kernel, np.max)
    np.testing.assert_array_equal(y.data, expected)
    gradcheck(lambda t: max_pool2d(t, kernel, stride), [x])


@checks_op("avg_pool2d", order=1)
@SMALL
@given(pool_cases())
def test_avg_pool2d_matches_definition_and_gradcheck(case):
    shape, kernel, stride, seed = case
    x = leaf(np.random.default_rng(seed).standard_normal(shape))
    y = avg_pool2d(x, kernel, stride)
    expected = reference_pool(x.data, kernel, stride or kernel, np.mean)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    gradcheck(lambda t: avg_pool2d(t, kernel, stride), [x])


def test_max_pool_splits_a_tied_window_gradient_among_its_maxima():
    x = leaf(np.array([[[[0.0, 0.0, 1.0, 3.0],
                         [0.0, 0.0, 3.0, 2.0],
                         [5.0, 5.0, 0.0, 0.0],
                         [5.0, 5.0, 0.0, 0.0]]]]))
    y = max_pool2d(x, 2)  # overlapping windows too: (3, 1) shares elements between windows
    y.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[0.25, 0.25, 0, 1], [0.25, 0.25, 1, 0],
                                                 [0.75, 0.75, 1, 1], [0.75, 0.75, 1, 1]])
    x.grad = None
    max_pool2d(x, 3, 1).sum().backward()  # each window's max counted once per window
    np.testing.assert_array_equal(x.grad[0, 0], [[0, 0, 0, 0], [0, 0, 0, 0],
                                                 [0.75, 2.25, 0, 0], [0.25, 0.75, 0, 0]])
    nan = leaf(np.array([[[[1.0, np.nan], [2.0, 0.0]]]]))
    assert np.isnan(max_pool2d(nan, 2).data).all()
    max_pool2d(nan, 2).sum().backward()  # the gradient goes to the nan that won the window
    np.testing.assert_array_equal(nan.grad[0, 0], [[0.0, 1.0], [0.0, 0.0]])


@checks_op("max_pool2d", "avg_pool2d", "conv", order=2)
@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_second_derivatives_through_conv_and_pooling(pool):
    rng = np.random.default_rng(7)
    x = leaf(rng.standard_normal((1, 2, 5, 6)))
    w = leaf(rng.standard_normal((3, 2, 3, 3)))
    b = leaf(rng.standard_normal(3))
    cx, cw, cb = (rng.standard_normal(t.shape) for t in (x, w, b))

    def first(x, w, b):
        y = pool(conv2d(x, w, b, padding=1).tanh(), 2)
        return (y * y).sum()

    def second(x, w, b):  # a gradient built with create_graph, checked as a function
        gx, gw, gb = ag.grad(first)(x, w, b)
        return (gx * cx).sum() + (gw * cw).sum() + (gb * cb).sum()

    gradcheck(second, [x, w, b])



@checks_op("max_unpool2d", "avg_unpool2d", order=(1, 2))
@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d], ids=lambda f: f.__name__)
@SMALL
@given(pool_cases())
def test_the_adjoint_recorded_for_second_derivatives(pool, case):
    """The pool's gradient as create_graph records it (max_unpool2d or avg_unpool2d), taken
    as a function of the window gradients g: the adjoint of pooling, checked both ways."""
    shape, kernel, stride, seed = case
    rng = np.random.default_rng(seed)
    x = leaf(rng.permutation(np.prod(shape)).reshape(shape) * 0.1)  # no ties: fixed winners
    y = pool(x, kernel, stride)

    def unpool(g):
        (grad_x,) = y.op.grad(g, y.data, y.ctx, x)
        return grad_x

    g = leaf(rng.standard_normal(y.shape))
    assert unpool(g).op.name == pool.__name__.replace("pool", "unpool")
    # <pool(x), g> == <x, unpool(g)>: the windows' values read where the gradient is sent
    np.testing.assert_allclose((y.data * g.data).sum(), (x.data * unpool(g).data).sum(),
                               rtol=1e-12)
    gradcheck(unpool, [g])
    gradcheck(flat_gradient(unpool), [g])


def test_pools_match_pytorch():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(11)
    # average pooling on relu outputs (windows full of tied zeros); max pooling where no
    # window ties: at a tie PyTorch sends the gradient to one maximum, and we split it
    untied = rng.standard_normal((2, 3, 9, 8))
    for pool, theirs_fn, a in ((max_pool2d, functional.max_pool2d, untied),
                               (avg_pool2d, functional.avg_pool2d, np.maximum(untied, 0.0))):
        for kernel, stride in ((2, None), (3, 2), ((2, 3), (1, 2))):
            x, tx = leaf(a), torch.tensor(a, requires_grad=True)
            y, ty = pool(x, kernel, stride), theirs_fn(tx, kernel, stride)
            g = rng.standard_normal(y.shape)
            y.backward(g)
            ty.backward(torch.tensor(g))
            np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12)
            np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_second_derivatives_through_max_pooling_with_tied_windows():
    """The gradient of the pool's gradient with respect to the window gradients reads the
    tied maxima by their shares (max_unpool2d's rule), windows of zeros included."""
    x = leaf(np.array([[[[0.0, 0.0, 1.0, 3.0],
                         [0.0, 0.0, 3.0, 2.0],
                         [5.0, 5.0, 0.0, 1.0],
                         [5.0, 5.0, 0.0, 0.0]]]]))
    u = np.random.default_rng(3).standard_normal(x.shape)

    def weighted_input_gradient(v):
        (gx,) = ag.gradients((max_pool2d(x, 2) * v).sum(), [x], create_graph=True)
        return (gx * gx * ag.Tensor(u)).sum()

    v = leaf(np.random.default_rng(4).standard_normal((1, 1, 2, 2)))
    gradcheck(weighted_input_gradient, [v])
