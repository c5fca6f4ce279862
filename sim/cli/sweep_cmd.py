"""``run.py sweep`` and ``run.py report``: Monte Carlo sweeps (README, Sweeps).

Exit status: 0 all runs done; 1 some runs failed (or the executor broke down); 2 bad input
(scenario, ``--set``/``--grid``, ``--resume`` against another sweep); 130 interrupted (finished
runs are saved; continue with ``--resume``).
"""

from __future__ import annotations

import sys

import click

from sim.cli.main import EXIT_USAGE, _fail, main, require_extra
from sim.loader import ScenarioError

EXIT_FAILURES = 1
EXIT_INTERRUPTED = 130


def _usage(messages: list[str]) -> None:
    """One line per problem on stderr, exit status 2, no traceback."""
    for m in messages:
        click.echo(m, err=True)
    sys.exit(EXIT_USAGE)


class _RichProgress:
    """A rich progress bar with rate and ETA on a terminal; nothing when stderr is not a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:.1f} runs/s" if speed else "- runs/s", style="progress.data.speed")

        self.console = Console(stderr=True)
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            disable=not self.console.is_terminal,
            speed_estimate_period=60.0,
        )
        self.task = None
        self.failed = 0

    def start(self, total: int, completed: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("sweep", total=total, completed=completed)

    def advance(self, ok: int, failed: int) -> None:
        self.failed += failed
        desc = f"sweep ([red]{self.failed} failed[/])" if self.failed else "sweep"
        self.bar.update(self.task, advance=ok + failed, description=desc)

    def stop(self) -> None:
        self.bar.stop()


def _print_summary(out: str, axes: list[str]) -> None:
    import pandas as pd
    from rich.console import Console

    from sim.sweep.summary import point_labels, rich_table, summarize

    runs = pd.read_parquet(f"{out}/runs.parquet")
    if runs.empty:
        return
    labels = point_labels(runs, axes)
    Console().print(rich_table(summarize(runs), labels, title=f"Sweep summary ({len(runs)} runs)"))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--runs", type=click.IntRange(min=1), required=True, help="Runs per grid point.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Master seed; each run's seed comes from numpy SeedSequence(SEED).spawn.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override one number for every run, e.g. actors.USA.threat.CHN=0.5 or dynamics.tension_decay=0.1. Repeatable.")
@click.option("--grid", "grids", multiple=True, metavar="PATH=V1,V2,...", help="A grid axis, e.g. actors.USA.threat.CHN=0.5,0.7,0.9. Repeatable: the grid is the product of the axes; each grid point gets --runs runs.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: the CPUs available). With --scheduler, the cluster's own size is used.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True, help="local: processes on this machine; dask: a Dask cluster (--scheduler) or a new LocalCluster.")
@click.option("--scheduler", metavar="ADDRESS", help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask).")
@click.option("--turns", type=click.IntRange(1, 600), help="Turns per run (default: the scenario's).")
@click.option("--per-turn", is_flag=True, help="Also write turns.parquet: one row per run and turn.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Results directory (new or empty, or the sweep to --resume).")
@click.option("--resume", is_flag=True, help="Continue the interrupted sweep in --out (same scenario, grid, runs, seed and turns), making only the runs it lacks and retrying failed ones.")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True, help="Commit results to disk every this many runs (and at least every 10 s).")
def sweep(scenario, runs, seed, sets, grids, workers, executor, scheduler, turns, per_turn, out, resume, batch_size) -> None:
    """Monte Carlo sweep: RUNS runs per grid point, results in OUT/runs.parquet.

    A PATH is dotted and must already name a value in the scenario (as the file gives it, or a
    schema default such as dynamics.tension_decay); ids in it must exist (actors.USA.threat.CHN);
    list items by index (actors.RUS.red_lines[0].threshold). Values are checked against the
    schema before any run starts.

    A run's result depends only on its seed and parameters: the same with any number of workers,
    locally or on Dask. Ctrl-C saves every finished run; --resume continues.
    """
    require_extra("sweep", "pandas", "pyarrow")
    if executor == "dask" or scheduler:
        require_extra("dask", "dask", "distributed")
    from sim.sweep.overrides import OverrideError
    from sim.sweep.runner import SweepOptions, SweepUsageError, fail_runs_from_env, plan_sweep, run_sweep

    ctx = click.get_current_context()
    if scheduler:
        if ctx.get_parameter_source("executor") == click.core.ParameterSource.COMMANDLINE and executor != "dask":
            _usage(["--scheduler needs --executor dask"])
        executor = "dask"
    try:
        plan = plan_sweep(scenario, runs, seed, list(sets), list(grids), turns, per_turn, fail_runs_from_env())
    except ScenarioError as exc:
        _fail(exc.problems)
    except (OverrideError, SweepUsageError) as exc:
        _usage(exc.messages)
    progress = _RichProgress()
    opts = SweepOptions(out=out, workers=workers, executor=executor, scheduler=scheduler, resume=resume, batch_size=batch_size)
    if progress.console.is_terminal:
        click.echo(f"{plan.scenario_name}: {plan.n_points} grid point(s) x {plan.n_runs // plan.n_points} runs = {plan.n_runs} runs -> {out}", err=True)
    try:
        result = run_sweep(plan, opts, progress, note=lambda m: click.echo(m, err=True))
    except SweepUsageError as exc:
        _usage(exc.messages)
    if result.status == "interrupted":
        click.echo(f"interrupted: {result.done} of {result.n_runs} runs saved in {out}; continue with the same command and --resume", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if result.status == "error":
        click.echo(f"error: {result.message} ({result.done} of {result.n_runs} runs saved)", err=True)
        sys.exit(EXIT_FAILURES)
    _print_summary(out, [a.target.path for a in plan.grid.axes])
    rate = f", {result.runs_per_second:.1f} runs/s" if result.ran else ""
    click.echo(f"{result.done} of {result.n_runs} runs in {out}/runs.parquet ({result.ran} this session in {result.seconds:.1f} s{rate})", err=True)
    if result.failed:
        click.echo(f"{result.failed} of {result.n_runs} runs failed: see {out}/failures.jsonl", err=True)
        sys.exit(EXIT_FAILURES)


@main.command()
@click.argument("results", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Report directory (default: RESULTS/report).")
def report(results: str, out: str | None) -> None:
    """Plots (PNG) and a Markdown and HTML summary of the sweep in RESULTS."""
    require_extra("sweep", "pandas", "pyarrow", "matplotlib")
    from sim.sweep.report import ReportError, write_report

    try:
        files = write_report(results, out)
    except ReportError as exc:
        _usage([str(exc)])
    for f in files:
        click.echo(str(f))
