"""Fused ops for convolutional networks: `conv1d`/`conv2d`, `max_pool2d`, `avg_pool2d`.

A convolution is one graph node: forward unfolds the input into columns (im2col, see
`autograd.conv_ops`) and multiplies them by the weights reshaped to (out, C·kh·kw),

    y[n] = W₂ · cols(x)[n] + b        (one batched BLAS matmul over the N examples)

and backward uses the two matmuls of its derivative, ∂L/∂W = Σₙ G[n] · cols[n]ᵀ and
∂L/∂x = fold(W₂ᵀ · G). Pooling reads its windows through a strided view; max pooling
remembers which element of each window won (the first one on a tie) and routes the
gradient there alone, average pooling spreads it evenly. Each op has an adjoint twin
(max_unpool2d, avg_unpool2d) so that create_graph=True gives differentiable gradients.

Sizes: out = (N + 2P - D(F-1) - 1)/S + 1 (floor), for input size N, padding P, dilation
D, kernel F and stride S; a kernel wider than the padded input is an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd.conv_ops import (
    Geometry,
    _fold_array,
    _pair,
    _unfold_array,
    fold,
    geometry,
    linear_map_grad,
    unfold,
)
from autograd.op import register
from autograd.tensor import Tensor, check_dtypes, constant_input, result


def check_settings(name: str, dims: int, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any) -> tuple[tuple[int, ...], ...]:
    """Validated (kernel, stride, padding, dilation), each a tuple of `dims` ints."""
    parsed = (_pair(name, "kernel_size", kernel_size, dims, 1),
              _pair(name, "stride", stride, dims, 1),
              _pair(name, "padding", padding, dims, 0),
              _pair(name, "dilation", dilation, dims, 1))
    return tuple(p[2 - dims:] for p in parsed)  # _pair pads 1-D settings to two


# -- convolution ------------------------------------------------------------------------
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
    geo = geometry(name, x.shape[2:], weight.shape[2:], stride, padding, dilation)
    n = x.shape[0]
    cols = _unfold_array(x._array.reshape((n, channels) + geo.size), geo)
    y = np.matmul(weight._array.reshape(n_out, -1), cols)  # (N, out, L)
    if bias is not None:
        y += bias._array[:, None]
    needs = tuple(p.requires_grad for p in parents)
    saved = cols if needs[1] else None  # only the weight's gradient reads the columns
    return result(y.reshape((n, n_out) + geo.out[2 - dims:]), parents, CONV, (geo, needs, saved))


def _conv_grad(g, out, ctx, x, weight, bias=None):
    geo, needs, cols = ctx
    n, n_out = g.shape[:2]
    x4 = (n, x.shape[1]) + geo.size  # a 1-D signal is an image of height 1
    g3 = g.reshape(n, n_out, -1)
    w2 = weight.reshape(n_out, -1)
    gx = gw = gb = None
    if g.__class__ is Tensor:  # create_graph: the same rule from differentiable ops
        settings = (geo.kernel, geo.stride, geo.padding, geo.dilation)
        if needs[0]:
            gx = fold(w2.T @ g3, geo.size, *settings).reshape(x.shape)
        if needs[1]:
            cols_t = unfold(x.reshape(x4), *settings).transpose(0, 2, 1)
            gw = (g3 @ cols_t).sum(axis=0).reshape(weight.shape)
    else:
        if needs[0]:
            gx = _input_grad(g3, w2, geo, x4).reshape(x.shape)
        if needs[1]:  # (N, CKK, L) @ (N, L, out) runs faster than the product transposed
            gw = np.matmul(cols, g3.transpose(0, 2, 1)).sum(axis=0).T.reshape(weight.shape)
    if bias is None:
        return gx, gw
    if needs[2]:
        gb = g3.sum(axis=(0, 2))
    return gx, gw, gb


def _input_grad(g3: np.ndarray, w2: np.ndarray, geo: Geometry, shape: tuple[int, ...]
                ) -> np.ndarray:
    """fold(W₂ᵀ·G): each output's gradient, spread back over the inputs of its window.

    With stride 1 a kernel offset (i, j) shifts the whole image by i·D·Wp + j·D in the
    row-major padded image (width Wp). Giving G rows Wp wide (zeros past OW) makes each of
    the kh·kw additions one long contiguous run instead of OH short rows: 1.3x (first
    layer) to 2x (second layer) faster than the general `fold` at LeNet-5's sizes with a
    batch of 64, one thread. The general `fold` serves the other strides.
    """
    if geo.stride != (1, 1):
        return _fold_array(np.matmul(w2.T, g3), geo, shape)
    (h, w), (ph, pw), (dh, dw), (kh, kw) = geo.size, geo.padding, geo.dilation, geo.kernel
    n, n_out, oh, ow = g3.shape[0], g3.shape[1], geo.out[0], geo.out[1]
    hp, wp = h + 2 * ph, w + 2 * pw
    wide = np.zeros((n, n_out, oh, wp), dtype=g3.dtype)
    wide[..., :ow] = g3.reshape(n, n_out, oh, ow)
    cols = np.matmul(w2.T, wide.reshape(n, n_out, oh * wp))  # (N, C·kh·kw, OH·Wp)
    cols = cols.reshape(n, shape[1], kh * kw, oh * wp)
    padded = np.zeros((n, shape[1], hp * wp + (kw - 1) * dw), dtype=g3.dtype)
    for i in range(kh):
        for j in range(kw):
            start = i * dh * wp + j * dw
            padded[:, :, start:start + oh * wp] += cols[:, :, i * kw + j]
    image = padded[:, :, :hp * wp].reshape(n, shape[1], hp, wp)
    return image[:, :, ph:ph + h, pw:pw + w]


# -- pooling ----------------------------------------------------------------------------
def _pool_geometry(name: str, x: Any, kernel_size: Any, stride: Any) -> Geometry:
    if not isinstance(x, Tensor) or x.ndim != 4:
        raise ValueError(f"{name}: input must be a Tensor of shape (N, C, H, W), got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    return geometry(name, x.shape[2:], kernel_size, kernel_size if stride is None else stride)


def _offsets(a: np.ndarray, geo: Geometry) -> list[np.ndarray]:
    """For each of the kh·kw positions in a window, the view of `a` holding that element
    of every window: (N, C, OH, OW) each. Loops run over these, never over pixels."""
    (kh, kw), (sh, sw), (oh, ow) = geo.kernel, geo.stride, geo.out
    return [a[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            for i in range(kh) for j in range(kw)]


def _tiles(geo: Geometry) -> bool:
    """Whether windows never overlap (stride >= kernel): each input is in one window at most."""
    return all(s >= k for s, k in zip(geo.stride, geo.kernel))


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, name: str = "max_pool2d"
               ) -> Tensor:
    """The max of each kh×kw window of x (N, C, H, W), windows `stride` apart (default:
    the kernel, so windows tile the input). Rows or columns left over are dropped."""
    geo = _pool_geometry(name, x, kernel_size, stride)
    views = _offsets(x._array, geo)
    best = views[0].copy()
    winner = np.zeros(best.shape, dtype=np.min_scalar_type(len(views) - 1))
    for k in range(1, len(views)):
        wins = np.greater(views[k], best)  # strictly: a tie keeps the earlier element
        np.maximum(best, views[k], out=best)
        np.copyto(winner, k, where=wins)
    if np.isnan(best).any():  # a NaN wins its window, as it does in np.argmax
        flat = sliding_window_view(x._array, geo.kernel, axis=(2, 3))[
            :, :, ::geo.stride[0], ::geo.stride[1]][:, :, :geo.out[0], :geo.out[1]]
        winner = flat.reshape(best.shape + (-1,)).argmax(axis=-1)
    return result(best, (x,), MAX_POOL, (geo, winner, x.shape))


def _route(g: np.ndarray, ctx: tuple) -> np.ndarray:
    """Each window's gradient, sent to the element that won it."""
    geo, winner, shape = ctx
    gx = np.zeros(shape, dtype=g.dtype)
    # g·mask is fast but turns an inf or NaN of g into NaN at the losing elements
    direct = _tiles(geo) and np.isfinite(g).all()
    for k, view in enumerate(_offsets(gx, geo)):
        if direct:
            np.multiply(g, winner == k, out=view)
        else:
            view += np.where(winner == k, g, 0)
    return gx


