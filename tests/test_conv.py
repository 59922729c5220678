"""Convolution and pooling: gradients, the scalar path, PyTorch, errors, sizes, LeNet-5."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
from autograd import Tensor, Value, gradcheck
from nn.datasets import load_mnist_sample
from nn.functional import avg_pool2d, conv1d, conv2d, max_pool2d
from nn.scalar_conv import scalar_avg_pool2d, scalar_conv2d, scalar_max_pool2d

SMALL = settings(max_examples=25)  # each example runs hundreds of tiny forwards


def leaf(a: np.ndarray, label: str = "") -> Tensor:
    return Tensor(a, dtype="float64", requires_grad=True, label=label)


def out_size(n: int, f: int, s: int, p: int, d: int) -> int:
    return (n + 2 * p - d * (f - 1) - 1) // s + 1


def reference_conv2d(x, w, b, stride, padding, dilation):
    """Convolution straight from its definition, one output position at a time."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = w.shape[2:]
    oh = out_size(x.shape[2], kh, sh, ph, dh)
    ow = out_size(x.shape[3], kw, sw, pw, dw)
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for r in range(oh):
        for c in range(ow):
            window = xp[:, :, r * sh:r * sh + dh * (kh - 1) + 1:dh,
                        c * sw:c * sw + dw * (kw - 1) + 1:dw]
            out[:, :, r, c] = np.einsum("nckl,ockl->no", window, w)
    return out if b is None else out + b[:, None, None]


def reference_pool(x, kernel, stride, reduce):
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    out = np.zeros(x.shape[:2] + (oh, ow))
    for r in range(oh):
        for c in range(ow):
            out[:, :, r, c] = reduce(x[:, :, r * sh:r * sh + kh, c * sw:c * sw + kw],
                                     axis=(2, 3))
    return out


@st.composite
def conv_cases(draw, dims: int = 2):
    """Small convolutions: sizes, strides, paddings and dilations that fit together."""
    pick = lambda lo, hi: tuple(draw(st.integers(lo, hi)) for _ in range(dims))  # noqa: E731
    kernel, stride, padding, dilation = pick(1, 3), pick(1, 3), pick(0, 2), pick(1, 2)
    size = tuple(
        draw(st.integers(max(1, d * (f - 1) + 1 - 2 * p), d * (f - 1) + 1 - 2 * p + 4))
        for f, p, d in zip(kernel, padding, dilation))
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    bias = draw(st.booleans())
    return n, c_in, c_out, size, kernel, stride, padding, dilation, bias, seed


# -- gradients and values of the Tensor ops -------------------------------------------------
@SMALL
@given(conv_cases())
def test_conv2d_matches_definition_and_gradcheck(case):
    n, c_in, c_out, size, kernel, stride, padding, dilation, bias, seed = case
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal((n, c_in) + size), "x")
    w = leaf(rng.standard_normal((c_out, c_in) + kernel), "w")
    b = leaf(rng.standard_normal(c_out), "b") if bias else None
    y = conv2d(x, w, b, stride, padding, dilation)
    expected = reference_conv2d(x.data, w.data, None if b is None else b.data, stride,
                                padding, dilation)
    assert y.shape == (n, c_out) + tuple(
        out_size(*a) for a in zip(size, kernel, stride, padding, dilation))
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    inputs = [x, w] + ([b] if bias else [])
    gradcheck(lambda *t: conv2d(t[0], t[1], t[2] if bias else None, stride, padding,
                                dilation), inputs)


@SMALL
@given(conv_cases(dims=1))
def test_conv1d_is_conv2d_of_height_one(case):
    n, c_in, c_out, size, kernel, stride, padding, dilation, bias, seed = case
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal((n, c_in) + size))
    w = leaf(rng.standard_normal((c_out, c_in) + kernel))
    b = leaf(rng.standard_normal(c_out)) if bias else None
    y = conv1d(x, w, b, stride, padding, dilation)
    expected = reference_conv2d(x.data[:, :, None], w.data[:, :, None],
                                None if b is None else b.data, (1,) + stride,
                                (0,) + padding, (1,) + dilation)[:, :, 0]
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    inputs = [x, w] + ([b] if bias else [])
    gradcheck(lambda *t: conv1d(t[0], t[1], t[2] if bias else None, stride, padding,
                                dilation), inputs)


