"""Convolution: `unfold` (im2col), its adjoint `fold`, and `conv1d`/`conv2d` built on them.

    unfold: (N, C, H, W) -> (N, C*kh*kw, L), L = out_h * out_w, as torch's F.unfold
            (N, C, L_in)  -> (N, C*k, L) for 1-D signals

A convolution is one graph node: forward unfolds the input into columns and multiplies
them by the weights reshaped to (out, C·kh·kw),

    y[n] = W₂ · cols(x)[n] + b        (one batched BLAS matmul over the N examples)

and backward uses the two matmuls of its derivative, ∂L/∂W = Σₙ G[n] · cols[n]ᵀ and
∂L/∂x = fold(W₂ᵀ · G). unfold reads windows through a strided view (no loop over
pixels); fold adds the columns back with one loop over the kh·kw kernel offsets.

Sizes (`geometry`): out = (N + 2P - D(F-1) - 1) // S + 1 for input size N, padding P,
dilation D, kernel F and stride S; a kernel wider than the padded input is an error, and
so are settings whose padded input or columns would exceed `MAX_ELEMENTS` (checked before
anything is allocated).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd.op import Op, register
from autograd.ops.fused import ones
from autograd.tensor import MAX_ELEMENTS, Tensor, check_dtypes, constant_input, result

FORMULA = "out = (N + 2P - D(F-1) - 1)/S + 1"
SHORT_ROW = 16  # output rows narrower than this unfold in two copies (measured: LeNet-5's
# conv2, 10 wide, 0.50 -> 0.37 ms; 28 wide is faster in one)


# -- geometry ---------------------------------------------------------------------------
class Geometry(NamedTuple):
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    size: tuple[int, int]  # input height, width
    out: tuple[int, int]  # output height, width


def _pair(name: str, what: str, value: Any, dims: int, low: int) -> tuple[int, int]:
    items = value if isinstance(value, (tuple, list)) else (value,) * dims
    try:
        items = tuple(operator.index(v) for v in items)
    except TypeError:
        raise TypeError(f"{name}: {what} must be ints, got {value!r}") from None
    if len(items) != dims:
        raise ValueError(f"{name}: {what} needs {dims} values, got {value!r}")
    for v in items:
        if v < low:
            raise ValueError(f"{name}: {what} must be >= {low}, got {value!r} ({FORMULA})")
    return items if dims == 2 else (1 if what != "padding" else 0,) + items


def _settings(name: str, dims: int, kernel_size: Any, stride: Any, padding: Any,
              dilation: Any) -> tuple[tuple[int, int], ...]:
    """Validated (kernel, stride, padding, dilation), each padded to two axes."""
    return (_pair(name, "kernel_size", kernel_size, dims, 1),
            _pair(name, "stride", stride, dims, 1),
            _pair(name, "padding", padding, dims, 0),
            _pair(name, "dilation", dilation, dims, 1))


def check_settings(name: str, dims: int, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any) -> tuple[tuple[int, ...], ...]:
    """Validated (kernel, stride, padding, dilation), each a tuple of `dims` ints."""
    return tuple(p[2 - dims:] for p in _settings(name, dims, kernel_size, stride, padding,
                                                  dilation))


def geometry(name: str, size: tuple[int, ...], kernel_size: Any, stride: Any = 1,
             padding: Any = 0, dilation: Any = 1, planes: int = 1) -> Geometry:
    """Check the convolution settings for spatial `size` (1 or 2 dims) and size the output.

    `planes` (examples × channels) sizes the padded input and the unfolded columns: above
    `MAX_ELEMENTS` elements either is a ValueError naming the settings.
    """
    dims = len(size)
    kernel, stride, padding, dilation = _settings(name, dims, kernel_size, stride, padding,
                                                  dilation)
    size2 = (1,) * (2 - dims) + tuple(size)
    span = tuple(d * (f - 1) + 1 for f, d in zip(kernel, dilation))
    for i, (n, p, extent) in enumerate(zip(size2, padding, span)):
        if extent > n + 2 * p:  # no output position at all along this axis
            _overhang(name, size, i - (2 - dims), kernel, padding, dilation, span)
    out = [(n + 2 * p - extent) // s + 1
           for n, p, extent, s in zip(size2, padding, span, stride)]
    lo = 2 - dims  # the settings are padded to two axes; a message shows the user's
    padded = planes * (size2[0] + 2 * padding[0]) * (size2[1] + 2 * padding[1])
    cause = f"padding {_setting(padding[lo:])}" if any(padding) else f"size {_setting(size)}"
    _check_size(name, cause, "the padded input", padded)
    columns = planes * kernel[0] * kernel[1] * out[0] * out[1]
    _check_size(name, f"kernel_size {_setting(kernel[lo:])}, stride {_setting(stride[lo:])}, "
                f"padding {_setting(padding[lo:])} and dilation {_setting(dilation[lo:])}",
                "the unfolded columns", columns)
    return Geometry(kernel, stride, padding, dilation, size2, tuple(out))


def _setting(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(values) == 1 else str(values)


def _check_size(name: str, settings: str, what: str, elements: int) -> None:
    if elements > MAX_ELEMENTS:
        raise ValueError(f"{name}: {settings} would make {what} {elements:.3g} elements "
                         f"large (the limit is {MAX_ELEMENTS:.3g}); check the settings")


def _overhang(name: str, size: tuple[int, ...], axis: int, kernel: tuple[int, int],
              padding: tuple[int, int], dilation: tuple[int, int],
              span: tuple[int, int]) -> None:
    """Raise: the kernel (as dilated) is larger than the padded input along `axis`."""
    lo = 2 - len(size)  # the settings are padded to two axes
    kernel, padding, dilation, span = kernel[lo:], padding[lo:], dilation[lo:], span[lo:]
    what = f"kernel {_shape_text(kernel)}"
    if span != kernel:
        what += f" with dilation {_shape_text(dilation)} spans {_shape_text(span)} and"
    padded = tuple(n + 2 * p for n, p in zip(size, padding))
    raise ValueError(
        f"{name}: {what} is larger than the padded input {_shape_text(padded)} "
        f"({_AXES[len(size)][axis]} + 2P = {size[axis]} + 2*{padding[axis]}); "
        f"{FORMULA} needs D(F-1) + 1 <= N + 2P")


def _shape_text(size: tuple[int, ...]) -> str:
    return "x".join(map(str, size))


_AXES = {1: ("L",), 2: ("H", "W")}


# -- linear maps of an image and their adjoints -----------------------------------------
class ImageCtx(NamedTuple):
    geometry: Geometry
    image_shape: tuple[int, ...]  # the (N, C, H, W) or (N, C, L) side of the map


def adjoint(apply: Callable[[np.ndarray, Any], np.ndarray], g: Any, ctx: Any,
            adjoint_op: Op) -> tuple:
    """The gradient of an op that is a fixed linear map (unfold, fold, pooling): its
    adjoint `apply(g, ctx)`. With create_graph that gradient is recorded as `adjoint_op`,
    whose own rule maps back, so second derivatives need no rule of their own."""
    if g.__class__ is Tensor:
        return (result(apply(g.data, ctx), (g,), adjoint_op, ctx),)
    return (apply(g, ctx),)


# -- unfold -----------------------------------------------------------------------------
def unfold(x: Tensor, kernel_size: Any, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1) -> Tensor:
    """Sliding patches of `x` as columns: (N, C, H, W) -> (N, C*kh*kw, out_h*out_w)."""
    if len(x.shape) not in (3, 4):
        raise ValueError(f"unfold: input must have shape (N, C, H, W) or (N, C, L), got "
                         f"{x.shape}")
    ctx = ImageCtx(geometry("unfold", x.shape[2:], kernel_size, stride, padding, dilation,
                            planes=x.shape[0] * x.shape[1]), x.shape)
    return result(UNFOLD.forward(x.data, ctx), (x,), UNFOLD, ctx)


def unfold_forward(x: np.ndarray, ctx: ImageCtx) -> np.ndarray:
    geo = ctx.geometry
    return unfold_array(x.reshape(ctx.image_shape[:2] + geo.size), geo)


def unfold_array(a: np.ndarray, geo: Geometry) -> np.ndarray:
    """im2col of an (N, C, H, W) array: (N, C·kh·kw, out_h·out_w)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geo.kernel, geo.stride, geo.padding, geo.dilation
    (oh, ow), (n, c, h, w) = geo.out, a.shape
    if ph or pw:  # zeros and a copy of the image: faster than np.pad
        padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=a.dtype)
        padded[:, :, ph:ph + h, pw:pw + w] = a
        a = padded
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)  # the dilated kernel's extent
    if ow < SHORT_ROW:
        # numpy copies rows of a few elements slowly, one at a time; in two copies, the
        # second moves whole (out_h, out_w) blocks, one run each when the stride is 1
        across = sliding_window_view(a, span[1], axis=3)[:, :, :, :sw * (ow - 1) + 1:sw, ::dw]
        a = np.ascontiguousarray(across.transpose(0, 1, 4, 2, 3))  # (N, C, kw, Hp, out_w)
        windows = sliding_window_view(a, span[0], axis=3)[:, :, :, :sh * (oh - 1) + 1:sh, :,
                                                          ::dh]
        # (N, C, kw, out_h, out_w, kh) -> (N, C, kh, kw, out_h, out_w)
        return windows.transpose(0, 1, 5, 2, 3, 4).reshape(n, c * kh * kw, -1)
    windows = sliding_window_view(a, span, axis=(2, 3))
    if (sh, sw, dh, dw) != (1, 1, 1, 1):  # even steps of 1 make the copy a little slower
        windows = windows[:, :, ::sh, ::sw, ::dh, ::dw]
    # (N, C, out_h, out_w, kh, kw) -> (N, C, kh, kw, out_h, out_w): channel-major rows
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, -1)


