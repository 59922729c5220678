"""The backprop explorer: a backward trace as one page that replays both passes.

    >>> from autograd import Value, trace_backward
    >>> x = Value(2.0, label="x")
    >>> trace = trace_backward((x * x).tanh())
    >>> trace.save_html("tanh.html")  # doctest: +SKIP

The page steps through the backward pass one frame of the trace at a time (and, with its
toggle, through the forward pass before it). The graph is laid out once, by graphviz's
`dot` (positions read from its JSON output), and drawn here as SVG; the page's script
(`explorer_page.js`, shipped beside this file) only changes classes and texts as the
reader steps, never positions. Everything is inline, so the page opens from a file and
makes no network request (its Content-Security-Policy forbids them). Every text taken
from the graph is escaped: as HTML in the SVG, and in the embedded JSON so that it cannot
end its script element. The same trace gives the same bytes.
"""

from __future__ import annotations

import base64
import colorsys
import hashlib
import html
import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd.draw import (
    MAX_LISTED,
    MAX_NODES,
    ROLE_HUES,
    ROLE_SATURATION,
    collapsed_text,
    graphviz_package,
    nearest_nodes,
    node_name,
    node_role,
    op_label,
    pipe,
    summary,
)
from autograd.engine import topological_order
from autograd.node import Node, no_grad

if TYPE_CHECKING:
    from autograd.trace import Trace

_CHAR = 7.3  # width in px of one character of the boxes' 12px monospace font
_LINE = 16  # px per text line in a box
_PAD = 6
_TITLE_CHARS = 32  # a longer label is cut in its box (the inspector shows it whole)
_ENTRIES = 4  # entries of an array shown in the inspector
_LABELLED_EDGES = 150  # dot makes room for edge labels up to here; past it that gets slow
_LISTED_STEPS = 200  # steps listed in the notebook's static fallback


@dataclass
class _Box:
    kind: str  # "value", "constant", "op" or "collapsed"
    lines: list[tuple[str, str]]  # (kind, text) lines as frame 0 of backward shows them;
    # the script rewrites the "data" and "grad" lines as the reader steps
    info: list[list[str]]  # (name, text) rows for the inspector
    fill: str = "#ffffff"
    state: dict[str, Any] = field(default_factory=dict)  # what the script steps through
    width: float = 0.0
    height: float = 0.0
    x: float = 0.0  # centre, from the layout
    y: float = 0.0


@dataclass
class _Edge:
    tail: int
    head: int
    state: dict[str, Any]  # the steps that use the edge and its labels
    dashed: bool = False
    path: str = ""
    label_at: tuple[float, float] = (0.0, 0.0)


@dataclass
class _Scene:
    title: str
    boxes: list[_Box]
    edges: list[_Edge]
    backward: list[dict[str, Any]]
    forward: list[dict[str, Any]]
    note: str
    size: tuple[float, float] = (0.0, 0.0)


def page_html(trace: Trace, max_nodes: int = MAX_NODES, title: str | None = None) -> str:
    """The explorer for `trace` as one self-contained HTML document.

    Past `max_nodes` value nodes the nodes nearest the output are kept and the rest
    collapse into one box, as in `draw_graph`. Needs graphviz's `dot` program for the
    layout; without it this raises a RuntimeError that says how to install it.
    """
    scene = _scene(trace, max_nodes, title)
    _layout(scene)
    return _page(scene)


