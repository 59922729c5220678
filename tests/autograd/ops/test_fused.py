"""The fused training ops, one graph node each: linear (with or without an activation),
cross_entropy and squared_error. Values against the composed ops, first and second
derivatives against central differences, the exact_grads promise, errors."""

import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_checks import checks_op
from tensors import ELEMENTS, leaf

import autograd as ag
from autograd import OPS, Tensor, gradcheck

FUSABLE = sorted(name for name, op in OPS.items() if op.fusable)  # relu, sigmoid, tanh


# -- linear ------------------------------------------------------------------------------
@checks_op("linear", order=(1, 2))
@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), use_bias=st.booleans(), data=st.data())
def test_linear_matches_matmul_and_gradcheck(batch, n_in, n_out, use_bias, data):
    x = leaf(data.draw(hnp.arrays(np.float64, batch + (n_in,), elements=ELEMENTS)))
    w = leaf(data.draw(hnp.arrays(np.float64, (n_out, n_in), elements=ELEMENTS)))
    b = leaf(data.draw(hnp.arrays(np.float64, (n_out,), elements=ELEMENTS)))
    bias = b if use_bias else None
    expected = x.data @ w.data.T + (b.data if use_bias else 0.0)
    np.testing.assert_allclose(ag.linear(x, w, bias).data, expected, rtol=1e-12, atol=1e-12)
    inputs = [x, w, b] if use_bias else [x, w]
    gradcheck(lambda *t: ag.linear(t[0], t[1], t[2] if use_bias else None), inputs)
    hessian_path = ag.grad(lambda xx, ww: (ag.linear(xx, ww, bias).tanh()).sum())
    gradcheck(lambda xx, ww: hessian_path(xx, ww)[1], [x, w])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_on_batch_axes_is_the_2d_product_row_for_row(dtype):
    """(..., in) folds into one 2-D product (np.dot runs BLAS on 2-D arrays only): forward
    and gradients are those of the same rows as a matrix, to the last bit."""
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((5, 4, 6)), dtype=dtype, requires_grad=True)
    w = Tensor(rng.standard_normal((3, 6)), dtype=dtype, requires_grad=True)
    b = Tensor(rng.standard_normal(3), dtype=dtype, requires_grad=True)
    g = rng.standard_normal((5, 4, 3)).astype(dtype)
    y = ag.linear(x, w, b)
    flat = ag.linear(x.reshape(20, 6), w, b)
    np.testing.assert_array_equal(y.data, flat.data.reshape(5, 4, 3))
    grads = ag.gradients(y, [x, w, b], Tensor(g))
    flat_grads = ag.gradients(flat, [x, w, b], Tensor(g.reshape(20, 3)))
    for grad, flat_grad in zip(grads, flat_grads):
        np.testing.assert_array_equal(grad, flat_grad)


def test_linear_skips_gradients_nobody_needs():
    x = Tensor(np.ones((2, 3)), dtype="float32")  # data: no gradient wanted
    w = Tensor(np.ones((4, 3)), dtype="float32", requires_grad=True)
    y = ag.linear(x, w, Tensor(np.zeros(4), dtype="float32"))
    assert y.ctx[:3] == (False, True, False)  # x, weight, bias: does each need a gradient?
    y.sum().backward()
    assert x.grad is None and w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, np.full((4, 3), 2.0))


@checks_op(*(f"linear_{name}" for name in FUSABLE), order=(1, 2))
@pytest.mark.parametrize("activation", FUSABLE)
@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), use_bias=st.booleans(), data=st.data())
def test_linear_with_activation_is_the_composition(activation, batch, n_in, n_out, use_bias,
                                                   data):
    x = leaf(data.draw(hnp.arrays(np.float64, batch + (n_in,), elements=ELEMENTS)))
    w = leaf(data.draw(hnp.arrays(np.float64, (n_out, n_in), elements=ELEMENTS)))
    b = leaf(data.draw(hnp.arrays(np.float64, (n_out,), elements=ELEMENTS))) if use_bias else None
    z = x.data @ w.data.T + (b.data if use_bias else 0.0)
    assume(np.all(np.abs(z) > 1e-3))  # relu has no derivative at 0: keep away from the kink
    expected = {"relu": np.maximum(z, 0), "sigmoid": 1 / (1 + np.exp(-z)), "tanh": np.tanh(z)}
    fused = ag.linear(x, w, b, activation=activation)
    assert fused.op.name == f"linear_{activation}"
    np.testing.assert_allclose(fused.data, expected[activation], rtol=1e-12, atol=1e-12)
    inputs = [x, w] + ([b] if use_bias else [])
    gradcheck(lambda *t: ag.linear(t[0], t[1], t[2] if use_bias else None,
                                   activation=activation), inputs)
    # second order: the gradient of the fused node is itself differentiable
    grad_w = ag.grad(lambda xx, ww: (ag.linear(xx, ww, b, activation=activation) ** 2).sum())
    gradcheck(lambda xx, ww: grad_w(xx, ww)[1], [x, w])


