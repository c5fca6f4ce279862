"""Make the README's pictures headless: ``python docs/img/make_pictures.py``.

* ``baseline.png``: the same as ``python run.py play scenarios/baseline_2021.yaml --screenshot
  docs/img/baseline.png`` (the first frame of the baseline, all states AI, the US selected).
* ``in_progress.png``: Russia played by a human team, four turns in (an expulsion, a joint patrol
  with China, the mission to the EU closed, a posture raised), with Russia selected and its action
  menu open on the channel actions, one action chosen. Driven with posted mouse and key events.
* ``briefing.png``: Russia's briefing as it opens at the start of its game.
* ``debrief.png``: the debrief screen at the end of a three-month tutorial game with two teams.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import warnings  # noqa: E402

import pygame  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)

from sim.loader import load_scenario  # noqa: E402
from sim.ui.app import App  # noqa: E402
from sim.ui.controller import GameController  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline_2021.yaml"
OUT = Path(__file__).resolve().parent


def pump(app, n=1):
    """Run ``n`` frames of the app."""
    for _ in range(n):
        app.frame(1 / 30)


def post_click(app, pos):
    """Post a real mouse click at ``pos`` and let it travel through the widgets."""
    pygame.event.post(
        pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0))
    )
    pump(app)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))
    pump(app, 5)


def key(app, k):
    """Post a real key press."""
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="", scancode=0))
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=k, mod=0, unicode="", scancode=0))
    pump(app, 2)


def main() -> None:
    """Write both pictures."""
    sc = load_scenario(str(BASELINE))
    app = App(GameController(sc, str(BASELINE), seed=7, humans=[]), size=(1280, 800))
    app.screenshot(str(OUT / "baseline.png"))
    pygame.quit()

    ctrl = GameController(sc, str(BASELINE), seed=7, humans=["RUS"], anim_seconds=0.3)
    app = App(ctrl, size=(1280, 800))
    pump(app, 2)
    app.screenshot(str(OUT / "briefing.png"))
    key(app, pygame.K_ESCAPE)
    plan = [
        lambda a: a.kind == "expel" and a.target == "USA",
        lambda a: a.kind == "joint_patrol" and a.theatre == "north_pacific",
        lambda a: a.kind == "close_channel" and a.channel == "RUS-EU",
        lambda a: a.kind == "set_posture" and a.theatre == "black_sea" and a.level > 0.7,
    ]
    for want in plan:
        for a in ctrl.legal():
            if want(a):
                ctrl.choose(a)
                break
        key(app, pygame.K_RETURN)
        pump(app, 2)
        ctrl.skip_animation()
        ctrl.dismiss_results()
        pump(app, 2)
    if app.sheet == "briefing":
        key(app, pygame.K_ESCAPE)
    # open the channel actions and choose one, by clicks
    dd = app.w["category"]
    post_click(app, dd.rect.center)
    opts = dd.menu_states["expanded"].options_selection_list
    item = next(i for i in opts.item_list if i.get("object_id") == "channel")
    post_click(app, item["button_element"].rect.center)
    v = app.views["available"]
    rows = [(r, i) for r, i in v.visible if v.rows[i].payload is not None]
    post_click(app, rows[1][0].center)
    pygame.event.post(
        pygame.event.Event(pygame.MOUSEMOTION, pos=(1270, 790), rel=(0, 0), buttons=(0, 0, 0))
    )
    pump(app, 3)
    app.screenshot(str(OUT / "in_progress.png"))
    pygame.quit()

    tut = ROOT / "scenarios" / "tutorial.yaml"
    tsc = load_scenario(str(tut))
    teams = list(tsc.playable)[:2] or list(tsc.actors)[:2]
    ctrl = GameController(tsc, str(tut), seed=3, humans=teams, turns=3, anim_seconds=0.1)
    app = App(ctrl, size=(1280, 800))
    for _ in range(60):
        if ctrl.phase == "over":
            break
        key(app, pygame.K_RETURN)  # ready / end turn / yes / continue
        if ctrl.phase == "animate":
            key(app, pygame.K_SPACE)
    key(app, pygame.K_d)
    pump(app, 2)
    app.screenshot(str(OUT / "debrief.png"))
    print("wrote", ", ".join(str(OUT / n) for n in ("baseline.png", "in_progress.png", "briefing.png", "debrief.png")))


if __name__ == "__main__":
    main()
