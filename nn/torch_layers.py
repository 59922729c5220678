"""PyTorch modules for the chainrule layers torch has no class for.

Imported only by `nn.torch_bridge` when converting (it needs torch); as real classes of a
module, twins that hold them can be pickled by `torch.save(twin)` too.
"""

from __future__ import annotations

from typing import Any

import torch


class Standardize(torch.nn.Module):
    """y = (x - mean) / std, with mean and std as float64 buffers (in `state_dict`).

    They are cast to the input's dtype first, as `nn.Standardize` does, so both compute
    the same float32 numbers.
    """

    def __init__(self, mean: Any, std: Any) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float64))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def extra_repr(self) -> str:
        return f"mean of shape {tuple(self.mean.shape)}, std={float(self.std):.4g}"


class Maxout(torch.nn.Module):
    """The max over each group of `pieces` consecutive features (the last axis)."""

    def __init__(self, pieces: int = 2) -> None:
        super().__init__()
        self.pieces = int(pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (x.shape[-1] // self.pieces, self.pieces)).amax(dim=-1)

    def extra_repr(self) -> str:
        return f"pieces={self.pieces}"


def _connected(base: type) -> type:
    """`base` (torch's Conv1d or Conv2d) with a connection table, as `nn.Conv2d(...,
    connections=...)`: output channel o sees input channel i only where the table says so.
    The weight is multiplied by the table in forward, so, as in chainrule, an unconnected
    weight gets no gradient and stays as it is while the rest trains. The table is a
    non-persistent buffer: the `state_dict` keys stay those of torch's own class."""

    class Connected(base):
        def __init__(self, *args: Any, connections: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.register_buffer("connections", torch.as_tensor(connections, dtype=torch.bool),
                                 persistent=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            mask = self.connections.reshape(self.connections.shape + (1,) * (self.weight.ndim - 2))
            return self._conv_forward(x, self.weight * mask.to(self.weight.dtype), self.bias)

        def extra_repr(self) -> str:
            table = self.connections
            return f"{super().extra_repr()}, connections={int(table.sum())} of {table.numel()}"

    Connected.__name__ = Connected.__qualname__ = f"Connected{base.__name__}"
    return Connected


ConnectedConv1d = _connected(torch.nn.Conv1d)
ConnectedConv2d = _connected(torch.nn.Conv2d)
