"""Selections (clip, maximum, minimum, where): values against numpy, gradients against
central differences on broadcasting shapes, ties and errors."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_checks import checks_op
from tensors import arrays, check_second_derivatives, leaf

import autograd as ag
from autograd import Tensor, gradcheck

AWAY = st.floats(-3.0, 3.0).filter(lambda v: min(abs(v - 0.5), abs(v + 0.5)) > 1e-3)


@checks_op("clip", "maximum", "minimum", "where", order=1)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                max_side=3), data=st.data())
def test_clip_maximum_minimum_where(shapes, data):
    sa, sb, sc = shapes.input_shapes
    a = data.draw(arrays(st.just(sa), AWAY))
    b = data.draw(arrays(st.just(sb)))
    cond = data.draw(hnp.arrays(bool, sc))
    x, y = leaf(a), leaf(b)
    np.testing.assert_array_equal(x.clip(-0.5, 0.5).data, np.clip(a, -0.5, 0.5))
    gradcheck(lambda t: t.clip(-0.5, 0.5), [x])
    gradcheck(lambda t: ag.clip(t, hi=0.5), [x])
    np.testing.assert_array_equal(ag.where(cond, x, y).data, np.where(cond, a, b))
    gradcheck(lambda s, t: ag.where(cond, s, t), [x, y])
    gradcheck(lambda s: ag.where(Tensor(cond.astype(float)), s, 2.0), [x])
    shifted = leaf(a + 0.25)  # a and 0.25 + a never tie
    np.testing.assert_array_equal(ag.maximum(x, shifted).data, np.maximum(a, a + 0.25))
    gradcheck(lambda s, t: ag.maximum(s, t) * 1.5, [x, shifted])
    gradcheck(lambda s, t: ag.minimum(s, t) * 1.5, [x, shifted])
    gradcheck(lambda s: ag.maximum(s, 0.5), [x])


def test_maximum_ties_split_and_errors():
    a, b = leaf([1.0, 2.0]), leaf([1.0, 3.0])
    ag.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0])
    np.testing.assert_array_equal(b.grad, [0.5, 1.0])
    with pytest.raises(ValueError, match="clip: lo 2 is greater than hi 1"):
        a.clip(2, 1)
    with pytest.raises(ValueError, match=re.escape("maximum: shapes (2,) and (3,)")):
        ag.maximum(a, leaf([1.0, 2.0, 3.0]))


SECOND_ORDER = {
    "clip": lambda x: x.clip(-0.5, 0.5),
    "maximum": lambda x: ag.maximum(x, 0.1),
    "minimum": lambda x: ag.minimum(x * x, 0.5),
    "where": lambda x: ag.where(x.data > 0, x * x, -x),
}


@checks_op(*SECOND_ORDER, order=2)
@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_central_differences(name):
    """The gradient of each selection is itself differentiable (create_graph), and right."""
    check_second_derivatives(SECOND_ORDER[name])
