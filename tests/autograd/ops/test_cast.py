"""astype: values converted between float32 and float64, the gradient cast back."""

import numpy as np
from op_checks import checks_op
from tensors import leaf

from autograd import Tensor, grad, gradcheck


def test_astype_gradient_is_cast_back():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.astype("float64")
    assert y.dtype == np.float64 and x.astype(np.float32) is x
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


# Numbers with few significant bits and a power-of-two step: float32 holds every value
# these checks compute exactly, so the cast rounds nothing and central differences of
# these polynomials are exact.
EXACT_IN_FLOAT32 = np.array([[-1.5, 0.25, 2.0], [0.75, -3.125, 1.0]])
STEP = 2.0 ** -10


@checks_op("astype", order=1)
def test_gradient_matches_central_differences():
    x = leaf(EXACT_IN_FLOAT32)
    through_float32 = lambda t: (t.astype("float32") * 3.0).astype("float64")  # noqa: E731
    y = through_float32(x)
    assert y.op.name == "astype" and y.parents[0].parents[0].op.name == "astype"
    gradcheck(through_float32, [x], eps=STEP)


@checks_op("astype", order=2)
def test_second_derivative_matches_central_differences():
    x = leaf(EXACT_IN_FLOAT32)
    gradient = grad(lambda t: (t.astype("float32") ** 2).astype("float64").sum())
    assert gradient(x).dtype == np.float64
    gradcheck(gradient, [x], eps=STEP)
