"""The chain rule made visible: backward replayed one step at a time.

    >>> from autograd import Value, trace_backward
    >>> x = Value(3.0, label="x")
    >>> y = (x * x).tanh()
    >>> trace = trace_backward(y)
    >>> len(trace)  # the seed at the output, then one step per op
    3
    >>> print(trace[1].text())  # doctest: +ELLIPSIS
    step 1: '(tanh)' has gradient 1; local derivative ∂tanh(a)/∂a = ...

Each frame is drawn with `.draw()`: the node passing its gradient back has a red border,
its inputs an orange one, each input edge carries the gradient it receives, and a
gradient not yet complete shows as "?". The frames come from the engine's own backward
traversal (`backpropagate` with `on_step`), so the picture is what backward really does;
no node's `.grad` changes. `trace.save_html(path)` writes all the frames as one page to
step through (the backprop explorer, `autograd.explorer`); in Jupyter a trace shows as it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from autograd.draw import (
    MAX_LISTED,
    MAX_NODES,
    NameMapping,
    Overlay,
    draw_graph,
    names_by_id,
    node_name,
    render_graph,
    summary,
)
from autograd.engine import backpropagate
from autograd.explorer import notebook_html, page_html
from autograd.files import atomic_write_text
from autograd.node import Node

if TYPE_CHECKING:
    import graphviz



@dataclass(eq=False)
class Frame:
    """One step of backward: `node` passes `grad` to its parents as `input_grads`."""

    index: int
    node: Node
    grad: Any
    input_grads: tuple
    formula: str  # the local derivative the step applies (from `autograd.op.OPS`)
    trace: Trace = field(repr=False)

    @property
    def known(self) -> dict[Node, Any]:
        """The gradients complete after this step: every consumer has passed its share."""
        return self.trace.known_after(self.index)

    def text(self) -> str:
        name = self._name(self.node)
        if self.index == 0:
            return f"step 0: start at the output '{name}' with gradient {summary(self.grad)}"
        shares = [f"{summary(g)} to '{self._name(p)}'"
                  for p, g in zip(self.node.parents, self.input_grads, strict=True)
                  if g is not None]
        if len(shares) > MAX_LISTED:  # graphviz refuses labels past 16,384 characters
            hidden = len(shares) - MAX_LISTED
            shares = shares[:MAX_LISTED] + [f"and {hidden:,} more inputs"]
        passes = ", ".join(shares)
        return (f"step {self.index}: '{name}' has gradient {summary(self.grad)}; "
                f"local derivative {self.formula}; passes {passes or 'nothing'}")

    def draw(self, **options: Any) -> graphviz.Digraph:
        """This step as a picture; `options` are those of `draw_graph`."""
        overlay = Overlay(
            grads={id(node): grad for node, grad in self.known.items()},
            current=id(self.node),
            inputs={id(p) for p in self.node.parents},
            edge_labels={i: summary(g) for i, g in enumerate(self.input_grads)
                         if g is not None},
            caption=self.text(),
        )
        return draw_graph(self.trace.root, self.trace.params, overlay=overlay, **options)

    def _name(self, node: Node) -> str:
        return node_name(node, self.trace.names)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any
                          ) -> dict[str, Any]:
        return self.draw()._repr_mimebundle_(include, exclude, **kwargs)


class Trace(Sequence[Frame]):
    """The frames of one backward pass; see `trace_backward`."""

    def __init__(self, root: Node, params: NameMapping | None, totals: dict[Node, Any],
                 complete_at: dict[int, int], steps: list[tuple[Node, Any, tuple]]) -> None:
        self.root = root
        self.params = {} if params is None else dict(params)  # a generator is read once
        self.names = names_by_id(self.params)
        self.totals = totals  # each node's full gradient, as `backpropagate` returned it
        self._complete_at = complete_at  # id(node) -> step after which its grad is complete
        self.frames = [Frame(i, node, grad, tuple(inputs), _formula(node, i), self)
                       for i, (node, grad, inputs) in enumerate(steps)]

    def known_after(self, index: int) -> dict[Node, Any]:
        """The gradients complete once step `index` is done."""
        return {node: grad for node, grad in self.totals.items()
                if self._complete_at[id(node)] <= index}

    @overload
    def __getitem__(self, index: int) -> Frame: ...

    @overload
    def __getitem__(self, index: slice) -> list[Frame]: ...

    def __getitem__(self, index: int | slice) -> Frame | list[Frame]:
        return self.frames[index]

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[Frame]:
        return iter(self.frames)

    def __str__(self) -> str:
        return "\n".join(frame.text() for frame in self.frames)

    def __repr__(self) -> str:
        return f"<Trace of {len(self.frames)} frames>"

    def save(self, folder: str | os.PathLike, format: str = "svg", **options: Any
             ) -> list[Path]:
        """Write frame_000.svg (or .png), frame_001... into `folder`, each file atomically.

        `options` are those of `draw_graph`. Without graphviz's `dot` program this raises
        a RuntimeError that says how to install it.
        """
        if format not in ("svg", "png"):
            raise ValueError(f"Trace.save: format must be 'svg' or 'png', got {format!r}")
        width = max(3, len(str(len(self.frames) - 1)))
        return [render_graph(frame.draw(**options),
                             Path(folder) / f"frame_{frame.index:0{width}d}.{format}", format)
                for frame in self.frames]

    def completed_at(self, node: Node) -> int:
        """The step after which `node`'s gradient is complete (every consumer has passed)."""
        return self._complete_at[id(node)]

    def to_html(self, max_nodes: int = MAX_NODES, title: str | None = None) -> str:
        """The backprop explorer for this trace: one self-contained HTML page.

        The page steps through backward (and forward) with a slider, buttons and the
        arrow keys; see `autograd.explorer`. Past `max_nodes` value nodes the rest of the
        graph collapses into one box, as in `draw_graph`. Needs graphviz's `dot` program
        (a RuntimeError says how to install it).
        """
        return page_html(self, max_nodes, title)

    def save_html(self, path: str | os.PathLike, max_nodes: int = MAX_NODES,
                  title: str | None = None) -> Path:
        """Write `to_html()` to `path` atomically (creating its folder) and return the path."""
        path = Path(path)
        page = self.to_html(max_nodes, title)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, page)
        return path

    def _repr_html_(self) -> str:
        return notebook_html(self)


def trace_backward(root: Node, gradient: Any = None, params: NameMapping | None = None
                   ) -> Trace:
    """Replay backward from `root`, recording one frame per step (frame 0 is the seed).

    `gradient` seeds the root (default 1, or ones for an array); `params` names
    parameters as in `draw_graph`. Nothing is accumulated into any `.grad`.
    """
    seed = root._seed_grad(gradient)
    steps: list[tuple[Node, Any, tuple]] = [(root, seed, ())]
    complete_at = {id(root): 0}

    def on_step(node: Node, grad: Any, input_grads: Sequence[Any]) -> None:
        steps.append((node, grad, tuple(input_grads)))
        for parent in node.parents:
            # Reverse topological order: the last consumer to pass a share completes it.
            complete_at[id(parent)] = len(steps) - 1

    totals = backpropagate(root, seed, create_graph=False, on_step=on_step)
    return Trace(root, params, totals, complete_at, steps)


def _formula(node: Node, index: int) -> str:
    if index == 0:
        return "∂out/∂out = 1 (the seed)"
    return node.op.formula
