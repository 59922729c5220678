"""Parameter groups: weight decay on the weights and not on the biases, as the book's L2.

Each optimizer is checked against updates worked out by hand for a weight vector
w = (1, -2) decayed by λ = 0.5 and a bias b = 0.5 left alone, with the gradients held
fixed from step to step (set by hand, so that every number below can be followed).
"""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, Value

W_GRAD, B_GRAD = [2.0, -12.0], [3.0]


def _params(engine="Tensor", dtype="float64"):
    if engine == "Value":
        return [Value(1.0), Value(-2.0)], [Value(0.5)]
    return ([Tensor([1.0, -2.0], dtype, requires_grad=True)],
            [Tensor([0.5], dtype, requires_grad=True)])


def _flat(nodes):
    return [float(x) for p in nodes for x in np.ravel(p.data)]


def _set_grads(weights, biases, w_grad=W_GRAD, b_grad=B_GRAD):
    if isinstance(weights[0], Value):
        for p, g in zip(weights + biases, w_grad + b_grad):
            p.grad = g
    else:
        weights[0].grad = np.array(w_grad, dtype=weights[0].dtype)
        biases[0].grad = np.array(b_grad, dtype=biases[0].dtype)


def _run(make_optimizer, steps, engine="Tensor", w_grad=W_GRAD, b_grad=B_GRAD):
    weights, biases = _params(engine)
    optimizer = make_optimizer([{"params": weights, "weight_decay": 0.5},
                                {"params": biases, "weight_decay": 0.0}])
    for _ in range(steps):
        _set_grads(weights, biases, w_grad, b_grad)
        optimizer.step()
    return _flat(weights), _flat(biases)


def _adam_step(m_before, v_before, g, t, lr=0.1):
    """Adam written out: running means, bias correction, then the step lr·m̂/(√v̂ + eps)."""
    m = 0.9 * m_before + 0.1 * g
    v = 0.999 * v_before + 0.001 * g * g
    return m, v, lr * (m / (1 - 0.9 ** t)) / (math.sqrt(v / (1 - 0.999 ** t)) + 1e-8)


def _adam_by_hand(w, g, decay, steps):
    """One coordinate under Adam with L2 weight decay, gradient g held fixed."""
    m = v = 0.0
    for t in range(1, steps + 1):
        m, v, step = _adam_step(m, v, g + decay * w, t)
        w -= step
    return w


# name: (optimizer, steps, weights after, bias after), worked by hand with λ = 0.5, η = 0.1
HAND = {
    # w - η(g + λw) = (1 - 0.1·2.5, -2 - 0.1·(-13)); b - η·3, no decay
    "sgd": (lambda groups: nn.SGD(groups, lr=0.1), 1, [0.75, -0.7], [0.2]),
    # v1 = (2.5, -13), w1 = (0.75, -0.7); g + λw1 = (2.375, -12.35),
    # v2 = 0.9·v1 + that = (4.625, -24.05), w2 = w1 - 0.1·v2; b: v = 3, then 5.7
    "momentum": (lambda groups: nn.SGD(groups, lr=0.1, momentum=0.9), 2,
                 [0.2875, 1.705], [0.2 - 0.57]),
    # steps along g' + 0.9·v: (4.75, -24.7) -> w1 = (0.525, 0.47); g' = (2.2625, -11.765),
    # v2 = (4.5125, -23.465), g' + 0.9·v2 = (6.32375, -32.8835); b: 5.7, then 3 + 0.9·5.7
    "nesterov": (lambda groups: nn.SGD(groups, lr=0.1, momentum=0.9, nesterov=True), 2,
                 [0.525 - 0.632375, 0.47 + 3.28835], [0.5 - 0.57 - 0.813]),
    "adam": (lambda groups: nn.Adam(groups, lr=0.1), 3,
             [_adam_by_hand(1.0, 2.0, 0.5, 3), _adam_by_hand(-2.0, -12.0, 0.5, 3)],
             [_adam_by_hand(0.5, 3.0, 0.0, 3)]),
}


@pytest.mark.parametrize("engine", ["Tensor", "Value"])
@pytest.mark.parametrize("name", HAND)
def test_weights_decay_and_biases_do_not(name, engine):
    make, steps, weights, bias = HAND[name]
    got_w, got_b = _run(make, steps, engine)
    np.testing.assert_allclose(got_w, weights, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_b, bias, rtol=0, atol=1e-12)


