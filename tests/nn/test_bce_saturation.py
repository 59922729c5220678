"""binary_cross_entropy on probabilities keeps the gradient of a confident wrong
prediction wherever the dtype can represent the probability (issue 13).

Cross-entropy is taught as the cure for the sigmoid's learning slowdown: for p = σ(z) the
gradient dC/dz = p - t does not vanish when the neuron is badly wrong. A clip at 1e-7 gave
exactly 0 there (σ(17) = 1 - 4.1e-8 was clipped), the very stall the cost should cure.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value
from nn.losses import probability_bounds


def dc_dz(z, target, dtype, loss=nn.binary_cross_entropy, **options):
    """dC/dz of the loss of sigmoid(z) (or of z itself, for the logits form)."""
    leaf = Tensor([z], dtype, requires_grad=True)
    pred = leaf if loss is nn.binary_cross_entropy_with_logits else leaf.sigmoid()
    loss(pred, np.array([target]), **options).backward()
    return float(leaf.grad[0])


def test_float64_sigmoid_17_against_0_has_gradient_1_as_the_logits_form():
    assert math.isclose(dc_dz(17.0, 0.0, "float64"), 1.0, abs_tol=1e-6)
    assert math.isclose(dc_dz(17.0, 0.0, "float64"),
                        dc_dz(17.0, 0.0, "float64", nn.binary_cross_entropy_with_logits),
                        rel_tol=1e-12)


def test_float64_sigmoid_minus_17_against_1_has_gradient_minus_1():
    assert math.isclose(dc_dz(-17.0, 1.0, "float64"), -1.0, abs_tol=1e-6)


def test_values_are_float64_and_keep_the_gradient_too():
    z = Value(17.0)
    nn.binary_cross_entropy(z.sigmoid(), 0.0).backward()
    assert math.isclose(z.grad, 1.0, abs_tol=1e-6)


def test_float32_keeps_what_it_can_represent_and_no_more():
    # σ(16) in float32 is 1 - 2⁻²³, still below 1: the gradient survives
    assert math.isclose(dc_dz(16.0, 0.0, "float32"), 1.0, abs_tol=1e-6)
    # σ(17) = 1 - 4.1e-8 rounds to exactly 1 in float32 (its spacing below 1 is 6e-8): the
    # probability no longer says how wrong it is, and only the logits form still knows
    assert Tensor([17.0], "float32").sigmoid().data[0] == 1.0
    assert dc_dz(17.0, 0.0, "float32") == 0.0
    assert dc_dz(17.0, 0.0, "float32", nn.binary_cross_entropy_with_logits) == 1.0


def test_the_bounds_are_the_dtypes_own():
    assert probability_bounds(np.float64) == (2.2250738585072014e-308, 1.0 - 2.0 ** -53)
    assert probability_bounds(np.float32) == (float(np.finfo(np.float32).tiny), 1.0 - 2.0 ** -24)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_probabilities_of_exactly_0_and_1_give_a_finite_loss(dtype):
    prob = Tensor([0.0, 1.0], dtype, requires_grad=True)
    loss = nn.binary_cross_entropy(prob, np.array([1.0, 0.0]), reduction="none")
    info = np.finfo(dtype)  # -log of the bounds: 708 and 36.7 in float64, 87 and 16.6 in float32
    np.testing.assert_allclose(loss.data, [-np.log(info.tiny), -np.log(info.epsneg)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_array_equal(prob.grad, 0.0)  # clipped: no direction left to follow


def test_an_explicit_eps_clips_as_asked():
    assert dc_dz(17.0, 0.0, "float64", eps=1e-7) == 0.0
    assert math.isclose(dc_dz(15.0, 0.0, "float64", eps=1e-7), 1.0, abs_tol=1e-6)


@given(st.floats(-30.0, 30.0), st.sampled_from([0.0, 1.0]))
def test_float64_gradient_equals_the_logits_forms(z, target):
    ours = dc_dz(z, target, "float64")
    logits = dc_dz(z, target, "float64", nn.binary_cross_entropy_with_logits)
    assert math.isclose(ours, logits, rel_tol=1e-6, abs_tol=1e-12)
