"""`chainrule train`'s run folder: checked before training, written whole, never lost or mixed."""

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from interrupts import interrupting_evaluate

import nn
import nn.io
import nn.train
from chainrule.cli import main

REPO = Path(__file__).resolve().parents[2]
TINY = ["--sample", "--epochs", "1", "--limit", "300", "--seed", "0"]
RUN_FILES = {"model.npz", "history.json", "history.csv", "metrics.json", "report.md"}


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if the command gets as far as loading data."""
    def load_data(*args):
        pytest.fail("the data was loaded: the problem was not caught before training")
    monkeypatch.setattr("chainrule.train.load_data", load_data)


def refused(argv, capsys, code=2):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    # one line (after argparse's usage, for what argparse itself refuses)
    assert exit_.value.code == code and "Traceback" not in err and err.count("error:") == 1
    return err.strip().splitlines()[-1]


def test_out_below_a_file_is_refused_before_training(tmp_path, capsys, no_training):
    (tmp_path / "afile").write_text("x")
    err = refused(["train", *TINY, "--out", str(tmp_path / "afile" / "run")], capsys)
    assert f"--out {tmp_path / 'afile' / 'run'}: cannot write a run there" in err
    assert "is a file" in err and "--force" not in err
    err = refused(["train", *TINY, "--out", str(tmp_path / "afile" / "deeper" / "run")], capsys)
    assert "Not a directory" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions that bind (not root)")
def test_out_in_an_unwritable_folder_is_refused_before_training(tmp_path, capsys, no_training):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    err = refused(["train", *TINY, "--out", str(locked / "run")], capsys)
    assert "--out" in err and "ermission denied" in err


def test_an_empty_out_is_refused(capsys, no_training):
    assert "--out: an empty folder name" in refused(["train", *TINY, "--out", ""], capsys)


def test_an_existing_run_is_kept_unless_forced(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "report.md").write_text("a good run")
    err = refused(["train", *TINY, "--out", str(run)], capsys)
    assert "is a folder that is not empty" in err and "--force" in err
    assert os.listdir(run) == ["report.md"]
    assert main(["train", *TINY, "--out", str(run), "--force"]) == 0
    assert set(os.listdir(run)) >= RUN_FILES and "report.md" in os.listdir(run)
    assert "a good run" not in (run / "report.md").read_text()
    assert os.listdir(tmp_path) == ["run"]  # no stage or old run left beside it


def test_a_full_disk_at_the_end_keeps_the_trained_weights(tmp_path, capsys, monkeypatch):
    disk, spare = tmp_path / "disk", tmp_path / "spare"
    disk.mkdir()
    spare.mkdir()
    real = nn.io.atomic_write

    def full_disk(path):
        if Path(path).is_relative_to(disk):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path)
    monkeypatch.setattr(nn.io, "atomic_write", full_disk)
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    err = refused(["train", *TINY, "--out", str(disk / "run")], capsys, code=1)
    assert "No space left on device" in err and str(disk / "run") in err
    kept = next(spare.iterdir())
    assert str(kept / "model.npz") in err
    assert isinstance(nn.load(kept / "model.npz"), nn.Module)
    assert os.listdir(disk) == []  # no half-written run


def interrupt_validation(monkeypatch, at_call):
    monkeypatch.setattr(nn.train, "evaluate", interrupting_evaluate(at_call))


def test_ctrl_c_in_the_first_validation_saves_nothing(tmp_path, monkeypatch, capsys):
    interrupt_validation(monkeypatch, 1)
    assert main(["train", *TINY, "--out", str(tmp_path / "run")]) == 130
    assert "interrupted before the first epoch was validated: nothing saved" in (
        capsys.readouterr().out)
    assert os.listdir(tmp_path) == []


def test_ctrl_c_in_a_later_validation_saves_the_whole_epochs(tmp_path, monkeypatch):
    interrupt_validation(monkeypatch, 2)
    run = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "3", "--out", str(run)]) == 0
    history = json.loads((run / "history.json").read_text())
    assert history["interrupted"] and len(history["val_loss"]) == len(history["lr"]) == 1
    assert (run / "history.csv").read_text().count("\n") == 2
    assert "Interrupted" in (run / "report.md").read_text()


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix",
                    reason="sends SIGTERM to a child process")
def test_sigterm_stops_training_like_ctrl_c(tmp_path):
    run = tmp_path / "run"
    child = subprocess.Popen(
        [sys.executable, "-u", "-m", "chainrule", "train", *TINY, "--epochs", "1000",
         "--out", str(run)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    for line in child.stdout:
        if line.startswith("epoch 2/1000"):
            child.send_signal(signal.SIGTERM)
            break
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert "training interrupted" in out and "Traceback" not in err
    history = json.loads((run / "history.json").read_text())
    assert history["interrupted"] and 2 <= len(history["train_loss"]) < 1000


def test_a_non_finite_loss_is_warned_about(tmp_path, monkeypatch, capsys):
    real = nn.cross_entropy

    def diverged(logits, targets):
        return real(logits, targets) * float("nan")
    monkeypatch.setattr(nn, "cross_entropy", diverged)
    main(["train", *TINY, "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert "warning: training ended with a non-finite loss (nan)" in out


def test_make_demo_can_run_twice():
    demo = (REPO / "Makefile").read_text().split("\ndemo:")[1].split("\n\n")[0]
    assert "chainrule train" in demo and "--force" in demo
