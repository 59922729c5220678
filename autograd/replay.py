"""A tape (`autograd.tape.Tape`) turned into one straight-line Python function, for replays.

Interpreting a tape step by step pays, at every replay, for what the capture already
settled: which slot feeds which argument, which nodes receive a gradient, which context
an op reads. Here that is settled once. Each recorded call becomes one line,

    v4 = linear_forward_3(v0, weight_2, bias_1, None)

each slot a local variable (or, for parameters and constants, a name bound to the array),
and the backward plan becomes the lines `autograd.engine.backpropagate` would execute for
this graph: the same gradient rules, on the same arrays, in the same order, summing in the
same order, so a replay gives the eager numbers to the last bit. `print(program_source(tape))`
shows the code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

STALE = object()  # what a replay returns when its tape no longer describes the step


class _Program:
    """The lines of the generated function and the objects its names stand for."""

    def __init__(self, tape: Any) -> None:
        self.tape = tape
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"ndarray": np.ndarray, "asarray": np.asarray}
        self.known: dict[int, str] = {}  # id(object) -> its name in `names`

    def bind(self, value: Any, hint: str = "k") -> str:
        """A name for `value` (a function, a setting, a parameter's array), after what it
        is called (`linear_forward_4`, `weight_7`) when it has a name."""
        if value is None or value is True or value is False or (
                value.__class__ in (int, str) or value.__class__ is float and np.isfinite(value)):
            return repr(value)
        name = self.known.get(id(value))
        if name is None:
            called = getattr(value, "__name__", None) or getattr(value, "label", None)
            prefix = called if isinstance(called, str) and called.isidentifier() else hint
            name = self.known[id(value)] = f"{prefix}_{len(self.names)}"
            self.names[name] = value
        return name

    def slot(self, slot: int) -> str:
        """How the code reads a slot: a local for inputs and computed values, a bound name
        for parameters and constants (the same array at every replay: `Tape.stale` checks
        the parameters', and constants are constant)."""
        if self.tape.kinds[slot] in ("x", "t", "ctx"):
            return f"v{slot}"
        label = self.tape.labels[slot]  # a parameter's label, for the reader
        return self.bind(self.tape.values[slot], label if label.isidentifier() else "c")

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)


def program_source(tape: Any) -> tuple[str, dict[str, Any]]:
    """The source of the replay function of `tape` and the names it uses."""
    program = _Program(tape)
    _still_valid(program)
    for step in tape.steps:
        if hasattr(step, "entries"):
            _backward(program, step)
        else:
            _call(program, step)
    inputs = ", ".join(f"v{slot}" for slot in tape.inputs)
    result = _output(program, tape.output)
    return "\n".join([f"def replay({inputs}):", *program.lines, f"    return {result}"]
                     ), program.names


def make_replay(tape: Any) -> Callable[..., Any]:
    """The replay function of `tape`: call it with the input arrays, in order; it returns
    the function's output, or `STALE` when the tape no longer describes the step."""
    source, names = program_source(tape)
    code = compile(source, "<autograd.compile tape>", "exec")
    exec(code, names)  # the source is ours, built from the tape's slots and bound names
    return names["replay"]


def _call(program: _Program, step: Any) -> None:
    args = [program.bind(a) for a in step.static]
    for position, slot in step.fills:
        args[position] = program.slot(slot)
    for position, rebuild, items, fills in step.nested:
        shown = [program.bind(a) for a in items]
        for i, slot in fills:
            shown[i] = program.slot(slot)
        args[position] = f"{program.bind(rebuild, 'r')}([{', '.join(shown)}])"
    args += [f"{key}={program.bind(value)}" for key, value in step.kwargs.items()]
    call = f"{program.bind(step.function, 'f')}({', '.join(args)})"
    if step.out is None:
        program.emit(call)
        return
    out = f"v{step.out}"
    program.emit(f"{out}, v{step.ctx} = {call}" if step.ctx is not None else f"{out} = {call}")
    if np.ndim(program.tape.values[step.out]) == 0:  # numpy gives scalars for 0-d results
        program.emit(f"if {out}.__class__ is not ndarray: {out} = asarray({out})")


def _backward(program: _Program, plan: Any) -> None:
    """The lines of `backpropagate(into_grad=True)` for this plan: the gradient reaching
    node i is the local `g<i>` (None until an edge brings one)."""
    root = plan.size - 1
    edges_into: dict[int, list[bool]] = {}  # node -> per edge reaching it: from an exact op?
    for _, _, _, _, _, edges, _, _ in plan.entries:
        for j, needs, node in edges:
            if needs:
                edges_into.setdefault(j, []).append(node is None)
    targets = {i: target for i, *_, target, _ in plan.entries if target is not None}
    # the engine's check that one array never serves two parameters' .grad is needed only
    # where the array may be shared: a parameter reached by one edge of an op whose rule
    # returns fresh arrays (`exact_grads`) has its own
    shared = {i for i in targets if edges_into.get(i) != [True]}
    program.emit(f"g{root} = {program.slot(plan.seed)}.copy()")
    for j in sorted(edges_into):
        program.emit(f"g{j} = None")
    if shared:
        program.emit("given = set()")  # ids of the arrays handed to parameters' .grad
    accept = program.bind(plan.accept, "accept")
    for i, rule, out, ctx, inputs, edges, target, into in plan.entries:
        if i != root and i not in edges_into:
            continue  # no gradient can reach this node
        depth = 1
        if i != root:
            program.emit(f"if g{i} is not None:")
            depth = 2
        if target is not None:
            owner = program.bind(target, "param")
            if i in shared:  # as the engine: one array never serves two parameters' .grad
                program.emit(f"if id(g{i}) in given: g{i} = g{i}.copy()", depth)
                program.emit(f"else: given.add(id(g{i}))", depth)
            program.emit(f"{owner}.grad = g{i} if {owner}.grad is None else "
                         f"{owner}.grad + g{i}", depth)
        if rule is None:
            continue
        # a gradient that is its input's only one, from an op whose rule returns it as it
        # must be (exact_grads), lands in the input's local at once
        results = [f"g{j}" if needs and node is None and len(edges_into[j]) == 1 else
                   f"r{i}_{k}" for k, (j, needs, node) in enumerate(edges)]
        arguments = [f"g{i}", f"v{out}", _ctx(program, ctx)] + [program.slot(s) for s in inputs]
        if into is not None:
            arguments.append(f"into=({_into_argument(program, into, edges, targets)})")
        program.emit(f"{''.join(r + ', ' for r in results)}= "
                     f"{program.bind(rule, 'rule')}({', '.join(arguments)})", depth)
        for writable, (j, _, _) in zip(into or (), edges):
            if writable and j in targets:  # a buffer serves once (Tensor.grad_buffer)
                program.emit(f"{program.bind(targets[j], 'param')}._grad_buffer = None", depth)
        for result, (j, needs, node) in zip(results, edges):
            if not needs:
                continue
            if result == f"g{j}":
                continue
            program.emit(f"if {result} is not None:", depth)
            if node is not None and node.op is None:  # a leaf: accept may copy
                program.emit(f"{result} = {accept}({program.bind(node, 'node')}, {result})",
                             depth + 1)
            elif node is not None:  # accept is needed only to undo broadcasting
                program.emit(f"if {result}.__class__ is not ndarray or {result}.shape != "
                             f"{node.shape!r}:", depth + 1)
                program.emit(f"{result} = {accept}({program.bind(node, 'node')}, {result})",
                             depth + 2)
            program.emit(f"g{j} = {result} if g{j} is None else g{j} + {result}", depth + 1)


def _into_argument(program: _Program, into: tuple, edges: tuple, targets: dict) -> str:
    """The `into=` of a rule (`Op.grad_into`): a parameter's `grad_buffer` while its
    `.grad` is None (None when its optimizer found a part of the buffer held elsewhere),
    else None: writing into its `.grad` would change it before the sum."""
    shown = []
    for writable, (j, _, _) in zip(into, edges):
        if writable and j in targets:
            owner = program.bind(targets[j], "param")
            shown.append(f"{owner}._grad_buffer if {owner}.grad is None else None")
        else:
            shown.append("None")
    return "".join(item + ", " for item in shown)


def _ctx(program: _Program, ctx: tuple[str, Any]) -> str:
    kind, content = ctx
    if kind == "slot":
        return program.slot(content)
    if kind == "static":
        return program.bind(content)
    # a named tuple holding arrays (a Call of its rebuilder): made again from its slots
    _, rebuild, items, fills = content.nested[0]
    shown = [program.bind(a) for a in items]
    for i, slot in fills:
        shown[i] = program.slot(slot)
    return f"{program.bind(rebuild, 'r')}([{', '.join(shown)}])"


def _still_valid(program: _Program) -> None:
    """The first lines: return STALE, having run nothing, when a parameter holds another
    array than at the capture or a condition of the step changed (`Tape.stale` says
    which)."""
    tape = program.tape
    checks = [f"{program.bind(tensor, 'param')}._array is not {program.slot(slot)}"
              for slot, tensor in tape.owners.items()]
    checks += [f"{program.bind(owner, 'owner')}.{attribute} != {program.bind(value, 'setting')}"
               for owner, attribute, value in tape.conditions]
    if checks:
        program.names["STALE"] = STALE
        program.emit(f"if {' or '.join(checks)}: return STALE")


def _output(program: _Program, template: Any) -> str:
    """The expression a replay returns, after the output template of `autograd.compile`:
    a Tensor holding a slot's new array (made by the template's function), the array,
    None, or a tuple or list of those."""
    kind, *content = template
    if kind == "tensor":
        return f"{program.bind(content[1], 'make')}({program.slot(content[0])})"
    if kind == "array":
        return program.slot(content[0])
    if kind == "none":
        return "None"
    items = ", ".join(_output(program, item) for item in content[0])
    return f"{program.bind(kind, 'container')}([{items}])"
