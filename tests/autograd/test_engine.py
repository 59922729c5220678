"""The traversal: random graphs, huge graphs, accumulation, no_grad, bad input, edge values."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from op_table import KINK_GAP, second_derivative_mismatches

from autograd import (
    Value,
    gradcheck,
    gradients,
    topological_order,
)

# -- random expression graphs ------------------------------------------------------------
# Every op works with a node or a plain number on either side, so a step can combine two
# earlier nodes (often the same one: shared subexpressions) or a node and a constant.

UNARY = {
    "neg": lambda a: -a,
    "tanh": lambda a: a.tanh(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "sigmoid": lambda a: a.sigmoid(),
    "softplus": lambda a: a.softplus(),
    "exp_tanh": lambda a: a.tanh().exp(),
    "log_1p_square": lambda a: (a * a + 1.0).log(),
    "sqrt_1p_square": lambda a: (1.0 + a * a).sqrt(),
    "square": lambda a: a ** 2,
    "abs": lambda a: abs(a),
    "relu": lambda a: a.relu(),
    "elu": lambda a: a.elu(),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1.0 + b * b),
    "pow": lambda a, b: (1.0 + a * a) ** b,
    "sum": lambda a, b: Value.sum([a, b, a]),
    "dot": lambda a, b: Value.dot([a, b], [b, 2.0]),
}
KINKED = ("abs", "relu", "elu")


@st.composite
def programs(draw):
    """Input values and a list of steps; step k makes node n_inputs + k."""
    xs = tuple(draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3)))
    steps = []
    for n in range(len(xs), len(xs) + draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["unary", "binary", "constant"]))
        i = draw(st.integers(0, n - 1))
        if kind == "unary":
            steps.append((kind, draw(st.sampled_from(sorted(UNARY))), i))
        elif kind == "binary":
            steps.append((kind, draw(st.sampled_from(sorted(BINARY))), i,
                          draw(st.integers(0, n - 1))))
        else:
            steps.append((kind, draw(st.sampled_from(sorted(BINARY))), i,
                          draw(st.floats(-2.0, 2.0)), draw(st.booleans())))
    return xs, steps


def run(steps):
    """The program as a function of its input nodes; the output is the last node."""
    def f(*inputs):
        nodes = list(inputs)
        for step in steps:
            kind, name, i = step[:3]
            if kind == "unary":
                nodes.append(UNARY[name](nodes[i]))
            elif kind == "binary":
                nodes.append(BINARY[name](nodes[i], nodes[step[3]]))
            else:
                constant, constant_first = step[3], step[4]
                a, b = (constant, nodes[i]) if constant_first else (nodes[i], constant)
                nodes.append(BINARY[name](a, b))
        return nodes[-1]
    return f


def well_conditioned(output):
    """Finite, moderate values, and every kink input well away from its kink."""
    for node in topological_order(output):
        if not math.isfinite(node.data) or abs(node.data) > 1e3:
            return False
        if node.op is not None and node.op.name in KINKED and abs(node.parents[0].data) < KINK_GAP:
            return False
    return True


@settings(max_examples=300)
@given(programs())
def test_random_graph_gradients_match_central_differences(program):
    xs, steps = program
    f = run(steps)
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    assume(well_conditioned(f(*leaves)))
    gradcheck(f, leaves)


@settings(max_examples=200)
@given(programs())
def test_random_graph_second_derivatives(program):
    xs, steps = program
    f = run(steps)
    assume(well_conditioned(f(*(Value(x) for x in xs))))
    problems = second_derivative_mismatches(f, xs)
    assert not problems, "\n".join(problems)


def test_reused_node_in_a_tower_of_diamonds():
    # y <- y + y, 200 times: 2^200 paths from x to the output, one visit each
    x = Value(1.5)
    y = x
    for _ in range(200):
        y = y + y
    y.backward()
    assert y.data == 1.5 * 2.0 ** 200
    assert x.grad == 2.0 ** 200


# -- big graphs: no recursion anywhere -------------------------------------------------------
N = 10 ** 6


def test_deep_chain_of_a_million_nodes():
    x = Value(3.0)
    y = x
    middle = None
    for k in range(N):
        y = -y
        if k == N // 2:
            middle = y
    y.backward()
    assert y.data == 3.0
    assert x.grad == 1.0  # (-1)^N with N even
    assert middle.grad == -1.0  # N // 2 - 1 negations still to come: an odd number


def test_wide_graph_of_a_million_nodes():
    x = Value(3.0)
    total = Value.sum([-x for _ in range(N)])
    total.backward()
    assert total.data == -3.0 * N
    assert x.grad == -float(N)


# -- accumulation and zero_grad ----------------------------------------------------------------

def test_gradients_accumulate_over_backward_calls():
    x = Value(2.0)
    y = x * x
    z = 3.0 * y
    z.backward()
    assert (x.grad, y.grad, z.grad) == (12.0, 3.0, 1.0)
    z.backward()
    # every node doubles; re-propagating the accumulated y.grad would give x.grad = 36
    assert (x.grad, y.grad, z.grad) == (24.0, 6.0, 2.0)


def test_shared_subgraph_accumulates_over_both_outputs():
    x = Value(2.0)
    shared = x * x
    (shared * 3.0).backward()
    (shared + 1.0).backward()
    assert shared.grad == 4.0
    assert x.grad == 16.0


def test_zero_grad_resets_the_whole_graph():
    x, w = Value(2.0), Value(-1.0)
    y = (x * w).tanh() + x
    y.backward()
    y.zero_grad()
    assert all(node.grad == 0.0 for node in topological_order(y))
    y.backward()
    assert w.grad == pytest.approx(2.0 * (1.0 - math.tanh(-2.0) ** 2))


def test_backward_seed():
    x = Value(2.0)
    (x * x).backward(gradient=0.5)
    assert x.grad == 2.0


def test_gradients_touch_no_grad_attribute():
    x = Value(2.0)
    y = x * x
    assert gradients(y, [x]) == [4.0]
    assert x.grad == 0.0 and y.grad == 0.0


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, type_name", [
    ("a", "str"), (None, "NoneType"), ([1.0], "list"), (1 + 2j, "complex"),
])
def test_value_refuses_non_real_data(bad, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(bad)


def test_value_accepts_ints_bools_and_numpy_scalars():
    for data in (3, True, np.float32(0.5), np.int64(7), np.float64(2.5)):
        assert Value(data).data.__class__ is float


# -- values outside an op's domain: numpy's answers, no exception ---------------------------------

@pytest.mark.parametrize("make, expected", [
    (lambda: Value(-1.0).log(), math.nan),
    (lambda: Value(0.0).log(), -math.inf),
    (lambda: Value(-1.0).sqrt(), math.nan),
    (lambda: Value(1000.0).exp(), math.inf),
    (lambda: Value(-1000.0).exp(), 0.0),
    (lambda: Value(-8.0) ** (1.0 / 3.0), math.nan),
    (lambda: Value(-8.0) ** Value(1.0 / 3.0), math.nan),
    (lambda: Value(0.0) ** -1.0, math.inf),
    (lambda: Value(10.0) ** 400.0, math.inf),
    (lambda: Value(1000.0).sigmoid(), 1.0),
    (lambda: Value(-1000.0).sigmoid(), 0.0),
    (lambda: Value(1000.0).softplus(), 1000.0),
], ids=["log(-1)", "log(0)", "sqrt(-1)", "exp(1000)", "exp(-1000)", "(-8)**(1/3)",
        "(-8)**Value(1/3)", "0**-1", "10**400", "sigmoid(1000)", "sigmoid(-1000)",
        "softplus(1000)"])
def test_out_of_domain_forward(make, expected):
    data = make().data
    assert data.__class__ is float
    if math.isnan(expected):
        assert math.isnan(data)
    else:
        assert data == expected


def test_fractional_power_of_a_negative_base_has_nan_gradient_not_complex():
    x = Value(-8.0)
    (x ** (1.0 / 3.0)).backward()
    assert x.grad.__class__ is float and math.isnan(x.grad)
    a, b = Value(-2.0), Value(0.5)
    (a ** b).backward()
    assert a.grad.__class__ is float and math.isnan(a.grad)
    assert b.grad.__class__ is float and math.isnan(b.grad)


def test_gradient_of_sqrt_like_power_at_zero_is_inf():
    x = Value(0.0)
    (x ** 0.5).backward()
    assert x.grad == math.inf


@pytest.mark.parametrize("divide", [
    lambda: Value(1.0) / Value(0.0), lambda: Value(1.0) / 0, lambda: 1.0 / Value(0.0),
])
def test_division_by_zero_raises_like_python(divide):
    # Value data are Python floats, and Python raises on x / 0.0 (numpy would give inf)
    with pytest.raises(ZeroDivisionError):
        divide()


# -- topological order -------------------------------------------------------------------------

def _assert_topological(order):
    position = {node: k for k, node in enumerate(order)}
    assert len(position) == len(order), "a node appears twice"
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]


def test_topological_order_of_a_diamond():
    a = Value(1.0)
    b, c = a * 2.0, a + 1.0
    d = b * c
    order = topological_order(d)
    _assert_topological(order)
    assert order[-1] is d
    assert {a, b, c, d} <= set(order)
    assert len(order) == 6  # a, b, c, d and the two constants
    d.backward()
    assert a.grad == 2.0 * 2.0 + 2.0  # d = 2a(a + 1): 4a + 2


def test_topological_order_of_stacked_diamonds_is_linear():
    x = Value(0.5)
    y = x
    for _ in range(1000):
        left, right = y.sin(), y.cos()
        y = left * right
    order = topological_order(y)
    _assert_topological(order)
    assert len(order) == 1 + 3 * 1000


def test_topological_order_of_a_leaf():
    x = Value(1.0)
    assert topological_order(x) == [x]
    x.backward()
    assert x.grad == 1.0
