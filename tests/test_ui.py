"""The pygame front end, driven headless with real posted mouse and keyboard events.

What is checked: a state picked on the start screen, an action chosen from its menu and End
turn land in the model's log; the menu offers exactly ``legal_actions``; hover and click select
states and channels; a channel the model closed is drawn in another colour (pixels); hot-seat
hides the previous team's choices; instructor events reach the model; save then load gives the
same snapshot and resumes exactly; replay steps back and forth; a resize redraws at the new size;
corrupt and foreign saves are refused with a message (in the window and on the command line).
"""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning, module="pygame_gui")

from sim.loader import load_scenario  # noqa: E402
from sim.ui import save as saves  # noqa: E402
from sim.ui import theme  # noqa: E402
from sim.ui.app import App  # noqa: E402
from sim.ui.controller import GameController  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline_2021.yaml"
DT = 0.05


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(str(BASELINE))


def make_app(scenario, tmp_path, humans=("RUS",), **kw):
    ctrl = GameController(
        scenario,
        str(BASELINE),
        seed=7,
        humans=None if humans is None else list(humans),
        anim_seconds=1.0,
    )
    app = App(
        ctrl,
        size=kw.get("size", (1280, 800)),
        save_dir=str(tmp_path / "saves"),
        screenshot_dir=str(tmp_path / "shots"),
    )
    pump(app, 2)
    return app


def pump(app, n=1):
    for _ in range(n):
        app.frame(DT)


def click(app, pos, button=1):
    pos = (int(pos[0]), int(pos[1]))
    pygame.event.post(
        pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0))
    )
    pump(app)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button))
    pump(app, 5)  # a press travels button -> list -> drop-down -> app, one frame each


def move(app, pos):
    pygame.event.post(
        pygame.event.Event(
            pygame.MOUSEMOTION, pos=(int(pos[0]), int(pos[1])), rel=(0, 0), buttons=(0, 0, 0)
        )
    )
    pump(app)


def key(app, k, mod=0, unicode=""):
    pygame.event.post(
        pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode=unicode, scancode=0)
    )
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=k, mod=mod, unicode=unicode, scancode=0))
    pump(app)


def list_item(sel_list, text):
    for item in sel_list.item_list:
        if item["text"].strip().lstrip("» ").strip() == text:
            # scroll the item into view if needed
            return item
    raise AssertionError(f"{text!r} not in {[i['text'] for i in sel_list.item_list]}")


def click_list_item(app, sel_list, text):
    """Click a list item; if it is scrolled out of view, move the list's scroll bar first (as a
    user dragging it would; posted wheel events do not reach pygame_gui under the dummy driver,
    whose mouse position stays at (0, 0))."""
    item = list_item(sel_list, text)
    idx = sel_list.item_list.index(item)
    for k in range(40):
        btn = item.get("button_element")
        if btn is not None and sel_list.list_and_scroll_bar_container.rect.contains(btn.rect):
            click(app, btn.rect.center)
            return
        bar = sel_list.scroll_bar
        assert bar is not None
        bar.set_scroll_from_start_percentage(max(0.0, (idx - 1 - k % 3) / len(sel_list.item_list)))
        pump(app, 2)
    raise AssertionError(f"could not scroll {text!r} into view")


def choose_category(app, group):
    dd = app.w["category"]
    click(app, dd.rect.center)
    opts = dd.menu_states["expanded"].options_selection_list
    target = next(
        i
        for i in opts.item_list
        if i.get("object_id") == group
        or (
            isinstance(i.get("text"), str)
            and i["text"].startswith(
                dict(__import__("sim.ui.controller", fromlist=["ACTION_GROUPS"]).ACTION_GROUPS)[group]
            )
        )
    )
    click(app, target["button_element"].rect.center)
    assert app.category == group


def end_turn_and_wait(app):
    turn = app.ctrl.model.turn
    key(app, pygame.K_RETURN)
    assert app.ctrl.model.turn == turn + 1
    assert app.ctrl.phase == "animate"
    key(app, pygame.K_SPACE)  # skip the animation
    assert app.ctrl.phase != "animate"


def colour_near(surf, pos, colour, r=4):
    x0, y0 = pos
    for dx in range(-r, r + 1):
        for dy in range(-r, r + 1):
            if tuple(surf.get_at((x0 + dx, y0 + dy)))[:3] == tuple(colour):
                return True
    return False


