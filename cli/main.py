"""``python run.py COMMAND``: validate, run, schema (and, later, sweep, report, play).

Errors in user input print ``FILE:LINE: path: message`` lines on stderr and exit with status 2,
never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rich.markup import escape

from sim.loader import Problem, ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline_2021.yaml"
EXIT_USAGE = 2


def _fail(problems: list[Problem]) -> None:
    for p in problems:
        click.echo(str(p), err=True)
    sys.exit(EXIT_USAGE)


def _load(path: str):
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        _fail(exc.problems)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Great-power bargaining: a turn-based simulation built from a 2021 interview."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
def validate(scenario: str) -> None:
    """Check a scenario file; print OK and a summary, or one line per problem (exit 2)."""
    sc = _load(scenario)
    click.echo(
        f"OK {scenario}: '{sc.name}', start {sc.start}, {sc.turns} turns; "
        f"{len(sc.actors)} actors, {len(sc.blocs)} blocs, {len(sc.issues)} issues, "
        f"{len(sc.channels)} channels, {len(sc.theatres)} theatres, {len(sc.events)} events"
    )


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
def schema(out: str | None) -> None:
    """Print the scenario JSON Schema (for editors)."""
    from sim.schema import Scenario

    text = json.dumps(Scenario.model_json_schema(), indent=2, sort_keys=True) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _describe(ev: dict) -> str | None:
    """One readable line for a turn-log event (None: not shown in the terminal)."""
    t = ev.get("type")
    if t == "decision":
        if ev.get("action", "").startswith(("pass", "propose")):
            return None  # proposals show as talks below; every decision is in --log
        if ev.get("done") is False:
            return None
        why = ""
        terms = ev.get("terms") or []
        if terms:
            top = max(terms[:2], key=lambda x: abs(x.get("value", 0)))  # the additive terms
            src = f"; {top['source']}" if top.get("source") else ""
            why = f"  [dim]({escape(top['term'])} {top['value']:+.3f}{escape(src)})[/]"
        who = ev["actor"] + (" (human)" if ev.get("human") else "")
        return f"[bold]{who}[/]: {escape(ev['action'])}{why}"
    if t == "proposal":
        moved = f", moved {ev['moved']:.2f}" if ev.get("moved") else ""
        return f"  talks {ev['from']} -> {ev['to']} on {ev['issue']}: [italic]{ev['outcome']}[/]{moved}"
    if t in ("channel", "staff", "patrol", "motion"):
        return None  # shown by the decision that made them
    if t == "incident":
        extra = " -> [bold red]CRISIS[/]" if ev.get("crisis") else ""
        if ev.get("armed_clash"):
            extra += " -> [bold red]ARMED CLASH[/]"
        return f"[red]incident[/] in {ev['theatre']} between {' and '.join(ev['actors'])} (deconfliction {ev['deconfliction']:.2f}){extra}"
    if t == "patrol":
        return f"joint patrol {' + '.join(ev['actors'])} in {ev['theatre']}"
    if t == "motion":
        return f"{ev['candidate']} applies to {ev['bloc']}"
    if t == "vote":
        res = "passes" if ev["passed"] else "fails"
        return f"{ev['bloc']} vote on {ev['candidate']} (to {ev['to_level']}): {res}; no: {', '.join(ev['no']) or '-'}"
    if t == "issue":
        return f"[cyan]issue {ev['issue']}: {ev['from']:.3f} -> {ev['to']:.3f}[/]"
    if t == "red_line":
        return f"[bold red]red line of {ev['actor']} on {ev['issue']} crossed ({ev['state']:.2f} >= {ev['threshold']:.2f})[/] {ev.get('note', '')}"
    if t == "event":
        return f"[magenta]event {ev['kind']}[/]: {ev.get('text') or ''} ({ev.get('source', '')})"
    if t == "accession":
        return f"[bold]{ev['member']} joins {ev['bloc']}[/]"
    if t == "end":
        return f"[bold]end: {ev['state']}[/]"
    return None


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    """Write JSON lines atomically (a temporary file renamed into place)."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, sort_keys=True, allow_nan=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@main.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the model's generator.")
@click.option("--turns", type=click.IntRange(1, 600), help="Turns to run (default: the scenario's).")
@click.option("--log", "log_path", type=click.Path(dir_okay=False), help="Write the turn log as JSON lines.")
@click.option("--quiet", is_flag=True, help="Only the final table.")
def run(scenario: str | None, seed: int, turns: int | None, log_path: str | None, quiet: bool) -> None:
    """One headless run with a turn-by-turn account (default: the baseline scenario)."""
    from rich.console import Console
    from rich.table import Table

    from sim.model import GreatPowerModel

    path = scenario or str(BASELINE)
    sc = _load(path)
    model = GreatPowerModel(sc, seed=seed, turns=turns)
    con = Console(highlight=False)
    start = {k: v for k, v in model.outcomes().items()}
    start_status = model.snapshot()["channels"]
    con.print(f"[bold]{sc.name}[/] - seed {seed}, {model.horizon} turns from {sc.start}")
    while model.running:
        model.step()
        if quiet:
            continue
        entry = model.log[-1]
        con.rule(f"turn {entry['turn']} ({entry['date']})", style="dim")
        for ev in entry["events"]:
            line = _describe(ev)
            if line:
                con.print(line)
    end = model.outcomes()
    snap = model.snapshot()
    t = Table(title=f"Issues after {model.turn} turns ({model.date()})")
    t.add_column("issue")
    t.add_column("start", justify="right")
    t.add_column("end", justify="right")
    t.add_column("change", justify="right")
    for x in model.world.issue_ids:
        a, b = start[f"issue.{x}"], end[f"issue.{x}"]
        t.add_row(sc.issues[x].label, f"{a:.3f}", f"{b:.3f}", f"{b - a:+.3f}")
    con.print(t)
    t2 = Table(title="Great powers")
    t2.add_column("pair")
    t2.add_column("tension start", justify="right")
    t2.add_column("tension end", justify="right")
    t2.add_column("peak", justify="right")
    for k, v in end.items():
        if k.startswith("tension."):
            pair = k.split(".", 1)[1]
            t2.add_row(pair, f"{start[k]:.3f}", f"{v:.3f}", f"{model.peak_tension.get(pair, v):.3f}")
    if "alignment.CHN-RUS" in end:
        t2.add_row("alignment CHN-RUS", f"{start['alignment.CHN-RUS']:+.3f}", f"{end['alignment.CHN-RUS']:+.3f}", "")
    con.print(t2)
    changed = [f"{c}: {start_status[c]['status']} -> {v['status']}" for c, v in snap["channels"].items() if v["status"] != start_status[c]["status"]]
    con.print(
        f"channels open: {end['channels_open']} of {len(snap['channels'])}"
        + (f" (changed: {'; '.join(changed)})" if changed else "")
    )
    tot = snap["totals"]
    con.print(
        f"incidents {tot['incidents']}, crises {tot['crises']}, agreements {tot['agreements']}, "
        f"conflicts {tot['conflicts']}, expulsions {tot['expulsions']}, closures {tot['closures']}"
    )
    con.print(f"[bold]end state: {model.end_state}[/]")
    if log_path:
        rows = [{"turn": 0, "date": model.date(0), "scenario": sc.name, "seed": seed, "events": [], "summary": start}]
        _write_jsonl(Path(log_path), rows + model.log)
        con.print(f"turn log written to {log_path}")


def _register_optional_commands() -> None:
    """Add the commands that live in their own modules (sweep/report, play), if present."""
    import importlib

    for mod in ("cli.sweep_cmd", "cli.play_cmd"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


_register_optional_commands()
