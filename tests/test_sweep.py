"""Sweeps: reproducible across executors, crash-safe, clear about bad input.

Small sweeps only (8-30 runs of 6 turns) so that the file runs in well under a minute and a half.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # the package ``sweep`` also when the editable install predates it
    sys.path.insert(0, str(REPO))

from sim.cli.main import main  # noqa: E402
from sim.sweep.overrides import OverrideError, apply, build_grid, parse_flags, resolve  # noqa: E402
from sim.sweep.plan import run_seed  # noqa: E402
from sim.sweep.store import Store  # noqa: E402
from sim.sweep.summary import summarize, wilson  # noqa: E402

BASELINE = "scenarios/baseline_2021.yaml"
SMALL = [BASELINE, "--runs", "4", "--turns", "6", "--grid", "actors.USA.threat.CHN=0.5,0.9", "--seed", "5", "--per-turn"]
LONGER = [BASELINE, "--runs", "15", "--turns", "6", "--grid", "actors.USA.threat.CHN=0.5,0.9", "--seed", "9"]


def sweep(args: list[str], out: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python run.py sweep ARGS --out OUT`` in a fresh process, as a user runs it."""
    e = dict(os.environ)
    e.pop("GREATPOWER_SWEEP_FAIL_RUNS", None)
    e.update(env or {})
    e["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "run.py", "sweep", *args, "--out", str(out)], cwd=REPO, env=e, capture_output=True, text=True, timeout=timeout)


def cli(args: list[str], out: Path, env: dict | None = None):
    """``run.py sweep ARGS --out OUT`` in this process (click's test runner): cheaper than a process."""
    env = {"GREATPOWER_SWEEP_FAIL_RUNS": None, **(env or {})}
    return CliRunner().invoke(main, ["sweep", *args, "--out", str(out)], env=env, catch_exceptions=False)


def runs_of(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "runs.parquet")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The small sweep with one worker (runs in the calling process)."""
    out = tmp_path_factory.mktemp("sweep") / "ref"
    r = cli([*SMALL, "--workers", "1"], out)
    assert r.exit_code == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def longer_reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "longer"
    r = sweep([*LONGER, "--workers", "2"], out)
    assert r.returncode == 0, r.stderr
    return out


# ------------------------------------------------------------------ results and seeds
def test_reference_sweep_has_one_sorted_row_per_run(reference):
    runs = runs_of(reference)
    assert list(runs["run_id"]) == list(range(8))  # run id = run * points + point
    assert list(runs["point"]) == [0, 1] * 4
    assert list(runs["run"]) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert list(runs["param.actors.USA.threat.CHN"]) == [0.5, 0.9] * 4
    assert [int(s) for s in runs["seed"]] == [run_seed(5, p, r) for r in range(4) for p in range(2)]
    for col in ("end_state", "turns", "incidents", "crises", "agreements", "channels_open", "issue.embassy_staffing", "tension.CHN-USA", "peak_tension.RUS-USA", "alignment.CHN-RUS", "channel.RUS-NATO"):
        assert col in runs.columns
    assert (runs["turns"] <= 6).all()
    assert ((runs["tension.RUS-USA"] >= 0) & (runs["tension.RUS-USA"] <= runs["peak_tension.RUS-USA"] + 1e-6)).all()
    turns = pd.read_parquet(reference / "turns.parquet")
    assert len(turns) == (runs["turns"] + 1).sum()  # turn 0 and every turn played
    assert turns.groupby("run_id")["turn"].min().eq(0).all()
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["master_seed"] == 5 and manifest["n_runs"] == 8
    assert len(manifest["scenario"]["data_sha256"]) == 64
    assert manifest["versions"]["numpy"] == np.__version__
    assert manifest["finished"] and manifest["started"]
    assert not (reference / "parts").exists() or not any((reference / "parts").iterdir())


def test_one_worker_two_workers_and_dask_are_identical(reference, tmp_path):
    ref_runs = runs_of(reference)
    ref_turns = pd.read_parquet(reference / "turns.parquet")
    for name, extra in (("two", ["--workers", "2"]), ("dask", ["--executor", "dask", "--workers", "2"])):
        r = sweep([*SMALL, *extra], tmp_path / name)
        assert r.returncode == 0, r.stderr
        pd.testing.assert_frame_equal(runs_of(tmp_path / name), ref_runs, check_exact=True)
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name / "turns.parquet"), ref_turns, check_exact=True)
        assert "ETA" not in r.stderr  # no progress bar when stderr is not a terminal


# ------------------------------------------------------------------ faults
def test_sigkill_part_way_then_resume_equals_uninterrupted(longer_reference, tmp_path):
    out = tmp_path / "killed"
    e = dict(os.environ, PYTHONPATH=str(REPO))
    e.pop("GREATPOWER_SWEEP_FAIL_RUNS", None)
    proc = subprocess.Popen([sys.executable, "run.py", "sweep", *LONGER, "--workers", "1", "--batch-size", "1", "--out", str(out)], cwd=REPO, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if journal.exists() and len(journal.read_text().splitlines()) >= 3:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not (out / "runs.parquet").exists(), "the sweep finished before it was killed"
    done_before = sum(len(json.loads(line)["runs"]) for line in journal.read_text().splitlines() if line.strip())
    assert 3 <= done_before < 30
    r = sweep([*LONGER, "--workers", "2", "--resume"], out)
    assert r.returncode == 0, r.stderr
    runs = runs_of(out)
    assert runs["run_id"].is_unique
    pd.testing.assert_frame_equal(runs, runs_of(longer_reference), check_exact=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["resumed_from"] for s in manifest["sessions"]][-1] >= done_before
    assert manifest["sessions"][-1]["ran"] == 30 - manifest["sessions"][-1]["resumed_from"]


INTERRUPTED = [BASELINE, "--runs", "60", "--turns", "36", "--grid", "actors.USA.threat.CHN=0.5,0.9", "--seed", "9"]
"""A sweep long enough (120 runs of 36 turns, more than 1 s of the workers' time after the first
batch) that a Ctrl-C sent after its first saved batch always arrives before its end: with the
30 short runs of LONGER the interrupt could come after the last run on a fast machine, and the
test skipped itself."""


def test_ctrl_c_saves_finished_runs_and_resume_completes(tmp_path):
    out = tmp_path / "interrupted"
    e = dict(os.environ, PYTHONPATH=str(REPO))
    e.pop("GREATPOWER_SWEEP_FAIL_RUNS", None)
    proc = subprocess.Popen([sys.executable, "run.py", "sweep", *INTERRUPTED, "--workers", "2", "--batch-size", "2", "--out", str(out)], cwd=REPO, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not ((out / "journal.jsonl").exists() and (out / "journal.jsonl").read_text().strip()):
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    saved = sum(len(json.loads(line)["runs"]) for line in (out / "journal.jsonl").read_text().splitlines() if line.strip())
    assert 2 <= saved < 120  # the finished runs were saved, and not all of them had finished
    r = sweep([*INTERRUPTED, "--workers", "2", "--resume"], out)
    assert r.returncode == 0, r.stderr
    whole = tmp_path / "whole"
    r = sweep([*INTERRUPTED, "--workers", "2"], whole)
    assert r.returncode == 0, r.stderr
    pd.testing.assert_frame_equal(runs_of(out), runs_of(whole), check_exact=True)


def test_injected_failures_are_recorded_and_the_rest_complete(reference, tmp_path):
    out = tmp_path / "failing"
    r = cli([*SMALL, "--workers", "2"], out, env={"GREATPOWER_SWEEP_FAIL_RUNS": "1,6"})
    assert r.exit_code == 1
    assert "2 of 8 runs failed" in r.stderr and "Traceback" not in r.stderr
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [f["run_id"] for f in failures] == [1, 6]
    for f in failures:
        assert f["seed"] == run_seed(5, f["point"], f["run"]) and f["run_id"] == f["run"] * 2 + f["point"]
        assert f["params"] == {"actors.USA.threat.CHN": 0.5 if f["point"] == 0 else 0.9}
        assert "InjectedFailure" in f["traceback"] and f["error"].startswith("InjectedFailure")
    ref = runs_of(reference)
    got = runs_of(out)
    pd.testing.assert_frame_equal(got, ref[~ref["run_id"].isin([1, 6])].reset_index(drop=True), check_exact=True)
    # a resume retries the failed runs (the hook is off now) and the result is the whole sweep
    r = cli([*SMALL, "--workers", "1", "--resume"], out)
    assert r.exit_code == 0, r.stderr
    pd.testing.assert_frame_equal(runs_of(out), ref, check_exact=True)
    assert not (out / "failures.jsonl").exists()


def test_resume_makes_again_the_runs_of_a_damaged_part_file(reference, tmp_path):
    """A part file that cannot be read (a disk fault, a torn copy) costs only its own runs: the
    next --resume says so, drops that batch, makes its runs again, and the sweep completes with
    the results of an undamaged one. No run is counted as saved that is not readable."""
    out = tmp_path / "damaged"
    r = cli([*SMALL, "--workers", "1", "--batch-size", "2"], out, env={"GREATPOWER_SWEEP_FAIL_RUNS": "7"})
    assert r.exit_code == 1  # run 7 failed: the others are compacted into runs.parquet
    (out / "runs.parquet").write_bytes(b"PAR1" + b"\0" * 64)  # damaged past reading
    r = cli([*SMALL, "--workers", "1", "--resume"], out)
    assert r.exit_code == 0, r.stderr
    assert "runs.parquet: cannot read this part file; its 7 runs will be made again" in r.stderr
    assert "Traceback" not in r.stderr
    pd.testing.assert_frame_equal(runs_of(out), runs_of(reference), check_exact=True)


def test_a_batch_whose_part_file_is_damaged_is_dropped_and_the_others_kept(tmp_path):
    st = Store(tmp_path / "s")
    st.lock()
    st.load_journal()
    rows = [{"run_id": i, "point": 0, "run": i, "seed": 5, "end_state": "horizon", "x": 0.5} for i in range(4)]
    first, second = st.commit(rows[:2], [], []), st.commit(rows[2:], [], [])
    st.unlock()
    (tmp_path / "s" / second["runs_part"]).write_bytes(b"not parquet")
    again = Store(tmp_path / "s")
    state = again.load_journal()
    assert state.done == {0, 1} and state.damaged == [(second["runs_part"], 2)]
    assert (tmp_path / "s" / first["runs_part"]).exists() and not (tmp_path / "s" / second["runs_part"]).exists()
    assert [e["batch"] for e in state.entries] == [1]


def test_resume_refuses_another_sweep_and_out_is_never_overwritten(reference):
    r = cli([*SMALL, "--workers", "1"], reference)
    assert r.exit_code == 2 and "already holds a sweep" in r.stderr
    other = [BASELINE, "--runs", "4", "--turns", "6", "--grid", "actors.USA.threat.CHN=0.5,0.8", "--seed", "5", "--per-turn", "--resume"]
    r = cli(other, reference)
    assert r.exit_code == 2
    assert "--resume refused" in r.stderr and "--grid" in r.stderr and "Traceback" not in r.stderr
    r = cli([*SMALL[:-1], "--resume", "--set", "dynamics.tension_decay=0.1"], reference)
    assert r.exit_code == 2 and "--set" in r.stderr
    before = runs_of(reference)
    r = cli([*SMALL, "--workers", "1", "--resume"], reference)  # the same sweep, complete: nothing to do
    assert r.exit_code == 0, r.stderr
    assert "0 this session" in r.stderr
    pd.testing.assert_frame_equal(runs_of(reference), before, check_exact=True)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "flag, expected",
    [
        (["--set", "actors.XXX.threat.CHN=0.5"], "--set actors.XXX.threat.CHN=0.5: unknown path: actors has no 'XXX'"),
        (["--set", "actors.USA.threat.CHN=2"], "--set actors.USA.threat.CHN=2: must be <= 1, got 2"),
        (["--grid", "actors.USA.threat.CHN=0.5,1.5"], "--grid actors.USA.threat.CHN=1.5: must be <= 1, got 1.5"),
        (["--grid", "ai.temperature=0,0.1"], "--grid ai.temperature=0: must be > 0, got 0"),
        (["--set", "turns=2"], "events[0].turn"),
    ],
)
def test_bad_set_and_grid_exit_2_with_a_clear_message(flag, expected, tmp_path):
    out = tmp_path / "never"
    res = CliRunner().invoke(main, ["sweep", "scenarios/nato_mission_2021.yaml", "--runs", "2", *flag, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert expected in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()  # nothing ran


@pytest.mark.parametrize(
    "sets, grids, expected",
    [
        (["actors.USA.threat.JPN=0.5"], [], "--set actors.USA.threat.JPN=0.5: unknown path: actors.USA.threat has no 'JPN' (known: CHN, RUS)"),
        (["actors.USA.threat.CHN=high"], [], "--set actors.USA.threat.CHN=high: must be a number, got 'high'"),
        (["actors.USA=1"], [], "--set actors.USA=1: actors.USA is a group of fields, not a number"),
        (["ai.actions_per_turn=1.5"], [], "must be a whole number, got '1.5'"),
        (["actors.USA.threat.CHN"], [], "--set actors.USA.threat.CHN: expected path=value"),
        (["channels.RUS-NATO.endpoints=1"], [], "is a list, not a number"),
        ([], ["actors.USA.threat.CHN=0.5,0.5"], "a value is listed twice"),
        ([], ["actors.USA.threat.CHN=0.5,,0.7"], "empty value"),
        ([], ["actors.USA.threat.CHN=nan"], "must be a finite number"),
    ],
)
def test_flag_parsing_messages(source, sets, grids, expected):
    _src, dump = source
    with pytest.raises(OverrideError) as exc:
        parse_flags(sets, grids, dump)
    assert any(expected in m for m in exc.value.messages), exc.value.messages


def test_bad_scenario_file_exits_2(tmp_path):
    res = CliRunner().invoke(main, ["sweep", str(tmp_path / "missing.yaml"), "--runs", "2", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no such file" in res.stderr


# ------------------------------------------------------------------ overrides (units)
@pytest.fixture(scope="module")
def source():
    from sim.loader import read_file, read_source

    src = read_source(read_file(REPO / BASELINE), BASELINE)
    return src, src.validate().model_dump()


def test_override_keeps_the_source_and_says_so(source):
    src, dump = source
    t = resolve("actors.USA.threat.CHN", dump)
    assert t.kind == "quantity" and t.current == 0.9
    assert resolve("actors.USA.threat.CHN.value", dump) == t
    data = apply(src.data, [(t, 0.5)])
    q = data["actors"]["USA"]["threat"]["CHN"]
    assert q["value"] == 0.5 and q["source"].startswith("interview L31") and "[sweep override: 0.9 -> 0.5]" in q["source"]
    assert src.data["actors"]["USA"]["threat"]["CHN"]["value"] == 0.9  # the base data is not touched
    assert src.validate(data).actors["USA"].threat["CHN"].value == 0.5


def test_override_of_a_schema_default_and_of_list_items(source):
    src, dump = source
    t = resolve("dynamics.tension_decay", dump)  # not in the file: the schema's default
    assert "dynamics" not in src.data
    sc = src.validate(apply(src.data, [(t, 0.1)]))
    assert sc.dynamics.tension_decay.value == 0.1
    t2 = resolve("actors.RUS.red_lines[0].threshold", dump)
    assert t2 == resolve("actors.RUS.red_lines.0.threshold", dump)
    assert src.validate(apply(src.data, [(t2, 0.9)])).actors["RUS"].red_lines[0].threshold.value == 0.9
    t3 = resolve("ai.actions_per_turn", dump)
    assert t3.kind == "int"
    assert src.validate(apply(src.data, [(t3, 3)])).ai.actions_per_turn == 3
    assert resolve("ai.risk_model", dump).kind == "str"


def test_grid_is_the_product_of_the_axes_last_fastest(source):
    _src, dump = source
    ov = parse_flags(["dynamics.clash=0.01"], ["actors.USA.threat.CHN=0.5,0.9", "ai.temperature=0.01,0.02,0.05"], dump)
    g = build_grid(ov)
    assert len(g.points) == 6
    assert g.params(0) == {"dynamics.clash": 0.01, "actors.USA.threat.CHN": 0.5, "ai.temperature": 0.01}
    assert g.params(4) == {"dynamics.clash": 0.01, "actors.USA.threat.CHN": 0.9, "ai.temperature": 0.02}
    with pytest.raises(OverrideError):
        parse_flags(["ai.temperature=0.1"], ["ai.temperature=0.1,0.2"], dump)


def test_each_run_seed_is_the_spawned_child_of_its_point():
    from sim.sweep.plan import seed_int

    spawned = [[seed_int(c) for c in pt.spawn(5)] for pt in np.random.SeedSequence(2024).spawn(8)]
    seeds = [[run_seed(2024, p, r) for r in range(5)] for p in range(8)]
    assert seeds == spawned  # SeedSequence(S).spawn(points)[p].spawn(runs)[r], without spawning the rest
    flat = [s for row in seeds for s in row]
    assert len(set(flat)) == 40 and all(0 <= s < 2**64 for s in flat)
    assert all(run_seed(2024, p, r, common=True) == seeds[0][r] for p in range(8) for r in range(5))


def test_runs_hold_blas_at_one_thread_and_give_the_setting_back(source, monkeypatch):
    """A worker's runs use one BLAS thread (two workers' BLAS threads fought for the cores); an
    in-process sweep gives the user's own process its BLAS setting back afterwards."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from sim.sweep import worker
    from sim.sweep.plan import RunSpec
    from sim.sweep.worker import Bundle, run_chunk

    def blas_threads() -> set[int]:
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    seen = []
    real = worker.run_one
    monkeypatch.setattr(worker, "run_one", lambda b, s: (seen.append(blas_threads()), real(b, s))[1])
    src, _dump = source
    bundle = Bundle("t", src.data, [[]], 2, False, frozenset())
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        out = run_chunk(bundle, [RunSpec(0, 0, r, run_seed(1, 0, r)) for r in range(2)])
        after = blas_threads()
    assert len(out["rows"]) == 2 and not out["failures"]
    assert seen == [{worker.BLAS_THREADS}] * 2
    assert after == before


