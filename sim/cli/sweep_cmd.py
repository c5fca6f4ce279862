"""``run.py sweep``, ``run.py analyse`` and ``run.py report``: Monte Carlo sweeps,
their sensitivity analysis and their report.

Exit status: 0 all runs done; 1 some runs failed (or the executor broke down, or a Dask worker
runs other code); 2 bad input (scenario, ``--set``/``--grid``/design flags, ``--resume`` against
another sweep or other code); 130 interrupted (finished runs are saved; continue with ``--resume``).
"""

from __future__ import annotations

import sys

import click

from sim.cli.main import EXIT_USAGE, SEED, _fail, main, notice_if_cold, require_extra

EXIT_FAILURES = 1
EXIT_INTERRUPTED = 130


def _usage(messages: list[str]) -> None:
    """One line per problem on stderr, exit status 2, no traceback."""
    for m in messages:
        click.echo(m, err=True)
    sys.exit(EXIT_USAGE)


MAX_POINTS_SHOWN = 16
"""With more design points than this, the end-of-sweep summary pools the runs."""
PROGRESS_SECONDS = 5.0
"""When stderr is not a terminal, a progress line is printed at most this often."""


class _RichProgress:
    """A rich progress bar with rate and ETA on a terminal; when stderr is not a terminal (a log
    file, a pipe, a batch job), one plain line every :data:`PROGRESS_SECONDS` seconds instead.
    """

    def __init__(self, every: float = PROGRESS_SECONDS) -> None:
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
        self.every = every
        self.total = self.done = self.done_at_start = 0
        self.t0 = self.last = 0.0

    def start(self, total: int, completed: int) -> None:
        import time

        self.total, self.done, self.done_at_start = total, completed, completed
        self.t0 = self.last = time.monotonic()
        self.bar.start()
        self.task = self.bar.add_task("sweep", total=total, completed=completed)

    def advance(self, ok: int, failed: int) -> None:
        import time

        self.failed += failed
        self.done += ok + failed
        desc = f"sweep ([red]{self.failed} failed[/])" if self.failed else "sweep"
        self.bar.update(self.task, advance=ok + failed, description=desc)
        now = time.monotonic()
        if not self.console.is_terminal and now - self.last >= self.every and self.done < self.total:
            self.last = now
            click.echo(self.line(now), err=True)

    def line(self, now: float) -> str:
        """``sweep: 120 of 500 runs (24%), 2 failed, 8.1 runs/s, about 47 s left``."""
        made = self.done - self.done_at_start
        rate = made / (now - self.t0) if now > self.t0 else 0.0
        left = f", about {_duration((self.total - self.done) / rate)} left" if rate > 0 else ""
        failed = f", {self.failed} failed" if self.failed else ""
        return f"sweep: {self.done} of {self.total} runs ({100 * self.done / max(self.total, 1):.0f}%){failed}, {rate:.1f} runs/s{left}"

    def stop(self) -> None:
        self.bar.stop()