def test_linear_activation_errors():
    w = Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match="linear: activation must be None or one of "
                                         r"\['relu', 'sigmoid', 'tanh'\], got 'softmax'"):
        ag.linear(Tensor(np.ones((2, 3))), w, activation="softmax")
    with pytest.raises(TypeError, match="linear: input must be a Tensor, a number or an "
                                        "array, got str"):
        ag.linear("pixels", w)


def test_linear_errors():
    w = Tensor(np.ones((4, 3)))  # float64, as every input below but the last
    with pytest.raises(ValueError, match=re.escape(
            "linear: input of shape (2, 5) does not end in 3 features")):
        ag.linear(Tensor(np.ones((2, 5))), w)
    with pytest.raises(ValueError, match=re.escape("linear: bias must be a Tensor of shape "
                                                   "(4,), got (3,)")):
        ag.linear(Tensor(np.ones((2, 3))), w, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="weight must be a 2-D Tensor"):
        ag.linear(Tensor(np.ones(3)), Tensor(np.ones(3)))
    with pytest.raises(TypeError, match="linear: dtype mismatch float32 vs float64"):
        ag.linear(Tensor(np.ones((2, 3)), dtype="float32"), w)


# -- cross entropy -----------------------------------------------------------------------
def reference_cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels]


@checks_op("cross_entropy", order=(1, 2))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(n=st.integers(1, 5), classes=st.integers(1, 5), data=st.data())
def test_cross_entropy(reduction, n, classes, data):
    logits = leaf(data.draw(hnp.arrays(np.float64, (n, classes), elements=ELEMENTS)))
    labels = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    losses = reference_cross_entropy(logits.data, labels)
    expected = {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]
    out = ag.cross_entropy(logits, labels, reduction)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    gradcheck(lambda t: ag.cross_entropy(t, labels, reduction), [logits])
    gradcheck(lambda t: ag.cross_entropy(t, labels.tolist(), reduction), [logits])
    # second derivatives via create_graph (the rule is differentiable)
    gradcheck(ag.grad(lambda t: ag.cross_entropy(t, labels, reduction).sum()), [logits])


def test_cross_entropy_equals_the_composed_graph():
    rng = np.random.default_rng(3)
    logits, labels = rng.standard_normal((6, 4)).astype(np.float32), rng.integers(0, 4, 6)
    a, b = Tensor(logits, requires_grad=True), Tensor(logits, requires_grad=True)
    fused = ag.cross_entropy(a, labels)
    composed = -(b.log_softmax(axis=1)[np.arange(6), labels]).mean()
    fused.backward()
    composed.backward()
    assert fused.dtype == np.float32 and a.grad.dtype == np.float32
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-6)
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-5, atol=1e-7)


def test_cross_entropy_is_stable_at_large_logits():
    for dtype in ("float32", "float64"):
        logits = Tensor([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]], dtype=dtype, requires_grad=True)
        loss = ag.cross_entropy(logits, [2, 1])
        assert np.isfinite(loss.data) and abs(loss.item() - 1e4) < 1.0
        loss.backward()
        assert np.isfinite(logits.grad).all()
        np.testing.assert_allclose(logits.grad, [[0.5, 0, -0.5], [0, 0, 0]], atol=1e-6)


def test_cross_entropy_errors():
    logits = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=re.escape(
            "cross_entropy: label 4 at index 1 is out of range for 4 classes (0..3)")):
        ag.cross_entropy(logits, [0, 4, 1])
    with pytest.raises(ValueError, match="label -1 at index 0"):
        ag.cross_entropy(logits, [-1, 0, 1])
    with pytest.raises(ValueError, match=re.escape("labels have shape (2,), but logits of "
                                                   "shape (3, 4) need shape (3,)")):
        ag.cross_entropy(logits, [0, 1])
    with pytest.raises(TypeError, match="labels must be integers, got dtype float64"):
        ag.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="logits must be a Tensor of shape \\(N, C\\)"):
        ag.cross_entropy(Tensor(np.zeros(4)), [0])
    with pytest.raises(ValueError, match="reduction must be one of"):
        ag.cross_entropy(logits, [0, 1, 2], reduction="avg")


# -- the exact_grads promise -------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), activation=st.sampled_from([None, "relu", "sigmoid", "tanh"]),
       use_bias=st.booleans(), needs=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       reduction=st.sampled_from(["mean", "sum", "none"]), data=st.data())
