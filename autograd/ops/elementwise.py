"""Elementwise ops, shared by Value (floats) and Tensor (arrays), and Value's n-ary sums.

Each op: its forward, its local derivative (written with differentiable operations, so
`create_graph` needs no second set of rules) and the derivative as text. Broadcasting is
undone by the Tensor engine when a gradient reaches its input, so the rules here never
mention shapes. The methods (`x + y`, `x.tanh()`, ...) are those of `ElementwiseMethods`,
at the end, which Value and Tensor inherit.
"""

from __future__ import annotations

import operator
from typing import Any

import autograd.mathfn as m
from autograd.op import register

# What a Tensor's binary node saves as its ctx: which input needs a gradient when only one
# does, so that the rule skips the other's work (the gradient of a constant such as a
# target or a divisor) and returns None for it; None when both do, and always on Values.
ONLY_A, ONLY_B = "only a", "only b"


def add_grad(g, out, only, a, b):
    return (g if only is not ONLY_B else None, g if only is not ONLY_A else None)


ADD = register(
    "add", "∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1",
    forward=operator.add,
    grad=add_grad,
)


def sub_grad(g, out, only, a, b):
    return (g if only is not ONLY_B else None, -g if only is not ONLY_A else None)


SUB = register(
    "sub", "∂(a-b)/∂a = 1, ∂(a-b)/∂b = -1",
    forward=operator.sub,
    grad=sub_grad,
)


def mul_grad(g, out, only, a, b):
    return (g * b if only is not ONLY_B else None, g * a if only is not ONLY_A else None)


MUL = register(
    "mul", "∂(ab)/∂a = b, ∂(ab)/∂b = a",
    forward=operator.mul,
    grad=mul_grad,
)


def div_grad(g, out, only, a, b):
    return (g / b if only is not ONLY_B else None,
            -g * out / b if only is not ONLY_A else None)


DIV = register(
    "div", "∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = -a/b²",
    forward=operator.truediv,
    grad=div_grad,
)


def neg_grad(g, out, ctx, a):
    return (-g,)


NEG = register(
    "neg", "∂(-a)/∂a = -1",
    forward=operator.neg,
    grad=neg_grad,
)


def pow_grad(g, out, ctx, a, b=None):
    if b is None:  # a constant exponent, saved as the ctx
        if ctx == 2.0:  # the common square: a¹ is a itself, no power to compute
            return (g * ctx * a,)
        return (g * ctx * m.power(a, ctx - 1.0),)
    return (g * b * m.power(a, b - 1.0) if ctx is not ONLY_B else None,
            g * out * m.log(a) if ctx is not ONLY_A else None)


POW = register(
    "pow", "∂(aᵇ)/∂a = b·aᵇ⁻¹, ∂(aᵇ)/∂b = aᵇ·ln a (b constant or a node)",
    forward=m.power,
    grad=pow_grad,
)


def exp_grad(g, out, ctx, a):
    return (g * out,)


EXP = register(
    "exp", "∂eᵃ/∂a = eᵃ",
    forward=m.exp,
    grad=exp_grad,
)


def log_grad(g, out, ctx, a):
    return (m.divide(g, a),)


LOG = register(
    "log", "∂ln(a)/∂a = 1/a",
    forward=m.log,
    grad=log_grad,
)


def sqrt_grad(g, out, ctx, a):
    return (m.divide(g, 2.0 * out),)


SQRT = register(
    "sqrt", "∂√a/∂a = 1/(2√a)",
    forward=m.sqrt,
    grad=sqrt_grad,
)


def abs_grad(g, out, ctx, a):
    return (g * m.sign(a),)


ABS = register(
    "abs", "∂|a|/∂a = sign(a)",
    forward=abs,
    grad=abs_grad,
)


def sin_grad(g, out, ctx, a):
    return (g * m.cos(a),)


SIN = register(
    "sin", "∂sin(a)/∂a = cos(a)",
    forward=m.sin,
    grad=sin_grad,
)


def cos_grad(g, out, ctx, a):
    return (-g * m.sin(a),)


COS = register(
    "cos", "∂cos(a)/∂a = -sin(a)",
    forward=m.cos,
    grad=cos_grad,
)


def tanh_grad(g, out, ctx, a):
    return (g * (1.0 - out * out),)


