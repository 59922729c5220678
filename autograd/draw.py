"""Pictures of a graph: `draw_graph`, `render_graph` and `graph_stats`.

A value node is a box with its name, data and grad (for an array: shape, dtype and a
short summary of the values); a small ellipse between value nodes names the op that
made the next value. Fill colour says what a node is for:

====================  ===============================================================
role                  colour
====================  ===============================================================
input                 blue: a leaf with a label (e.g. ``Value(2.0, label="x")``)
parameter             green: a leaf named in ``params``, or an array with requires_grad
intermediate          yellow: computed by an op
output                red: the root the picture was drawn from (the loss)
constant              white, dashed: an unnamed leaf (``3`` in ``3 * x``), data only
====================  ===============================================================

With ``shade_grad=True`` the fill is stronger the larger |grad| is (the largest absolute
entry, relative to the largest in the picture), so the nodes that matter most stand out.
Pass ``legend=True`` to draw this table inside the picture.

Everything here walks the graph with loops, never recursion: a picture of a graph with a
million nodes keeps the `max_nodes` nearest the root and says what it left out.
"""

from __future__ import annotations

import math
import os
import sys
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd.engine import topological_order
from autograd.files import atomic_write
from autograd.node import Node

if TYPE_CHECKING:
    import graphviz

ROLE_HUES = {"input": 0.58, "parameter": 0.33, "intermediate": 0.13, "output": 0.0}
ROLE_SATURATION = 0.35  # role colour strength when not shading by gradient
MAX_NODES = 200  # past this many value nodes, a picture collapses the rest into one box
MAX_LISTED = 12  # a caption names this many inputs, then counts the rest
_OP_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_SMALL = 6  # arrays with at most this many entries are shown in full
INSTALL_HINT = ("the graphviz 'dot' program was not found, so the graph cannot be rendered "
                 "(its DOT source is still available as `.source`); install graphviz: "
                 "apt-get install graphviz / brew install graphviz / conda install graphviz")
_PACKAGE_HINT = ("drawing a graph needs the graphviz Python package: pip install graphviz "
                 "(and, to render pictures, the graphviz program: apt-get install graphviz "
                 "/ brew install graphviz / conda install graphviz)")


def graphviz_package() -> Any:
    """The graphviz package, imported when a picture is first drawn, so that importing
    autograd does not need it."""
    try:
        import graphviz
    except ImportError as err:
        raise ImportError(_PACKAGE_HINT) from err
    return graphviz


def pipe(dot: graphviz.Digraph, format: str, encoding: str | None = None) -> Any:
    """`dot` rendered by graphviz's `dot` program (bytes, or str given an `encoding`);
    a RuntimeError that says how to install the program when it is missing."""
    try:
        return dot.pipe(format=format, encoding=encoding)
    except graphviz_package().ExecutableNotFound as err:
        raise RuntimeError(INSTALL_HINT) from err

NameMapping = Mapping[str, Node] | Iterable[tuple[str, Node]]


@dataclass
class Overlay:
    """What a backward-trace frame adds to a picture (see `autograd.trace`).

    `grads` holds the gradients known so far, by `id(node)`; other nodes show "?".
    `current` is the id of the node being processed, `inputs` the ids of its parents, and
    `edge_labels` the gradient passed along each of its input edges, by parent position;
    `caption` is written above the picture.
    """

    grads: dict[int, Any]
    current: int
    inputs: set[int] = field(default_factory=set)
    edge_labels: dict[int, str] = field(default_factory=dict)
    caption: str = ""


_UNKNOWN = object()


