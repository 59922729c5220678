"""Optimizers against updates worked out by hand, on f(w) = w1² + 3·w2² from w = (1, -2).

The gradient is (2·w1, 6·w2), so the first step always sees g = (2, -12).
"""

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

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
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
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


# -- the flat buffer ("arena"): the same updates, on models of many shapes --------------

OPTIMIZERS = {
    "sgd": lambda p: nn.SGD(p, lr=0.1),
    "sgd_weight_decay": lambda p: nn.SGD(p, lr=0.1, weight_decay=0.3),
    "momentum": lambda p: nn.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1),
    "nesterov": lambda p: nn.SGD(p, lr=0.1, momentum=0.8, nesterov=True),
    "adam": lambda p: nn.Adam(p, lr=0.1),
    "adam_weight_decay": lambda p: nn.Adam(p, lr=0.05, betas=(0.8, 0.99), weight_decay=0.2),
    "adamw": lambda p: nn.Adam(p, lr=0.05, weight_decay=0.5, decoupled=True),
}
SHAPES = [(2, 3), (3,), (), (0,), (4, 1, 2), (1,)]


def _mixed_model(dtypes):
    """Tensors of several shapes (one per dtype in turn) and two Values; every element is
    a w1 (starts at 1, loss w1²) or a w2 (starts at -2, loss 3·w2²), alternating."""
    tensors, coefficients = [], []
    for k, shape in enumerate(SHAPES):
        is_w1 = np.arange(math.prod(shape)).reshape(shape) % 2 == k % 2
        tensors.append(Tensor(np.where(is_w1, 1.0, -2.0), dtype=dtypes[k % len(dtypes)],
                              requires_grad=True))
        coefficients.append(np.where(is_w1, 1.0, 3.0))
    return tensors, coefficients, [Value(1.0), Value(-2.0)]


@pytest.mark.parametrize("dtypes", [("float64",), ("float32", "float64")],
                         ids=["float64", "float32+float64"])
@pytest.mark.parametrize("name", CASES)
def test_hand_computation_on_a_model_of_many_shapes(name, dtypes):
    make_optimizer, steps, expected = CASES[name]
    tensors, coefficients, values = _mixed_model(dtypes)
    optimizer = make_optimizer(tensors + values)
    for _ in range(steps):
        optimizer.zero_grad()
        for t, c in zip(tensors, coefficients):
            (t * t * Tensor(c, dtype=t.dtype)).sum().backward()
        (values[0] * values[0] + 3 * values[1] * values[1]).backward()
        optimizer.step()
    atol = 1e-7 if dtypes == ("float64",) else 1e-5
    for k, (t, c) in enumerate(zip(tensors, coefficients)):
        assert t.dtype == np.dtype(dtypes[k % len(dtypes)])
        np.testing.assert_allclose(t.data, np.where(c == 1.0, *expected), rtol=0, atol=atol)
    np.testing.assert_allclose([v.data for v in values], expected, rtol=0, atol=1e-7)


def _reference(kind, settings, w, g, state):
    """The textbook update of one parameter, written out with its state in a dict."""
    lr, decay = settings["lr"], settings.get("weight_decay", 0.0)
    if kind == "SGD":
        d = g + decay * w
        momentum = settings.get("momentum", 0.0)
        if momentum:
            state["v"] = d if "v" not in state else momentum * state["v"] + d
            d = d + momentum * state["v"] if settings.get("nesterov") else state["v"]
        return w - lr * d
    beta1, beta2 = settings.get("betas", (0.9, 0.999))
    decoupled = settings.get("decoupled", False)
    if not decoupled:
        g = g + decay * w
    state["t"] = t = state.get("t", 0) + 1
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat, v_hat = state["m"] / (1 - beta1 ** t), state["v"] / (1 - beta2 ** t)
    step = lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return w - step - (lr * decay * w if decoupled else 0.0)


SETTINGS = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.05, "weight_decay": 0.2}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.7, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}), ("Adam", {"lr": 0.02, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "weight_decay": 0.3, "decoupled": True}),
]
PARAMETER_KINDS = st.sampled_from(["value", "float32", "float64"])


@given(data=st.data(), setting=st.sampled_from(SETTINGS),
       kinds=st.lists(st.tuples(PARAMETER_KINDS, hnp.array_shapes(min_dims=0, max_dims=3,
                                                                   min_side=0, max_side=4)),
                      min_size=1, max_size=5),
       seed=st.integers(0, 2**32 - 1))
