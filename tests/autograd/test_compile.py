"""autograd.compile: a compiled run equals the eager run bit for bit (float64), and what a
replay could not reproduce is refused with a message saying why.

Bit equality is the right bar, not a tolerance: a replay calls the very forward and
gradient functions eager calls, on the same arrays, in the same order (see autograd.tape).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import autograd
import nn
from autograd import CompileError, Tensor, Value


def batches(steps: int, shape: tuple[int, ...], last: int | None = None, seed: int = 0):
    """`steps` batches of 8 examples (3 in the last one when `last` is given), labels 0..9."""
    rng = np.random.default_rng(seed)
    for i in range(steps):
        n = last if (last is not None and i == steps - 1) else 8
        yield rng.random((n, *shape)), rng.integers(0, 10, n)


def sgd_step(model, optimizer, compiled: bool, passes: int = 1, loss_fn=nn.cross_entropy):
    """A training step whose backward runs `passes` times (a pass k scaled by 1/k)."""
    def train_step(x, y):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        for k in range(2, passes + 1):
            (loss * (1.0 / k)).backward()  # the passes after the first add to .grad
        optimizer.step()
        return loss
    return autograd.compile(train_step) if compiled else train_step


def train(make_model, make_optimizer, compiled: bool, steps: int = 7, shape=(12,),
          last: int | None = None, loss_fn=nn.cross_entropy, schedule: bool = True,
          targets=lambda labels: labels):
    """Train for `steps` batches; returns (parameters, losses, the step function).
    `targets` makes the targets from the labels, outside the step."""
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = nn.StepLR(optimizer, step_size=2, gamma=0.5) if schedule else None
    step = sgd_step(model, optimizer, compiled, loss_fn=loss_fn)
    losses = []
    for x, y in batches(steps, shape, last):
        losses.append(step(x, targets(y)).item())
        if scheduler is not None:
            scheduler.step()  # the lr changes between replays: read at replay, not baked in
    return [p.data.copy() for p in model.parameters()], losses, step


def assert_same_run(make_model, make_optimizer, **kwargs):
    eager_params, eager_losses, _ = train(make_model, make_optimizer, False, **kwargs)
    params, losses, step = train(make_model, make_optimizer, True, **kwargs)
    assert losses == eager_losses
    for p, q in zip(params, eager_params):
        assert p.dtype == q.dtype and np.array_equal(p, q)
    assert step.replays > 0
    return step


def mlp(fuse: bool):
    return lambda: nn.mlp(12, [16, 10], activation="tanh", fuse=fuse, dtype="float64", seed=0)


OPTIMIZERS = {
    "sgd": lambda p: nn.SGD(p, lr=0.1, weight_decay=1e-3),
    "momentum": lambda p: nn.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda p: nn.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda p: nn.Adam(p, lr=1e-2, weight_decay=1e-3),
    "adamw": lambda p: nn.Adam(p, lr=1e-2, weight_decay=1e-2, decoupled=True),
}


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "layers"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_compiled_mlp_equals_eager(optimizer, fuse):
    step = assert_same_run(mlp(fuse), OPTIMIZERS[optimizer])
    assert (step.captures, step.replays) == (2, 5)  # two captures agree, then replays


def test_nielsen_network_with_quadratic_cost_equals_eager():
    def make():
        return nn.mlp(12, [8, 10], activation="sigmoid", output_activation="sigmoid",
                      dtype="float64", init="normal", bias_init="normal", seed=1)

    assert_same_run(make, lambda p: nn.SGD(p, lr=3.0), loss_fn=nn.quadratic_cost,
                    targets=lambda labels: np.eye(10)[labels])


def test_compiled_conv_net_equals_eager():
    def make():
        return nn.Sequential(nn.Conv2d(1, 3, 3, dtype="float64", seed=0), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Conv2d(3, 4, 3, padding=1, dtype="float64",
                                                        seed=1),
                             nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16, 10, dtype="float64",
                                                                      seed=2))

    assert_same_run(make, OPTIMIZERS["momentum"], shape=(1, 10, 10))


def test_lenet5_equals_eager_with_a_partial_last_batch():
    step = assert_same_run(lambda: nn.LeNet5(dtype="float64", seed=0), OPTIMIZERS["adam"],
                           shape=(1, 28, 28), steps=5, last=3)
    assert step.captures == 3  # the batch of 3 is a new key: captured, not replayed


def test_partial_last_batch_is_captured_then_replayed_in_later_epochs():
    model = nn.mlp(12, [10], dtype="float64", seed=0)
    train_step = sgd_step(model, nn.SGD(model.parameters(), lr=0.1), compiled=True)
    for _ in range(3):  # epochs: 2 full batches, then one of 3
        for x, y in batches(3, (12,), last=3):
            train_step(x, y)
    assert (train_step.captures, train_step.replays) == (4, 5)
    assert train_step.tape.values[train_step.tape.inputs[0]].shape == (3, 12)


def test_dropout_draws_fresh_masks_equal_to_eager():
    def make():
        return nn.Sequential(nn.Linear(12, 32, dtype="float64", seed=0), nn.ReLU(),
                             nn.Dropout(0.5, seed=7), nn.Linear(32, 10, dtype="float64",
                                                                seed=1))

    assert_same_run(make, OPTIMIZERS["sgd"], steps=8)
    # the same batch twice through the replayed forward: two masks, two outputs
    model = make()
    forward = autograd.compile(lambda x: model(x))
    x = np.ones((4, 12))
    outputs = [forward(x).data.copy() for _ in range(4)]
    assert forward.replays == 2
    assert not np.array_equal(outputs[2], outputs[3])


def test_switching_to_eval_captures_again():
    model = nn.Sequential(nn.Linear(4, 4, dtype="float64", seed=0), nn.Dropout(0.5, seed=1))
    forward = autograd.compile(lambda x: model(x))
    x = np.ones((2, 4))
    for _ in range(3):
        forward(x)
    model.eval()
    with pytest.warns(RuntimeWarning, match="Dropout.training changed from True to False"):
        out = forward(x)
    np.testing.assert_array_equal(out.data, model(x).data)  # no mask in eval mode


def test_a_parameter_given_a_new_array_is_captured_again():
    def make():
        return nn.mlp(12, [10], dtype="float64", seed=0)

    results = []
    for compiled in (False, True):
        model = make()
        optimizer = nn.SGD(model.parameters(), lr=0.1)

        def train_step(x, y, model=model, optimizer=optimizer):
            loss = nn.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss

        step = autograd.compile(train_step) if compiled else train_step
        for i, (x, y) in enumerate(batches(6, (12,))):
            if i == 4:
                model[0].weight.data = np.zeros((10, 12))
                if compiled:
                    with pytest.warns(RuntimeWarning, match="'weight' of shape .* new array"):
                        step(x, y)
                    continue
            step(x, y)
        results.append([p.data.copy() for p in model.parameters()])
    for p, q in zip(*results):
        np.testing.assert_array_equal(p, q)


def test_returns_fresh_tensors_without_a_graph():
    w = Tensor(np.arange(3.0), dtype="float64")

    @autograd.compile
    def scaled(x):
        y = Tensor(x, dtype="float64") * w
        return y, y.sum()

    for k in range(4):
        y, total = scaled(np.full(3, float(k)))
        np.testing.assert_array_equal(y.data, k * np.arange(3.0))
        assert total.item() == 3.0 * k and total.op is None


def test_labels_are_still_checked_at_replay():
    model = nn.mlp(12, [10], dtype="float64", seed=0)
    step = autograd.compile(lambda x, y: nn.cross_entropy(model(x), y))
    x = np.zeros((2, 12))
    for _ in range(3):
        step(x, np.array([1, 2]))
    with pytest.raises(ValueError, match="label 12 at index 1 is out of range"):
        step(x, np.array([1, 12]))


def test_the_tape_prints_as_code_with_shapes():
    _, _, step = train(mlp(True), OPTIMIZERS["sgd"], True, steps=3)
    text = str(step.tape)
    assert text.splitlines()[0] == "x0 (8, 12) float64, x1 (8,) int64 = inputs"
    assert "linear_tanh(x0 (8, 12), p0_weight (16, 12), p1_bias (16,), tanh)  -> (8, 16)" in text
    assert "backward from t" in text and "p0_weight.grad = dp0_weight" in text
    assert text.splitlines()[-1] == "Optimizer.step(SGD)"


# -- what cannot be replayed is refused, saying why ---------------------------------------
def refused(function, *args, match: str, calls: int = 1):
    compiled = autograd.compile(function)
    with pytest.raises(CompileError, match=match):
        for _ in range(calls):
            compiled(*args)


W = Tensor(np.ones((3, 2)), dtype="float64", requires_grad=True)


def computed(x):
    return Tensor(x, dtype="float64") @ W


X = np.ones((4, 3))


@pytest.mark.parametrize("read", [
    lambda t: t.sum().item(), lambda t: float(t.sum()), lambda t: t.data,
    lambda t: t.numpy(), lambda t: np.asarray(t), lambda t: t > 0,
], ids=["item", "float", "data", "numpy", "asarray", "comparison"])
def test_reading_values_during_capture_is_refused(read):
    def step(x):
        y = computed(x)
        read(y)
        return y

    refused(step, X, match="used a tensor's values .* a replay runs no Python code")


def test_control_flow_on_changing_state_is_refused():
    calls = []

    def step(x):
        calls.append(1)
        y = computed(x)
        return y * 2.0 if len(calls) == 1 else y + 2.0

    refused(step, X, calls=2, match="recorded different steps .* cannot be replayed")


def test_an_array_computed_from_the_data_outside_the_ops_is_refused():
    rng = np.random.default_rng(0)

    def step(x):
        noise = rng.random(x.shape)  # drawn with numpy: a replay would reuse it
        return computed(x + noise)

    refused(step, X, calls=2, match="computed outside the recorded operations .* differs")


def test_a_manual_update_with_numpy_on_grads_is_refused():
    p = Tensor(np.ones(3), dtype="float64", requires_grad=True)

    def step(x):
        nonlocal p  # changed in place by -=, never rebound
        loss = (Tensor(x, dtype="float64") * p).sum()
        p.grad = None
        loss.backward()
        with autograd.no_grad():
            p -= 0.1 * p.grad  # numpy on the gradient: not a recorded operation
        return loss

    compiled = autograd.compile(step)
    compiled(np.arange(3.0))
    with pytest.raises(CompileError, match="computed outside the recorded operations"):
        compiled(np.arange(3.0) + 1.0)


def test_value_graphs_are_refused():
    def step(x):
        return Tensor(np.asarray([(Value(2.0) * Value(3.0)).data]))

    refused(step, X, match="a Value graph cannot be compiled")


def test_create_graph_and_functional_grad_are_refused():
    def second_order(x):
        y = (computed(x) ** 2).sum()
        y.backward(create_graph=True)
        return y

    refused(second_order, X, match="create_graph=True")
    refused(lambda x: autograd.grad(lambda w: (w * w).sum())(Tensor(x, dtype="float64")), X,
            match="autograd.grad")


def test_bad_arguments_and_results_are_refused():
    refused(lambda x: computed(x).sum().item, X, match="returned a method")
    refused(lambda x: computed(x), [1.0, 2.0], match="argument 0 is a list")
    refused(lambda t: t * 2.0, Tensor(X, requires_grad=True), match="requires grad")
    inner = autograd.compile(computed)
    refused(lambda x: inner(x), X, match="called while another function is being captured")


def test_gradients_are_written_into_the_optimizers_buffer_with_the_eager_values():
    grads = {}
    for compiled in (False, True):
        model = mlp(fuse=True)()
        optimizer = nn.SGD(model.parameters(), lr=0.1)
        step = sgd_step(model, optimizer, compiled)
        for x, y in batches(4, (12,)):
            step(x, y)
        grads[compiled] = [p.grad.copy() for p in model.parameters()]
        # eager or replayed, the gradients are the buffers the optimizer gathers, each
        # taken for one pass
        for p, view in zip(model.parameters(), optimizer._groups[0].grad_views):
            assert p.grad is view and p.grad_buffer is None
    for eager, replayed in zip(grads[False], grads[True]):
        assert np.array_equal(eager, replayed)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("keep", ["grad", "view"])
def test_a_gradient_kept_from_an_earlier_step_is_never_overwritten(compiled, keep):
    """The buffers serve the next pass only when nothing outside holds a part of them: a
    kept `.grad` (or a view of one) keeps its values, the next gradients come in new arrays."""
    model = mlp(fuse=True)()
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    step = sgd_step(model, optimizer, compiled)
    kept = []
    for k, (x, y) in enumerate(batches(5, (12,))):
        step(x, y)
        weight = model[0].weight
        if k == 2:  # a replay's gradient when compiled (two captures came first)
            held = weight.grad if keep == "grad" else weight.grad[1:3]
            kept.append((held, held.copy()))
    for held, values in kept:
        assert np.array_equal(held, values)
    assert model[0].weight.grad is not optimizer._groups[0].grad_views[0]


def test_a_buffer_never_takes_a_gradient_while_the_grad_holds_one():
    """A buffer given by hand may be the very array `.grad` holds: the pass writes into it
    only while `.grad` is None, else the first gradient would be lost before the sum."""
    w = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x = np.ones((4, 3))
    autograd.linear(x, w).sum().backward()
    held, first = w.grad, w.grad.copy()
    w.grad_buffer = held
    autograd.linear(2 * x, w).sum().backward()  # a second gradient twice the first
    assert np.array_equal(held, first) and np.array_equal(w.grad, 3 * first)


def test_gradients_returned_to_the_caller_never_are_the_buffers():
    """autograd.gradients hands its results to the caller, who may keep them: new arrays."""
    model = mlp(fuse=True)()
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    x, y = next(batches(1, (12,)))
    loss = nn.cross_entropy(model(x), y)
    grads = autograd.gradients(loss, list(model.parameters()))
    assert not any(np.shares_memory(g, optimizer._groups[0].grads) for g in grads)
    assert all(p.grad_buffer is not None for p in model.parameters())  # still on offer


def test_gradients_of_two_backward_passes_add_up_as_eager():
    """After the first pass a `.grad` is its buffer: writing the second pass' gradient
    there would lose the first. A buffer serves one pass, so the second pass' gradient
    comes in a new array, added to the first."""
    runs = {}
    for compiled in (False, True):
        model = mlp(fuse=True)()
        step = sgd_step(model, nn.SGD(model.parameters(), lr=0.1, momentum=0.5), compiled,
                        passes=2)
        losses = [step(x, y).item() for x, y in batches(5, (12,))]
        runs[compiled] = losses, [p.data.copy() for p in model.parameters()], [
            p.grad.copy() for p in model.parameters()]
    assert runs[True][0] == runs[False][0]
    for eager, replayed in zip(runs[False][1] + runs[False][2], runs[True][1] + runs[True][2]):
        assert np.array_equal(eager, replayed)


def test_a_grad_buffer_must_fit_its_tensor():
    t = Tensor(np.zeros((3, 4)), requires_grad=True)
    assert t.grad_buffer is None
    for bad in (np.zeros((4, 3)), np.zeros((3, 4), np.float32), np.zeros((4, 3)).T,
                [[0.0] * 4] * 3):
        with pytest.raises(ValueError, match=r"grad_buffer: needs a writable C-contiguous "
                                             r"array of shape \(3, 4\) and dtype float64"):
            t.grad_buffer = bad
    frozen = np.zeros((3, 4))
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="grad_buffer"):
        t.grad_buffer = frozen
    buffer = np.zeros((3, 4))
    t.grad_buffer = buffer
    assert t.grad_buffer is buffer


def test_a_kept_gradient_is_safe_when_the_optimizer_was_made_under_a_tracer():
    """A tracer reading frame.f_locals (a debugger's variables view) adds to the counts of
    the frame that compares them: the buffer's twin, counted in the same frame, takes it
    into account, so a kept view is still seen (Python <= 3.12 snapshots f_locals)."""
    model = mlp(fuse=True)()

    def tracer(frame, event, arg):
        frame.f_locals  # noqa: B018
        return tracer

    sys.settrace(tracer)
    try:
        optimizer = nn.SGD(model.parameters(), lr=0.1)
    finally:
        sys.settrace(None)
    step = sgd_step(model, optimizer, compiled=True)
    data = list(batches(5, (12,)))
    for x, y in data[:3]:
        step(x, y)
    weight = model[0].weight
    assert weight.grad is optimizer._groups[0].grad_views[0]  # the buffers serve
    kept = weight.grad.ravel()  # a view of this step's gradient
    values = kept.copy()
    step(*data[3])
    assert np.array_equal(kept, values)


def test_a_step_whose_parameters_no_optimizer_owns_replays():
    """Gradients only (model.zero_grad, no optimizer): no buffer to write into, new arrays."""
    runs = {}
    for compiled in (False, True):
        model = mlp(fuse=True)()

        def gradient_step(x, y, model=model):
            model.zero_grad()
            loss = nn.cross_entropy(model(x), y)
            loss.backward()
            return loss

        step = autograd.compile(gradient_step) if compiled else gradient_step
        for x, y in batches(4, (12,)):
            step(x, y)
        runs[compiled] = [p.grad.copy() for p in model.parameters()]
        assert all(p.grad_buffer is None for p in model.parameters())
    assert step.replays == 2
    for eager, replayed in zip(runs[False], runs[True]):
        assert np.array_equal(eager, replayed)
