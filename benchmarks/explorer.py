"""How long the backprop explorer takes to build a page for a 1,000-node graph, and its size.

    PYTHONPATH=. python benchmarks/explorer.py

A scalar network's loss (a 2-16-16-1 `nn.MLP`'s squared error on examples added until the
graph has at least 1,000 value nodes) is traced once; then `trace.to_html()` is timed
(median of 5) at the default `max_nodes=200` (the rest collapses, as in `draw_graph`) and
with nothing collapsed. Prints JSON.
"""

from __future__ import annotations

import json
import statistics
import time

import nn
from autograd import graph_stats, trace_backward
from autograd.draw import MAX_NODES


def main() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss, examples = 0.0, 0
    while examples == 0 or graph_stats(loss).nodes < 1000:
        examples += 1
        loss = loss + (model([0.5 * examples, -1.0]) - 1.0) ** 2
    nodes = graph_stats(loss).nodes
    start = time.perf_counter()
    trace = trace_backward(loss)
    trace_seconds = time.perf_counter() - start
    results = {"value_nodes": nodes, "examples": examples, "frames": len(trace),
               "trace_seconds": trace_seconds}
    for label, max_nodes in ((f"collapsed_at_{MAX_NODES}", MAX_NODES), ("whole_graph", nodes)):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            page = trace.to_html(max_nodes=max_nodes)
            times.append(time.perf_counter() - start)
        results[label] = {"median_seconds": statistics.median(times),
                          "page_bytes": len(page.encode("utf-8"))}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