def notebook_html(trace: Trace, max_nodes: int = MAX_NODES) -> str:
    """The explorer for a notebook: the page in an iframe, built by a short script.

    Where the notebook runs no scripts (a static viewer), what shows instead is frame 0's
    picture and the list of steps.
    """
    steps = [f"<li>{html.escape(frame.text())}</li>" for frame in trace[:_LISTED_STEPS]]
    if len(trace) > _LISTED_STEPS:
        steps.append(f"<li>… and {len(trace) - _LISTED_STEPS:,} more steps</li>")
    listing = f'<ol start="0">{"".join(steps)}</ol>'
    heading = f"<p>backward in {len(trace)} steps</p>"
    try:
        scene = _scene(trace, max_nodes, None)
        _layout(scene)
    except (ImportError, RuntimeError) as error:  # no graphviz: the steps still read well
        return f"{heading}<p>({html.escape(str(error))})</p>{listing}"
    player = _script_json(_page(scene))
    return (f'<div class="chainrule-explorer"><div class="fallback">{heading}{_svg(scene)}'
            f"{listing}</div><script>(function () {{"
            "var here = document.currentScript.parentElement;"
            "var frame = document.createElement('iframe');"
            "frame.style.cssText = 'width: 100%; height: 560px; border: 1px solid #ccc';"
            f"frame.srcdoc = {player};"
            "here.querySelector('.fallback').remove(); here.appendChild(frame);"
            "})();</script></div>")


# -- what the page shows ---------------------------------------------------------------

def _scene(trace: Trace, max_nodes: int, title: str | None) -> _Scene:
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    root = trace.root
    kept, left_out = nearest_nodes(root, max_nodes)
    value_box = {id(node): index for index, node in enumerate(kept)}
    boxes = [_value_box(node, trace) for node in kept]
    op_box: dict[int, int] = {}
    for node in kept:
        if node.op is not None:
            op_box[id(node)] = len(boxes)
            boxes.append(_op_box(node, trace))
    collapsed = None
    note = ""
    if left_out:
        text, note = collapsed_text(left_out, len(kept))
        collapsed = len(boxes)
        boxes.append(_Box("collapsed", [("", text)], [["collapsed", text], ["", note]]))

    step_of = {id(frame.node): frame.index for frame in trace[1:]}
    forward_order = [node for node in topological_order(root)
                     if id(node) in op_box]  # each kept op, in evaluation order
    forward_step = {id(node): step for step, node in enumerate(forward_order, start=1)}

    def name(node: Node) -> str:
        return node_name(node, trace.names)

    edges = []
    for node in kept:
        if node.op is None:
            continue
        box, op = value_box[id(node)], op_box[id(node)]
        step, fstep = step_of.get(id(node)), forward_step[id(node)]
        frame = trace[step] if step is not None else None
        edges.append(_Edge(op, box, {"back": step, "fwd": fstep}))
        fed_by_collapsed = False
        for position, parent in enumerate(node.parents):
            if id(parent) not in value_box:
                fed_by_collapsed = True
                continue
            state: dict[str, Any] = {"fwd": fstep, "flabel": _short(parent.data)}
            grad = frame.input_grads[position] if frame is not None else None
            if grad is not None:
                state.update(back=step, label=_short(grad))
            edges.append(_Edge(value_box[id(parent)], op, state))
        if fed_by_collapsed and collapsed is not None:
            edges.append(_Edge(collapsed, op, {"fwd": fstep}, dashed=True))

    for node, box in zip(kept, boxes):
        box.state["fwd"] = forward_step.get(id(node), 0)
        box.state["data"] = f"data {summary(node.data)}"
    for node in kept:
        if id(node) in op_box:
            boxes[op_box[id(node)]].state["fwd"] = forward_step[id(node)]
    _add_gradients(trace, kept, boxes)

    def shown(node: Node) -> list[int]:
        if id(node) in value_box:
            return [value_box[id(node)]] + ([op_box[id(node)]] if id(node) in op_box else [])
        return [] if collapsed is None else [collapsed]

    backward = [{"cur": shown(frame.node), "text": frame.text()} for frame in trace]
    leaves = [node for node in kept if id(node) not in op_box]
    forward = [{"cur": [value_box[id(n)] for n in leaves] + ([collapsed] if left_out else []),
                "text": _inputs_text(leaves, name)}]
    forward += [{"cur": shown(node), "text": _evaluation_text(step, node, name)}
                for step, node in enumerate(forward_order, start=1)]
    title = title or f"backprop explorer: {name(root)}"
    scene = _Scene(title, boxes, edges, backward, forward, note)
    for box in boxes:
        _measure(box)
    return scene


