"""Shape ops (reshape, transpose, squeeze, concatenate, stack, pad, broadcast_to) and
indexing (getitem and its adjoint index_add): values against numpy, gradients against
central differences, errors."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_checks import checks_op
from tensors import arrays, check_second_derivatives, leaf

import autograd as ag
from autograd import Tensor, gradcheck
from autograd.ops.shape import broadcast_to, index_add


@checks_op("reshape", "transpose", order=1)
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


@checks_op("concatenate", "pad", order=1)
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


INDEXES = [
    (1,), (slice(None), 0), (slice(1, None), slice(None, None, -1)), (Ellipsis, None, 2),
    (np.array([0, 2, 0]),), ([2, 2, 1], [0, 0, 3]), (slice(None), [3, 3]),
    (range(3), np.array([1, 0, 1])),
]


@checks_op("getitem", order=1)
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


@checks_op("index_add", order=1)
@pytest.mark.parametrize("index", INDEXES, ids=repr)
def test_index_add_is_the_adjoint_of_getitem(index):
    """index_add, the node create_graph records for getitem's gradient, called directly."""
    rng = np.random.default_rng(1)
    x = leaf(rng.standard_normal((3, 4)))
    ctx = x[index].ctx  # the index as getitem normalised it
    g = leaf(rng.standard_normal(x[index].shape))
    added = index_add(g, x.shape, ctx.index, ctx.advanced)
    assert added.op.name == "index_add" and added.shape == x.shape
    # <x[i], g> == <x, index_add(g, i)>, repeated positions included
    np.testing.assert_allclose((x[index].data * g.data).sum(), (x.data * added.data).sum(),
                               rtol=1e-12)
    gradcheck(lambda t: index_add(t, x.shape, ctx.index, ctx.advanced), [g])


BROADCASTS = [((3,), (2, 3)), ((2, 1), (2, 4)), ((), (3, 2)), ((1, 3, 1), (2, 3, 4))]


@checks_op("broadcast_to", order=1)
@pytest.mark.parametrize("shape, target", BROADCASTS, ids=str)
def test_broadcast_to(shape, target):
    a = np.random.default_rng(2).standard_normal(shape)
    x = leaf(a)
    np.testing.assert_array_equal(broadcast_to(x, target).data, np.broadcast_to(a, target))
    gradcheck(lambda t: broadcast_to(t, target), [x])


def test_broadcast_to_error_names_both_shapes():
    with pytest.raises(ValueError, match=re.escape(
            "broadcast_to: cannot broadcast shape (2, 3) to (5,)")):
        broadcast_to(Tensor(np.ones((2, 3))), (5,))


SECOND_ORDER = {
    "getitem": lambda x: x[1:, ::2],
    "getitem_repeated": lambda x: x[[0, 0, 2]],  # its gradient adds rows up (index_add)
    "index_add_direct": lambda x: index_add(x, (3, 4), np.array([0, 0, 2]), True),
    "reshape": lambda x: x.reshape(-1),
    "transpose": lambda x: x.T,
    "broadcast_to": lambda x: broadcast_to(x, (2, 3, 4)),
    "concatenate": lambda x: ag.concatenate([x, x * 2.0], axis=1),
    "pad": lambda x: x.pad(((1, 0), (0, 2))),
}


@checks_op("getitem", "index_add", "reshape", "transpose", "broadcast_to", "concatenate",
           "pad", order=2)
@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_central_differences(name):
    """The gradient of each shape op is itself differentiable (create_graph), and right."""
    check_second_derivatives(SECOND_ORDER[name])
