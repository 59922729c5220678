"""Fixtures for the `chainrule` command's tests: one tiny training run on the shipped sample."""

import contextlib
import io

import pytest

from chainrule.cli import main

TINY = ["--sample", "--epochs", "1", "--limit", "600", "--seed", "0"]


def run_main(argv):
    """main(argv) with its stdout captured: (exit code, printed text)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


def save_png(path, image):
    """Write the uint8 array `image` as a PNG file (needs Pillow); its path as a string."""
    from PIL import Image

    Image.fromarray(image).save(path)
    return str(path)


@pytest.fixture
def run():
    return run_main


@pytest.fixture
def png():
    return save_png


@pytest.fixture
def tiny():
    """The settings of `trained`, for a run to compare with it."""
    return list(TINY)


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """(folder, printed text) of `chainrule train` with TINY settings, run once per session."""
    out = tmp_path_factory.mktemp("run")
    code, text = run_main(["train", *TINY, "--out", str(out)])
    assert code == 0
    return out, text
