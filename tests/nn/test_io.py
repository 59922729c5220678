"""nn.save / nn.load: bit-exact round trips, no pickles, atomic writes, clear refusals."""

import json
import os
import stat

import numpy as np
import pytest

import nn


def _model():
    return nn.Sequential(nn.Flatten(), nn.Linear(6, 5, seed=0), nn.LeakyReLU(0.2),
                         nn.Dropout(0.3), nn.Linear(5, 4, bias=False, dtype="float32", seed=1),
                         nn.Maxout(2), nn.Sequential(nn.ELU(0.5), nn.Softmax(axis=1)))


def test_round_trip_bit_exact(tmp_path):
    model = _model()
    path = tmp_path / "model.npz"
    nn.save(model, path)
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    assert loaded.state_dict().keys() == model.state_dict().keys()
    for (name, a), (_, b) in zip(model.named_parameters(), loaded.named_parameters()):
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a.data, b.data)
    x = np.random.default_rng(0).normal(size=(3, 2, 3)).astype(np.float32)
    model.eval()
    loaded.eval()
    np.testing.assert_array_equal(model(x).data, loaded(x).data)


def test_float64_and_scalar_models_round_trip(tmp_path):
    tensor_model = nn.mlp(3, [4, 2], activation="tanh", dtype="float64", seed=3)
    nn.save(tensor_model, tmp_path / "t.npz")
    assert nn.load(tmp_path / "t.npz")[0].weight.dtype == np.float64
    scalar = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    nn.save(scalar, tmp_path / "s.npz")
    loaded = nn.load(tmp_path / "s.npz")
    assert isinstance(loaded, nn.MLP) and loaded.activation == "tanh"
    assert [p.data for p in loaded.parameters()] == [p.data for p in scalar.parameters()]


def test_fused_mlp_round_trips_with_its_activations(tmp_path):
    model = nn.mlp(3, [4, 4, 2], activation="sigmoid", fuse=True, seed=1)
    nn.save(model, tmp_path / "f.npz")
    loaded = nn.load(tmp_path / "f.npz")
    assert [layer.activation for layer in loaded] == ["sigmoid", "sigmoid", None]
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_array_equal(model(x).data, loaded(x).data)


def test_file_holds_no_pickles_and_readable_architecture(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(nn.mlp(2, [3, 1], seed=0), path)
    with np.load(path, allow_pickle=False) as archive:
        assert all(archive[k].dtype != object for k in archive.files)
        arch = json.loads(archive["__architecture__"].tobytes().decode())
    assert arch["type"] == "Sequential"
    assert [c["type"] for c in arch["children"]] == ["Linear", "ReLU", "Linear"]
    assert arch["children"][0]["config"]["in_features"] == 2


def test_wrong_shapes_refused_with_clear_error(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(nn.mlp(4, [3, 2], seed=0), path)
    target = nn.mlp(4, [5, 2], seed=0)
    with pytest.raises(ValueError, match=r"m\.npz.*'0\.weight' has shape \(3, 4\).*\(5, 4\)"):
        nn.load(path, model=target)
    # a file whose arrays contradict its own architecture is refused too
    with np.load(path, allow_pickle=False) as archive:
        arrays = dict(archive)
    arrays["2.bias"] = np.zeros(7, dtype=np.float32)
    np.savez(tmp_path / "tampered.npz", **arrays)
    with pytest.raises(ValueError, match=r"tampered\.npz.*'2\.bias' has shape \(7,\)"):
        nn.load(tmp_path / "tampered.npz")


@pytest.mark.parametrize("content", [b"", b"not a zip file at all", b"PK\x03\x04truncated"])
def test_corrupt_file_named_in_error(tmp_path, content):
    path = tmp_path / "broken.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="broken.npz"):
        nn.load(path)


def test_foreign_and_pickled_files_refused(tmp_path):
    np.savez(tmp_path / "foreign.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="foreign.npz: not a chainrule model"):
        nn.load(tmp_path / "foreign.npz")
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickled.npy"):
        nn.load(tmp_path / "pickled.npy")
    arrays = {"__format__": np.frombuffer(b"chainrule-nn/1", np.uint8),
              "__architecture__": np.frombuffer(b'{"type": "Transformer"}', np.uint8)}
    np.savez(tmp_path / "unknown.npz", **arrays)
    with pytest.raises(ValueError, match="unknown.npz.*unknown module type 'Transformer'"):
        nn.load(tmp_path / "unknown.npz")


def test_failed_save_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    nn.save(nn.mlp(2, [2], seed=0), path)
    before = path.read_bytes()

    def failing_savez(file, **arrays):
        file.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.mlp(2, [2], seed=1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_unregistered_module_cannot_be_saved(tmp_path):
    class Mine(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="register its class"):
        nn.save(nn.Sequential(Mine()), tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_registry_is_extensible(tmp_path):
    @nn.register_module
    class Scale(nn.Module):
        def __init__(self, factor: float = 2.0):
            self.factor = factor

        def forward(self, x):
            return x * self.factor

        def config(self):
            return {"factor": self.factor}

    try:
        nn.save(nn.Sequential(Scale(3.0)), tmp_path / "s.npz")
        assert nn.load(tmp_path / "s.npz")[0].factor == 3.0
    finally:
        del nn.MODULE_TYPES["Scale"]


def test_saving_into_a_missing_folder_names_the_target(tmp_path):
    target = tmp_path / "missing" / "model.npz"
    with pytest.raises(FileNotFoundError, match=f"cannot write {target}: the folder"):
        nn.save(nn.Linear(2, 1, seed=0), target)
    assert not (tmp_path / "missing").exists()


def test_saved_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        nn.save(nn.Linear(2, 1, seed=0), tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model.npz").stat().st_mode) == 0o644
