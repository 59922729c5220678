"""Tensor-only ops (reductions, shapes, indexing, matmul, selections, softmax): values
against numpy and gradients against central differences, on hypothesis-drawn shapes."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, gradcheck

ELEMENTS = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
SPACED = st.integers(-300, 300).map(lambda k: k / 100)  # distinct values differ by >= 0.01
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def arrays(shape=SHAPES, elements=ELEMENTS, unique=False):
    return hnp.arrays(np.float64, shape, elements=elements, unique=unique)


def leaf(a):
    return Tensor(a, dtype="float64", requires_grad=True)


@st.composite
def array_and_axis(draw, unique=False):
    """An array, an axis argument (None, an int or a tuple, maybe negative), keepdims."""
    a = draw(arrays(elements=SPACED, unique=True) if unique else arrays())
    axis = None
    if a.ndim and draw(st.booleans()):
        axes = draw(st.lists(st.integers(0, a.ndim - 1), min_size=1, unique=True))
        axes = [k - a.ndim if draw(st.booleans()) else k for k in axes]
        axis = axes[0] if len(axes) == 1 and draw(st.booleans()) else tuple(axes)
    return a, axis, draw(st.booleans())


# -- reductions --------------------------------------------------------------------------
REFERENCE = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
             "logsumexp": lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis,
                                                                  keepdims=keepdims))}


@pytest.mark.parametrize("name", sorted(REFERENCE))
@given(case=array_and_axis(unique=True))  # distinct values: max/min differentiable
def test_reductions(name, case):
    a, axis, keepdims = case
    x = leaf(a)
    out = getattr(x, name)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, REFERENCE[name](a, axis=axis, keepdims=keepdims),
                               rtol=1e-12, atol=1e-12)
    gradcheck(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), [x])


def test_max_min_split_the_gradient_among_ties():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = leaf([4.0, 1.0, 1.0])
    y.min().backward()
    np.testing.assert_allclose(y.grad, [0, 0.5, 0.5])


def test_argmax_and_reduction_errors():
    x = Tensor([[1.0, 5.0], [7.0, 2.0]])
    np.testing.assert_array_equal(x.argmax(axis=1), [1, 0])
    assert x.argmax() == 2
    with pytest.raises(ValueError, match=re.escape("sum: axis 2 is out of range for shape "
                                                   "(2, 2)")):
        x.sum(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        x.mean(axis=(0, -2))
    with pytest.raises(ValueError, match=re.escape("max: cannot reduce an empty axis of shape "
                                                   "(0, 3)")):
        Tensor(np.ones((0, 3))).max(axis=0)


def test_logsumexp_is_stable():
    x = leaf([[1e4, 0.0, -1e4], [-np.inf, 5.0, 5.0]])
    out = x.logsumexp(axis=1)
    np.testing.assert_allclose(out.data, [1e4, 5.0 + np.log(2.0)])
    out.sum().backward()
    assert np.isfinite(x.grad).all()


# -- shapes ------------------------------------------------------------------------------
@given(a=arrays(), data=st.data())
def test_reshape_transpose_flatten(a, data):
    x = leaf(a)
    perm = data.draw(st.permutations(range(a.ndim)))
    for fn, expected in [
        (lambda t: t.reshape(-1), a.reshape(-1)),
        (lambda t: t.reshape(a.shape[::-1]), a.reshape(a.shape[::-1])),
        (lambda t: t.transpose(*perm) if perm else t.transpose(), np.transpose(a, perm)),
        (lambda t: t.permute(tuple(perm)), np.transpose(a, perm)),
        (lambda t: t.T, a.T),
        (lambda t: t.flatten(), a.reshape(-1)),
        (lambda t: t.unsqueeze(0).unsqueeze(-1), a[None, ..., None]),
        (lambda t: t.squeeze(), np.squeeze(a)),
    ]:
        np.testing.assert_array_equal(fn(x).data, expected)
        gradcheck(fn, [x])


def test_flatten_squeeze_unsqueeze_shapes_and_errors():
    x = Tensor(np.zeros((2, 1, 3, 4)))
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(1, 2).shape == (2, 3, 4)
    assert x.squeeze(1).shape == (2, 3, 4)
    assert x.unsqueeze(-1).shape == (2, 1, 3, 4, 1)
    assert x.swapaxes(0, -1).shape == (4, 1, 3, 2)
    with pytest.raises(ValueError, match=re.escape("squeeze: axis 0 has length 2, not 1")):
        x.squeeze(0)
    with pytest.raises(ValueError, match=re.escape(
            "reshape: cannot reshape shape (2, 1, 3, 4) (24 elements) into (5, 5)")):
        x.reshape(5, 5)
    with pytest.raises(ValueError, match="not a permutation"):
        x.transpose(0, 0, 1, 2)
    with pytest.raises(ValueError, match=r"squeeze: repeated axis in \(0, 0\)"):
        Tensor(np.ones((1, 3))).squeeze((0, 0))  # numpy refuses it too


@given(a=arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_concatenate_stack_pad(a, data):
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    b = data.draw(arrays(st.just(a.shape)))
    x, y = leaf(a), leaf(b)
    np.testing.assert_array_equal(ag.concatenate([x, y], axis).data,
                                  np.concatenate([a, b], axis))
    gradcheck(lambda s, t: ag.concatenate([s, t, s], axis), [x, y])
    gradcheck(lambda s, t: ag.stack([s, t], axis), [x, y])
    widths = data.draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                                min_size=a.ndim, max_size=a.ndim))
    np.testing.assert_array_equal(x.pad(widths, 1.5).data, np.pad(a, widths,
                                                                   constant_values=1.5))
    gradcheck(lambda t: ag.pad(t, widths) * 2.0, [x])


def test_join_errors():
    a, b = Tensor(np.ones((2, 3)), dtype="float32"), Tensor(np.ones((2, 4)), dtype="float32")
    assert ag.concatenate([a, b], axis=1).shape == (2, 7)
    with pytest.raises(ValueError, match=re.escape(
            "concatenate: tensor 1 has shape (2, 4), but tensor 0 has shape (2, 3)")):
        ag.concatenate([a, b])
    with pytest.raises(ValueError, match="stack: tensor 1 has shape"):
        ag.stack([a, b])
    with pytest.raises(TypeError, match="concatenate: dtype mismatch"):
        ag.concatenate([a, Tensor(np.ones((2, 3)), dtype="float64")])
    with pytest.raises(ValueError, match="pad: pad_width must be non-negative ints"):
        a.pad(-1)


# -- indexing ----------------------------------------------------------------------------
INDEXES = [
    (1,), (slice(None), 0), (slice(1, None), slice(None, None, -1)), (Ellipsis, None, 2),
    (np.array([0, 2, 0]),), ([2, 2, 1], [0, 0, 3]), (slice(None), [3, 3]),
    (range(3), np.array([1, 0, 1])),
]


@pytest.mark.parametrize("index", INDEXES, ids=repr)
def test_getitem(index):
    a = np.random.default_rng(0).standard_normal((3, 4))
    x = leaf(a)
    np.testing.assert_array_equal(x[index].data, a[index])
    gradcheck(lambda t: t[index] * 1.0, [x])


def test_getitem_boolean_mask_and_repeated_labels():
    a = np.arange(12.0).reshape(3, 4)
    x = leaf(a)
    mask = a % 3 == 0
    np.testing.assert_array_equal(x[mask].data, a[mask])
    x[Tensor(mask.astype(float)) > 0].sum().backward()
    np.testing.assert_array_equal(x.grad, mask.astype(float))
    y = leaf(a)
    labels = np.array([1, 1, 1])
    y[np.arange(3), labels].sum().backward()
    y[[0, 0], [2, 2]].sum().backward()  # a repeated index collects both gradients
    assert y.grad[0, 2] == 2.0 and y.grad[:, 1].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(IndexError, match=r"getitem: .*out of bounds.*\(tensor shape \(3, 4\)\)"):
        x[5]
    assert [row.shape for row in Tensor(np.ones((2, 3)))] == [(3,), (3,)]


# -- matmul ------------------------------------------------------------------------------
MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)),
                 ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((1, 1), (1, 1))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_matmul(shapes, data):
    a, b = (data.draw(arrays(st.just(s))) for s in shapes)
    x, y = leaf(a), leaf(b)
    np.testing.assert_allclose((x @ y).data, a @ b, rtol=1e-12)
    gradcheck(lambda s, t: s @ t, [x, y])
    gradcheck(lambda s: s @ b, [x])  # the constant operand gets no gradient work
    gradcheck(lambda t: a @ t, [y])


def test_matmul_errors():
    with pytest.raises(ValueError, match=re.escape(
            "matmul: shapes (3, 4) and (5, 6) are not aligned: 4 (dim 1 of a) != 5 (dim 0 of "
            "b)")):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 6)))
    with pytest.raises(ValueError, match="batch axes of shapes"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match="at least 1 axis"):
        ag.matmul(Tensor(2.0), Tensor([1.0]))


# -- selections --------------------------------------------------------------------------
AWAY = st.floats(-3.0, 3.0).filter(lambda v: min(abs(v - 0.5), abs(v + 0.5)) > 1e-3)


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                max_side=3), data=st.data())
def test_clip_maximum_minimum_where(shapes, data):
    sa, sb, sc = shapes.input_shapes
    a = data.draw(arrays(st.just(sa), AWAY))
    b = data.draw(arrays(st.just(sb)))
    cond = data.draw(hnp.arrays(bool, sc))
    x, y = leaf(a), leaf(b)
    np.testing.assert_array_equal(x.clip(-0.5, 0.5).data, np.clip(a, -0.5, 0.5))
    gradcheck(lambda t: t.clip(-0.5, 0.5), [x])
    gradcheck(lambda t: ag.clip(t, hi=0.5), [x])
    np.testing.assert_array_equal(ag.where(cond, x, y).data, np.where(cond, a, b))
    gradcheck(lambda s, t: ag.where(cond, s, t), [x, y])
    gradcheck(lambda s: ag.where(Tensor(cond.astype(float)), s, 2.0), [x])
    shifted = leaf(a + 0.25)  # a and 0.25 + a never tie
    np.testing.assert_array_equal(ag.maximum(x, shifted).data, np.maximum(a, a + 0.25))
    gradcheck(lambda s, t: ag.maximum(s, t) * 1.5, [x, shifted])
    gradcheck(lambda s, t: ag.minimum(s, t) * 1.5, [x, shifted])
    gradcheck(lambda s: ag.maximum(s, 0.5), [x])


def test_maximum_ties_split_and_errors():
    a, b = leaf([1.0, 2.0]), leaf([1.0, 3.0])
    ag.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0])
    np.testing.assert_array_equal(b.grad, [0.5, 1.0])
    with pytest.raises(ValueError, match="clip: lo 2 is greater than hi 1"):
        a.clip(2, 1)
    with pytest.raises(ValueError, match=re.escape("maximum: shapes (2,) and (3,)")):
        ag.maximum(a, leaf([1.0, 2.0, 3.0]))


# -- softmax -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(a=arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_softmax(name, a, data):
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    x = leaf(a)
    log_p = a - np.log(np.exp(a).sum(axis=axis, keepdims=True))
    expected = np.exp(log_p) if name == "softmax" else log_p
    np.testing.assert_allclose(getattr(x, name)(axis).data, expected, rtol=1e-10, atol=1e-12)
    gradcheck(lambda t: getattr(ag, name)(t, axis=axis), [x])
    second = ag.grad(lambda t: (getattr(t, name)(axis) * np.cos(a)).sum())
    gradcheck(second, [x])  # create_graph through the op's own derivative


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_stable_at_large_logits(name):
    for dtype in ("float32", "float64"):
        x = Tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], dtype=dtype, requires_grad=True)
        out = getattr(x, name)()
        assert np.isfinite(out.data).all()
        (out * Tensor([[1.0, 2.0, 3.0]], dtype=dtype)).sum().backward()
        assert np.isfinite(x.grad).all()


# -- second derivatives of the shape, reduction and selection ops -----------------------
SECOND_ORDER = {
    "sum": lambda x: x.sum(axis=0),
    "mean": lambda x: x.mean(axis=1, keepdims=True),
    "max": lambda x: x.max(axis=0),
    "min": lambda x: x.min(axis=1),
    "logsumexp": lambda x: x.logsumexp(axis=1),
    "getitem": lambda x: x[1:, ::2],
    "getitem_repeated": lambda x: x[[0, 0, 2]],  # its gradient adds rows up (index_add)
    "reshape": lambda x: x.reshape(-1),
    "transpose": lambda x: x.T,
    "concatenate": lambda x: ag.concatenate([x, x * 2.0], axis=1),
    "pad": lambda x: x.pad(((1, 0), (0, 2))),
    "clip": lambda x: x.clip(-0.5, 0.5),
    "maximum": lambda x: ag.maximum(x, 0.1),
    "where": lambda x: ag.where(x.data > 0, x * x, -x),
    "matmul": lambda x: x @ x.T,
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_central_differences(name):
    """The gradient of each op is itself differentiable (create_graph), and right."""
    f = SECOND_ORDER[name]
    # distinct values well away from every kink (0, ±0.5, 0.1) and from each other
    x = Tensor(np.array([[0.31, -1.2, 0.83, 1.7], [-0.27, 2.2, -0.74, 0.62],
                         [1.15, -0.38, 0.21, -1.55]]), dtype="float64", requires_grad=True)
    gradient = ag.grad(lambda y: (f(y).tanh() ** 2).sum())
    gradcheck(lambda y: gradient(y), [x])