def _gather(g: np.ndarray, ctx: tuple) -> np.ndarray:
    """The adjoint of `_route`: read each window's gradient at its winner."""
    geo, winner, _ = ctx
    out = np.zeros(winner.shape, dtype=g.dtype)
    for k, view in enumerate(_offsets(g, geo)):
        out += np.where(winner == k, view, 0)
    return out


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, name: str = "avg_pool2d"
               ) -> Tensor:
    """The mean of each kh×kw window of x (N, C, H, W) (stride as in `max_pool2d`)."""
    geo = _pool_geometry(name, x, kernel_size, stride)
    return result(_average(x._array, (geo, x.shape)), (x,), AVG_POOL, (geo, x.shape))


def _average(a: np.ndarray, ctx: tuple) -> np.ndarray:
    geo, _ = ctx
    views = _offsets(a, geo)
    total = views[0].copy()
    for view in views[1:]:
        total += view
    return total * (1.0 / len(views))


def _share(g: np.ndarray, ctx: tuple) -> np.ndarray:
    """The adjoint of `_average`: each window's gradient shared equally by its elements."""
    geo, shape = ctx
    part = g * (1.0 / (geo.kernel[0] * geo.kernel[1]))
    gx = np.zeros(shape, dtype=g.dtype)
    tiles = _tiles(geo)
    for view in _offsets(gx, geo):
        if tiles:
            view[...] = part
        else:
            view += part
    return gx


CONV = register(
    "conv", "y = W₂·cols(x) + b: ∂/∂W = Σₙ G·colsᵀ, ∂/∂x = fold(W₂ᵀ·G), ∂/∂b = Σ G",
    engines=("Tensor",), grad=_conv_grad)
MAX_POOL = register(
    "max_pool2d", "∂max(window)/∂xᵢ = 1 at the window's first maximum, else 0",
    engines=("Tensor",), grad=linear_map_grad(_route, "max_unpool2d"))
MAX_UNPOOL = register(
    "max_unpool2d", "the adjoint of max_pool2d: ∂/∂g = g read back at each window's maximum",
    engines=("Tensor",), grad=linear_map_grad(_gather, "max_pool2d"))
AVG_POOL = register(
    "avg_pool2d", "∂mean(window)/∂xᵢ = 1/(kh·kw) for each window holding xᵢ",
    engines=("Tensor",), grad=linear_map_grad(_share, "avg_unpool2d"))
AVG_UNPOOL = register(
    "avg_unpool2d", "the adjoint of avg_pool2d: ∂/∂g = the mean of g over each window",
    engines=("Tensor",), grad=linear_map_grad(_average, "avg_pool2d"))
