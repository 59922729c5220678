"""Edge cases found by reading the code as a demanding user would, each once a real defect."""

import os
import stat

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, Value, trace_backward


def test_a_trace_frame_of_a_very_wide_node_still_renders(tmp_path):
    # graphviz refuses labels past 16,384 characters: the caption counts what it leaves out
    trace = trace_backward(Value.sum([Value(float(i)) for i in range(3000)]))
    assert "and 2,988 more inputs" in trace[1].text()
    ag.render_graph(trace[1].draw(), tmp_path / "wide.svg")
    assert (tmp_path / "wide.svg").stat().st_size > 0


def test_gradcheck_checks_a_function_that_differentiates_inside():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 3)), dtype="float64")
    w = Tensor(rng.standard_normal((3, 4)), dtype="float64", requires_grad=True)

    def gradient_penalty(w):
        (g,) = ag.gradients(ag.cross_entropy(x @ w, [0, 1, 2, 3, 0]), [w], create_graph=True)
        return (g * g).sum()

    assert ag.gradcheck(gradient_penalty, [w]).ok


def test_leaves_never_share_one_gradient_array():
    a, b = (Tensor(np.ones(3), requires_grad=True) for _ in range(2))
    c = Tensor(np.full(3, 2.0), requires_grad=True)
    ((a + b) * c).sum().backward()
    assert a.grad is not b.grad
    a.grad *= 0.5
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])


def test_an_in_place_change_through_detach_is_caught():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * x).sum()
    d = x.detach()
    d += 1
    with pytest.raises(RuntimeError, match=r"a tensor used by 'mul' was modified in place"):
        y.backward()


@pytest.mark.parametrize("data, name", [([None], "NoneType"), ([1.0, "a"], "str")])
def test_a_tensor_of_non_numbers_is_refused_not_turned_into_nan(data, name):
    with pytest.raises(TypeError, match=f"Tensor: data must be numbers, got {name}"):
        Tensor(data)


def test_saving_into_a_missing_folder_names_the_target(tmp_path):
    target = tmp_path / "missing" / "model.npz"
    with pytest.raises(FileNotFoundError, match=f"cannot write {target}: the folder"):
        nn.save(nn.Linear(2, 1, seed=0), target)
    assert not (tmp_path / "missing").exists()


def test_saved_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        nn.save(nn.Linear(2, 1, seed=0), tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model.npz").stat().st_mode) == 0o644


def test_lenet5_says_which_image_size_it_needs():
    with pytest.raises(ValueError, match=r"LeNet5 expects images of shape \(N, 1, 28, 28\), "
                                         r"got \(2, 1, 32, 32\)"):
        nn.LeNet5(seed=0)(np.zeros((2, 1, 32, 32), np.float32))