def _value_box(node: Node, trace: Trace) -> _Box:
    role = node_role(node, trace.root, trace.names)
    data = node.data
    title = trace.names.get(id(node)) or node.label
    info = [["name", node_name(node, trace.names)], ["role", role]]
    if node.op is not None:
        info += [["op", node.op.name], ["local derivative", node.op.formula]]
    if isinstance(data, np.ndarray):
        info += [["shape", str(data.shape)], ["dtype", str(data.dtype)],
                 ["value", _entries(data)]]
    else:
        info.append(["value", f"{data:.10g}"])
    if role == "constant":
        return _Box("constant", [("", summary(data))], info)
    lines = [("", _cut(title))] if title else []
    if isinstance(data, np.ndarray):
        lines.append(("", f"{data.shape} {data.dtype}"))
    lines.append(("data", f"data {summary(data)}"))
    red, green, blue = (round(255 * c) for c in colorsys.hsv_to_rgb(
        ROLE_HUES[role], ROLE_SATURATION, 1.0))  # draw_graph's role colours
    fill = f"#{red:02x}{green:02x}{blue:02x}"
    return _Box("value", lines, info, fill)


def _op_box(node: Node, trace: Trace) -> _Box:
    info = [["op", node.op.name], ["local derivative", node.op.formula],
            ["output", node_name(node, trace.names)]]
    return _Box("op", [("", op_label(node))], info)


def _add_gradients(trace: Trace, kept: Sequence[Node], boxes: list[_Box]) -> None:
    """Each kept node's gradient: when it is complete, its final text, and running totals.

    A node fed by several consumers collects a share from each; the running total after
    each share (summed back to the node's shape, as backward does) is what "so far" shows.
    """
    wanted = {id(node) for node in kept}
    accept = type(trace.root)._accept_grad
    running: dict[int, Any] = {}
    partials: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    with no_grad():  # a Tensor's `_accept_grad` would otherwise wrap the sum as a node
        for frame in trace[1:]:
            for parent, grad in zip(frame.node.parents, frame.input_grads):
                if grad is None or id(parent) not in wanted:
                    continue
                if accept is not None:
                    if not parent.requires_grad:
                        continue
                    grad = accept(parent, grad)
                key = id(parent)
                running[key] = grad if key not in running else running[key] + grad
                shares = partials[key]
                if shares and shares[-1][0] == frame.index:  # x * x: two shares, one step
                    shares.pop()
                shares.append((frame.index, running[key]))
    for node, box in zip(kept, boxes):
        if node not in trace.totals:
            continue  # needs no gradient (a Tensor without requires_grad)
        final = trace.totals[node]
        done = trace.completed_at(node)
        steps = partials[id(node)]
        box.state["grad"] = {
            "done": done, "final": f"grad {_short(final)}",
            "partials": [[step, f"grad so far {_short(total)} ({count} of {len(steps)})"]
                         for count, (step, total) in enumerate(steps, start=1)
                         if step < done],
        }
        if isinstance(final, np.ndarray):
            box.info += [["final gradient", _entries(final)],
                         ["final gradient norm", f"{np.linalg.norm(final):.6g}"]]
        else:
            box.info.append(["final gradient", f"{final:.10g}"])
        if box.kind == "value":
            box.lines.append(("grad", "grad ?" if done > 0 else f"grad {_short(final)}"))


def _measure(box: _Box) -> None:
    """Size a box for the longest text any frame puts in it."""
    texts = [text for _, text in box.lines]
    if "data" in box.state:
        texts.append(box.state["data"])
    grad = box.state.get("grad")
    if grad is not None and box.kind == "value":
        texts += [grad["final"]] + [text for _, text in grad["partials"]]
    chars = max(len(text) for text in texts)
    if box.kind == "op":
        box.width, box.height = max(30.0, chars * _CHAR + 16), 26.0
    else:
        box.width = chars * _CHAR + 2 * _PAD
        box.height = len(box.lines) * _LINE + 2 * _PAD


