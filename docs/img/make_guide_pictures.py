"""Make every picture of the instructor guide: ``python docs/img/make_guide_pictures.py``.

The front end is driven headless (``SDL_VIDEODRIVER=dummy``) with posted key presses and mouse
clicks, as a seminar would play it: the tutorial at 1280x800, hot-seat with three teams in the
order of the guide's command (``play scenarios/tutorial.yaml --hotseat USA,RUS,FRA``, seed 3).
Which actions the teams take is scripted below (the same choices a team makes by clicking in its
action menu); every screen is reached with the keys and buttons the guide names.

* ``guide_handover.png``: the hand-over screen before the United States' first turn;
* ``guide_briefing.png``: the United States' briefing, as it opens when the team is ready;
* ``guide_play.png``: Russia planning in month 3, the scores in the top bar, one action chosen;
* ``guide_scorecard.png``: the top bar of that frame (status line and scores), cut out;
* ``guide_results.png``: the month's results after month 2;
* ``guide_instructor.png``: the instructor's window (button "Instructor" on the month's results)
  with two events queued for month 3;
* ``guide_help.png``: the help window (H);
* ``guide_text_2x.png``: Russia planning in month 3 at text scale 2 (Ctrl+= four times);
* ``guide_end.png``: the end screen after the tenth month, the teams ranked;
* ``guide_debrief.png``: the debrief screen (D on the end screen);
* ``guide_debrief_months.png``: its next page (PgDn), the game month by month.

Then it runs ``make_debrief_pictures.py`` (``debrief_scores.png`` and ``debrief_finals.png``, from
``run.py debrief`` on a scripted 12-month baseline game against 20 AI games; about a minute);
``--no-report`` skips that step. Every PNG is written with the largest zlib compression and,
where it has few colours, as a palette image (Pillow, from matplotlib's dependencies) to stay
small.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import warnings  # noqa: E402

import pygame  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)

from make_pictures import key, post_click, pump  # noqa: E402

from sim.loader import load_scenario  # noqa: E402
from sim.ui.app import App  # noqa: E402
from sim.ui.controller import GameController  # noqa: E402

TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"
TEAMS = ["USA", "RUS", "FRA"]
SEED = 3

# The scripted teams' actions by month (as text of the model's actions), besides their answers.
PLAN = {
    1: {
        "USA": ["propose embassy_staffing to RUS via RUS-USA-EMB"],
        "RUS": [
            "expel 25 USA staff from USA-RUS-EMB",
            "propose sanctions_russia to FRA via FRA-RUS-2P2",
        ],
        "FRA": ["propose sanctions_russia to RUS via FRA-RUS-2P2"],
    },
    2: {
        "USA": ["set posture in black_sea to 0.40"],
        "RUS": ["propose nato_ukraine to USA via RUS-USA-EMB"],
        "FRA": ["propose nato_ukraine to USA via caucus:NATO"],
    },
    3: {
        "USA": ["propose embassy_staffing to RUS via RUS-USA-EMB"],
        "RUS": ["propose sanctions_russia to USA via RUS-USA-EMB"],
        "FRA": ["propose sanctions_russia to RUS via FRA-RUS-2P2"],
    },
}


def save_png(app: App, path: Path, crop: pygame.Rect | None = None) -> None:
    """Screenshot the app to ``path`` (optionally a part of the window), then shrink the file."""
    app.screenshot(str(path))
    shrink(path, crop)


def shrink(path: Path, crop=None) -> None:
    """Rewrite a PNG smaller: cropped if asked, as a 256-colour palette when that loses nothing
    visible (text on flat panels), with the largest zlib compression."""
    from PIL import Image

    img = Image.open(path).convert("RGB")
    if crop is not None:
        img = img.crop((crop.x, crop.y, crop.right, crop.bottom))
    pal = img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    pal.save(path, optimize=True)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


def choose_for(ctrl: GameController, month: int) -> None:
    """The current team's choices this month: its planned actions, then a compromise answer to
    every proposal it received (only legal actions, as its menu offers them)."""
    team = ctrl.current_team
    legal = ctrl.legal()
    for text in PLAN.get(month, {}).get(team, []):
        for a in legal:
            if str(a) == text:
                ctrl.choose(a)
                break
    for a in legal:
        if a.kind == "answer" and a.choice == "compromise":
            ctrl.choose(a)
    if not ctrl.chosen.get(team):
        ctrl.choose(next(a for a in legal if a.kind == "pass"))


def to_team(app: App, team: str) -> None:
    """From the hand-over screen to the team's planning: Enter (ready), Enter (its briefing)."""
    ctrl = app.ctrl
    assert ctrl.phase == "handover" and ctrl.current_team == team, (ctrl.phase, ctrl.current_team)
    key(app, pygame.K_RETURN)
    assert app.sheet == "briefing"
    key(app, pygame.K_RETURN)


def play_month(app: App, month: int, stop_at: str | None = None) -> None:
    """One month: each team in turn is handed the keyboard, chooses and ends its turn (Enter);
    the animation is skipped (Space) and the month's results stay on screen. Stops before
    ``stop_at``'s team ends its turn, if given."""
    ctrl = app.ctrl
    for team in TEAMS:
        to_team(app, team)
        choose_for(ctrl, month)
        pump(app, 2)
        if team == stop_at:
            return
        key(app, pygame.K_RETURN)
    key(app, pygame.K_SPACE)
    pump(app, 2)
    assert ctrl.phase == "results", ctrl.phase