def unfold_grad(g, out, ctx, x):
    return adjoint(fold_forward, g, ctx, FOLD)


UNFOLD = register(
    "unfold", "∂unfold(x)/∂x = fold: each column's gradient added back onto its patch",
    engines=("Tensor",), forward=unfold_forward, grad=unfold_grad)


# -- fold -------------------------------------------------------------------------------
def fold(cols: Tensor, output_size: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0,
         dilation: Any = 1) -> Tensor:
    """The adjoint of unfold: add each column back onto its patch (overlaps add up).

    `output_size` is (H, W), or L for 1-D; returns (N, C, H, W) or (N, C, L).
    """
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,)
    kernel = _pair("fold", "kernel_size", kernel_size, len(size), 1)
    planes = cols.shape[0] * cols.shape[1] // (kernel[0] * kernel[1]) if cols.ndim == 3 else 1
    geo = geometry("fold", size, kernel_size, stride, padding, dilation, planes)
    kh, kw = geo.kernel
    if cols.ndim != 3 or cols.shape[1] % (kh * kw) or cols.shape[2] != geo.out[0] * geo.out[1]:
        raise ValueError(f"fold: columns of shape {cols.shape} do not match kernel {geo.kernel} "
                         f"and output size {size}: expected (N, C*{kh * kw}, "
                         f"{geo.out[0] * geo.out[1]})")
    ctx = ImageCtx(geo, (cols.shape[0], cols.shape[1] // (kh * kw)) + size)
    return result(FOLD.forward(cols.data, ctx), (cols,), FOLD, ctx)


def fold_forward(cols: np.ndarray, ctx: ImageCtx) -> np.ndarray:
    return fold_array(cols, ctx.geometry, ctx.image_shape)


def fold_array(cols: np.ndarray, geo: Geometry, shape: tuple[int, ...]) -> np.ndarray:
    """col2im: columns (N, C·kh·kw, L) added back into an image of `shape`."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geo.kernel, geo.stride, geo.padding, geo.dilation
    (h, w), (oh, ow) = geo.size, geo.out
    n, c = shape[:2]
    patches = cols.reshape(n, c, kh, kw, oh, ow)
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            padded[:, :, top:top + sh * (oh - 1) + 1:sh,
                   left:left + sw * (ow - 1) + 1:sw] += patches[:, :, i, j]
    return padded[:, :, ph:ph + h, pw:pw + w].reshape(shape)


def fold_grad(g, out, ctx, cols):
    return adjoint(unfold_forward, g, ctx, UNFOLD)


FOLD = register(
    "fold", "∂fold(cols)/∂cols = unfold: each patch of the gradient as a column",
    engines=("Tensor",), forward=fold_forward, grad=fold_grad)


# -- convolution ------------------------------------------------------------------------
class ConvCtx(NamedTuple):
    geometry: Geometry
    needs: tuple[bool, ...]  # which of (x, weight[, bias]) need a gradient
    columns: np.ndarray | None  # unfolded input, kept only for the weight's gradient


def conv2d(x: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, name: str = "conv2d") -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) of x (N, C, H, W) with
    weight (out, C, kh, kw) and bias (out,): returns (N, out, OH, OW).

    `name` prefixes error messages (the Conv2d layer passes its own).
    """
    return _conv(2, name, x, weight, bias, stride, padding, dilation)


def conv1d(x: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, name: str = "conv1d") -> Tensor:
    """1-D convolution of x (N, C, L) with weight (out, C, k) and bias (out,): (N, out, OL)."""
    return _conv(1, name, x, weight, bias, stride, padding, dilation)


def _conv(dims: int, name: str, x: Any, weight: Tensor, bias: Tensor | None, stride: Any,
          padding: Any, dilation: Any) -> Tensor:
    layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    if not isinstance(weight, Tensor) or weight.ndim != dims + 2:
        wanted = "(out, C, k)" if dims == 1 else "(out, C, kh, kw)"
        raise ValueError(f"{name}: weight must be a Tensor of shape {wanted}, got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    x = x if isinstance(x, Tensor) else constant_input(name, x, weight)
    if x.ndim != dims + 2:
        raise ValueError(f"{name}: input must have shape {layout}, got a tensor of shape "
                         f"{x.shape}")
    n_out, channels = weight.shape[:2]
    if x.shape[1] != channels:
        raise ValueError(f"{name} expects {channels} input channels, got a tensor of shape "
                         f"{x.shape}")
    check_dtypes(name, x, weight)
    parents: tuple = (x, weight)
    if bias is not None:
        if not isinstance(bias, Tensor) or bias.shape != (n_out,):
            raise ValueError(f"{name}: bias must be a Tensor of shape ({n_out},), got "
                             f"{getattr(bias, 'shape', type(bias).__name__)}")
        check_dtypes(name, bias, weight)
        parents += (bias,)
    geo = geometry(name, x.shape[2:], weight.shape[2:], stride, padding, dilation,
                   planes=x.shape[0] * channels)
    needs = tuple(p.requires_grad for p in parents)
    y, ctx = CONV.forward(x.data, weight.data, None if bias is None else bias.data, geo, needs)
    return result(y, parents, CONV, ctx)


def conv_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geo: Geometry,
                 needs: tuple[bool, ...]) -> tuple[np.ndarray, ConvCtx]:
    """(N, out, ...) outputs, shaped like the input, and the context (the columns, if the
    weight needs a gradient)."""
    n, channels = x.shape[:2]
    n_out = weight.shape[0]
    cols = unfold_array(x.reshape((n, channels) + geo.size), geo)
    y = np.matmul(weight.reshape(n_out, -1), cols)  # (N, out, L)
    if bias is not None:
        y += bias[:, None]
    out_size = geo.out[4 - x.ndim:]  # a 1-D signal is an image of height 1
    return y.reshape((n, n_out) + out_size), ConvCtx(geo, needs, cols if needs[1] else None)


def conv_grad(g, out, ctx, x, weight, bias=None):
    geo, needs, cols = ctx
    n, n_out = g.shape[:2]
    x4 = (n, x.shape[1]) + geo.size  # a 1-D signal is an image of height 1
    g3 = g.reshape(n, n_out, -1)
    w2 = weight.reshape(n_out, -1)
    gx = gw = gb = None
    needs_bias = bias is not None and needs[2]
    if g.__class__ is Tensor:  # create_graph: the same rule from differentiable ops
        settings = (geo.kernel, geo.stride, geo.padding, geo.dilation)
        if needs[0]:
            gx = fold(w2.T @ g3, geo.size, *settings).reshape(x.shape)
        if needs[1]:
            cols_t = unfold(x.reshape(x4), *settings).transpose(0, 2, 1)
            gw = (g3 @ cols_t).sum(axis=0).reshape(weight.shape)
        if needs_bias:
            gb = g3.sum(axis=(0, 2))
    else:
        if needs[0]:
            gx = _input_grad(g3, w2, geo, x4).reshape(x.shape)
        if needs[1]:  # (N, CKK, L) @ (N, L, out) runs faster than the product transposed
            gw = np.matmul(cols, g3.transpose(0, 2, 1)).sum(axis=0).T.reshape(weight.shape)
        if needs_bias:  # Σ over examples, then over positions, as products with `ones`
            by_position = np.dot(ones(n, g.dtype), g3.reshape(n, -1)).reshape(n_out, -1)
            gb = by_position @ ones(by_position.shape[1], g.dtype)
    return (gx, gw) if bias is None else (gx, gw, gb)


def _input_grad(g3: np.ndarray, w2: np.ndarray, geo: Geometry, shape: tuple[int, ...]
                ) -> np.ndarray:
    """fold(W₂ᵀ·G): each output's gradient, spread back over the inputs of its window.

    With stride 1 a kernel offset (i, j) shifts the whole image by i·D·Wp + j·D in the
    row-major padded image (width Wp), so G is laid in rows Wp wide (zeros past OW). The
    kw shifts along a row become part of the product: one matmul of the weights as
    (kh·C, out·kw) with G's kw shifted copies (N, out·kw, ·) gives, for each kernel row i,
    the sum over j already made; kh contiguous additions then place the rows. That is kh
    passes over memory instead of kh·kw, and a product over out·kw rather than out terms,
    which runs nearer BLAS's peak; the general `fold` serves other strides.
    """
    if geo.stride != (1, 1):
        return fold_array(np.matmul(w2.T, g3), geo, shape)
    (h, w), (ph, pw), (dh, dw), (kh, kw) = geo.size, geo.padding, geo.dilation, geo.kernel
    n, n_out, oh, ow = g3.shape[0], g3.shape[1], geo.out[0], geo.out[1]
    channels, hp, wp = shape[1], h + 2 * ph, w + 2 * pw
    reach, run = wp - ow, oh * wp  # a row's last offset past its first; G's rows Wp wide
    wide = np.zeros((n, n_out, reach + run), dtype=g3.dtype)  # G after `reach` zeros
    wide[:, :, reach:].reshape(n, n_out, oh, wp)[..., :ow] = g3.reshape(n, n_out, oh, ow)
    # shifted[:, o, j] is G moved right by (kw-1-j)·D, hence the kernel's columns reversed
    shifted = sliding_window_view(wide, run, axis=2)[:, :, ::dw].reshape(n, n_out * kw, run)
    w_rows = w2.reshape(n_out, channels, kh, kw)[..., ::-1].transpose(2, 1, 0, 3)
    rows = np.matmul(w_rows.reshape(kh * channels, n_out * kw), shifted)
    rows = rows.reshape(n, kh, channels, run)
    image = np.zeros((n, channels, hp * wp), dtype=g3.dtype)
    for i in range(kh):
        image[:, :, i * dh * wp:i * dh * wp + run] += rows[:, i]
    return image.reshape(n, channels, hp, wp)[:, :, ph:ph + h, pw:pw + w]


CONV = register(
    "conv", "conv1d and conv2d, y = W₂·cols(x) + b: ∂/∂W = Σₙ G·colsᵀ, "
    "∂/∂x = fold(W₂ᵀ·G), ∂/∂b = Σ G", engines=("Tensor",), forward=conv_forward,
    grad=conv_grad)
