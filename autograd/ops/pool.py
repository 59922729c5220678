"""Pooling: `max_pool2d` and `avg_pool2d`, each with its adjoint for second derivatives.

Pooling reads its windows through a strided view. Max pooling's forward only takes the
maxima; its rule finds which element of each window won and routes the gradient there
alone, or, when k elements tie for the maximum, 1/k to each (the rule of the max
reduction and of `maximum`). Average pooling spreads it evenly. Each op has an adjoint
twin (max_unpool2d, avg_unpool2d), so that create_graph=True gives differentiable
gradients. Window sizes follow `autograd.ops.conv.geometry`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import autograd.mathfn as m
from autograd.op import register
from autograd.ops.conv import Geometry, ImageCtx, adjoint, geometry
from autograd.tensor import Tensor, result


def _pool_geometry(name: str, x: Any, kernel_size: Any, stride: Any) -> Geometry:
    if not isinstance(x, Tensor) or x.ndim != 4:
        raise ValueError(f"{name}: input must be a Tensor of shape (N, C, H, W), got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    return geometry(name, x.shape[2:], kernel_size, kernel_size if stride is None else stride,
                    planes=x.shape[0] * x.shape[1])


def _offsets(a: np.ndarray, geo: Geometry) -> list[np.ndarray]:
    """For each of the kh·kw positions in a window, the view of `a` holding that element
    of every window: (N, C, OH, OW) each. Loops run over these, never over pixels."""
    (kh, kw), (sh, sw), (oh, ow) = geo.kernel, geo.stride, geo.out
    return [a[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            for i in range(kh) for j in range(kw)]


def _tiles(geo: Geometry) -> bool:
    """Whether windows never overlap (stride >= kernel): each input is in one window at most."""
    return all(s >= k for s, k in zip(geo.stride, geo.kernel))


# -- max pooling ------------------------------------------------------------------------
class MaxPoolCtx(NamedTuple):
    geometry: Geometry
    # (N, C, OH, OW): the position in its window of each maximum; None when `shares`
    # route the gradient (ties) and no window holds a NaN
    winner: np.ndarray | None
    image_shape: tuple[int, ...]  # the input's (N, C, H, W)
    # None when no window has a tie; else (kh·kw, N, C, OH, OW): the share of each window's
    # gradient that each of its positions gets (1/k at k tied maxima, else 0)
    shares: np.ndarray | None


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, name: str = "max_pool2d"
               ) -> Tensor:
    """The max of each kh×kw window of x (N, C, H, W), windows `stride` apart (default:
    the kernel, so windows tile the input). Rows or columns left over are dropped. The
    gradient goes to each window's maximum; k tied maxima get 1/k each, and a NaN wins
    its window."""
    ctx = ImageCtx(_pool_geometry(name, x, kernel_size, stride), x.shape)
    return result(MAX_POOL.forward(x.data, ctx), (x,), MAX_POOL, ctx)


def max_pool_forward(a: np.ndarray, ctx: ImageCtx) -> np.ndarray:
    """The max of each window, as running maxima of the window positions' views (a NaN
    wins: np.maximum keeps it). Which element won is the rule's business: a forward
    without backward (evaluation) never works it out."""
    views = _offsets(a, ctx.geometry)
    if len(views) == 1:
        return views[0].copy()
    best = np.maximum(views[0], views[1])
    for view in views[2:]:
        np.maximum(best, view, out=best)
    return best


def winners(a: np.ndarray, best: np.ndarray, ctx: ImageCtx) -> MaxPoolCtx:
    """Where each window's maximum `best` sits in `a`: one position a window, or the
    shares of tied maxima; a NaN wins its window, as it does in np.argmax."""
    geo = ctx.geometry
    # the kh·kw strided views copied once into one block (K, N, C, OH, OW), so that the
    # passes below run on contiguous memory
    stacked = np.stack(_offsets(a, geo))
    hits = np.equal(stacked, best)
    small = np.min_scalar_type(len(stacked))
    tied = np.add.reduce(hits, axis=0, dtype=small)
    nan = np.isnan(best)
    winner = shares = None
    if nan.any():
        flat = sliding_window_view(a, geo.kernel, axis=(2, 3))[
            :, :, ::geo.stride[0], ::geo.stride[1]][:, :, :geo.out[0], :geo.out[1]]
        winner = flat.reshape(best.shape + (-1,)).argmax(axis=-1)
    if (tied > 1).any():
        # 1/k at each of k tied maxima, as products (a masked np.divide(..., where=) costs
        # many times more); a NaN's window has no hit (k = 0): its shares stay 0 here
        shares = np.multiply(hits, np.reciprocal(np.maximum(tied, 1), dtype=a.dtype))
        if winner is not None:  # nothing equals a NaN: its window's gradient goes to it
            for k, share in enumerate(shares):
                share[nan & (winner == k)] = 1.0
    elif winner is None:  # one maximum in each window: its position, Σ k·[hit k]
        positions = np.arange(len(stacked), dtype=small).reshape((-1,) + (1,) * best.ndim)
        winner = np.add.reduce(np.multiply(hits, positions), axis=0, dtype=small)
    return MaxPoolCtx(geo, winner, a.shape, shares)


def _to_winners_of_tiles(g: np.ndarray, a: np.ndarray, best: np.ndarray, ctx: ImageCtx
                         ) -> np.ndarray | None:
    """`route_to_winners` in the common case, without working out positions: windows that
    tile the image, no NaN, a finite g. Each window's gradient goes to the elements equal
    to its maximum, 1/k each when k tie (relu outputs tie at 0 all the time). None when
    the case does not hold."""
    geo, shape = ctx
    if not _tiles(geo) or np.isnan(best).any() or not np.isfinite(g).all():
        return None
    hits = [np.equal(view, best) for view in _offsets(a, geo)]
    count = hits[0].astype(np.min_scalar_type(len(hits)))  # maxima per window, >= 1
    for hit in hits[1:]:
        np.add(count, hit, out=count)
    share = np.multiply(g, np.reciprocal(count, dtype=g.dtype))  # g·(1/k), as `winners`
    gx = np.zeros(shape, dtype=g.dtype)
    for hit, view in zip(hits, _offsets(gx, geo)):  # each element is in one window at most
        np.multiply(share, hit, out=view)
    return gx


def route_to_winners(g: np.ndarray, ctx: MaxPoolCtx) -> np.ndarray:
    """Each window's gradient, sent to the element that won it, or shared by its tied
    maxima (max pooling's adjoint)."""
    geo, winner, shape, shares = ctx
    gx = np.zeros(shape, dtype=g.dtype)
    # g·mask is fast but turns an inf or NaN of g into NaN at the losing elements; where
    # windows tile the image, each element has one window: written, not added
    finite, tiles = np.isfinite(g).all(), _tiles(geo)
    direct = tiles and finite
    if shares is not None:
        # every position's part at once, on contiguous memory; then one write (or add)
        # into the image per position
        parts = shares * g if finite else np.where(shares > 0, shares * g, 0)
        for part, view in zip(parts, _offsets(gx, geo)):
            if tiles:
                np.copyto(view, part)
            else:
                view += part
        return gx
    for k, view in enumerate(_offsets(gx, geo)):
        if direct:
            np.multiply(g, winner == k, out=view)
        else:
            view += np.where(winner == k, g, 0)
    return gx


def max_pool_grad(g, out, ctx, x):
    if ctx.__class__ is MaxPoolCtx:  # recorded by max_unpool2d's rule: the winners are known
        return adjoint(route_to_winners, g, ctx, MAX_UNPOOL)
    a, best = m.raw(x), m.raw(out)
    if g.__class__ is np.ndarray:
        gx = _to_winners_of_tiles(g, a, best, ctx)
        if gx is not None:
            return (gx,)
    return adjoint(route_to_winners, g, winners(a, best, ctx), MAX_UNPOOL)


MAX_POOL = register(
    "max_pool2d", "∂max(window)/∂xᵢ = 1/k at the window's k tied maxima, else 0",
    engines=("Tensor",), forward=max_pool_forward, grad=max_pool_grad)


def read_winners(g: np.ndarray, ctx: MaxPoolCtx) -> np.ndarray:
    """The adjoint of `route_to_winners`: read each window's gradient at its winner (the
    shares' weighted sum of its tied maxima)."""
    geo, winner, _, shares = ctx
    out = np.zeros(shares.shape[1:] if winner is None else winner.shape, dtype=g.dtype)
    for k, view in enumerate(_offsets(g, geo)):
        if shares is None:
            out += np.where(winner == k, view, 0)
        else:
            out += np.where(shares[k] > 0, view * shares[k], 0)
    return out


def max_unpool_grad(g, out, ctx, x):
    return adjoint(read_winners, g, ctx, MAX_POOL)


MAX_UNPOOL = register(
    "max_unpool2d", "the adjoint of max_pool2d: ∂/∂g = g read back at each window's maxima",
    engines=("Tensor",), forward=route_to_winners, grad=max_unpool_grad)


# -- average pooling --------------------------------------------------------------------
def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, name: str = "avg_pool2d"
               ) -> Tensor:
    """The mean of each kh×kw window of x (N, C, H, W) (stride as in `max_pool2d`)."""
    ctx = ImageCtx(_pool_geometry(name, x, kernel_size, stride), x.shape)
    return result(AVG_POOL.forward(x.data, ctx), (x,), AVG_POOL, ctx)


def average_windows(a: np.ndarray, ctx: ImageCtx) -> np.ndarray:
    """The mean of each window of `a` (average pooling's forward)."""
    views = _offsets(a, ctx.geometry)
    total = views[0].copy()
    for view in views[1:]:
        total += view
    return total * (1.0 / len(views))


def share_over_windows(g: np.ndarray, ctx: ImageCtx) -> np.ndarray:
    """The adjoint of `average_windows`: each window's gradient shared equally by its
    elements."""
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


def avg_pool_grad(g, out, ctx, x):
    return adjoint(share_over_windows, g, ctx, AVG_UNPOOL)


AVG_POOL = register(
    "avg_pool2d", "∂mean(window)/∂xᵢ = 1/(kh·kw) for each window holding xᵢ",
    engines=("Tensor",), forward=average_windows, grad=avg_pool_grad)


def avg_unpool_grad(g, out, ctx, x):
    return adjoint(average_windows, g, ctx, AVG_POOL)


AVG_UNPOOL = register(
    "avg_unpool2d", "the adjoint of avg_pool2d: ∂/∂g = the mean of g over each window",
    engines=("Tensor",), forward=share_over_windows, grad=avg_unpool_grad)
