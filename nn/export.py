"""`export_model`: a saved model file in another format, for `chainrule export`.

    onnx          an ONNX graph (`nn.export_onnx`), for onnxruntime and other runtimes
    safetensors   our model in the safetensors format (`nn.save` to a .safetensors path)
    torch         the `state_dict` of `nn.to_torch(model)`, written by `torch.save`;
                  `torch.load(path, weights_only=True)` reads it
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from autograd.files import atomic_write
from nn.io import load, save
from nn.onnx_export import example_shape, export_onnx
from nn.torch_bridge import import_torch, to_torch

FORMATS = ("onnx", "safetensors", "torch")


def export_model(model_file: str | os.PathLike, format: str, out: str | os.PathLike,
                 input_shape: Sequence[int] | None = None) -> Path:
    """Load the model saved at `model_file` (`nn.save`) and write it to `out` as `format`.

    `input_shape` (one example's, for onnx) defaults to what the model's first layer
    fixes (`nn.onnx_export.example_shape`). Returns `out` as a Path. Raises ValueError for
    an unknown format, a safetensors `out` not ending in .safetensors (`nn.load` picks the
    format by suffix) or a model file that is not one; TypeError for a layer the format
    cannot express; ImportError naming the package to install (onnx, torch).
    """
    if format not in FORMATS:
        raise ValueError(f"export: format must be one of {', '.join(FORMATS)}, got {format!r}")
    out = Path(out)
    if format == "safetensors" and out.suffix != ".safetensors":
        raise ValueError(f"export: {out} must end in .safetensors, which nn.load reads as such")
    model = load(model_file).eval()
    if format == "onnx":
        export_onnx(model, out, example_shape(model) if input_shape is None else input_shape)
    elif format == "safetensors":
        save(model, out)
    else:
        torch = import_torch()
        state = to_torch(model).state_dict()
        with atomic_write(out) as file:
            torch.save(state, file)
    return out
