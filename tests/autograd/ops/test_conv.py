"""Convolution: conv2d and conv1d against their definition, im2col (unfold, fold) against
a loop, first and second derivatives against central differences, PyTorch when installed."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conv_cases import SMALL, conv_cases, out_size
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_checks import checks_op
from tensors import ELEMENTS, leaf

import autograd as ag
from autograd import Tensor, conv1d, conv2d, gradcheck
from autograd.ops.conv import SHORT_ROW


def reference_conv2d(x, w, b, stride, padding, dilation):
    """Convolution straight from its definition, one output position at a time."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = w.shape[2:]
    oh = out_size(x.shape[2], kh, sh, ph, dh)
    ow = out_size(x.shape[3], kw, sw, pw, dw)
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for r in range(oh):
        for c in range(ow):
            window = xp[:, :, r * sh:r * sh + dh * (kh - 1) + 1:dh,
                        c * sw:c * sw + dw * (kw - 1) + 1:dw]
            out[:, :, r, c] = np.einsum("nckl,ockl->no", window, w)
    return out if b is None else out + b[:, None, None]


@checks_op("conv", order=1)
@SMALL
@given(conv_cases())
def test_conv2d_matches_definition_and_gradcheck(case):
    n, c_in, c_out, size, kernel, stride, padding, dilation, bias, seed = case
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal((n, c_in) + size), "x")
    w = leaf(rng.standard_normal((c_out, c_in) + kernel), "w")
    b = leaf(rng.standard_normal(c_out), "b") if bias else None
    y = conv2d(x, w, b, stride, padding, dilation)
    expected = reference_conv2d(x.data, w.data, None if b is None else b.data, stride,
                                padding, dilation)
    assert y.shape == (n, c_out) + tuple(
        out_size(*a) for a in zip(size, kernel, stride, padding, dilation))
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    inputs = [x, w] + ([b] if bias else [])
    gradcheck(lambda *t: conv2d(t[0], t[1], t[2] if bias else None, stride, padding,
                                dilation), inputs)


@checks_op("conv", order=1)
@SMALL
@given(conv_cases(dims=1))
def test_conv1d_is_conv2d_of_height_one(case):
    n, c_in, c_out, size, kernel, stride, padding, dilation, bias, seed = case
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal((n, c_in) + size))
    w = leaf(rng.standard_normal((c_out, c_in) + kernel))
    b = leaf(rng.standard_normal(c_out)) if bias else None
    y = conv1d(x, w, b, stride, padding, dilation)
    expected = reference_conv2d(x.data[:, :, None], w.data[:, :, None],
                                None if b is None else b.data, (1,) + stride,
                                (0,) + padding, (1,) + dilation)[:, :, 0]
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    inputs = [x, w] + ([b] if bias else [])
    gradcheck(lambda *t: conv1d(t[0], t[1], t[2] if bias else None, stride, padding,
                                dilation), inputs)


@checks_op("conv", order=2)
@pytest.mark.parametrize("stride", [1, 2])  # the fast (stride 1) and the general input gradient
def test_second_derivatives_of_conv2d(stride):
    rng = np.random.default_rng(7)
    x = leaf(rng.standard_normal((1, 2, 5, 6)))
    w = leaf(rng.standard_normal((3, 2, 3, 3)))
    gradcheck(ag.grad(lambda t: conv2d(t, w, stride=stride).tanh().sum()), [x])
    gradcheck(ag.grad(lambda v: conv2d(x, v, stride=stride).tanh().sum()), [w])


def test_conv2d_matches_pytorch():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(11)
    for stride, padding, dilation in [(1, 2, 1), ((2, 1), (0, 1), (1, 2)), (3, 1, 2)]:
        a, k, bias = (rng.standard_normal(s) for s in ((3, 4, 11, 10), (5, 4, 3, 3), (5,)))
        x, w, b = leaf(a), leaf(k), leaf(bias)
        tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (a, k, bias))
        y = conv2d(x, w, b, stride, padding, dilation)
        ty = functional.conv2d(tx, tw, tb, stride, padding, dilation)
        g = rng.standard_normal(y.shape)
        y.backward(g)
        ty.backward(torch.tensor(g))
        for ours, theirs in ((y.data, ty), (x.grad, tx.grad), (w.grad, tw.grad),
                             (b.grad, tb.grad)):
            np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


