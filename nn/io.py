"""Save and load models: one .npz of named arrays plus the architecture as JSON.

A path ending in `.safetensors` is written and read in that format instead (see
`nn.safetensors_io`), with the architecture in its metadata.

The architecture is stored as UTF-8 bytes (a uint8 array), never pickled, and files are
read with `allow_pickle=False`: loading a file cannot run code. Writes go to a temporary
file in the same directory that replaces the target only once complete, so a failure
leaves the old file (or none), never half of a new one.

A model is rebuilt from the registry of module types (`nn.module.register_module`): each
node of the architecture names its type, its `config()` and its children.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np

from autograd.files import atomic_write
from nn.init import draw_at_most
from nn.module import MODULE_TYPES, Module
from nn.safetensors_io import read_safetensors, write_safetensors

FORMAT = "chainrule-nn/1"
_FORMAT_KEY = "__format__"
_ARCH_KEY = "__architecture__"

# Limits that refuse a hostile file before it costs memory: an architecture's JSON (a model's
# is kilobytes), a compressed member's inflation (weights barely compress; np.savez stores
# them uncompressed) and an error message's length.
MAX_ARCHITECTURE_BYTES = 64 << 20
MAX_INFLATION, SMALL_MEMBER = 100, 1 << 20
MAX_MESSAGE = 300


def _short(text: str) -> str:
    if len(text) <= MAX_MESSAGE:
        return text
    return f"{text[:MAX_MESSAGE]}... ({len(text):,} characters)"


def architecture(model: Module) -> dict[str, Any]:
    """The model as a tree of {"type", "config", "children"} (walked with a stack)."""
    def describe(module: Module) -> dict[str, Any]:
        name = type(module).__name__
        if MODULE_TYPES.get(name) is not type(module):
            raise TypeError(f"cannot save a {name}: register its class with "
                            "@nn.register_module (and give it a config())")
        return {"type": name, "config": module.config(), "children": []}

    root = describe(model)
    stack = [(model, root)]
    while stack:
        module, node = stack.pop()
        for child in module.architecture_children():
            child_node = describe(child)
            node["children"].append(child_node)
            stack.append((child, child_node))
    return root


def build(arch: dict[str, Any]) -> Module:
    """Construct the (freshly initialised) model an architecture tree describes."""
    order = []  # (node, index of parent) in pre-order: parents before their children
    stack: list[tuple[Any, int]] = [(arch, -1)]
    while stack:
        node, parent = stack.pop()
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise ValueError(f"architecture: expected a {{'type': ...}} node, got {node!r:.80}")
        if node["type"] not in MODULE_TYPES:
            raise ValueError(f"architecture: unknown module type {node['type']!r:.80}; known: "
                             f"{sorted(MODULE_TYPES)}")
        if not isinstance(node.get("config", {}), dict):
            raise ValueError(f"architecture: {node['type']}'s config is not a dict: "
                             f"{node['config']!r:.80}")
        if not isinstance(node.get("children", []), list):
            raise ValueError(f"architecture: {node['type']}'s children are not a list: "
                             f"{node['children']!r:.80}")
        order.append((node, parent))
        stack.extend((child, len(order) - 1) for child in reversed(node.get("children", [])))
    children: list[list[Module]] = [[] for _ in order]
    built: Module | None = None
    for i in range(len(order) - 1, -1, -1):  # children are built before their parents
        node, parent = order[i]
        cls = MODULE_TYPES[node["type"]]
        try:
            built = cls.from_config(node.get("config", {}), children[i][::-1])
        except (TypeError, ValueError, OverflowError, AttributeError, KeyError) as error:
            raise ValueError(f"architecture: cannot build {node['type']} from config "
                             f"{str(node.get('config')):.200}: {error}") from None
        if parent >= 0:
            children[parent].append(built)
    assert built is not None
    return built


def _is_safetensors(path: str | os.PathLike) -> bool:
    return os.fspath(path).endswith(".safetensors")


def save(model: Module, path: str | os.PathLike) -> None:
    """Write the model's architecture and state to `path`, atomically.

    An .npz file unless `path` ends in `.safetensors`; both hold every parameter and
    buffer (`state_dict`) and the architecture as JSON.
    """
    arrays = model.state_dict()
    reserved = [k for k in arrays if k.startswith("__")]
    if reserved:
        raise ValueError(f"save: parameter names {reserved} clash with the file's own keys")
    text = json.dumps(architecture(model))
    if _is_safetensors(path):
        write_safetensors(path, arrays, {"format": FORMAT, "architecture": text})
        return
    arrays[_ARCH_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    arrays[_FORMAT_KEY] = np.frombuffer(FORMAT.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path) as file:
        np.savez(file, **arrays)


def _text(array: np.ndarray) -> str:
    return array.astype(np.uint8).tobytes().decode("utf-8")


def _read_npz(path: str) -> tuple[dict[str, np.ndarray], str, str]:
    """The arrays, the format and the architecture's JSON of a chainrule .npz file; the
    zip's headers are checked before anything is inflated."""
    with open(path, "rb") as file:
        if file.read(4) != b"PK\x03\x04":  # numpy would guess at other formats
            raise ValueError(f"{path}: not a chainrule model file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            _check_member_sizes(archive.zip.infolist())
            arrays = {key: archive[key] for key in archive.files}
    except ValueError as error:
        raise ValueError(f"{path}: {_short(str(error))}") from None
    except Exception as error:  # a damaged zip or member: all mean "not our file"
        raise ValueError(f"{path}: not a readable chainrule model file "
                         f"({type(error).__name__}: {_short(str(error))})") from None
    if _FORMAT_KEY not in arrays or _ARCH_KEY not in arrays:
        raise ValueError(f"{path}: not a chainrule model file (no {_FORMAT_KEY} entry)")
    try:
        return arrays, _text(arrays.pop(_FORMAT_KEY)), _text(arrays.pop(_ARCH_KEY))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: the architecture entry is corrupt ({error})") from None


def load(path: str | os.PathLike, model: Module | None = None) -> Module:
    """Rebuild the model saved at `path`; or, given `model`, load the weights into it.

    Reads .npz files and, for paths ending in `.safetensors`, safetensors files. Into a
    given `model` a safetensors file needs no architecture (weights saved by another
    library load too, with PyTorch's key names: see `nn.torch_keys`).

    Raises ValueError naming the file when it is not a chainrule model (corrupt, foreign,
    pickled), when its arrays do not fit the model (missing, extra or mis-shaped keys) or
    hold NaN or infinite values, or when its sizes do not add up: a member that inflates
    far beyond its size on disk, an architecture declaring more weights than the file
    holds. These are checked before the memory they claim is allocated.
    """
    path = os.fspath(path)
    if _is_safetensors(path):
        arrays, metadata = read_safetensors(path)
        file_format, text = metadata.get("format", FORMAT), metadata.get("architecture")
        if text is None and model is None:
            raise ValueError(f"{path}: no chainrule architecture in its metadata; to load "
                             "these weights, build the model and call nn.load(path, model)")
    else:
        arrays, file_format, text = _read_npz(path)
    if file_format != FORMAT:
        raise ValueError(f"{path}: format {_short(repr(file_format))} is not {FORMAT!r}")
    try:
        arch = None if text is None else json.loads(text)
    except RecursionError:
        raise ValueError(f"{path}: the architecture entry is nested too deeply to be a "
                         "model") from None
    except ValueError as error:
        raise ValueError(f"{path}: the architecture entry is corrupt "
                         f"({_short(str(error))})") from None
    not_finite = [key for key, array in arrays.items()
                  if np.issubdtype(array.dtype, np.inexact) and not np.isfinite(array).all()]
    if not_finite:
        raise ValueError(_short(f"{path}: arrays {not_finite} hold NaN or infinite values: "
                                "not a usable model"))
    try:
        if model is None:
            with draw_at_most(sum(array.size for array in arrays.values()),
                              "what the file's arrays hold"):
                model = build(arch)
            # files written before buffers existed hold them only in the architecture,
            # from which build() just set them
            arrays = {**dict(model.named_buffers()), **arrays}
        model.load_state_dict(arrays)
    except ValueError as error:
        raise ValueError(f"{path}: {_short(str(error))}") from None
    return model


def _check_member_sizes(members: list[zipfile.ZipInfo]) -> None:
    """Refuse, from the zip's headers alone, a member that would inflate too far."""
    for member in members:
        name = member.filename.removesuffix(".npy")
        if name == _ARCH_KEY and member.file_size > MAX_ARCHITECTURE_BYTES:
            raise ValueError(f"its architecture entry claims {member.file_size:,} bytes, more "
                             f"than any model's ({MAX_ARCHITECTURE_BYTES:,})")
        if member.file_size > max(MAX_INFLATION * member.compress_size, SMALL_MEMBER):
            raise ValueError(f"entry {name!r} would inflate from {member.compress_size:,} to "
                             f"{member.file_size:,} bytes (a compression bomb?)")