def pick(app: App, dropdown, value: str) -> None:
    """Choose ``value`` in a pygame_gui drop-down by clicking it open, then on the option
    (nothing to do when it shows ``value`` already)."""
    cur = dropdown.selected_option
    if (cur[1] if isinstance(cur, tuple) else cur) == value:
        return
    post_click(app, dropdown.rect.center)
    opts = dropdown.menu_states["expanded"].options_selection_list
    item = next(i for i in opts.item_list if i.get("object_id") == value)
    post_click(app, item["button_element"].rect.center)


def instructor_events(app: App) -> None:
    """Open the instructor's window with its button and queue two events by clicking the form:
    an incident between Russia and the US in the Black Sea, and an expulsion of half the staff
    of Russia's embassy in Washington."""
    post_click(app, app.w["instructor"].rect.center)
    assert app.instructor is not None
    iw = app.inst_widgets
    pick(app, iw["kind"], "incident")
    pick(app, app.inst_widgets["theatre"], "black_sea")
    pick(app, app.inst_widgets["a"], "RUS")
    pick(app, app.inst_widgets["b"], "USA")
    post_click(app, app.inst_widgets["inject"].rect.center)
    pick(app, app.inst_widgets["kind"], "expulsion")
    pick(app, app.inst_widgets["channel"], "RUS-USA-EMB")
    counts = app._expulsion_counts(app.ctrl.history[-1], "RUS-USA-EMB")
    pick(app, app.inst_widgets["size"], next(v for label, v in counts if "(half)" in label))
    post_click(app, app.inst_widgets["inject"].rect.center)
    assert len(app.ctrl.queued_events) == 2, app.ctrl.queued_events


def mouse_away(app: App) -> None:
    """Move the mouse to the window's corner, off every row (no hover highlight)."""
    ev = pygame.event.Event(pygame.MOUSEMOTION, pos=(1270, 790), rel=(0, 0), buttons=(0, 0, 0))
    pygame.event.post(ev)
    pump(app, 2)


def ctrl_key(app: App, k: int) -> None:
    """Post a real key press with Ctrl held (Ctrl+=, Ctrl+0)."""
    ev = pygame.event.Event(pygame.KEYDOWN, key=k, mod=pygame.KMOD_LCTRL, unicode="", scancode=0)
    pygame.event.post(ev)
    pump(app, 2)


def main() -> None:
    """Write the guide's pictures (and, unless ``--no-report``, the debrief report's two)."""
    sc = load_scenario(str(TUTORIAL))
    ctrl = GameController(sc, str(TUTORIAL), seed=SEED, humans=TEAMS, anim_seconds=0.3)
    app = App(ctrl, size=(1280, 800))
    pump(app, 2)
    save_png(app, HERE / "guide_handover.png")
    key(app, pygame.K_RETURN)  # the United States' team is ready: its briefing opens
    pump(app, 2)
    assert app.sheet == "briefing"
    save_png(app, HERE / "guide_briefing.png")
    key(app, pygame.K_RETURN)  # Start planning
    choose_for(ctrl, 1)
    key(app, pygame.K_RETURN)
    for team in TEAMS[1:]:
        to_team(app, team)
        choose_for(ctrl, 1)
        key(app, pygame.K_RETURN)
    key(app, pygame.K_SPACE)
    key(app, pygame.K_RETURN)  # month 1's results: Continue
    play_month(app, 2)
    mouse_away(app)
    save_png(app, HERE / "guide_results.png")
    instructor_events(app)
    pump(app, 3)
    save_png(app, HERE / "guide_instructor.png")
    key(app, pygame.K_ESCAPE)  # a sheet is open: Esc goes on, as Enter
    if app.instructor is not None:  # the hand-over closes it (the next team must not see the queue)
        post_click(app, app.instructor.close_window_button.rect.center)
    assert app.instructor is None and ctrl.phase == "handover"
    play_month(app, 3, stop_at="RUS")  # Russia's turn, its state selected
    mouse_away(app)
    save_png(app, HERE / "guide_play.png")
    save_png(app, HERE / "guide_scorecard.png", crop=pygame.Rect(app.layout.top))
    key(app, pygame.K_h)
    pump(app, 2)
    save_png(app, HERE / "guide_help.png")
    key(app, pygame.K_ESCAPE)
    for _ in range(4):  # Ctrl+= four times: 1.25, 1.5, 1.75, 2
        ctrl_key(app, pygame.K_EQUALS)
    assert app.text_scale == 2.0, app.text_scale
    pump(app, 90)  # three seconds: the "Text size 200 %" message fades
    assert app.toast is None
    save_png(app, HERE / "guide_text_2x.png")
    ctrl_key(app, pygame.K_0)  # back to the default text size
    key(app, pygame.K_RETURN)  # Russia ends its turn
    to_team(app, "FRA")
    choose_for(ctrl, 3)
    key(app, pygame.K_RETURN)
    key(app, pygame.K_SPACE)
    key(app, pygame.K_RETURN)
    month = 4
    while ctrl.phase != "over":
        play_month(app, month)
        key(app, pygame.K_RETURN)
        month += 1
    pump(app, 2)
    assert app.sheet == "end", app.sheet
    save_png(app, HERE / "guide_end.png")
    key(app, pygame.K_d)
    pump(app, 2)
    assert app.sheet == "debrief"
    save_png(app, HERE / "guide_debrief.png")
    key(app, pygame.K_PAGEDOWN)  # the debrief's next page: month by month
    pump(app, 2)
    save_png(app, HERE / "guide_debrief_months.png")
    pygame.quit()

    if "--no-report" not in sys.argv[1:]:
        import make_debrief_pictures

        make_debrief_pictures.main()


if __name__ == "__main__":
    main()