@st.composite
def pool_cases(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    size = tuple(draw(st.integers(k, k + 4)) for k in kernel)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + size
    return shape, kernel, stride, draw(st.integers(0, 2**32 - 1))


@SMALL
@given(pool_cases())
def test_max_pool2d_matches_definition_and_gradcheck(case):
    shape, kernel, stride, seed = case
    rng = np.random.default_rng(seed)
    # distinct values 0.1 apart: no ties, so central differences see one smooth max
    x = leaf(rng.permutation(np.prod(shape)).reshape(shape) * 0.1)
    y = max_pool2d(x, kernel, stride)
    expected = reference_pool(x.data, kernel, stride or kernel, np.max)
    np.testing.assert_array_equal(y.data, expected)
    gradcheck(lambda t: max_pool2d(t, kernel, stride), [x])


@SMALL
@given(pool_cases())
def test_avg_pool2d_matches_definition_and_gradcheck(case):
    shape, kernel, stride, seed = case
    x = leaf(np.random.default_rng(seed).standard_normal(shape))
    y = avg_pool2d(x, kernel, stride)
    expected = reference_pool(x.data, kernel, stride or kernel, np.mean)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    gradcheck(lambda t: avg_pool2d(t, kernel, stride), [x])


def test_max_pool_splits_a_tied_window_gradient_among_its_maxima():
    x = leaf(np.array([[[[0.0, 0.0, 1.0, 3.0],
                         [0.0, 0.0, 3.0, 2.0],
                         [5.0, 5.0, 0.0, 0.0],
                         [5.0, 5.0, 0.0, 0.0]]]]))
    y = max_pool2d(x, 2)  # overlapping windows too: (3, 1) shares elements between windows
    y.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[0.25, 0.25, 0, 1], [0.25, 0.25, 1, 0],
                                                 [0.75, 0.75, 1, 1], [0.75, 0.75, 1, 1]])
    x.grad = None
    max_pool2d(x, 3, 1).sum().backward()  # each window's max counted once per window
    np.testing.assert_array_equal(x.grad[0, 0], [[0, 0, 0, 0], [0, 0, 0, 0],
                                                 [0.75, 2.25, 0, 0], [0.25, 0.75, 0, 0]])
    nan = leaf(np.array([[[[1.0, np.nan], [2.0, 0.0]]]]))
    assert np.isnan(max_pool2d(nan, 2).data).all()
    max_pool2d(nan, 2).sum().backward()  # the gradient goes to the nan that won the window
    np.testing.assert_array_equal(nan.grad[0, 0], [[0.0, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_second_derivatives_through_conv_and_pooling(pool):
    rng = np.random.default_rng(7)
    x = leaf(rng.standard_normal((1, 2, 5, 6)))
    w = leaf(rng.standard_normal((3, 2, 3, 3)))
    b = leaf(rng.standard_normal(3))
    cx, cw, cb = (rng.standard_normal(t.shape) for t in (x, w, b))

    def first(x, w, b):
        y = pool(conv2d(x, w, b, padding=1).tanh(), 2)
        return (y * y).sum()

    def second(x, w, b):  # a gradient built with create_graph, checked as a function
        gx, gw, gb = ag.grad(first)(x, w, b)
        return (gx * cx).sum() + (gw * cw).sum() + (gb * cb).sum()

    gradcheck(second, [x, w, b])
    for stride in (1, 2):  # the fast (stride 1) and the general input gradient
        gradcheck(ag.grad(lambda t, s=stride: conv2d(t, w, stride=s).tanh().sum()), [x])


def test_float32_stays_float32():
    x = Tensor(np.ones((2, 1, 6, 6)), dtype="float32", requires_grad=True)
    layer = nn.Conv2d(1, 2, 3, padding=1, seed=0)
    y = nn.MaxPool2d(2)(layer(x))
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    assert layer.weight.grad.dtype == np.float32 and layer.bias.grad.dtype == np.float32
    assert nn.AvgPool2d(2)(x).dtype == np.float32


# -- the scalar path ------------------------------------------------------------------------
def value_grid(a: np.ndarray, name: str) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    for index in np.ndindex(a.shape):
        out[index] = Value(float(a[index]), label=f"{name}{index}")
    return out


def grads_of(grid: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: v.grad, otypes=[float])(grid)


@SMALL
@given(conv_cases())
def test_scalar_conv2d_equals_the_tensor_op(case):
    _, c_in, _, size, kernel, stride, padding, dilation, bias, seed = case
    rng = np.random.default_rng(seed)
    image, kernel_w = rng.standard_normal((c_in,) + size), rng.standard_normal((c_in,) + kernel)
    b = float(rng.standard_normal())
    xs, ws, bv = value_grid(image, "x"), value_grid(kernel_w, "w"), Value(b)
    out = scalar_conv2d(xs, ws, stride, padding, dilation, bv if bias else None)
    weights_out = rng.standard_normal((len(out), len(out[0])))
    total = Value.sum([v * float(c) for row, crow in zip(out, weights_out)
                       for v, c in zip(row, crow)])
    total.backward()

    x, w, bt = leaf(image[None]), leaf(kernel_w[None]), leaf(np.array([b]))
    y = conv2d(x, w, bt if bias else None, stride, padding, dilation)
    (y * weights_out).sum().backward()
    values = np.array([[v.data for v in row] for row in out])
    np.testing.assert_allclose(values, y.data[0, 0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads_of(xs), x.grad[0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads_of(ws), w.grad[0], rtol=1e-10, atol=1e-10)
    if bias:
        assert bv.grad == pytest.approx(bt.grad[0], abs=1e-10)


@SMALL
@given(pool_cases())
def test_scalar_pools_equal_the_tensor_ops(case):
    (_, _, h, w), kernel, stride, seed = case
    image = np.random.default_rng(seed).integers(0, 3, (h, w)).astype(float)  # ties too
    for scalar, tensor in ((scalar_max_pool2d, max_pool2d), (scalar_avg_pool2d, avg_pool2d)):
        xs = value_grid(image, "x")
        out = scalar(xs, kernel, stride)
        Value.sum([v * (i + 1) for i, v in enumerate(o for row in out for o in row)]).backward()
        x = leaf(image[None, None])
        y = tensor(x, kernel, stride)
        (y * np.arange(1, y.size + 1).reshape(y.shape)).sum().backward()
        np.testing.assert_allclose([[v.data for v in row] for row in out], y.data[0, 0],
                                   rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(grads_of(xs), x.grad[0, 0], rtol=1e-10, atol=1e-10)


def test_a_shared_weight_collects_gradient_from_every_position():
    image = value_grid(np.arange(16.0).reshape(4, 4), "x")
    kernel = value_grid(np.array([[0.5, -1.0], [0.25, 2.0]]), "w")
    out = scalar_conv2d(image, kernel)
    assert len(out) == 3 and all(len(row) == 3 for row in out)
    loss = Value.sum([v for row in out for v in row])
    loss.backward()
    # w[i, j] multiplies x[r + i, c + j] at each of the 9 positions
    for i in range(2):
        for j in range(2):
            assert kernel[i, j].grad == sum(4.0 * (r + i) + c + j
                                            for r in range(3) for c in range(3))
    source = ag.draw_graph(loss).source
    w00 = str(id(kernel[0, 0]))
    assert sum(line.strip().startswith(f"{w00} ->") for line in source.splitlines()) == 9


def test_to_scalar_runs_a_cnn_one_value_at_a_time():
    rng = np.random.default_rng(3)
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1, dtype="float64", seed=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 2, (2, 3), stride=(1, 2), dilation=(2, 1), dtype="float64", seed=2),
        nn.AvgPool2d(1), nn.Flatten(), nn.Linear(2, 2, dtype="float64", seed=3))
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            layer.bias.data = rng.standard_normal(layer.bias.shape)
    x = rng.standard_normal((1, 2, 6, 7))
    out = model(Tensor(x, dtype="float64"))
    (out * np.array([[1.0, -2.0]])).sum().backward()
    view = model.to_scalar()
    values = view(x[0])
    np.testing.assert_allclose([v.data for v in values], out.data[0], rtol=1e-10, atol=1e-12)
    (values[0] - 2.0 * values[1]).backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(view.grads()[name], p.grad, rtol=1e-10, atol=1e-12)


def test_conv1d_to_scalar():
    layer = nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, dtype="float64", seed=0)
    x = np.random.default_rng(0).standard_normal((1, 2, 9))
    out = layer(Tensor(x, dtype="float64"))
    values = layer.to_scalar()(x[0])
    assert values.shape == out.shape[1:]
    np.testing.assert_allclose(np.vectorize(float)(values), out.data[0], rtol=1e-10)


# -- PyTorch, when installed ----------------------------------------------------------------
def test_conv_and_pools_match_pytorch():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(11)
    for stride, padding, dilation in [(1, 2, 1), ((2, 1), (0, 1), (1, 2)), (3, 1, 2)]:
        a, k, bias = (rng.standard_normal(s) for s in ((3, 4, 11, 10), (5, 4, 3, 3), (5,)))
        x, w, b = leaf(a), leaf(k), leaf(bias)
        tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (a, k, bias))
        y = conv2d(x, w, b, stride, padding, dilation)
        ty = functional.conv2d(tx, tw, tb, stride, padding, dilation)
        g = rng.standard_normal(y.shape)
        y.backward(g)
        ty.backward(torch.tensor(g))
        for ours, theirs in ((y.data, ty), (x.grad, tx.grad), (w.grad, tw.grad),
                             (b.grad, tb.grad)):
            np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    # average pooling on relu outputs (windows full of tied zeros); max pooling where no
    # window ties: at a tie PyTorch sends the gradient to one maximum, and we split it
    untied = rng.standard_normal((2, 3, 9, 8))
    for pool, theirs_fn, a in ((max_pool2d, functional.max_pool2d, untied),
                               (avg_pool2d, functional.avg_pool2d, np.maximum(untied, 0.0))):
        for kernel, stride in ((2, None), (3, 2), ((2, 3), (1, 2))):
            x, tx = leaf(a), torch.tensor(a, requires_grad=True)
            y, ty = pool(x, kernel, stride), theirs_fn(tx, kernel, stride)
            g = rng.standard_normal(y.shape)
            y.backward(g)
            ty.backward(torch.tensor(g))
            np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12)
            np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_lenet5_weights_load_into_pytorch_one_to_one():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    ours = nn.models.LeNet5(seed=0)
    theirs = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5),
        tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(),
        tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    labels = np.array([0, 3, 9, 4])
    loss = nn.cross_entropy(ours(Tensor(x)), labels)
    loss.backward()
    their_loss = tnn.functional.cross_entropy(theirs(torch.from_numpy(x)),
                                              torch.from_numpy(labels))
    their_loss.backward()
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=name)


