"""Elementwise Tensor ops from the shared op table: gradients on random shapes (with
broadcasting) against central differences, and agreement with the same computation done
element by element with Values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_checks import checks_op
from op_table import ANY, cases_for
from tensors import flat_gradient

from autograd import Tensor, Value, gradcheck

CASES = cases_for("Tensor")
OPS_CHECKED = sorted({case.op for case in CASES})


def shapes_for(arity: int) -> st.SearchStrategy:
    """Shapes that broadcast together, 0-d and length-1 axes included."""
    return hnp.mutually_broadcastable_shapes(num_shapes=arity, min_dims=0, max_dims=3,
                                             min_side=1, max_side=3).map(lambda s: s.input_shapes)


def inputs_for(case, data) -> list[np.ndarray]:
    shapes = data.draw(shapes_for(case.arity))
    return [data.draw(d.arrays(s)) for d, s in zip(case.domains, shapes, strict=True)]


@checks_op(*OPS_CHECKED, order=1)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@given(data=st.data())
def test_gradients_match_central_differences(case, data):
    arrays = inputs_for(case, data)
    leaves = [Tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    out = case.fn(*leaves)
    np.testing.assert_allclose(out.data, case.reference(*arrays), rtol=1e-12, atol=1e-12)
    gradcheck(case.fn, leaves)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@given(data=st.data())
def test_value_and_tensor_agree(case, data):
    arrays = inputs_for(case, data)
    out_shape = np.broadcast_shapes(*[a.shape for a in arrays])
    weights = data.draw(ANY.arrays(out_shape))

    tensors = [Tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    (case.fn(*tensors) * weights).sum().backward()

    values = [np.vectorize(Value, otypes=[object])(a) for a in arrays]
    spread = [np.broadcast_to(v, out_shape) for v in values]  # shares the Value objects
    outs = [case.fn(*args) for args in zip(*(s.ravel() for s in spread), strict=True)]
    loss = Value.dot(weights.ravel().tolist(), outs) if outs else Value(0.0)
    loss.backward()

    expected = np.array([o.data for o in outs]).reshape(out_shape)
    np.testing.assert_allclose(case.fn(*tensors).data, expected, rtol=1e-12, atol=1e-12)
    for t, v in zip(tensors, values, strict=True):
        value_grads = np.vectorize(lambda node: node.grad, otypes=[float])(v)
        np.testing.assert_allclose(t.grad, value_grads.reshape(t.shape), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float32_stays_float32(case):
    rng = np.random.default_rng(0)
    leaves = [Tensor(rng.uniform(d.low, d.high, (2, 3)), dtype="float32", requires_grad=True)
              for d in case.domains]
    out = case.fn(*leaves)
    assert out.dtype == np.float32
    out.sum().backward()
    for leaf in leaves:
        assert leaf.grad.dtype == np.float32 and leaf.grad.shape == (2, 3)


@checks_op(*OPS_CHECKED, order=2)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@given(data=st.data())
def test_second_derivative_through_create_graph(case, data):
    """The gradient of sum(f²), built with create_graph on broadcasting shapes, has
    derivatives equal to central differences of that gradient. Squaring makes the gradient
    arriving at f depend on the inputs, so even add's rule (a constant 1) is differentiated."""
    leaves = [Tensor(a, dtype="float64", requires_grad=True) for a in inputs_for(case, data)]
    gradcheck(flat_gradient(case.fn), leaves)
