"""The front end's frame and turn times on the baseline at 1280x800 (headless, dummy driver).

Goals (issue: the pygame front end): one frame in at most 8 ms; a turn resolves and animates
without a visible hitch. Run: ``python -m pytest benchmarks/bench_ui.py --benchmark-only``.

* ``full redraw``: the map's scene and the rows of the panels and of the action menu dropped and
  laid out again at the text size (as after a turn resolves). Drawn rows (paragraphs, bars) and
  map layers (the map under the capitals, the boxed labels) are kept by what they show, so they
  are reused here; after a real turn those whose values changed are drawn again.
* ``hover change``: the mouse moves from one capital to another: the map's scene and the
  selected panel change (a state's rows, once laid out, are kept).
* ``steady``: a frame while nothing changes (the cached scene is blitted).
* ``animation``: a frame of the end-of-turn animation (overlays and banner each frame).
* ``resolve``: End turn pressed: the model steps, the snapshot is taken and the turn log's text
  is laid out before the animation starts (pygame_gui's text layout dominates: about 0.35 s of
  CPU for the "All events" filter of a baseline month, 0.07 s for "Key events"); the animation
  itself then runs at the ``animation`` frame time for ``anim_seconds`` (1.6 s).
"""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning, module="pygame_gui")

from sim.loader import load_scenario  # noqa: E402
from sim.ui.app import App  # noqa: E402
from sim.ui.controller import GameController  # noqa: E402

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline_2021.yaml"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    sc = load_scenario(str(BASELINE))
    ctrl = GameController(sc, str(BASELINE), seed=7, humans=["RUS"], anim_seconds=1.6)
    a = App(ctrl, size=(1280, 800), save_dir=str(tmp_path_factory.mktemp("saves")))
    for _ in range(3):
        a.frame(1 / 60)
    a.open_sheet(None)  # the team's briefing opens at the start: measure the game's screen
    a.frame(1 / 60)
    return a


def _frame(a):
    a.update(1 / 60)
    a.draw()
    pygame.display.flip()


def test_frame_full_redraw_1280x800(benchmark, app):
    def run():
        app.map._scene = None
        for v in list(app.panels.views.values()) + list(app.views.values()):
            v.invalidate()
        _frame(app)

    benchmark(run)


def test_frame_hover_change_1280x800(benchmark, app):
    """The mouse moves from one capital to another: the scene and the selected panel redraw."""
    c = app.ctrl
    targets = [("actor", a) for a in ("USA", "CHN", "DEU", "JPN")]
    k = [0]

    def run():
        k[0] += 1
        c.set_hover(*targets[k[0] % len(targets)])
        _frame(app)

    benchmark(run)
    c.set_hover(None)


def test_frame_steady_1280x800(benchmark, app):
    benchmark(_frame, app)


def test_frame_during_animation_1280x800(benchmark, app):
    c = app.ctrl
    c.end_turn()
    _frame(app)

    def run():
        c.overlay_t = 0.5  # hold the animation in the middle
        _frame(app)

    benchmark(run)
    c.skip_animation()
    c.dismiss_results()
    _frame(app)


def test_turn_resolve_and_log(benchmark, app):
    c = app.ctrl

    def run():
        c.end_turn()  # submit + model.step + snapshot
        _frame(app)  # first animation frame: the log's text is laid out here
        c.skip_animation()
        c.dismiss_results()
        _frame(app)

    benchmark.pedantic(run, rounds=8, iterations=1)


def test_frame_first_after_a_turn_1280x800(benchmark, app):
    """The first frame of the game's screen after a turn is resolved and its results dismissed:
    the scene, the panels and the log show a new month, so the caches hold little of it (the
    honest worst case of a frame in play; the turn itself is set-up, not timed)."""
    c = app.ctrl

    def setup():
        c.end_turn()
        _frame(app)
        c.skip_animation()
        c.dismiss_results()

    benchmark.pedantic(lambda: _frame(app), setup=setup, rounds=8, iterations=1)
