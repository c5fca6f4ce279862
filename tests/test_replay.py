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


def cli(*args: str):
    """The command line in this process (click's runner): ``(exit code, stdout, stderr)``.

    An exception other than the command's own exit fails the test (it would be a traceback)."""
    from click.testing import CliRunner

    from sim.cli.main import main

    r = CliRunner().invoke(main, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


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


# --------------------------------------------------------------------------- seeds
SEED_MAX = 2**64 - 1


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


@pytest.mark.parametrize("seed", [0, 5, 2**63 + 11, SEED_MAX])
def test_a_numpy_integer_seed_gives_the_run_of_the_equal_int(baseline, seed):
    ref = turn_log(baseline, seed, 4)
    assert turn_log(baseline, np.uint64(seed), 4) == ref
    if seed < 2**63:
        assert turn_log(baseline, np.int64(seed), 4) == ref


def test_seeds_that_are_not_whole_numbers_or_negative_are_refused(baseline):
    for bad, err in ((7.0, TypeError), (True, TypeError), ("7", TypeError), (-1, ValueError)):
        with pytest.raises(err):
            GreatPowerModel(baseline, seed=bad)


def test_mesa_batch_run_gives_the_same_run_for_a_numpy_and_a_python_seed():
    import mesa

    from sim.sweep.mesa_compat import SweepModel

    rows = {}
    for name, seed in (("int", 2**63 + 5), ("numpy", np.uint64(2**63 + 5))):
        out = mesa.batch_run(SweepModel, {"scenario": str(BASELINE), "seed": [seed], "turns": 4, "dynamics.tension_decay": [np.float64(0.07)]}, number_processes=1, display_progress=False)
        rows[name] = out[-1]["outcomes"]
    assert rows["int"] == rows["numpy"]
    assert rows["int"]["turn"] in (3, 4)  # Mesa 3.3's batch_run reports one turn short (see mesa_compat)


def test_run_takes_the_largest_sweep_seed(tmp_path):
    log = tmp_path / "big.jsonl"
    r = run_cli("run", "--seed", str(SEED_MAX), "--turns", "2", "--quiet", "--log", str(log))
    assert r.returncode == 0, r.stderr
    assert json.loads(log.read_text().splitlines()[0])["seed"] == SEED_MAX
    r = run_cli("run", "--seed", str(SEED_MAX + 1), "--turns", "1", "--quiet")
    assert r.returncode == 2 and "Traceback" not in r.stderr


# --------------------------------------------------------------------------- saves
SUMMIT = {"kind": "summit", "actors": ["USA", "RUS"], "channel": "USA-RUS-SUMMIT", "text": "an extra summit"}


def human_turn(ctrl) -> None:
    """RUS meets every pending proposal half-way and sends its first legal proposal; the turn runs."""
    answered = set()
    for a in ctrl.legal():
        if a.kind == "answer" and a.choice == "compromise" and (a.issue, a.target) not in answered:
            answered.add((a.issue, a.target))
            ctrl.choose(a)
    first = next((a for a in ctrl.legal() if a.kind == "propose"), None)
    if first is not None:
        ctrl.choose(first)
    assert ctrl.end_turn(), ctrl.message
    ctrl.skip_animation()
    ctrl.dismiss_results()  # the instructor moves on from the month's results


def save_and_load(ctrl, path: Path, scenario=None):
    """Save the game to ``path`` and load it back as ``play --load`` does (the scenario is read
    again from the file the save names unless one is given)."""
    from sim.ui import save as saves
    from sim.ui.controller import GameController

    ctrl.save(str(path))
    data = saves.read_save(path)
    if scenario is None:
        scenario, sc_path = saves.scenario_of(data, path)
    else:
        sc_path = saves.find_scenario(data, path)
    return GameController.from_save(data, scenario, sc_path, anim_seconds=0.0)


@pytest.mark.parametrize("inject_at", [None, 5], ids=["scheduled-summit", "injected-summit-too"])
def test_save_then_load_after_every_turn_resumes_exactly(baseline, tmp_path, inject_at):
    """Baseline, seed 7, RUS human, 12 turns (the scheduled summit is turn 3): after each turn the
    game is saved and loaded; the loaded game shows the same state, offers the same actions, and
    plays on to the same end as the game that was never saved. With ``inject_at``, an instructor
    summit is queued after that turn (and saved while queued) for the next."""
    from sim.ui.controller import GameController

    def game():
        return GameController(baseline, str(BASELINE), seed=7, humans=["RUS"], turns=12, anim_seconds=0.0)

    ref = game()
    while ref.model.running:
        if ref.model.turn == inject_at:
            assert ref.inject(SUMMIT), ref.message
        human_turn(ref)
    assert len(ref.model.log) == 12
    assert any(e.get("kind") == "summit" for e in ref.model.log[2]["events"])  # turn 3
    ctrl = game()
    for t in range(1, 13):
        human_turn(ctrl)
        assert ctrl.model.turn == t
        loaded = save_and_load(ctrl, tmp_path / f"turn{t:02d}.json", None if t == 3 else baseline)
        assert loaded.model.snapshot() == ctrl.model.snapshot(), t
        assert loaded.history == ctrl.history
        if ctrl.model.running:
            assert loaded.legal() == ctrl.legal(), t
        if t == inject_at:
            assert loaded.inject(SUMMIT), loaded.message
            loaded = save_and_load(loaded, tmp_path / "queued.json", baseline)
            assert [e.kind for e in loaded.model.injected] == ["summit"]
        ctrl = loaded  # play on with the loaded game: it must end as the reference did
    assert ctrl.model.log == ref.model.log
    if inject_at is not None:
        assert any(e.get("kind") == "summit" for e in ref.model.log[inject_at]["events"])


# --------------------------------------------------------------------------- one run of a sweep
@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """A grid sweep of 2 points x 2 runs x 6 turns, with a --set too (in this process)."""
    pytest.importorskip("pyarrow")
    import pandas as pd

    from sim.sweep.runner import SweepOptions, plan_sweep, run_sweep

    out = tmp_path_factory.mktemp("sweep") / "grid"
    plan = plan_sweep(str(BASELINE), runs=2, seed=3, sets=["ai.temperature=0.07"], grids=["actors.USA.threat.CHN=0.5,0.9"], turns=6)
    res = run_sweep(plan, SweepOptions(out=out, workers=1))
    assert res.status == "complete"
    return out, pd.read_parquet(out / "runs.parquet")


def test_run_from_sweep_reproduces_each_run_of_a_grid_sweep(small_sweep, tmp_path):
    out, runs = small_sweep
    assert len(runs) == 4 and runs["point"].nunique() == 2
    for k in runs["run_id"]:
        log = tmp_path / f"run{k}.jsonl"
        code, stdout, err = cli("run", "--from-sweep", str(out), "--run-id", str(k), "--quiet", "--log", str(log))
        assert code == 0, err
        assert f"run {k} of the sweep" in stdout
        row = runs[runs["run_id"] == k].iloc[0]
        lines = [json.loads(x) for x in log.read_text().splitlines()]
        head, last = lines[0], lines[-1]["summary"]
        assert head["seed"] == int(row["seed"]) and isinstance(row["seed"], np.unsignedinteger)
        assert head["overrides"] == {"ai.temperature": 0.07, "actors.USA.threat.CHN": float(row["param.actors.USA.threat.CHN"])}
        assert head["from_sweep"]["run_id"] == k
        assert last["end_state"] == row["end_state"] and last["turn"] == row["turns"]
        outcome_cols = [c for c in runs.columns if c.startswith(("issue.", "tension.", "alignment."))] + ["incidents", "crises", "agreements", "channels_open"]
        for c in outcome_cols:
            assert last[c] == row[c], (k, c)


def test_run_set_gives_the_sweep_run_with_the_same_seed_and_values(small_sweep, tmp_path):
    """``run --set`` with a sweep row's parameters and seed is that run (the seed read as numpy)."""
    out, runs = small_sweep
    row = runs.iloc[3]
    log = tmp_path / "set.jsonl"
    code, _, err = cli("run", str(BASELINE), "--seed", str(row["seed"]), "--turns", "6", "--set", "ai.temperature=0.07", "--set", f"actors.USA.threat.CHN={row['param.actors.USA.threat.CHN']}", "--quiet", "--log", str(log))
    assert code == 0, err
    last = json.loads(log.read_text().splitlines()[-1])["summary"]
    assert all(last[c] == row[c] for c in runs.columns if c.startswith(("issue.", "tension.")))


@pytest.mark.parametrize(
    "args, expect",
    [
        (["--run-id", "1"], "--run-id needs --from-sweep DIR"),
        (["--from-sweep", "{out}"], "--from-sweep needs --run-id K"),
        (["--from-sweep", "{out}", "--run-id", "4"], "--run-id 4 is not a run of this sweep (run ids 0 to 3)"),
        (["--from-sweep", "{out}", "--run-id", "1", "--seed", "3"], "leave out --seed"),
        (["--from-sweep", "{tmp}", "--run-id", "0"], "no sweep here (no manifest.json)"),
        (["--from-sweep", "{out}", "--run-id", "0", "{mission}"], "not the scenario of the sweep in"),
        (["--set", "dynamics.tension_decay=2"], "--set dynamics.tension_decay=2: must be <= 1, got 2"),
        (["--set", "actors.XXX.capability=2"], "--set actors.XXX.capability=2: unknown path: actors has no 'XXX'"),
        (["--set", "turns"], "--set turns: expected path=value"),
    ],
)
def test_bad_replay_options_are_one_line_and_exit_2(small_sweep, tmp_path, args, expect):
    out, _ = small_sweep
    args = [a.format(out=out, tmp=tmp_path, mission=MISSION) for a in args]
    code, stdout, err = cli("run", *args, "--quiet")
    assert code == 2, stdout
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0], err