def test_matches_a_per_parameter_reference(data, setting, kinds, seed):
    """Random gradients, some missing in some steps (per-parameter path), others full
    (flat path): the parameters and the state follow the textbook update throughout."""
    kind, settings = setting
    rng = np.random.default_rng(seed)
    params, arrays = [], []
    for dtype, shape in kinds:
        if dtype == "value":
            params.append(Value(float(rng.standard_normal())))
            arrays.append(np.float64(params[-1].data))
        else:
            arrays.append(rng.standard_normal(shape).astype(dtype))
            params.append(Tensor(arrays[-1], dtype=dtype, requires_grad=True))
    optimizer = getattr(nn, kind)(params, **settings)
    states = [{} for _ in params]
    masks = data.draw(st.lists(st.lists(st.booleans(), min_size=len(params),
                                        max_size=len(params)), min_size=1, max_size=5))
    for mask in masks:
        for i, (p, has_grad) in enumerate(zip(params, mask)):
            if not has_grad:
                p.grad = None
                continue
            g = rng.standard_normal(np.shape(arrays[i])).astype(np.asarray(arrays[i]).dtype)
            p.grad = float(g) if isinstance(p, Value) else g
            arrays[i] = _reference(kind, settings, arrays[i], g, states[i])
        optimizer.step()
    for p, expected, state, reference_state in zip(params, arrays, optimizer.state, states):
        tolerance = 1e-5 if np.asarray(expected).dtype == np.float32 else 1e-12
        np.testing.assert_allclose(p.data, expected, rtol=tolerance, atol=tolerance)
        for key, name in [("v", "velocity"), ("m", "m"), ("v", "v")]:
            if name in state:  # a parameter never stepped has its state still at zero
                np.testing.assert_allclose(state[name], reference_state.get(key, 0.0),
                                           rtol=tolerance, atol=tolerance)
        assert state.get("t", 0) == reference_state.get("t", 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_flat_path_equals_per_parameter_path(name, dtype):
    """The same problem twice: once with every gradient present (one update on the flat
    buffer), once with an extra parameter that never has one (an update per parameter)."""
    rng = np.random.default_rng(7)
    start = [rng.standard_normal(shape) for shape in SHAPES]
    flat = [Tensor(a, dtype=dtype, requires_grad=True) for a in start]
    each = [Tensor(a, dtype=dtype, requires_grad=True) for a in start]
    spare = Tensor([3.0], dtype=dtype, requires_grad=True)
    flat_optimizer, each_optimizer = OPTIMIZERS[name](flat), OPTIMIZERS[name]([spare, *each])
    for _ in range(4):
        for a, b in zip(flat, each):
            a.grad = rng.standard_normal(a.shape).astype(dtype)
            b.grad = a.grad.copy()
        flat_optimizer.step()
        each_optimizer.step()
    for a, b in zip(flat, each):
        assert a.dtype == b.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a.data, b.data)
    for a, b in zip(flat_optimizer.state, each_optimizer.state[1:]):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert spare.data[0] == 3.0 and each_optimizer.state[0].get("t", 0) == 0


def _refuse_per_parameter_path(monkeypatch, optimizer):
    def fail(group):
        raise AssertionError("a step with every gradient went parameter by parameter")
    monkeypatch.setattr(optimizer, "_step_each", fail)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_parameters_become_views_of_one_buffer_per_dtype(name, monkeypatch):
    tensors, _, values = _mixed_model(("float32", "float64"))
    before = [t.data.copy() for t in tensors]
    optimizer = OPTIMIZERS[name](tensors + values)
    for t, b in zip(tensors, before):
        np.testing.assert_array_equal(t.data, b)
        assert t.data.base is tensors[SHAPES.index(t.shape) % 2].data.base is not None
        assert t._version == 0  # moving into the buffer is no change of value
    _refuse_per_parameter_path(monkeypatch, optimizer)
    for p in tensors + values:
        p.grad = np.ones(p.shape, dtype=p.dtype) if isinstance(p, Tensor) else 1.0
    optimizer.step()
    assert all(t._version == 1 for t in tensors)


