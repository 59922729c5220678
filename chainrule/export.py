"""`chainrule export`: a saved model as ONNX, safetensors or a PyTorch state_dict."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import nn
from chainrule.mnist import DataError, UsageError

SUFFIXES = {"onnx": ".onnx", "safetensors": ".safetensors", "torch": ".pt"}
_USAGE = {  # how to use what was written, printed after it
    "onnx": 'onnxruntime.InferenceSession("{out}").run(None, {{"input": x}})  '
            "# x: a float32 batch shaped as the model's input",
    "safetensors": 'nn.load("{out}")',
    "torch": 'twin = nn.to_torch(nn.load("{model}")); '
             'twin.load_state_dict(torch.load("{out}", weights_only=True))',
}


def add_parser(commands: Any) -> None:
    """Add `chainrule export MODEL --format onnx|safetensors|torch [--out PATH]`."""
    export_parser = commands.add_parser(
        "export", help="write a saved model as ONNX, safetensors or a PyTorch state_dict",
        description="Write a model saved by `chainrule train` in another format. onnx: an "
        "ONNX graph (opset 17, any batch size) for onnxruntime; needs the onnx package. "
        "safetensors: weights, standardisation and architecture in a file any library "
        "reads; nn.load reads it back. torch: the state_dict of nn.to_torch(model), which "
        "torch.load(PATH, weights_only=True) reads; needs torch.")
    export_parser.add_argument("model", type=Path, metavar="MODEL")
    export_parser.add_argument("--format", choices=tuple(SUFFIXES), required=True)
    export_parser.add_argument("--out", type=Path, default=None,
                               metavar="PATH", help="where to write (default: MODEL with the "
                               "suffix .onnx, .safetensors or .pt)")
    export_parser.add_argument("--debug", action="store_true",
                               help="on an error, show Python's traceback instead of one line")
    export_parser.set_defaults(threads=None)  # no BLAS work to limit


def export(args: argparse.Namespace) -> int:
    """Run `chainrule export`; the exit code. Bad requests raise UsageError, a model file
    that is not one DataError."""
    if not args.model.is_file():
        raise UsageError(f"model file {str(args.model)!r} does not exist"
                         + (" (it is a folder)" if args.model.is_dir() else ""))
    out = args.out or args.model.with_suffix(SUFFIXES[args.format])
    if out.resolve() == args.model.resolve():
        raise UsageError(f"--out {out} is the model file itself; choose another path")
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file name")
    if args.format == "safetensors" and out.suffix != ".safetensors":
        raise UsageError(f"--out {out} must end in .safetensors, which nn.load reads as such")
    try:
        nn.export_model(args.model, args.format, out)
    except ImportError as error:  # the message says what to install
        raise UsageError(str(error)) from None
    except TypeError as error:  # a layer the format cannot express
        raise UsageError(f"cannot export {args.model} as {args.format}: {error}") from None
    except ValueError as error:  # the model file is not a chainrule model
        raise DataError(f"cannot export {args.model} as {args.format}: {error}") from None
    print(f"wrote {out} ({args.format}, {out.stat().st_size:,} bytes)")
    print("use it: " + _USAGE[args.format].format(out=out, model=args.model))
    return 0
