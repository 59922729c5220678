"""Ops on unusual input: ties in max, min and max pooling (one rule, both engines, checked
against central differences), and convolution or pooling settings too large to allocate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value, gradcheck
from autograd.ops.conv import conv2d, fold, unfold
from autograd.ops.pool import max_pool2d
from nn.scalar_conv import scalar_max_pool2d


# -- ties: split equally, everywhere ------------------------------------------------------
def test_max_pooling_splits_a_tie_equally_as_the_max_reduction_does():
    image = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])
    pooled = Tensor(image, requires_grad=True)
    max_pool2d(pooled, 2).sum().backward()
    reduced = Tensor(image, requires_grad=True)
    reduced.max().backward()
    np.testing.assert_array_equal(pooled.grad, [[[[0.0, 0.5], [0.5, 0.0]]]])
    np.testing.assert_array_equal(pooled.grad, reduced.grad)


def test_max_pooling_with_overlapping_windows_splits_each_window_s_tie():
    x = Tensor(np.array([[[[2.0, 2.0, 2.0]]]]), requires_grad=True)
    max_pool2d(x, (1, 2), stride=1).sum().backward()  # windows (x0, x1) and (x1, x2)
    np.testing.assert_array_equal(x.grad, [[[[0.5, 1.0, 0.5]]]])


@given(st.integers(0, 2 ** 32 - 1))
def test_max_pooling_at_two_way_ties_matches_central_differences(seed):
    # each 2x2 window holds distinct values, then a random half of them get a two-way tie
    # at the top; a two-way tie's central difference is 1/2 each, which is what the split
    # gives (a k-way tie's one-sided differences are 1/2 too, the split 1/k: not checked)
    rng = np.random.default_rng(seed)
    windows = np.stack([rng.permutation(4) for _ in range(8)]).astype(np.float64)
    tied = rng.random(8) < 0.5
    top, second = windows.argmax(axis=1), windows.argsort(axis=1)[:, -2]
    windows[tied, second[tied]] = windows[tied, top[tied]]
    image = windows.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(1, 2, 4, 4)
    back = image.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(-1, 4)
    counts = (back == back.max(axis=1, keepdims=True)).sum(axis=1)
    np.testing.assert_array_equal(counts, np.where(tied, 2, 1))  # the ties the test meant
    x = Tensor(image, requires_grad=True)
    weights = Tensor(rng.standard_normal((1, 2, 2, 2)))
    gradcheck(lambda t: (max_pool2d(t, 2) * weights).sum(), [x])


def test_maximum_at_a_tie_matches_central_differences():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 3.0]), requires_grad=True)
    assert gradcheck(lambda s, t: s.maximum(t).sum(), [a, b]).ok


def test_value_max_splits_a_tie_and_passes_a_lone_winner_itself():
    a, b, c = Value(2.0), Value(2.0), Value(1.0)
    top = Value.max([a, b, c])
    assert top.data == 2.0
    top.backward()
    assert (a.grad, b.grad, c.grad) == (0.5, 0.5, 0.0)
    lone = [Value(1.0), Value(4.0)]
    assert Value.max(lone) is lone[1]


def test_the_scalar_max_pool_splits_ties_as_the_tensor_one():
    grid = [[Value(1.0), Value(3.0)], [Value(3.0), Value(2.0)]]
    (out,), = scalar_max_pool2d(grid, 2)
    out.backward()
    assert [[v.grad for v in row] for row in grid] == [[0.0, 0.5], [0.5, 0.0]]


def test_maxout_splits_ties_in_both_engines():
    layer = nn.Maxout(2)
    x = np.array([[5.0, 5.0, 1.0, 2.0]])
    t = Tensor(x, requires_grad=True)
    layer(t).sum().backward()
    values = np.array([Value(v) for v in x[0]], dtype=object)
    for out in layer.forward_values(values, None).flat:
        out.backward()
    np.testing.assert_array_equal(t.grad[0], [0.5, 0.5, 0.0, 1.0])
    np.testing.assert_array_equal([v.grad for v in values], t.grad[0])


def test_a_nan_still_wins_its_pooling_window():
    x = Tensor(np.array([[[[1.0, np.nan], [np.nan, 0.0]]]]), requires_grad=True)
    out = max_pool2d(x, 2)
    assert np.isnan(out.data).all()
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0.0, 1.0], [0.0, 0.0]]]])


# -- sizes too large to allocate ----------------------------------------------------------
def test_a_huge_padding_fails_fast_naming_the_setting():
    layer = nn.Conv2d(1, 2, 3, padding=10 ** 6)
    with pytest.raises(ValueError, match=r"Conv2d: padding \(1000000, 1000000\) would make "
                       "the padded input"):
        layer(np.zeros((1, 1, 28, 28), dtype=np.float32))


@pytest.mark.parametrize("call", [
    lambda x: conv2d(x, Tensor(np.zeros((1, 1, 3, 3))), padding=10 ** 5),
    lambda x: unfold(x, 2, padding=10 ** 5),
    lambda x: fold(Tensor(np.zeros((1, 4, 1))), (10 ** 6, 10 ** 6), 2, stride=10 ** 6),
    lambda x: conv2d(Tensor(np.zeros((1000, 1, 30, 30))), Tensor(np.zeros((1, 1, 1, 1))),
                     padding=1500),  # each image is fine; the batch of them is not
], ids=["conv2d", "unfold", "fold", "batch"])
def test_absurd_sizes_are_refused_before_allocating(call):
    with pytest.raises(ValueError, match="elements"):
        call(Tensor(np.zeros((1, 1, 4, 4))))


def test_ordinary_sizes_still_work():
    x = Tensor(np.zeros((2, 3, 32, 32)))
    assert conv2d(x, Tensor(np.zeros((4, 3, 5, 5))), padding=2).shape == (2, 4, 32, 32)
