"""Every op in autograd.OPS has its gradients checked, first and second order, on every
engine it supports: adding an op without those checks fails here.

The checks register themselves with `op_checks.checks_op` (see tests/support/op_checks.py).
This test imports any test file that registers checks and was not collected in this run,
so that it gives the same answer on its own as in the whole suite.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import op_checks
from op_checks import CHECKS

from autograd import OPS, Op

TESTS = Path(__file__).resolve().parents[1]

# op name -> why it has no second derivative to check; every op has one today
NO_SECOND_ORDER: dict[str, str] = {}


def load_every_check() -> None:
    """Import the test files that declare checks and have not registered them yet."""
    for path in sorted(TESTS.rglob("test_*.py")):
        declares = re.search(r"^@checks_op\(", path.read_text("utf-8"), re.MULTILINE)
        if not declares or path.resolve() in op_checks.FILES:
            continue
        name = "op_coverage_" + "_".join(path.relative_to(TESTS).with_suffix("").parts)
        spec = importlib.util.spec_from_file_location(name, path)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


def missing_checks(ops: dict[str, Op], checks: dict[tuple[str, str, int], set[str]]
                   ) -> list[str]:
    """One line per (op, engine, order) of `ops` that no test in `checks` checks, and per
    check of an op or engine that `ops` does not have."""
    needed = {(name, engine, order) for name, op in ops.items() for engine in op.engines
              for order in (1, 2) if not (order == 2 and name in NO_SECOND_ORDER)}
    registered = {key for key, tests in checks.items() if tests}
    lines = [f"{name} ({engine}): no order-{order} gradient check"
             for name, engine, order in sorted(needed - registered)]
    possible = {(name, engine) for name, op in ops.items() for engine in op.engines}
    lines += [f"{name} ({engine}): checked by {sorted(checks[name, engine, order])}, "
              "but autograd.OPS has no such op on that engine"
              for name, engine, order in sorted(registered)
              if (name, engine) not in possible]
    return lines


def test_every_op_has_first_and_second_order_gradient_checks():
    load_every_check()
    problems = missing_checks(OPS, CHECKS)
    assert not problems, (
        "each op needs a test of its first and of its second derivative (create_graph) "
        "against central differences, marked @checks_op(name, order=1|2, engine=...) "
        "(tests/support/op_checks.py), next to the op's other tests in tests/autograd/ops:\n"
        + "\n".join(problems))


def test_an_op_without_checks_is_reported():
    def forward(a):
        return a

    new_op = Op("new_op", "1", forward, forward)
    assert missing_checks({"new_op": new_op}, {}) == [
        f"new_op ({engine}): no order-{order} gradient check"
        for engine in ("Tensor", "Value") for order in (1, 2)]
    half = {("new_op", engine, 1): {"test_x.py::test_y"} for engine in ("Tensor", "Value")}
    assert missing_checks({"new_op": new_op}, half) == [
        "new_op (Tensor): no order-2 gradient check", "new_op (Value): no order-2 gradient check"]


def test_a_check_of_an_op_that_does_not_exist_is_reported():
    checks = {("no_such_op", "Tensor", 1): {"test_x.py::test_y"}}
    assert missing_checks({}, checks) == [
        "no_such_op (Tensor): checked by ['test_x.py::test_y'], but autograd.OPS has no such "
        "op on that engine"]
