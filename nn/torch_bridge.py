"""`to_torch` and `from_torch`: the same network as a `torch.nn` module, and back.

    twin = nn.to_torch(model)           # torch.nn.Sequential, same weights, same outputs
    model = nn.from_torch(twin)         # ours again, e.g. after training in PyTorch

The twin is built from torch's own classes (Linear, Conv2d, ReLU, ...), so its
`state_dict` has the keys and layouts torch users expect. A Linear with a fused
activation becomes two layers, Linear then the activation, which shifts the indices after
it (see `nn.torch_keys`); `Standardize` and `Maxout` become the small modules of
`nn.torch_layers`, the standardising layer keeping its mean and std as buffers. PyTorch is
optional: it is imported when these functions run, and its absence is an ImportError
saying how to install it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nn.activations import ACTIVATIONS, ELU, LeakyReLU, Maxout, ReLU, Sigmoid, Softmax, Tanh
from nn.conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from nn.layers import Dropout, Flatten, Linear, Sequential
from nn.models import POOLS, LeNet5
from nn.module import Module
from nn.onnx_export import CONTAINERS
from nn.preprocess import Standardize
from nn.torch_keys import torch_key_map

# our activation name -> torch.nn's class name, for the fused activations of Linear
TORCH_ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}
# set on the activation a fused Linear becomes, so that from_torch can fuse it back
FUSED_MARK = "chainrule_fused"


def import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("converting to or from PyTorch needs torch: pip install torch") from None
    return torch


def _children_first(root: Any, children: Callable[[Any], list]) -> list[Any]:
    """Every node of a tree, each after all of its children (walked with a stack)."""
    order, stack = [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(children(node))
    return order[::-1]


# -- ours -> torch ----------------------------------------------------------------------------
def _torch_layers(torch: Any, layer: Module, name: str) -> list[Any]:
    """The torch layers computing what the (non-container) `layer` computes, untrained."""
    import nn.torch_layers as torch_layers  # needs torch: imported only now

    tnn = torch.nn
    kind = type(layer)
    if kind is Linear:
        linear = tnn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                            dtype=getattr(torch, layer.dtype))
        if layer.activation is None:
            return [linear]
        activation = getattr(tnn, TORCH_ACTIVATIONS[layer.activation])()
        setattr(activation, FUSED_MARK, True)
        return [linear, activation]
    if kind in (Conv1d, Conv2d):
        settings = (layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                    layer.padding, layer.dilation)
        options = {"bias": layer.bias is not None, "dtype": getattr(torch, layer.dtype)}
        table = layer.config()["connections"]
        if table is not None:  # LeNet-5's C3: torch has no table, our twin class keeps it
            conv = (torch_layers.ConnectedConv1d if kind is Conv1d
                    else torch_layers.ConnectedConv2d)
            return [conv(*settings, connections=table, **options)]
        conv = tnn.Conv1d if kind is Conv1d else tnn.Conv2d
        return [conv(*settings, **options)]
    simple = {
        ReLU: lambda: tnn.ReLU(), Sigmoid: lambda: tnn.Sigmoid(), Tanh: lambda: tnn.Tanh(),
        LeakyReLU: lambda: tnn.LeakyReLU(layer.slope), ELU: lambda: tnn.ELU(layer.alpha),
        Softmax: lambda: tnn.Softmax(dim=layer.axis), Flatten: lambda: tnn.Flatten(),
        Dropout: lambda: tnn.Dropout(layer.p),
        MaxPool2d: lambda: tnn.MaxPool2d(layer.kernel_size, layer.stride),
        AvgPool2d: lambda: tnn.AvgPool2d(layer.kernel_size, layer.stride),
        Maxout: lambda: torch_layers.Maxout(layer.pieces),
        Standardize: lambda: torch_layers.Standardize(layer.mean, layer.std),
    }
    if kind not in simple:
        where = f" (layer {name!r})" if name else ""
        raise TypeError(f"to_torch: no PyTorch equivalent for {kind.__name__}{where}")
    return [simple[kind]()]


def to_torch(model: Module) -> Any:
    """The `torch.nn.Module` computing what `model` computes, with a copy of its weights.

    Containers (Sequential, LeNet5) become `torch.nn.Sequential`; its `state_dict` keys
    are `nn.torch_keys.torch_key_map(model)`'s, with the same shapes and dtypes. The twin
    is in the mode `model` is in (training or evaluation).

    Raises TypeError naming a module PyTorch has no equivalent for, ImportError (with the
    install command) when torch is missing.
    """
    torch = import_torch()
    names = {id(module): name for name, module in model.named_modules()}
    built: dict[int, list[Any]] = {}
    for module in _children_first(model, lambda m: list(m) if type(m) in CONTAINERS else []):
        if type(module) in CONTAINERS:
            parts = [layer for child in module for layer in built[id(child)]]
            built[id(module)] = [torch.nn.Sequential(*parts)]
        else:
            built[id(module)] = _torch_layers(torch, module, names.get(id(module), ""))
    layers = built[id(model)]
    twin = layers[0] if len(layers) == 1 else torch.nn.Sequential(*layers)
    key_map = torch_key_map(model)
    twin.load_state_dict({key_map[key]: torch.from_numpy(np.ascontiguousarray(array))
                          for key, array in model.state_dict().items()})
    return twin.train(model.training)


# -- torch -> ours ----------------------------------------------------------------------------
def _refuse(module: Any, name: str, why: str) -> TypeError:
    where = f" (layer {name!r})" if name else ""
    return TypeError(f"from_torch: cannot convert {module!r}{where}: {why}")


def _our_layer(torch: Any, module: Any, name: str) -> Module:
    """Our (untrained) layer for a torch layer that is not a Sequential."""
    import nn.torch_layers as torch_layers

    tnn = torch.nn
    if isinstance(module, tnn.Linear):
        return Linear(module.in_features, module.out_features, bias=module.bias is not None,
                      dtype=str(module.weight.dtype).removeprefix("torch."))
    if isinstance(module, (tnn.Conv1d, tnn.Conv2d)):
        if module.groups != 1 or module.padding_mode != "zeros" or isinstance(
                module.padding, str) and module.padding != "valid":
            raise _refuse(module, name, "only groups=1, zero padding given in numbers")
        conv = Conv1d if isinstance(module, tnn.Conv1d) else Conv2d
        padding = 0 if module.padding == "valid" else module.padding
        table = getattr(module, "connections", None)  # torch_layers.ConnectedConv*
        return conv(module.in_channels, module.out_channels, module.kernel_size,
                    module.stride, padding, module.dilation, bias=module.bias is not None,
                    dtype=str(module.weight.dtype).removeprefix("torch."),
                    connections=None if table is None else table.cpu().numpy())
    if isinstance(module, (tnn.MaxPool2d, tnn.AvgPool2d)):
        plain = (module.padding in (0, (0, 0)) and not module.ceil_mode
                 and getattr(module, "dilation", 1) in (1, (1, 1))
                 and not getattr(module, "return_indices", False)
                 and getattr(module, "divisor_override", None) is None)
        if not plain:
            raise _refuse(module, name, "pooling has no padding, dilation or ceil_mode here")
        pool = MaxPool2d if isinstance(module, tnn.MaxPool2d) else AvgPool2d
        return pool(module.kernel_size, module.stride)
    if isinstance(module, tnn.Flatten) and (module.start_dim, module.end_dim) != (1, -1):
        raise _refuse(module, name, "only Flatten(start_dim=1, end_dim=-1) is supported")
    if isinstance(module, tnn.Softmax) and module.dim is None:
        raise _refuse(module, name, "give Softmax its dim")
    simple = {
        tnn.ReLU: ReLU, tnn.Sigmoid: Sigmoid, tnn.Tanh: Tanh, tnn.Flatten: Flatten,
        tnn.LeakyReLU: lambda: LeakyReLU(module.negative_slope),
        tnn.ELU: lambda: ELU(module.alpha), tnn.Softmax: lambda: Softmax(module.dim),
        tnn.Dropout: lambda: Dropout(module.p),
        torch_layers.Maxout: lambda: Maxout(module.pieces),
        torch_layers.Standardize: lambda: Standardize(module.mean.double().cpu().numpy(),
                                                      float(module.std)),
    }
    if type(module) not in simple:
        raise _refuse(module, name, "no chainrule equivalent")
    return simple[type(module)]()


def _settings(layer: Module) -> dict[str, Any]:
    return {key: value for key, value in layer.config().items() if key != "init"}


def _as_lenet5(layers: list[Module]) -> LeNet5 | None:
    """Our LeNet5, when `layers` are exactly its layers (with any activation and pooling)."""
    if len(layers) != 12 or type(layers[0]) is not Conv2d or type(layers[-1]) is not Linear:
        return None
    activation = next((n for n, e in ACTIVATIONS.items() if type(layers[1]) is e.module), None)
    pooling = next((n for n, c in POOLS.items() if type(layers[2]) is c), None)
    if activation is None or pooling is None:
        return None
    candidate = LeNet5(layers[0].in_channels, layers[-1].out_features, activation, pooling,
                       dtype=layers[0].dtype,
                       c3_table=layers[3].__class__ is Conv2d
                       and layers[3].config()["connections"] is not None)
    same = all(type(a) is type(b) and _settings(a) == _settings(b)
               for a, b in zip(candidate, layers))
    return candidate if same else None


def _fused(layers: list[Module], torch_layers: list[Any], fuse: bool | None) -> list[Module]:
    """Activations folded into the Linear before them (relu, sigmoid, tanh), as in
    `nn.mlp(..., fuse=True)`: all of them, or (`fuse` None) those `to_torch` split off."""
    out: list[Module] = []
    for layer, torch_layer in zip(layers, torch_layers):
        previous = out[-1] if out else None
        act = next((n for n, e in ACTIVATIONS.items() if type(layer) is e.module), None)
        wanted = fuse or (fuse is None and getattr(torch_layer, FUSED_MARK, False))
        if (wanted and type(previous) is Linear and previous.activation is None
                and act in TORCH_ACTIVATIONS):
            previous.activation = act
        else:
            out.append(layer)
    return out


def from_torch(module: Any, fuse: bool | None = None) -> Module:
    """Our model computing what the torch `module` computes, with a copy of its weights.

    Takes what `to_torch` makes: `torch.nn.Sequential` (nested too) of Linear, Conv1d,
    Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout, ReLU, Sigmoid, Tanh, LeakyReLU, ELU,
    Softmax and `nn.torch_layers`' Standardize and Maxout. A Sequential laid out as
    LeNet-5 becomes `nn.LeNet5`. With `fuse=True` every Linear followed by ReLU, Sigmoid
    or Tanh becomes one Linear with that activation, as `nn.mlp(..., fuse=True)` builds;
    with `fuse=False` none does; by default only those that `to_torch` split, so that
    `from_torch(to_torch(model))` is `model` again. The result is in `module`'s mode.

    Raises TypeError naming a torch module (and its position) that has no equivalent,
    ImportError (with the install command) when torch is missing.
    """
    torch = import_torch()
    names = {id(m): name for name, m in module.named_modules()}

    def is_sequential(node: Any) -> bool:  # a subclass may compute something else
        return type(node) is torch.nn.Sequential

    built: dict[int, Module] = {}
    for node in _children_first(module, lambda m: list(m) if is_sequential(m) else []):
        if not is_sequential(node):
            built[id(node)] = _our_layer(torch, node, names.get(id(node), ""))
            continue
        layers = [built[id(child)] for child in node]
        lenet = _as_lenet5(layers)
        built[id(node)] = lenet or Sequential(*_fused(layers, list(node), fuse))
    model = built[id(module)]
    state = {key: value.detach().cpu().numpy() for key, value in module.state_dict().items()}
    model.load_state_dict(state)  # torch's key names: see nn.torch_keys
    return model.train(module.training)
