"""A worked example: a 2-2-1 network of scalar Values, its gradients and its graph.

    python -m chainrule.demo [picture.svg]

Builds one forward pass of a tiny network, runs backward, prints every parameter's
gradient next to a central-difference estimate, and draws the graph (default
runs/demo/graph.svg).
"""

from __future__ import annotations

import sys
from pathlib import Path

from autograd import Value, draw_graph, gradcheck, render_graph

DEFAULT_PICTURE = Path("runs/demo/graph.svg")


def build() -> tuple[dict[str, Value], list[Value], Value]:
    """Fixed weights, one input pair and its target: loss = (y - target)²."""
    params = {
        "w11": Value(0.5), "w12": Value(-0.3), "b1": Value(0.1),
        "w21": Value(0.8), "w22": Value(0.2), "b2": Value(-0.1),
        "v1": Value(1.2), "v2": Value(-0.7), "c": Value(0.05),
    }
    x = [Value(1.0, label="x1"), Value(-2.0, label="x2")]
    return params, x, Value(0.5, label="target")


def forward(p: dict[str, Value], x: list[Value], target: Value) -> Value:
    h1 = (p["w11"] * x[0] + p["w12"] * x[1] + p["b1"]).tanh()
    h2 = (p["w21"] * x[0] + p["w22"] * x[1] + p["b2"]).tanh()
    y = p["v1"] * h1 + p["v2"] * h2 + p["c"]
    return (y - target) ** 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    picture = Path(argv[0]) if argv else DEFAULT_PICTURE
    params, x, target = build()
    loss = forward(params, x, target)
    loss.backward()
    print(f"loss = {loss.data:.6f}\n")

    names = list(params)
    check = gradcheck(lambda *ps: forward(dict(zip(names, ps)), x, target),
                      list(params.values()))
    print(f"{'param':<6} {'value':>8} {'grad':>12} {'numerical':>12}")
    for (name, p), report in zip(params.items(), check.inputs):
        print(f"{name:<6} {p.data:>8.3f} {p.grad:>12.6f} {report.numerical:>12.6f}")
    print(f"\ngradcheck: {'ok' if check.ok else 'FAILED'}")

    render_graph(draw_graph(loss, params=params), picture)
    print(f"graph picture: {picture.resolve()}")
    return 0 if check.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
