"""Random draws a compiled step makes again at each replay (`autograd.compile`).

A random array drawn with numpy inside a captured step would be a constant of the tape:
every replay would reuse the first mask. Drawn through these functions, the draw is a
step of the tape, made again from the same generator at each replay, so a compiled run
draws exactly what the eager run draws.
"""

from __future__ import annotations

import numpy as np

from autograd.tape import recorded


@recorded
def dropout_mask(generator: np.random.Generator, shape: tuple[int, ...], p: float,
                 dtype: np.dtype) -> np.ndarray:
    """An array of `shape` and `dtype`: 0 with probability p, else 1/(1-p) (inverted
    dropout: the expected value stays 1). Draws `generator.random(shape)`."""
    keep = generator.random(shape) >= p
    return (keep / (1.0 - p)).astype(dtype)
