"""Reading an image file as an MNIST digit, for `chainrule predict` (needs Pillow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chainrule.mnist import SIDE, DataError, UsageError
from chainrule.report import INSTALL_HINT

BLANK_CONTRAST = 0.1  # an image whose pixels span less than this has no digit to read


# greys deeper than 8 bits: 16- and 32-bit integers, 32-bit floats (of any range)
DEEP_GREYS = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")


def read_image(path: Path) -> np.ndarray:
    """A 28x28 float32 image in [0, 1], white digit on black (see `predict`'s help).

    The EXIF orientation (a phone photo's) is applied. 8-bit greys are divided by 255;
    deeper or float greys are scaled from their darkest pixel (0) to their brightest (1).
    Raises UsageError naming the file when it is missing or a folder, or saying how to
    install Pillow when it is missing; DataError when it is unreadable or blank.
    """
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise UsageError("predict needs Pillow to read images: pip install pillow "
                         f"(or {INSTALL_HINT})") from None
    if path.is_dir():
        raise UsageError(f"{str(path)!r} is a folder, not an image file")
    if not path.is_file():
        raise UsageError(f"image file {str(path)!r} does not exist")
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            if image.mode in DEEP_GREYS:
                grey = scaled_to_its_range(np.asarray(image, dtype=np.float64), path)
            else:
                if "A" in image.getbands() or "transparency" in image.info:
                    rgba = image.convert("RGBA")
                    image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
                grey = np.asarray(image.convert("L"), dtype=np.float32) / 255
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise DataError(f"cannot read image {str(path)!r}: {error}") from None
    if np.ptp(grey) < BLANK_CONTRAST:
        raise DataError(f"image {str(path)!r} is blank (every pixel is about "
                        f"{float(grey.mean()):.2f} on a 0-1 scale): there is no digit to read")
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if border.mean() > 0.5:  # dark ink on light paper: MNIST is light ink on black
        grey = 1.0 - grey
    if grey.shape == (SIDE, SIDE):
        return grey
    return centred_like_mnist(grey)


def scaled_to_its_range(pixels: np.ndarray, path: Path) -> np.ndarray:
    """float32 greys in [0, 1]: the darkest pixel 0, the brightest 1 (all 0 if all equal)."""
    if not np.isfinite(pixels).all():
        raise DataError(f"image {str(path)!r} has pixels that are NaN or infinite")
    span = np.ptp(pixels)
    return ((pixels - pixels.min()) / (span if span > 0 else 1.0)).astype(np.float32)


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