def test_the_decay_decides_adams_first_step():
    """A first Adam step moves each weight by about η along -sign(g + λw): the decay (0.5·w
    outweighs g = (-0.2, 0.5)) turns the weights' direction, and leaves the bias's."""
    got_w, got_b = _run(lambda groups: nn.Adam(groups, lr=0.1), 1, w_grad=[-0.2, 0.5],
                        b_grad=[-0.1])
    np.testing.assert_allclose(got_w, [0.9, -1.9], atol=1e-8)
    np.testing.assert_allclose(got_b, [0.6], atol=1e-8)


def test_adamw_shrinks_only_the_decayed_group():
    # an Adam step of about η·sign(g) = (0.1, -0.1), then w - ηλw = w·(1 - 0.05)
    got_w, got_b = _run(lambda groups: nn.Adam(groups, lr=0.1, decoupled=True), 1)
    np.testing.assert_allclose(got_w, [1.0 - 0.1 - 0.05, -2.0 + 0.1 + 0.1], atol=1e-8)
    np.testing.assert_allclose(got_b, [0.5 - 0.1], atol=1e-8)


@pytest.mark.parametrize("name", HAND)
def test_the_per_parameter_path_agrees_with_the_flat_one(name):
    """A parameter without a gradient sends a step down the per-parameter path, which
    reads each parameter's slice of the per-element decay."""
    make, steps, weights, _ = HAND[name]
    w, b = _params()
    spare = Tensor([7.0], "float64", requires_grad=True)  # never gets a gradient
    optimizer = make([{"params": w, "weight_decay": 0.5}, {"params": b + [spare]}])
    for _ in range(steps):
        _set_grads(w, b)
        optimizer.step()
    np.testing.assert_allclose(_flat(w), weights, rtol=0, atol=1e-12)
    assert _flat([spare]) == [7.0]


def test_float32_groups_stay_float32_and_agree():
    make, steps, weights, bias = HAND["momentum"]
    w, b = _params(dtype="float32")
    optimizer = make([{"params": w, "weight_decay": 0.5}, {"params": b, "weight_decay": 0}])
    for _ in range(steps):
        _set_grads(w, b)
        optimizer.step()
    assert w[0].dtype == b[0].dtype == np.float32
    np.testing.assert_allclose(_flat(w) + _flat(b), weights + bias, rtol=1e-6)


