"""The table of operations: each op's forward, local derivative and formula, in one place.

An `Op` is shared by every engine that supports it. Its `forward` computes the output
from the inputs' raw data (floats or numpy arrays) and the op's settings; its `grad` is
written with ordinary arithmetic and the helpers of `autograd.mathfn`, so it runs on raw
data during a plain backward pass and on graph nodes (Values or Tensors) when
`backward(create_graph=True)` asks for a differentiable gradient. One rule thus serves
both first and higher-order derivatives.

The grad signature is `grad(g, out, ctx, *inputs) -> tuple`, one entry per input:
`g` is the gradient arriving at the output, `out` the output itself, `ctx` what the
forward saved (an exponent, an axis, or a named tuple when it saved several things), and
`inputs` the operands. An entry may be None when that input needs no gradient.

The forward's signature is the op's own (each op module's public function calls it);
an op that keeps by-products of its forward for the derivative (cross_entropy's softmax,
convolution's columns) has a forward that returns `(output, ctx)`.

An op registered with `exact_grads=True` promises that, in a plain backward, its rule
returns fresh arrays of exactly its inputs' shapes (the fused training ops do). The
traversal then hands them on as they are, skipping the per-input check that sums a
broadcast gradient back to its input's shape; tests hold every such op to the promise.

An op registered with `grad_into=True` has a rule that also takes `into=`, one array or
None per input, and writes the gradients of the inputs given an array there (with numpy's
`out=`, the same numbers) instead of into new arrays. A plain backward pass (and its replay
by `autograd.compile`) passes parameters' `grad_buffer`s, so that the optimizer finds the
gradients gathered in its flat buffer.

An op registered with `fusable=True` is an activation whose derivative can be written
from its output alone, so that `linear(..., activation=name)` may apply it inside the
same node without keeping the pre-activation array (see `autograd.ops.fused`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ENGINES = ("Value", "Tensor")


@dataclass(frozen=True, eq=False)
class Op:
    name: str
    formula: str  # the local derivative as text, for the docs and the pictures
    grad: Callable
    forward: Callable
    engines: tuple[str, ...] = ENGINES
    exact_grads: bool = False  # see the module docstring
    fusable: bool = False  # see the module docstring
    grad_into: bool = False  # see the module docstring

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


OPS: dict[str, Op] = {}


def register(name: str, formula: str, grad: Callable, engines: tuple[str, ...] = ENGINES, *,
             forward: Callable, exact_grads: bool = False, fusable: bool = False,
             grad_into: bool = False) -> Op:
    """Add an op to the table; every name appears once. Returns the `Op`."""
    if name in OPS:
        raise ValueError(f"op {name!r} is registered twice")
    unknown = set(engines) - set(ENGINES)
    if unknown:
        raise ValueError(f"op {name!r}: unknown engines {sorted(unknown)}")
    op = Op(name, formula, grad, forward, tuple(engines), exact_grads, fusable, grad_into)
    OPS[name] = op
    return op


def defined_in(function: Callable) -> tuple[str, str]:
    """Where `function` is written: a file of this project and the function's name
    (`("autograd/ops/reduce.py", "sum_grad")`), or ("", "operator.add") for another
    library's function."""
    module = getattr(function, "__module__", None) or "numpy"  # numpy's ufuncs have none
    name = getattr(function, "__qualname__", None) or function.__name__
    if module.split(".")[0] != "autograd":
        return "", f"{module.lstrip('_')}.{name}"
    return module.replace(".", "/") + ".py", name


def _defined_in_text(op: Op) -> str:
    """The cell naming the op's forward and derivative, the file said once if shared."""
    (forward_file, forward), (grad_file, grad) = defined_in(op.forward), defined_in(op.grad)
    if forward_file == grad_file:
        return f"`{grad_file}`: `{forward}`, `{grad}`"
    forward_text = f"`{forward_file}`: `{forward}`" if forward_file else f"`{forward}`"
    return f"{forward_text}, `{grad_file}`: `{grad}`"


def reference_markdown() -> str:
    """The generated op reference (docs/ops.md); a test keeps the file in sync."""
    lines = [
        "# Operations",
        "",
        "Generated from `autograd.op.OPS` by `python -m autograd.op > docs/ops.md`;",
        "`tests/autograd/test_op_reference.py` fails when this file and the code disagree.",
        "\"Defined in\" names the op's forward, then its derivative (the gradient rule).",
        "",
        "| op | local derivative | " + " | ".join(ENGINES) + " | defined in |",
        "|---|---|" + "---|" * len(ENGINES) + "---|",
    ]
    for name in sorted(OPS):
        op = OPS[name]
        marks = " | ".join("yes" if e in op.engines else "" for e in ENGINES)
        formula = op.formula.replace("|", "\\|")  # a bare | would end the table cell
        lines.append(f"| `{name}` | {formula} | {marks} | {_defined_in_text(op)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # Run as a script, this file is `__main__`, a second copy with an empty table: print
    # the table of `autograd.op`, which importing the package fills.
    import autograd.op

    print(autograd.op.reference_markdown(), end="")
