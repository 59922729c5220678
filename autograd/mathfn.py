"""Math that works on a float or a numpy array alike, and on a graph node where a rule needs it.

The ops' forward and gradient rules are written with these helpers so that one rule
serves a Value (float data), a Tensor (array data), and a differentiable backward pass:
the helpers that gradient rules call (exp, log, sin, cos, sigmoid, ...) also take nodes;
those used only as forwards take raw data. Floats use `math` for speed; out-of-domain
inputs give nan or inf as numpy does, never an exception from deep inside.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.node import Node

_INF = float("inf")
_NAN = float("nan")
# the largest x (about) whose e^x is finite, per float dtype: log(finfo.max) rounded down
_EXP_CAP = {np.float64: 709.0, np.float32: 88.0, np.float16: 11.0}


def to_float(name: str, number: Any) -> float:
    """A real number as a float; an int beyond float's range (about 1.8e308) is a
    ValueError naming `name`, not an OverflowError from deep inside."""
    try:
        return float(number)
    except OverflowError:
        raise ValueError(f"{name}: an int of {len(str(abs(int(number))))} digits is too "
                         "large for a float") from None


def raw(x: Any) -> Any:
    """The plain number or array behind `x` (constants in a gradient rule use this)."""
    return x.data if isinstance(x, Node) else x


def exp(x: Any) -> Any:
    if isinstance(x, Node):
        return x.exp()
    if x.__class__ is float:
        try:
            return math.exp(x)
        except OverflowError:
            return _INF
    return np.exp(x)


def log(x: Any) -> Any:
    if isinstance(x, Node):
        return x.log()
    if x.__class__ is float:
        if x > 0.0:
            return math.log(x)
        return -_INF if x == 0.0 else _NAN
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def sqrt(x: Any) -> Any:
    if x.__class__ is float:
        return math.sqrt(x) if x >= 0.0 else _NAN
    with np.errstate(invalid="ignore"):
        return np.sqrt(x)


def sin(x: Any) -> Any:
    return x.sin() if isinstance(x, Node) else _periodic(x, math.sin, np.sin)


def cos(x: Any) -> Any:
    return x.cos() if isinstance(x, Node) else _periodic(x, math.cos, np.cos)


def _periodic(x: Any, of_float: Any, of_array: Any) -> Any:
    """sin or cos of a float or array, nan at ±inf for both (math refuses ±inf, numpy
    gives nan with a warning)."""
    if x.__class__ is float:
        try:
            return of_float(x)
        except ValueError:
            return _NAN
    with np.errstate(invalid="ignore"):
        return of_array(x)


def tanh(x: Any) -> Any:
    return math.tanh(x) if x.__class__ is float else np.tanh(x)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    if isinstance(x, Node):
        return x.sigmoid()
    if x.__class__ is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    # 1 / (1 + e^-x) in place, five numpy calls; e^-x is capped below the dtype's overflow
    # (where σ is below the smallest normal number anyway) instead of wrapping the call in
    # np.errstate, which costs more than the whole computation on small arrays
    e = np.negative(x)
    if e.__class__ is not np.ndarray:  # numpy gives a scalar for a 0-d array
        e = np.array(e)
    np.minimum(e, _EXP_CAP.get(e.dtype.type, 88.0), out=e)
    np.exp(e, out=e)
    e += 1.0
    return np.reciprocal(e, out=e)


def softplus(x: Any) -> Any:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|."""
    if x.__class__ is float:
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def relu(x: Any) -> Any:
    if x.__class__ is float:
        return 0.0 if x <= 0.0 else x  # a nan stays nan, as np.maximum keeps it
    return np.maximum(x, 0)


def leaky_relu(x: Any, slope: float) -> Any:
    if x.__class__ is float:
        return x if x > 0.0 else slope * x
    return np.where(x > 0, x, x * slope)


def elu(x: Any, alpha: float) -> Any:
    if x.__class__ is float:
        return x if x > 0.0 else alpha * math.expm1(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def power(a: Any, b: Any) -> Any:
    """a ** b with numpy's conventions: nan for a negative base and fractional exponent."""
    if isinstance(a, Node) or isinstance(b, Node):
        return a ** b
    if a.__class__ is float and b.__class__ is float:
        try:
            return math.pow(a, b)
        except ValueError:  # 0 ** negative, or negative ** fractional
            return _INF if a == 0.0 else _NAN
        except OverflowError:
            return _INF if a > 0.0 or b % 2.0 == 0.0 else -_INF
    if b.__class__ is float and b == 2.0:  # the common square, as np.power computes it
        return a * a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.power(a, b)


def divide(a: Any, b: Any) -> Any:
    """a / b, giving inf or nan at b = 0 as numpy does (for gradients at a domain's edge)."""
    if a.__class__ is float and b.__class__ is float and b == 0.0:
        return _NAN if a == 0.0 or a != a else math.copysign(_INF, a) * math.copysign(1.0, b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b
    return a / b


def step(x: Any) -> Any:
    """1 where x > 0, else 0 (0 at 0), in x's dtype: the step activation's forward, and
    the derivative of relu as a constant."""
    x = raw(x)
    if x.__class__ is float:
        return 1.0 if x > 0.0 else 0.0
    return (x > 0).astype(x.dtype)


def sign(x: Any) -> Any:
    """The derivative of |x| as a constant (0 at 0, as numpy and PyTorch choose)."""
    x = raw(x)
    if x.__class__ is float:
        if x != x:
            return x  # nan, as np.sign gives
        return (x > 0.0) - (x < 0.0) + 0.0
    return np.sign(x)
