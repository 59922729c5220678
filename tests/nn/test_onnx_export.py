"""nn.export_onnx: every layer ONNX can express, checked by onnx and run by onnxruntime."""

import numpy as np
import pytest

import nn
from autograd import Tensor

onnx = pytest.importorskip("onnx", reason="ONNX export tests need onnx (pip install onnx)")
ort = pytest.importorskip("onnxruntime", reason="running the exports needs onnxruntime "
                          "(pip install onnxruntime)")


def run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def ours(model, x):
    return model.eval()(Tensor(x, dtype=x.dtype)).data


def test_every_layer_type_exports_checks_and_matches(module_case, tmp_path):
    model, shape, x = module_case
    path = tmp_path / "m.onnx"
    nn.export_onnx(model, path, shape)  # still in training mode: dropout is left out
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
    np.testing.assert_allclose(run(path, x), ours(model, x), rtol=1e-5, atol=1e-5)


def test_the_cli_models_agree_on_real_digits(cli_model, tmp_path):
    model, shape, x = cli_model
    path = tmp_path / "cli.onnx"
    nn.export_onnx(model, path, shape)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    expected = ours(model, x)
    got = run(path, x)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()


def test_the_batch_axis_is_dynamic_and_weights_keep_their_names(tmp_path, digits):
    model = nn.Sequential(nn.Standardize.fit(digits), *nn.mlp(784, [8, 10], seed=0, fuse=True))
    path = tmp_path / "m.onnx"
    nn.export_onnx(model, path, (784,))
    graph = onnx.load(path).graph
    assert [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == [
        "batch", 784]
    names = {i.name for i in graph.initializer}
    assert {"0.mean", "0.std", "1.weight", "1.bias", "2.weight", "2.bias"} <= names
    for batch in (1, 7):
        assert run(path, digits[:batch]).shape == (batch, 10)


def test_standardize_becomes_sub_and_div(tmp_path):
    path = tmp_path / "s.onnx"
    nn.export_onnx(nn.Standardize(np.arange(3.0), 2.0), path, (3,))
    assert [node.op_type for node in onnx.load(path).graph.node] == ["Sub", "Div"]


def test_dropout_alone_is_an_identity(tmp_path):
    path = tmp_path / "d.onnx"
    nn.export_onnx(nn.Dropout(0.5), path, (4,))
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(run(path, x), x)


def test_export_leaves_the_model_as_it_was(tmp_path):
    model = nn.Sequential(nn.Dropout(0.5, seed=3), nn.Linear(4, 2, seed=0))
    calls = []
    model.register_forward_hook(lambda *args: calls.append(args))
    before = model[0]._rng.bit_generator.state
    nn.export_onnx(model, tmp_path / "m.onnx", (4,))
    assert model.training and model[0].training
    assert model[0]._rng.bit_generator.state == before
    assert calls == []


def test_a_module_onnx_cannot_express_is_named(tmp_path):
    with pytest.raises(TypeError, match="cannot express MLP in ONNX"):
        nn.export_onnx(nn.MLP(3, [2]), tmp_path / "x.onnx", (3,))
    assert not (tmp_path / "x.onnx").exists()


def test_an_unknown_module_in_a_sequential_is_named_with_its_position(tmp_path):
    class Doubler(nn.Module):
        def forward(self, x):
            return x * 2

    with pytest.raises(TypeError, match=r"Doubler \(layer '1.0'\)"):
        nn.export_onnx(nn.Sequential(nn.Linear(3, 2), nn.Sequential(Doubler())),
                       tmp_path / "x.onnx", (3,))


def test_a_sequential_subclass_with_its_own_forward_is_refused(tmp_path):
    class Skip(nn.Sequential):
        def forward(self, x):
            return x + super().forward(x)

    with pytest.raises(TypeError, match="Skip"):
        nn.export_onnx(Skip(nn.Linear(3, 3)), tmp_path / "x.onnx", (3,))


def test_an_input_shape_that_does_not_fit_names_the_layer(tmp_path):
    with pytest.raises(ValueError, match=r"input_shape \(5,\) does not fit layer '0'"):
        nn.export_onnx(nn.mlp(4, [2]), tmp_path / "x.onnx", (5,))
    with pytest.raises(ValueError, match="one example's sizes"):
        nn.export_onnx(nn.mlp(4, [2]), tmp_path / "x.onnx", (0,))
