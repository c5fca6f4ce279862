"""``python run.py COMMAND``: validate, run, schema (and, later, sweep, report, play).

Errors in user input print ``FILE:LINE: path: message`` lines on stderr and exit with status 2,
never a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline_2021.yaml"
EXIT_USAGE = 2


MAX_PROBLEMS_SHOWN = 20
"""Problems of one file printed one per line; the rest are counted in one more line."""


def _fail(problems: list) -> None:
    """Print the problems of a file (at most :data:`MAX_PROBLEMS_SHOWN`, then a count); exit 2."""
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(str(p), err=True)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        rest = problems[MAX_PROBLEMS_SHOWN:]
        files = sorted({p.file for p in rest})
        click.echo(f"{files[0] if len(files) == 1 else ', '.join(files)}: and {len(rest)} more problems", err=True)
    sys.exit(EXIT_USAGE)


def _load(path: str):
    from sim.loader import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        _fail(exc.problems)


def _clipped(text: str, limit: int = 120) -> str:
    """A path as a message repeats it: its start and its length when longer than ``limit``."""
    return text if len(text) <= limit else f"{text[: limit - 30]}... ({len(text):,} characters)"


class OneLineUsageError(click.ClickException):
    """A usage error shown as one line: ``run.py sweep: --runs: 'abc' is not a valid integer range.``"""

    exit_code = EXIT_USAGE

    def __init__(self, error: click.UsageError):
        # click repeats the value it refuses: a value of thousands of characters is cut
        super().__init__(re.sub(r"[^\s:]{121,}", lambda m: _clipped(m.group(0)), error.format_message()))
        self.where = error.ctx.command_path if error.ctx is not None else ""

    def show(self, file=None) -> None:
        """Print the one line on stderr."""
        hint = f" (see {self.where} --help)" if self.where else ""
        click.echo(f"{self.where}: {self.format_message()}{hint}" if self.where else self.format_message(), err=True)


PATH_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.ELOOP, errno.EROFS, errno.EEXIST, errno.EINVAL})
"""Errors of a file or folder the user named (a name too long, a folder missing or without
permission...): bad input, exit status 2. Any other (a full disk, an I/O error) exits with 1."""


class OneLineFileError(click.ClickException):
    """A file or folder that cannot be used, caught wherever a command met it: one line,
    ``PATH: reason``, never a traceback (e.g. an --out path with a name too long)."""

    def __init__(self, error: OSError):
        name = error.filename if isinstance(error.filename, str) else os.fsdecode(error.filename)
        super().__init__(f"{_clipped(name)}: {error.strerror or type(error).__name__}")
        self.exit_code = EXIT_USAGE if error.errno in PATH_ERRNOS else 1

    def show(self, file=None) -> None:
        """Print the one line on stderr."""
        click.echo(self.format_message(), err=True)


class OneLineGroup(click.Group):
    """The command group: a usage error that click catches (a bad value, a missing argument, an
    unknown option or command) is one line on stderr and exit status 2, not a usage block.

    Running the program with no command still shows the help.
    """

    @staticmethod
    def _one_line(error: click.UsageError) -> click.ClickException:
        if isinstance(error, getattr(click.exceptions, "NoArgsIsHelpError", ())):
            return error
        return OneLineUsageError(error)

    def make_context(self, *args, **kwargs):  # noqa: D102 - click's
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise self._one_line(exc) from None

    def invoke(self, ctx):  # noqa: D102 - click's
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise self._one_line(exc) from None
        except OSError as exc:  # a path the user gave that the system refuses (name too long, ...)
            if exc.filename is None:
                raise
            raise OneLineFileError(exc) from None


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def main() -> None:
    """Great-power bargaining: a turn-based simulation built from a 2021 interview."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # a non-UTF-8 terminal shows '?' rather than crash
        except (AttributeError, ValueError):
            pass


_FREEZE_AT_EXIT = False
"""Set by a command whose process may end without the final garbage collection (see :func:`entry`)."""


