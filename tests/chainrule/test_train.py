"""`chainrule train`, run in-process on the shipped MNIST sample with tiny settings."""

import importlib.util
import json
import re
import sys

import numpy as np

import autograd
import nn
from nn.datasets import as_float, load_mnist_sample
from nn.preprocess import Standardize

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
PICTURES = ("curves.png", "confusion.png", "first_layer.png", "misclassified.png")


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


def test_report_is_skipped_gracefully_without_matplotlib(tmp_path, monkeypatch, run):
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


def test_eager_training_saves_the_same_model_as_the_compiled_default(trained, run, tiny,
                                                                    tmp_path, monkeypatch):
    """`--eager` builds the graph at every step (nothing is compiled); the compiled step
    replays the same array calls, so the two runs end with the same weights to the bit."""
    compiled_functions = []
    compile_function = autograd.compile
    monkeypatch.setattr(autograd, "compile", lambda function: compiled_functions.append(
        function) or compile_function(function))
    out = tmp_path / "eager"
    code, _ = run(["train", *tiny, "--eager", "--out", str(out)])
    assert code == 0 and compiled_functions == []
    compiled, eager = nn.load(trained[0] / "model.npz"), nn.load(out / "model.npz")
    for (name, a), (_, b) in zip(compiled.state_dict().items(), eager.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert "| training step | eager |" in (out / "report.md").read_text()
    assert "| training step | compiled (autograd.compile) |" in (
        trained[0] / "report.md").read_text()