def _duration(seconds: float) -> str:
    """``47 s``, ``12 min``, ``3.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _print_summary(out: str, axes: list[str], outcome_specs: list[dict] | None = None) -> None:
    import pandas as pd

    from sim.sweep.summary import outcome_kinds, point_labels, summarize, summary_lines

    runs = pd.read_parquet(f"{out}/runs.parquet")
    if runs.empty:
        return
    labels = point_labels(runs, axes)
    title = f"Sweep summary ({len(runs)} runs)"
    if len(labels) > MAX_POINTS_SHOWN:  # a sampled design: the runs pooled, the points in summary.csv
        pooled = runs.assign(point=0)
        title = f"Sweep summary ({len(runs)} runs at {len(labels)} points, pooled; per point: run.py report {out})"
        labels = {0: "all runs"}
        runs = pooled
    for line in summary_lines(summarize(runs, outcome_kinds(outcome_specs)), labels, title=title):
        click.echo(line)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--runs", type=click.IntRange(min=1), required=True, help="Runs per point (with --resume, a larger number adds runs to the sweep).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Master seed, 0 to 2**64-1; each run's seed comes from numpy SeedSequence(SEED).spawn.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override one number for every run, e.g. actors.USA.threat.CHN=0.5 or dynamics.tension_decay=0.1. Repeatable.")
@click.option("--grid", "grids", multiple=True, metavar="PATH=V1,V2,...", help="A grid axis, e.g. actors.USA.threat.CHN=0.5,0.7,0.9. Repeatable: the grid is the product of the axes; each grid point gets --runs runs.")
@click.option("--range", "ranges", multiple=True, metavar="PATH=LO:HI", help="A variable of a sampled design, e.g. ai.temperature=0.02:0.1 (needs --sample). Repeatable.")
@click.option("--choice", "choices", multiple=True, metavar="PATH=A,B,...", help="A variable that takes one of several values in a sampled design, e.g. ai.risk_model=endogenous,scenario. Repeatable.")
@click.option("--sample", type=click.Choice(["lhs", "sobol", "morris"]), help="Draw the design points with SALib, seeded from --seed: lhs (K points), sobol (Saltelli: K x (D+2) points, K a power of 2), morris (K trajectories: K x (D+1) points).")
@click.option("--points", type=click.IntRange(min=1), metavar="K", help="K for --sample.")
@click.option("--design", "design_file", type=click.Path(dir_okay=False), metavar="FILE.csv", help="Design points from a CSV file: a header of dotted paths, one row per point.")
@click.option("--common-seeds", is_flag=True, help="Common random numbers: every point gets the same seeds (those of point 0).")
@click.option("--csv", "write_csv", is_flag=True, help="Also write tidy long-format CSV beside the Parquet: runs.csv (and turns.csv with --per-turn), one row per run (and turn) and outcome.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: the CPUs available). With --scheduler, the cluster's own size is used.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True, help="local: processes on this machine; dask: a Dask cluster (--scheduler) or a new LocalCluster.")
@click.option("--scheduler", metavar="ADDRESS", help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask).")
@click.option("--turns", type=click.IntRange(1, 600), help="Turns per run (default: the scenario's).")
@click.option("--per-turn", is_flag=True, help="Also write turns.parquet: one row per run and turn.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Results directory (new or empty, or the sweep to --resume).")
@click.option("--resume", is_flag=True, help="Continue the sweep in --out (same scenario, design, seed and turns), making only the runs it lacks and retrying failed ones; a larger --runs adds runs.")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True, help="Commit results to disk every this many runs (and at least every 10 s).")
def sweep(scenario, runs, seed, sets, grids, ranges, choices, sample, points, design_file, common_seeds, write_csv, workers, executor, scheduler, turns, per_turn, out, resume, batch_size) -> None:
    """Monte Carlo sweep: RUNS runs per point, results in OUT/runs.parquet.

    The points are a grid (--grid), a sampled design (--range/--choice with --sample and
    --points) or a design file (--design); without any, one point.

    A PATH is dotted and must already name a value in the scenario (as the file gives it, or a
    schema default such as dynamics.tension_decay); ids in it must exist (actors.USA.threat.CHN);
    list items by index (actors.RUS.red_lines[0].threshold). Values are checked against the
    schema before any run starts.

    A run's result depends only on its seed and parameters: the same with any number of workers,
    locally or on Dask. Ctrl-C saves every finished run; --resume continues.
    """
    require_extra("sweep", "pandas", "pyarrow")
    if sample:
        require_extra("sweep", "SALib")
    if executor == "dask" or scheduler:
        require_extra("dask", "dask", "distributed")
    from sim.loader import ScenarioError
    from sim.sweep.overrides import OverrideError
    from sim.sweep.runner import (
        SweepOptions,
        SweepUsageError,
        fail_runs_from_env,
        plan_sweep,
        run_sweep,
    )

    ctx = click.get_current_context()
    if scheduler:
        if ctx.get_parameter_source("executor") == click.core.ParameterSource.COMMANDLINE and executor != "dask":
            _usage(["--scheduler needs --executor dask"])
        executor = "dask"
        try:  # the address read as Dask reads it, before anything is written
            from distributed.comm import parse_address, parse_host_port

            parse_host_port(parse_address(scheduler)[1])
        except ImportError:
            pass  # the executor says which extra to install
        except ValueError as exc:
            _usage([f"--scheduler {scheduler}: not a scheduler address ({exc}); e.g. tcp://10.0.0.5:8786"])
    from sim.sweep.executors import prestart

    prestart(executor, workers)  # the workers' fork server loads the model while the scenario is checked
    try:
        plan = plan_sweep(scenario, runs, seed, list(sets), list(grids), turns, per_turn, fail_runs_from_env(), ranges=list(ranges), choices=list(choices), sample=sample, points=points, design_file=design_file, common_seeds=common_seeds)
    except ScenarioError as exc:
        _fail(exc.problems)
    except (OverrideError, SweepUsageError) as exc:
        _usage(exc.messages)
    if turns is not None:
        from sim.schema import calendar_end_problem

        beyond = calendar_end_problem(str(plan.base_data.get("start", "")), turns, plan.turn_months)
        if beyond is not None:
            _usage([f"{scenario}: --turns: {beyond}"])
    if executor == "local" and scheduler is None:
        notice_if_cold()  # the workers compile at their first run (a Dask cluster's have their own caches)
    progress = _RichProgress()
    opts = SweepOptions(out=out, workers=workers, executor=executor, scheduler=scheduler, resume=resume, batch_size=batch_size, write_csv=write_csv)
    if progress.console.is_terminal:
        click.echo(f"{plan.scenario_name}: {plan.n_points} point(s) x {plan.n_runs // plan.n_points} runs = {plan.n_runs} runs -> {out}", err=True)
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
    _print_summary(out, [a.target.path for a in plan.grid.axes], plan.outcome_specs)
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


@main.command()
@click.argument("results", type=click.Path(file_okay=False))
@click.option("--method", type=click.Choice(["sobol", "morris", "prim", "cart"]), help="sobol: Sobol indices (first and total order on a --sample sobol design; first order by RBD-FAST on any other); morris: elementary effects (a --sample morris design); cart or prim: scenario discovery for --condition. Default: the design's own method, or cart with --condition.")
@click.option("--outcome", "outcome", multiple=True, metavar="COL", help="An outcome (a runs.parquet column, or end_state=armed_clash); repeatable; default: every outcome that varies.")
@click.option("--condition", metavar="EXPR", help="For cart/prim: which runs to explain, e.g. \"end_state == 'armed_clash'\" or \"`tension.RUS-USA` > 0.7\".")
@click.option("--out", type=click.Path(file_okay=False), help="Output directory (default: RESULTS/analysis).")
def analyse(results: str, method: str | None, outcome: tuple[str, ...], condition: str | None, out: str | None) -> None:
    """Sensitivity indices (SALib) or scenario discovery (CART, PRIM) of the sweep in RESULTS.

    Writes tables (CSV), figures (PNG) and a convergence check (how the 95% intervals shrink with
    the runs per point) to RESULTS/analysis; run.py report then shows them.
    """
    require_extra("sweep", "pandas", "pyarrow", "matplotlib", "SALib")
    if method == "cart" or (condition and method is None):
        require_extra("analysis", "sklearn")
    from sim.sweep.analysis import AnalysisError
    from sim.sweep.analysis import analyse as run_analysis
    from sim.sweep.report import ReportError

    try:
        res = run_analysis(results, method, list(outcome) or None, condition, out)
    except (AnalysisError, ReportError) as exc:
        import re

        from sim.cli.main import _clipped

        _usage([re.sub(r"[^\s:]{121,}", lambda m: _clipped(m.group(0)), str(exc))])  # an --outcome of 5,000 characters
    click.echo(f"method: {res.method}")
    if res.method in ("cart", "prim"):
        for _, r in res.table.head(8).iterrows():
            click.echo(f"  {r['rule']}: {r['runs']} runs, coverage {100 * r['coverage']:.0f}%, density {100 * r['density']:.0f}%")
        if res.table.empty:
            click.echo(f"  no rule found: {res.no_rule or 'no parameter range where more runs meet the condition'}")
    else:
        from sim.sweep.analysis import INDEX_KEYS

        key, conf = INDEX_KEYS.get(res.method, ("S1", "S1_conf"))
        if not res.table.empty:
            click.echo(f"  the three largest {key} per outcome, each with the half-width of its 95% interval:")
        for o, g in res.table.groupby("outcome", sort=False):
            top = g.sort_values(key, ascending=False).head(3)
            click.echo(f"  {o}: " + ", ".join(f"{p} {v:.3g} +-{h:.2g}" for p, v, h in zip(top["parameter"], top[key], top[conf])))
    for n in res.notes:
        if not (res.no_rule and n.endswith(res.no_rule)):  # shown above
            click.echo(f"note: {n}")
    for f in res.files:
        click.echo(str(f))