# -- errors ---------------------------------------------------------------------------------
def test_error_messages():
    formula = "out = (N + 2P - D(F-1) - 1)/S + 1"
    with pytest.raises(ValueError) as error:
        nn.Conv2d(1, 6, 5)(Tensor(np.zeros((8, 1, 3, 3)), dtype="float32"))
    assert str(error.value) == (
        "Conv2d: kernel 5x5 is larger than the padded input 3x3 (H + 2P = 3 + 2*0); "
        f"{formula} needs D(F-1) + 1 <= N + 2P")
    with pytest.raises(ValueError) as error:
        nn.Conv2d(3, 6, 5)(Tensor(np.zeros((8, 1, 28, 28)), dtype="float32"))
    assert str(error.value) == "Conv2d expects 3 input channels, got a tensor of shape " \
        "(8, 1, 28, 28)"
    with pytest.raises(ValueError) as error:
        nn.Conv2d(1, 6, 5, stride=0)
    assert str(error.value) == f"Conv2d: stride must be >= 1, got 0 ({formula})"
    with pytest.raises(ValueError) as error:
        nn.Conv2d(1, 1, 3, padding=(1, 0), dilation=2)(
            Tensor(np.zeros((1, 1, 9, 4)), dtype="float32"))
    assert str(error.value).startswith(
        "Conv2d: kernel 3x3 with dilation 2x2 spans 5x5 and is larger than the padded input "
        "11x4 (W + 2P = 4 + 2*0)")
    with pytest.raises(ValueError, match=r"^Conv1d: kernel 4 is larger than the padded "
                       r"input 3 \(L \+ 2P = 3 \+ 2\*0\)"):
        nn.Conv1d(2, 2, 4)(Tensor(np.zeros((1, 2, 3)), dtype="float32"))
    with pytest.raises(ValueError, match=r"^MaxPool2d: kernel 3x3 is larger than the padded "
                       r"input 2x2 \(H \+ 2P = 2 \+ 2\*0\)"):
        nn.MaxPool2d(3)(Tensor(np.zeros((1, 1, 2, 2)), dtype="float32"))
    with pytest.raises(ValueError, match=r"^AvgPool2d: stride must be >= 1, got 0"):
        nn.AvgPool2d(2, stride=0)
    with pytest.raises(ValueError, match=r"^Conv2d: input must have shape \(N, C, H, W\), "
                       r"got a tensor of shape \(1, 28, 28\)"):
        nn.Conv2d(1, 6, 5)(Tensor(np.zeros((1, 28, 28)), dtype="float32"))
    with pytest.raises(ValueError, match=r"^conv2d: bias must be a Tensor of shape \(2,\)"):
        conv2d(Tensor(np.zeros((1, 1, 3, 3)), dtype="float32"),
               Tensor(np.zeros((2, 1, 2, 2)), dtype="float32"),
               Tensor(np.zeros(3), dtype="float32"))
    with pytest.raises(TypeError, match="dtype mismatch"):
        conv2d(Tensor(np.zeros((1, 1, 3, 3)), dtype="float64"),
               Tensor(np.zeros((2, 1, 2, 2)), dtype="float32"))
    with pytest.raises(ValueError, match=r"^Conv2d: one example must have shape \(C, H, W\)"):
        nn.Conv2d(1, 2, 2).to_scalar()(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="kernel has 2 channels but the image has 1"):
        scalar_conv2d(np.zeros((4, 4)), np.zeros((2, 2, 2)))


