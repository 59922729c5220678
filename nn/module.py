"""`Module`: the base of every layer and model.

A module's parameters and submodules are discovered from its attributes, in the order
they were assigned: a Module, a Value, a Tensor that requires grad, or a list/tuple of
these. Nothing is registered by hand and nothing needs `super().__init__()` except the
`training` flag. Trees of modules are walked with an explicit stack, never recursively.
Constant arrays a module needs (a standardising layer's mean) are registered as buffers:
saved and loaded with the parameters, never trained.

Every module type that `nn.load` can rebuild is registered with `@register_module` and
describes its constructor arguments in `config()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autograd import Node, Value
from autograd.tape import recorded_in_capture

MODULE_TYPES: dict[str, type[Module]] = {}  # name -> class, for nn.load


def register_module(cls: type[Module]) -> type[Module]:
    """Class decorator: make `cls` rebuildable by `nn.load` from its `config()`."""
    name = cls.__name__
    if name in MODULE_TYPES and MODULE_TYPES[name] is not cls:
        raise ValueError(f"a module type named {name!r} is already registered")
    MODULE_TYPES[name] = cls
    return cls


def _is_parameter(obj: Any) -> bool:
    return isinstance(obj, Value) or (isinstance(obj, Node) and obj.requires_grad)


def clear_grad(p: Node) -> None:
    """Forget a parameter's gradient: None for a Tensor, 0.0 for a Value."""
    p.grad = 0.0 if isinstance(p, Value) else None