def entry() -> None:
    """The program's entry point (``run.py``): :func:`main`, then the interpreter's exit.

    After ``run``, the interpreter's teardown spends 0.2-0.3 s of CPU in garbage collections
    over every object that numba, pydantic and the model made (a quarter of a one-turn run).
    ``run`` and ``validate`` set :data:`_FREEZE_AT_EXIT`; the objects are then frozen (:func:`gc.freeze`) as
    the process exits, so the teardown frees them without scanning them again. Output, files
    and the exit status are the same: every file is written and closed by then, and atexit
    handlers run as before. Only this entry point does it (never a command invoked in-process,
    as tests do), and only on the way out.
    """
    try:
        main()
    finally:
        if _FREEZE_AT_EXIT:
            import gc

            gc.disable()
            gc.freeze()


@main.command()
@click.argument("scenario")
def validate(scenario: str) -> None:
    """Check a scenario file; print OK and a summary, or one line per problem (exit 2)."""
    global _FREEZE_AT_EXIT
    _FREEZE_AT_EXIT = True
    sc = _load(scenario)
    def count(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    click.echo(
        f"OK {scenario}: '{' '.join(sc.name.split())}', start {sc.start}, {count(sc.turns, 'turn')}; "
        f"{count(len(sc.actors), 'actor')}, {count(len(sc.blocs), 'bloc')}, "
        f"{count(len(sc.issues), 'issue')}, {count(len(sc.channels), 'channel')}, "
        f"{count(len(sc.theatres), 'theatre')}, {count(len(sc.events), 'event')}"
    )


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout ('-': stdout); says where it wrote, in one line.")
def schema(out: str | None) -> None:
    """Print the scenario JSON Schema (for editors), or write it to --out FILE."""
    from sim.schema import Scenario

    text = json.dumps(Scenario.model_json_schema(), indent=2, sort_keys=True) + "\n"
    if out is None or out == "-":
        click.echo(text, nl=False)
        return
    target = _check_out_path(out, "--out", ours=(_is_schema, "a scenario schema written by this command"))
    try:
        _write_text_atomic(target, text)
    except OSError as exc:
        click.echo(f"{out}: --out: cannot write: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"scenario JSON Schema written to {out} ({len(text.encode()):,} bytes)")


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    """Write JSON lines atomically (a temporary file renamed into place)."""
    _write_text_atomic(path, "".join(json.dumps(r, sort_keys=True, allow_nan=False) + "\n" for r in rows))


def _check_out_path(out: str, flag: str, protect: tuple = (), ours: tuple | None = None) -> Path:
    """Where to write an output file; refused (exit 2) when it would destroy something.

    Refused: an empty name, a directory, a missing folder, a device or other non-regular file
    (or a link to one), any of the ``protect`` files (a path, or ``(path, what it is)``; a bare
    path is the scenario being run), and, with ``ours = (test, words)``, an existing file whose
    first megabyte fails ``test`` (a file this command did not write: ``words`` says what it
    should be). A link to a regular file is written through (the link stays).
    """
    import os

    if out == "":
        click.echo(f"'': {flag}: no file name given", err=True)
        sys.exit(EXIT_USAGE)
    p = Path(out)
    target = Path(os.path.realpath(p))
    if target.exists() and not target.is_file():
        what = "is a directory" if target.is_dir() else "is not a regular file (a device or pipe)"
        click.echo(f"{out}: {flag}: {what}", err=True)
        sys.exit(EXIT_USAGE)
    if not target.parent.is_dir():
        click.echo(f"{out}: {flag}: the folder {p.parent} does not exist", err=True)
        sys.exit(EXIT_USAGE)
    for other in protect:
        other, what = other if isinstance(other, tuple) else (other, "the scenario file")
        if other and os.path.realpath(other) == str(target):
            click.echo(f"{out}: {flag}: is {what}; refusing to overwrite it", err=True)
            sys.exit(EXIT_USAGE)
    if ours is not None and target.is_file():
        test, words = ours
        try:
            with open(target, "rb") as f:
                head = f.read(1 << 20)
        except OSError as exc:
            click.echo(f"{out}: {flag}: cannot read: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_USAGE)
        if not test(head):
            click.echo(f"{out}: {flag}: exists and is not {words}; refusing to overwrite it", err=True)
            sys.exit(EXIT_USAGE)
    return target


def _is_turn_log(head: bytes) -> bool:
    """Whether a file starts as a turn log of ``run --log`` (its header line)."""
    first = head.split(b"\n", 1)[0]
    return first.startswith(b"{") and b'"scenario_sha256": "' in first and b'"turn": 0' in first


def _is_save(head: bytes) -> bool:
    """Whether a file starts as a save of this program (see :mod:`sim.ui.save`)."""
    return b'"format":"greatpower-save"' in head[:200].replace(b" ", b"")


def _is_schema(head: bytes) -> bool:
    """Whether a file is the scenario JSON Schema that ``schema --out`` writes."""
    return head.lstrip().startswith(b"{") and b'"title": "Scenario"' in head


def _write_text_atomic(path: Path, text: str) -> None:
    """Write text atomically (see :mod:`sim.files`)."""
    from sim.files import write_text_atomic

    write_text_atomic(path, text)


SEED_MAX = 2**64 - 1
"""Largest seed: a sweep's run seeds are 64-bit (:func:`sim.sweep.plan.seed_int`)."""


class SeedType(click.ParamType):
    """A seed or master seed: a whole number from 0 to :data:`SEED_MAX` (the model's range).

    Every command's ``--seed`` (``run``, ``play``, ``sweep``, ``validity``, ``backtest``,
    ``debrief``) takes this type, so all accept the same range and refuse a value outside it
    with the same message.
    """

    name = "seed"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        """The seed as an int; a value outside [0, 2**64-1] or not a whole number fails."""
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        else:
            try:
                n = int(str(value).strip(), 10)
            except ValueError:
                n = -1
        if not 0 <= n <= SEED_MAX:
            shown = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
            self.fail(f"{shown} is not a seed: a seed is a whole number from 0 to 2**64-1 ({SEED_MAX})", param, ctx)
        return n


SEED = SeedType()


def _usage(*messages: str) -> None:
    """One line per problem on stderr, exit status 2, no traceback."""
    for m in messages:
        click.echo(m, err=True)
    sys.exit(EXIT_USAGE)


@dataclass
class Setup:
    """What one run (or game) is made of, from the command line or from a sweep.

    Attributes:
        path: the scenario file.
        scenario: the validated scenario, overrides applied.
        seed: the model's seed, in [0, 2**64 - 1].
        turns: horizon override (``None``: the scenario's).
        overrides: ``{dotted path: value}`` of every ``--set`` (or the sweep's grid point).
        swept: the sweep run it remakes (``--from-sweep``), or ``None``.
        text_sha256: SHA-256 of the scenario file's text.
    """

    path: str
    scenario: Any
    seed: int
    turns: int | None
    overrides: dict[str, Any]
    swept: Any
    text_sha256: str

    def header(self) -> dict[str, Any]:
        """What a run log's first line records about how the run was made."""
        out: dict[str, Any] = {"overrides": dict(self.overrides)}
        if self.swept is not None:
            out["from_sweep"] = {"dir": self.swept.directory, "run_id": self.swept.run_id, "point": self.swept.point, "run": self.swept.run}
        return out


def setup_from_options(scenario: str | None, seed: int, turns: int | None, sets: tuple[str, ...], from_sweep: str | None, run_id: int | None) -> Setup:
    """The scenario, seed, turns and overrides that ``run`` and ``play`` were asked for.

    ``--set PATH=VALUE`` takes the same overrides as ``sweep --set`` (same parser, same checks).
    ``--from-sweep DIR --run-id K`` takes run K's scenario, grid-point overrides, seed and turns
    from the sweep's manifest and refuses a scenario whose data differs from the one swept.
    Every problem is one line on stderr and exit status 2.
    """
    ctx = click.get_current_context()

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE

    swept = None
    if run_id is not None and from_sweep is None:
        _usage("--run-id needs --from-sweep DIR")
    if from_sweep is not None:
        if run_id is None:
            _usage(f"{from_sweep}: --from-sweep needs --run-id K (a run_id of the sweep's runs.parquet)")
        clash = [f"--{n}" for n in ("seed", "turns", "set") if given("sets" if n == "set" else n)]
        if clash:
            _usage(f"--from-sweep takes the seed, turns and overrides from the sweep; leave out {', '.join(clash)}")
        from sim.sweep.rerun import RerunError, read_swept_run

        try:
            swept = read_swept_run(from_sweep, run_id)
        except RerunError as exc:
            _usage(str(exc))
        if scenario is None and not Path(swept.scenario_file).is_file():
            _usage(
                f"{from_sweep}: --from-sweep: the sweep's scenario {swept.scenario_file} is not here; "
                f"give it: SCENARIO --from-sweep {from_sweep} --run-id {run_id}"
            )
        scenario = scenario or swept.scenario_file
        seed, turns, sets = swept.seed, swept.turns, tuple(swept.set_flags())
        from sim.sweep.code import code_hash, short

        if swept.code_hash is not None and swept.code_hash != code_hash():
            click.echo(
                f"note: the sweep was made by other code (code {short(swept.code_hash)}, this is {short(code_hash())}); "
                "this run may differ from its row in runs.parquet",
                err=True,
            )
    path = str(BASELINE) if scenario is None else scenario
    expect = None if swept is None else (swept.scenario_hash, from_sweep)
    sc, overrides, text_hash = load_with_overrides(path, sets, expect)
    if turns is not None:
        from sim.schema import calendar_end_problem

        beyond = calendar_end_problem(sc.start, turns, sc.turn_months)
        if beyond is not None:
            _usage(f"{path}: --turns: {beyond}")
    return Setup(path, sc, seed, turns, overrides, swept, text_hash)


def load_with_overrides(path: str, sets: tuple[str, ...] | list[str], expect: tuple[str, str] | None = None) -> tuple[Any, dict[str, Any], str]:
    """Read a scenario and apply ``--set PATH=VALUE`` overrides as ``sweep --set`` does.

    Args:
        path: the scenario file.
        sets: ``PATH=VALUE`` texts.
        expect: ``(data hash, sweep directory)``: refuse a scenario whose merged data differs.

    Returns:
        ``(scenario, {dotted path: value}, SHA-256 of the file's text)``. Every problem is one
        line on stderr and exit status 2.
    """
    from sim.loader import ScenarioError, content_hash, read_file, read_source

    try:
        text = read_file(path)
        source = read_source(text, path)
        base = source.validate()
    except ScenarioError as exc:
        _fail(exc.problems)
    if expect is not None:
        from sim.sweep.plan import data_hash

        digest = data_hash(source.data)
        if digest != expect[0]:
            _usage(
                f"{path}: not the scenario of the sweep in {expect[1]} "
                f"(its data hash is {digest[:12]}, the sweep's {expect[0][:12]})"
            )
    if not sets:
        return base, {}, content_hash(text)
    from sim.sweep.overrides import OverrideError, apply, build_grid, check_grid, parse_flags

    try:
        grid = build_grid(parse_flags(list(sets), [], base.model_dump()))
        check_grid(source, grid)
    except OverrideError as exc:
        _usage(*exc.messages)
    sc = source.validate(apply(source.data, grid.points[0], label="override"))
    return sc, grid.params(0), content_hash(text)


@main.command()
@click.argument("scenario", required=False)
@click.option("--seed", type=SEED, default=7, show_default=True, help="Seed of the model's generators, 0 to 2**64-1 (a sweep's seed column).")
@click.option("--turns", type=click.IntRange(1, 600), help="Turns to run (default: the scenario's).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override one value, as sweep --set does, e.g. dynamics.tension_decay=0.1. Repeatable.")
@click.option("--from-sweep", "from_sweep", metavar="DIR", help="Make one run of the sweep in DIR again (its scenario, overrides, seed and turns); needs --run-id.")
@click.option("--run-id", "run_id", type=click.IntRange(min=0), help="With --from-sweep: the run's run_id in runs.parquet.")
@click.option("--log", "log_path", type=click.Path(), help="Write the turn log as JSON lines (one line per turn).")
@click.option("--save", "save_path", type=click.Path(), help="Write the game as a save (the front end's format): replay it with 'play --load', debrief it with 'debrief'.")
@click.option("--verbose", "-v", is_flag=True, help="Show every decision with its reason, and every round of talks.")
@click.option("--quiet", "-q", is_flag=True, help="Only the final tables (a first run's one-line compile notice still goes to stderr).")
def run(scenario: str | None, seed: int, turns: int | None, sets: tuple[str, ...], from_sweep: str | None, run_id: int | None, log_path: str | None, save_path: str | None, verbose: bool, quiet: bool) -> None:
    """One headless run with a turn-by-turn account (default: the baseline scenario).

    By default each turn shows what changed the world; --verbose adds every decision with the
    term and source that decided it and every round of talks; --log keeps all of it; --save
    writes the game as a save that 'play --load' replays and 'debrief' compares with the AI's
    usual games. --from-sweep DIR --run-id K makes run K of a sweep again: its final outcomes
    equal its row in DIR/runs.parquet.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from sim.cli.account import END_WORDS, counted, describe, patrols_digest, talks_digest
    from sim.model import GreatPowerModel

    global _FREEZE_AT_EXIT
    _FREEZE_AT_EXIT = True
    setup = setup_from_options(scenario, seed, turns, sets, from_sweep, run_id)
    path, sc, seed = setup.path, setup.scenario, setup.seed
    log_file = _check_out_path(log_path, "--log", (path,), ours=(_is_turn_log, "a turn log of this program")) if log_path is not None else None
    save_file = _check_save_path(save_path, (path, (log_path or "", "also the --log file"))) if save_path is not None else None
    notice_if_cold()
    model = GreatPowerModel(sc, seed=seed, turns=setup.turns)
    history = [json.loads(json.dumps(model.snapshot()))] if save_file is not None else None
    gp = frozenset(sc.great_powers)
    con = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    start = dict(model.outcomes())
    start_status = model.snapshot()["channels"]
    con.print(f"[bold]{escape(sc.name)}[/] - seed {seed}, up to {counted(model.horizon, 'turn')} from {sc.start}")
    if setup.swept is not None:
        sw = setup.swept
        con.print(escape(f"run {sw.run_id} of the sweep in {sw.directory} (grid point {sw.point}, run {sw.run})"))
    if setup.overrides:
        con.print(escape("overrides: " + ", ".join(f"{k}={v}" for k, v in setup.overrides.items())))
    while model.running:
        model.step()
        if history is not None:
            history.append(json.loads(json.dumps(model.snapshot())))
        if quiet:
            continue
        entry = model.log[-1]
        con.rule(f"turn {entry['turn']} ({entry['date']})", style="dim")
        for ev in entry["events"]:
            line = describe(ev, verbose, gp)
            if line:
                con.print(line)
        if not verbose:
            for digest in (patrols_digest(entry["events"]), talks_digest(entry["events"])):
                if digest:
                    con.print(digest)
    end = model.outcomes()
    snap = model.snapshot()
    t = Table(title=f"Issues after {counted(model.turn, 'turn')} ({model.date()})")
    t.add_column("issue")
    t.add_column("start", justify="right")
    t.add_column("end", justify="right")
    t.add_column("change", justify="right")
    for x in model.world.issue_ids:
        a, b = start[f"issue.{x}"], end[f"issue.{x}"]
        t.add_row(escape(f"{sc.issues[x].label} ({x})"), f"{a:.3f}", f"{b:.3f}", f"{b - a:+.3f}")
    con.print(t)
    t2 = Table(title="Great powers: tension in [0, 1]")
    t2.add_column("pair")
    t2.add_column("start", justify="right")
    t2.add_column("end", justify="right")
    t2.add_column("peak", justify="right")
    for k, v in end.items():
        if k.startswith("tension."):
            pair = k.split(".", 1)[1]
            t2.add_row(pair, f"{start[k]:.3f}", f"{v:.3f}", f"{model.peak_tension.get(pair, v):.3f}")
    con.print(t2)
    if "alignment.CHN-RUS" in end:
        con.print(f"Russia-China alignment in [-1, 1]: {start['alignment.CHN-RUS']:+.3f} -> {end['alignment.CHN-RUS']:+.3f}")
    changed = [f"{c}: {start_status[c]['status']} -> {v['status']}" for c, v in snap["channels"].items() if v["status"] != start_status[c]["status"]]
    con.print(f"channels open: {end['channels_open']} of {len(snap['channels'])}" + (f" (changed: {'; '.join(changed)})" if changed else ""))
    tot = snap["totals"]
    conflicts = tot.get("disputes", 0)
    con.print(
        f"incidents {tot['incidents']}, crises {tot['crises']}, agreements {tot['agreements']}, "
        f"talks without agreement {tot['conflicts']} (conflicts {conflicts}, stalemates and bloc rejections {tot['conflicts'] - conflicts}), "
        f"expulsions {tot['expulsions']}, closures {tot['closures']}, "
        f"joint patrols {tot.get('patrols', 0)}, vetoes {tot.get('vetoes', 0)}, red lines {tot.get('red_lines', 0)}, uses of force {tot.get('force', 0)}"
    )
    detail = ""
    if model.end_state == "armed_clash":
        clash = next((e for e in model.log[-1]["events"] if e.get("armed_clash")), None)
        if clash:
            how = "a deliberate use of force" if clash.get("cause") == "deliberate" else "an incident that escalated"
            detail = f": {' and '.join(clash['actors'])} in {clash['theatre']}, {how}"
    con.print(f"[bold]end state: {model.end_state}[/] ({END_WORDS.get(model.end_state, '')}{detail}) at turn {model.turn} ({model.date()})")
    if log_file is not None:
        header = {
            "turn": 0,
            "date": model.date(0),
            "scenario": sc.name,
            "scenario_file": path,
            "scenario_sha256": setup.text_sha256,
            "seed": seed,
            "turns": model.horizon,
            **setup.header(),
            "version": _version(),
            "events": [],
            "summary": start,
        }
        try:
            _write_jsonl(log_file, [header, *model.log])
        except OSError as exc:
            click.echo(f"{log_path}: --log: cannot write: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_USAGE)
        con.print(f"turn log written to {log_path}")
    if save_file is not None:
        from sim.ui import save as saves

        doc = saves.make_save(scenario=sc, scenario_path=path, model_state=model.to_state(), snapshots=history, humans=[], ui={"seed": seed}, overrides=setup.overrides)
        try:
            saves.write_save(save_file, doc)
        except saves.SaveError as exc:
            click.echo(f"{save_path}: --save: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        con.print(f"game saved to {save_path} (replay: run.py play --load {save_path}; debrief: run.py debrief {save_path} --out DIR)")


def notice_if_cold() -> bool:
    """Print one line on stderr when the compiled code's disk cache is cold, before it compiles.

    A cold cache (a first run, changed code, a new numba) makes the first turn compile for a
    minute or more, during which nothing else is printed. The check only reads numba's cache
    index (:func:`sim.compiled_cache.compile_ahead`, shared with the front end), never compiles.
    The line goes to stderr also with ``--quiet``: it tells a person at a terminal why nothing
    moves, and stdout (what a script reads) stays exactly the run's output.

    Returns:
        Whether the notice was printed.
    """
    from sim.compiled_cache import NOTICE, compile_ahead

    if not compile_ahead():
        return False
    click.echo(NOTICE + ".", err=True)
    return True


def _check_save_path(out: str, protect: tuple) -> Path:
    """Where ``--save`` may write: as :func:`_check_out_path`, and an existing file must be a save.

    A file that exists and is not a save of this program is never overwritten (exit 2).
    """
    return _check_out_path(out, "--save", protect, ours=(_is_save, "a save of this program"))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("greatpower")
    except PackageNotFoundError:
        return "unknown"


def require_extra(extra: str, *modules: str) -> None:
    """Exit 2 with an install hint when a command's optional libraries are missing.

    Args:
        extra: the pyproject extra that brings them (``sweep``, ``dask``, ``ui``).
        modules: importable module names to look for.
    """
    import importlib.util

    missing = []
    for mod in modules:
        try:
            if importlib.util.find_spec(mod) is None:
                missing.append(mod)
        except (ImportError, ValueError):
            missing.append(mod)
    if missing:
        click.echo(
            f"this command needs {', '.join(missing)}: install the '{extra}' extra, "
            f"e.g. pip install -e '.[{extra}]' (or '.[test]' for everything)",
            err=True,
        )
        sys.exit(EXIT_USAGE)


def _register_optional_commands() -> None:
    """Add the commands that live in their own modules (sweep/report, play, backtest, validity), if present."""
    import importlib

    for mod in ("sim.cli.sweep_cmd", "sim.cli.play_cmd", "sim.cli.backtest_cmd", "sim.cli.validity_cmd", "sim.cli.game_cmd"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


_register_optional_commands()
