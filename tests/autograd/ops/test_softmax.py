"""softmax and log_softmax: values, first and second derivatives, stability at large
logits, errors."""


import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_checks import checks_op
from tensors import arrays, leaf

import autograd as ag
from autograd import Tensor, gradcheck


@checks_op("softmax", "log_softmax", order=(1, 2))
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(a=arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_softmax(name, a, data):
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    x = leaf(a)
    log_p = a - np.log(np.exp(a).sum(axis=axis, keepdims=True))
    expected = np.exp(log_p) if name == "softmax" else log_p
    np.testing.assert_allclose(getattr(x, name)(axis).data, expected, rtol=1e-10, atol=1e-12)
    gradcheck(lambda t: getattr(ag, name)(t, axis=axis), [x])
    second = ag.grad(lambda t: (getattr(t, name)(axis) * np.cos(a)).sum())
    gradcheck(second, [x])  # create_graph through the op's own derivative


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_stable_at_large_logits(name):
    for dtype in ("float32", "float64"):
        x = Tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], dtype=dtype, requires_grad=True)
        out = getattr(x, name)()
        assert np.isfinite(out.data).all()
        (out * Tensor([[1.0, 2.0, 3.0]], dtype=dtype)).sum().backward()
        assert np.isfinite(x.grad).all()


def test_softmax_axis_errors_name_the_op():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="softmax: axis must be ints, got"):
        x.softmax(axis=None)
    with pytest.raises(ValueError, match="log_softmax: axis 2 is out of range for 2"):
        x.log_softmax(axis=2)