class Module:
    """Base class: parameters, submodules, train/eval mode, state dicts and hooks."""

    training = True
    _forward_hooks: dict | None = None  # an instance gets its own at the first hook
    _expand_repr = True  # False: the repr shows one line instead of every child

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any) -> Any:
        out = self.forward(*args)
        hooks = self._forward_hooks
        if hooks:
            for hook in list(hooks.values()):
                hook(self, args, out)
        return out

    def forward_values(self, x: np.ndarray, values: Callable[[Node], np.ndarray]) -> np.ndarray:
        """The forward on one example as Values (see `nn.scalar_view`)."""
        raise NotImplementedError(f"{type(self).__name__} has no scalar (Value) version")

    def to_scalar(self) -> Any:
        """A `ScalarView`: this model on one example, one Value per weight."""
        from nn.scalar_view import ScalarView  # the view builds on Module

        return ScalarView(self)

    # -- structure ------------------------------------------------------------------
    def _children(self) -> Iterator[tuple[str, Any]]:
        """(name, member) for each submodule or parameter, in assignment order."""
        for name, obj in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(obj, Module) or _is_parameter(obj):
                yield name, obj
            elif isinstance(obj, (list, tuple)) and obj and all(
                    isinstance(o, Module) or _is_parameter(o) for o in obj):
                for i, o in enumerate(obj):
                    yield f"{name}.{i}", o

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """("", self) then every submodule with its dotted name, depth first."""
        stack: list[tuple[str, Module]] = [("", self)]
        seen: set[int] = set()
        while stack:
            prefix, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield prefix, module
            children = [(f"{prefix}.{n}" if prefix else n, c)
                        for n, c in module._children() if isinstance(c, Module)]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def named_parameters(self) -> Iterator[tuple[str, Node]]:
        """Every parameter once, named by its path ("0.weight", "layers.1.neurons.0.b")."""
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [("", self)]  # members in assignment order, depth first
        while stack:
            name, obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, Module):
                stack.extend((f"{name}.{n}" if name else n, c)
                             for n, c in reversed(list(obj._children())))
            else:
                yield name, obj

    def parameters(self) -> list[Node]:
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name: str, array: Any) -> None:
        """Keep `array` as the attribute `name`: in `state_dict`, not in `parameters()`.

        As PyTorch's buffers: constants that belong to the model (a mean to subtract), saved
        and loaded like weights but never trained. Loading replaces the array (same dtype).
        """
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        setattr(self, name, np.asarray(array))

    def check_buffer(self, name: str, array: np.ndarray) -> None:
        """Raise ValueError if `array` cannot serve as the buffer `name` of this module (a
        layer with constraints on its buffers overrides this); `load_state_dict` asks
        before it changes anything. Here every array of the right shape will do."""

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """Every buffer with its dotted name ("0.mean"), module by module."""
        for prefix, module in self.named_modules():
            for name in module.__dict__.get("_buffer_names", ()):
                yield (f"{prefix}.{name}" if prefix else name), getattr(module, name)

    def num_parameters(self) -> int:
        """How many numbers training adjusts: every parameter entry, less the weights a
        layer holds at zero (a convolution's connection table, see `nn.Conv2d`)."""
        held = sum(m.held_at_zero() for m in self.modules())
        return sum(int(np.size(p.data)) for p in self.parameters()) - held

    def held_at_zero(self) -> int:
        """How many of this module's own parameter entries are fixed at zero (here none)."""
        return 0

    @recorded_in_capture  # a compiled step clears again
    def zero_grad(self) -> None:
        """Reset every parameter's gradient (None for Tensors, 0.0 for Values)."""
        for p in self.parameters():
            clear_grad(p)

    def train(self, mode: bool = True) -> Module:
        """Switch this module and all submodules to training (or evaluation) mode."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    # -- hooks ----------------------------------------------------------------------
    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], None]) -> Callable:
        """Call `hook(module, inputs, output)` after each forward; returns a remover."""
        hooks = self.__dict__.setdefault("_forward_hooks", {})
        key = object()
        hooks[key] = hook
        return lambda: hooks.pop(key, None)

    # -- state ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter and buffer as a numpy array, keyed by name."""
        state = {name: np.array(p.data) for name, p in self.named_parameters()}
        state.update((name, np.array(b)) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters (in place) and buffers (replaced).

        A Tensor parameter's own array is overwritten (cast to its dtype), not replaced, so
        an optimizer keeping it in its flat buffer (see `nn.optim`) goes on training it;
        its version is bumped, so graphs recorded before refuse backward.

        With `strict` (the default) a missing key, an unexpected key or a shape that
        differs raises ValueError naming every such key; nothing is changed then.
        Without it, only the keys present in both with the right shape are loaded. A buffer
        its module refuses (`check_buffer`: a Standardize std of 0, say) raises ValueError
        either way, before anything is changed.
        Keys may also be those of the model's PyTorch twin (`nn.to_torch`), where a fused
        Linear and its activation are two layers: see `nn.torch_keys`.
        """
        from nn.torch_keys import from_torch_keys  # lazily: it needs only names, not torch

        buffers = dict(self.named_buffers())
        targets: dict[str, Any] = {**dict(self.named_parameters()), **buffers}
        state = from_torch_keys(self, state)
        problems = []
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        if missing:
            problems.append(f"missing keys {missing}")
        if unexpected:
            problems.append(f"unexpected keys {unexpected}")
        arrays = {}
        for name in targets.keys() & state.keys():
            array = np.asarray(state[name])
            target = targets[name]
            expected = np.shape(target if name in buffers else target.data)
            if array.shape != expected:
                problems.append(f"{name!r} has shape {array.shape}, the model expects {expected}")
            elif not np.issubdtype(array.dtype, np.number):
                problems.append(f"{name!r} has non-numeric dtype {array.dtype}")
            else:
                arrays[name] = array
        if strict and problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: "
                             + "; ".join(problems))
        modules = dict(self.named_modules()) if buffers else {}
        for name in arrays.keys() & buffers.keys():  # all checked before any is changed
            module_name, _, attribute = name.rpartition(".")
            arrays[name] = np.array(arrays[name], dtype=buffers[name].dtype)
            modules[module_name].check_buffer(attribute, arrays[name])
        for name, array in arrays.items():
            if name in buffers:
                module_name, _, attribute = name.rpartition(".")
                setattr(modules[module_name], attribute, array)
                continue
            p = targets[name]
            if isinstance(p, Value):
                p.data = float(array)
                continue
            target = p.data
            if not target.flags.writeable:  # a read-only array someone gave it: replace it
                p.data = np.array(array, dtype=target.dtype)
                continue
            # overwrite the parameter's own array, which may be a view into an optimizer's
            # flat buffer; assigning that same array back only bumps the version
            np.copyto(target, array, casting="unsafe")
            p.data = target

    # -- rebuilding (nn.save / nn.load) ---------------------------------------------
    def config(self) -> dict[str, Any]:
        """The constructor's keyword arguments, as JSON-friendly values."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any], children: list[Module]) -> Module:
        """Rebuild from `config()`; containers also receive their rebuilt children."""
        return cls(**config)

    def architecture_children(self) -> list[Module]:
        """The submodules `from_config` needs (only containers have any)."""
        return []

    # -- printing -------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config().items())

    def __repr__(self) -> str:
        lines: list[str] = []
        # entries: (name, module, depth) to open, or (None, closing text, depth)
        stack: list[tuple[Any, Any, int]] = [("", self, 0)]
        while stack:
            name, item, depth = stack.pop()
            pad = "  " * depth
            if name is None:
                lines.append(pad + item)
                continue
            label = f"({name}): " if name else ""
            count = item.num_parameters()
            note = f"  # {count:,} parameters" if count else ""
            subs = [(n, c) for n, c in item._children() if isinstance(c, Module)]
            head = f"{pad}{label}{type(item).__name__}({item.extra_repr()}"
            if subs and item._expand_repr:
                lines.append(head + note)
                stack.append((None, ")", depth))
                stack.extend((n, c, depth + 1) for n, c in reversed(subs))
            else:
                lines.append(head + ")" + note)
        return "\n".join(lines)
