"""The `chainrule` command line: its entry points, and bad arguments refused with a message."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from chainrule.cli import main

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
        pytest.importorskip("PIL", reason="predict reads images with Pillow")
    files = bad_files(tmp_path, trained[0] / "model.npz")
    with pytest.raises(SystemExit) as exit_:
        main([a.format(**files) for a in argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
