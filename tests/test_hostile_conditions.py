"""Hostile conditions around a command, through the command line: what the parse cache
(``$XDG_CACHE_HOME/greatpower/yaml``) finds in its folder never hangs, exhausts memory, crashes,
writes outside the user's cache or gives another scenario's data.

A cache entry is trusted only if it is a regular file of this user in a folder of this user that
no one else may write, and its checksum covers the text it was written for: ``marshal.loads`` of
crafted data can crash the interpreter, and a plain checksum is no secret. All command lines run
once, in one module fixture, through ``tests/cli_batch.py`` (one forked process per command line).
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "tests" / "data" / "minimal.yaml"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _entry(text: str, cache: Path) -> tuple[Path, bytes]:
    """The parse cache entry of ``text`` under the cache home ``cache``, and its key."""
    from sim import loader

    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    try:
        return loader._parse_cache_file(text)
    finally:
        if before is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = before


def _plant(text: str, cache: Path, key_text: str | None = None) -> Path:
    """Write, under the name of ``text``'s entry, a well-formed entry whose data is another
    scenario's (named 'Planted', 99 turns), with the checksum of ``key_text``'s key."""
    path, key = _entry(text, cache)
    if key_text is not None:
        key = _entry(key_text, cache)[1]
    from sim.loader import read_source

    data = read_source(text).data | {"name": "Planted", "turns": 99}
    payload = marshal.dumps(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(hashlib.sha256(key + payload).digest() + payload)
    return path


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Build every cache folder, then run ``validate`` of the minimal scenario against each."""
    d = tmp_path_factory.mktemp("hostile")
    text = MINIMAL.read_text()
    (d / "minimal.yaml").write_text(text)
    envs: dict[str, dict] = {}

    def cache(name: str) -> Path:
        envs[name] = {"XDG_CACHE_HOME": str(d / name)}
        return d / name

    fifo, _ = _entry(text, cache("fifo"))
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    endless, _ = _entry(text, cache("endless"))
    endless.parent.mkdir(parents=True)
    endless.symlink_to("/dev/zero")
    _plant(text, cache("shared"))
    (d / "shared" / "greatpower" / "yaml").chmod(0o777)  # a folder anyone may write
    target = d / "elsewhere"
    _plant(text, target)  # a private folder of planted entries...
    (d / "linked" / "greatpower").mkdir(parents=True)
    (d / "linked" / "greatpower" / "yaml").symlink_to(target / "greatpower" / "yaml")  # ...linked to
    cache("linked")
    other = text.replace("turns: 12", "turns: 5")
    _plant(text, cache("renamed"), key_text=other)  # another text's entry under this text's name
    if IS_ROOT:
        os.chown(_plant(text, cache("foreign")), 4321, 4321)  # an entry of another user
    (d / "work").mkdir()
    envs["relative"] = {"XDG_CACHE_HOME": "relcache"}
    envs["relative_home"] = {"XDG_CACHE_HOME": None, "HOME": "relhome"}
    envs["fresh"] = {"XDG_CACHE_HOME": str(d / "fresh")}
    batch = [{"name": k, "cwd": str(d / "work"), "args": ["validate", "../minimal.yaml"], "env": env} for k, env in envs.items()]
    batch.append({"name": "fresh_again", "cwd": str(d / "work"), "args": ["validate", "../minimal.yaml"], "env": envs["fresh"], "phase": 1})
    (d / "cases.json").write_text(json.dumps(batch))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "200"}
    subprocess.run([sys.executable, str(REPO / "tests" / "cli_batch.py"), str(d / "cases.json"), str(d / "results.json")], check=True, timeout=600, env=env, cwd=d)
    return d, json.loads((d / "results.json").read_text())


def _validated(res: dict) -> str:
    """The OK line of ``validate`` (and the checks every such run passes)."""
    assert res["code"] == 0, res
    assert "Traceback" not in res["stdout"] + res["stderr"], res["stderr"]
    assert res["stderr"].strip() == "", res["stderr"]
    return res["stdout"].strip()


def test_a_pipe_or_an_endless_device_in_place_of_a_cache_entry_is_ignored(cases):
    _d, res = cases
    for name in ("fifo", "endless"):  # the pipe hung the command; /dev/zero exhausted memory
        assert _validated(res[name]).startswith("OK ../minimal.yaml: 'Minimal', start 2021-10, 12 turns"), name


@pytest.mark.parametrize("name", ["shared", "linked", "renamed", pytest.param("foreign", marks=pytest.mark.skipif(not IS_ROOT, reason="chown needs root"))])
def test_a_cache_entry_that_another_user_could_have_written_is_never_read(cases, name):
    d, res = cases
    out = _validated(res[name])
    assert "Planted" not in out and "12 turns" in out, out


def test_a_shared_cache_folder_is_made_private_and_a_linked_one_is_left_alone(cases):
    d, _res = cases
    mode = stat.S_IMODE((d / "shared" / "greatpower" / "yaml").stat().st_mode)
    assert not mode & 0o022, oct(mode)
    assert len(list((d / "elsewhere" / "greatpower" / "yaml").iterdir())) == 1  # nothing written through the link


def test_a_relative_cache_home_or_home_writes_nothing_in_the_working_folder(cases):
    d, res = cases
    for name in ("relative", "relative_home"):
        _validated(res[name])
    assert list((d / "work").iterdir()) == []


def test_the_cache_still_serves_its_own_entries(cases):
    d, res = cases
    assert _validated(res["fresh"]) == _validated(res["fresh_again"])
    (entry,) = (d / "fresh" / "greatpower" / "yaml").iterdir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
