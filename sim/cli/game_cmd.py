"""The seminar game's commands: ``briefing``, ``debrief`` and ``new``.

* ``briefing SCENARIO [--team ID] --out DIR``: printable HTML briefings, one for the class and one
  per playable state (or for ``--team``), and ``all.html`` with every page for one print job.
* ``debrief SAVE.json [--runs N] --out DIR``: an HTML report with figures that sets the saved game
  against the same scenario played by the AI alone over N seeds (see :mod:`sim.debrief`).
* ``new NAME``: a new scenario file started from the tutorial; never overwrites a file.

Heavy libraries (matplotlib) are imported inside the commands.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click

from sim.cli.main import EXIT_USAGE, ROOT, SEED, _load, main, notice_if_cold, require_extra

BRIEFING_MARKER = ".greatpower-briefing"
DEBRIEF_MARKER = ".greatpower-debrief"
TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")


def _fail(msg: str) -> None:
    click.echo(msg, err=True)
    sys.exit(EXIT_USAGE)


# ---------------------------------------------------------------------------- briefing
@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--team", metavar="ID", help="Only this state's briefing (and the class page).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the HTML pages (created if missing).")
def briefing(scenario: str, team: str | None, out: str) -> None:
    """Write printable HTML briefings: the class page and one page per playable state.

    Open a page in a browser and print it (or print to PDF): each team starts on a new page.
    """
    from sim.briefing import briefing as team_briefing
    from sim.briefing import class_briefing
    from sim.cli.html import OutDirError, page, prepare_out_dir
    from sim.cli.html_pages import class_html, team_html
    from sim.files import write_text_atomic
    from sim.schema import playable_ids

    sc = _load(scenario)
    if team is not None and team not in sc.actors:
        _fail(f"--team {team}: unknown state (known: {', '.join(sc.actors)})")
    teams = [team] if team else playable_ids(sc)
    try:
        dest = prepare_out_dir(out, BRIEFING_MARKER, "briefing")
    except OutDirError as exc:
        _fail(str(exc))
    cb = class_briefing(sc)
    parts = [class_html(cb, sc)]
    written = []
    try:
        write_text_atomic(dest / "class.html", page(f"{sc.name}: briefing for the class", parts[0]))
        written.append("class.html")
        for t in teams:
            body = team_html(team_briefing(sc, t), sc)
            write_text_atomic(dest / f"team_{t}.html", page(f"{sc.name}: briefing for {sc.actors[t].name}", body))
            written.append(f"team_{t}.html")
            parts.append(f"<div class='team'>{body}</div>")
        write_text_atomic(dest / "all.html", page(f"{sc.name}: all briefings", "\n".join(parts)))
        written.append("all.html")
    except OSError as exc:
        _fail(f"--out {out}: cannot write: {exc.strerror or exc}")
    click.echo(f"wrote {len(written)} pages to {dest}: {', '.join(written)}")


# ---------------------------------------------------------------------------- new
@main.command()
@click.argument("name")
@click.option("--from", "template", type=click.Path(dir_okay=False), help="Start from this scenario instead of the tutorial.")
def new(name: str, template: str | None) -> None:
    """Start a new scenario file from the tutorial (never overwrites a file).

    NAME is a plain name (letters, digits, _ and -): the file is scenarios/NAME.yaml (NAME.yaml
    where there is no scenarios folder). A NAME with a folder or ending in .yaml is the path.
    With --from SCENARIO, an 'extends:' in it is rewritten to point to the same base from the
    new file's folder.
    """
    src = Path(template) if template else TUTORIAL
    if name.endswith(("/", os.sep)) or Path(name).is_dir():
        _fail(f"{name}: names a folder; give the new scenario's name (e.g. {os.path.join(name, 'my_scenario')})")
    bare = "/" not in name and os.sep not in name and not name.lower().endswith((".yaml", ".yml"))
    if bare:
        folder = Path("scenarios") if Path("scenarios").is_dir() else Path(".")
        path = folder / f"{name}.yaml"
    else:
        path = Path(name)
        if path.suffix.lower() not in (".yaml", ".yml"):
            path = path.with_name(path.name + ".yaml")
    stem = path.stem
    if not NAME_RE.match(stem):
        _fail(f"{name}: a scenario name uses letters, digits, _ and - (up to 64), starting with a letter or digit")
    if not path.parent.is_dir():
        _fail(f"{path}: the folder {path.parent} does not exist")
    if os.path.lexists(path):
        _fail(f"{path}: already exists; choose another name (new never overwrites a file)")
    from sim.loader import ScenarioError, parse_scenario, read_file

    try:
        text = read_file(src)
    except ScenarioError as exc:
        _fail(str(exc.problems[0]))
    _load(str(src))  # the template must be a valid scenario
    title = stem.replace("_", " ").replace("-", " ").strip().capitalize()
    entries = _top_entries(text)
    base = _extends_of(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in the template's text
    if "name" in entries:
        edits.append((*entries["name"], f"name: {json.dumps(title)}"))
    if base is not None:
        # the base is found relative to the scenario's own folder: point to it from the new file's
        found = (src.parent / base).resolve()
        try:
            target = Path(os.path.relpath(found, path.parent.resolve())).as_posix()
        except ValueError:  # another drive (Windows): no relative path
            target = found.as_posix()
        start, end = entries["extends"]
        edits.append((start, end, f"extends: {json.dumps(target)}"))
        if "name" not in entries:  # a derived scenario may take its name from the base: give it its own
            sep = ", " if _flow_style(text) else "\n"
            edits.append((start, start, f"name: {json.dumps(title)}{sep}"))
    if "name" not in entries and base is None:
        _fail(f"{src}: no top-level 'name:' line to replace")
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    header = (
        f"# {path.name}: a new scenario, started from {src.name} by 'run.py new'.\n"
        "# Change the story, the states, the issues and the numbers; give every number a source.\n"
        f"# Check it with: python run.py validate {path}\n"
    )
    try:
        parse_scenario(header + text, str(path))  # what is written must load (extends and all)
    except ScenarioError as exc:
        _fail(f"{path}: not written: the new scenario would not load: {exc.problems[0]}")
    try:
        _write_new(path, header + text)
    except FileExistsError:
        _fail(f"{path}: already exists; choose another name (new never overwrites a file)")
    except OSError as exc:
        _fail(f"{path}: cannot write: {exc.strerror or exc}")
    _load(str(path))
    via = f"; extends {target}" if base is not None else ""
    click.echo(f"wrote {path} (from {src.name}{via}); edit it, then: python run.py validate {path}")


def _extends_of(text: str) -> str | None:
    """The ``extends`` file name of a valid scenario's text (``None`` if it extends none)."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load(text)
    ref = data.get("extends") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) else None