# -- sizes, parameters, saving --------------------------------------------------------------
@pytest.mark.parametrize("n, f, s, p, d", [(28, 5, 1, 2, 1), (32, 5, 1, 0, 1), (7, 3, 2, 1, 1),
                                           (227, 11, 4, 0, 1), (10, 3, 3, 0, 2), (5, 5, 1, 0, 1)])
def test_output_size_follows_the_formula(n, f, s, p, d):
    layer = nn.Conv2d(3, 4, f, stride=s, padding=p, dilation=d, seed=0)
    y = layer(Tensor(np.zeros((1, 3, n, n + 1)), dtype="float32"))
    assert y.shape == (1, 4, out_size(n, f, s, p, d), out_size(n + 1, f, s, p, d))
    if min(y.shape[2:]) >= 2:
        assert nn.MaxPool2d(2)(y).shape[2:] == (y.shape[2] // 2, y.shape[3] // 2)


def test_parameter_counts():
    assert nn.Conv2d(3, 8, 3).num_parameters() == 8 * (3 * 3 * 3) + 8  # F·F·D_in + 1 each
    assert nn.Conv2d(3, 8, (3, 5), bias=False).num_parameters() == 8 * 3 * 3 * 5
    assert nn.Conv1d(4, 2, 5).num_parameters() == 2 * (5 * 4) + 2
    model = nn.models.LeNet5()
    counts = [layer.num_parameters() for layer in model if layer.num_parameters()]
    assert counts == [156, 2_416, 48_120, 10_164, 850]
    assert model.num_parameters() == 61_706
    assert nn.models.LeNet5(pooling="avg", activation="tanh").num_parameters() == 61_706
    assert model(Tensor(np.zeros((2, 1, 28, 28)), dtype="float32")).shape == (2, 10)


def test_seeded_initialisation_is_reproducible():
    a, b = nn.Conv2d(2, 3, 3, seed=5), nn.Conv2d(2, 3, 3, seed=5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert a.weight.shape == (3, 2, 3, 3)
    c = nn.Conv2d(2, 3, 3, init="he_normal", rng=np.random.default_rng(5))
    assert not np.array_equal(a.weight.data, c.weight.data)


def test_save_and_load_round_trip(tmp_path):
    model = nn.models.LeNet5(pooling="avg", activation="tanh", seed=1)
    x = Tensor(np.random.default_rng(0).standard_normal((3, 1, 28, 28)), dtype="float32")
    path = tmp_path / "lenet.npz"
    nn.save(model, path)
    loaded = nn.load(path)
    assert type(loaded) is nn.models.LeNet5 and loaded.config() == model.config()
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    other = nn.Sequential(nn.Conv1d(2, 3, (3,), stride=2, padding=1, dilation=2, bias=False),
                          nn.Tanh())
    nn.save(other, tmp_path / "conv1d.npz")
    again = nn.load(tmp_path / "conv1d.npz")
    signal = Tensor(np.ones((1, 2, 9)), dtype="float32")
    np.testing.assert_array_equal(again(signal).data, other(signal).data)
    assert again[0].config() == other[0].config()


def test_lenet5_learns_the_shipped_digits():
    data = load_mnist_sample()
    x = (data.train_images[:, None] / np.float32(255)).astype(np.float32)
    model = nn.models.LeNet5(seed=0)
    optimizer = nn.Adam(model.parameters(), lr=3e-3)
    loader = nn.DataLoader(x, data.train_labels.astype(np.int64), batch_size=32,
                           shuffle=True, seed=0)
    nn.fit(model, nn.cross_entropy, optimizer, loader, epochs=1, progress=False)
    test = (data.test_images[:, None] / np.float32(255)).astype(np.float32)
    assert nn.accuracy(model(Tensor(test)), data.test_labels) > 0.9  # 0.937 when written
