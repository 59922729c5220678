"""Losses and penalties: values against closed forms, float64 gradchecks, stability, Values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value, gradcheck

RNG = np.random.default_rng(0)
PRED = RNG.normal(size=(5, 3))
TARGET = RNG.normal(size=(5, 3))
PROB = RNG.uniform(0.05, 0.95, size=(6,))
BITS = (RNG.random(6) > 0.5).astype(np.float64)
SIGNS = np.where(RNG.random(6) > 0.5, 1.0, -1.0)
LABELS = np.array([0, 2, 1, 1, 2])


def _t(x):
    return Tensor(x, dtype="float64", requires_grad=True)


CASES = [
    ("mse", lambda p: nn.mse_loss(p, TARGET), PRED,
     lambda: np.mean((PRED - TARGET) ** 2)),
    ("quadratic", lambda p: nn.quadratic_cost(p, TARGET), PRED,
     lambda: np.sum((PRED - TARGET) ** 2) / (2 * 5)),
    ("bce", lambda p: nn.binary_cross_entropy(p, BITS), PROB,
     lambda: -np.mean(BITS * np.log(PROB) + (1 - BITS) * np.log(1 - PROB))),
    ("bce_logits", lambda z: nn.binary_cross_entropy_with_logits(z, BITS), PROB * 6 - 3,
     lambda: -np.mean(BITS * np.log(1 / (1 + np.exp(-(PROB * 6 - 3))))
                      + (1 - BITS) * np.log(1 - 1 / (1 + np.exp(-(PROB * 6 - 3)))))),
    ("cross_entropy", lambda z: nn.cross_entropy(z, LABELS), PRED,
     lambda: np.mean(np.log(np.exp(PRED).sum(1)) - PRED[np.arange(5), LABELS])),
    ("hinge", lambda s: nn.hinge_loss(s, SIGNS), PROB * 4 - 2,
     lambda: np.mean(np.maximum(0, 1 - SIGNS * (PROB * 4 - 2)))),
]


@pytest.mark.parametrize("name, loss, data, expected", CASES, ids=[c[0] for c in CASES])
def test_loss_value_and_gradcheck(name, loss, data, expected):
    x = _t(data)
    assert loss(x).item() == pytest.approx(expected(), rel=1e-12)
    gradcheck(loss, [x])


@pytest.mark.parametrize("name, loss, data, expected", CASES, ids=[c[0] for c in CASES])
def test_loss_on_values_matches_tensor(name, loss, data, expected):
    values = np.empty(data.shape, dtype=object)
    values.flat = [Value(float(v)) for v in data.flat]
    out = loss(values if data.ndim == 2 else list(values))
    assert out.data == pytest.approx(expected(), rel=1e-12)
    out.backward()
    x = _t(data)
    loss(x).backward()
    np.testing.assert_allclose([v.grad for v in values.flat], x.grad.reshape(-1), atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(1, 4), seed=st.integers(0, 999),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_reductions_gradcheck(n, k, seed, reduction):
    rng = np.random.default_rng(seed)
    pred, target = _t(rng.normal(size=(n, k))), rng.normal(size=(n, k))
    per = nn.mse_loss(pred, target, reduction="none").data
    out = nn.mse_loss(pred, target, reduction=reduction)
    expected = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    gradcheck(lambda p: nn.mse_loss(p, target, reduction=reduction), [pred])
    labels = rng.integers(0, k, n)  # drawn once: gradcheck evaluates the loss many times
    gradcheck(lambda p: nn.cross_entropy(p, labels, reduction=reduction), [pred])


def test_stable_for_huge_logits():
    z = Tensor([[1000.0, -1000.0, 0.0]], dtype="float64", requires_grad=True)
    loss = nn.cross_entropy(z, np.array([1]))
    loss.backward()
    assert loss.item() == pytest.approx(2000.0)
    assert np.isfinite(z.grad).all()
    logits = Tensor([800.0, -800.0], dtype="float64", requires_grad=True)
    bce = nn.binary_cross_entropy_with_logits(logits, np.array([0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(bce.data, [800.0, 800.0])
    bce.sum().backward()
    np.testing.assert_allclose(logits.grad, [1.0, -1.0])


def test_bce_clips_saturated_probabilities():
    p = Tensor([0.0, 1.0], dtype="float64", requires_grad=True)
    loss = nn.binary_cross_entropy(p, np.array([1.0, 0.0]), eps=1e-7)
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(-np.log(1e-7), rel=1e-6)
    loss.backward()
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])  # outside the clip: no gradient


def test_shape_mismatch_is_an_error_not_a_broadcast():
    with pytest.raises(ValueError, match=r"shape \(4, 1\) but targets have shape \(4,\)"):
        nn.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        nn.mse_loss([Value(1.0)] * 3, [1.0, 2.0])


def test_bad_labels_and_reductions():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        nn.hinge_loss(Tensor(np.zeros(2)), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="integers"):
        nn.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="out of range"):
        nn.cross_entropy([Value(0.0), Value(1.0)], 2)
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.mse_loss(Tensor(np.zeros(2)), np.zeros(2), reduction="avg")


def test_penalties_on_tensors_and_values():
    a, b = _t([[1.0, -2.0]]), _t([3.0])
    assert nn.l2_penalty([a, b]).item() == 14.0
    assert nn.l1_penalty([a, b]).item() == 6.0
    gradcheck(lambda a, b: nn.l2_penalty([a, b]) + nn.l1_penalty([a, b]), [a, b])
    values = [Value(1.0), Value(-2.0)]
    penalty = nn.l2_penalty(values)
    penalty.backward()
    assert penalty.data == 5.0 and [v.grad for v in values] == [2.0, -4.0]
    with pytest.raises(TypeError, match="all Values or all Tensors"):
        nn.l2_penalty([a, Value(1.0)])


def test_an_empty_batch_is_refused_by_the_squared_losses():
    with pytest.raises(ValueError, match=r"quadratic_cost: empty batch \(predictions of shape "
                                         r"\(0, 3\)\)"):
        nn.quadratic_cost(Tensor(np.zeros((0, 3))), np.zeros((0, 3)))
    for reduction in ("mean", "sum"):
        with pytest.raises(ValueError, match=r"mse_loss: empty predictions \(shape \(0, 3\)\)"):
            nn.mse_loss(Tensor(np.zeros((0, 3))), np.zeros((0, 3)), reduction=reduction)