def test_parameter_without_gradient_keeps_its_state_and_step_count():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([5.0], requires_grad=True)
    for optimizer in (nn.Adam([a, b], lr=0.1), nn.SGD([a, b], lr=0.1, momentum=0.9)):
        a.grad, b.grad = np.ones(2, np.float32), np.ones(1, np.float32)
        optimizer.step()
        saved = {key: np.array(value) for key, value in optimizer.state[1].items()}
        b_before = b.data.copy()
        b.grad = None
        optimizer.step()
        np.testing.assert_array_equal(b.data, b_before)
        assert optimizer.state[1].keys() == saved.keys()
        for key, value in optimizer.state[1].items():
            np.testing.assert_array_equal(value, saved[key])
    assert nn.Adam([a, b]).state[0]["t"] == 0
    adam = nn.Adam([a, b], lr=0.1)
    b_before = float(b.data[0])
    a.grad = np.ones(2, np.float32)
    b.grad = None
    adam.step()
    b.grad = np.ones(1, np.float32)
    adam.step()
    assert [s["t"] for s in adam.state] == [2, 1]
    # b's first Adam step (bias-corrected with t = 1, not 2) moves it by lr
    assert b.data[0] == pytest.approx(b_before - 0.1, abs=1e-6)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_new_array_given_after_construction_is_updated(name):
    rng = np.random.default_rng(3)
    start = [rng.standard_normal(shape) for shape in SHAPES]
    kept = [Tensor(a, dtype="float64", requires_grad=True) for a in start]
    moved = [Tensor(a, dtype="float64", requires_grad=True) for a in start]
    kept_optimizer, moved_optimizer = OPTIMIZERS[name](kept), OPTIMIZERS[name](moved)
    replacement = np.array(moved[0].data)  # the same values in an array of its own
    moved[0].data = replacement
    for _ in range(3):
        for a, b in zip(kept, moved):
            a.grad = rng.standard_normal(a.shape)
            b.grad = a.grad.copy()
        kept_optimizer.step()
        moved_optimizer.step()
    assert moved[0].data is replacement
    for a, b in zip(kept, moved):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-12, atol=1e-12)
    assert not np.array_equal(replacement, start[0])


def test_a_parameter_reshaped_after_construction_is_refused():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    optimizer = nn.SGD([a, b], lr=0.1)
    a.data = np.zeros(3, np.float32)
    a.grad, b.grad = np.ones(3, np.float32), np.ones(1, np.float32)
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(3,\), it had \(2,\)"):
        optimizer.step()
    assert b.data[0] == 3.0  # nothing changed


def test_load_state_dict_keeps_training_in_the_buffer(monkeypatch):
    model = nn.mlp(4, [5, 3], seed=0)
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    x = Tensor(np.random.default_rng(0).standard_normal((6, 4)), dtype="float32")
    saved = model.state_dict()
    for _ in range(2):
        optimizer.zero_grad()
        (model(x) ** 2).sum().backward()
        optimizer.step()
    model.load_state_dict(saved)
    stale = (model(x) ** 2).sum()
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, saved[name])
    _refuse_per_parameter_path(monkeypatch, optimizer)
    optimizer.zero_grad()
    (model(x) ** 2).sum().backward()
    grads = {name: p.grad.copy() for name, p in model.named_parameters()}
    optimizer.step()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.data, saved[name] - 0.1 * grads[name], rtol=1e-6)
    with pytest.raises(RuntimeError):
        stale.backward()


def test_load_state_dict_casts_and_bumps_the_version():
    model = nn.mlp(2, [2], seed=0)
    weight = model.parameters()[0]
    array = weight.data
    model.load_state_dict({name: np.full(p.shape, 2, dtype=np.int64)
                           for name, p in model.named_parameters()})
    assert weight.data is array and weight.dtype == np.float32 and weight._version == 1
    np.testing.assert_array_equal(weight.data, 2.0)


