"""A tape (`autograd.tape.Tape`) as readable code: one array call a line, with shapes.

    x0 (10, 784) float64, x1 (10, 10) float64 = inputs
    t0 = linear_forward(x0 (10, 784), p0_weight (30, 784), p1_bias (30,), None)  -> (10, 30)
    ...
    backward from t7 ():
      dt7 = ones ()
      dt6, _ = div_grad(dt7, t7, None, t6 (), c0 ())
      ...
      p0_weight.grad = dp0_weight
    Optimizer.step(SGD)

Inputs are x, produced arrays t, persistent arrays (parameters, updated in place) p and
constants c; d<name> is the gradient of <name>.
"""

from __future__ import annotations

from typing import Any

# the tape's classes are read by what they hold (a backward plan has `entries`), so that
# autograd.tape can import this module


def tape_text(tape: Any) -> str:
    inputs = ", ".join(f"{tape._describe(s)} {tape.values[s].dtype}" for s in tape.inputs)
    lines = [f"{inputs or '(no array inputs)'} = inputs"]
    for step in tape.steps:
        if hasattr(step, "entries"):
            lines += _backward_lines(tape, step)
        else:
            lines.append(_call_line(tape, step))
    conditions = [f"{type(o).__name__}.{a} == {v!r}" for o, a, v in tape.conditions]
    if conditions:
        lines.append("# replayed while " + " and ".join(conditions))
    return "\n".join(lines)


def _setting(value: Any) -> str:
    if hasattr(value, "name") and not isinstance(value, (str, type)):
        return str(value.name)  # an Op, a dtype
    if hasattr(value, "shape") or type(value).__module__ not in ("builtins", "numpy"):
        return type(value).__name__
    return repr(value)


def _call_line(tape: Any, step: Any) -> str:
    args = [_setting(a) for a in step.static]
    for position, slot in step.fills:
        args[position] = tape._describe(slot)
    for position, _, items, fills in step.nested:
        shown = [_setting(a) for a in items]
        for i, slot in fills:
            shown[i] = tape._describe(slot)
        args[position] = "(" + ", ".join(shown) + ")"
    args += [f"{k}={_setting(v)}" for k, v in step.kwargs.items()]
    text = f"{step.name}({', '.join(args)})"
    if step.out is None:
        return text
    targets = tape.name(step.out) + (f", {tape.name(step.ctx)}" if step.ctx is not None else "")
    return f"{targets} = {text}  -> {tape.values[step.out].shape}"


def _backward_lines(tape: Any, plan: Any) -> list[str]:
    slot_of_node = {}  # node index -> the slot holding its value
    for i, _, out, _, inputs, edges, _, _ in plan.entries:
        if out is not None:
            slot_of_node[i] = out
        for (j, _, _), slot in zip(edges, inputs):
            slot_of_node[j] = slot
    root = slot_of_node[plan.size - 1]
    lines = [f"backward from {tape._describe(root)}:",
             f"  d{tape.name(root)} = ones {tape.values[root].shape}"]
    has_grad = {plan.size - 1}
    for i, rule, out, ctx, inputs, edges, target, into in plan.entries:
        if i not in has_grad:
            continue
        if target is not None:
            lines.append(f"  {tape.name(slot_of_node[i])}.grad = d{tape.name(slot_of_node[i])}")
        if rule is None:
            continue
        results, added = [], []
        for j, needs, _ in edges:
            name = f"d{tape.name(slot_of_node[j])}"
            if not needs:
                results.append("_")
            elif j in has_grad:  # a second path: summed into the first
                results.append(f"{name}'")
                added.append(name)
            else:
                results.append(name)
                has_grad.add(j)
        kind, content = ctx
        ctx_text = (tape.name(content) if kind == "slot" else
                    _setting(content) if kind == "static" else "ctx")
        args = ", ".join([f"d{tape.name(out)}", tape.name(out), ctx_text]
                         + [tape._describe(s) for s in inputs])
        written = "" if into is None else "  # into " + ", ".join(
            f"{tape.name(slot)}.grad_buffer" for slot, writable in zip(inputs, into)
            if writable)
        lines.append(f"  {', '.join(results)} = {rule.__name__}({args}){written}")
        lines += [f"  {name} += {name}'" for name in added]
    return lines