def test_play_from_sweep_starts_that_run_and_a_save_keeps_its_overrides(small_sweep, tmp_path, monkeypatch):
    """``play --from-sweep`` builds the run's world; its save loads with the overrides again."""
    pytest.importorskip("pygame")
    from sim.ui import save as saves
    from sim.ui.controller import GameController

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    out, runs = small_sweep
    shot = tmp_path / "shot.png"
    code, stdout, err = cli("play", "--from-sweep", str(out), "--run-id", "2", "--screenshot", str(shot))
    assert code == 0, err
    assert shot.read_bytes()[:4] == b"\x89PNG"
    # the same world through the controller: overrides applied, saved, and applied again on load
    from sim.cli.main import load_with_overrides

    sc, overrides, _ = load_with_overrides(str(BASELINE), ["actors.USA.threat.CHN=0.9"])
    ctrl = GameController(sc, str(BASELINE), seed=int(runs.iloc[2]["seed"]), humans=["RUS"], turns=6, overrides=overrides, anim_seconds=0.0)
    human_turn(ctrl)
    loaded = save_and_load(ctrl, tmp_path / "ov.json")
    assert loaded.overrides == {"actors.USA.threat.CHN": 0.9}
    assert loaded.scenario.actors["USA"].threat["CHN"].value == 0.9
    assert loaded.model.snapshot() == ctrl.model.snapshot()
    data = saves.read_save(tmp_path / "ov.json")
    data["overrides"] = {}
    with pytest.raises(saves.SaveError, match="differs"):
        GameController.from_save(data, *saves.scenario_of(data, tmp_path / "ov.json"))