def _inputs_text(leaves: Sequence[Node], name: Callable[[Node], str]) -> str:
    held = [f"'{name(leaf)}' = {_short(leaf.data)}" for leaf in leaves[:MAX_LISTED]]
    if len(leaves) > MAX_LISTED:
        held.append(f"and {len(leaves) - MAX_LISTED:,} more")
    return f"forward step 0: the inputs hold their values: {', '.join(held)}"


def _evaluation_text(step: int, node: Node, name: Callable[[Node], str]) -> str:
    args = [f"'{name(parent)}'" for parent in node.parents[:MAX_LISTED]]
    if len(node.parents) > MAX_LISTED:
        args.append(f"and {len(node.parents) - MAX_LISTED:,} more")
    symbol = op_label(node)
    if node.op.name == "pow" and len(args) == 1:
        call = f"{args[0]} {symbol}"  # the exponent is a constant: x ** 2
    elif len(args) == 2 and symbol != node.op.name:
        call = f"{args[0]} {symbol} {args[1]}"
    else:
        call = f"{node.op.name}({', '.join(args)})"
    return f"forward step {step}: '{name(node)}' = {call} = {_short(node.data)}"


def _short(x: Any) -> str:
    """A number as `summary` writes it; an array as its shape and norm."""
    if isinstance(x, np.ndarray) and x.size > 1:
        if np.issubdtype(x.dtype, np.number):
            return f"{x.shape} norm {np.linalg.norm(x):.4g}"
        return f"{x.shape} {x.dtype}"
    return summary(x)


def _entries(array: np.ndarray) -> str:
    flat = array.reshape(-1)[:_ENTRIES]
    shown = ", ".join(f"{entry:.4g}" if np.issubdtype(array.dtype, np.number) else str(entry)
                      for entry in flat.tolist())
    return f"[{shown}{', …' if array.size > _ENTRIES else ''}]"


def _cut(text: str) -> str:
    return text if len(text) <= _TITLE_CHARS else text[:_TITLE_CHARS - 1] + "…"


# -- layout: dot places every box once ---------------------------------------------------

def _layout(scene: _Scene) -> None:
    labelled = len(scene.edges) <= _LABELLED_EDGES
    lines = ["digraph {", "rankdir=LR; nodesep=0.25; ranksep=%.2f;" % (0.5 if labelled else 1.1),
             'node [shape=box, fixedsize=true, label=""];',
             'edge [fontname="DejaVu Sans Mono", fontsize=11];']
    for index, box in enumerate(scene.boxes):
        shape = "ellipse" if box.kind == "op" else "box"
        lines.append(f"b{index} [shape={shape}, width={box.width / 72:.4f}, "
                     f"height={box.height / 72:.4f}];")
    for index, edge in enumerate(scene.edges):
        # a placeholder as wide as the longest label makes room for it (dot never sees text)
        room = max(len(edge.state.get("label", "")), len(edge.state.get("flabel", "")))
        label = f', label="{"n" * room}"' if labelled and room else ""
        lines.append(f'b{edge.tail} -> b{edge.head} [id=e{index}{label}];')
    lines.append("}")
    output = pipe(graphviz_package().Source("\n".join(lines)), "json0", encoding="utf-8")
    placed = json.loads(output)
    _, _, width, height = (float(v) for v in placed["bb"].split(","))
    scene.size = (width, height)
    for node in placed.get("objects", []):
        box = scene.boxes[int(node["name"][1:])]
        x, y = (float(v) for v in node["pos"].split(","))
        box.x, box.y = x, height - y
    for routed in placed.get("edges", []):
        edge = scene.edges[int(routed["id"][1:])]
        edge.path, edge.label_at = _spline(routed, height)


def _spline(routed: dict[str, Any], height: float) -> tuple[str, tuple[float, float]]:
    """dot's edge spline ("e,x,y p0 p1 p2 p3 ...") as an SVG path, and where its label goes."""
    end = None
    points = []
    for token in routed["pos"].split():
        if token.startswith(("e,", "s,")):
            if token[0] == "e":
                end = _point(token[2:], height)
            continue
        points.append(_point(token, height))
    path = "M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in points[:1])
    for i in range(1, len(points) - 2, 3):
        path += " C" + " ".join(f"{x:.1f},{y:.1f}" for x, y in points[i:i + 3])
    if end is not None:
        path += f" L{end[0]:.1f},{end[1]:.1f}"
    if "lp" in routed:
        return path, _point(routed["lp"], height)
    # no room was made: the middle of the last curve, which lies next to the head
    p0, p1, p2, p3 = points[-4:] if len(points) >= 4 else (points[0],) * 4
    return path, tuple((a + 3 * b + 3 * c + d) / 8 for a, b, c, d in zip(p0, p1, p2, p3))


