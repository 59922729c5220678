"""safetensors: our reader and writer against the format's rules and the official library."""

import json
import struct

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.safetensors_io import (
    DTYPES,
    MAX_HEADER_BYTES,
    SafetensorsError,
    read_safetensors,
    write_safetensors,
)
from nn.torch_keys import torch_key_map


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


# -- models ------------------------------------------------------------------------------------
def test_every_layer_type_round_trips_bit_exact(module_case, tmp_path):
    model, _, x = module_case
    path = tmp_path / "m.safetensors"
    nn.save(model, path)
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    assert_same_state(loaded.state_dict(), model.state_dict())
    x = Tensor(x, dtype=x.dtype)
    np.testing.assert_array_equal(loaded.eval()(x).data, model.eval()(x).data)


def test_the_cli_models_round_trip_with_their_standardisation(cli_model, tmp_path):
    model, _, x = cli_model
    path = tmp_path / "cli.safetensors"
    nn.save(model, path)
    tensors, metadata = read_safetensors(path)
    assert {"0.mean", "0.std"} <= tensors.keys()  # the preprocessing travels as tensors
    assert json.loads(metadata["architecture"])["type"] == "Sequential"
    loaded = nn.load(path)
    assert_same_state(loaded.state_dict(), model.state_dict())
    np.testing.assert_array_equal(loaded.eval()(x).data, model(x).data)


def test_npz_stays_the_default(tmp_path):
    nn.save(nn.mlp(2, [2]), tmp_path / "m.npz")
    nn.save(nn.mlp(2, [2]), tmp_path / "m.bin")
    for name in ("m.npz", "m.bin"):
        assert (tmp_path / name).read_bytes()[:4] == b"PK\x03\x04"


def test_weights_without_an_architecture_load_into_a_given_model(tmp_path):
    model = nn.mlp(4, [3, 2], fuse=True, seed=0)
    torch_names = torch_key_map(model)  # what a PyTorch user's file would call them
    path = tmp_path / "w.safetensors"
    write_safetensors(path, {torch_names[k]: v for k, v in model.state_dict().items()})
    with pytest.raises(ValueError, match="no chainrule architecture"):
        nn.load(path)
    fresh = nn.load(path, nn.mlp(4, [3, 2], fuse=True, seed=5))
    assert_same_state(fresh.state_dict(), model.state_dict())


# -- the official library ----------------------------------------------------------------------
@pytest.fixture
def official():
    return pytest.importorskip("safetensors.numpy", reason="cross-checks need the safetensors "
                               "package (pip install safetensors)")


def every_dtype():
    rng = np.random.default_rng(0)
    arrays = {f"{name.lower()}_{i}": np.asarray(rng.normal(size=shape) * 50).astype(dtype)
              for name, dtype in DTYPES.items()
              for i, shape in enumerate([(2, 3), (), (0, 4)])}
    arrays["bool_0"] = rng.random((5,)) > 0.5
    return arrays


def test_the_official_library_reads_our_files_bit_for_bit(official, tmp_path):
    arrays = every_dtype()
    write_safetensors(tmp_path / "ours.safetensors", arrays, {"note": "hi"})
    assert_same_state(official.load_file(tmp_path / "ours.safetensors"), arrays)
    their_bytes = official.save(arrays, metadata={"note": "hi"})
    assert (tmp_path / "ours.safetensors").read_bytes() == their_bytes


def test_we_read_the_official_librarys_files(official, tmp_path):
    arrays = every_dtype()
    official.save_file(arrays, tmp_path / "theirs.safetensors", metadata={"a": "b"})
    tensors, metadata = read_safetensors(tmp_path / "theirs.safetensors")
    assert_same_state(tensors, arrays)
    assert metadata == {"a": "b"}
    assert all(t.flags.writeable for t in tensors.values())


def test_the_official_library_reads_a_saved_model(official, cli_model, tmp_path):
    model, _, _ = cli_model
    nn.save(model, tmp_path / "m.safetensors")
    assert_same_state(official.load_file(tmp_path / "m.safetensors"), model.state_dict())


def test_writing_refuses_what_the_format_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="'z' has dtype complex128"):
        write_safetensors(tmp_path / "x.safetensors", {"z": np.zeros(2, complex)})
    with pytest.raises(ValueError, match="'__metadata__' cannot name a tensor"):
        write_safetensors(tmp_path / "x.safetensors", {"__metadata__": np.zeros(2)})
    with pytest.raises(TypeError, match="metadata must map str to str"):
        write_safetensors(tmp_path / "x.safetensors", {}, {"n": 3})
    assert not (tmp_path / "x.safetensors").exists()


# -- corrupt and hostile files: each refused with the file and what broke --------------------
def raw_file(tmp_path, header, data=b"", length=None, header_bytes=None):
    """A file from parts: `header` (as JSON) or raw `header_bytes`, a claimed `length`."""
    text = json.dumps(header).encode() if header_bytes is None else header_bytes
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


F32_2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


