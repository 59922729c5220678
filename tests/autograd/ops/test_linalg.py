"""matmul: values against numpy and gradients against central differences, on every
combination of 1-D, 2-D and batched operands; its errors."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_checks import checks_op
from tensors import arrays, check_second_derivatives, leaf

import autograd as ag
from autograd import Tensor, gradcheck

MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)),
                 ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((1, 1), (1, 1))]


@checks_op("matmul", order=1)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_matmul(shapes, data):
    a, b = (data.draw(arrays(st.just(s))) for s in shapes)
    x, y = leaf(a), leaf(b)
    np.testing.assert_allclose((x @ y).data, a @ b, rtol=1e-12)
    gradcheck(lambda s, t: s @ t, [x, y])
    gradcheck(lambda s: s @ b, [x])  # the constant operand gets no gradient work
    gradcheck(lambda t: a @ t, [y])


def test_matmul_errors():
    with pytest.raises(ValueError, match=re.escape(
            "matmul: shapes (3, 4) and (5, 6) are not aligned: 4 (dim 1 of a) != 5 (dim 0 of "
            "b)")):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 6)))
    with pytest.raises(ValueError, match="batch axes of shapes"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match="at least 1 axis"):
        ag.matmul(Tensor(2.0), Tensor([1.0]))


@checks_op("matmul", order=2)
def test_second_derivatives_match_central_differences():
    """matmul's gradient is itself differentiable (create_graph), and right."""
    check_second_derivatives(lambda x: x @ x.T)
