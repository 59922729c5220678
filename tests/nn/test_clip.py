"""nn.clip_grad_norm: PyTorch's clip_grad_norm_, on Tensors and Values."""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, Value


def with_grad(grad, dtype="float64"):
    t = Tensor(np.zeros(np.shape(grad)), dtype=dtype, requires_grad=True)
    t.grad = np.array(grad, dtype=dtype)
    return t


def test_clips_by_the_norm_of_all_gradients_joined():
    a, b = with_grad([3.0, 0.0]), with_grad([[0.0], [4.0]])  # joined: (3, 0, 0, 4), norm 5
    total = nn.clip_grad_norm([a, b], max_norm=1.0)
    assert total == 5.0
    scale = 1.0 / (5.0 + 1e-6)
    np.testing.assert_array_equal(a.grad, np.array([3.0, 0.0]) * scale)
    np.testing.assert_array_equal(b.grad, np.array([[0.0], [4.0]]) * scale)


def test_leaves_small_gradients_and_skips_missing_ones():
    a = with_grad([0.3, -0.4])
    no_grad = Tensor(np.ones(3), requires_grad=True)
    assert nn.clip_grad_norm([a, no_grad], 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(a.grad, [0.3, -0.4])
    assert no_grad.grad is None
    assert nn.clip_grad_norm([no_grad], 1.0) == 0.0


def test_values_and_other_norms():
    v, w = Value(1.0), Value(2.0)
    v.grad, w.grad = -6.0, 8.0
    assert nn.clip_grad_norm([v, w], 5.0, norm_type=math.inf) == 8.0
    assert (v.grad, w.grad) == (pytest.approx(-6.0 * 5 / (8 + 1e-6)), pytest.approx(5.0))
    t = with_grad([1.0, -2.0, 3.0])
    assert nn.clip_grad_norm(t, 100.0, norm_type=1) == 6.0  # a single parameter
    assert nn.clip_grad_norm(t, 100.0, norm_type="inf") == 3.0


def test_float32_gradients_stay_float32_and_keep_their_array():
    t = with_grad([30.0, 40.0], dtype="float32")
    array = t.grad
    nn.clip_grad_norm([t], 5.0)
    assert t.grad is array and t.grad.dtype == np.float32  # scaled in place, as torch's mul_
    np.testing.assert_allclose(t.grad, [3.0, 4.0], rtol=1e-6)


def test_a_nonfinite_norm_makes_nan_gradients_unless_asked_to_raise():
    a, b = with_grad([np.inf, 1.0]), with_grad([1.0])
    assert nn.clip_grad_norm([a, b], 1.0) == math.inf
    # as PyTorch: the scale max_norm / inf is 0, and inf·0 is nan
    np.testing.assert_array_equal(a.grad, [np.nan, 0.0])
    np.testing.assert_array_equal(b.grad, [0.0])
    a, b = with_grad([np.nan, 1.0]), with_grad([1.0])
    assert math.isnan(nn.clip_grad_norm([a, b], 1.0))
    assert np.isnan(a.grad).all() and np.isnan(b.grad).all()
    c = with_grad([np.nan])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        nn.clip_grad_norm([c], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="norm_type must be positive"):
        nn.clip_grad_norm([c], 1.0, norm_type=0)
    with pytest.raises(TypeError, match="must be Values or Tensors, got ndarray"):
        nn.clip_grad_norm([np.ones(2)], 1.0)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_matches_pytorch(norm_type, max_norm):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference (pip install torch)")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(shape) for shape in [(3, 4), (5,), (2, 2, 2)]]
    ours = [with_grad(g) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.tensor(g)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    total = nn.clip_grad_norm(ours, max_norm, norm_type=norm_type)
    assert total == pytest.approx(float(expected), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=0)
