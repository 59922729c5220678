"""Which tests check which op's gradients: the registry behind the coverage test.

Every op in `autograd.OPS` needs, on each engine it supports, a test comparing its first
derivative with central differences (order 1) and one doing the same for the gradient
that `create_graph=True` builds (order 2). A test says what it checks with a decorator:

    @checks_op("matmul", order=1)
    @checks_op("softmax", "log_softmax", order=(1, 2))
    @checks_op("tanh", order=2, engine="Value")

`tests/autograd/test_op.py` fails while any (op, engine, order) has no such test.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

# (op name, engine, order) -> the tests that check it, as "file::test"
CHECKS: dict[tuple[str, str, int], set[str]] = defaultdict(set)
# the test files that have registered their checks (the coverage test imports the others)
FILES: set[Path] = set()


def checks_op(*ops: str, order: int | tuple[int, ...], engine: str = "Tensor"
              ) -> Callable[[Callable], Callable]:
    """Record that the decorated test checks `ops` to `order` (1, 2 or both) on `engine`."""
    orders = (order,) if isinstance(order, int) else tuple(order)
    if not ops or not set(orders) <= {1, 2}:
        raise ValueError(f"checks_op: needs op names and order 1, 2 or (1, 2), got {ops} "
                         f"{order!r}")
    test_file = Path(sys._getframe(1).f_code.co_filename).resolve()  # the decorated test's
    FILES.add(test_file)

    def record(test: Callable) -> Callable:
        for op in ops:
            for k in orders:
                CHECKS[(op, engine, k)].add(f"{test_file.name}::{test.__name__}")
        return test
    return record
