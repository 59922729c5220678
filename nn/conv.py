"""Convolution and pooling layers: Conv1d, Conv2d, MaxPool2d, AvgPool2d.

Shapes follow PyTorch: inputs (N, C, H, W) — (N, C, L) for Conv1d — and weights
(out_channels, in_channels, kh, kw), so weights compare one to one. Output sizes are
out = (N + 2P - D(F-1) - 1)/S + 1 (floor); a filter holds F·F·C_in weights plus a bias.
The Tensor forward is one fused node (`autograd.ops.conv`, `autograd.ops.pool`);
`forward_values` is the same layer one Value at a time (`nn.scalar_conv`), for
`model.to_scalar()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.ops.conv import check_settings, conv1d, conv2d
from autograd.ops.pool import avg_pool2d, max_pool2d
from nn.init import initialize, make_rng
from nn.layers import as_tensor
from nn.module import Module, register_module
from nn.scalar_conv import scalar_avg_pool2d, scalar_conv2d, scalar_max_pool2d


def _plain(values: tuple[int, ...]) -> int | list[int]:
    """A setting for config() and repr: one int if all axes agree, else a list (for JSON)."""
    return values[0] if len(set(values)) == 1 else list(values)


class _Conv(Module):
    """What Conv1d and Conv2d share; `dims` is the number of spatial axes."""

    dims = 2
    _function = staticmethod(conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, bias: bool = True,
                 init: str = "xavier_uniform", dtype: str = "float32",
                 seed: int | None = None, rng: np.random.Generator | None = None) -> None:
        name = type(self).__name__
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        if self.in_channels < 1 or self.out_channels < 1:
            raise ValueError(f"{name}: channel counts must be >= 1, got in_channels="
                             f"{in_channels}, out_channels={out_channels}")
        self.kernel_size, self.stride, self.padding, self.dilation = check_settings(
            name, self.dims, kernel_size, stride, padding, dilation)
        self.init, self.dtype = init, str(np.dtype(dtype))
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        weight = initialize(init, shape, make_rng(seed, rng))
        self.weight = Tensor(weight, dtype=self.dtype, requires_grad=True, label="weight")
        self.bias = (Tensor(np.zeros(self.out_channels), dtype=self.dtype, requires_grad=True,
                            label="bias") if bias else None)

    def forward(self, x: Any) -> Tensor:
        return self._function(as_tensor(x, self.dtype), self.weight, self.bias, self.stride,
                              self.padding, self.dilation, name=type(self).__name__)

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        name = type(self).__name__
        if x.ndim != self.dims + 1 or x.shape[0] != self.in_channels:
            layout = "(C, L)" if self.dims == 1 else "(C, H, W)"
            raise ValueError(f"{name}: one example must have shape {layout} with C = "
                             f"{self.in_channels}, got {x.shape}")
        weight, image = values(self.weight), x
        bias = values(self.bias) if self.bias is not None else [None] * self.out_channels
        settings = (self.stride, self.padding, self.dilation)
        if self.dims == 1:  # a signal is an image of height 1
            image, weight = x[:, None, :], weight[:, :, None, :]
            settings = ((1,) + self.stride, (0,) + self.padding, (1,) + self.dilation)
        maps = [scalar_conv2d(image, weight[o], *settings, bias=bias[o])
                for o in range(self.out_channels)]
        out = np.empty((self.out_channels, len(maps[0]), len(maps[0][0])), dtype=object)
        out[...] = maps
        return out[:, 0, :] if self.dims == 1 else out

    def config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": _plain(self.kernel_size), "stride": _plain(self.stride),
                "padding": _plain(self.padding), "dilation": _plain(self.dilation),
                "bias": self.bias is not None, "init": self.init, "dtype": self.dtype}

    def extra_repr(self) -> str:
        text = (f"{self.in_channels} -> {self.out_channels}, kernel_size="
                f"{_plain(self.kernel_size)}")
        for key, default in (("stride", 1), ("padding", 0), ("dilation", 1)):
            value = _plain(getattr(self, key))
            if value != default:
                text += f", {key}={value}"
        return text + ("" if self.bias is not None else ", bias=False")


@register_module
class Conv2d(_Conv):
    """2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW).

    `kernel_size`, `stride`, `padding` and `dilation` are ints or (height, width) pairs.
    The weight (out, in, kh, kw) is drawn with `init` (fan_in = in·kh·kw, see `nn.init`)
    from `seed` or `rng`; the bias starts at zero.
    """


@register_module
class Conv1d(_Conv):
    """1-D convolution: (N, in_channels, L) -> (N, out_channels, OL); weight (out, in, k)."""

    dims = 1
    _function = staticmethod(conv1d)


class _Pool(Module):
    """What the pooling layers share: a window size and a stride (default: the window)."""

    _function: Callable[..., Tensor]  # the Tensor op
    _scalar: Callable[..., list]  # the same on a grid of Values

    def __init__(self, kernel_size: Any, stride: Any = None) -> None:
        name = type(self).__name__
        self.kernel_size, self.stride = check_settings(
            name, 2, kernel_size, kernel_size if stride is None else stride, 0, 1)[:2]

    def forward(self, x: Tensor) -> Tensor:
        return self._function(x, self.kernel_size, self.stride, name=type(self).__name__)

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        if x.ndim != 3:
            raise ValueError(f"{type(self).__name__}: one example must have shape (C, H, W), "
                             f"got {x.shape}")
        maps = [self._scalar(channel, self.kernel_size, self.stride) for channel in x]
        out = np.empty((len(maps), len(maps[0]), len(maps[0][0])), dtype=object)
        out[...] = maps
        return out

    def config(self) -> dict[str, Any]:
        return {"kernel_size": _plain(self.kernel_size), "stride": _plain(self.stride)}


@register_module
class MaxPool2d(_Pool):
    """The max of each kernel_size window, windows `stride` apart (default: kernel_size).

    Backward sends each window's gradient to its maximum alone (the first one on a tie).
    """

    _function = staticmethod(max_pool2d)
    _scalar = staticmethod(scalar_max_pool2d)


@register_module
class AvgPool2d(_Pool):
    """The mean of each kernel_size window; backward shares the gradient out equally."""

    _function = staticmethod(avg_pool2d)
    _scalar = staticmethod(scalar_avg_pool2d)