def _flow_style(text: str) -> bool:
    """Whether a valid scenario's top-level mapping is written in flow style (``{...}``)."""
    from ruamel.yaml import YAML

    return bool(YAML(typ="safe", pure=True).compose(text).flow_style)


def _top_entries(text: str) -> dict[str, tuple[int, int]]:
    """Where each top-level entry of a valid scenario's text is: ``{key: (start, end)}``.

    The span runs from the key to the end of its value, whatever its style (a quoted or plain
    value on the next line, a folded or literal block, a flow mapping), without the line break
    that ends it, so that a replacement ``key: value`` keeps the rest of the file as it was.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    root = YAML(typ="safe", pure=True).compose(text)
    out: dict[str, tuple[int, int]] = {}
    if not isinstance(root, MappingNode):
        return out
    for key, value in root.value:
        if isinstance(key, ScalarNode) and isinstance(key.value, str):
            end = value.end_mark.index
            while end > key.start_mark.index and text[end - 1] in "\r\n":
                end -= 1  # a block scalar's span takes the line breaks after it
            out[key.value] = (key.start_mark.index, end)
    return out


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet, atomically: a temporary file hard-linked into place.

    The link fails if the name exists (so nothing is overwritten, even by a race); file systems
    without hard links fall back to an exclusive create.

    Raises:
        FileExistsError: ``path`` exists.
        OSError: the folder cannot be written.
    """
    from sim.files import write_text_atomic

    write_text_atomic(path, text, exclusive=True)


# ---------------------------------------------------------------------------- debrief
@main.command()
@click.argument("save", type=click.Path(dir_okay=False))
@click.option("--runs", type=click.IntRange(1, 1000), default=20, show_default=True, help="All-AI games of the same scenario to compare with.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Master seed of the AI games, 0 to 2**64-1 (each game's seed is spawned from it).")
@click.option("--scenario", "scenario_path", type=click.Path(dir_okay=False), help="The save's scenario file, if it was moved.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the report (created if missing).")
def debrief(save: str, runs: int, seed: int, scenario_path: str | None, out: str) -> None:
    """Write a debrief report: a saved game against the AI playing the same scenario alone.

    The report (OUT/debrief.html, with figures) shows the game turn by turn against the median
    and 10-90% band of RUNS all-AI games, where each final outcome falls among them, the months
    that moved the game furthest from the AI's usual path with the teams' decisions, the teams'
    scorecards, and the scenario's debrief questions. Any save works, including one written by
    'run.py run SCENARIO --save FILE'.
    """
    require_extra("sweep", "matplotlib")
    from sim.cli.debrief_report import write_debrief
    from sim.cli.html import OutDirError, prepare_out_dir
    from sim.debrief import ai_seeds
    from sim.debrief import debrief as make_debrief
    from sim.debrief import play_ai
    from sim.score import GameRecord
    from sim.model import GreatPowerModel
    from sim.ui import save as saves

    try:
        data = saves.read_save(save)
        sc, path = saves.scenario_of(data, save, scenario_path, how="debrief SAVE --scenario SCENARIO")
        saves.check_scenario(data, sc, path, how="debrief SAVE --scenario SCENARIO")
        model, _ = saves.restore(data, sc, GreatPowerModel)
    except saves.SaveError as exc:
        _fail(saves.cli_message(save, exc))
    rec = GameRecord.of_save(data, sc)
    humans = [h for h in data["humans"] if h in sc.actors]
    horizon = model.horizon
    last = rec.turn
    finished = str(rec.history[-1].get("end_state", "running")) != "running"
    ai_turns = max(1, horizon if finished else last)
    try:
        dest = prepare_out_dir(out, DEBRIEF_MARKER, "debrief")
    except OutDirError as exc:
        _fail(str(exc))
    seeds = ai_seeds(seed, runs)
    notice_if_cold()
    click.echo(f"playing {runs} all-AI game{'s' * (runs != 1)} of '{sc.name}' ({ai_turns} turns each) ...", err=True)
    ai = [play_ai(sc, s, ai_turns) for s in seeds]
    try:
        d = make_debrief(rec, ai, humans, seeds)
    except (KeyError, TypeError, ValueError) as exc:
        _fail(f"{save}: the saved game does not fit its scenario: {exc}")
    try:
        written = write_debrief(d, rec, dest, save_name=Path(save).name, master_seed=seed)
    except OSError as exc:
        _fail(f"--out {out}: cannot write: {exc.strerror or exc}")
    click.echo(f"wrote {dest / 'debrief.html'} ({len(written)} files)")
