"""Elementwise ops, shared by Value (floats) and Tensor (arrays).

Each op: its forward, its local derivative (written with differentiable operations, so
`create_graph` needs no second set of rules) and the derivative as text. Broadcasting is
undone by the Tensor engine when a gradient reaches its input, so the rules here never
mention shapes.
"""

from __future__ import annotations

import operator
from typing import Any

from autograd import mathfn as m
from autograd.op import register

ADD = register(
    "add", "∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1",
    forward=operator.add,
    grad=lambda g, out, ctx, a, b: (g, g),
)
SUB = register(
    "sub", "∂(a-b)/∂a = 1, ∂(a-b)/∂b = -1",
    forward=operator.sub,
    grad=lambda g, out, ctx, a, b: (g, -g),
)
MUL = register(
    "mul", "∂(ab)/∂a = b, ∂(ab)/∂b = a",
    forward=operator.mul,
    grad=lambda g, out, ctx, a, b: (g * b, g * a),
)
DIV = register(
    "div", "∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = -a/b²",
    forward=operator.truediv,
    grad=lambda g, out, ctx, a, b: (g / b, -g * out / b),
)
NEG = register(
    "neg", "∂(-a)/∂a = -1",
    forward=operator.neg,
    grad=lambda g, out, ctx, a: (-g,),
)


def _pow_grad(g, out, exponent, a, b=None):
    if b is None:  # constant exponent, saved in ctx
        return (g * exponent * m.power(a, exponent - 1.0),)
    return (g * b * m.power(a, b - 1.0), g * out * m.log(a))


POW = register(
    "pow", "∂(aᵇ)/∂a = b·aᵇ⁻¹, ∂(aᵇ)/∂b = aᵇ·ln a (b constant or a node)",
    forward=m.power,
    grad=_pow_grad,
)
EXP = register(
    "exp", "∂eᵃ/∂a = eᵃ",
    forward=m.exp,
    grad=lambda g, out, ctx, a: (g * out,),
)
LOG = register(
    "log", "∂ln(a)/∂a = 1/a",
    forward=m.log,
    grad=lambda g, out, ctx, a: (m.divide(g, a),),
)
SQRT = register(
    "sqrt", "∂√a/∂a = 1/(2√a)",
    forward=m.sqrt,
    grad=lambda g, out, ctx, a: (m.divide(g, 2.0 * out),),
)
ABS = register(
    "abs", "∂|a|/∂a = sign(a)",
    forward=abs,
    grad=lambda g, out, ctx, a: (g * m.sign(a),),
)
SIN = register(
    "sin", "∂sin(a)/∂a = cos(a)",
    forward=m.sin,
    grad=lambda g, out, ctx, a: (g * m.cos(a),),
)
COS = register(
    "cos", "∂cos(a)/∂a = -sin(a)",
    forward=m.cos,
    grad=lambda g, out, ctx, a: (-g * m.sin(a),),
)
TANH = register(
    "tanh", "∂tanh(a)/∂a = 1 - tanh²(a)",
    forward=m.tanh,
    grad=lambda g, out, ctx, a: (g * (1.0 - out * out),),
)
SIGMOID = register(
    "sigmoid", "∂σ(a)/∂a = σ(a)(1 - σ(a))",
    forward=m.sigmoid,
    grad=lambda g, out, ctx, a: (g * out * (1.0 - out),),
)
RELU = register(
    "relu", "∂relu(a)/∂a = 1 if a > 0 else 0",
    forward=m.relu,
    # out > 0 exactly where a > 0; a boolean mask keeps g's dtype
    grad=lambda g, out, ctx, a: (g * (out > 0),),
)
LEAKY_RELU = register(
    "leaky_relu", "∂/∂a = 1 if a > 0 else slope",
    forward=m.leaky_relu,
    grad=lambda g, out, slope, a: (g * (m.step(a) * (1.0 - slope) + slope),),
)


def _elu_grad(g, out, alpha, a):
    positive = m.step(a)
    # for a <= 0, d/da alpha(eᵃ - 1) = alpha·eᵃ = out + alpha
    return (g * (positive + (1.0 - positive) * (out + alpha)),)


ELU = register(
    "elu", "∂/∂a = 1 if a > 0 else α·eᵃ (= out + α)",
    forward=m.elu,
    grad=_elu_grad,
)
SOFTPLUS = register(
    "softplus", "∂ln(1+eᵃ)/∂a = σ(a)",
    forward=m.softplus,
    grad=lambda g, out, ctx, a: (g * m.sigmoid(a),),
)


class ElementwiseMethods:
    """The operators and methods that Value and Tensor both get from the ops above.

    A node class supplies `_unary(op, ctx=None)`, `_binary(op, other)` (self <op> other) and
    `_reflected(op, other)` (other <op> self, for `2 * x`); `**` differs between the two
    (a Tensor exponent may be an array), so each class defines `__pow__` itself.
    """

    __slots__ = ()

    def __add__(self, other: Any) -> Any:
        return self._binary(ADD, other)

    def __radd__(self, other: Any) -> Any:
        return self._reflected(ADD, other)

    def __sub__(self, other: Any) -> Any:
        return self._binary(SUB, other)

    def __rsub__(self, other: Any) -> Any:
        return self._reflected(SUB, other)

    def __mul__(self, other: Any) -> Any:
        return self._binary(MUL, other)

    def __rmul__(self, other: Any) -> Any:
        return self._reflected(MUL, other)

    def __truediv__(self, other: Any) -> Any:
        return self._binary(DIV, other)

    def __rtruediv__(self, other: Any) -> Any:
        return self._reflected(DIV, other)

    def __rpow__(self, base: Any) -> Any:
        return self._reflected(POW, base)

    def __neg__(self) -> Any:
        return self._unary(NEG)

    def exp(self) -> Any:
        return self._unary(EXP)

    def log(self) -> Any:
        """Natural log; nan for a negative input and -inf at 0, as numpy gives."""
        return self._unary(LOG)

    def sqrt(self) -> Any:
        return self._unary(SQRT)

    def abs(self) -> Any:
        return self._unary(ABS)

    __abs__ = abs

    def sin(self) -> Any:
        return self._unary(SIN)

    def cos(self) -> Any:
        return self._unary(COS)

    def tanh(self) -> Any:
        return self._unary(TANH)

    def sigmoid(self) -> Any:
        return self._unary(SIGMOID)

    def relu(self) -> Any:
        return self._unary(RELU)

    def leaky_relu(self, slope: float = 0.01) -> Any:
        return self._unary(LEAKY_RELU, float(slope))

    def elu(self, alpha: float = 1.0) -> Any:
        return self._unary(ELU, float(alpha))

    def softplus(self) -> Any:
        return self._unary(SOFTPLUS)
