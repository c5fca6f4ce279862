"""``run.py backtest``: score the model's forecasts against a record of what happened.

Exit status: 0 done; 2 bad input (scenario, record, options), located ``FILE:LINE: path:
message`` with no traceback.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from sim.cli.main import EXIT_USAGE, SEED, _fail, main, notice_if_cold

BACKTEST_MARKER = ".greatpower-backtest"
"""Marks a folder that ``backtest --out`` wrote (a later backtest may replace its files)."""


@dataclass
class BacktestResult:
    """A finished backtest.

    Attributes:
        scenario_file: the scenario run.
        record_file: the record scored.
        runs: ensemble size.
        seed: master seed.
        scores: one :class:`sim.backtest.OutcomeScore` per outcome.
        summary: :func:`sim.backtest.overall`.
        markdown: the report's Markdown table.
    """

    scenario_file: str
    record_file: str
    runs: int
    seed: int
    scores: list
    summary: dict
    markdown: str


def prepare(scenario: str | None, record: str, validated=None):
    """Read and check a record and its scenario.

    Args:
        scenario: a scenario path, or ``None`` for the record's own ``scenario`` (relative to
            the record file).
        record: the record file.
        validated: the scenario already validated (skips reading ``scenario`` again).

    Returns:
        ``(scenario_path, scenario, record_source, start_columns)``.

    Raises:
        ScenarioError: an unreadable or invalid record or scenario, or a record that names a
            column, event type, actor or month the scenario does not have (each located).
    """
    from sim.backtest import check_record, parse_record
    from sim.loader import Problem, ScenarioError, read_file
    from sim.model import GreatPowerModel
    from sim.sweep.ensemble import load_source
    from sim.trace import columns, scenario_info

    src = parse_record(read_file(record), record)
    if scenario is None:
        if src.record.scenario is None:
            raise ScenarioError([Problem(record, 1, "scenario", "no scenario: give one on the command line or as 'scenario:' in the record")])
        scenario = str(Path(record).parent / src.record.scenario)
        try:
            sc = load_source(scenario).validate()
        except ScenarioError as exc:
            first = exc.problems[0]
            if first.message in ("no such file", "is a directory", "not a regular file"):
                raise ScenarioError([src.problem(("scenario",), f"{first.message}: {scenario}")]) from None
            if first.file == scenario and first.message.startswith("not a scenario: "):
                raise ScenarioError([src.problem(("scenario",), f"{src.record.scenario!r} is {first.message}")]) from None
            raise
    else:
        sc = validated if validated is not None else load_source(scenario).validate()
    model = GreatPowerModel(sc, seed=0, reasons=False)
    start = columns(model)
    info = scenario_info(sc, model.horizon)
    check_record(src, info, start)
    return scenario, sc, src, start


def compute(scenario_path: str, sc, src, start: dict, runs: int, seed: int, workers: int, progress=None) -> BacktestResult:
    """Run the ensemble and score it (see :mod:`sim.backtest`)."""
    from functools import partial

    import numpy as np

    from sim.backtest import markdown, measure_all, overall, score_outcomes
    from sim.sweep.ensemble import Job, run_jobs
    from sim.sweep.plan import run_seeds

    outcomes = list(src.record.outcomes)
    job = Job("backtest", sc, tuple(run_seeds(seed, runs)), partial(measure_all, outcomes))
    vals = np.array(run_jobs([job], workers, progress)["backtest"], dtype=float).reshape(runs, len(outcomes))
    scores = score_outcomes(src.record, vals, start)
    summ = overall(scores)
    return BacktestResult(scenario_path, src.file, runs, seed, scores, summ, markdown(scores, summ, src.record, runs))


@main.command()
@click.argument("scenario", required=False)
@click.option("--record", "record", required=True, type=click.Path(), help="The record of what happened (YAML).")
@click.option("--runs", type=click.IntRange(1, 100_000), default=200, show_default=True, help="Runs in the ensemble.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Master seed, 0 to 2**64-1 (runs' seeds are its SeedSequence children).")
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="Worker processes (default: the CPUs available).")
@click.option("--out", type=click.Path(file_okay=False), help="Also write backtest.md and backtest.json to this folder.")
def backtest(scenario: str | None, record: str, runs: int, seed: int, workers: int | None, out: str | None) -> None:
    """Score the model's forecasts against a record (Brier, CRPS, skill against persistence).

    SCENARIO defaults to the record's own 'scenario'.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from sim.loader import ScenarioError
    from sim.sweep.executors import default_workers

    out_dir = _out_dir(out) if out is not None else None
    try:
        path, sc, src, start = prepare(scenario, record)
    except ScenarioError as exc:
        _fail(exc.problems)
    notice_if_cold()
    res = compute(path, sc, src, start, runs, seed, workers or default_workers())
    con = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    t = Table(title=f"Backtest of {escape(sc.name)} against {escape(record)}: {runs} runs")
    for col, just in (("outcome", "left"), ("observed", "right"), ("forecast", "right"), ("persistence", "right"), ("score", "right"), ("persistence score", "right"), ("skill", "right")):
        t.add_column(col, justify=just)
    for s in res.scores:
        binary = s.kind == "binary"
        t.add_row(
            escape(s.id),
            ("yes" if s.observed else "no") if binary else f"{s.observed:g}",
            f"{100 * s.forecast:.0f}%" if binary else f"{s.forecast:.3g}",
            ("yes" if s.persistence else "no") if binary else f"{s.persistence:.3g}",
            f"{'Brier' if binary else 'CRPS'} {s.score:.3f}",
            f"{s.score_persistence:.3f}",
            "n/a" if s.skill != s.skill else f"{s.skill:.2f}",
        )
    con.print(t)
    sm = res.summary
    con.print(
        f"Brier skill {sm['brier_skill']:.2f} over {int(sm['binary'])} binary outcomes; CRPS skill {sm['crps_skill']:.2f} over "
        f"{int(sm['level'])} levels; overall {sm['skill']:.2f} (1 - score / persistence score)"
    )
    if out_dir is not None:
        write(out_dir, res)
        con.print(f"written to {out_dir}/backtest.md and backtest.json")


def _out_dir(out: str) -> Path:
    """The ``--out`` folder: new, empty, or one an earlier backtest wrote (never a folder of other files)."""
    from sim.cli.html import OutDirError, prepare_out_dir

    try:
        return prepare_out_dir(out, BACKTEST_MARKER, "backtest")
    except OutDirError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_USAGE)


def write(out_dir: Path, res: BacktestResult) -> None:
    """Write ``backtest.md`` and ``backtest.json`` atomically."""
    from sim.files import write_text_atomic

    data = {
        "scenario": res.scenario_file,
        "record": res.record_file,
        "runs": res.runs,
        "seed": res.seed,
        "summary": {k: (None if v != v else v) for k, v in res.summary.items()},
        "outcomes": [{k: (None if isinstance(v, float) and v != v else v) for k, v in asdict(s).items()} for s in res.scores],
    }
    write_text_atomic(out_dir / "backtest.md", f"# Backtest\n\nScenario `{res.scenario_file}`, record `{res.record_file}`, seed {res.seed}.\n\n" + res.markdown)
    write_text_atomic(out_dir / "backtest.json", json.dumps(data, indent=2, allow_nan=False) + "\n")