def test_worker_releases_finished_models(source):
    """Mesa 3.3 keeps every model in ``Agent._ids`` (Mesa #3179); the worker must drop them."""
    import gc
    import weakref

    import mesa

    from sim.sweep.plan import RunSpec
    from sim.sweep.worker import Bundle, run_one, scenario_for

    src, _dump = source
    bundle = Bundle("t", src.data, [[]], 2, False, frozenset())
    scenario_for(bundle, 0)
    before = len(getattr(mesa.Agent, "_ids", {}))
    row, turns = run_one(bundle, RunSpec(0, 0, 0, run_seed(1, 0, 0)))
    assert row["turns"] == 2 and turns == []
    assert len(getattr(mesa.Agent, "_ids", {})) == before
    from sim.model import GreatPowerModel

    m = GreatPowerModel(scenario_for(bundle, 0), seed=1, turns=1, reasons=False)
    ref = weakref.ref(m)
    from sim.sweep.worker import release_model

    release_model(m)
    del m
    gc.collect()
    assert ref() is None


# ------------------------------------------------------------------ store and summary (units)
def test_journal_ignores_a_torn_line_and_orphan_parts(tmp_path):
    st = Store(tmp_path / "s")
    st.lock()
    st.load_journal()
    row = {"run_id": 0, "point": 0, "run": 0, "seed": 2**63 + 5, "end_state": "horizon", "x": 0.5}
    st.commit([row], [], [])
    st.commit([dict(row, run_id=1, run=1)], [], [{"run_id": 2, "point": 0, "run": 2, "seed": 1, "params": {}, "error": "E", "traceback": "t"}])
    with open(st.journal_path, "a") as f:
        f.write('{"batch": 3, "runs": [3')  # killed while writing
    (st.parts_dir / "runs-000003.parquet").write_bytes(b"partial")
    st2 = Store(tmp_path / "s")
    state = st2.load_journal()
    assert state.done == {0, 1} and set(state.failures) == {2}
    assert not (st2.parts_dir / "runs-000003.parquet").exists()
    assert st2.compact(per_turn=False) == 2
    df = pd.read_parquet(st2.runs_path)
    assert list(df["run_id"]) == [0, 1] and int(df["seed"][0]) == 2**63 + 5
    st.unlock()