def refused(path, *fragments):
    with pytest.raises(SafetensorsError) as caught:
        read_safetensors(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message
    return message


def test_a_valid_small_file_reads(tmp_path):
    path = raw_file(tmp_path, {"a": F32_2}, np.array([1, 2], "<f4").tobytes())
    np.testing.assert_array_equal(read_safetensors(path)[0]["a"], [1, 2])


def test_a_file_shorter_than_the_length_field(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x05\x00\x00")
    refused(path, "ends early", "3 bytes")


def test_an_empty_file(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"")
    refused(path, "ends early", "0 bytes")


def test_a_header_too_large(tmp_path):
    refused(raw_file(tmp_path, {}, length=MAX_HEADER_BYTES + 1), "header too large",
            f"{MAX_HEADER_BYTES + 1:,}")


def test_a_header_length_of_two_to_the_64_minus_one(tmp_path):
    refused(raw_file(tmp_path, {}, length=2**64 - 1), "header too large")


def test_a_header_longer_than_the_file(tmp_path):
    refused(raw_file(tmp_path, {}, length=500), "ends early", "bytes 8 to 508",
            "has 10 bytes")


def test_a_header_that_is_not_utf8(tmp_path):
    refused(raw_file(tmp_path, None, header_bytes=b'{"\xff": 1}'), "is not JSON")


def test_a_header_that_is_not_json(tmp_path):
    refused(raw_file(tmp_path, None, header_bytes=b"{not json}"), "is not JSON")


def test_a_header_that_is_a_list(tmp_path):
    refused(raw_file(tmp_path, [1, 2]), "JSON list, not an object")


def test_a_tensor_named_twice(tmp_path):
    text = b'{"a": %s, "a": %s}' % ((json.dumps(F32_2).encode(),) * 2)
    refused(raw_file(tmp_path, None, b"\0" * 8, header_bytes=text), "names ['a'] more than once")


def test_an_entry_that_is_not_an_object(tmp_path):
    refused(raw_file(tmp_path, {"a": [1, 2]}), "tensor 'a'", "not an object")


def test_an_unknown_dtype(tmp_path):
    header = {"a": {**F32_2, "dtype": "F33"}}
    refused(raw_file(tmp_path, header, b"\0" * 8), "tensor 'a'", "unknown dtype 'F33'")


def test_a_dtype_numpy_does_not_have(tmp_path):
    header = {"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}
    refused(raw_file(tmp_path, header, b"\0" * 4), "tensor 'a'", "BF16 has no numpy")


def test_a_dtype_that_is_not_a_string(tmp_path):
    refused(raw_file(tmp_path, {"a": {**F32_2, "dtype": ["F32"]}}, b"\0" * 8), "unknown dtype")


def test_a_negative_shape(tmp_path):
    header = {"a": {**F32_2, "shape": [-2]}}
    refused(raw_file(tmp_path, header, b"\0" * 8), "tensor 'a'", "shape [-2]")


def test_a_shape_of_floats(tmp_path):
    refused(raw_file(tmp_path, {"a": {**F32_2, "shape": [2.0]}}, b"\0" * 8), "shape [2.0]")


def test_offsets_that_run_backwards(tmp_path):
    header = {"a": {**F32_2, "data_offsets": [8, 0]}}
    refused(raw_file(tmp_path, header, b"\0" * 8), "tensor 'a'", "data_offsets [8, 0]")


def test_offsets_that_do_not_match_the_shape(tmp_path):
    header = {"a": {**F32_2, "data_offsets": [0, 12]}}
    refused(raw_file(tmp_path, header, b"\0" * 12), "[0, 12] hold 12 bytes", "needs 8")


def test_offsets_out_of_range(tmp_path):
    header = {"a": {**F32_2, "data_offsets": [16, 24]}}
    refused(raw_file(tmp_path, header, b"\0" * 8), "tensor 'a'", "[16, 24] out of range",
            "has 8 bytes")


def test_a_file_that_ends_inside_the_data(tmp_path):
    refused(raw_file(tmp_path, {"a": F32_2}, b"\0" * 5), "[0, 8] out of range", "ends early")


def test_overlapping_tensors(tmp_path):
    header = {"a": F32_2, "b": {**F32_2, "data_offsets": [4, 12]}}
    refused(raw_file(tmp_path, header, b"\0" * 12), "'a' and 'b' overlap")


def test_a_gap_between_tensors(tmp_path):
    header = {"a": F32_2, "b": {**F32_2, "data_offsets": [12, 20]}}
    refused(raw_file(tmp_path, header, b"\0" * 20), "bytes [8, 12)", "gap before 'b'")


def test_bytes_after_the_last_tensor(tmp_path):
    refused(raw_file(tmp_path, {"a": F32_2}, b"\0" * 11), "bytes [8, 11)", "after the last")


def test_metadata_that_is_not_strings(tmp_path):
    refused(raw_file(tmp_path, {"__metadata__": {"n": 3}}), "__metadata__ must map str")


def test_nn_load_names_the_file_and_never_builds_from_a_broken_one(tmp_path):
    path = raw_file(tmp_path, {"a": F32_2}, b"\0" * 4)
    with pytest.raises(ValueError, match="bad.safetensors"):
        nn.load(path)