def test_a_save_with_a_number_too_long_to_read_is_refused_in_one_line(tmp_path):
    """An integer of 10,000 digits (Python converts at most 4,300) is a damaged save: ``play
    --load`` and ``debrief`` refuse it with one line and exit 2, no traceback."""
    from sim.ui.save import SaveError, read_save

    bad = tmp_path / "bigint.json"
    bad.write_text('{"format": "greatpower-save", "save_version": 2, "turn": ' + "9" * 10_000 + "}")
    with pytest.raises(SaveError, match="a number too long to read"):
        read_save(bad)
    r = subprocess.run([sys.executable, "run.py", "debrief", str(bad), "--out", str(tmp_path / "d")], capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout and "too long to read" in r.stderr + r.stdout


@pytest.fixture(scope="module")
def one_turn_save(tmp_path_factory) -> Path:
    """A real save of the baseline after one turn (``run.py run --save``)."""
    path = tmp_path_factory.mktemp("save") / "game.json"
    r = subprocess.run([sys.executable, "run.py", "run", "scenarios/baseline_2021.yaml", "--turns", "1", "--quiet", "--save", str(path)], capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 0, r.stderr
    return path


@pytest.mark.parametrize(
    "edit, expect",
    [
        (lambda t: '{"format": "x",' + t[1:], "the key 'format' appears twice in one object"),
        (lambda t: t.replace('"turn":1', '"turn":NaN', 1), "it holds NaN, which is not a number a game can have"),
        (lambda t: t.replace('"turn":1', '"turn":-Infinity', 1), "it holds -Infinity"),
    ],
)
def test_a_save_edited_into_what_this_program_never_writes_is_refused(one_turn_save, tmp_path, edit, expect):
    """A key given twice (JSON keeps the last silently) or a NaN / Infinity (saves are written
    without them) is an edited or damaged save: refused in one line, not loaded."""
    from sim.ui.save import SaveError, read_save

    text = one_turn_save.read_text(encoding="utf-8")
    assert '"turn":1' in text
    bad = tmp_path / "edited.json"
    bad.write_text(edit(text), encoding="utf-8")
    with pytest.raises(SaveError, match="edited by hand or damaged") as err:
        read_save(bad)
    assert expect in str(err.value) and "\n" not in str(err.value)


def test_a_save_whose_human_team_is_not_in_its_scenario_is_refused(one_turn_save):
    from sim.model import GreatPowerModel
    from sim.ui import save as saves

    data = saves.read_save(one_turn_save)
    data["humans"] = ["ATLANTIS"]
    with pytest.raises(saves.SaveError, match="its human team 'ATLANTIS' is not an actor of the scenario"):
        saves.restore(data, saves.scenario_of(data, one_turn_save)[0], GreatPowerModel)
