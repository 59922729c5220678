"""nn.load on hostile files: every one refused cheaply with a short ValueError naming the file."""

import json
import tracemalloc
import zipfile

import numpy as np
import pytest

import nn

MIB = 1 << 20


def saved_arrays(tmp_path):
    """The arrays (and decoded architecture) of a small saved model."""
    model = nn.Sequential(nn.Linear(4, 3, seed=0), nn.ReLU(), nn.Linear(3, 2, seed=1))
    nn.save(model, tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz") as archive:
        arrays = {key: archive[key] for key in archive.files}
    return arrays, json.loads(arrays["__architecture__"].tobytes())


def write_model(path, arrays, arch_text):
    arrays = dict(arrays, __architecture__=np.frombuffer(arch_text.encode(), np.uint8))
    np.savez(path, **arrays)
    return path


def load_costing(path):
    """nn.load's error and the peak of memory numpy and Python allocated on the way."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as caught:
            nn.load(path)
        return caught.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_layer_claiming_millions_of_inputs_fails_before_allocating_them(tmp_path):
    arrays, arch = saved_arrays(tmp_path)
    arch["children"][0]["config"]["in_features"] = 3_000_000
    path = write_model(tmp_path / "claims.npz", arrays, json.dumps(arch))
    error, peak = load_costing(path)
    assert peak < 10 * MIB  # the layer would take 3e6 x 3 float64 = 72 MB
    message = str(error)
    assert str(path) in message and "3000000" in message and len(message) < 500


def test_a_deflate_bomb_is_refused_before_it_is_inflated(tmp_path):
    arrays, arch = saved_arrays(tmp_path)
    path = tmp_path / "bomb.npz"
    write_model(path, arrays, json.dumps(arch))
    # a member that inflates to 64 MiB of zeros from about 64 KiB on disk
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive, \
            archive.open("0.weight_pad.npy", "w", force_zip64=True) as member:
        for _ in range(64):
            member.write(bytes(MIB))
    assert path.stat().st_size < 2 * MIB
    error, peak = load_costing(path)
    assert peak < 10 * MIB and str(path) in str(error) and "0.weight_pad" in str(error)


def test_weights_that_are_nan_or_infinite_are_refused_naming_the_array(tmp_path):
    arrays, arch = saved_arrays(tmp_path)
    arrays["2.bias"] = np.array([0.0, np.inf], np.float32)
    arrays["0.weight"][1, 2] = np.nan
    path = write_model(tmp_path / "nan.npz", arrays, json.dumps(arch))
    with pytest.raises(ValueError, match=r"nan\.npz.*'0\.weight'.*NaN or infinite") as caught:
        nn.load(path)
    assert "'2.bias'" in str(caught.value)


CORRUPT = {
    "infinite size": lambda arch: arch["children"][0]["config"].update(in_features=1e400),
    "a number for a config": lambda arch: arch["children"][0].update(config=5),
    "a number for children": lambda arch: arch.update(children=5),
    "a list for a node": lambda arch: arch["children"].append([1, 2]),
    "a string for a size": lambda arch: arch["children"][0]["config"].update(out_features="x"),
    "a negative size": lambda arch: arch["children"][2]["config"].update(out_features=-2),
}


@pytest.mark.parametrize("corrupt", CORRUPT.values(), ids=list(CORRUPT))
def test_corrupt_configs_give_a_value_error_naming_the_file(tmp_path, corrupt):
    arrays, arch = saved_arrays(tmp_path)
    corrupt(arch)
    path = write_model(tmp_path / "corrupt.npz", arrays, json.dumps(arch))
    with pytest.raises(ValueError) as caught:
        nn.load(path)
    assert str(path) in str(caught.value) and len(str(caught.value)) < 500


def test_deeply_nested_json_is_refused_naming_the_file(tmp_path):
    arrays, _ = saved_arrays(tmp_path)
    path = write_model(tmp_path / "deep.npz", arrays, "[" * 5000 + "]" * 5000)
    with pytest.raises(ValueError, match=r"deep\.npz.*nested"):
        nn.load(path)


def test_a_long_error_is_cut_short(tmp_path):
    arrays, arch = saved_arrays(tmp_path)
    arrays.update({f"extra{i}": np.zeros(1, np.float32) for i in range(2000)})
    path = write_model(tmp_path / "many.npz", arrays, json.dumps(arch))
    with pytest.raises(ValueError, match="unexpected keys") as caught:
        nn.load(path)
    assert len(str(caught.value)) < 1000
