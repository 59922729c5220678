"""Ready-made models: `conv_net`, a stack of conv/activation/pool blocks and a dense head,
and `LeNet5`, the classic digit recogniser built with it.

LeNet-5 on 28×28 MNIST digits (LeCun et al. 1998, with ReLU and max pooling by default):

    layer                      output        parameters
    conv 6@5×5, padding 2      6×28×28       6·(5·5·1) + 6   =    156
    pool 2×2                   6×14×14
    conv 16@5×5                16×10×10      16·(5·5·6) + 16 =  2,416
    pool 2×2                   16×5×5
    flatten, fc 120            120           400·120 + 120   = 48,120
    fc 84                      84            120·84 + 84     = 10,164
    fc 10                      10            84·10 + 10      =    850
                                                       total = 61,706
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.ops.conv import geometry
from nn.activations import choose
from nn.conv import AvgPool2d, Conv2d, MaxPool2d
from nn.init import make_rng
from nn.layers import Flatten, Linear, Sequential
from nn.module import Module, register_module

POOLS = {"max": MaxPool2d, "avg": AvgPool2d}


def conv_net(input_shape: Sequence[int], convs: Sequence[Sequence[int]],
             hidden: Sequence[int], num_classes: int, activation: str = "relu",
             pooling: str = "max", pool_size: int = 2, init: str = "xavier_uniform",
             dtype: str = "float32", seed: int | None = None,
             rng: np.random.Generator | None = None) -> list[Module]:
    """The layers of a plain CNN: per (channels, kernel, padding) in `convs`, a Conv2d,
    the activation and a pool; then Flatten, Linear layers of sizes `hidden` with the
    activation, and a final Linear to `num_classes` logits.

    `input_shape` is one example's (C, H, W); the sizes in between follow from the
    formula out = (N + 2P - F)/S + 1, and a layout that shrinks below one pixel raises.
    """
    act = choose("conv_net", activation).module
    if pooling not in POOLS:
        raise ValueError(f"conv_net: pooling must be one of {sorted(POOLS)}, got {pooling!r}")
    rng = make_rng(seed, rng)
    channels, *size = (int(n) for n in input_shape)
    layers: list[Module] = []
    for i, (out_channels, kernel, padding) in enumerate(convs):
        name = f"conv_net: block {i + 1}"
        size = list(geometry(name, tuple(size), kernel, 1, padding, 1).out)
        size = list(geometry(name, tuple(size), pool_size, pool_size, 0, 1).out)
        layers += [Conv2d(channels, out_channels, kernel, padding=padding, init=init,
                          dtype=dtype, rng=rng), act(), POOLS[pooling](pool_size)]
        channels = out_channels
    layers.append(Flatten())
    features = channels * size[0] * size[1]
    for width in hidden:
        layers += [Linear(features, width, init=init, dtype=dtype, rng=rng), act()]
        features = width
    layers.append(Linear(features, num_classes, init=init, dtype=dtype, rng=rng))
    return layers


@register_module
class LeNet5(Sequential):
    """LeNet-5 for 1×28×28 images: 61,706 parameters in the classic layout.

    `activation` is any name of `nn.activations.ACTIVATIONS` ("relu", "tanh", ...);
    `pooling` is "max" or "avg"; `init` names the weight initialiser (`nn.init`). Layers
    are indexed as in a Sequential: model[0] is the first convolution, model[11] the last
    Linear, and the parameter names ("0.weight", ...) are those of the same network
    written as a `torch.nn.Sequential`.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, activation: str = "relu",
                 pooling: str = "max", init: str = "xavier_uniform", dtype: str = "float32",
                 seed: int | None = None, rng: np.random.Generator | None = None) -> None:
        self.in_channels, self.num_classes = int(in_channels), int(num_classes)
        self.activation, self.pooling, self.init = activation, pooling, init
        self.dtype = str(np.dtype(dtype))
        super().__init__(*conv_net((in_channels, 28, 28), [(6, 5, 2), (16, 5, 0)], [120, 84],
                                   num_classes, activation, pooling, init=init, dtype=dtype,
                                   seed=seed, rng=rng))

    def forward(self, x: Any) -> Any:
        shape = np.shape(x)
        if len(shape) != 4 or shape[1:] != (self.in_channels, 28, 28):
            raise ValueError(f"LeNet5 expects images of shape (N, {self.in_channels}, 28, 28), "
                             f"got {shape}")
        return super().forward(x)

    def config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "num_classes": self.num_classes,
                "activation": self.activation, "pooling": self.pooling, "init": self.init,
                "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any], children: list[Module]) -> Module:
        return cls(**config)

    def architecture_children(self) -> list[Module]:
        return []  # the config rebuilds every layer