def test_duplicate_parameter_is_refused():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    with pytest.raises(ValueError, match="parameter 2 is parameter 0 again"):
        nn.SGD([a, b, a], lr=0.1)
    v = Value(1.0)
    with pytest.raises(ValueError, match="parameter 1 is parameter 0 again"):
        nn.Adam([v, v])
    assert a._version == 0 and a.data.base is None  # refused before anything moved


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_parameters_and_state_stay_float32(name, monkeypatch):
    tensors, _, _ = _mixed_model(("float32",))
    optimizer = OPTIMIZERS[name](tensors)
    update = optimizer._update
    steps = []

    def float32_update(w, g, state, t, decay, out):  # the math itself stays in float32
        steps.append(update(w, g, state, t, decay, out))
        assert steps[-1].dtype == np.float32
        return steps[-1]

    monkeypatch.setattr(optimizer, "_update", float32_update)
    for _ in range(2):
        for t in tensors:
            t.grad = np.full(t.shape, 0.5, dtype=np.float32)
        optimizer.step()
        tensors[0].grad = None  # and once parameter by parameter
        optimizer.step()
    # flat, 5 parameters, flat (Adam: 6 parameters, their step counts now differ), 5
    assert len(steps) == (17 if isinstance(optimizer, nn.Adam) else 12)
    assert all(t.dtype == np.float32 for t in tensors)
    assert all(value.dtype == np.float32 for state in optimizer.state
               for key, value in state.items() if key != "t")


@pytest.mark.parametrize("some_without_grad", [False, True], ids=["flat", "per-parameter"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_graph_recorded_before_a_step_refuses_backward_after_it(name, some_without_grad):
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    c = Tensor([4.0], requires_grad=True)
    optimizer = OPTIMIZERS[name]([a, b, c])
    (a.sum() * b.sum() * c.sum()).backward()
    if some_without_grad:
        c.grad = None
    stale = a.sum() * b.sum()
    untouched = c * c
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified"):
        stale.backward()
    if some_without_grad:
        untouched.sum().backward()  # c was not stepped: its graphs still work
        assert c.grad[0] == 8.0


@pytest.mark.parametrize("engine", ["Value", "Tensor"])
def test_create_graph_gradients_step_with_their_data(engine):
    params = _values() if engine == "Value" else _tensors()
    optimizer = nn.SGD(params, lr=0.1)
    loss = params[0] * params[0] + 3 * params[1] * params[1]
    (loss.sum() if engine == "Tensor" else loss).backward(create_graph=True)
    assert all(isinstance(p.grad, (Tensor, Value)) for p in params)
    optimizer.step()
    np.testing.assert_allclose([float(np.asarray(p.data).reshape(())) for p in params],
                               [0.8, -0.8])


def test_a_second_optimizer_on_the_same_parameters_leaves_the_first_correct():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    first = nn.SGD([a, b], lr=0.1, momentum=0.5)
    second = nn.SGD([a], lr=0.1)  # takes a into its own buffer
    for _ in range(2):
        a.grad, b.grad = np.ones(2, np.float32), np.ones(1, np.float32)
        first.step()
    second.step()
    # first: steps of 0.1 then 0.1·1.5; second: one more of 0.1
    np.testing.assert_allclose(a.data, [1.0 - 0.35, 2.0 - 0.35], rtol=1e-6)
    np.testing.assert_allclose(b.data, [3.0 - 0.25], rtol=1e-6)


def test_a_gradient_of_the_wrong_shape_is_refused_naming_the_parameter():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    optimizer = nn.SGD([a, b], lr=0.5)
    a.grad, b.grad = np.ones(4), np.ones(3)
    with pytest.raises(ValueError, match=re.escape(
            "SGD: parameter 0 has shape (2, 3) but its gradient has shape (4,)")):
        optimizer.step()
    np.testing.assert_array_equal(b.data, np.ones(3))  # refused before anything moved
    a.grad = np.ones((1, 3))  # one that broadcasts is used, as before
    optimizer.step()
    np.testing.assert_array_equal(a.data, np.full((2, 3), 0.5))
    np.testing.assert_array_equal(b.data, np.full(3, 0.5))


@pytest.mark.parametrize("copier", ["copy", "deepcopy", "pickle"])
def test_an_optimizer_refuses_to_be_copied_or_pickled(copier):
    import copy
    import pickle

    model = nn.mlp(3, [4, 2], seed=0)
    optimizer = nn.Adam(model.parameters())
    copy_it = {"copy": copy.copy, "deepcopy": copy.deepcopy, "pickle": pickle.dumps}[copier]
    with pytest.raises(TypeError, match="Adam cannot be copied or pickled: its parameters are "
                                        "views of its own flat buffers"):
        copy_it(optimizer)