# --------------------------------------------------------------------------- play
def test_start_screen_pick_state_choose_action_end_turn(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=None)
    assert app.ctrl.phase == "start"
    click_list_item(app, app.w["start_list"], "RUS  Russia")
    click(app, app.w["start_go"].rect.center)
    assert app.ctrl.phase == "plan" and app.ctrl.humans == ["RUS"]
    # the map: click Beijing selects China; hovering Tokyo shows Japan
    click(app, app.map.capital_px["CHN"])
    assert app.ctrl.selection == ("actor", "CHN")
    move(app, app.map.capital_px["JPN"])
    assert app.ctrl.hover == ("actor", "JPN") and app.ctrl.shown_item == ("actor", "JPN")
    move(app, app.map.channel_mid("RUS-JPN-EMB"))
    assert app.ctrl.hover == ("channel", "RUS-JPN-EMB")
    # choose a posture from the menu
    choose_category(app, "set_posture")
    first = app.w["available"].item_list[0]["text"]
    click_list_item(app, app.w["available"], first)
    chosen = app.ctrl.chosen["RUS"]
    assert [str(a) for a in chosen] == [first]
    assert [i["text"] for i in app.w["chosen"].item_list] == [first]
    end_turn_and_wait(app)
    mine = [
        ev
        for ev in app.ctrl.model.log[-1]["events"]
        if ev.get("type") == "decision" and ev.get("actor") == "RUS" and ev.get("human")
    ]
    assert [ev["action"] for ev in mine] == [first]
    assert "(team)" in app.w["log"].html_text and first in app.w["log"].html_text


