"""The `chainrule` command line: its entry points, and bad arguments refused with a message."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from chainrule.cli import main
from chainrule.mnist import DataError

REPO = Path(__file__).resolve().parents[2]


def python_dash_m_chainrule(*argv):
    # from the repository's root, so that `-m` finds this checkout's package
    return subprocess.run([sys.executable, "-m", "chainrule", *argv], capture_output=True,
                          text=True, check=False, cwd=REPO)


def test_python_dash_m_chainrule_is_the_chainrule_command():
    result = python_dash_m_chainrule("train", "--help")
    assert result.returncode == 0 and "--val-fraction" in result.stdout


def test_python_dash_m_chainrule_help_lists_the_commands():
    result = python_dash_m_chainrule("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: chainrule ")
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ")}
    assert {"train", "evaluate", "predict"} <= listed


def test_no_command_is_a_usage_error():
    result = python_dash_m_chainrule()
    assert result.returncode == 2
    assert "the following arguments are required: COMMAND" in result.stderr


def bad_files(tmp_path, model):
    (tmp_path / "junk.npz").write_bytes(b"not a model at all")
    np.savez(tmp_path / "plain.npz", x=np.zeros(3))
    (tmp_path / "text.png").write_text("not an image")
    small = nn.mlp(2, [3, 1], seed=0)
    nn.save(small, tmp_path / "small.npz")
    diverged = nn.mlp(784, [3, 10], seed=0)
    diverged[0].weight.data[0, 0] = np.nan
    nn.save(diverged, tmp_path / "nan.npz")
    write_mnist(tmp_path / "wide", image_shape=(56, 14))
    write_mnist(tmp_path / "no-training", n_train=0)
    return {"model": str(model), "junk": str(tmp_path / "junk.npz"),
            "plain": str(tmp_path / "plain.npz"), "small": str(tmp_path / "small.npz"),
            "nan": str(tmp_path / "nan.npz"), "wide": str(tmp_path / "wide"),
            "no_training": str(tmp_path / "no-training"),
            "text": str(tmp_path / "text.png"), "missing": str(tmp_path / "missing.npz"),
            "empty": str(tmp_path)}


def write_mnist(folder, image_shape=(28, 28), n_train=4, n_test=3):
    folder.mkdir()
    for split, n in (("train", n_train), ("t10k", n_test)):
        nn.datasets.write_idx(folder / f"{split}-images-idx3-ubyte.gz",
                              np.zeros((n, *image_shape), np.uint8))
        nn.datasets.write_idx(folder / f"{split}-labels-idx1-ubyte.gz",
                              np.arange(n, dtype=np.uint8) % 10)


# usage errors: exit 2
BAD = [
    (["train", "--arch", "784-x-10"], "'784-x-10' is not a list of positive layer sizes"),
    (["train", "--arch", "100-16-10"], "starts with 784 inputs"),
    (["train", "--arch", "784-16-7"], "ends with 10 outputs"),
    (["train", "--arch", "784-10000000-10"], "7,950,000,010 parameters: more than"),
    (["train", "--epochs", "-3"], "--epochs: must be >= 1"),
    (["train", "--epochs", "two"], "--epochs: 'two' is not an int"),
    (["train", "--lr", "0"], "--lr: must be > 0"),
    (["train", "--lr", "-0.1"], "--lr: must be > 0"),
    (["train", "--lr", "inf"], "--lr: must be a finite number, got inf"),
    (["train", "--lr", "nan"], "--lr: must be a finite number, got nan"),
    (["train", "--weight-decay", "inf"], "--weight-decay: must be a finite number"),
    (["train", "--weight-decay", "nan"], "--weight-decay: must be a finite number"),
    (["train", "--weight-decay=-1e-3"], "--weight-decay: must be >= 0"),
    (["train", "--lr-decay", "inf"], "--lr-decay: must be a finite number"),
    (["train", "--seed", "-1"], "--seed: must be >= 0"),
    (["train", "--shift", "1000"], "--shift: must be >= 0 and < 28"),
    (["train", "--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
    (["train", "--schedule", "linear"], "invalid choice: 'linear'"),
    (["train", "--val-fraction", "1.5"], "--val-fraction: must be >= 0 and < 1"),
    (["train", "--momentum", "0.9"], "--momentum applies to --optimizer sgd only"),
    (["train", "--model", "lenet5", "--arch", "784-10"], "--arch applies to --model mlp"),
    (["train", "--data", "{empty}", "--no-download"], "no MNIST files there"),
    (["train", "--sample", "--limit", "1", "--val-fraction", "0"],
     "--limit 1: too few training digits"),
    (["train", "--sample", "--limit", "2"], "--limit 2: too few training digits"),
    (["evaluate", "{missing}", "--sample"], "does not exist"),
    (["evaluate", "{empty}", "--sample"], "(it is a folder)"),
    (["predict", "{model}", "{missing}"], "does not exist"),
    (["fly"], "invalid choice: 'fly'"),
]

# bad data (files that are not what they should be): exit 1
BAD_DATA = [
    (["evaluate", "{junk}", "--sample"], "is not a chainrule MNIST model"),
    (["evaluate", "{plain}", "--sample"], "is not a chainrule MNIST model"),
    (["evaluate", "{small}", "--sample"], "not an MNIST classifier"),
    (["evaluate", "{nan}", "--sample"], "hold NaN or infinite values"),
    (["predict", "{model}", "{text}"], "cannot read image"),
    (["predict", "{junk}", "{text}"], "is not a chainrule MNIST model"),
    (["train", "--data", "{wide}"], "images are 56x14, expected 28x28"),
    (["train", "--data", "{no_training}"], "no training digits"),
    (["evaluate", "{model}", "--data", "{wide}"], "images are 56x14, expected 28x28"),
]


def run_bad(argv, tmp_path, trained, monkeypatch, capsys):
    """main(argv) with the files of `bad_files`: its exit code and the one line it printed."""
    # no MNIST anywhere but where the arguments say (CI points CHAINRULE_DATA at it)
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if argv[0] == "predict":
        pytest.importorskip("PIL", reason="predict reads images with Pillow")
    files = bad_files(tmp_path, trained[0] / "model.npz")
    with pytest.raises(SystemExit) as exit_:
        main([a.format(**files) for a in argv] + ["--out", str(tmp_path / "run")] * (
            argv[0] == "train"))
    err = capsys.readouterr().err
    # one line (after argparse's usage, for what argparse itself refuses)
    assert "Traceback" not in err and err.count("error:") == 1, err
    return exit_.value.code, err.strip().splitlines()[-1]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_exit_2_with_a_message_naming_the_problem(argv, message, trained,
                                                                tmp_path, capsys, monkeypatch):
    code, err = run_bad(argv, tmp_path, trained, monkeypatch, capsys)
    assert code == 2 and message in err


@pytest.mark.parametrize(("argv", "message"), BAD_DATA, ids=[" ".join(a) for a, _ in BAD_DATA])
def test_bad_files_exit_1_with_a_message_naming_the_problem(argv, message, trained,
                                                           tmp_path, capsys, monkeypatch):
    code, err = run_bad(argv, tmp_path, trained, monkeypatch, capsys)
    assert code == 1 and message in err


def test_an_explicit_data_folder_is_searched_alone(tmp_path, monkeypatch, capsys):
    write_mnist(tmp_path / "elsewhere")
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "elsewhere"))
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--data", str(tmp_path / "typo"), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and f"--data {tmp_path / 'typo'}: no MNIST files" in err
    assert str(tmp_path / "elsewhere") not in err and not (tmp_path / "run").exists()


def test_debug_shows_the_traceback_instead_of_a_line(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a model at all")
    with pytest.raises(DataError, match="is not a chainrule MNIST model") as caught:
        main(["evaluate", str(tmp_path / "junk.npz"), "--sample", "--debug"])
    assert isinstance(caught.value.__cause__, ValueError)  # the traceback shows both


def test_an_unexpected_error_is_one_line_that_mentions_debug(tmp_path, monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("something nobody foresaw")
    monkeypatch.setattr("chainrule.cli.evaluate", broken)
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", str(tmp_path / "model.npz"), "--sample"])
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and len(err.strip().splitlines()) == 1
    assert "RuntimeError: something nobody foresaw" in err and "--debug" in err
