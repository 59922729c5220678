"""`chainrule export`: the tiny run's model written as safetensors, ONNX and a torch state_dict."""

import numpy as np
import pytest

import nn


def test_safetensors_export_loads_back_with_the_same_weights(trained, run, tmp_path):
    out, _ = trained
    target = tmp_path / "model.safetensors"
    code, text = run(["export", str(out / "model.npz"), "--format", "safetensors",
                      "--out", str(target)])
    assert code == 0 and str(target) in text
    original, exported = nn.load(out / "model.npz"), nn.load(target)
    for (name, a), (name_b, b) in zip(original.state_dict().items(),
                                      exported.state_dict().items()):
        assert name == name_b and np.array_equal(a, b)


def test_onnx_export_runs_in_onnxruntime_like_our_forward(trained, run, tmp_path):
    pytest.importorskip("onnx", reason="ONNX export needs onnx (pip install onnx)")
    ort = pytest.importorskip("onnxruntime", reason="the cross-check needs onnxruntime")
    out, _ = trained
    code, _ = run(["export", str(out / "model.npz"), "--format", "onnx"])
    target = out / "model.onnx"  # the default: the model's path with .onnx
    assert code == 0 and target.is_file()
    model = nn.load(out / "model.npz").eval()
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    session = ort.InferenceSession(str(target))
    (theirs,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(theirs, model(x).data, rtol=1e-5, atol=1e-5)


def test_torch_export_is_a_state_dict_torch_loads_safely(trained, run, tmp_path):
    torch = pytest.importorskip("torch", reason="the torch export needs torch")
    out, _ = trained
    target = tmp_path / "model.pt"
    assert run(["export", str(out / "model.npz"), "--format", "torch",
                "--out", str(target)])[0] == 0
    twin = nn.to_torch(nn.load(out / "model.npz"))
    twin.load_state_dict(torch.load(target, weights_only=True))


@pytest.mark.parametrize("case", ["missing", "same-file", "bad-suffix"])
def test_bad_requests_exit_2_naming_the_problem(trained, run, tmp_path, capsys, case):
    out, _ = trained
    model = out / "model.npz"
    argv = {
        "missing": [str(tmp_path / "nope.npz"), "--format", "safetensors"],
        "same-file": [str(model), "--format", "safetensors", "--out", str(model)],
        "bad-suffix": [str(model), "--format", "safetensors", "--out", str(tmp_path / "m.st")],
    }[case]
    with pytest.raises(SystemExit) as exit_info:
        run(["export", *argv])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert "chainrule export: error:" in message
    assert {"missing": "does not exist", "same-file": "model file itself",
            "bad-suffix": ".safetensors"}[case] in message


def test_a_file_that_is_no_model_exits_1(run, tmp_path, capsys):
    bogus = tmp_path / "model.npz"
    bogus.write_bytes(b"not a zip at all")
    with pytest.raises(SystemExit) as exit_info:
        run(["export", str(bogus), "--format", "safetensors"])
    assert exit_info.value.code == 1
    assert "not a chainrule model file" in capsys.readouterr().err
