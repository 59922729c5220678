"""In-place changes through views: a view shares its base's version, as in PyTorch.

A tensor made by reshape, transpose, basic indexing or detach whose array shares memory
with its input's is a view of that input's base; `+=` (or any in-place change) through
any of them counts as a change of the base and of all its views, so backward refuses a
graph that saved one of them before the change.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, no_grad

# each: how to make a view of x that shares x's memory
VIEWS = {
    "detach then slice": lambda x: x.detach()[0:2],
    "slice": lambda x: x[0:2],
    "reshape": lambda x: x.reshape(3, 1),
    "T": lambda x: x.reshape(1, 3).T,
    "detach": lambda x: x.detach(),
    "flatten of a slice": lambda x: x[1:].flatten(),
}


@pytest.mark.parametrize("make_view", VIEWS.values(), ids=VIEWS.keys())
def test_backward_refuses_after_a_change_through_a_view(make_view):
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * w).sum()
    with no_grad():
        v = make_view(w)
        v += 100.0
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_the_issue_reproduction_refuses_outside_no_grad_too():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * w).sum()
    v = w.detach()[0:2]
    v += 100
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_a_recorded_view_changed_under_no_grad_is_caught():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * w).sum()
    v = w[0:2]  # recorded: a getitem node
    with no_grad():
        v += 100.0
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_a_change_of_the_base_is_seen_by_a_view_used_in_the_graph():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    p = Tensor([1.0, 1.0], requires_grad=True)
    head = w.detach()[0:2]  # a constant view, saved by the product below
    y = (head * p).sum()
    w.detach()[1:3].__iadd__(5.0)  # a sibling view changes head's memory
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_a_change_through_a_view_of_a_view_reaches_the_base():
    w = Tensor(np.arange(6.0), requires_grad=True)
    y = (w * w).sum()
    inner = w.detach().reshape(2, 3)[1]
    inner *= 2.0
    assert w.data[3] == 6.0  # the change really reached w's memory
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_a_copy_is_not_a_view():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * w).sum()
    picked = w.detach()[[0, 2]]  # advanced indexing copies
    picked += 100.0
    y.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0, 6.0])
    square = Tensor(np.arange(4.0), requires_grad=True)
    z = (square * square).sum()
    with no_grad():
        flat = square.reshape(2, 2).T.reshape(-1)  # numpy must copy a transpose to flatten it
        flat += 1.0
    z.backward()
    np.testing.assert_array_equal(square.grad, [0.0, 2.0, 4.0, 6.0])


def test_views_do_not_stop_a_graph_that_was_not_changed():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = (x.T.reshape(-1)[1:4] * 2.0).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 2.0, 0.0], [2.0, 2.0, 0.0]])


def test_detach_of_a_zero_d_or_empty_tensor_works():
    for t in (Tensor(1.0), Tensor(np.zeros((0, 3)))):
        twice = t.detach().detach()
        twice += 1.0
        assert t._version == 1  # the change reached the original, not an intermediate
