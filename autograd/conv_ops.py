"""im2col for convolution: `unfold` (patches as columns) and its adjoint `fold`.

    unfold: (N, C, H, W) -> (N, C*kh*kw, L), L = out_h * out_w, as torch's F.unfold
            (N, C, L_in)  -> (N, C*k, L) for 1-D signals

A convolution is then one matmul of the weights with the columns. Each output size is
out = (N + 2P - D(F-1) - 1) // S + 1 for input size N, padding P, dilation D, kernel F
and stride S. unfold reads windows through a strided view (no loop over pixels); fold
adds the columns back with one loop over the kh*kw kernel offsets.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd.op import OPS, register
from autograd.tensor import Tensor, result

FORMULA = "out = (N + 2P - D(F-1) - 1)/S + 1"


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


def geometry(name: str, size: tuple[int, ...], kernel_size: Any, stride: Any = 1,
             padding: Any = 0, dilation: Any = 1) -> Geometry:
    """Check the convolution settings for spatial `size` (1 or 2 dims) and size the output."""
    dims = len(size)
    kernel = _pair(name, "kernel_size", kernel_size, dims, 1)
    stride = _pair(name, "stride", stride, dims, 1)
    padding = _pair(name, "padding", padding, dims, 0)
    dilation = _pair(name, "dilation", dilation, dims, 1)
    size2 = (1,) * (2 - dims) + tuple(size)
    span = tuple(d * (f - 1) + 1 for f, d in zip(kernel, dilation))
    for i, (n, p, extent) in enumerate(zip(size2, padding, span)):
        if extent > n + 2 * p:  # no output position at all along this axis
            _overhang(name, size, i - (2 - dims), kernel, padding, dilation, span)
    out = [(n + 2 * p - extent) // s + 1
           for n, p, extent, s in zip(size2, padding, span, stride)]
    return Geometry(kernel, stride, padding, dilation, size2, tuple(out))


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


def _check_input(shape: tuple[int, ...]) -> None:
    if len(shape) not in (3, 4):
        raise ValueError(f"unfold: input must have shape (N, C, H, W) or (N, C, L), got "
                         f"{shape}")


def unfold(x: Tensor, kernel_size: Any, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1) -> Tensor:
    """Sliding patches of `x` as columns: (N, C, H, W) -> (N, C*kh*kw, out_h*out_w)."""
    _check_input(x.shape)
    geo = geometry("unfold", x.shape[2:], kernel_size, stride, padding, dilation)
    n, c = x.shape[:2]
    data = _unfold_array(x._array.reshape((n, c) + geo.size), geo)
    return result(data, (x,), UNFOLD, (geo, x.shape))


def fold(cols: Tensor, output_size: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0,
         dilation: Any = 1) -> Tensor:
    """The adjoint of unfold: add each column back onto its patch (overlaps add up).

    `output_size` is (H, W), or L for 1-D; returns (N, C, H, W) or (N, C, L).
    """
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,)
    geo = geometry("fold", size, kernel_size, stride, padding, dilation)
    kh, kw = geo.kernel
    if cols.ndim != 3 or cols.shape[1] % (kh * kw) or cols.shape[2] != geo.out[0] * geo.out[1]:
        raise ValueError(f"fold: columns of shape {cols.shape} do not match kernel {geo.kernel} "
                         f"and output size {size}: expected (N, C*{kh * kw}, "
                         f"{geo.out[0] * geo.out[1]})")
    shape = (cols.shape[0], cols.shape[1] // (kh * kw)) + size
    return result(_fold_array(cols._array, geo, shape), (cols,), FOLD, (geo, shape))


def _unfold_array(a: np.ndarray, geo: Geometry) -> np.ndarray:
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geo.kernel, geo.stride, geo.padding, geo.dilation
    n, c = a.shape[:2]
    if ph or pw:
        a = np.pad(a, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)  # the dilated kernel's extent
    windows = sliding_window_view(a, span, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    # (N, C, out_h, out_w, kh, kw) -> (N, C, kh, kw, out_h, out_w): channel-major rows
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, -1)


def _fold_array(cols: np.ndarray, geo: Geometry, shape: tuple[int, ...]) -> np.ndarray:
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


def linear_map_grad(apply: Any, adjoint_name: str) -> Any:
    """The rule of an op that is a fixed linear map (unfold, fold, pooling).

    Its gradient is `apply(g, ctx)`, the adjoint map. With create_graph that gradient is
    recorded as the op `adjoint_name`, whose own rule maps back, so second derivatives
    work without a rule of their own.
    """
    def grad(g, out, ctx, x):
        if g.__class__ is Tensor:
            return (result(apply(g._array, ctx), (g,), OPS[adjoint_name], ctx),)
        return (apply(g, ctx),)
    return grad


def _fold_columns(cols: np.ndarray, ctx: tuple) -> np.ndarray:
    geo, shape = ctx
    return _fold_array(cols, geo, shape)


def _unfold_image(x: np.ndarray, ctx: tuple) -> np.ndarray:
    geo, shape = ctx
    return _unfold_array(x.reshape(shape[:2] + geo.size), geo)


UNFOLD = register(
    "unfold", "∂unfold(x)/∂x = fold: each column's gradient added back onto its patch",
    engines=("Tensor",), grad=linear_map_grad(_fold_columns, "fold"))
FOLD = register(
    "fold", "∂fold(cols)/∂cols = unfold: each patch of the gradient as a column",
    engines=("Tensor",), grad=linear_map_grad(_unfold_image, "unfold"))
