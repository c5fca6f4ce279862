"""Every file the project writes goes through one atomic writer (``sim.files``): a crash or an
error while writing leaves the user's old file whole and no temporary file behind."""

import os

import pytest

from sim.files import replaced_atomically, write_text_atomic


def test_an_error_while_writing_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "runs.csv"
    target.write_text("the user's results\n")
    with pytest.raises(RuntimeError):
        with replaced_atomically(target) as tmp:
            with open(tmp, "w") as f:
                f.write("half of a new fi")
            raise RuntimeError("disk pulled out")
    assert target.read_text() == "the user's results\n"
    assert os.listdir(tmp_path) == ["runs.csv"]


def test_a_finished_write_replaces_the_file_with_ordinary_permissions(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old\n")
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["report.md"]


def test_an_exclusive_write_never_overwrites(tmp_path):
    target = tmp_path / "my_scenario.yaml"
    target.write_text("mine\n")
    with pytest.raises(FileExistsError):
        write_text_atomic(target, "theirs\n", exclusive=True)
    assert target.read_text() == "mine\n"
    assert os.listdir(tmp_path) == ["my_scenario.yaml"]
    fresh = tmp_path / "new.yaml"
    write_text_atomic(fresh, "x: 1\n", exclusive=True)
    assert fresh.read_text() == "x: 1\n"


def test_a_writer_that_picks_its_format_from_the_name_gets_the_suffix(tmp_path):
    with replaced_atomically(tmp_path / "shot.png", suffix=".png") as tmp:
        assert tmp.endswith(".png")
        open(tmp, "wb").close()
    assert (tmp_path / "shot.png").exists()
