"""Convolution and pooling layers: Conv1d, Conv2d, MaxPool2d, AvgPool2d.

Shapes follow PyTorch: inputs (N, C, H, W) — (N, C, L) for Conv1d — and weights
(out_channels, in_channels, kh, kw), so weights compare one to one. Output sizes are
out = (N + 2P - D(F-1) - 1)/S + 1 (floor); a filter holds F·F·C_in weights plus a bias.
A `connections` table links each output channel to only some input channels, as LeNet-5's
C3 does: the missing weights are held at zero by a fixed mask multiplied into the weight.
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
from nn.init import initialize, initialize_bias, make_rng, whole_number
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
                 seed: int | None = None, rng: np.random.Generator | None = None,
                 connections: Any = None, bias_init: str = "zeros") -> None:
        name = type(self).__name__
        self.in_channels = whole_number(name, "in_channels", in_channels)
        self.out_channels = whole_number(name, "out_channels", out_channels)
        self.kernel_size, self.stride, self.padding, self.dilation = check_settings(
            name, self.dims, kernel_size, stride, padding, dilation)
        self.init, self.bias_init, self.dtype = init, bias_init, str(np.dtype(dtype))
        self._connected = _connection_table(name, connections, self.out_channels,
                                            self.in_channels)
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        rng = make_rng(seed, rng)
        weight = initialize(init, shape, rng)
        if self._connected is not None:
            mask = self._connected.reshape(self._connected.shape + (1,) * self.dims)
            weight *= mask
            # multiplied into the forward, the mask makes the missing weights' gradient 0
            self._mask = Tensor(mask, dtype=self.dtype)
        self.weight = Tensor(weight, dtype=self.dtype, requires_grad=True, label="weight")
        self.bias = (Tensor(initialize_bias(bias_init, self.out_channels, rng),
                            dtype=self.dtype, requires_grad=True, label="bias")
                     if bias else None)

    def effective_weight(self) -> Tensor:
        """The weight the forward uses: `weight`, times the connection mask if there is one."""
        return self.weight if self._connected is None else self.weight * self._mask

    def forward(self, x: Any) -> Tensor:
        return self._function(as_tensor(x, self.dtype), self.effective_weight(), self.bias,
                              self.stride, self.padding, self.dilation,
                              name=type(self).__name__)

    def held_at_zero(self) -> int:
        """The weights a connection table leaves out (they are not counted as parameters)."""
        if self._connected is None:
            return 0
        return int((~self._connected).sum()) * int(np.prod(self.kernel_size))

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
        links = (np.ones((self.out_channels, self.in_channels), dtype=bool)
                 if self._connected is None else self._connected)
        # an output sees only the input channels the connection table links it to
        maps = [scalar_conv2d(image[links[o]], weight[o][links[o]], *settings, bias=bias[o])
                for o in range(self.out_channels)]
        out = np.empty((self.out_channels, len(maps[0]), len(maps[0][0])), dtype=object)
        out[...] = maps
        return out[:, 0, :] if self.dims == 1 else out

    def config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": _plain(self.kernel_size), "stride": _plain(self.stride),
                "padding": _plain(self.padding), "dilation": _plain(self.dilation),
                "bias": self.bias is not None, "init": self.init, "bias_init": self.bias_init,
                "dtype": self.dtype, "connections": (None if self._connected is None else
                                                     self._connected.astype(int).tolist())}

    def extra_repr(self) -> str:
        text = (f"{self.in_channels} -> {self.out_channels}, kernel_size="
                f"{_plain(self.kernel_size)}")
        for key, default in (("stride", 1), ("padding", 0), ("dilation", 1)):
            value = _plain(getattr(self, key))
            if value != default:
                text += f", {key}={value}"
        text += "" if self.bias is not None else ", bias=False"
        if self._connected is not None:
            text += f", connections={int(self._connected.sum())} of {self._connected.size}"
        return text


def _connection_table(name: str, connections: Any, out_channels: int, in_channels: int
                      ) -> np.ndarray | None:
    """`connections` as a boolean (out_channels, in_channels) array, or None for all."""
    if connections is None:
        return None
    table = np.asarray(connections)
    if table.shape != (out_channels, in_channels):
        raise ValueError(f"{name}: connections must have shape (out_channels, in_channels) = "
                         f"({out_channels}, {in_channels}), got {table.shape}")
    if table.dtype == object or not np.isin(table, (0, 1)).all():
        raise ValueError(f"{name}: connections must hold only 0/1 (or False/True)")
    table = table.astype(bool)
    unlinked = np.flatnonzero(~table.any(axis=1))
    if unlinked.size:
        raise ValueError(f"{name}: output channels {unlinked.tolist()} have no input channel")
    return table


@register_module
class Conv2d(_Conv):
    """2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW).

    `kernel_size`, `stride`, `padding` and `dilation` are ints or (height, width) pairs.
    The weight (out, in, kh, kw) is drawn with `init` (fan_in = in·kh·kw, see `nn.init`)
    from `seed` or `rng`; the bias with `bias_init` ("zeros", the default, or "normal":
    N(0, 1) as in Nielsen's book).

    `connections`, an (out_channels, in_channels) table of 0/1, links output channel o
    to input channel i only where it holds 1 (LeNet-5's C3, `nn.models.LENET5_C3_TABLE`).
    The weights it leaves out start at zero and the forward multiplies them by a fixed
    zero, so their gradient is exactly 0 and no optimizer step moves them (weight decay
    included: it decays a zero). They are not counted by `num_parameters`. The table is
    part of `config()`, so `nn.save`/`nn.load` keep it. Raises ValueError for a table of
    the wrong shape, values other than 0/1, or an output channel linked to nothing.
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

    Backward sends each window's gradient to its maximum; k tied maxima get 1/k each.
    """

    _function = staticmethod(max_pool2d)
    _scalar = staticmethod(scalar_max_pool2d)


@register_module
class AvgPool2d(_Pool):
    """The mean of each kernel_size window; backward shares the gradient out equally."""

    _function = staticmethod(avg_pool2d)
    _scalar = staticmethod(scalar_avg_pool2d)