@pytest.mark.parametrize(
    "damage",
    [
        '{"batch": 3, "runs": [3], "failed": [], "runs_part": "parts/../../victim.parquet", "turns_part": null}\n',
        '{"batch": 3, "runs": [3], "failed": [], "runs_part": "../../../etc/passwd", "turns_part": null}\n',
        '{"batch": 3, "runs": [[3]], "failed": [], "runs_part": "parts/runs-000003.parquet", "turns_part": null}\n',
        "[" * 100_000 + "]" * 100_000 + "\n",
        None,  # 500 bytes that are not text
    ],
)
def test_a_damaged_or_crafted_journal_line_is_a_torn_line(tmp_path, damage):
    """A journal entry this program would not write (a part outside the sweep's parts folder, run
    ids of the wrong type, nesting too deep, bytes that are not text) is read as a torn line: its
    batch is run again, and no file outside the sweep's folder is read or deleted."""
    victim = tmp_path / "victim.parquet"
    victim.write_bytes(b"the user's own file")
    st = Store(tmp_path / "a" / "s")
    st.lock()
    st.load_journal()
    row = {"run_id": 0, "point": 0, "run": 0, "seed": 5, "end_state": "horizon", "x": 0.5}
    st.commit([row], [], [])
    with open(st.journal_path, "ab") as f:
        f.write(bytes(range(256)) * 2 if damage is None else damage.encode())
    st2 = Store(tmp_path / "a" / "s")
    state = st2.load_journal()
    assert state.done == {0}
    assert st2.compact(per_turn=False) == 1
    assert victim.read_bytes() == b"the user's own file"
    st.unlock()


