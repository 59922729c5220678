"""chainrule's autograd engine: scalar `Value`s and numpy-backed `Tensor`s, one chain rule.

Importing it defines things and nothing else: no process-wide setting changes (see
`keep_freed_memory` for the one a training loop may want) and graphviz is imported only
when a picture is drawn.
"""

from autograd.allocator import keep_freed_memory
from autograd.compile import CompileError, compile
from autograd.draw import draw_graph, graph_stats, render_graph
from autograd.engine import topological_order
from autograd.functional import grad, gradients
from autograd.gradcheck import GradcheckError, GradcheckResult, gradcheck
from autograd.node import Node, is_recording, no_grad
from autograd.op import OPS, Op

# each op module attaches its Tensor methods (`t.sum()`, `t @ w`, ...) when imported
from autograd.ops import cast, elementwise, linalg, reduce, select, shape  # noqa: F401
from autograd.ops.conv import conv1d, conv2d, fold, unfold
from autograd.ops.fused import cross_entropy, linear
from autograd.ops.linalg import matmul
from autograd.ops.pool import avg_pool2d, max_pool2d
from autograd.ops.recurrent import (
    hidden_states,
    input_projections,
    lstm_cell,
    lstm_sequence,
    rnn_sequence,
)
from autograd.ops.reduce import logsumexp
from autograd.ops.select import clip, maximum, minimum, where
from autograd.ops.shape import concatenate, pad, stack
from autograd.ops.softmax import log_softmax, softmax
from autograd.tensor import Tensor
from autograd.trace import trace_backward
from autograd.value import Value

__all__ = [
    "CompileError", "GradcheckError", "GradcheckResult", "Node", "OPS", "Op", "Tensor", "Value",
    "compile",
    "avg_pool2d", "conv1d", "conv2d", "max_pool2d",
    "clip", "concatenate", "cross_entropy", "fold", "linear", "log_softmax", "logsumexp",
    "matmul", "maximum", "minimum", "pad", "softmax", "stack", "unfold", "where",
    "draw_graph", "grad", "gradcheck", "gradients", "graph_stats", "is_recording",
    "keep_freed_memory", "no_grad", "render_graph", "topological_order", "trace_backward",
    "hidden_states", "input_projections", "lstm_cell", "lstm_sequence", "rnn_sequence",
]
