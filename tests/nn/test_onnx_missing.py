"""Without the onnx package, export_onnx says how to install it (no onnx needed here)."""

import sys

import pytest

import nn


def test_missing_onnx_gives_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match="pip install onnx"):
        nn.export_onnx(nn.mlp(3, [2]), tmp_path / "m.onnx", (3,))
