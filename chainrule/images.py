"""Reading an image file as an MNIST digit, for `chainrule predict` (needs Pillow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chainrule.mnist import SIDE, UsageError
from chainrule.report import INSTALL_HINT

BLANK_CONTRAST = 0.1  # an image whose pixels span less than this has no digit to read


def read_image(path: Path) -> np.ndarray:
    """A 28x28 float32 image in [0, 1], white digit on black (see `predict`'s help).

    Raises UsageError naming the file when it is missing, a folder, unreadable or blank,
    and saying how to install Pillow when it is missing.
    """
    try:
        from PIL import Image
    except ImportError:
        raise UsageError("predict needs Pillow to read images: pip install pillow "
                         f"(or {INSTALL_HINT})") from None
    if path.is_dir():
        raise UsageError(f"{str(path)!r} is a folder, not an image file")
    if not path.is_file():
        raise UsageError(f"image file {str(path)!r} does not exist")
    try:
        with Image.open(path) as image:
            image.load()
            if "A" in image.getbands() or "transparency" in image.info:
                rgba = image.convert("RGBA")
                image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
            grey = np.asarray(image.convert("L"), dtype=np.float32) / 255
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise UsageError(f"cannot read image {str(path)!r}: {error}") from None
    if np.ptp(grey) < BLANK_CONTRAST:
        raise UsageError(f"image {str(path)!r} is blank (every pixel is about "
                         f"{float(grey.mean()):.2f} on a 0-1 scale): there is no digit to read")
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if border.mean() > 0.5:  # dark ink on light paper: MNIST is light ink on black
        grey = 1.0 - grey
    if grey.shape == (SIDE, SIDE):
        return grey
    return centred_like_mnist(grey)


def centred_like_mnist(grey: np.ndarray) -> np.ndarray:
    """Crop to the ink, scale to fit 20x20 and centre in 28x28, as MNIST's digits were made.

    `grey` is a 2-D float32 image in [0, 1], white digit on black; so is the result.
    """
    from PIL import Image  # read_image has checked that Pillow is installed

    ink = np.argwhere(grey > 0.2 * grey.max()) if grey.max() > 0 else np.argwhere(grey >= 0)
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
    grey = grey[top:bottom, left:right]
    side = max(grey.shape)
    square = np.zeros((side, side), dtype=np.float32)
    row, col = (side - grey.shape[0]) // 2, (side - grey.shape[1]) // 2
    square[row:row + grey.shape[0], col:col + grey.shape[1]] = grey
    digit = np.asarray(Image.fromarray(square, mode="F").resize((20, 20), Image.LANCZOS))
    result = np.zeros((SIDE, SIDE), dtype=np.float32)
    result[4:24, 4:24] = np.clip(digit, 0.0, 1.0)
    return result