def test_exact_grad_ops_return_fresh_arrays_of_their_inputs_shapes(
        dtype, batch, n_in, n_out, activation, use_bias, needs, reduction, data):
    """The traversal hands these rules' gradients on unchecked (autograd.op): hold them to it."""
    def tensor(shape, requires_grad):
        array = data.draw(hnp.arrays(np.float64, shape, elements=ELEMENTS))
        return Tensor(array, dtype=dtype, requires_grad=requires_grad)

    x = tensor(batch + (n_in,), needs[0])
    w = tensor((n_out, n_in), needs[1])
    b = tensor((n_out,), needs[2]) if use_bias else None
    y = ag.linear(x, w, b, activation=activation)
    labels = np.zeros(y.shape[0], dtype=np.int64)
    nodes = [y]
    if y.ndim == 2:
        nodes.append(ag.cross_entropy(y, labels, reduction=reduction))
    for node in nodes:
        if node.op is None:  # nothing needed a gradient: no node was recorded
            continue
        assert node.op.exact_grads
        g = np.asarray(data.draw(hnp.arrays(np.float64, node.shape, elements=ELEMENTS)),
                       dtype=dtype)
        grads = node.op.grad(g, node.data, node.ctx, *[p.data for p in node.parents])
        assert len(grads) == len(node.parents)
        for parent, grad in zip(node.parents, grads):
            if grad is None:
                continue
            assert grad.__class__ is np.ndarray and grad.shape == parent.shape
            assert grad.dtype == parent.dtype and grad.base is None


# -- squared error -------------------------------------------------------------------------
@checks_op("squared_error", order=(1, 2))
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
       scale=st.sampled_from([1.0, 0.5, 1 / 6]), data=st.data())
def test_squared_error_matches_the_composed_sum_and_gradcheck(shape, scale, data):
    from autograd.ops.fused import squared_error

    pred = leaf(data.draw(hnp.arrays(np.float64, shape, elements=ELEMENTS)))
    target = data.draw(hnp.arrays(np.float64, shape, elements=ELEMENTS))
    out = squared_error(pred, target, scale)
    np.testing.assert_allclose(out.data, scale * np.sum((pred.data - target) ** 2),
                               rtol=1e-12, atol=1e-12)
    gradcheck(lambda p: squared_error(p, target, scale), [pred])
    # second derivatives via create_graph: the rule is differentiable in pred
    gradcheck(ag.grad(lambda p: squared_error(p, target, scale).tanh()), [pred])


def test_squared_error_keeps_float32_and_its_gradient_is_2s_times_the_difference():
    from autograd.ops.fused import squared_error

    pred = Tensor(np.array([[1.0, 2.0], [3.0, -1.0]], np.float32), requires_grad=True)
    target = np.array([[0.0, 2.0], [1.0, 1.0]], np.float32)
    loss = squared_error(pred, target, 0.25)  # Nielsen's 1/(2n) for n = 2
    loss.backward()
    assert loss.dtype == np.float32 and pred.grad.dtype == np.float32
    assert loss.item() == 0.25 * (1 + 0 + 4 + 4)
    np.testing.assert_array_equal(pred.grad, 0.5 * (pred.data - target))


@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint16", "int64"])
def test_cross_entropy_labels_of_any_integer_dtype_beyond_its_range_of_rows(dtype):
    """MNIST's labels are uint8: batches of more rows than the dtype counts must pick each
    row's own label (the row numbers are not made in the labels' dtype)."""
    rng = np.random.default_rng(5)
    n = 300 if dtype != "uint16" else 70_000
    logits = rng.standard_normal((n, 10))
    labels = rng.integers(0, 10, n)
    expected = reference_cross_entropy(logits, labels).mean()
    out = ag.cross_entropy(Tensor(logits), labels.astype(dtype))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_squared_error_of_a_0d_prediction_has_an_array_gradient_and_shapes_must_match():
    from autograd.ops.fused import squared_error

    pred = Tensor(np.array(2.0), requires_grad=True)
    squared_error(pred, np.array(0.5), 0.5).backward()
    assert pred.grad.__class__ is np.ndarray and pred.grad.shape == ()
    assert pred.grad == 1.5
    with pytest.raises(ValueError, match=re.escape(
            "squared_error: predictions have shape (3, 1) but targets have shape (3,)")):
        squared_error(Tensor(np.zeros((3, 1))), np.zeros(3), 1.0)


@pytest.mark.parametrize("create_graph", [False, True])
def test_squared_error_reads_its_targets_once_so_they_need_no_copy(create_graph):
    """The node keeps pred - target from its forward, not the targets (which nn's losses
    no longer copy): changing them afterwards changes neither the first nor the second
    derivative."""
    from autograd.ops.fused import squared_error

    pred = Tensor(np.array([[1.0, 2.0], [3.0, -1.0]]), requires_grad=True)
    target = np.array([[0.0, 2.0], [1.0, 1.0]])
    expected = 0.5 * (pred.data - target)  # 2 · 0.25 · (pred - target)
    loss = squared_error(pred, target, 0.25)
    target[...] = 100.0
    (grad,) = ag.gradients(loss, [pred], create_graph=create_graph)
    np.testing.assert_array_equal(grad.data if create_graph else grad, expected)
    if create_graph:  # d/dpred of Σ grad = 2 · 0.25 per element
        (second,) = ag.gradients(grad.sum(), [pred])
        np.testing.assert_array_equal(second, np.full((2, 2), 0.5))
