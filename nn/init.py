"""Weight initialisers. Every random draw goes through a `numpy.random.Generator`.

A weight of shape (out, in) — or (out, in, kh, kw) for a convolution — has
fan_in = in·kh·kw (inputs feeding one unit) and fan_out = out·kh·kw. The schemes keep
the variance of the signal roughly constant from layer to layer:

- gaussian_fan_in: N(0, 1/fan_in)              (LeCun; Nielsen's "improved" init)
- xavier_normal:   N(0, 2/(fan_in + fan_out))   (Glorot and Bengio, for tanh/sigmoid)
- xavier_uniform:  U(±√(6/(fan_in + fan_out)))
- he_normal:       N(0, 2/fan_in)               (He et al., for ReLU)
- he_uniform:      U(±√(6/fan_in))
- normal:          N(0, 1)   uniform: U(-1, 1) (micrograd's)   zeros

Biases have no fan-in: they start at zero (the default), or — as in Nielsen's book,
where weights and biases alike are drawn from N(0, 1) — with `bias_init="normal"`.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np

from autograd.tensor import MAX_ELEMENTS

Shape = tuple[int, ...]


def whole_number(owner: str, argument: str, value: Any, low: int = 1) -> int:
    """`value` as an int >= `low` (an integral float such as 3.0 too); anything else (3.5,
    inf, nan, a string) is a ValueError naming `argument` of `owner`."""
    whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(value) and value == int(value))
    if not whole:
        raise ValueError(f"{owner}: {argument} must be a whole number >= {low}, got {value!r}")
    number = int(value)
    if number < low:
        raise ValueError(f"{owner}: {argument} must be >= {low}, got {value!r}")
    return number


def make_rng(seed: int | None = None, rng: np.random.Generator | None = None
             ) -> np.random.Generator:
    """The generator to draw from: `rng` if given, else a fresh one seeded with `seed`."""
    if rng is not None and seed is not None:
        raise ValueError("give either seed= or rng=, not both")
    return rng if rng is not None else np.random.default_rng(seed)


def fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    if len(shape) < 2:
        raise ValueError(f"fans: a weight needs at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def zeros(shape: Shape, rng: np.random.Generator | None = None) -> np.ndarray:
    return np.zeros(shape)


def normal(shape: Shape, rng: np.random.Generator, std: float = 1.0) -> np.ndarray:
    return rng.normal(0.0, std, size=shape)


def uniform(shape: Shape, rng: np.random.Generator, low: float = -1.0, high: float = 1.0
            ) -> np.ndarray:
    return rng.uniform(low, high, size=shape)


def gaussian_fan_in(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    return normal(shape, rng, std=math.sqrt(1.0 / fans(shape)[0]))


def xavier_normal(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    fan_in, fan_out = fans(shape)
    return normal(shape, rng, std=gain * math.sqrt(2.0 / (fan_in + fan_out)))


def xavier_uniform(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, rng, -bound, bound)


def he_normal(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    return normal(shape, rng, std=math.sqrt(2.0 / fans(shape)[0]))


def he_uniform(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    bound = math.sqrt(6.0 / fans(shape)[0])
    return uniform(shape, rng, -bound, bound)


INITIALIZERS: dict[str, Callable[[Shape, np.random.Generator], np.ndarray]] = {
    "zeros": zeros,
    "normal": normal,
    "uniform": uniform,
    "gaussian_fan_in": gaussian_fan_in,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
}


# inside `draw_at_most`: [numbers `initialize` may still draw, the limit, what it is]
_numbers_left: ContextVar[list | None] = ContextVar("numbers_left", default=None)


@contextlib.contextmanager
def draw_at_most(numbers: int, what: str = "the limit") -> Iterator[None]:
    """Within the block, `initialize` refuses (ValueError) to draw more than `numbers` numbers
    in all, before drawing them: `nn.load` builds no model larger than its file's arrays.
    `what` names the limit in the error."""
    token = _numbers_left.set([numbers, numbers, what])
    try:
        yield
    finally:
        _numbers_left.reset(token)


def initialize(name: str, shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """Draw a float64 array of `shape` with the scheme called `name`."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initialiser {name!r}; choose one of {sorted(INITIALIZERS)}")
    elements = math.prod(shape)
    if elements > MAX_ELEMENTS:  # checked before numpy tries to allocate it
        raise ValueError(f"a weight of shape {tuple(shape)} would have {elements:.3g} elements "
                         f"(the limit is {MAX_ELEMENTS:.3g}); check the layer's sizes")
    left = _numbers_left.get()
    if left is not None:
        if elements > left[0]:
            raise ValueError(f"a weight of shape {tuple(shape)} ({elements:,} numbers) would go "
                             f"beyond {left[2]} ({left[1]:,} numbers in all)")
        left[0] -= elements
    return INITIALIZERS[name](tuple(shape), rng)


BIAS_INITIALIZERS = ("zeros", "normal", "uniform")  # the schemes that need no fan_in


def initialize_bias(name: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw a float64 bias vector of `size` with the scheme `name` (see BIAS_INITIALIZERS)."""
    if name not in BIAS_INITIALIZERS:
        raise ValueError(f"unknown bias initialiser {name!r}; choose one of "
                         f"{list(BIAS_INITIALIZERS)}")
    return INITIALIZERS[name]((int(size),), rng)