def draw_graph(root: Node, params: NameMapping | None = None, *, rankdir: str = "LR",
               max_nodes: int = MAX_NODES, legend: bool = False, shade_grad: bool = False,
               size: str | tuple[float, float] | None = None, dpi: float | None = None,
               overlay: Overlay | None = None) -> graphviz.Digraph:
    """The graph that ends at `root`, as a `graphviz.Digraph`.

    In Jupyter the result displays inline; `render_graph` writes it to a file, and its
    `.source` (DOT text) works even without graphviz's `dot` program. `params` names
    parameters: a dict such as ``{"w1": w1}`` or a model's ``named_parameters()``.
    `rankdir` is "LR" (left to right), "RL", "TB" or "BT". Past `max_nodes` value nodes,
    the nodes nearest the root are kept and the rest collapse into one summary node.
    `size` (inches, e.g. ``"8,5"`` or ``(8, 5)``) and `dpi` are passed to graphviz.
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be LR, RL, TB or BT, got {rankdir!r}")
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    names = names_by_id(params)
    kept, left_out = nearest_nodes(root, max_nodes)
    kept_ids = {id(n) for n in kept}

    dot = graphviz_package().Digraph(graph_attr={"rankdir": rankdir}, node_attr={"fontsize": "11"})
    if size is not None:
        dot.attr(size=size if isinstance(size, str) else f"{size[0]},{size[1]}")
    if dpi is not None:
        dot.attr(dpi=str(dpi))

    grads = {id(n): _grad_of(n, overlay) for n in kept}
    largest = max((m for m in map(_magnitude, grads.values()) if math.isfinite(m)), default=0.0)
    boundary: dict[str, None] = {}  # op nodes fed by a collapsed node, in order
    for node in kept:
        name = str(id(node))
        role = node_role(node, root, names)
        grad = grads[id(node)]
        attrs = _highlight(id(node), overlay)
        current = overlay is not None and id(node) == overlay.current
        if role == "constant":
            dot.node(name, _record([_summary(node.data)]), shape="record", style="dashed",
                     **attrs)
        else:
            strength = _strength(grad, largest) if shade_grad else ROLE_SATURATION
            colour = f"{ROLE_HUES[role]:.3f} {strength:.3f} 1.000"
            dot.node(name, _record(_fields(node, names, grad)), shape="record",
                     style="filled", fillcolor=colour, **attrs)
        if not node.parents:
            continue
        target = name
        if node.op is not None:
            target = name + "op"
            dot.node(target, op_label(node), shape="ellipse", width="0.3", height="0.3",
                     margin="0.02", **(attrs if current else {}))
            dot.edge(target, name)
        for position, parent in enumerate(node.parents):
            if id(parent) in kept_ids:
                label = overlay.edge_labels.get(position) if current else None
                dot.edge(str(id(parent)), target, **({"label": label} if label else {}))
            else:
                boundary[target] = None
    captions = [overlay.caption] if overlay is not None and overlay.caption else []
    if left_out:
        captions.append(_draw_collapsed(dot, left_out, boundary, len(kept)))
    if captions:
        dot.attr(label="\\n".join(captions), labelloc="t")
    if legend:
        _draw_legend(dot, shade_grad, overlay is not None)
    return dot


def render_graph(dot: graphviz.Digraph, path: str | os.PathLike, format: str | None = None
                 ) -> Path:
    """Write `dot` to `path` as svg, png or pdf (from the file suffix by default).

    The file appears whole or not at all. Without graphviz's `dot` program this raises a
    RuntimeError that says how to install it.
    """
    path = Path(path)
    format = format or path.suffix.lstrip(".").lower()
    if format not in ("svg", "png", "pdf"):
        raise ValueError(f"render_graph: format must be svg, png or pdf, got {format!r} "
                         f"(for {path})")
    data = pipe(dot, format)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as file:
        file.write(data)
    return path


@dataclass
class GraphStats:
    """Size of a graph: see `graph_stats`."""

    nodes: int
    edges: int
    depth: int
    leaves: int
    ops: Counter
    memory_bytes: int

    def __str__(self) -> str:
        ops = ", ".join(f"{name} ×{count:,}" for name, count in self.ops.most_common())
        leaves = "1 leaf" if self.leaves == 1 else f"{self.leaves:,} leaves"
        return (f"{self.nodes:,} nodes ({leaves}), {self.edges:,} edges, "
                f"depth {self.depth:,}, about {_bytes(self.memory_bytes)}\n"
                f"ops: {ops or 'none'}")


def graph_stats(root: Node) -> GraphStats:
    """Counts for the graph that ends at `root`.

    `edges` counts parent links, so ``x * x`` adds two; `depth` is the longest path (in
    ops) from a leaf to the root; `memory_bytes` estimates what the nodes hold: the node,
    its data and grad (an array counts its buffer) and its parents tuple.
    """
    depth: dict[int, int] = {}
    edges = leaves = memory = 0
    ops: Counter = Counter()
    order = topological_order(root)
    for node in order:
        parents = node.parents
        edges += len(parents)
        if parents:
            depth[id(node)] = 1 + max(depth[id(p)] for p in parents)
        else:
            depth[id(node)] = 0
            leaves += 1
        if node.op is not None:
            ops[node.op.name] += 1
        memory += (sys.getsizeof(node) + _nbytes(node.data) + _nbytes(node.grad)
                   + sys.getsizeof(parents))
    return GraphStats(len(order), edges, depth[id(root)], leaves, ops, memory)


def node_name(node: Node, names: Mapping[int, str]) -> str:
    """How pictures and traces call a node: its parameter name, label, op or value."""
    if id(node) in names:
        return names[id(node)]
    if node.label:
        return node.label
    if node.op is not None:
        return f"({node.op.name})"
    return _summary(node.data)


def summary(x: Any) -> str:
    """A short text for a number or an array (a node's data or grad)."""
    return _summary(x.data if isinstance(x, Node) else x)


# -- helpers ----------------------------------------------------------------------------

def names_by_id(params: NameMapping | None) -> dict[int, str]:
    """Parameter names by `id(node)`, from a dict or (name, node) pairs."""
    if params is None:
        return {}
    pairs = params.items() if isinstance(params, Mapping) else params
    names = {}
    for name, node in pairs:
        if not isinstance(node, Node):
            raise TypeError(f"params[{name!r}] is a {type(node).__name__}, not a graph node")
        names[id(node)] = str(name)
    return names


def nearest_nodes(root: Node, limit: int) -> tuple[list[Node], Counter]:
    """The first `limit` nodes met walking back from the root, and the ops of the rest."""
    kept = [root]
    seen = {id(root)}
    left_out: Counter = Counter()
    queue = deque([root])
    while queue:
        for parent in queue.popleft().parents:
            if id(parent) in seen:
                continue
            seen.add(id(parent))
            queue.append(parent)
            if len(kept) < limit:
                kept.append(parent)
            else:
                left_out[parent.op.name if parent.op is not None else "leaf"] += 1
    return kept, left_out


def node_role(node: Node, root: Node, names: Mapping[int, str]) -> str:
    if node is root:
        return "output"
    if node.parents:
        return "intermediate"
    if id(node) in names or (isinstance(node.data, np.ndarray) and node.requires_grad):
        return "parameter"
    return "input" if node.label else "constant"


def _grad_of(node: Node, overlay: Overlay | None) -> Any:
    if overlay is not None:
        return overlay.grads.get(id(node), _UNKNOWN)
    return node.grad


def _fields(node: Node, names: Mapping[int, str], grad: Any) -> list[str]:
    fields = []
    title = names.get(id(node)) or node.label
    if title:
        fields.append(title)
    data = node.data
    if isinstance(data, np.ndarray):
        fields.append(f"{data.shape} {data.dtype}")
    fields.append(f"data {_summary(data)}")
    if node.requires_grad:
        fields.append("grad ?" if grad is _UNKNOWN else f"grad {summary(grad)}")
    return fields


def _summary(x: Any) -> str:
    if x is None:
        return "None"
    if isinstance(x, np.ndarray):
        if x.size <= _SMALL:
            return np.array2string(x, precision=4, separator=", ").replace("\n", "")
        if not np.issubdtype(x.dtype, np.number):
            return f"{x.size:,} {x.dtype} values"
        return (f"mean {x.mean():.4g} std {x.std():.4g} "
                f"min {x.min():.4g} max {x.max():.4g}")
    if isinstance(x, (int, float, np.number)):
        return f"{x:.4g}"
    return repr(x)


def _magnitude(grad: Any) -> float:
    if grad is _UNKNOWN or grad is None:
        return 0.0
    if isinstance(grad, Node):
        grad = grad.data
    if isinstance(grad, np.ndarray):
        return float(np.abs(grad).max()) if grad.size else 0.0
    return abs(float(grad))


def _strength(grad: Any, largest: float) -> float:
    size = _magnitude(grad)
    if not math.isfinite(size):
        return 0.9
    return 0.05 + 0.85 * (size / largest if largest > 0 else 0.0)


def _highlight(node_id: int, overlay: Overlay | None) -> dict[str, str]:
    if overlay is None:
        return {}
    if node_id == overlay.current:
        return {"color": "red", "penwidth": "3"}
    if node_id in overlay.inputs:
        return {"color": "orange", "penwidth": "2"}
    return {}


def op_label(node: Node) -> str:
    label = _OP_SYMBOLS.get(node.op.name, node.op.name)
    ctx = node.ctx
    if isinstance(ctx, (int, float)) and not isinstance(ctx, bool):
        label += f" {ctx:g}"  # a constant the op keeps, such as the exponent of x ** 2
    return label


def _record(fields: list[str]) -> str:
    """A graphviz record label; braces keep the fields in a row when rankdir is LR."""
    return "{ " + " | ".join(_escape_record(f) for f in fields) + " }"


def _escape_record(text: str) -> str:
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")


def _draw_collapsed(dot: graphviz.Digraph, left_out: Counter, boundary: Iterable[str],
                    shown: int) -> str:
    """Draw the summary node and return the caption that says what was left out."""
    text, caption = collapsed_text(left_out, shown)
    dot.node("collapsed", text, shape="box", style="dashed,rounded", fontcolor="gray30")
    for target in boundary:
        dot.edge("collapsed", target, style="dashed", color="gray50")
    return caption


def collapsed_text(left_out: Counter, shown: int) -> tuple[str, str]:
    """The summary box's text and the caption saying what a picture left out."""
    hidden = sum(left_out.values())
    common = left_out.most_common(4)
    ops = ", ".join(f"{name} ×{count:,}" for name, count in common)
    more = ", …" if len(left_out) > len(common) else ""
    return (f"… {hidden:,} more nodes: {ops}{more}",
            f"showing {shown:,} of {shown + hidden:,} value nodes (max_nodes={shown:,}); "
            f"{hidden:,} collapsed")


def _draw_legend(dot: graphviz.Digraph, shade_grad: bool, trace: bool) -> None:
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="dashed", color="gray60")
        for role, hue in ROLE_HUES.items():
            legend.node(f"legend_{role}", role, shape="box", style="filled",
                        fillcolor=f"{hue:.3f} {ROLE_SATURATION:.3f} 1.000")
        legend.node("legend_constant", "constant", shape="box", style="dashed")
        notes = []
        if shade_grad:
            notes.append("stronger fill = larger |grad|")
        if trace:
            notes += ["red border: node passing its gradient back",
                      "orange border: its inputs", "grad ?: not known yet"]
        if notes:
            legend.node("legend_notes", "\\l".join(notes) + "\\l", shape="plaintext")


def _nbytes(x: Any) -> int:
    if x is None:
        return 0
    if isinstance(x, np.ndarray):
        return x.nbytes
    return sys.getsizeof(x)


def _bytes(n: int) -> str:
    if n < 1000:
        return f"{n:,} bytes"
    value, unit = n / 1000, "kB"
    for bigger in ("MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"
