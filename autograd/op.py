"""The table of operations: each op's forward, local derivative and formula, in one place.

An `Op` is shared by every engine that supports it. Its `grad` function is written with
ordinary arithmetic and the helpers of `autograd.mathfn`, so it runs on raw numbers
(floats or numpy arrays) during a plain backward pass and on graph nodes (Values or
Tensors) when `backward(create_graph=True)` asks for a differentiable gradient. One rule
thus serves both first and higher-order derivatives.

The grad signature is `grad(g, out, ctx, *inputs) -> tuple`, one entry per input:
`g` is the gradient arriving at the output, `out` the output itself, `ctx` whatever
constant the forward saved (an exponent, an axis, ...), and `inputs` the operands.
An entry may be None when that input needs no gradient.

An op registered with `exact_grads=True` promises that, in a plain backward, its rule
returns fresh arrays of exactly its inputs' shapes (the fused training ops do). The
traversal then hands them on as they are, skipping the per-input check that sums a
broadcast gradient back to its input's shape; tests hold every such op to the promise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ENGINES = ("Value", "Tensor")


@dataclass(frozen=True, eq=False)
class Op:
    name: str
    formula: str  # the local derivative as text, for the docs and the pictures
    grad: Callable
    engines: tuple[str, ...] = ENGINES
    forward: Callable | None = field(default=None, repr=False)
    exact_grads: bool = False  # see the module docstring

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


OPS: dict[str, Op] = {}


def register(name: str, formula: str, grad: Callable, engines: tuple[str, ...] = ENGINES,
             forward: Callable | None = None, exact_grads: bool = False) -> Op:
    """Add an op to the table; every name appears once."""
    if name in OPS:
        raise ValueError(f"op {name!r} is registered twice")
    unknown = set(engines) - set(ENGINES)
    if unknown:
        raise ValueError(f"op {name!r}: unknown engines {sorted(unknown)}")
    op = Op(name, formula, grad, tuple(engines), forward, exact_grads)
    OPS[name] = op
    return op


def reference_markdown() -> str:
    """The generated op reference (docs/ops.md); a test keeps the file in sync."""
    lines = [
        "# Operations",
        "",
        "Generated from `autograd.op.OPS` by `python -m autograd.op > docs/ops.md`;",
        "`tests/test_op_reference.py` fails when this file and the code disagree.",
        "",
        "| op | local derivative | " + " | ".join(ENGINES) + " |",
        "|---|---|" + "---|" * len(ENGINES),
    ]
    for name in sorted(OPS):
        op = OPS[name]
        marks = " | ".join("yes" if e in op.engines else "" for e in ENGINES)
        formula = op.formula.replace("|", "\\|")  # a bare | would end the table cell
        lines.append(f"| `{name}` | {formula} | {marks} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # Run as a script, this file is `__main__`, a second copy with an empty table: print
    # the table of `autograd.op`, which importing the package fills.
    import autograd.op

    print(autograd.op.reference_markdown(), end="")
