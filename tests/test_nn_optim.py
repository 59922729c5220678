"""Optimizers against updates worked out by hand, on f(w) = w1² + 3·w2² from w = (1, -2).

The gradient is (2·w1, 6·w2), so the first step always sees g = (2, -12).
"""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, Value


def _values():
    return [Value(1.0), Value(-2.0)]


def _tensors():
    return [Tensor([1.0], dtype="float64", requires_grad=True),
            Tensor([-2.0], dtype="float64", requires_grad=True)]


def _run(make_params, make_optimizer, steps):
    params = make_params()
    optimizer = make_optimizer(params)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = params[0] * params[0] + 3 * params[1] * params[1]
        (loss.sum() if isinstance(loss, Tensor) else loss).backward()
        optimizer.step()
    return [float(np.asarray(p.data).reshape(())) for p in params]


def _adam_step2(m1, v1, g2):
    """Adam's second step, written out: running means, bias correction, update."""
    m = 0.9 * m1 + 0.1 * g2
    v = 0.999 * v1 + 0.001 * g2 * g2
    return 0.1 * (m / (1 - 0.9 ** 2)) / (math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8)


# step 2 of Adam: w after step 1 is (0.9, -1.9) (a first Adam step moves each weight by lr)
ADAM_W1 = 0.9 - _adam_step2(0.1 * 2, 0.001 * 4, 1.8)
ADAM_W2 = -1.9 - _adam_step2(0.1 * -12, 0.001 * 144, -11.4)
# with L2 weight decay 0.5: g1 = (2.5, -13), then g2 = (1.8, -11.4) + 0.5·(0.9, -1.9)
ADAM_WD_W1 = 0.9 - _adam_step2(0.1 * 2.5, 0.001 * 6.25, 2.25)
ADAM_WD_W2 = -1.9 - _adam_step2(0.1 * -13, 0.001 * 169, -12.35)

CASES = {
    # w - 0.1·g: (1 - 0.2, -2 + 1.2), then g = (1.6, -4.8)
    "sgd": (lambda p: nn.SGD(p, lr=0.1), 2, [0.64, -0.32]),
    # v = g; then v = 0.9·(2, -12) + (1.6, -4.8) = (3.4, -15.6)
    "momentum": (lambda p: nn.SGD(p, lr=0.1, momentum=0.9), 2, [0.8 - 0.34, -0.8 + 1.56]),
    # step along g + 0.9·v = (3.8, -22.8) -> (0.62, 0.28); then g = (1.24, 1.68),
    # v = (3.04, -9.12), g + 0.9·v = (3.976, -6.528)
    "nesterov": (lambda p: nn.SGD(p, lr=0.1, momentum=0.9, nesterov=True), 2,
                 [0.62 - 0.3976, 0.28 + 0.6528]),
    # g + 0.5·w = (2.5, -13)
    "sgd_weight_decay": (lambda p: nn.SGD(p, lr=0.1, weight_decay=0.5), 1, [0.75, -0.7]),
    "adam": (lambda p: nn.Adam(p, lr=0.1), 2, [ADAM_W1, ADAM_W2]),
    "adam_weight_decay": (lambda p: nn.Adam(p, lr=0.1, weight_decay=0.5), 2,
                          [ADAM_WD_W1, ADAM_WD_W2]),
    # AdamW: the Adam step (0.1 against the gradient's sign) plus 0.1·0.5·w
    "adamw": (lambda p: nn.Adam(p, lr=0.1, weight_decay=0.5, decoupled=True), 1,
              [1 - 0.1 - 0.05, -2 + 0.1 + 0.1]),
}


@pytest.mark.parametrize("engine", [_values, _tensors], ids=["Value", "Tensor"])
@pytest.mark.parametrize("name", CASES)
def test_optimizer_matches_hand_computation(name, engine):
    make_optimizer, steps, expected = CASES[name]
    np.testing.assert_allclose(_run(engine, make_optimizer, steps), expected,
                               rtol=0, atol=1e-7)


def test_float32_parameters_stay_float32():
    p = Tensor([1.0, 2.0], requires_grad=True)
    optimizer = nn.Adam([p], lr=0.1)
    (p * p).sum().backward()
    optimizer.step()
    assert p.dtype == np.float32


def test_parameter_without_gradient_is_left_alone():
    a, b = Tensor([1.0], requires_grad=True), Tensor([5.0], requires_grad=True)
    optimizer = nn.SGD([a, b], lr=0.1, momentum=0.9)
    (a * a).sum().backward()
    optimizer.step()
    assert b.data[0] == 5.0 and a.data[0] == pytest.approx(0.8)


def test_optimizer_argument_checks():
    with pytest.raises(ValueError, match="no parameters"):
        nn.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="nesterov needs a momentum"):
        nn.SGD(_values(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr must be positive"):
        nn.Adam(_values(), lr=0.0)


def test_step_lr_and_cosine():
    optimizer = nn.SGD(_values(), lr=1.0)
    step = nn.StepLR(optimizer, step_size=2, gamma=0.5)
    assert [step.step() for _ in range(5)] == [1.0, 0.5, 0.5, 0.25, 0.25]
    optimizer = nn.SGD(_values(), lr=1.0)
    cosine = nn.CosineAnnealingLR(optimizer, t_max=4, min_lr=0.2)
    lrs = [cosine.step() for _ in range(6)]
    expected = [0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi * min(e, 4) / 4)) for e in range(1, 7)]
    np.testing.assert_allclose(lrs, expected)
    assert lrs[3] == pytest.approx(0.2) and lrs[5] == pytest.approx(0.2)
