"""The scalar engine, op by op: forward values, gradients, second derivatives, `grad`."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_checks import checks_op
from op_table import OP_CASES, cases_for, second_derivative_mismatches

from autograd import OPS, Value, grad, gradcheck

VALUE_CASES = cases_for("Value")
by_name = pytest.mark.parametrize("case", VALUE_CASES, ids=lambda case: case.name)
OPS_CHECKED = sorted({case.op for case in VALUE_CASES})


def test_table_covers_every_value_op():
    covered = {case.op for case in VALUE_CASES}
    missing = sorted({name for name, op in OPS.items() if "Value" in op.engines} - covered)
    assert not missing, f"Value ops missing from tests/support/op_table.py: {missing}"


def test_table_names_are_unique():
    names = [case.name for case in OP_CASES]
    assert len(names) == len(set(names))


@by_name
def test_entry_exercises_its_op(case):
    out = case.fn(*(Value(0.5) for _ in range(case.arity)))
    assert isinstance(out, Value)
    assert out.op is OPS[case.op], f"{case.name} builds {out.op!r}, not {case.op!r}"


@by_name
@given(data=st.data())
def test_forward_matches_reference(case, data):
    xs = data.draw(case.arguments())
    got = case.fn(*(Value(x) for x in xs)).data
    want = float(case.reference(*xs))
    assert isinstance(got, float)
    assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-14), (xs, got, want)


@checks_op(*OPS_CHECKED, order=1, engine="Value")
@by_name
@given(data=st.data())
def test_gradient_matches_central_differences(case, data):
    xs = data.draw(case.arguments())
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    gradcheck(case.fn, leaves)  # raises GradcheckError with a table on a mismatch


@checks_op(*OPS_CHECKED, order=2, engine="Value")
@by_name
@given(data=st.data())
def test_second_derivatives_match_central_differences(case, data):
    xs = data.draw(case.arguments())
    problems = second_derivative_mismatches(case.fn, xs)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", [c for c in VALUE_CASES if c.arity == 1], ids=lambda c: c.name)
@given(data=st.data())
def test_grad_of_grad_matches_create_graph(case, data):
    (x,) = data.draw(case.arguments())
    second = grad(grad(case.fn))(x)
    leaf = Value(x)
    case.fn(leaf).backward(create_graph=True)
    first = leaf.grad
    leaf.grad = 0.0
    if isinstance(first, Value):
        first.backward()
        expected = leaf.grad
    else:  # a constant first derivative (add, sub, neg): the second one is 0
        expected = 0.0
    assert second == pytest.approx(expected, rel=1e-12, abs=1e-12)


# -- micrograd compatibility ---------------------------------------------------------------

def _micrograd_expression(value):
    """A mix of every micrograd operator, numbers on both sides, and in-place updates."""
    a, b = value(-4.0), value(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_micrograd_reference_numbers():
    a, b, g = _micrograd_expression(Value)
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)


def _micrograd_chain(value):
    x = value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


@pytest.mark.parametrize("expression", [_micrograd_expression, _micrograd_chain])
def test_agrees_with_micrograd(expression):
    micrograd = pytest.importorskip("micrograd.engine")
    ours = expression(Value)
    theirs = expression(micrograd.Value)
    for mine, reference in zip(ours, theirs):
        assert mine.data == pytest.approx(reference.data, rel=1e-12)
        assert mine.grad == pytest.approx(reference.grad, rel=1e-12)


@pytest.mark.parametrize(
    "fn, value, slope",
    [
        (lambda x: 2 + x, 4.0, 1.0), (lambda x: x + 2, 4.0, 1.0),
        (lambda x: 2 - x, 0.0, -1.0), (lambda x: x - 2, 0.0, 1.0),
        (lambda x: 3 * x, 6.0, 3.0), (lambda x: x * 3, 6.0, 3.0),
        (lambda x: 2 / x, 1.0, -0.5), (lambda x: x / 2, 1.0, 0.5),
        (lambda x: 2 ** x, 4.0, 4.0 * math.log(2.0)), (lambda x: x ** 2, 4.0, 4.0),
        (lambda x: -x, -2.0, -1.0),
    ],
    ids=["2+x", "x+2", "2-x", "x-2", "3*x", "x*3", "2/x", "x/2", "2**x", "x**2", "-x"],
)
def test_numbers_on_either_side(fn, value, slope):
    x = Value(2.0)
    y = fn(x)
    y.backward()
    assert y.data == pytest.approx(value)
    assert x.grad == pytest.approx(slope)


def test_unsupported_operand_gives_python_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        [1.0] * Value(2.0)


def test_backward_create_graph_makes_grad_a_value():
    x = Value(0.7)
    y = x.tanh()
    y.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value)
    assert first.data == pytest.approx(1.0 - math.tanh(0.7) ** 2)
    x.grad = 0.0
    first.backward()
    t = math.tanh(0.7)
    assert x.grad == pytest.approx(-2.0 * t * (1.0 - t * t))
