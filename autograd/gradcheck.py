"""Check the engine's gradients against central differences.

    >>> from autograd import Value, gradcheck
    >>> x = Value(0.3)
    >>> gradcheck(lambda x: (x * x).tanh(), [x]).ok
    True

Works on Values and on Tensors (give them float64 data: float32 rounding swamps the
difference quotient). A non-scalar output is checked through a fixed random projection
sum(w * f(x)), which tests every output element's gradient at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.functional import gradients
from autograd.node import Node


class GradcheckError(AssertionError):
    """The engine's gradient and the numerical one disagree (the message has the table)."""


@dataclass(frozen=True)
class InputReport:
    name: str
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple
    analytic: float  # the engine's gradient at the worst element
    numerical: float  # central differences there
    ok: bool


@dataclass(frozen=True)
class GradcheckResult:
    inputs: tuple[InputReport, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.inputs)

    def __str__(self) -> str:
        rows = ["input        max abs err  max rel err  at      engine        numerical     ok"]
        for r in self.inputs:
            rows.append(
                f"{r.name:<12} {r.max_abs_error:<12.3e} {r.max_rel_error:<12.3e} "
                f"{str(r.worst_index):<7} {r.analytic:<13.6g} {r.numerical:<13.6g} "
                f"{'yes' if r.ok else 'NO'}"
            )
        return "\n".join(rows)


def _as_array(data: Any) -> np.ndarray:
    return np.array(data, dtype=np.float64)


def _set_data(node: Node, values: np.ndarray) -> None:
    if isinstance(node.data, np.ndarray):
        node.data[...] = values  # write through the array: no new node, no version bump
    else:
        node.data = float(values)


def gradcheck(f: Callable[..., Node], inputs: Sequence[Node], eps: float = 1e-6,
              atol: float = 1e-6, rtol: float = 1e-4, raise_on_failure: bool = True,
              seed: int = 0) -> GradcheckResult:
    """Compare d f(*inputs) / d input with central differences, element by element.

    An element passes when |engine - numerical| <= atol + rtol * |numerical|, both being
    finite (a NaN or inf never passes, even on both sides). Returns a
    `GradcheckResult` listing, per input, the worst absolute and relative error; raises
    `GradcheckError` with that table when any input fails (unless raise_on_failure=False).
    TypeError when an input is not a float64 Value or Tensor, or `f` returns no node.
    """
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Node):
            raise TypeError(f"gradcheck: input {i} is a {type(x).__name__}, not a Value/Tensor")
        dtype = getattr(x.data, "dtype", np.float64)
        if dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {dtype}; use float64")

    output = f(*inputs)
    if not isinstance(output, Node):
        raise TypeError(f"gradcheck: f must return a Value or Tensor, got "
                        f"{type(output).__name__}")
    out_data = output.data
    projection = None
    if np.ndim(out_data) > 0 and np.size(out_data) > 1:
        projection = np.random.default_rng(seed).standard_normal(np.shape(out_data))
    analytic = gradients(output, inputs, gradient=projection)

    def objective() -> float:
        # not under no_grad: f may itself differentiate (a gradient penalty, say)
        value = f(*inputs).data
        if projection is None:
            return float(np.sum(value))
        return float(np.sum(projection * value))

    reports = []
    for i, x in enumerate(inputs):
        original = _as_array(x.data)
        engine_grad = _as_array(analytic[i])
        if engine_grad.shape != original.shape:  # never broadcast: that would hide the bug
            raise GradcheckError(f"gradient check: the engine's gradient for "
                                 f"{x.label or f'input {i}'} has shape {engine_grad.shape}, "
                                 f"the input has shape {original.shape}")
        numerical = np.zeros_like(original)
        probe = original.copy()
        for index in np.ndindex(original.shape):
            probe[index] = original[index] + eps
            _set_data(x, probe)
            upper = objective()
            probe[index] = original[index] - eps
            _set_data(x, probe)
            lower = objective()
            probe[index] = original[index]
            numerical[index] = (upper - lower) / (2.0 * eps)
        _set_data(x, original)
        reports.append(_compare(x, i, engine_grad, numerical, atol, rtol))

    result = GradcheckResult(tuple(reports))
    if raise_on_failure and not result.ok:
        raise GradcheckError("gradient check failed\n" + str(result))
    return result


def _compare(x: Node, i: int, engine_grad: np.ndarray, numerical: np.ndarray,
             atol: float, rtol: float) -> InputReport:
    abs_error = np.abs(engine_grad - numerical)
    rel_error = abs_error / np.maximum(np.abs(numerical), 1e-12)
    failing = abs_error > atol + rtol * np.abs(numerical)
    # a NaN or inf on either side is no agreement, even when both sides have it
    failing |= ~np.isfinite(engine_grad) | ~np.isfinite(numerical)
    # report the worst failing element, or the worst one overall when all pass
    score = np.where(failing, np.inf, np.nan_to_num(abs_error, nan=-1.0))
    worst = np.unravel_index(int(np.argmax(score)), numerical.shape) if score.size else ()
    return InputReport(
        name=x.label or f"input {i}",
        max_abs_error=float(np.max(abs_error)) if abs_error.size else 0.0,
        max_rel_error=float(np.max(rel_error)) if rel_error.size else 0.0,
        worst_index=tuple(int(k) for k in worst),
        analytic=float(engine_grad[worst]) if score.size else 0.0,
        numerical=float(numerical[worst]) if score.size else 0.0,
        ok=not failing.any(),
    )