def test_menu_offers_exactly_the_legal_actions(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    legal = sorted(str(a) for a in app.ctrl.model.legal_actions("RUS"))
    shown = []
    for group in app.ctrl.menu():
        app.category = group
        app._menu_sig = None
        pump(app)
        shown += [i["text"] for i in app.w["available"].item_list]
    assert sorted(shown) == legal


def test_every_ai_decision_in_the_log_shows_reason_and_source(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    assert app.log_filter == "Key events"  # the default view: quick to lay out
    app.log_filter = "All events"  # as if picked in the log's filter menu
    end_turn_and_wait(app)
    html = app.w["log"].html_text
    ai = [
        ev
        for ev in app.ctrl.model.log[-1]["events"]
        if ev.get("type") == "decision"
        and not ev.get("human")
        and ev.get("done", True)
        and ev["action"] != "pass"
    ]
    assert ai
    for ev in ai:
        top = max(ev["terms"], key=lambda t: abs(t["value"]))
        assert top["term"] in html and (top["source"] or "no source recorded") in html.replace(
            "&amp;", "&"
        )


def test_channel_closed_by_the_model_is_drawn_differently(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    ch = "RUS-JPN-EMB"
    mid = app.map.channel_mid(ch)
    assert not colour_near(app.screen, mid, theme.CLOSED)
    choose_category(app, "channel")
    click_list_item(app, app.w["available"], f"close {ch}")
    end_turn_and_wait(app)
    assert app.ctrl.shown_snapshot()["channels"][ch]["status"] == "closed"
    assert any(
        ev.get("type") == "channel" and ev["channel"] == ch and ev["to"] == "closed"
        for ev in app.ctrl.model.log[-1]["events"]
    )
    move(app, (5, app.layout.size[1] - 5))  # nothing hovered
    pump(app)
    assert colour_near(app.screen, mid, theme.CLOSED)


def test_hotseat_hides_the_previous_team(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("RUS", "USA"))
    assert app.ctrl.phase == "handover" and app.ctrl.current_team == "RUS"
    mx, my, mw, mh = app.layout.map
    assert (
        tuple(app.screen.get_at((mx + mw // 2, my + mh // 2)))[:3] == theme.BG
    )  # no map behind the hand-over
    click(app, app.w["ready"].rect.center)
    assert app.ctrl.phase == "plan"
    choose_category(app, "channel")
    click_list_item(app, app.w["available"], "close RUS-JPN-EMB")
    key(app, pygame.K_RETURN)  # RUS done: hand over to USA
    assert app.ctrl.phase == "handover" and app.ctrl.current_team == "USA"
    assert not app.w["chosen"].visible and not app.w["available"].visible
    assert tuple(app.screen.get_at((mx + mw // 2, my + mh // 2)))[:3] == theme.BG
    key(app, pygame.K_RETURN)
    assert app.ctrl.phase == "plan" and app.ctrl.current_team == "USA"
    assert app.w["chosen"].item_list == []  # RUS's choice is not shown to USA
    assert "RUS" not in app.w["menu_title"].text or "United States" in app.w["menu_title"].text
    end_turn_and_wait(app)
    acts = {
        (ev["actor"], ev["action"]) for ev in app.ctrl.model.log[-1]["events"] if ev.get("human")
    }
    assert ("RUS", "close RUS-JPN-EMB") in acts


def test_instructor_injects_events(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    key(app, pygame.K_i, unicode="i")
    assert app.instructor is not None
    click(app, app.inst_widgets["inject"].rect.center)  # default: an incident in the first theatre
    assert len(app.ctrl.model.injected) == 1
    app.inst_form.update(kind="note")
    app._build_instructor()
    pump(app)
    entry = app.inst_widgets["text"]
    click(app, entry.rect.center)
    for ch in "Debrief!":  # typing reaches a text entry as TEXTINPUT events
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=ch))
        pump(app)
    click(app, app.inst_widgets["inject"].rect.center)
    assert [e.kind for e in app.ctrl.model.injected] == ["incident", "note"]
    key(app, pygame.K_ESCAPE)
    assert app.instructor is None
    end_turn_and_wait(app)
    evs = [ev for ev in app.ctrl.model.log[-1]["events"] if ev.get("type") == "event"]
    assert [e["kind"] for e in evs] == ["incident", "note"]
    assert evs[1]["text"] == "Debrief!" and evs[0]["source"] == "instructor"


def test_help_overlay_lists_the_keys(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    key(app, pygame.K_h, unicode="h")
    assert app.help_window is not None
    box = next(e for e in app.help_window.get_container().elements if hasattr(e, "html_text"))
    for k in ("Enter", "Ctrl+S", "Instructor".lower()[:5], "replay"):
        assert k.lower() in box.html_text.lower()
    key(app, pygame.K_ESCAPE)
    assert app.help_window is None


# --------------------------------------------------------------------------- save and load
def test_save_then_load_gives_the_same_snapshot_and_resumes_exactly(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    end_turn_and_wait(app)
    key(app, pygame.K_s, mod=pygame.KMOD_CTRL)
    assert app.file_dialog is not None
    click(app, app.file_dialog.ok_button.rect.center)
    path = tmp_path / "saves" / "baseline_2021-turn01.json"
    assert path.is_file() and not list(path.parent.glob("*.tmp"))
    data = json.loads(path.read_text())
    assert (
        data["format"] == "greatpower-save"
        and data["save_version"] == 2
        and len(data["snapshots"]) == 2
    )
    saved_snap = json.loads(json.dumps(app.ctrl.model.snapshot()))
    # play on, then load the save back through the load dialog
    end_turn_and_wait(app)
    key(app, pygame.K_o, mod=pygame.KMOD_CTRL)
    dlg = app.file_dialog
    click_list_item(app, dlg.file_selection_list, path.name)
    click(app, dlg.ok_button.rect.center)
    assert app.ctrl.model.turn == 1
    assert json.loads(json.dumps(app.ctrl.model.snapshot())) == saved_snap
    assert app.ctrl.history[-1] == saved_snap
    # exact resume: the loaded game and an uninterrupted one step identically
    ref = GameController(scenario, str(BASELINE), seed=7, humans=["RUS"])
    for _ in range(2):
        ref.end_turn()
        ref.skip_animation()
    end_turn_and_wait(app)
    assert app.ctrl.model.log[-1] == ref.model.log[1]
    assert app.ctrl.model.snapshot() == ref.model.snapshot()


def test_corrupt_and_foreign_saves_are_refused_with_a_message(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    end_turn_and_wait(app)
    good = tmp_path / "saves" / "good.json"
    app.save_game(str(good))
    data = json.loads(good.read_text())
    cases = {
        "truncated.json": good.read_text()[: len(good.read_text()) // 2],
        "foreign.json": json.dumps({"hello": "world"}),
        "future.json": json.dumps({**data, "save_version": 99}),
        "binary.json": "\x89PNG\r\n\x1a\n\x00\x00garbage",
        "damaged.json": json.dumps(
            {
                **data,
                "model": {
                    **data["model"],
                    "arrays": {**data["model"]["arrays"], "tension": [[0.1]]},
                },
            }
        ),
        "edited.json": json.dumps(
            {
                **data,
                "snapshots": data["snapshots"][:-1]
                + [{**data["snapshots"][-1], "totals": {"incidents": 999}}],
            }
        ),
        "other_scenario.json": json.dumps({**data, "scenario_hash": "0" * 64}),
    }
    expect = {
        "truncated.json": "broken JSON",
        "foreign.json": "not a great-power save",
        "future.json": "version 99",
        "binary.json": "not",
        "damaged.json": "does not fit",
        "edited.json": "damaged",
        "other_scenario.json": "differs",
    }
    before = app.ctrl.model.snapshot()
    for k, (name, text) in enumerate(cases.items()):
        p = tmp_path / "saves" / name
        p.write_bytes(text.encode("latin-1") if name == "binary.json" else text.encode())
        if k >= 3:  # the dialog is exercised by the first three; the rest load directly
            assert not app.load_game(str(p))
            assert expect[name] in app.messages[-1], (name, app.messages[-1])
            assert app.ctrl.model.snapshot() == before
            continue
        key(app, pygame.K_o, mod=pygame.KMOD_CTRL)
        dlg = app.file_dialog
        click_list_item(app, dlg.file_selection_list, name)
        click(app, dlg.ok_button.rect.center)
        assert expect[name] in app.messages[-1], (name, app.messages[-1])
        assert app.ctrl.model.snapshot() == before
        # close the message window with its button
        win = [
            e
            for e in app.manager.get_sprite_group().sprites()
            if type(e).__name__ == "UIMessageWindow"
        ]
        assert win
        click(app, win[-1].dismiss_button.rect.center)
    assert len(app.messages) == len(cases)


def test_cli_load_of_a_corrupt_save_exits_2_without_traceback(tmp_path):
    from click.testing import CliRunner

    from sim.cli.main import main

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "greatpower-save", "save_version": 2, "model": ')
    r = CliRunner().invoke(main, ["play", "--load", str(bad)])
    assert r.exit_code == 2 and r.exception is None or isinstance(r.exception, SystemExit)
    assert r.exit_code == 2
    assert "broken JSON" in r.stderr and "Traceback" not in r.output


def test_atomic_save_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    p = tmp_path / "s.json"
    saves.write_save(p, {"a": 1})
    monkeypatch.setattr(
        os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device"))
    )
    with pytest.raises(saves.SaveError, match="No space left"):
        saves.write_save(p, {"a": 2})
    assert json.loads(p.read_text()) == {"a": 1}
    assert [x.name for x in tmp_path.iterdir()] == ["s.json"]


# --------------------------------------------------------------------------- replay and resize
def test_replay_steps_back_and_forth(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    for _ in range(3):
        end_turn_and_wait(app)
    key(app, pygame.K_r, unicode="r")
    c = app.ctrl
    assert c.phase == "replay" and c.replay_cursor == 3
    key(app, pygame.K_LEFT)
    assert (
        c.replay_cursor == 2 and c.shown_snapshot() == c.history[2] and c.shown_log()["turn"] == 2
    )
    assert "REPLAY turn 2 of 3" in app.w["status"].text and "turn 2" in app.w["log_label"].text
    click(app, app.w["first"].rect.center)
    assert c.replay_cursor == 0 and c.shown_log() is None
    click(app, app.w["fwd"].rect.center)
    assert c.replay_cursor == 1 and c.animating  # a step forward animates that turn
    key(app, pygame.K_RIGHT)
    key(app, pygame.K_RIGHT)
    key(app, pygame.K_RIGHT)
    assert c.replay_cursor == 3
    key(app, pygame.K_ESCAPE)
    assert c.phase == "plan" and c.model.turn == 3


def test_resize_redraws_at_the_new_size(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    old_mid = app.map.channel_mid("USA-RUS-EMB")
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=1000, h=640, size=(1000, 640)))
    pump(app, 2)
    assert app.screen.get_size() == (1000, 640) and app.layout.size == (1000, 640)
    assert app.layout.map[2] == round(0.64 * 1000)
    for k in ("end", "help", "log", "available"):
        assert app.manager.get_root_container().rect.contains(app.w[k].rect), k
    assert app.w["help"].rect.right <= 1000
    new_mid = app.map.channel_mid("USA-RUS-EMB")
    assert new_mid != old_mid and pygame.Rect(app.layout.map).collidepoint(new_mid)
    assert app.fs < theme.font_px(800, 14)  # fonts scale down too
    ix, iy, iw, ih = app.layout.issues
    assert tuple(app.screen.get_at((ix + iw - 3, iy + ih - 3)))[:3] == theme.PANEL
    # something of the map is drawn at the new place: ocean or land, not the background
    mx, my, mw, mh = app.layout.map
    assert tuple(app.screen.get_at((mx + 3, my + mh // 2)))[:3] != theme.BG
    # the map still answers the mouse at the new scale
    click(app, app.map.capital_px["CHN"])
    assert app.ctrl.selection == ("actor", "CHN")


def test_screenshot_command_writes_a_png(tmp_path):
    from click.testing import CliRunner

    from sim.cli.main import main

    out = tmp_path / "shot.png"
    r = CliRunner().invoke(main, ["play", str(BASELINE), "--screenshot", str(out)])
    assert r.exit_code == 0, r.output
    img = pygame.image.load(str(out))
    assert img.get_size() == (1280, 800)
    # the first frame is the map with its legend: the ocean and a green open channel are drawn
    colours = {tuple(img.get_at((x, y)))[:3] for x in range(0, 800, 4) for y in range(60, 540, 4)}
    assert theme.OCEAN in colours


def test_run_and_validate_never_import_pygame():
    code = "import sys, sim.cli.main; from click.testing import CliRunner; r = CliRunner().invoke(sim.cli.main.main, ['validate', 'scenarios/baseline_2021.yaml']); assert r.exit_code == 0, r.output; assert 'pygame' not in sys.modules"
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr


# --------------------------------------------------------------------------- controller (pure)
def test_controller_limits_and_replacements(scenario):
    c = GameController(scenario, str(BASELINE), seed=3, humans=["RUS"])
    legal = c.legal()
    posts = [a for a in legal if a.kind == "set_posture"]
    same_theatre = [a for a in posts if a.theatre == posts[0].theatre]
    assert c.choose(same_theatre[0]) and c.choose(same_theatre[1])
    assert c.chosen["RUS"] == [same_theatre[1]]  # one posture per theatre
    others = [a for a in legal if a.kind in ("close_channel", "suspend_channel")][: c.action_limit]
    n = sum(c.choose(a) for a in others)
    assert c.core_count() == c.action_limit and n == c.action_limit - 1
    assert "at most" in c.message
    from sim.actions import Action

    assert not c.choose(Action("expel", "RUS", target="XXX", channel="nope", staff=1.0))
    assert "not a legal action" in c.message


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_every_scenario_renders_a_frame_offscreen(path, tmp_path):
    sc = load_scenario(str(path))
    ctrl = GameController(sc, str(path), seed=1, humans=[], anim_seconds=0.5)
    app = App(ctrl, size=(1280, 800), save_dir=str(tmp_path))
    pump(app)
    ctrl.end_turn()
    app.map._scene = None
    pump(app, 2)  # a frame of the animation
    ctrl.skip_animation()
    pump(app)
    assert ctrl.model.turn == 1 and ctrl.phase in ("plan", "over")
    mx, my, mw, mh = app.layout.map
    assert tuple(app.screen.get_at((mx + 3, my + mh // 2)))[:3] != theme.BG


def test_hotseat_save_in_mid_turn_keeps_the_teams_choices(scenario, tmp_path):
    c = GameController(scenario, str(BASELINE), seed=5, humans=["RUS", "USA"])
    c.team_ready()
    act = next(a for a in c.legal() if a.kind == "close_channel" and a.channel == "RUS-JPN-EMB")
    assert c.choose(act)
    c.end_turn()  # RUS done; USA's hand-over
    path = tmp_path / "mid.json"
    c.save(str(path))
    loaded = GameController.from_save(saves.read_save(path), scenario, str(BASELINE))
    assert loaded.phase == "handover" and loaded.current_team == "USA"
    assert loaded.chosen["RUS"] == [act]
    loaded.team_ready()
    loaded.end_turn()
    assert ("RUS", "close RUS-JPN-EMB") in {
        (e["actor"], e["action"]) for e in loaded.model.log[-1]["events"] if e.get("human")
    }


def test_cli_loads_a_save_and_renders_it(scenario, tmp_path):
    from click.testing import CliRunner

    from sim.cli.main import main

    c = GameController(scenario, str(BASELINE), seed=5, humans=["RUS"])
    c.end_turn()
    c.skip_animation()
    save = tmp_path / "g.json"
    c.save(str(save))
    out = tmp_path / "g.png"
    r = CliRunner().invoke(main, ["play", "--load", str(save), "--screenshot", str(out)])
    assert r.exit_code == 0, r.output
    assert pygame.image.load(str(out)).get_size() == (1280, 800)


def test_screenshot_never_overwrites_a_file_that_is_not_a_png(tmp_path):
    import subprocess
    import sys

    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    disguised = tmp_path / "notes.png"
    disguised.write_text("keep me too")
    for target in (notes, disguised):
        r = subprocess.run(
            [sys.executable, "run.py", "play", "--screenshot", str(target)],
            cwd=REPO, capture_output=True, text=True, timeout=120,
            env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"},
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr
    assert notes.read_text() == "keep me" and disguised.read_text() == "keep me too"
