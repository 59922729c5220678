"""chainrule's autograd engine: scalar `Value`s and numpy-backed `Tensor`s, one chain rule."""

from autograd import elementwise as _elementwise  # noqa: F401  (registers the shared ops)
from autograd.engine import Node, gradients, grad, is_recording, no_grad, topological_order
from autograd.op import OPS, Op
from autograd.value import Value

__all__ = [
    "Node", "OPS", "Op", "Value",
    "grad", "gradients", "is_recording", "no_grad", "topological_order",
]
