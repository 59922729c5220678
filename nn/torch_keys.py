"""The names PyTorch gives our weights: state_dict keys of a model's `torch.nn` twin.

Most layers have the same keys in both libraries ("0.weight", "3.bias"). The exception is
a Linear layer with a fused activation (`nn.mlp(..., fuse=True)`): one layer here, two in
PyTorch (Linear, then the activation), so every later index of its Sequential shifts:

    ours   Sequential(Linear(relu), Linear(relu), Linear)    0.weight  1.weight  2.weight
    torch  Sequential(Linear, ReLU, Linear, ReLU, Linear)    0.weight  2.weight  4.weight

This module only renames keys; it needs neither torch nor any layer class (it reads the
model through `Module`'s public walk), so `Module.load_state_dict` can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn.module import Module


def torch_layer_count(module: Module) -> int:
    """How many layers `module` becomes in a torch Sequential: 2 for a fused activation."""
    # a layer that applies its own activation (Linear(activation="relu")), not a container
    # such as LeNet5 that merely records which activation its layers use
    fused = isinstance(getattr(module, "activation", None), str)
    is_container = any(name for name, _ in module.named_modules())  # "" is itself
    return 2 if fused and not is_container else 1


def torch_module_names(model: Module) -> dict[str, str]:
    """Each submodule's dotted name -> the name of its counterpart in the torch twin."""
    modules = list(model.named_modules())  # parents come before their children
    children: dict[str, list[tuple[str, Module]]] = {}
    for name, module in modules[1:]:
        parent, _, _ = name.rpartition(".")
        children.setdefault(parent, []).append((name, module))
    # a lone fused layer becomes Sequential(Linear, activation): its keys gain "0."
    renamed = {"": "0" if torch_layer_count(model) == 2 else ""}
    for parent, _ in modules:
        members = children.get(parent, [])
        # a Sequential's children are named 0, 1, 2...: only those indices shift
        indexed = all(name.rpartition(".")[2].isdigit() for name, _ in members)
        torch_index = 0
        for name, module in members:
            own = name.rpartition(".")[2]
            if indexed:
                own, torch_index = str(torch_index), torch_index + torch_layer_count(module)
            renamed[name] = f"{renamed[parent]}.{own}" if renamed[parent] else own
    return renamed


def torch_key_map(model: Module) -> dict[str, str]:
    """Our state_dict key -> the key `nn.to_torch(model).state_dict()` uses for it."""
    modules = torch_module_names(model)
    names = [name for name, _ in model.named_parameters()]
    names += [name for name, _ in model.named_buffers()]
    mapped = {}
    for name in names:
        owner, _, leaf = name.rpartition(".")
        torch_owner = modules.get(owner, owner)
        mapped[name] = f"{torch_owner}.{leaf}" if torch_owner else leaf
    return mapped


def from_torch_keys(model: Module, state: dict[str, Any]) -> dict[str, Any]:
    """`state` with torch's key names turned into ours, if they are torch's names.

    When every key is already one of ours, `state` is returned as it is (a key that is
    valid in both namings is read as ours); when every key is one of the torch twin's,
    the keys are renamed; otherwise `state` is returned unchanged, for the caller to name
    the keys that fit neither.
    """
    key_map = torch_key_map(model)
    if all(key in key_map for key in state):
        return state
    ours_by_torch = {torch_key: key for key, torch_key in key_map.items()}
    if all(key in ours_by_torch for key in state):
        return {ours_by_torch[key]: value for key, value in state.items()}
    return state
