"""The analyst's kit: sampled designs, sensitivity indices, scenario discovery, outcomes, report.

Tiny designs of runs of one or two turns, so that the file takes seconds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from sim.cli.main import main

REPO = Path(__file__).resolve().parent.parent
BASELINE = "scenarios/baseline_2021.yaml"
THREE = ["--range", "ai.temperature=0.02:0.1", "--range", "dynamics.tension_decay=0.02:0.1", "--range", "dynamics.anchor=0.05:0.3"]
WEIGHTS = {"ai.temperature": 4.0, "dynamics.tension_decay": 2.0, "dynamics.anchor": 0.5}
"""The toy outcome: a known linear function of the three parameters scaled to [0, 1]; its true
ranking of importance is temperature > tension_decay > anchor."""


def cli(*args: str):
    return CliRunner().invoke(main, list(args), env={"GREATPOWER_SWEEP_FAIL_RUNS": None}, catch_exceptions=False)


def add_toy(out: Path) -> None:
    """Add the column ``toy`` = sum of weight x (parameter scaled to [0, 1]) to runs.parquet."""
    t = pq.read_table(out / "runs.parquet")
    lo_hi = {"ai.temperature": (0.02, 0.1), "dynamics.tension_decay": (0.02, 0.1), "dynamics.anchor": (0.05, 0.3)}
    toy = sum(w * (np.asarray(t[f"param.{p}"].to_numpy(), dtype=float) - lo_hi[p][0]) / (lo_hi[p][1] - lo_hi[p][0]) for p, w in WEIGHTS.items())
    pq.write_table(t.append_column("toy", pa.array(toy)), out / "runs.parquet")


def ranking(table: pd.DataFrame, key: str) -> list[str]:
    t = table[table["outcome"] == "toy"].sort_values(key, ascending=False)
    return list(t["parameter"])


@pytest.mark.parametrize(
    "sample, points, method, key",
    [("lhs", "32", "sobol", "S1"), ("morris", "4", "morris", "mu_star"), ("sobol", "8", "sobol", "ST")],
)
def test_sampled_design_runs_and_indices_rank_a_known_toy_outcome(tmp_path, sample, points, method, key):
    out = tmp_path / sample
    r = cli("sweep", BASELINE, "--runs", "1", "--turns", "1", "--workers", "1", "--seed", "3", "--sample", sample, "--points", points, *THREE, "--out", str(out))
    assert r.exit_code == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    n_points = {"lhs": 32, "morris": 4 * 4, "sobol": 8 * 5}[sample]
    assert manifest["n_points"] == n_points and manifest["design"]["method"] == sample
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == n_points
    assert runs["param.ai.temperature"].between(0.02, 0.1).all() and runs["param.dynamics.anchor"].between(0.05, 0.3).all()
    add_toy(out)
    r = cli("analyse", str(out), "--method", method, "--outcome", "toy")
    assert r.exit_code == 0, r.stderr
    name = "morris" if method == "morris" else "sobol"
    table = pd.read_csv(out / "analysis" / f"{name}.csv")
    assert ranking(table, key) == ["ai.temperature", "dynamics.tension_decay", "dynamics.anchor"]
    assert (out / "analysis" / f"sensitivity_{name}.png").stat().st_size > 5000
    assert (out / "analysis" / "convergence.csv").exists()


def test_the_same_seed_gives_the_same_design_and_another_seed_another(tmp_path):
    from sim.loader import load_scenario
    from sim.sweep.design import parse_variables, sampled_grid
    from sim.sweep.plan import design_seed

    dump = load_scenario(REPO / BASELINE).model_dump()
    v = parse_variables(["ai.temperature=0.02:0.1", "dynamics.anchor=0.05:0.3"], [], dump)
    a = sampled_grid([], v, "lhs", 8, design_seed(1))[1]["samples"]
    assert a == sampled_grid([], v, "lhs", 8, design_seed(1))[1]["samples"]
    assert a != sampled_grid([], v, "lhs", 8, design_seed(2))[1]["samples"]


def test_resume_with_more_runs_adds_runs_and_leaves_old_rows_byte_identical(tmp_path):
    base = [BASELINE, "--turns", "2", "--workers", "1", "--grid", "ai.temperature=0.03,0.08", "--seed", "4", "--per-turn"]
    out = tmp_path / "grow"
    assert cli("sweep", *base, "--runs", "2", "--out", str(out)).exit_code == 0
    before = pd.read_parquet(out / "runs.parquet")
    before_turns = pd.read_parquet(out / "turns.parquet")
    r = cli("sweep", *base, "--runs", "3", "--resume", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    assert "2 of 6" not in r.stderr and "(2 this session" in r.stderr  # only the new runs were made
    after = pd.read_parquet(out / "runs.parquet")
    assert len(after) == 6
    old = after[after["run"] < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, before, check_exact=True)
    turns = pd.read_parquet(out / "turns.parquet")
    pd.testing.assert_frame_equal(turns[turns["run"] < 2].reset_index(drop=True), before_turns, check_exact=True)
    fresh = tmp_path / "fresh"
    assert cli("sweep", *base, "--runs", "3", "--out", str(fresh)).exit_code == 0
    pd.testing.assert_frame_equal(after, pd.read_parquet(fresh / "runs.parquet"), check_exact=True)
    r = cli("sweep", *base, "--runs", "1", "--resume", "--out", str(out))
    assert r.exit_code == 2 and "can add runs" in r.stderr


def test_common_seeds_give_every_point_the_same_seeds(tmp_path):
    out = tmp_path / "crn"
    r = cli("sweep", BASELINE, "--runs", "3", "--turns", "1", "--workers", "1", "--grid", "ai.temperature=0.03,0.05,0.08", "--common-seeds", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    by_run = runs.groupby("run")["seed"].nunique()
    assert (by_run == 1).all()  # one seed per run index, the same at every point
    assert runs.groupby("point")["seed"].nunique().eq(3).all()
    plain = tmp_path / "plain"
    assert cli("sweep", BASELINE, "--runs", "3", "--turns", "1", "--workers", "1", "--grid", "ai.temperature=0.03,0.05,0.08", "--out", str(plain)).exit_code == 0
    p = pd.read_parquet(plain / "runs.parquet")
    assert p.groupby("run")["seed"].nunique().eq(3).all()
    assert list(p.loc[p["point"] == 0, "seed"]) == list(runs.loc[runs["point"] == 0, "seed"])  # point 0 keeps its seeds


def test_scenario_outcomes_land_in_runs_parquet_with_the_values_of_the_run(tmp_path):
    from sim.loader import load_scenario
    from sim.model import GreatPowerModel

    out = tmp_path / "outcomes"
    r = cli("sweep", BASELINE, "--runs", "2", "--turns", "24", "--workers", "1", "--seed", "2", "--per-turn", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    turns = pd.read_parquet(out / "turns.parquet")
    for col in ("outcome.staffing_half_restored", "outcome.usa_rus_crises", "outcome.usa_rus_tension_above_0_8"):
        assert col in runs.columns
    sc = load_scenario(REPO / BASELINE)
    for _, row in runs.iterrows():
        m = GreatPowerModel(sc, seed=int(row["seed"]), turns=24, reasons=False)
        while m.running:
            m.step()
        crises = sum(1 for e in m.log for ev in e["events"] if ev["type"] == "incident" and ev["crisis"] and set(ev["actors"]) == {"USA", "RUS"})
        assert row["outcome.usa_rus_crises"] == crises
        mine = turns[turns["run_id"] == row["run_id"]].sort_values("turn")
        above = mine.loc[(mine["issue.embassy_staffing"] > 0.5) & (mine["turn"] >= 1), "turn"]
        expected = float(above.iloc[0]) if len(above) else float("nan")
        assert (np.isnan(expected) and np.isnan(row["outcome.staffing_half_restored"])) or row["outcome.staffing_half_restored"] == expected
        assert row["outcome.usa_rus_tension_above_0_8"] == float(mine["tension.RUS-USA"].max() > 0.8)
    for col in ("seed", "conflicts", "expulsions", "closures", "channels_suspended", "channels_closed", "incidents"):
        assert col in turns.columns


def test_outcome_definitions_are_checked_like_every_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"extends: {REPO / BASELINE}\n"
        "outcomes:\n"
        "  - {id: a, kind: threshold, column: tension.USA-XXX, above: 0.5}\n"
        "  - {id: b, kind: time_to_event, column: issue.embassy_staffing}\n"
        "  - {id: c, kind: event_count, event: incident, surprise: 1}\n"
    )
    r = CliRunner().invoke(main, ["validate", str(bad)])
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert "outcomes[1]" in r.stderr and "exactly one of above and below" in r.stderr
    assert "outcomes[2].surprise" in r.stderr
    good = tmp_path / "good.yaml"
    good.write_text(f"extends: {REPO / BASELINE}\noutcomes:\n  - {{id: a, kind: threshold, column: tension.USA-XXX, above: 0.5}}\n")
    r = CliRunner().invoke(main, ["validate", str(good)])
    assert r.exit_code == 2 and "unknown actor 'XXX'" in r.stderr and "outcomes[0].column" in r.stderr


def test_design_file_and_its_errors(tmp_path):
    design = tmp_path / "design.csv"
    design.write_text("ai.temperature,ai.risk_model\n0.03,endogenous\n0.07,scenario\n")
    out = tmp_path / "file"
    r = cli("sweep", BASELINE, "--runs", "1", "--turns", "1", "--workers", "1", "--design", str(design), "--out", str(out))
    assert r.exit_code == 0, r.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs["param.ai.temperature"]) == [0.03, 0.07] and list(runs["param.ai.risk_model"]) == ["endogenous", "scenario"]
    design.write_text("ai.temperature,ai.risk_model\n0.03,endogenous\nhot,scenario\n")
    r = cli("sweep", BASELINE, "--runs", "1", "--design", str(design), "--out", str(tmp_path / "never"))
    assert r.exit_code == 2 and f"{design}:3: column ai.temperature: must be a number, got 'hot'" in r.stderr
    r = cli("sweep", BASELINE, "--runs", "1", "--design", str(design), "--grid", "ai.q=0.4,0.6", "--out", str(tmp_path / "never"))
    assert r.exit_code == 2 and "do not go together" in r.stderr
    r = cli("sweep", BASELINE, "--runs", "1", "--sample", "sobol", "--points", "6", *THREE, "--out", str(tmp_path / "never"))
    assert r.exit_code == 2 and "power of 2" in r.stderr
    assert not (tmp_path / "never").exists()


def test_csv_is_tidy_long_format(tmp_path):
    out = tmp_path / "csv"
    r = cli("sweep", BASELINE, "--runs", "2", "--turns", "2", "--workers", "1", "--grid", "ai.temperature=0.03,0.08", "--per-turn", "--csv", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    long = pd.read_csv(out / "runs.csv")
    ids = ["run_id", "point", "run", "seed", "param.ai.temperature"]
    assert list(long.columns) == ids + ["outcome", "value", "level"]
    assert len(long) == len(runs) * (len(runs.columns) - len(ids))
    row = long[(long["run_id"] == 3) & (long["outcome"] == "tension.RUS-USA")].iloc[0]
    assert row["value"] == runs.loc[runs["run_id"] == 3, "tension.RUS-USA"].iloc[0]
    assert set(long.loc[long["outcome"] == "end_state", "level"]) <= {"horizon", "armed_clash", "grand_bargain"}
    assert int(long["seed"].iloc[0]) == int(runs.loc[runs["run_id"] == long["run_id"].iloc[0], "seed"].iloc[0])
    turns_long = pd.read_csv(out / "turns.csv")
    assert {"turn", "outcome", "value", "level"} <= set(turns_long.columns)


@pytest.fixture(scope="module")
def grid2(tmp_path_factory) -> Path:
    """A 2 x 2 grid with per-turn rows (runs of 2 turns)."""
    out = tmp_path_factory.mktemp("g") / "grid2"
    r = cli("sweep", BASELINE, "--runs", "4", "--turns", "2", "--workers", "1", "--seed", "8", "--grid", "ai.temperature=0.03,0.08", "--grid", "dynamics.clash=0.01,0.3", "--per-turn", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    return out


def test_report_figures_exist_and_every_panel_has_labelled_axes(grid2, tmp_path):
    from sim.sweep import figures

    assert cli("analyse", str(grid2), "--method", "sobol").exit_code == 0
    figures.record = []
    try:
        r = cli("report", str(grid2), "--out", str(tmp_path / "rep"))
        assert r.exit_code == 0, r.stderr
        saved = list(figures.record)
    finally:
        figures.record = None
    names = {p.name for p, _f in saved}
    assert {"end_states.png", "vs_1.png", "vs_2.png", "heatmap.png"} <= names
    assert any(n.startswith("trajectory_tension") for n in names)
    for path, fig in saved:
        assert path.exists() and path.stat().st_size > 3000
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert panels, path.name
        for ax in panels:
            if ax.get_label() == "<colorbar>":  # a colour bar is labelled along its length
                assert ax.get_ylabel().strip(), path.name
                continue
            assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), (path.name, ax.get_title())
    # the end-state figure labels every share, zero shares too
    fig = next(f for p, f in saved if p.name == "end_states.png")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(texts) == 4 * len([a for a in fig.axes if a.get_label() != "<colorbar>"]) and all(re.fullmatch(r"\d+%", t) for t in texts)
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "listed, not plotted" in md  # e.g. the issue states that do not move in two turns
    assert "dashed lines are means" not in md or "Histograms" in md
    summary = pd.read_csv(tmp_path / "rep" / "summary.csv")
    assert {"param.ai.temperature", "param.dynamics.clash"} <= set(summary.columns)
    zero = summary[(summary["kind"] == "frequency") & (summary["mean"] == 0)]
    assert (zero["ci_low"] == 0).all() and len(zero)


def test_summary_uses_student_t_for_small_samples():
    from scipy.stats import t

    from sim.sweep.summary import summarize

    runs = pd.DataFrame({"point": [0, 0, 0], "end_state": ["horizon"] * 3, "tension.RUS-USA": [0.2, 0.4, 0.6]})
    s = summarize(runs).set_index("outcome")
    half = t.ppf(0.975, 2) * 0.2 / np.sqrt(3)
    assert s.loc["tension.RUS-USA", "ci_high"] == pytest.approx(min(1.0, 0.4 + half))
    assert s.loc["tension.RUS-USA", "ci_low"] == pytest.approx(max(0.0, 0.4 - half))
    assert s.loc["end_state=armed_clash", "ci_low"] == 0.0


def test_scenario_discovery_finds_the_parameter_that_decides_a_condition(grid2):
    r = cli("analyse", str(grid2), "--method", "cart", "--condition", "`param.ai.temperature` > 0.05", "--out", str(grid2 / "disc"))
    assert r.exit_code == 0, r.stderr
    rules = pd.read_csv(grid2 / "disc" / "cart_rules.csv")
    assert rules.iloc[0]["rule"].startswith("ai.temperature >") and rules.iloc[0]["density"] == 1.0 and rules.iloc[0]["coverage"] == 1.0
    r = cli("analyse", str(grid2), "--condition", "no_such_column > 1")
    assert r.exit_code == 2 and "--condition" in r.stderr and "Traceback" not in r.stderr


def test_prim_from_the_ema_workbench_when_installed(grid2):
    pytest.importorskip("ema_workbench")
    r = cli("analyse", str(grid2), "--method", "prim", "--condition", "`param.ai.temperature` > 0.05", "--out", str(grid2 / "prim"))
    assert r.exit_code == 0, r.stderr
    rules = pd.read_csv(grid2 / "prim" / "prim_rules.csv")
    assert "ai.temperature" in rules.iloc[0]["rule"] and rules.iloc[0]["density"] == 1.0


def test_readme_batch_run_example_works_in_a_script_and_has_the_last_turn(tmp_path):
    readme = (REPO / "README.md").read_text()
    block = re.search(r"<!-- batch_run example -->\s*```python\n(.*?)```", readme, re.S)
    assert block, "the README's mesa.batch_run example"
    script = tmp_path / "batch.py"
    script.write_text(block.group(1))
    r = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=240, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-2000:]
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert last["last_step"] == last["turns"]  # the last turn's outcomes are there


def test_a_convergence_plot_of_outcomes_that_never_vary_says_so(tmp_path):
    # nothing to draw on a log scale: the plot says why it is empty, and no legend of nothing
    import warnings

    from sim.sweep.figures import plot_convergence

    curve = pd.DataFrame({"outcome": ["a", "a", "b", "b"], "runs": [2, 4, 2, 4], "half_width": [0.0] * 4})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = plot_convergence(curve, pd.DataFrame(), tmp_path / "c.png")
    assert out.exists() and out.stat().st_size > 0
