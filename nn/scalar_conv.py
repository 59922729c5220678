"""Convolution and pooling one `Value` at a time: the graph you can draw.

    >>> from autograd import Value, draw_graph
    >>> image = [[Value(float(4 * r + c), label=f"x{r}{c}") for c in range(4)] for r in range(4)]
    >>> kernel = [[Value(0.5, label="w00"), Value(-1.0, label="w01")],
    ...           [Value(0.25, label="w10"), Value(2.0, label="w11")]]
    >>> out = scalar_conv2d(image, kernel)          # 3x3 outputs, one dot node each
    >>> loss = Value.sum([v for row in out for v in row])
    >>> loss.backward()
    >>> kernel[0][0].grad                           # x00 + x01 + ... : all 9 positions
    45.0
    >>> dot = draw_graph(loss)                      # w00 has an edge into all 9 dots

The same kernel Values are used at every output position (that is what "shared
weights" means), so backward adds up one contribution per position in each weight's
grad. Each output is one `Value.dot` node over the window's in-bounds inputs; padding
adds zeros, which contribute nothing, so they are left out of the graph. Pooling makes no
new node for a max (the winning Value itself is passed on; tied maxima are averaged, as
`Value.max` does) and one sum node per window for an average. `nn.Conv2d` and the pools
use these functions for `model.to_scalar()`; the tests check them against the Tensor ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Value
from autograd.ops.conv import geometry


def _grid(name: str, what: str, x: Any, dims: tuple[int, ...]) -> np.ndarray:
    """`x` as an object array with 2 or 3 axes (a missing channel axis is added)."""
    grid = x if isinstance(x, np.ndarray) else np.array(x, dtype=object)
    if grid.ndim not in dims:
        raise ValueError(f"{name}: {what} must be a 2-D grid (rows of values) or 3-D "
                         f"(channels of grids), got shape {grid.shape}")
    return grid if grid.ndim == 3 else grid[None]


def scalar_conv2d(image: Any, kernel: Any, stride: Any = 1, padding: Any = 0,
                  dilation: Any = 1, bias: Any = None) -> list[list[Value]]:
    """One filter slid over one image: a 2-D list (OH rows of OW) of Values.

    `image` is a grid H×W of Values or numbers, or C such grids; `kernel` is kh×kw (or
    C×kh×kw, matching the image's channels). out[r][c] = Σ kernel·window + bias, with the
    window of the padded image starting at (r·stride, c·stride), its elements `dilation`
    apart; out size = (N + 2P - D(F-1) - 1)/S + 1.
    """
    name = "scalar_conv2d"
    x = _grid(name, "image", image, (2, 3))
    w = _grid(name, "kernel", kernel, (2, 3))
    if w.shape[0] != x.shape[0]:
        raise ValueError(f"{name}: the kernel has {w.shape[0]} channels but the image has "
                         f"{x.shape[0]}")
    geo = geometry(name, x.shape[1:], w.shape[1:], stride, padding, dilation)
    (sh, sw), (ph, pw), (dh, dw) = geo.stride, geo.padding, geo.dilation
    channels, height, width = x.shape
    (kh, kw), (oh, ow) = geo.kernel, geo.out
    out = []
    for r in range(oh):
        row = []
        for c in range(ow):
            weights, inputs = [], []
            for ch in range(channels):
                for i in range(kh):
                    y = r * sh - ph + i * dh
                    for j in range(kw):
                        z = c * sw - pw + j * dw
                        if 0 <= y < height and 0 <= z < width:  # padding adds 0·w
                            weights.append(w[ch, i, j])
                            inputs.append(x[ch, y, z])
            total = Value.dot(weights, inputs)
            row.append(total if bias is None else total + bias)
        out.append(row)
    return out


def _pool(name: str, image: Any, kernel_size: Any, stride: Any, reduce: Any
          ) -> list[list[Value]]:
    x = _grid(name, "image", image, (2,))[0]
    geo = geometry(name, x.shape, kernel_size, kernel_size if stride is None else stride)
    (kh, kw), (sh, sw), (oh, ow) = geo.kernel, geo.stride, geo.out
    return [[reduce(list(x[r * sh:r * sh + kh, c * sw:c * sw + kw].flat)) for c in range(ow)]
            for r in range(oh)]


def scalar_max_pool2d(image: Any, kernel_size: Any, stride: Any = None) -> list[list[Value]]:
    """The max of each window of a 2-D grid (`Value.max`): the winning Value itself, or
    the mean of the tied maxima, which shares the gradient equally as `max_pool2d` does."""
    return _pool("scalar_max_pool2d", image, kernel_size, stride, Value.max)


def scalar_avg_pool2d(image: Any, kernel_size: Any, stride: Any = None) -> list[list[Value]]:
    """The mean of each window of a 2-D grid: one sum node times 1/(kh·kw)."""
    return _pool("scalar_avg_pool2d", image, kernel_size, stride,
                 lambda window: Value.sum(window) * (1.0 / len(window)))
