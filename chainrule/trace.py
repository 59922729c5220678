"""`chainrule trace`: the backprop explorer for an expression typed on the command line.

    chainrule trace "tanh(w*x + b)" --set w=0.5,x=2,b=-1 --out neuron.html

The expression is parsed with Python's `ast` and built from `Value`s by walking the tree;
nothing is ever evaluated as Python. Allowed: numbers, names (each given a value with
--set), + - * / ** and unary minus, and calls of the engine's one-argument functions
(`FUNCTIONS`). Anything else is refused with an `ExpressionError` naming the part.
"""

from __future__ import annotations

import argparse
import ast
import math
import operator
from collections.abc import Mapping
from typing import Any

from autograd import Value, trace_backward
from autograd.trace import Trace
from chainrule.mnist import UsageError

FUNCTIONS = ("abs", "cos", "exp", "log", "relu", "sigmoid", "sin", "softplus", "sqrt", "tanh")
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_ALLOWED = ("numbers, names, + - * / ** and calls of " + ", ".join(FUNCTIONS))
_MAX_LENGTH = 10_000  # characters; Python's parser recurses, so very long input is refused


class ExpressionError(ValueError):
    """An expression `build_trace` refuses, with the reason and the offending part."""


def build_trace(expression: str, assignments: Mapping[str, float]) -> Trace:
    """Build `expression` from Values named by `assignments` and trace its backward pass.

    Each name becomes one leaf `Value` labelled with the name (a name used twice is one
    node, so its gradient collects both uses); each operation's node is labelled with its
    part of the expression. Raises ExpressionError for a disallowed construct, a name
    without a value, a value for a name the expression does not use, or arithmetic that
    fails (such as division by zero).
    """
    tree = _parse(expression)
    source = expression.strip()
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree.body):  # every part is checked before any name is looked up
        if isinstance(node, ast.expr) and id(node) not in called:  # not Load, Add, ...
            _checked_children(node, _part(node, source))
    names = _names(tree)
    missing = sorted(names - set(assignments))
    if missing:
        raise ExpressionError(f"no value for {', '.join(missing)}: give each name a value, "
                              f"e.g. --set {','.join(f'{n}=1' for n in missing)}")
    unused = sorted(set(assignments) - names)
    if unused:
        raise ExpressionError(f"--set names {', '.join(unused)}, which {expression!r} "
                              "does not use")
    leaves = {name: Value(float(assignments[name]), label=name) for name in sorted(names)}
    return trace_backward(_build(tree, leaves, source))


def _parse(expression: str) -> ast.Expression:
    if not expression.strip():
        raise ExpressionError("the expression is empty")
    if len(expression) > _MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(expression):,} characters long; "
                              f"at most {_MAX_LENGTH:,} are allowed")
    try:
        return ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"{expression!r} is not an expression: {error.msg} "
                              f"(column {error.offset})") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"{expression[:40]!r}… is nested too deeply") from None


def _names(tree: ast.Expression) -> set[str]:
    """The variable names (a function's name is not one: `_build` refuses it uncalled)."""
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id not in FUNCTIONS}


def _build(tree: ast.Expression, leaves: Mapping[str, Value], source: str) -> Value:
    """Post-order walk with an explicit stack (no recursion), checking every node."""
    results: dict[int, Any] = {}
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, children_done = stack.pop()
        part = _part(node, source)
        if not children_done:
            children = _checked_children(node, part)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        results[id(node)] = _apply(node, part, results, leaves)
    return _as_value(results[id(tree.body)])


def _part(node: ast.AST, source: str) -> str:
    return ast.get_source_segment(source, node) or ast.unparse(node)


def _checked_children(node: ast.AST, part: str) -> list[ast.AST]:
    """The operands of an allowed part of the expression; an ExpressionError for the rest."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"{part!r} is not a number; allowed: {_ALLOWED}")
        return []
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id!r} is a function: call it, as {node.id}(x)")
        return []
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return [node.operand]
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError(f"{part!r}: only these functions can be called: "
                                  f"{', '.join(FUNCTIONS)}")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"{part!r}: {node.func.id} takes exactly one argument")
        return [node.args[0]]
    kind = type(getattr(node, "op", node)).__name__
    raise ExpressionError(f"{part!r} ({kind}) is not allowed; allowed: {_ALLOWED}")


def _apply(node: ast.AST, part: str, results: Mapping[int, Any],
           leaves: Mapping[str, Value]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    try:
        if isinstance(node, ast.BinOp):
            left, right = results[id(node.left)], results[id(node.right)]
            if not isinstance(left, Value) and not isinstance(right, Value):
                return _BINARY[type(node.op)](left, right)  # plain numbers: fold them
            result = _BINARY[type(node.op)](_as_value(left), right)
        elif isinstance(node, ast.UnaryOp):
            operand = results[id(node.operand)]
            if isinstance(node.op, ast.UAdd):
                return operand
            result = -operand
        else:
            result = getattr(_as_value(results[id(node.args[0])]), node.func.id)()
    except (ArithmeticError, ValueError) as error:
        raise ExpressionError(f"{part!r} cannot be computed: {error}") from None
    if isinstance(result, Value) and not result.label:
        result.label = ast.unparse(node)
    return result


def _as_value(x: Any) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _assignments(texts: list[str]) -> dict[str, float]:
    """--set w=0.5,x=2 (the flag may repeat) as {"w": 0.5, "x": 2.0}."""
    values: dict[str, float] = {}
    for text in texts:
        for item in filter(None, (piece.strip() for piece in text.split(","))):
            name, equals, number = item.partition("=")
            name = name.strip()
            if not equals or not name.isidentifier():
                raise ExpressionError(f"--set {item!r}: write NAME=NUMBER, e.g. w=0.5")
            try:
                value = float(number)
            except ValueError:
                raise ExpressionError(f"--set {item!r}: {number.strip()!r} is not a number"
                                      ) from None
            if not math.isfinite(value):
                raise ExpressionError(f"--set {item!r}: the value must be finite")
            if name in values:
                raise ExpressionError(f"--set gives {name} twice")
            values[name] = value
    return values


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `trace` command to an argparse subparsers object; it runs `main_trace`."""
    parser = subparsers.add_parser(
        "trace", help="write the backprop explorer page for an expression",
        description="Write one HTML page that steps through the forward and backward pass "
        "of EXPRESSION, e.g.  chainrule trace \"tanh(w*x + b)\" --set w=0.5,x=2,b=-1 "
        f"--out neuron.html.  Allowed: {_ALLOWED}.")
    parser.add_argument("expression", help='e.g. "tanh(w*x + b)"')
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="NAME=NUMBER,...", help="the value of each name")
    parser.add_argument("--out", default="trace.html", help="the page to write "
                        "(default trace.html)")
    parser.add_argument("--debug", action="store_true",
                        help="on an error, show Python's traceback instead of one line")
    parser.set_defaults(threads=None)  # no BLAS work to limit
    return parser


def main_trace(args: argparse.Namespace) -> int:
    """Run `chainrule trace`: write the page, print where. A refused expression or setting
    raises UsageError (the command exits with 2)."""
    try:
        trace = build_trace(args.expression, _assignments(args.assignments))
    except ExpressionError as error:
        raise UsageError(str(error)) from None
    path = trace.save_html(args.out, title=f"backprop explorer: {args.expression}")
    print(f"wrote {path} ({len(trace)} backward steps): open it in a web browser")
    return 0
