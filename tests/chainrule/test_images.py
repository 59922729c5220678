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
