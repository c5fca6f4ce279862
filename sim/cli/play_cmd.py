"""``python run.py play``: the pygame front end (README, Playing in a seminar).

pygame is imported inside the command only, so ``run``, ``validate`` and the other commands
never load it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from sim.cli.main import EXIT_USAGE, SEED, main, require_extra, setup_from_options


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise click.BadParameter("give the size as WIDTHxHEIGHT, e.g. 1280x800") from None
    if w < 640 or h < 400 or w > 8192 or h > 8192:
        raise click.BadParameter("the window must be between 640x400 and 8192x8192")
    return w, h


def _a_number(value: float) -> float:
    """``value`` unless it is nan, which every range check lets through (nan < x is false)."""
    if value != value:
        raise click.BadParameter("nan is not a number; give a text size from 0.75 to 2.5")
    return value


@main.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--as", "as_", metavar="ID", help="Play this state (one human team); the AI plays the rest."
)
@click.option(
    "--hotseat",
    metavar="ID,ID,...",
    help="Hot-seat: these states take turns at one keyboard, in this order.",
)
@click.option(
    "--seed",
    type=SEED,
    default=7,
    show_default=True,
    help="Seed of the model's generators, 0 to 2**64-1.",
)
@click.option(
    "--turns", type=click.IntRange(1, 600), help="Turns to play (default: the scenario's)."
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override one value, as sweep --set does. Repeatable.",
)
@click.option(
    "--from-sweep",
    "from_sweep",
    metavar="DIR",
    help="Play the world of one run of the sweep in DIR (its scenario, overrides, seed, turns); needs --run-id.",
)
@click.option(
    "--run-id", "run_id", type=click.IntRange(min=0), help="With --from-sweep: the run's run_id."
)
@click.option(
    "--load", "load_path", type=click.Path(dir_okay=False), help="Resume a saved game (JSON)."
)
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False),
    help="Render the first frame to this PNG and exit (works headless). An existing PNG is kept (exit 2) unless --force; a file that is not a PNG is never replaced.",
)
@click.option("--force", is_flag=True, help="With --screenshot: replace an existing PNG of that name.")
@click.option("--size", default="1280x800", show_default=True, help="Window size WIDTHxHEIGHT.")
@click.option(
    "--text-scale",
    type=click.FloatRange(0.75, 2.5),
    callback=lambda _ctx, _param, v: _a_number(v),
    default=1.0,
    show_default=True,
    help="Text size relative to the default (16 px body text at 1280x800); Ctrl+= and Ctrl+- change it while playing.",
)
@click.option(
    "--save-dir",
    default="saves",
    show_default=True,
    help="Default folder of the save and load dialogs.",
)
def play(scenario, as_, hotseat, seed, turns, sets, from_sweep, run_id, load_path, screenshot, force, size, text_scale, save_dir) -> None:
    """Play a scenario in a window: hot-seat teams, instructor events, save, load, replay.

    Without --as or --hotseat a start screen picks the human teams (with --screenshot the
    start screen is skipped and the scenario's own controllers are used).
    """
    require_extra("ui", "pygame", "pygame_gui")
    wh = _parse_size(size)
    if as_ and hotseat:
        click.echo("give either --as or --hotseat, not both", err=True)
        sys.exit(EXIT_USAGE)
    humans = None
    if as_:
        humans = [as_.strip()]
    elif hotseat is not None:
        humans = [h.strip() for h in hotseat.split(",") if h.strip()]
        if not humans:
            click.echo("--hotseat: give one or more state ids, e.g. RUS,USA", err=True)
            sys.exit(EXIT_USAGE)
        if len(set(humans)) != len(humans):
            click.echo(f"--hotseat {hotseat}: a state is listed twice", err=True)
            sys.exit(EXIT_USAGE)
    if screenshot is not None:
        if not screenshot.lower().endswith(".png"):
            click.echo(f"{screenshot}: --screenshot: the file must end in .png", err=True)
            sys.exit(EXIT_USAGE)
        shot = Path(os.path.realpath(screenshot))
        if shot.exists() and not shot.is_file():
            click.echo(f"{screenshot}: --screenshot: is not a regular file", err=True)
            sys.exit(EXIT_USAGE)
        if shot.is_file() and not shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n":
            click.echo(f"{screenshot}: --screenshot: exists and is not a PNG; refusing to overwrite it", err=True)
            sys.exit(EXIT_USAGE)
    if screenshot:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

    from sim.compiled_cache import NOTICE, compile_ahead
    from sim.ui import save as saves
    from sim.ui.controller import GameController

    if compile_ahead():  # a cold numba cache: say so before the model is built (it compiles)
        click.echo(NOTICE + ".", err=True)

    if load_path:
        if sets or from_sweep or run_id is not None:
            click.echo("--load resumes a save as it was: leave out --set, --from-sweep and --run-id", err=True)
            sys.exit(EXIT_USAGE)
        try:
            data = saves.read_save(load_path)
            sc, path = saves.scenario_of(data, load_path, scenario)
            saves.check_scenario(data, sc, path)
            ctrl = GameController.from_save(data, sc, path)
        except saves.SaveError as exc:
            click.echo(saves.cli_message(load_path, exc), err=True)
            sys.exit(EXIT_USAGE)
        if humans is not None:
            click.echo(
                "--as/--hotseat are ignored with --load (the save keeps its teams)", err=True
            )
    else:
        setup = setup_from_options(scenario, seed, turns, sets, from_sweep, run_id)
        path, sc = setup.path, setup.scenario
        if humans is None and screenshot:
            humans = [a for a, s in sc.actors.items() if s.controller == "human"]
        try:
            ctrl = GameController(
                sc, path, seed=setup.seed, humans=humans, turns=setup.turns, overrides=setup.overrides
            )
        except ValueError as exc:
            click.echo(f"{path}: {exc}", err=True)
            sys.exit(EXIT_USAGE)

    if screenshot and Path(os.path.realpath(screenshot)).is_file() and not force:
        # checked once the game is known to load, so that a problem with it is said first
        click.echo(f"{screenshot}: --screenshot: exists; refusing to overwrite it (give --force to replace it, or another name)", err=True)
        sys.exit(EXIT_USAGE)
    from sim.ui.app import App

    app = App(ctrl, size=wh, save_dir=save_dir, text_scale=text_scale)
    if screenshot:
        app.screenshot(screenshot)
        click.echo(f"wrote {screenshot}")
        return
    app.run()
