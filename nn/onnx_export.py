"""`export_onnx`: a model as an ONNX graph (opset 17), for onnxruntime and other runtimes.

Each layer becomes the ONNX operators that compute the same numbers:

    Linear                  Gemm (MatMul + Add past 2-D inputs), then its fused activation
    ReLU, Sigmoid, Tanh     Relu, Sigmoid, Tanh
    LeakyReLU, ELU          LeakyRelu(alpha=slope), Elu(alpha)
    Softmax                 Softmax(axis)
    Maxout                  Reshape to (..., units, pieces), then ReduceMax over the pieces
    Conv1d, Conv2d          Conv (strides, pads, dilations)
    MaxPool2d, AvgPool2d    MaxPool, AveragePool
    Flatten                 Flatten(axis=1)
    Dropout                 nothing: the export is the model in evaluation mode
    Standardize             Sub(mean), Div(std), with the buffers as constants
    Sequential, LeNet5      their layers in order

Weights become initializers named as in `state_dict` ("1.weight"). The batch axis is
dynamic (named "batch"); the rest of the input shape is fixed. Needs the `onnx` package
(`pip install onnx`), imported only when exporting.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import Tensor, no_grad
from autograd.files import atomic_write
from nn.activations import ELU, LeakyReLU, Maxout, ReLU, Sigmoid, Softmax, Tanh
from nn.conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from nn.layers import Dropout, Flatten, Linear, Sequential
from nn.models import LeNet5
from nn.module import Module
from nn.preprocess import Standardize
from nn.train import model_dtype

OPSET = 17
IR_VERSION = 8  # the IR version that came with opset 17: runtimes of that age read it
FUSED_ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("exporting to ONNX needs the onnx package: pip install onnx "
                          "(or pip install 'chainrule[onnx]')") from None
    return onnx


class _Graph:
    """The nodes and constants of the graph being built, and the name of its last output."""

    def __init__(self, onnx: Any, dtype: np.dtype) -> None:
        self.onnx, self.dtype = onnx, dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def constant(self, name: str, array: Any, dtype: Any = None) -> str:
        array = np.asarray(array, dtype=self.dtype if dtype is None else dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: Sequence[str], layer: str, **attributes: Any) -> str:
        output = f"{layer}/{op}:{len(self.nodes)}"
        self.nodes.append(self.onnx.helper.make_node(
            op, list(inputs), [output], name=f"{layer}/{op}", **attributes))
        return output


# Each emitter adds one layer's nodes after `x`, given the layer's input `shape` (a batch
# of one), and returns the name of its output.
def _linear(graph: _Graph, name: str, layer: Linear, x: str, shape: tuple) -> str:
    weight = graph.constant(f"{name}.weight", layer.weight.data)
    bias = None if layer.bias is None else graph.constant(f"{name}.bias", layer.bias.data)
    if len(shape) == 2:
        y = graph.node("Gemm", [x, weight] + ([bias] if bias else []), name, transB=1)
    else:  # Gemm takes matrices only: (..., in) @ weightᵀ + bias
        y = graph.node("MatMul", [x, graph.node("Transpose", [weight], name)], name)
        y = y if bias is None else graph.node("Add", [y, bias], name)
    if layer.activation is not None:
        y = graph.node(FUSED_ACTIVATIONS[layer.activation], [y], name)
    return y


def _conv(graph: _Graph, name: str, layer: Conv2d, x: str, shape: tuple) -> str:
    inputs = [x, graph.constant(f"{name}.weight", layer.weight.data)]
    if layer.bias is not None:
        inputs.append(graph.constant(f"{name}.bias", layer.bias.data))
    return graph.node("Conv", inputs, name, kernel_shape=list(layer.kernel_size),
                      strides=list(layer.stride), pads=list(layer.padding) * 2,
                      dilations=list(layer.dilation))


def _pool(op: str) -> Callable[..., str]:
    def emit(graph: _Graph, name: str, layer: MaxPool2d, x: str, shape: tuple) -> str:
        return graph.node(op, [x], name, kernel_shape=list(layer.kernel_size),
                          strides=list(layer.stride))
    return emit


def _elementwise(op: str, **attributes: str) -> Callable[..., str]:
    """An activation module; `attributes` maps ONNX attribute names to the module's."""
    def emit(graph: _Graph, name: str, layer: Module, x: str, shape: tuple) -> str:
        values = {key: float(getattr(layer, ours)) for key, ours in attributes.items()}
        return graph.node(op, [x], name, **values)
    return emit


def _softmax(graph: _Graph, name: str, layer: Softmax, x: str, shape: tuple) -> str:
    return graph.node("Softmax", [x], name, axis=layer.axis)


def _flatten(graph: _Graph, name: str, layer: Flatten, x: str, shape: tuple) -> str:
    return graph.node("Flatten", [x], name, axis=1)


def _dropout(graph: _Graph, name: str, layer: Dropout, x: str, shape: tuple) -> str:
    return x  # identity in evaluation mode


