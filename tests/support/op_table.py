"""The one table of differentiable ops that the tests walk through.

Each entry says how to call an op on graph nodes (`fn`), what it should compute on plain
numbers or arrays (`reference`, numpy), and where each argument may be drawn from
(`domains`). The functions use operators and methods only, so the same entry serves
`Value` leaves and `Tensor` leaves; entries marked `engines=("Value",)` are scalar-only.

Domains keep central differences honest: positive bases for log, sqrt and pow, a
denominator away from zero, and a gap around 0 (the kink of relu, abs, leaky_relu and elu,
the jump of step) far wider than gradcheck's step (1e-6).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Node, Value, gradients

KINK_GAP = 1e-2  # distance kept from a non-differentiable point (>> gradcheck's eps)


@dataclass(frozen=True)
class Domain:
    """Floats in [low, high], excluding (-gap, gap) when gap > 0."""

    low: float
    high: float
    gap: float = 0.0

    def _ok(self, x: float) -> bool:
        return abs(x) >= self.gap

    def scalars(self) -> st.SearchStrategy[float]:
        floats = st.floats(self.low, self.high, allow_nan=False, allow_infinity=False)
        return floats.filter(self._ok) if self.gap else floats

    def arrays(self, shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
        """float64 arrays of `shape` with every element in the domain."""
        return hnp.arrays(np.float64, shape, elements=self.scalars())


ANY = Domain(-3.0, 3.0)
POSITIVE = Domain(0.1, 5.0)
BASE = Domain(0.2, 3.0)  # a pow base: positive, so fractional exponents are real
EXPONENT = Domain(-2.5, 2.5)
DENOMINATOR = Domain(-3.0, 3.0, gap=0.3)
AWAY_FROM_KINK = Domain(-3.0, 3.0, gap=KINK_GAP)


@dataclass(frozen=True)
class OpCase:
    name: str  # a test id: the op's name, or op plus variant ("pow_const")
    op: str  # the key in autograd.OPS that `fn` exercises
    fn: Callable[..., Any]  # nodes -> node
    reference: Callable[..., Any]  # floats or float64 arrays -> the same, with numpy
    domains: tuple[Domain, ...]  # one per argument
    engines: tuple[str, ...] = ("Value", "Tensor")

    @property
    def arity(self) -> int:
        return len(self.domains)

    def arguments(self) -> st.SearchStrategy[tuple[float, ...]]:
        """A tuple of floats, one per argument, each from its domain."""
        return st.tuples(*(d.scalars() for d in self.domains))


def _elu(a: Any, alpha: float = 1.0) -> Any:
    return np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0.0)))


def _sum_n(*xs: Any) -> Any:
    return Value.sum(xs)


def _dot_3(*xs: Any) -> Any:
    return Value.dot(xs[:3], xs[3:])


OP_CASES: tuple[OpCase, ...] = (
    OpCase("add", "add", lambda a, b: a + b, np.add, (ANY, ANY)),
    OpCase("add_const", "add", lambda a: 1.5 + a, lambda a: 1.5 + a, (ANY,)),
    OpCase("sub", "sub", lambda a, b: a - b, np.subtract, (ANY, ANY)),
    OpCase("sub_const", "sub", lambda a: 2.0 - a, lambda a: 2.0 - a, (ANY,)),
    OpCase("mul", "mul", lambda a, b: a * b, np.multiply, (ANY, ANY)),
    OpCase("mul_same", "mul", lambda a: a * a, np.square, (ANY,)),
    OpCase("div", "div", lambda a, b: a / b, np.divide, (ANY, DENOMINATOR)),
    OpCase("div_const", "div", lambda b: 3.0 / b, lambda b: 3.0 / b, (DENOMINATOR,)),
    OpCase("neg", "neg", lambda a: -a, np.negative, (ANY,)),
    OpCase("pow_const", "pow", lambda a: a ** 2.5, lambda a: np.power(a, 2.5), (BASE,)),
    OpCase("pow_int", "pow", lambda a: a ** 3, lambda a: np.power(a, 3.0), (ANY,)),
    OpCase("pow_negative", "pow", lambda a: a ** -1.5, lambda a: np.power(a, -1.5), (BASE,)),
    OpCase("pow", "pow", lambda a, b: a ** b, np.power, (BASE, EXPONENT)),
    OpCase("rpow", "pow", lambda b: 2.0 ** b, lambda b: np.power(2.0, b), (EXPONENT,)),
    OpCase("exp", "exp", lambda a: a.exp(), np.exp, (ANY,)),
    OpCase("log", "log", lambda a: a.log(), np.log, (POSITIVE,)),
    OpCase("sqrt", "sqrt", lambda a: a.sqrt(), np.sqrt, (POSITIVE,)),
    OpCase("abs", "abs", lambda a: abs(a), np.abs, (AWAY_FROM_KINK,)),
    OpCase("sin", "sin", lambda a: a.sin(), np.sin, (ANY,)),
    OpCase("cos", "cos", lambda a: a.cos(), np.cos, (ANY,)),
    OpCase("tanh", "tanh", lambda a: a.tanh(), np.tanh, (ANY,)),
    OpCase("sigmoid", "sigmoid", lambda a: a.sigmoid(), lambda a: 1.0 / (1.0 + np.exp(-a)),
           (ANY,)),
    OpCase("relu", "relu", lambda a: a.relu(), lambda a: np.maximum(a, 0.0), (AWAY_FROM_KINK,)),
    OpCase("step", "step", lambda a: a.step(), lambda a: np.where(a > 0, 1.0, 0.0),
           (AWAY_FROM_KINK,)),
    OpCase("leaky_relu", "leaky_relu", lambda a: a.leaky_relu(0.1),
           lambda a: np.where(a > 0, a, 0.1 * a), (AWAY_FROM_KINK,)),
    OpCase("elu", "elu", lambda a: a.elu(1.5), lambda a: _elu(a, 1.5), (AWAY_FROM_KINK,)),
    OpCase("softplus", "softplus", lambda a: a.softplus(), lambda a: np.logaddexp(0.0, a),
           (ANY,)),
    OpCase("add_n", "add_n", _sum_n, lambda *xs: np.sum(xs), (ANY,) * 4, engines=("Value",)),
    OpCase("dot", "dot", _dot_3, lambda *xs: np.dot(xs[:3], xs[3:]), (ANY,) * 6,
           engines=("Value",)),
)


def cases_for(engine: str) -> list[OpCase]:
    """The entries that apply to `engine` ("Value" or "Tensor")."""
    return [case for case in OP_CASES if engine in case.engines]


def engine_first_derivatives(fn: Callable[..., Any], xs: tuple[float, ...]) -> list[float]:
    """d fn / d x_i at `xs` from a plain backward pass (Value leaves)."""
    leaves = [Value(x) for x in xs]
    return [float(d) for d in gradients(fn(*leaves), leaves)]


def second_derivative_mismatches(fn: Callable[..., Any], xs: tuple[float, ...],
                                 eps: float = 1e-6, atol: float = 1e-6,
                                 rtol: float = 1e-4) -> list[str]:
    """Compare the engine's d²fn/dx_i dx_j (differentiating its own gradient, built with
    create_graph) with central differences of its plain first derivative.

    Returns one line per disagreeing entry; empty when all agree.
    """
    leaves = [Value(x) for x in xs]
    firsts = gradients(fn(*leaves), leaves, create_graph=True)
    plain = engine_first_derivatives(fn, xs)
    problems = []
    for i, (d, p) in enumerate(zip(firsts, plain)):
        if not math.isclose(float(d), p, rel_tol=1e-12, abs_tol=1e-12):
            problems.append(f"first derivative {i}: create_graph {float(d)!r} != plain {p!r}")
    analytic = [
        [float(s) for s in gradients(d, leaves)] if isinstance(d, Node) else [0.0] * len(xs)
        for d in firsts
    ]
    for j in range(len(xs)):
        up = engine_first_derivatives(fn, xs[:j] + (xs[j] + eps,) + xs[j + 1:])
        down = engine_first_derivatives(fn, xs[:j] + (xs[j] - eps,) + xs[j + 1:])
        for i in range(len(xs)):
            numerical = (up[i] - down[i]) / (2.0 * eps)
            if not abs(analytic[i][j] - numerical) <= atol + rtol * abs(numerical):
                problems.append(f"d2/dx{i}dx{j}: engine {analytic[i][j]!r}, "
                                f"central differences {numerical!r}")
    return problems
