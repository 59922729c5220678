"""chainrule's autograd engine: scalar `Value`s and numpy-backed `Tensor`s, one chain rule."""

from autograd import elementwise as _elementwise  # noqa: F401  (registers the shared ops)
from autograd.allocator import keep_freed_memory
from autograd.cnn_ops import avg_pool2d, conv1d, conv2d, max_pool2d
from autograd.conv_ops import fold, unfold
from autograd.draw import draw_graph, graph_stats, render_graph
from autograd.engine import Node, grad, gradients, is_recording, no_grad, topological_order
from autograd.gradcheck import GradcheckError, GradcheckResult, gradcheck
from autograd.nn_ops import cross_entropy, linear
from autograd.op import OPS, Op
from autograd.ops_recurrent import hidden_states, lstm_cell, lstm_sequence, rnn_sequence
from autograd.reduce_ops import logsumexp
from autograd.shape_ops import concatenate, pad, stack
from autograd.tensor import Tensor
from autograd.tensor_ops import clip, log_softmax, matmul, maximum, minimum, softmax, where
from autograd.trace import trace_backward
from autograd.value import Value

__all__ = [
    "GradcheckError", "GradcheckResult", "Node", "OPS", "Op", "Tensor", "Value",
    "avg_pool2d", "conv1d", "conv2d", "max_pool2d",
    "clip", "concatenate", "cross_entropy", "fold", "linear", "log_softmax", "logsumexp",
    "matmul", "maximum", "minimum", "pad", "softmax", "stack", "unfold", "where",
    "draw_graph", "grad", "gradcheck", "gradients", "graph_stats", "is_recording", "no_grad",
    "render_graph", "topological_order", "trace_backward",
    "hidden_states", "lstm_cell", "lstm_sequence", "rnn_sequence",
]

keep_freed_memory()
