"""The `chainrule` command, run in-process on the shipped MNIST sample with tiny settings."""

import contextlib
import importlib.util
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.cli import main, read_image
from nn.datasets import as_float, load_mnist_sample
from nn.preprocess import Standardize

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
PICTURES = ("curves.png", "confusion.png", "first_layer.png", "misclassified.png")
TINY = ["--sample", "--epochs", "1", "--limit", "600", "--seed", "0"]


def run(argv):
    """main(argv) with its stdout captured: (exit code, printed text)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code, text = run(["train", *TINY, "--out", str(out)])
    assert code == 0
    return out, text


def png(path, image):
    from PIL import Image

    Image.fromarray(image).save(path)
    return str(path)


def test_train_writes_model_history_and_report(trained):
    out, text = trained
    for name in ("model.npz", "history.json", "history.csv", "report.md"):
        assert (out / name).is_file(), name
    history = json.loads((out / "history.json").read_text())
    assert len(history["train_loss"]) == 1 and history["val_loss"][0] is not None
    assert (out / "history.csv").read_text().splitlines()[0].startswith("epoch,train_loss")
    accuracy = re.search(r"test accuracy: ([\d.]+)%", text).group(1)
    report = (out / "report.md").read_text()
    assert f"Test accuracy: {accuracy}%" in report
    assert "sample shipped with chainrule" in report and "s per epoch" in report
    assert "`chainrule train --sample --epochs 1" in report
    if HAVE_MATPLOTLIB:
        for name in PICTURES:
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
            assert f"]({name})" in report


def test_saved_model_carries_its_standardisation(trained):
    model = nn.load(trained[0] / "model.npz")
    first = model[0]
    assert isinstance(first, Standardize)
    x = as_float(load_mnist_sample().train_images[:600])
    # fitted on the training part of the first 600 digits: per-pixel mean, one global std
    assert first.mean.shape == (784,) and 0.25 < first.std < 0.35
    assert np.abs(first.mean - x.mean(axis=0)).max() < 0.05


def test_standardize_fit_centres_and_scales_to_one_global_std():
    x = np.random.default_rng(0).uniform(0, 1, size=(50, 6)) * [1, 2, 3, 4, 5, 0]
    layer = Standardize.fit(x)
    y = layer(Tensor(x, dtype="float64")).data
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(), 1.0, rtol=1e-12)
    rebuilt = Standardize.from_config(json.loads(json.dumps(layer.config())), [])
    np.testing.assert_array_equal(rebuilt.mean, layer.mean)
    assert rebuilt.std == layer.std


def test_evaluate_prints_accuracy_loss_and_per_digit_table(trained):
    out, train_text = trained
    code, text = run(["evaluate", str(out / "model.npz"), "--sample", "--threads", "1"])
    assert code == 0
    accuracy = re.search(r"test accuracy: ([\d.]+)%", train_text).group(1)
    assert f"test accuracy: {accuracy}%" in text and "loss:" in text
    rows = re.findall(r"^\s+(\d)\s+100\s+(\d+)\s+([\d.]+)%$", text, re.MULTILINE)
    assert [int(r[0]) for r in rows] == list(range(10))
    assert sum(int(r[1]) for r in rows) / 1000 == pytest.approx(float(accuracy) / 100)


def test_predict_matches_the_models_own_prediction(trained, tmp_path):
    pytest.importorskip("PIL")
    images = load_mnist_sample().test_images[:5]
    model = nn.load(trained[0] / "model.npz")
    expected = model(Tensor(as_float(images))).data.argmax(axis=1)
    paths = [png(tmp_path / f"digit{i}.png", image) for i, image in enumerate(images)]
    # dark ink on light paper, as a scan would be: inverted back before predicting
    paths += [png(tmp_path / f"scan{i}.png", 255 - image) for i, image in enumerate(images)]
    code, text = run(["predict", str(trained[0] / "model.npz"), *paths])
    assert code == 0
    lines = text.strip().splitlines()
    predicted = [int(re.match(r".*\.png: (\d)   top-3: ", line).group(1)) for line in lines]
    assert predicted == [*expected, *expected]
    top3 = re.findall(r"(\d) ([\d.]+)%", lines[0].split("top-3:")[1])
    assert len(top3) == 3 and int(top3[0][0]) == expected[0]


def test_read_image_centres_a_large_dark_on_light_digit(tmp_path):
    pytest.importorskip("PIL")
    page = np.full((90, 60), 255, dtype=np.uint8)
    page[20:70, 25:35] = 0  # a thick black "1" on white paper
    image = read_image(Path(png(tmp_path / "one.png", page)))
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image[:4].max() == 0 and image[-4:].max() == 0  # MNIST's empty 4-pixel border
    assert image[14, 14] > 0.9  # the ink, now white, in the middle


def test_report_is_skipped_gracefully_without_matplotlib(tmp_path, monkeypatch):
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    # no full MNIST anywhere and no download: the sample, said aloud
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "nothing"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "run"
    code, text = run(["train", "--epochs", "1", "--limit", "300", "--no-download",
                      "--out", str(out)])
    assert code == 0
    assert "full MNIST not found (searched " in text and str(tmp_path / "nothing") in text
    assert "training on the 5,000-digit sample shipped with chainrule" in text
    assert "pictures skipped" in text and "pip install 'chainrule[report]'" in text
    for name in ("model.npz", "history.json", "history.csv", "report.md"):
        assert (out / name).is_file(), name
    assert not any((out / name).exists() for name in PICTURES)
    assert "Pictures skipped" in (out / "report.md").read_text()


def test_predict_without_pillow_says_how_to_install_it(trained, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(SystemExit) as exit_:
        main(["predict", str(trained[0] / "model.npz"), "any.png"])
    assert exit_.value.code == 2
    assert "needs Pillow" in capsys.readouterr().err


def bad_files(tmp_path, model):
    (tmp_path / "junk.npz").write_bytes(b"not a model at all")
    np.savez(tmp_path / "plain.npz", x=np.zeros(3))
    (tmp_path / "text.png").write_text("not an image")
    small = nn.mlp(2, [3, 1], seed=0)
    nn.save(small, tmp_path / "small.npz")
    return {"model": str(model), "junk": str(tmp_path / "junk.npz"),
            "plain": str(tmp_path / "plain.npz"), "small": str(tmp_path / "small.npz"),
            "text": str(tmp_path / "text.png"), "missing": str(tmp_path / "missing.npz"),
            "empty": str(tmp_path)}


BAD = [
    (["train", "--arch", "784-x-10"], "'784-x-10' is not a list of positive layer sizes"),
    (["train", "--arch", "100-16-10"], "starts with 784 inputs"),
    (["train", "--arch", "784-16-7"], "ends with 10 outputs"),
    (["train", "--epochs", "-3"], "--epochs: must be >= 1"),
    (["train", "--epochs", "two"], "--epochs: 'two' is not an int"),
    (["train", "--lr", "0"], "--lr: must be > 0"),
    (["train", "--lr", "-0.1"], "--lr: must be > 0"),
    (["train", "--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
    (["train", "--schedule", "linear"], "invalid choice: 'linear'"),
    (["train", "--val-fraction", "1.5"], "--val-fraction: must be >= 0 and < 1"),
    (["train", "--momentum", "0.9"], "--momentum applies to --optimizer sgd only"),
    (["train", "--model", "lenet5", "--arch", "784-10"], "--arch applies to --model mlp"),
    (["train", "--data", "{empty}", "--no-download"], "MNIST not found"),
    (["evaluate", "{missing}", "--sample"], "does not exist"),
    (["evaluate", "{empty}", "--sample"], "(it is a folder)"),
    (["evaluate", "{junk}", "--sample"], "is not a chainrule MNIST model"),
    (["evaluate", "{plain}", "--sample"], "is not a chainrule MNIST model"),
    (["evaluate", "{small}", "--sample"], "not an MNIST classifier"),
    (["predict", "{model}", "{text}"], "cannot read image"),
    (["predict", "{model}", "{missing}"], "does not exist"),
    (["predict", "{junk}", "{text}"], "is not a chainrule MNIST model"),
    (["fly"], "invalid choice: 'fly'"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_exit_2_with_a_message_naming_the_problem(argv, message, trained,
                                                                tmp_path, capsys, monkeypatch):
    # no MNIST anywhere but where the arguments say (CI points CHAINRULE_DATA at it)
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if argv[0] == "predict":
        pytest.importorskip("PIL")
    files = bad_files(tmp_path, trained[0] / "model.npz")
    with pytest.raises(SystemExit) as exit_:
        main([a.format(**files) for a in argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_python_dash_m_nn_is_the_chainrule_command():
    result = subprocess.run([sys.executable, "-m", "nn", "train", "--help"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "--val-fraction" in result.stdout


@pytest.mark.parametrize("fill", [0, 255])
def test_predict_refuses_a_blank_image(trained, tmp_path, fill, capsys):
    blank = png(tmp_path / "blank.png", np.full((28, 28), fill, np.uint8))
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(trained[0] / "model.npz"), blank])
    assert exit_info.value.code == 2
    assert "is blank" in capsys.readouterr().err


def test_predict_says_a_folder_is_not_an_image(trained, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(trained[0] / "model.npz"), str(tmp_path)])
    assert exit_info.value.code == 2
    assert "is a folder, not an image file" in capsys.readouterr().err