def test_wilson_interval_and_summary():
    lo, hi = wilson(0, 10)
    assert lo == 0 and 0.25 < hi < 0.35
    lo, hi = wilson(5, 10)
    assert lo < 0.5 < hi and abs((lo + hi) / 2 - 0.5) < 1e-12
    runs = pd.DataFrame({"point": [0, 0, 1, 1], "end_state": ["horizon", "armed_clash", "horizon", "horizon"], "tension.RUS-USA": [0.2, 0.4, 0.5, 0.5], "incidents": [0, 2, 1, 1]})
    s = summarize(runs).set_index(["point", "outcome"])
    assert s.loc[(0, "end_state=armed_clash"), "mean"] == 0.5
    assert s.loc[(0, "tension.RUS-USA"), "mean"] == pytest.approx(0.3)
    assert s.loc[(0, "incidents"), "ci_low"] == 0.0  # clipped at the natural bound


# ------------------------------------------------------------------ report
def test_report_writes_plots_and_a_summary(reference, tmp_path):
    out = tmp_path / "report"
    res = CliRunner().invoke(main, ["report", str(reference), "--out", str(out)])
    assert res.exit_code == 0, res.output
    for name in ("end_states.png", "vs_1.png", "distributions_tension.png", "distributions_counts.png", "trajectory_tension_RUS-USA.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name
    md = (out / "report.md").read_text()
    # an issue either varies across runs (a trajectory figure) or is listed as constant, never both
    staffing = (out / "trajectory_issue_embassy_staffing.png").exists()
    assert staffing != ("`issue.embassy_staffing` =" in md)
    assert "![End states](end_states.png)" in md and "| end_state=horizon |" in md
    assert "<img" in (out / "report.html").read_text()
    assert "tension.CHN-USA" in (out / "summary.csv").read_text()
    res = CliRunner().invoke(main, ["report", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "no sweep here" in res.stderr


# ------------------------------------------------------------------ mesa.batch_run
def test_mesa_batch_run_over_a_two_point_grid_matches_the_sweep(reference):
    import mesa

    from sim.loader import load_scenario
    from sim.model import GreatPowerModel
    from sim.sweep.mesa_compat import SweepModel

    ref = runs_of(reference)
    seeds = [int(s) for s in ref["seed"][ref["run"] == 0]]  # run 0 of each grid point
    rows = mesa.batch_run(SweepModel, {"scenario": str(REPO / BASELINE), "actors.USA.threat.CHN": [0.5, 0.9], "seed": seeds, "turns": 6}, number_processes=1, data_collection_period=1, display_progress=False)
    turns = pd.read_parquet(reference / "turns.parquet")
    checked = 0
    for r in rows:
        point = 0 if r["actors.USA.threat.CHN"] == 0.5 else 1
        if r["seed"] != seeds[point]:
            continue  # the other grid point's seed with this parameter: not in the sweep
        rid = point  # run 0 of that grid point (run id = run * points + point)
        mine = turns[(turns["run_id"] == rid) & (turns["turn"] == r["Step"])].iloc[0]
        for k, v in r["outcomes"].items():
            assert mine[k] == v, (r["Step"], k)
        checked += 1
    assert checked == 2 * 7  # turns 0 to 6: the last turn too, on Mesa 3.3 as on 3.5
    # the plain model: constructor keywords, datacollector, running (Mesa 3.5 takes seeds as rng=)
    sc = load_scenario(REPO / BASELINE)
    from sim.sweep.mesa_compat import _mesa_before_3_5

    seeds = {"parameters": {"seed": [1, 2]}} if _mesa_before_3_5() else {"rng": [1, 2]}
    rows = mesa.batch_run(GreatPowerModel, {"scenario": [sc], "turns": 3, "reasons": False, **seeds.get("parameters", {})}, number_processes=1, display_progress=False, **({"rng": seeds["rng"]} if "rng" in seeds else {}))
    assert len(rows) == 2 and {r["seed"] for r in rows} == {1, 2}
    assert all("outcomes" in r for r in rows)


def test_resume_never_deletes_files_it_did_not_write_nor_nests_a_sweep(reference, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    (out / "parts" / "notes.txt").write_text("mine")
    (out / "draft.tmp").write_text("mine too")
    r = cli([*SMALL, "--workers", "1", "--resume"], out)
    assert r.exit_code == 0, r.stderr
    assert (out / "parts" / "notes.txt").read_text() == "mine"
    assert (out / "draft.tmp").read_text() == "mine too"
    inner = cli([*SMALL, "--workers", "1"], out / "parts" / "inner")
    assert inner.exit_code == 2 and "inside the sweep" in inner.stderr


def test_report_refuses_a_folder_of_other_files_and_damaged_results(reference, tmp_path):
    user = tmp_path / "mydocs"
    user.mkdir()
    (user / "report.md").write_text("MY THESIS NOTES")
    r = CliRunner().invoke(main, ["report", str(reference), "--out", str(user)], catch_exceptions=False)
    assert r.exit_code == 2 and "not empty" in r.stderr
    assert (user / "report.md").read_text() == "MY THESIS NOTES"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text((reference / "manifest.json").read_text())
    (broken / "runs.parquet").write_bytes(b"not parquet")
    r = CliRunner().invoke(main, ["report", str(broken)], catch_exceptions=False)
    assert r.exit_code == 2 and "cannot read" in r.stderr


# ------------------------------------------------------------------ code identity, killed sweeps, broken parts
def _group_members(pgid: int) -> list[str]:
    """Command lines of live (not zombie) processes in a process group."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append((d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_a_two_worker_sweep_leaves_no_worker_process(tmp_path):
    out = tmp_path / "killed2"
    e = dict(os.environ, PYTHONPATH=str(REPO))
    e.pop("GREATPOWER_SWEEP_FAIL_RUNS", None)
    args = [BASELINE, "--runs", "400", "--turns", "12", "--workers", "2", "--batch-size", "1"]
    proc = subprocess.Popen([sys.executable, "run.py", "sweep", *args, "--out", str(out)], cwd=REPO, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ((out / "journal.jsonl").exists() and (out / "journal.jsonl").read_text().strip()):
            time.sleep(0.02)
        members = _group_members(proc.pid)
        assert sum("forkserver" in m or "spawn_main" in m for m in members) >= 2, members  # the workers run
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_members(proc.pid):
            time.sleep(0.05)
        assert _group_members(proc.pid) == []  # no worker, fork server or resource tracker left
    finally:
        if _group_members(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)


def test_resume_by_other_code_is_refused_naming_both_hashes(reference, tmp_path):
    import shutil

    from sim.sweep.code import code_hash

    out = tmp_path / "othercode"
    shutil.copytree(reference, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["code_sha256"] == code_hash()
    manifest["code_sha256"] = "0123456789ab" + "c" * 52
    (out / "manifest.json").write_text(json.dumps(manifest))
    r = cli([*SMALL, "--workers", "1", "--resume"], out)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--resume refused" in lines[0]
    assert "0123456789ab" in lines[0] and code_hash()[:12] in lines[0]


def test_code_hash_ignores_the_location_and_sees_any_source_change(tmp_path):
    import shutil

    from sim.sweep.code import code_hash, hash_sources, package_root

    copy = tmp_path / "elsewhere" / "sim"
    shutil.copytree(package_root(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert hash_sources(copy) == code_hash()
    (copy / "world.py").write_text((copy / "world.py").read_text() + "\n# a comment\n")
    assert hash_sources(copy) != code_hash()


def test_part_files_whose_columns_disagree_end_in_one_clean_line(reference, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "mixed"
    r = cli([*SMALL, "--workers", "1"], out, env={"GREATPOWER_SWEEP_FAIL_RUNS": "2"})
    assert r.exit_code == 1
    t = pq.read_table(out / "runs.parquet")  # the committed runs of the first session
    i = t.column_names.index("incidents")
    pq.write_table(t.set_column(i, "incidents", pa.array([str(v) for v in t["incidents"].to_pylist()])), out / "runs.parquet")
    r = cli([*SMALL, "--workers", "1", "--resume"], out)  # runs the failed run again, then compacts
    assert r.exit_code == 1
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "column incidents is string in runs.parquet and int64 in parts/runs-" in r.stderr
    assert json.loads((out / "manifest.json").read_text())["status"] == "error"


def test_progress_is_a_line_every_few_seconds_when_stderr_is_not_a_terminal(capsys):
    from sim.cli.sweep_cmd import _RichProgress

    p = _RichProgress(every=0.0)
    assert not p.console.is_terminal
    p.start(10, 2)
    p.advance(3, 1)
    p.stop()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sweep: 6 of 10 runs (60%), 1 failed,") and "left" in err[0]


def test_end_of_sweep_summary_fits_80_columns(reference):
    from sim.sweep.summary import point_labels, summarize, summary_lines

    runs = runs_of(reference)
    lines = summary_lines(summarize(runs), point_labels(runs, ["actors.USA.threat.CHN"]), "Sweep summary")
    assert max(len(x) for x in lines) <= 80
    assert "point 1: actors.USA.threat.CHN=0.9 (4 runs)" in lines
    assert sum(x.strip().startswith("tension.CHN-USA ") for x in lines) == 2  # one line per point and outcome


# ------------------------------------------------------------------ Dask cluster started by hand
@pytest.fixture
def dask_scheduler(tmp_path):
    """A ``dask scheduler`` process on the loopback interface; yields (address, start_worker)."""
    pytest.importorskip("distributed")
    sched_file = tmp_path / "scheduler.json"
    procs = []
    env = dict(os.environ)
    env.pop("GREATPOWER_SWEEP_FAIL_RUNS", None)
    procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (sched_file.exists() and sched_file.read_text().strip()):
        time.sleep(0.05)
    address = json.loads(sched_file.read_text())["address"]

    def start_worker(pythonpath: Path) -> subprocess.Popen:
        e = dict(env, PYTHONPATH=str(pythonpath))
        w = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1", "--no-nanny", "--no-dashboard"], cwd=pythonpath, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(w)
        return w

    try:
        yield address, start_worker
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


def _wait_for_workers(address: str, n: int) -> None:
    from dask.distributed import Client

    with Client(address, timeout="20s") as c:
        c.wait_for_workers(n, timeout=60)


def test_dask_worker_with_other_code_is_refused_before_any_run(dask_scheduler, tmp_path):
    import shutil

    address, start_worker = dask_scheduler
    other = tmp_path / "other"
    shutil.copytree(REPO / "sim", other / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    (other / "sim" / "kernel.py").write_text((other / "sim" / "kernel.py").read_text() + "\n# changed\n")
    start_worker(other)
    _wait_for_workers(address, 1)
    out = tmp_path / "refused"
    r = sweep([*SMALL, "--scheduler", address], out, timeout=120)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused: the Dask worker tcp://127.0.0.1:" in lines[0], r.stderr
    from sim.sweep.code import code_hash, hash_sources

    assert code_hash()[:12] in lines[0] and hash_sources(other / "sim")[:12] in lines[0]
    assert not out.exists()  # nothing ran, nothing written


def test_every_dask_worker_gone_is_said_in_words(dask_scheduler, tmp_path):
    from sim.sweep.runner import Progress, SweepOptions, plan_sweep, run_sweep

    address, start_worker = dask_scheduler
    worker = start_worker(REPO)
    _wait_for_workers(address, 1)

    class KillOnFirstResult(Progress):
        def advance(self, ok, failed):
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)

    plan = plan_sweep(BASELINE, runs=40, seed=1, turns=6)
    res = run_sweep(plan, SweepOptions(out=tmp_path / "gone", executor="dask", scheduler=address, chunk_size=2, dask_grace=1.0), KillOnFirstResult())
    assert res.status == "error"
    assert res.message.startswith("every Dask worker is gone: the scheduler tcp://127.0.0.1:") and "--resume" in res.message
    assert 0 < res.done < 40
    assert json.loads((tmp_path / "gone" / "manifest.json").read_text())["status"] == "error"


def test_a_scheduler_address_dask_cannot_read_is_refused_before_anything_is_written(tmp_path):
    """``--scheduler notanaddress``: one line naming the option and an example, exit 2, no
    traceback, and no sweep folder left behind."""
    pytest.importorskip("distributed")
    out = tmp_path / "dk"
    res = CliRunner().invoke(main, ["sweep", "scenarios/tutorial.yaml", "--runs", "2", "--executor", "dask", "--scheduler", "notanaddress", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "--scheduler notanaddress: not a scheduler address" in res.output and "tcp://" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert not out.exists()


def test_a_manifest_nested_too_deeply_is_refused_in_one_line(tmp_path):
    """A damaged ``manifest.json`` (100,000 nested lists) stops ``--resume`` with one line, exit 2."""
    out = tmp_path / "s"
    assert cli(["scenarios/tutorial.yaml", "--runs", "2", "--workers", "1"], out).exit_code == 0
    (out / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    res = CliRunner().invoke(main, ["sweep", "scenarios/tutorial.yaml", "--runs", "2", "--workers", "1", "--out", str(out), "--resume"])
    assert res.exit_code == 2, res.output
    assert "nested too deeply" in res.output and "Traceback" not in res.output
