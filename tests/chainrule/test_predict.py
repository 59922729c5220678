"""`chainrule predict` on the model of the tiny training run."""

import re
import sys

import numpy as np
import pytest

import nn
from autograd import Tensor
from chainrule.cli import main
from nn.datasets import as_float, load_mnist_sample


def test_predict_matches_the_models_own_prediction(trained, tmp_path, run, png):
    pytest.importorskip("PIL", reason="predict reads images with Pillow")
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


def test_predict_without_pillow_says_how_to_install_it(trained, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(SystemExit) as exit_:
        main(["predict", str(trained[0] / "model.npz"), "any.png"])
    assert exit_.value.code == 2
    assert "needs Pillow" in capsys.readouterr().err


@pytest.mark.parametrize("fill", [0, 255])
def test_predict_refuses_a_blank_image(trained, tmp_path, fill, capsys, png):
    pytest.importorskip("PIL", reason="predict reads images with Pillow")
    blank = png(tmp_path / "blank.png", np.full((28, 28), fill, np.uint8))
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(trained[0] / "model.npz"), blank])
    assert exit_info.value.code == 1
    assert "is blank" in capsys.readouterr().err


def test_predict_says_a_folder_is_not_an_image(trained, tmp_path, capsys):
    pytest.importorskip("PIL", reason="predict reads images with Pillow")
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(trained[0] / "model.npz"), str(tmp_path)])
    assert exit_info.value.code == 2
    assert "is a folder, not an image file" in capsys.readouterr().err
