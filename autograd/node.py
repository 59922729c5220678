"""A graph node and the switch that decides whether ops record one.

A node (a `Value` or a `Tensor`) knows its `parents`, the `op` that made it and a `ctx`
of constants the op saved for its derivative. Every op asks `recording.on` before it
records parents: `no_grad()` turns recording off for a block, and the traversal
(`autograd.engine`) turns it off while plain gradients are computed.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Iterator
from typing import Any


class RecordingFlag:
    """Whether ops record the graph (`on`); read by every op, so one attribute, no call."""

    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on = True


recording = RecordingFlag()  # the process-wide switch; change it with `recording_as`


def is_recording() -> bool:
    """True unless inside `no_grad()`."""
    return recording.on


@contextlib.contextmanager
def recording_as(flag: bool) -> Iterator[None]:
    """Within this block, ops record a graph iff `flag`; the old setting comes back after."""
    previous, recording.on = recording.on, flag
    try:
        yield
    finally:
        recording.on = previous


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Within this block, operations compute values but record no graph."""
    return recording_as(False)


class Node:
    """What the traversal needs of a graph node; `Value` and `Tensor` build on it.

    A node class supplies `_seed_grad` (the gradient that starts backward at it),
    `_zero_like_grad`, and optionally `_accept_grad` and `_check_versions` (Tensor).
    """

    __slots__ = ("data", "grad", "parents", "op", "ctx", "label")
    requires_grad = True  # Tensor overrides this per instance
    _raw = operator.attrgetter("data")  # the plain data; Tensor reads its array's slot
    checks_versions = False  # Tensor: backward calls `_check_versions` (in-place edits)

    # Tensor sets this to a function (node, grad) -> grad that undoes broadcasting;
    # None (Value) skips the call, which keeps the scalar hot path short.
    _accept_grad = None

    def _seed_grad(self, gradient: Any) -> Any:
        """The gradient that starts backward at this node."""
        raise NotImplementedError

    def _zero_like_grad(self) -> Any:
        raise NotImplementedError

    def _check_versions(self) -> None:
        """Raise if an input this node saved was modified in place since (Tensor only)."""
