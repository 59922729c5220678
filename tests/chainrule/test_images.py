"""chainrule.images: an image file read as an MNIST digit."""

from pathlib import Path

import numpy as np
import pytest

from chainrule.images import read_image


def test_read_image_centres_a_large_dark_on_light_digit(tmp_path, png):
    pytest.importorskip("PIL", reason="read_image needs Pillow")
    page = np.full((90, 60), 255, dtype=np.uint8)
    page[20:70, 25:35] = 0  # a thick black "1" on white paper
    image = read_image(Path(png(tmp_path / "one.png", page)))
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image[:4].max() == 0 and image[-4:].max() == 0  # MNIST's empty 4-pixel border
    assert image[14, 14] > 0.9  # the ink, now white, in the middle


def a_digit():
    from nn.datasets import load_mnist_sample

    digit = load_mnist_sample().test_images[3]
    assert digit.min() == 0 and digit.max() == 255
    return digit


@pytest.mark.parametrize(("kind", "suffix"), [("I;16", "png"), ("I", "tif"), ("F", "tif")])
def test_deep_and_float_greys_are_scaled_by_the_images_range(tmp_path, png, kind, suffix):
    Image = pytest.importorskip("PIL.Image", reason="read_image needs Pillow")
    digit = a_digit()
    deep = {"I;16": digit.astype(np.uint16) * 257, "I": digit.astype(np.int32) * 1000,
            "F": digit.astype(np.float32) / 255}[kind]  # the float image is in [0, 1]
    image = Image.fromarray(deep)
    assert image.mode == kind
    image.save(tmp_path / f"deep.{suffix}")
    expected = read_image(Path(png(tmp_path / "digit.png", digit)))
    assert np.allclose(read_image(tmp_path / f"deep.{suffix}"), expected, atol=1e-6)


def test_the_exif_orientation_is_applied(tmp_path, png):
    Image = pytest.importorskip("PIL.Image", reason="read_image needs Pillow")
    digit = a_digit()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display", as phone cameras write
    Image.fromarray(np.rot90(digit)).save(tmp_path / "phone.png", exif=exif)
    upright = read_image(Path(png(tmp_path / "digit.png", digit)))
    assert np.array_equal(read_image(tmp_path / "phone.png"), upright)