def _point(text: str, height: float) -> tuple[float, float]:
    x, y = text.split(",")[:2]
    return float(x), height - float(y)


# -- the page ---------------------------------------------------------------------------

def _svg(scene: _Scene) -> str:
    """The graph as frame 0 of backward shows it (also the notebook's static picture)."""
    width, height = scene.size
    parts = [f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="-8 -8 {width + 16:.1f} {height + 16:.1f}" '
             f'preserveAspectRatio="xMidYMid meet" font-family="DejaVu Sans Mono, Menlo, '
             f'Consolas, monospace" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
             'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
             '<path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>']
    for index, edge in enumerate(scene.edges):
        dash = ' stroke-dasharray="4 3"' if edge.dashed else ""
        x, y = edge.label_at
        parts.append(f'<g class="edge" id="e{index}"><path d="{edge.path}" fill="none" '
                     f'stroke="#666"{dash} marker-end="url(#arrow)"/>'
                     f'<text class="elabel" x="{x:.1f}" y="{y + 4:.1f}" '
                     f'text-anchor="middle"></text></g>')
    for index, box in enumerate(scene.boxes):
        current = index in scene.backward[0]["cur"]
        stroke = ' stroke="#d62728" stroke-width="3"' if current else ' stroke="#333"'
        left, top = box.x - box.width / 2, box.y - box.height / 2
        parts.append(f'<g class="box {box.kind}" id="b{index}" data-box="{index}">')
        if box.kind == "op":
            parts.append(f'<ellipse cx="{box.x:.1f}" cy="{box.y:.1f}" rx="{box.width / 2:.1f}" '
                         f'ry="{box.height / 2:.1f}" fill="#ffffff"{stroke}/>')
            parts.append(f'<text x="{box.x:.1f}" y="{box.y + 4:.1f}" text-anchor="middle">'
                         f"{html.escape(box.lines[0][1])}</text></g>")
            continue
        dash = ' stroke-dasharray="4 3"' if box.kind in ("constant", "collapsed") else ""
        parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{box.width:.1f}" '
                     f'height="{box.height:.1f}" rx="3" fill="{box.fill}"{stroke}{dash}/>')
        for row, (kind, line) in enumerate(box.lines):
            css = f' class="{kind}"' if kind else ""
            parts.append(f'<text{css} x="{left + _PAD:.1f}" '
                         f'y="{top + _PAD + (row + 1) * _LINE - 4:.1f}">'
                         f"{html.escape(line)}</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _page_data(scene: _Scene) -> dict[str, Any]:
    return {
        "boxes": [{"kind": box.kind, "info": box.info, **box.state} for box in scene.boxes],
        "edges": [{"tail": edge.tail, "head": edge.head, **edge.state} for edge in scene.edges],
        "backward": scene.backward,
        "forward": scene.forward,
        "note": scene.note,
    }


_PLACEHOLDER = re.compile(r"\{\{(title|svg|data|script|script_hash)\}\}")


def _page(scene: _Scene) -> str:
    package = resources.files("autograd")
    template = package.joinpath("explorer_page.html").read_text(encoding="utf-8")
    script = package.joinpath("explorer_page.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    parts = {"title": html.escape(scene.title), "svg": _svg(scene),
             "data": _script_json(_page_data(scene)), "script": script,
             "script_hash": f"sha256-{digest}"}
    # one pass over the template: a placeholder inside a label is never expanded
    return _PLACEHOLDER.sub(lambda match: parts[match.group(1)], template)


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: no <, >, & or JavaScript line breaks."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text