TANH = register(
    "tanh", "∂tanh(a)/∂a = 1 - tanh²(a)",
    forward=m.tanh,
    grad=tanh_grad,
    fusable=True,  # the derivative reads only the output (see autograd.op)
)


def sigmoid_grad(g, out, ctx, a):
    return (g * out * (1.0 - out),)


SIGMOID = register(
    "sigmoid", "∂σ(a)/∂a = σ(a)(1 - σ(a))",
    forward=m.sigmoid,
    grad=sigmoid_grad,
    fusable=True,  # the derivative reads only the output (see autograd.op)
)


def relu_grad(g, out, ctx, a):
    # out > 0 exactly where a > 0; a boolean mask keeps g's dtype
    return (g * (out > 0),)


RELU = register(
    "relu", "∂relu(a)/∂a = 1 if a > 0 else 0",
    forward=m.relu,
    grad=relu_grad,
    fusable=True,  # the derivative reads only the output (see autograd.op)
)


def step_grad(g, out, ctx, a):
    # flat on both sides of 0 (and undefined at 0): zero everywhere, so gradient descent
    # cannot train through a step; g * 0.0 keeps g's shape and dtype (and is a node when
    # create_graph asks for one)
    return (g * 0.0,)


STEP = register(
    "step", "∂step(a)/∂a = 0 (step(a) = 1 if a > 0 else 0)",
    forward=m.step,
    grad=step_grad,
    # not fusable into linear, though its derivative needs nothing: a step unit is not
    # trained by gradients, so a fused node would save nothing worth an op of its own
)


def leaky_relu_grad(g, out, slope, a):
    return (g * (m.step(a) * (1.0 - slope) + slope),)


LEAKY_RELU = register(
    "leaky_relu", "∂/∂a = 1 if a > 0 else slope",
    forward=m.leaky_relu,
    grad=leaky_relu_grad,
)


def elu_grad(g, out, alpha, a):
    positive = m.step(a)
    # for a <= 0, d/da alpha(eᵃ - 1) = alpha·eᵃ = out + alpha
    return (g * (positive + (1.0 - positive) * (out + alpha)),)


ELU = register(
    "elu", "∂/∂a = 1 if a > 0 else α·eᵃ (= out + α)",
    forward=m.elu,
    grad=elu_grad,
)


def softplus_grad(g, out, ctx, a):
    return (g * m.sigmoid(a),)


SOFTPLUS = register(
    "softplus", "∂ln(1+eᵃ)/∂a = σ(a)",
    forward=m.softplus,
    grad=softplus_grad,
)


# -- Value only: a sum or dot product of many Values as one node (Value.sum, Value.dot) --
def add_n_forward(*datas: float) -> float:
    return sum(datas)


def add_n_grad(g, out, ctx, *parents):
    return (g,) * len(parents)


ADD_N = register(
    "add_n", "∂(Σᵢ aᵢ)/∂aᵢ = 1", engines=("Value",),
    forward=add_n_forward,
    grad=add_n_grad,
)


def dot_forward(*datas: float) -> float:
    """Σ wᵢxᵢ, the weights first and the inputs second."""
    half = len(datas) // 2
    return sum(w * x for w, x in zip(datas[:half], datas[half:]))


def dot_grad(g, out, ctx, *parents):
    half = len(parents) // 2
    ws, xs = parents[:half], parents[half:]
    return tuple(g * x for x in xs) + tuple(g * w for w in ws)


DOT = register(
    "dot", "∂(Σᵢ wᵢxᵢ)/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ", engines=("Value",),
    forward=dot_forward,
    grad=dot_grad,
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

    def step(self) -> Any:
        """The perceptron's threshold: 1 where x > 0, else 0 (so 0 at 0). Its derivative
        is 0 everywhere (undefined at 0, taken as 0), so no gradient passes through it."""
        return self._unary(STEP)

    def leaky_relu(self, slope: float = 0.01) -> Any:
        return self._unary(LEAKY_RELU, m.to_float("leaky_relu", slope))

    def elu(self, alpha: float = 1.0) -> Any:
        return self._unary(ELU, m.to_float("elu", alpha))

    def softplus(self) -> Any:
        return self._unary(SOFTPLUS)
