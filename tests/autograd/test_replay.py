"""autograd.replay: a captured step replayed as generated straight-line code gives the eager
numbers bit for bit, including the engine's special cases (broadcast gradients summed back,
one gradient array reaching two parameters, parameters no gradient reaches)."""

from __future__ import annotations

import numpy as np

import autograd
import nn
from autograd import Tensor
from autograd.replay import program_source


def run(step_body, compiled: bool, steps: int = 5):
    """Train float64 parameters w (4, 3), b and c (3,) with `step_body(x, w, b, c) -> loss`;
    the losses, the parameters after, and the step function."""
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((4, 3)), dtype="float64", requires_grad=True, label="w")
    b = Tensor(rng.standard_normal(3), dtype="float64", requires_grad=True, label="b")
    c = Tensor(rng.standard_normal(3), dtype="float64", requires_grad=True, label="c")
    optimizer = nn.SGD([w, b, c], lr=0.1, momentum=0.5)

    def train_step(x):
        loss = step_body(x, w, b, c)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    step = autograd.compile(train_step) if compiled else train_step
    data = np.random.default_rng(1).standard_normal((steps, 5, 4))
    losses = [step(x).item() for x in data]
    return losses, [p.data.copy() for p in (w, b, c)], step


def assert_replay_equals_eager(step_body):
    eager = run(step_body, compiled=False)
    compiled = run(step_body, compiled=True)
    assert compiled[2].replays == 3
    assert compiled[0] == eager[0]
    for ours, theirs in zip(compiled[1], eager[1]):
        assert np.array_equal(ours, theirs)
    return compiled[2]


def test_a_broadcast_gradient_is_summed_back_as_eager_does():
    # b (3,) is broadcast over the batch: its gradient is summed back by the engine
    assert_replay_equals_eager(lambda x, w, b, c: ((x @ w + b).tanh() ** 2).sum())


def test_one_gradient_array_reaching_two_parameters_gives_each_its_own():
    # b + c: add hands one array to both inputs; each .grad must be its own
    step = assert_replay_equals_eager(
        lambda x, w, b, c: ((b + c) * (x @ w).sum(axis=0)).sum())
    b, c = [p for p in step.tape.owners.values() if p.label in "bc"]
    assert np.array_equal(b.grad, c.grad) and not np.shares_memory(b.grad, c.grad)


def test_constants_and_a_parameter_without_gradient_paths():
    # b and c take no part in the loss: their .grad stays None, the optimizer skips them
    assert_replay_equals_eager(lambda x, w, b, c: (2.0 / (1.0 + (x @ w).exp())).mean())


def test_the_generated_code_is_straight_line_and_names_its_calls():
    _, _, step = run(lambda x, w, b, c: ((x @ w + b).sigmoid() ** 2).sum(), compiled=True)
    source, names = program_source(step.tape)
    assert source.startswith("def replay(")
    assert "for " not in source and "while " not in source  # no loop: one line a call
    for function in ("matmul_forward", "sigmoid", "sigmoid_grad", "step"):
        assert any(name.startswith(function) for name in names), function