def test_the_books_l2_is_weight_decay_lambda_over_n_on_the_weights():
    """C = C0 + λ/(2n)·Σw² (weights only) stepped by plain SGD equals C0 stepped with
    weight_decay = λ/n on the weights and none on the biases."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.uniform(size=(20, 2))
    n, lam, eta = len(x), 5.0, 0.5

    def train(penalised):
        model = nn.mlp(3, [4, 2], "sigmoid", output_activation="sigmoid", dtype="float64",
                       bias_init="normal", seed=1)
        weights, biases = nn.weights_and_biases(model)
        if penalised:
            optimizer = nn.SGD(model.parameters(), lr=eta)
        else:
            optimizer = nn.SGD([{"params": weights, "weight_decay": lam / n},
                                {"params": biases, "weight_decay": 0.0}], lr=eta)
        for _ in range(5):
            optimizer.zero_grad()
            cost = nn.quadratic_cost(model(x), y)
            if penalised:
                cost = cost + nn.l2_penalty(weights) * (lam / (2 * n))
            cost.backward()
            optimizer.step()
        return _flat(model.parameters())

    penalised, decayed = train(True), train(False)
    np.testing.assert_allclose(decayed, penalised, rtol=1e-12, atol=1e-14)
    # and the biases were not decayed: decaying everything gives other numbers
    assert not np.allclose(decayed, _flat_decaying_all(x, y, lam / n, eta), atol=1e-6)


def _flat_decaying_all(x, y, decay, eta):
    model = nn.mlp(3, [4, 2], "sigmoid", output_activation="sigmoid", dtype="float64",
                   bias_init="normal", seed=1)
    optimizer = nn.SGD(model.parameters(), lr=eta, weight_decay=decay)
    for _ in range(5):
        optimizer.zero_grad()
        nn.quadratic_cost(model(x), y).backward()
        optimizer.step()
    return _flat(model.parameters())


def test_weights_and_biases_by_name():
    model = nn.mlp(784, [16, 16, 10], "sigmoid", seed=0)
    weights, biases = nn.weights_and_biases(model)
    assert sum(p.size for p in weights) == 12_960 and sum(p.size for p in biases) == 42
    lstm_weights, lstm_biases = nn.weights_and_biases(nn.LSTM(2, 3))
    assert [p.ndim for p in lstm_weights] == [2, 2] and [p.ndim for p in lstm_biases] == [1, 1]
    scalar_weights, scalar_biases = nn.weights_and_biases(nn.MLP(2, [3, 1]))
    assert (len(scalar_weights), len(scalar_biases)) == (2 * 3 + 3, 3 + 1)


def test_a_group_without_a_decay_takes_the_optimizers():
    w, b = _params()
    optimizer = nn.SGD([{"params": w}, {"params": b, "weight_decay": 0.0}], lr=0.1,
                       weight_decay=0.5)
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.5, 0.0]
    _set_grads(w, b)
    optimizer.step()
    assert _flat(w) == pytest.approx([0.75, -0.7]) and _flat(b) == pytest.approx([0.2])


def test_plain_parameters_are_one_group():
    w, b = _params()
    optimizer = nn.Adam(w + b, weight_decay=0.1)
    assert len(optimizer.param_groups) == 1
    assert optimizer.param_groups[0]["params"] == tuple(w + b)
    assert optimizer.param_groups[0]["weight_decay"] == 0.1 == optimizer.weight_decay


def test_groups_are_read_only_once_made():
    w, b = _params()
    optimizer = nn.SGD([{"params": w, "weight_decay": 0.5}, {"params": b}], lr=0.1)
    with pytest.raises(TypeError):
        optimizer.param_groups[0]["weight_decay"] = 0.0
    with pytest.raises(AttributeError):
        optimizer.weight_decay = 0.0


@pytest.mark.parametrize("groups, error, message", [
    (lambda w, b: [{"params": w, "lr": 0.5}], ValueError, "group 0 needs 'params'"),
    (lambda w, b: [{"weight_decay": 0.1}], ValueError, "group 0 needs 'params'"),
    (lambda w, b: [{"params": w}, b[0]], TypeError, "item 1 is a Tensor"),
    (lambda w, b: [{"params": w}, {"params": b, "weight_decay": -1.0}], ValueError,
     r"\(parameter group 1\): weight_decay must be a finite number >= 0, got -1"),
    (lambda w, b: [{"params": w}, {"params": w + b}], ValueError,
     "parameter 1 is parameter 0 again"),
    (lambda w, b: [{"params": []}, {"params": []}], ValueError, "no parameters"),
])
def test_bad_groups_are_refused_clearly(groups, error, message):
    w, b = _params()
    with pytest.raises(error, match=message):
        nn.SGD(groups(w, b), lr=0.1)


def test_groups_of_several_rates_and_dtypes_step_each_parameter_by_its_own():
    """Rates 0.5, 0, 0.5, 0.2 over float64 and float32 parameters: one SGD step is
    w - η(g + rate·w) for each, whichever run of whichever buffer it landed in."""
    rng = np.random.default_rng(0)
    shapes = [(3, 2), (3,), (2, 3), (2,), (4,)]
    dtypes = ["float64", "float64", "float32", "float64", "float32"]
    rates = [0.5, 0.0, 0.5, 0.2, 0.2]
    params = [Tensor(rng.normal(size=s), d, requires_grad=True) for s, d in zip(shapes, dtypes)]
    starts = [p.data.astype(np.float64) for p in params]
    grads = [rng.normal(size=s) for s in shapes]
    optimizer = nn.SGD([{"params": params[:1], "weight_decay": 0.5},
                        {"params": params[1:2]},
                        {"params": params[2:3], "weight_decay": 0.5},
                        {"params": params[3:], "weight_decay": 0.2}], lr=0.1)
    for p, g in zip(params, grads):
        p.grad = g.astype(p.dtype)
    optimizer.step()
    for p, w, g, rate in zip(params, starts, grads, rates):
        tolerance = 1e-12 if p.dtype == np.float64 else 1e-6
        np.testing.assert_allclose(p.data, w - 0.1 * (g + rate * w), rtol=tolerance,
                                   atol=tolerance)