# -- im2col: unfold and its adjoint fold ------------------------------------------
def loop_unfold(x, k, s, p, d):
    """The definition, one output pixel at a time (2-D)."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((n, c * k[0] * k[1], oh * ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * s[0]:i * s[0] + d[0] * (k[0] - 1) + 1:d[0],
                       j * s[1]:j * s[1] + d[1] * (k[1] - 1) + 1:d[1]]
            cols[:, :, i * ow + j] = patch.reshape(n, -1)
    return cols


@st.composite
def conv_settings(draw, max_width=6):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, d[0] * (k[0] - 1) + 1 - 2 * p[0]), 6))
    w = draw(st.integers(max(1, d[1] * (k[1] - 1) + 1 - 2 * p[1]), max_width))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w)
    return draw(hnp.arrays(np.float64, shape, elements=ELEMENTS)), k, s, p, d


@checks_op("unfold", "fold", order=(1, 2))
@given(case=conv_settings())
def test_unfold_matches_the_loop_and_gradcheck(case):
    a, k, s, p, d = case
    x = leaf(a)
    cols = ag.unfold(x, k, stride=s, padding=p, dilation=d)
    np.testing.assert_array_equal(cols.data, loop_unfold(a, k, s, p, d))
    gradcheck(lambda t: ag.unfold(t, k, s, p, d), [x])
    size = a.shape[2:]
    c = leaf(cols.data)
    # fold is unfold's adjoint: <unfold(x), c> == <x, fold(c)>
    folded = ag.fold(c, size, k, s, p, d)
    np.testing.assert_allclose((cols.data * c.data).sum(), (a * folded.data).sum(), rtol=1e-10)
    gradcheck(lambda t: ag.fold(t, size, k, s, p, d), [c])
    second = ag.grad(lambda t: (ag.unfold(t, k, s, p, d) ** 2).sum())
    # the create_graph gradient must equal the plain one, and differentiate correctly
    plain = ag.grad(lambda t: (ag.unfold(t, k, s, p, d) ** 2).sum())(a)
    np.testing.assert_allclose(second(x).data, plain, rtol=1e-12)
    gradcheck(second, [x])
    gradcheck(ag.grad(lambda t: (ag.fold(t, size, k, s, p, d) ** 2).sum()), [c])


@given(case=conv_settings(max_width=3 * SHORT_ROW))
def test_unfold_of_short_and_long_rows_matches_the_loop(case):
    # rows narrower than SHORT_ROW are copied in two steps, longer ones in one
    a, k, s, p, d = case
    cols = ag.unfold(Tensor(a, dtype="float64"), k, stride=s, padding=p, dilation=d)
    np.testing.assert_array_equal(cols.data, loop_unfold(a, k, s, p, d))


def test_unfold_1d_and_shapes():
    a = np.arange(2 * 3 * 7, dtype=np.float64).reshape(2, 3, 7)
    cols = ag.unfold(Tensor(a, dtype="float64"), 3, stride=2, padding=1)
    assert cols.shape == (2, 9, 4)
    np.testing.assert_array_equal(cols.data, loop_unfold(a[:, :, None, :], (1, 3), (1, 2),
                                                         (0, 1), (1, 1)))
    x = leaf(a)
    gradcheck(lambda t: ag.unfold(t, 2, dilation=2), [x])
    assert ag.fold(Tensor(cols.data), 7, 3, stride=2, padding=1).shape == (2, 3, 7)
    assert ag.unfold(Tensor(np.ones((1, 2, 5, 5))), 3).shape == (1, 18, 9)


def test_unfold_errors_state_the_formula():
    x = Tensor(np.ones((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=re.escape(
            "unfold: kernel 7x3 is larger than the padded input 5x5 (H + 2P = 5 + 2*0); "
            "out = (N + 2P - D(F-1) - 1)/S + 1 needs D(F-1) + 1 <= N + 2P")):
        ag.unfold(x, (7, 3))
    with pytest.raises(ValueError, match=re.escape(
            "unfold: stride must be >= 1, got 0 (out = (N + 2P - D(F-1) - 1)/S + 1)")):
        ag.unfold(x, 3, stride=0)
    with pytest.raises(ValueError, match=re.escape(
            "unfold: input must have shape (N, C, H, W) or (N, C, L), got (5, 5)")):
        ag.unfold(Tensor(np.ones((5, 5))), 3)
    with pytest.raises(ValueError, match="kernel_size needs 2 values"):
        ag.unfold(x, (3, 3, 3))
    with pytest.raises(ValueError, match="fold: columns of shape"):
        ag.fold(Tensor(np.ones((1, 9, 5))), (5, 5), 3)
