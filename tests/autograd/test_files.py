"""autograd.files: atomic writes of files and of whole folders, and what crashed saves leave."""

import os
import stat
import subprocess
import sys

import pytest

from autograd.files import atomic_folder, atomic_write, atomic_write_text


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_crashed_saves_part_file_is_removed_by_the_next_save(tmp_path):
    stale = tmp_path / f".model.npz.{dead_pid()}-1a2b3c4d.part"
    stale.write_bytes(b"half of an old save")
    other = tmp_path / ".other.npz.1-1a2b3c4d.part"  # another file's: not ours to judge
    other.write_bytes(b"x")
    atomic_write_text(tmp_path / "model.npz", "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "model.npz"]


def test_a_part_file_of_a_running_process_is_left_alone(tmp_path):
    # a save under way in another process (here: this test's parent, which is alive)
    live = tmp_path / f".model.npz.{os.getppid()}-1a2b3c4d.part"
    live.write_bytes(b"being written")
    atomic_write_text(tmp_path / "model.npz", "new")
    assert live.read_bytes() == b"being written"


def test_replacing_a_file_keeps_its_mode(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() == "new"


def test_writing_through_a_symlink_replaces_its_target_not_the_link(tmp_path):
    (tmp_path / "store").mkdir()
    real = tmp_path / "store" / "model.npz"
    real.write_text("old")
    link = tmp_path / "latest.npz"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert os.listdir(tmp_path / "store") == ["model.npz"]


def test_atomic_folder_appears_only_once_complete(tmp_path):
    run = tmp_path / "run"
    with atomic_folder(run) as stage:
        (stage / "model.npz").write_text("weights")
        assert not run.exists() and stage.parent == tmp_path and stage.name.startswith(".run.")
    assert os.listdir(run) == ["model.npz"] and os.listdir(tmp_path) == ["run"]


def test_atomic_folder_leaves_nothing_when_the_block_fails(tmp_path):
    with pytest.raises(RuntimeError), atomic_folder(tmp_path / "run") as stage:
        (stage / "model.npz").write_text("half")
        raise RuntimeError
    assert os.listdir(tmp_path) == []


def test_atomic_folder_refuses_a_non_empty_folder_unless_replacing(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.npz").write_text("a good model")
    with pytest.raises(FileExistsError, match="run"), atomic_folder(run):
        pass
    assert (run / "model.npz").read_text() == "a good model"
    with atomic_folder(run, replace=True) as stage:
        (stage / "report.md").write_text("new run")
        assert (run / "model.npz").read_text() == "a good model"  # replaced only at the end
    assert os.listdir(run) == ["report.md"] and os.listdir(tmp_path) == ["run"]


def test_atomic_folder_takes_an_empty_folder_and_refuses_a_file(tmp_path):
    (tmp_path / "empty").mkdir()
    with atomic_folder(tmp_path / "empty") as stage:
        (stage / "a").write_text("a")
    assert os.listdir(tmp_path / "empty") == ["a"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="file"), atomic_folder(tmp_path / "file"):
        pass
    with pytest.raises(NotADirectoryError, match="is a file"), \
            atomic_folder(tmp_path / "file" / "run"):
        pass


def test_atomic_folder_removes_a_crashed_runs_stage(tmp_path):
    stale = tmp_path / f".run.{dead_pid()}-1a2b3c4d.part"
    stale.mkdir()
    (stale / "model.npz").write_text("half")
    with atomic_folder(tmp_path / "run"):
        pass
    assert os.listdir(tmp_path) == ["run"]


def test_atomic_write_is_unchanged_for_a_plain_new_file(tmp_path):
    with atomic_write(tmp_path / "x") as file:
        file.write(b"abc")
    assert (tmp_path / "x").read_bytes() == b"abc" and os.listdir(tmp_path) == ["x"]
