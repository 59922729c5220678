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

`LeNet5(c3_table=True)` connects the second convolution (the paper's C3) by LeCun's table
(`LENET5_C3_TABLE`): each of its 16 maps sees 3, 4 or all 6 of the 6 maps below, 60
links in all, so it has 60·25 + 16 = 1,516 parameters and the network 60,806.

This is the paper's layout adapted to 28×28 digits, not a copy of it: C1's padding of 2
stands for the paper's 32×32 input; S2 and S4 are plain max (or average) pools, where the
paper's had a trainable coefficient and bias per map (12 + 32 parameters); C5 — a 5×5
convolution over 5×5 maps, i.e. a full connection — is the Linear 400 -> 120 (48,120 in
both); F6 is the Linear 120 -> 84 (10,164 in both); and the output is a Linear 84 -> 10
with biases (850), where the paper had ten RBF units with hand-set, fixed centres. The
paper counts 60,000 trainable parameters; 60,000 - 44 + 850 = 60,806.
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

# LeCun et al. 1998, Table I: row o lists which of S2's 6 maps feed C3's map o. Maps 0-5
# see 3 neighbouring maps, 6-11 four neighbouring, 12-14 four non-neighbouring, 15 all.
LENET5_C3_TABLE = (
    (1, 1, 1, 0, 0, 0), (0, 1, 1, 1, 0, 0), (0, 0, 1, 1, 1, 0),
    (0, 0, 0, 1, 1, 1), (1, 0, 0, 0, 1, 1), (1, 1, 0, 0, 0, 1),
    (1, 1, 1, 1, 0, 0), (0, 1, 1, 1, 1, 0), (0, 0, 1, 1, 1, 1),
    (1, 0, 0, 1, 1, 1), (1, 1, 0, 0, 1, 1), (1, 1, 1, 0, 0, 1),
    (1, 1, 0, 1, 1, 0), (0, 1, 1, 0, 1, 1), (1, 0, 1, 1, 0, 1),
    (1, 1, 1, 1, 1, 1),
)


def conv_net(input_shape: Sequence[int], convs: Sequence[Sequence[int]],
             hidden: Sequence[int], num_classes: int, activation: str = "relu",
             pooling: str = "max", pool_size: int = 2, init: str = "xavier_uniform",
             dtype: str = "float32", seed: int | None = None,
             rng: np.random.Generator | None = None) -> list[Module]:
    """The layers of a plain CNN: per (channels, kernel, padding) in `convs`, a Conv2d,
    the activation and a pool (a fourth item, if given, is the Conv2d's `connections`);
    then Flatten, Linear layers of sizes `hidden` with the activation, and a final Linear
    to `num_classes` logits.

    `input_shape` is one example's (C, H, W); the sizes in between follow from the
    formula out = (N + 2P - F)/S + 1, and a layout that shrinks below one pixel raises.
    """
    act = choose("conv_net", activation).module
    if pooling not in POOLS:
        raise ValueError(f"conv_net: pooling must be one of {sorted(POOLS)}, got {pooling!r}")
    rng = make_rng(seed, rng)
    channels, *size = (int(n) for n in input_shape)
    layers: list[Module] = []
    for i, (out_channels, kernel, padding, *connections) in enumerate(convs):
        name = f"conv_net: block {i + 1}"
        size = list(geometry(name, tuple(size), kernel, 1, padding, 1).out)
        size = list(geometry(name, tuple(size), pool_size, pool_size, 0, 1).out)
        layers += [Conv2d(channels, out_channels, kernel, padding=padding, init=init,
                          dtype=dtype, rng=rng, connections=next(iter(connections), None)),
                   act(), POOLS[pooling](pool_size)]
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
    """LeNet-5 for 1×28×28 images: 61,706 parameters, or 60,806 with `c3_table`.

    `activation` is any name of `nn.activations.ACTIVATIONS` ("relu", "tanh", ...);
    `pooling` is "max" or "avg"; `init` names the weight initialiser (`nn.init`). Layers
    are indexed as in a Sequential: model[0] is the first convolution, model[11] the last
    Linear, and the parameter names ("0.weight", ...) are those of the same network
    written as a `torch.nn.Sequential`. With `c3_table=True` the second convolution is
    connected by LeCun's table (`LENET5_C3_TABLE`, see the module docstring); the same
    seed then gives the same weights, the 900 unlinked ones zeroed.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, activation: str = "relu",
                 pooling: str = "max", init: str = "xavier_uniform", dtype: str = "float32",
                 seed: int | None = None, rng: np.random.Generator | None = None,
                 c3_table: bool = False) -> None:
        self.in_channels, self.num_classes = int(in_channels), int(num_classes)
        self.activation, self.pooling, self.init = activation, pooling, init
        self.dtype, self.c3_table = str(np.dtype(dtype)), bool(c3_table)
        c3 = (16, 5, 0, LENET5_C3_TABLE) if self.c3_table else (16, 5, 0)
        super().__init__(*conv_net((in_channels, 28, 28), [(6, 5, 2), c3], [120, 84],
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
                "dtype": self.dtype, "c3_table": self.c3_table}

    @classmethod
    def from_config(cls, config: dict[str, Any], children: list[Module]) -> Module:
        return cls(**config)

    def architecture_children(self) -> list[Module]:
        return []  # the config rebuilds every layer
