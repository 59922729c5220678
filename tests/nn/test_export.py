"""nn.export_model (what `chainrule export` runs), and the install hints of the optional
packages: these tests need none of them."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn.safetensors_io import read_safetensors


@pytest.fixture
def model_file(tmp_path, digits):
    model = nn.Sequential(nn.Standardize.fit(digits), *nn.mlp(784, [8, 10], fuse=True, seed=0))
    nn.save(model, tmp_path / "model.npz")
    return tmp_path / "model.npz"


def test_safetensors_export_holds_the_same_state(model_file, tmp_path):
    out = nn.export_model(model_file, "safetensors", tmp_path / "m.safetensors")
    original = nn.load(model_file).state_dict()
    tensors, _ = read_safetensors(out)
    assert tensors.keys() == original.keys()
    for key in original:
        np.testing.assert_array_equal(tensors[key], original[key])


def test_onnx_export_finds_the_input_shape_itself(model_file, tmp_path):
    onnx = pytest.importorskip("onnx", reason="ONNX export needs onnx (pip install onnx)")
    out = nn.export_model(model_file, "onnx", tmp_path / "m.onnx")
    dims = onnx.load(out).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 784]


def test_the_input_shape_comes_from_the_first_layer():
    from nn.onnx_export import example_shape

    assert example_shape(nn.Sequential(nn.Standardize(np.zeros((1, 28, 28))),
                                       nn.LeNet5())) == (1, 28, 28)
    assert example_shape(nn.Sequential(nn.LeNet5(in_channels=3))) == (3, 28, 28)
    assert example_shape(nn.Sequential(nn.Standardize(0.5), nn.Linear(7, 2))) == (7,)
    with pytest.raises(ValueError, match="give it"):
        example_shape(nn.Sequential(nn.Conv2d(1, 2, 3)))


def test_bad_requests_are_named(model_file, tmp_path):
    with pytest.raises(ValueError, match="format must be one of onnx, safetensors, torch"):
        nn.export_model(model_file, "keras", tmp_path / "m.h5")
    with pytest.raises(ValueError, match="must end in .safetensors"):
        nn.export_model(model_file, "safetensors", tmp_path / "m.st")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match="not a chainrule model"):
        nn.export_model(tmp_path / "junk.npz", "safetensors", tmp_path / "m.safetensors")


@pytest.mark.parametrize("package, call, hint", [
    ("onnx", lambda p: nn.export_onnx(nn.mlp(3, [2]), p, (3,)), "pip install onnx"),
    ("torch", lambda p: nn.to_torch(nn.mlp(3, [2])), "pip install torch"),
    ("torch", lambda p: nn.from_torch(object()), "pip install torch"),
], ids=["export_onnx", "to_torch", "from_torch"])
def test_a_missing_package_gives_the_install_command(package, call, hint, monkeypatch,
                                                      tmp_path):
    monkeypatch.setitem(sys.modules, package, None)  # importing it now raises ImportError
    with pytest.raises(ImportError, match=hint):
        call(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_importing_nn_imports_no_optional_package():
    code = ("import sys, nn; print(sorted(m for m in ('torch', 'onnx', 'onnxruntime', "
            "'safetensors') if m in sys.modules))")
    repo = Path(nn.__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)})
    assert out.stdout.strip() == "[]"