def _maxout(graph: _Graph, name: str, layer: Maxout, x: str, shape: tuple) -> str:
    # 0 in a Reshape target copies that axis from the input: the batch stays dynamic
    target = [0] * (len(shape) - 1) + [shape[-1] // layer.pieces, layer.pieces]
    target_name = graph.constant(f"{name}.shape", target, np.int64)
    grouped = graph.node("Reshape", [x, target_name], name)
    return graph.node("ReduceMax", [grouped], name, axes=[-1], keepdims=0)


def _standardize(graph: _Graph, name: str, layer: Standardize, x: str, shape: tuple) -> str:
    centred = graph.node("Sub", [x, graph.constant(f"{name}.mean", layer.mean)], name)
    return graph.node("Div", [centred, graph.constant(f"{name}.std", layer.std)], name)


EMITTERS: dict[type[Module], Callable[..., str]] = {
    Linear: _linear, Conv1d: _conv, Conv2d: _conv,
    MaxPool2d: _pool("MaxPool"), AvgPool2d: _pool("AveragePool"),
    ReLU: _elementwise("Relu"), Sigmoid: _elementwise("Sigmoid"), Tanh: _elementwise("Tanh"),
    LeakyReLU: _elementwise("LeakyRelu", alpha="slope"), ELU: _elementwise("Elu", alpha="alpha"),
    Softmax: _softmax, Maxout: _maxout, Flatten: _flatten, Dropout: _dropout,
    Standardize: _standardize,
}
# containers whose forward is their layers in order (a subclass may compute something else)
CONTAINERS = (Sequential, LeNet5)


def onnx_layers(model: Module) -> list[tuple[str, Module]]:
    """The layers the export emits, named by path ("1.0"), containers opened in order.

    Raises TypeError naming the first module ONNX export cannot express.
    """
    layers, stack = [], [("", model)]
    while stack:
        name, module = stack.pop()
        if type(module) in CONTAINERS:
            stack.extend((f"{name}.{i}" if name else str(i), layer)
                         for i, layer in reversed(list(enumerate(module))))
        elif type(module) in EMITTERS:
            layers.append((name, module))
        else:
            supported = sorted(c.__name__ for c in (*EMITTERS, *CONTAINERS))
            where = f" (layer {name!r})" if name else ""
            raise TypeError(f"export_onnx: cannot express {type(module).__name__}{where} in "
                            f"ONNX; the export knows {', '.join(supported)}")
    return layers


def export_onnx(model: Module, path: str | os.PathLike, input_shape: Sequence[int]) -> None:
    """Write `model` as an ONNX file (opset 17) that computes what `model.eval()` computes.

    `input_shape` is one example's shape, without the batch axis: (784,) for an MLP on
    MNIST, (1, 28, 28) for LeNet-5. The graph's input "input" has shape (batch,
    *input_shape) and the model's dtype (float32 or float64); its output is "output".
    The file is checked with `onnx.checker` (full check) and written atomically.

    Raises TypeError naming a module ONNX cannot express, ValueError when `input_shape`
    does not fit the model, and ImportError (with the install command) without `onnx`.
    """
    onnx = _import_onnx()
    layers = onnx_layers(model)
    shape = tuple(int(n) for n in input_shape)
    if not shape or min(shape) < 1:
        raise ValueError(f"export_onnx: input_shape must be one example's sizes (>= 1), "
                         f"got {tuple(input_shape)}")
    dtype = np.dtype(model_dtype(model))
    graph = _Graph(onnx, dtype)
    x, example = "input", np.zeros((1, *shape), dtype=dtype)
    for name, layer in layers:
        x = EMITTERS[type(layer)](graph, name, layer, x, example.shape)
        if isinstance(layer, Dropout):  # a trial run would draw from its generator
            continue
        try:  # a trial run gives the next layer's input shape
            with no_grad():  # forward(), not __call__: no hooks fire for it
                example = np.asarray(layer.forward(Tensor(example, dtype=dtype)).data)
        except ValueError as error:
            raise ValueError(f"export_onnx: input_shape {shape} does not fit layer {name!r} "
                             f"({type(layer).__name__}): {error}") from None
    if x == "input":  # nothing but dropout: the graph still needs a node
        x = graph.node("Identity", [x], "output")
    element = onnx.helper.np_dtype_to_tensor_dtype(dtype)
    graph.nodes[-1].output[0] = "output"
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(
            graph.nodes, type(model).__name__,
            [onnx.helper.make_tensor_value_info("input", element, ["batch", *shape])],
            [onnx.helper.make_tensor_value_info("output", element,
                                                ["batch", *example.shape[1:]])],
            graph.initializers),
        opset_imports=[onnx.helper.make_opsetid("", OPSET)], ir_version=IR_VERSION,
        producer_name="chainrule")
    onnx.checker.check_model(proto, full_check=True)
    with atomic_write(path) as file:
        file.write(proto.SerializeToString())


def example_shape(model: Module) -> tuple[int, ...]:
    """One example's input shape, when the model's first layer fixes it.

    A standardising layer's mean has that shape, LeNet-5 takes (C, 28, 28) and a Linear
    layer (in_features,). Raises ValueError when the first layer leaves it open (a
    convolution takes any image size).
    """
    for module in model.modules():  # containers first, then their first layer
        if isinstance(module, Standardize) and module.mean.ndim:
            return tuple(module.mean.shape)
        if isinstance(module, LeNet5):
            return (module.in_channels, 28, 28)
        if isinstance(module, Linear):
            return (module.in_features,)
        if not isinstance(module, (*CONTAINERS, Standardize)):
            break
    raise ValueError(f"the input shape of {type(model).__name__} cannot be told from its "
                     "first layer: give it (one example's shape, e.g. (1, 28, 28))")
