"""Every run can be replayed: file order, seeds of any size, overrides, one run of a sweep, saves.

- The order in which a scenario file lists its entries (actors, blocs, issues, channels,
  theatres, members, pairs, events of one turn, ...) never changes a result: permuted copies of
  the built-in scenarios give a byte-identical turn log.
- A seed is any whole number in [0, 2**64 - 1] (what a sweep writes), and a numpy integer seed
  gives the same run as the equal Python int.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ruamel.yaml import YAML

from sim.loader import load_scenario
from sim.model import GreatPowerModel

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline_2021.yaml"
MISSION = REPO / "scenarios" / "nato_mission_2021.yaml"

SET_LISTS = {"members", "veto", "present", "decided_by", "staffing_channels", "suspend_channels", "red_lines", "factions", "events", "great_powers"}
"""Lists whose order carries no meaning (channel ``issues`` and ``theatres`` too, handled below)."""


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "run.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.width = 4096
    return y


def permuted(data, rnd: random.Random | None, parent: str = ""):
    """A copy of YAML data with every mapping's keys reordered (reversed when ``rnd`` is None,
    else shuffled), relation pairs written ``B-A`` and every order-free list shuffled."""
    if isinstance(data, dict):
        keys = list(data)
        if rnd is None:
            keys.reverse()
        else:
            rnd.shuffle(keys)
        out = {}
        for k in keys:
            v = permuted(data[k], rnd, str(k))
            if parent in ("tension", "alignment") and isinstance(k, str) and k.count("-") == 1:
                a, b = k.split("-")
                k = f"{b}-{a}"
            out[k] = v
        return out
    if isinstance(data, list):
        items = [permuted(v, rnd, "") for v in data]
        if parent in SET_LISTS or (parent in ("issues", "theatres") and all(isinstance(v, str) for v in items)):
            if rnd is None:
                items.reverse()
            else:
                rnd.shuffle(items)
        return items
    return data


def write_permuted(src: Path, dst: Path, rnd: random.Random | None, top_only: tuple[str, ...] = ()) -> None:
    """Write ``src`` to ``dst`` with its order permuted (``top_only``: only those sections, reversed)."""
    y = _yaml()
    data = y.load(src.read_text(encoding="utf-8"))
    if top_only:
        for sec in top_only:
            data[sec] = dict(reversed(list(data[sec].items())))
        plain = data
    else:
        plain = permuted(data, rnd)
    with open(dst, "w", encoding="utf-8") as f:
        y.dump(plain, f)


def turn_log(scenario, seed: int, turns: int) -> str:
    m = GreatPowerModel(scenario, seed=seed, turns=turns)
    while m.running:
        m.step()
    return json.dumps(m.log, sort_keys=True)


def test_reversed_actors_give_a_byte_identical_turn_log_through_the_command_line(tmp_path):
    rev = tmp_path / "baseline_reversed.yaml"
    write_permuted(BASELINE, rev, None, top_only=("actors",))
    text = rev.read_text(encoding="utf-8")
    assert text.index("  USA:") > text.index("  RUS:")  # really reversed
    procs = {}
    for name, path in (("orig", BASELINE), ("rev", rev)):
        out = tmp_path / f"{name}.jsonl"
        cmd = [sys.executable, str(REPO / "run.py"), "run", str(path), "--seed", "9", "--turns", "12", "--quiet", "--log", str(out)]
        procs[name] = (out, subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    logs = []
    for out, proc in procs.values():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        logs.append(out.read_text(encoding="utf-8").splitlines())
    assert json.loads(logs[0][0])["scenario_file"] != json.loads(logs[1][0])["scenario_file"]
    assert len(logs[0]) == 13
    assert logs[0][1:] == logs[1][1:]


@pytest.fixture(scope="module")
def original_logs() -> dict[str, str]:
    return {src.name: turn_log(load_scenario(src), 9, 12) for src in (BASELINE, MISSION)}


@pytest.mark.parametrize("shuffle", [None, 1, 2])
def test_permuted_scenarios_give_the_same_turn_log(tmp_path, shuffle, original_logs):
    """Every mapping and order-free list permuted at every depth, pairs flipped; ``extends`` kept."""
    rnd = None if shuffle is None else random.Random(shuffle)
    for src in (BASELINE, MISSION):
        write_permuted(src, tmp_path / src.name, rnd)  # the mission file extends the baseline's name
    for src in (BASELINE, MISSION):
        copy = tmp_path / src.name
        assert copy.read_text(encoding="utf-8") != src.read_text(encoding="utf-8")
        assert turn_log(load_scenario(copy), 9, 12) == original_logs[src.name], src.name


def test_a_pair_given_twice_in_either_order_is_refused(tmp_path):
    from sim.loader import ScenarioError

    text = BASELINE.read_text(encoding="utf-8").replace(
        "    CHN-USA: {value: 0.6, source: \"interview L31 (China the main adversary)\"}",
        "    CHN-USA: {value: 0.6, source: \"interview L31 (China the main adversary)\"}\n    USA-CHN: 0.1",
    )
    p = tmp_path / "twice.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert [(q.path, q.message) for q in info.value.problems] == [("relations.tension.USA-CHN", "the pair is already given as 'CHN-USA'")]
