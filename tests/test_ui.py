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
from sim.ui.layout import body_px  # noqa: E402

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
    if app.sheet == "briefing":  # the team's briefing opens at the start: close it
        key(app, pygame.K_ESCAPE)
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


def wheel(app, pos, dy):
    """Move the mouse to ``pos`` and turn the wheel ``dy`` steps (negative: down)."""
    move(app, pos)
    pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=dy, flipped=False))
    pump(app)


def payloads(view):
    """The clickable items of a scrolling list, in order (an item may span several rows)."""
    out = []
    for r in view.rows:
        if r.payload is not None and (not out or out[-1][0] != r.group):
            out.append((r.group, r.payload))
    return [p for _g, p in out]


def menu_items(app, what="pick"):
    """The actions listed to choose (``pick``) or listed as chosen (``drop``)."""
    return [a for w, a in payloads(app.views["available"]) if w == what]


def click_action(app, action):
    """Click an action in the menu, scrolling the list with the wheel until it shows."""
    v = app.views["available"]
    idx = next(
        i for i, r in enumerate(v.rows) if r.payload is not None and r.payload[0] == "pick" and str(r.payload[1]) == str(action)
    )
    for _ in range(300):
        rr = v.row_rect(idx)
        if rr is not None:
            click(app, rr.center)
            return
        first = v.first
        wheel(app, v.rect.center, -1 if idx > v.first else 1)
        assert v.first != first, "the wheel did not scroll the list"
    raise AssertionError(f"could not scroll to {action}")


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
    if app.confirm_dialog is not None:  # no action chosen: the app asks; Enter answers yes
        key(app, pygame.K_RETURN)
    assert app.ctrl.model.turn == turn + 1
    assert app.ctrl.phase == "animate"
    key(app, pygame.K_SPACE)  # skip the animation
    assert app.ctrl.phase == "results" and app.current_sheet() == "results"
    key(app, pygame.K_RETURN)  # the month's results stay until the instructor moves on
    assert app.ctrl.phase not in ("animate", "results")
    if app.sheet == "briefing":
        key(app, pygame.K_ESCAPE)


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
    assert app.current_sheet() == "briefing"  # the team's briefing opens at the start
    key(app, pygame.K_ESCAPE)
    # the map: click Beijing selects China; hovering Tokyo shows Japan
    click(app, app.map.capital_px["CHN"])
    assert app.ctrl.selection == ("actor", "CHN")
    move(app, app.map.capital_px["JPN"])
    assert app.ctrl.hover == ("actor", "JPN") and app.ctrl.shown_item == ("actor", "JPN")
    move(app, app.map.channel_mid("RUS-JPN-EMB"))
    assert app.ctrl.hover == ("channel", "RUS-JPN-EMB")
    # choose a posture from the menu
    choose_category(app, "set_posture")
    first = str(menu_items(app)[0])
    click_action(app, first)
    chosen = app.ctrl.chosen["RUS"]
    assert [str(a) for a in chosen] == [first]
    assert [str(a) for a in menu_items(app, "drop")] == [first]
    end_turn_and_wait(app)
    mine = [
        ev
        for ev in app.ctrl.model.log[-1]["events"]
        if ev.get("type") == "decision" and ev.get("actor") == "RUS" and ev.get("human")
    ]
    assert [ev["action"] for ev in mine] == [first]
    from html import escape

    from sim.describe import describe_action_in

    words = describe_action_in(app.ctrl.scenario, app.ctrl.history[-2], chosen[0], third_person=True)  # as it read when chosen
    assert words.startswith(("raises", "lowers", "keeps")) and " its military posture in the " in words
    assert "(team)" in app.w["log"].html_text and escape(words) in app.w["log"].html_text  # "Russia (team) raises its ..."


def test_menu_offers_exactly_the_legal_actions(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    legal = sorted(str(a) for a in app.ctrl.model.legal_actions("RUS"))
    shown = []
    for group in app.ctrl.menu():
        app.category = group
        app._menu_sig = None
        pump(app)
        shown += [str(a) for a in menu_items(app)]
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
    from sim.ui.logtext import Words

    names = Words(scenario)  # a source names states as the log does ("threat from Russia: interview L9")
    for ev in ai:
        top = max(ev["terms"], key=lambda t: abs(t["value"]))
        assert top["term"] in html and names.codes(top["source"] or "no source recorded") in html.replace(
            "&amp;", "&"
        ).replace("&#x27;", "'")


def test_channel_closed_by_the_model_is_drawn_differently(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    ch = "RUS-JPN-EMB"
    mid = app.map.channel_mid(ch)
    assert not colour_near(app.screen, mid, theme.CLOSED)
    choose_category(app, "channel")
    click_action(app, f"close {ch}")
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
    assert app.current_sheet() == "briefing"
    key(app, pygame.K_ESCAPE)
    choose_category(app, "channel")
    click_action(app, "close RUS-JPN-EMB")
    key(app, pygame.K_RETURN)  # RUS done: hand over to USA
    assert app.ctrl.phase == "handover" and app.ctrl.current_team == "USA"
    assert not app.w["category"].visible
    assert tuple(app.screen.get_at((mx + mw // 2, my + mh // 2)))[:3] == theme.BG
    key(app, pygame.K_RETURN)
    assert app.ctrl.phase == "plan" and app.ctrl.current_team == "USA"
    assert app.current_sheet() == "briefing" and "United States" in app.sheet_view.rows[0].texts[0][1]
    key(app, pygame.K_ESCAPE)
    assert menu_items(app, "drop") == []  # RUS's choice is not shown to USA
    assert app.menu_title.startswith("United States")
    end_turn_and_wait(app)
    acts = {
        (ev["actor"], ev["action"]) for ev in app.ctrl.model.log[-1]["events"] if ev.get("human")
    }
    assert ("RUS", "close RUS-JPN-EMB") in acts


def test_the_instructor_window_closes_at_the_hand_over(scenario, tmp_path):
    """The next team must not see the instructor's queued events."""
    app = make_app(scenario, tmp_path, humans=("RUS", "USA"))
    click(app, app.w["ready"].rect.center)
    key(app, pygame.K_ESCAPE)  # the briefing
    key(app, pygame.K_i, unicode="i")
    assert app.instructor is not None
    click(app, app.inst_widgets["inject"].rect.center)  # an incident, queued
    choose_category(app, "channel")
    click_action(app, "close RUS-JPN-EMB")
    click(app, app.w["end"].rect.center)  # RUS done: hand over to USA
    assert app.ctrl.phase == "handover" and app.ctrl.current_team == "USA"
    assert app.instructor is None
    assert [e.kind for e in app.ctrl.model.injected] == ["incident"]  # the queue is kept


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
    path = tmp_path / "saves" / "baseline_2021-turn02.json"
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
    click(app, app.confirm_dialog.confirm_button.rect.center)  # turn 2 was not saved: confirm
    assert app.ctrl.model.turn == 1
    assert json.loads(json.dumps(app.ctrl.model.snapshot())) == saved_snap
    assert app.ctrl.history[-1] == saved_snap
    # exact resume: the loaded game and an uninterrupted one step identically
    ref = GameController(scenario, str(BASELINE), seed=7, humans=["RUS"])
    for _ in range(2):
        ref.end_turn()
        ref.skip_animation()
        ref.dismiss_results()
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
    n0 = len(app.messages)
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
    assert len(app.messages) - n0 == len(cases)


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
    assert "REPLAY turn 2 of 3" in app.status_text and "turn 2" in app.w["log_label"].text
    # the map's banner sits at its foot, over no state's, bloc's or theatre's label nor the legend
    pump(app)
    b, mp = app.replay_banner_rect, app.map
    assert b is not None and pygame.Rect(app.layout.map).contains(b)
    assert b.bottom > app.layout.map[1] + app.layout.map[3] // 2
    covered = [r for r in [mp.legend_rect, *mp.label_rects.values(), *mp.seat_label_rects.values(), *mp.theatre_label_rects.values()] if r is not None and b.colliderect(r)]
    assert covered == []
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
    for k in ("end", "help", "log", "category"):
        assert app.manager.get_root_container().rect.contains(app.w[k].rect), k
    assert pygame.Rect(0, 0, 1000, 640).contains(app.views["available"].rect)
    assert app.w["help"].rect.right <= 1000
    new_mid = app.map.channel_mid("USA-RUS-EMB")
    assert new_mid != old_mid and pygame.Rect(app.layout.map).collidepoint(new_mid)
    assert app.fs < body_px(1280, 800)  # fonts scale down too
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
    assert app.current_sheet() == "results" and app.sheet_view.drawn_texts  # the month in words
    ctrl.dismiss_results()
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
    c.dismiss_results()
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


# --------------------------------------------------------------------------- flow and safety
def typed(app, text):
    """Type ``text`` as a keyboard does: a KEYDOWN and a TEXTINPUT per character."""
    for ch in text:
        k = pygame.key.key_code(ch) if ch.isalnum() else pygame.K_UNKNOWN
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode=ch, scancode=0))
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=ch))
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=k, mod=0, unicode=ch, scancode=0))
        pump(app)


def test_quit_asks_first_when_play_is_unsaved(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    pump(app)
    assert not app.running  # nothing played yet: quits at once
    app = make_app(scenario, tmp_path)
    end_turn_and_wait(app)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    pump(app)
    assert app.running and app.confirm_dialog is not None
    assert "not saved" in app.messages[-1]
    key(app, pygame.K_ESCAPE)  # no: back to the game
    assert app.running and app.confirm_dialog is None
    key(app, pygame.K_q, mod=pygame.KMOD_CTRL)
    assert app.confirm_dialog is not None
    click(app, app.confirm_dialog.confirm_button.rect.center)
    assert not app.running
    # once saved, Ctrl+Q quits without asking
    app = make_app(scenario, tmp_path)
    end_turn_and_wait(app)
    app.save_game(str(tmp_path / "q.json"))
    key(app, pygame.K_q, mod=pygame.KMOD_CTRL)
    assert not app.running and app.confirm_dialog is None


def test_load_over_unsaved_play_asks_first(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    end_turn_and_wait(app)
    path = tmp_path / "saves" / "one.json"
    app.save_game(str(path))
    end_turn_and_wait(app)  # turn 2, not saved
    key(app, pygame.K_o, mod=pygame.KMOD_CTRL)
    dlg = app.file_dialog
    click_list_item(app, dlg.file_selection_list, path.name)
    click(app, dlg.ok_button.rect.center)
    assert app.confirm_dialog is not None and app.ctrl.model.turn == 2
    key(app, pygame.K_ESCAPE)  # keep the game
    assert app.ctrl.model.turn == 2
    key(app, pygame.K_o, mod=pygame.KMOD_CTRL)
    dlg = app.file_dialog
    click_list_item(app, dlg.file_selection_list, path.name)
    click(app, dlg.ok_button.rect.center)
    click(app, app.confirm_dialog.confirm_button.rect.center)
    assert app.ctrl.model.turn == 1 and not app.ctrl.unsaved


def test_end_turn_with_no_action_asks_first(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    click(app, app.w["end"].rect.center)
    assert app.confirm_dialog is not None and app.ctrl.model.turn == 0
    assert "no action" in app.messages[-1]
    key(app, pygame.K_ESCAPE)
    assert app.ctrl.model.turn == 0 and app.ctrl.phase == "plan"
    act = next(a for a in app.ctrl.legal() if a.kind == "set_posture")
    app.ctrl.choose(act)
    key(app, pygame.K_RETURN)  # an action is chosen: no question
    assert app.confirm_dialog is None and app.ctrl.model.turn == 1


def test_a_save_shows_a_message(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    end_turn_and_wait(app)
    key(app, pygame.K_s, mod=pygame.KMOD_CTRL)
    click(app, app.file_dialog.ok_button.rect.center)
    # the top bar names the turn about to be played (2): the message says the save holds turn 1
    assert app.ctrl.turn_named()[0] == 2
    assert app.messages[-1].startswith("Saved after turn 1 (2021-") and "; play resumes at turn 2 to " in app.messages[-1]
    assert app.toast is not None
    r = app.toast_rect
    assert pygame.Rect(app.layout.map).contains(r)
    from sim.ui.render import TOAST_BG

    assert tuple(app.screen.get_at((r.x + 4, r.centery)))[:3] == TOAST_BG
    pump(app, round(5 / DT))  # it fades by itself
    assert app.toast is None


def test_shortcuts_never_fire_while_a_text_field_has_focus(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    end_turn_and_wait(app)
    key(app, pygame.K_s, mod=pygame.KMOD_CTRL)
    entry = app.file_dialog.file_path_text_line
    before = entry.get_text()
    typed(app, "ir")  # straight after the dialog opens, without clicking the field
    assert app.instructor is None and app.ctrl.phase != "replay"
    assert entry.get_text() != before and "ir" in entry.get_text()
    click(app, entry.rect.center)
    typed(app, "hil")
    assert app.instructor is None and app.help_window is None and app.ctrl.phase != "replay"
    key(app, pygame.K_ESCAPE)
    assert app.file_dialog is None
    # the instructor's note field: "i" does not close the window, "r" opens no replay
    key(app, pygame.K_i, unicode="i")
    app.inst_form["kind"] = "note"
    app._build_instructor()
    pump(app)
    click(app, app.inst_widgets["text"].rect.center)
    typed(app, "riot")
    assert app.instructor is not None and app.ctrl.phase != "replay"
    assert app.inst_widgets["text"].get_text() == "riot"


def pick_dropdown(app, dd, text):
    click(app, dd.rect.center)
    opts = dd.menu_states["expanded"].options_selection_list
    item = next(i for i in opts.item_list if i["text"] == text)
    click(app, item["button_element"].rect.center)


def test_log_filter_takes_effect_at_once(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    end_turn_and_wait(app)
    pump(app, 3)
    key_html = app.w["log"].html_text
    pick_dropdown(app, app.w["log_filter"], "All events")
    assert app.log_filter == "All events"
    html = app.w["log"].html_text  # nothing else changed in between
    assert html != key_html and len(html) > len(key_html)
    assert "talks" in html


def test_instructor_window_keeps_its_place(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    key(app, pygame.K_i, unicode="i")
    place = app.instructor.rect.topleft
    for kind in ("Summit", "Expulsion of staff", "Custom note"):
        pick_dropdown(app, app.inst_widgets["kind"], kind)
        assert app.instructor.rect.topleft == place, kind
    click(app, app.inst_widgets["inject"].rect.center)
    assert app.instructor.rect.topleft == place


def test_queued_instructor_events_are_listed_and_can_be_removed(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    key(app, pygame.K_i, unicode="i")
    click(app, app.inst_widgets["inject"].rect.center)  # an incident
    pick_dropdown(app, app.inst_widgets["kind"], "Summit")
    click(app, app.inst_widgets["inject"].rect.center)
    assert [e.kind for e in app.ctrl.model.injected] == ["incident", "summit"]
    labels = [
        e.text
        for e in app.instructor.get_container().elements
        if type(e).__name__ == "UILabel"
    ]
    assert any(t.startswith("Incident in a theatre:") for t in labels)
    assert any(t.startswith("Summit:") for t in labels)
    assert len(app.inst_remove) == 2
    click(app, app.inst_remove[0].rect.center)  # remove the incident
    assert [e.kind for e in app.ctrl.model.injected] == ["summit"]
    assert len(app.inst_remove) == 1
    key(app, pygame.K_ESCAPE)
    end_turn_and_wait(app)
    kinds = [ev["kind"] for ev in app.ctrl.model.log[-1]["events"] if ev.get("type") == "event"]
    assert kinds == ["summit"]


def test_expulsion_form_fits_the_channels_current_staff(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    key(app, pygame.K_i, unicode="i")
    pick_dropdown(app, app.inst_widgets["kind"], "Expulsion of staff")
    snap = app.ctrl.history[-1]
    chans = [o[1] for o in app.inst_widgets["channel"].options_list]
    closed = [c for c, v in snap["channels"].items() if v["status"] == "closed"]
    assert closed and not set(closed) & set(chans)
    assert all(snap["channels"][c]["staff"] >= 1 for c in chans)
    # the US embassy in Moscow: about 100 staff of 1,200 normal: counts are of the 100
    app.inst_form["channel"] = "USA-RUS-EMB"
    app._build_instructor()
    pump(app)
    v = snap["channels"]["USA-RUS-EMB"]
    opts = app.inst_widgets["size"].options_list
    persons = [float(lab.split(" of ")[0].replace(",", "")) for lab, _ in opts]
    assert max(persons) == v["staff"] and all(0 < n <= v["staff"] for n in persons)
    pick_dropdown(app, app.inst_widgets["size"], opts[1][0])  # half of the staff now
    click(app, app.inst_widgets["inject"].rect.center)
    # the queue shows the same persons as the form: "50 of 100 staff" in both
    texts = instructor_texts(app)
    first = next(i for i, t in enumerate(texts) if t.startswith("Expulsion of staff:"))
    queued = " ".join(texts[first : first + 3])  # the queued event, its lines wrapped
    assert opts[1][0].split(" (")[0] in queued, (opts[1][0], queued)
    assert "%" not in queued and "%" not in opts[1][0]
    key(app, pygame.K_ESCAPE)
    end_turn_and_wait(app)
    ev = next(e for e in app.ctrl.model.log[-1]["events"] if e.get("kind") == "expulsion")
    assert ev["staff"] == pytest.approx(v["staff"] - persons[1], abs=0.1)


# --------------------------------------------------------------------------- readable on a projector
def visible_widgets(app):
    return [
        e
        for e in app.manager.get_root_container().elements
        if e.visible and type(e).__name__ in ("UIButton", "UIDropDownMenu", "UITextBox", "UILabel", "UISelectionList")
    ]


def assert_nothing_clipped(app):
    """Every control lies in the window, every button and label shows its whole text, and every
    text of the scrolling panels lies inside its panel."""
    W, H = app.screen.get_size()
    win = pygame.Rect(0, 0, W, H)
    for e in visible_widgets(app):
        assert win.contains(e.rect), (type(e).__name__, e.rect, (W, H))
        if type(e).__name__ == "UIButton":
            assert app.fonts.width(e.text, app.fs, bold=True) <= e.rect.w, e.text
        if type(e).__name__ == "UILabel":
            bold = e.object_ids[-1] == "#status" if e.object_ids else False
            assert app.fonts.width(e.text, app.fs, bold=bold) <= e.rect.w, e.text
    views = list(app.panel_views.values())
    if app.ctrl.phase == "plan" and app.ctrl.current_team:
        views += list(app.views.values())
    assert views
    for v in views:
        assert win.contains(v.rect)
        assert v.drawn_texts, "a panel shows no text"
        for r, text, size in v.drawn_texts:
            assert v.rect.contains(r), (text, r, v.rect)
    lh = app.fonts.font(app.fs, True).get_linesize()
    assert len(app.fonts.wrap(app.status_text, app.fs, app.status_rect.w, bold=True)) * lh <= app.status_rect.h


def panel_text_sizes(app):
    views = list(app.panel_views.values()) + list(app.views.values())
    return {size for v in views for _r, _t, size in v.drawn_texts}


def test_body_text_is_16px_at_the_default_scale_and_28px_at_2x(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    end_turn_and_wait(app)
    choose_category(app, "propose")  # (a new month opens on the proposals to answer, if any)
    pump(app, 2)
    assert app.fs >= 16
    assert min(panel_text_sizes(app)) >= 16
    assert app.w["log"].parser.default_style["font_size"] >= 16
    assert app.w["end"].font.point_size >= 16
    h16 = app.fonts.text("Hg", min(panel_text_sizes(app)), (255, 255, 255)).get_height()
    assert_nothing_clipped(app)
    # Ctrl+= twice per 0.25 up to 2x: text really grows, the panels reflow and scroll
    sel = app.panel_views["selected"]
    share_before = sum(r.height for r in sel.rows) / sel.rect.h
    for _ in range(4):
        key(app, pygame.K_EQUALS, mod=pygame.KMOD_CTRL)
    assert app.text_scale == 2.0
    pump(app, 2)
    assert app.fs >= 28 and min(panel_text_sizes(app)) >= 28
    assert app.w["log"].parser.default_style["font_size"] >= 28
    assert app.w["end"].font.point_size >= 28
    assert app.fonts.text("Hg", min(panel_text_sizes(app)), (255, 255, 255)).get_height() >= 1.7 * h16
    sel = app.panel_views["selected"]
    assert sum(r.height for r in sel.rows) / sel.rect.h > 1.5 * share_before and sel.overflows
    assert_nothing_clipped(app)
    wheel(app, sel.rect.center, -3)
    assert sel.first > 0
    assert_nothing_clipped(app)
    # the menu still works at 2x
    act = next(a for a in app.ctrl.legal() if a.kind == "propose")
    click_action(app, act)
    assert act in app.ctrl.chosen["RUS"]
    # a question at 2x: its buttons show their whole text inside the window
    app.ctrl.unchoose(act)
    click(app, app.w["end"].rect.center)
    dlg = app.confirm_dialog
    assert dlg is not None
    from pygame_gui.core.utility import translate

    for b in (dlg.confirm_button, dlg.cancel_button):
        assert pygame.Rect(0, 0, *app.screen.get_size()).contains(b.rect)
        assert app.fonts.width(translate(b.text), app.fs, bold=True) <= b.rect.w and b.rect.h >= app.fs
    key(app, pygame.K_ESCAPE)
    key(app, pygame.K_0, mod=pygame.KMOD_CTRL)
    assert app.text_scale == 1.0 and app.fs == 16


def test_text_scale_option_of_play(tmp_path):
    from click.testing import CliRunner

    from sim.cli.main import main

    out = tmp_path / "big.png"
    r = CliRunner().invoke(main, ["play", str(BASELINE), "--as", "RUS", "--text-scale", "2", "--screenshot", str(out)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["play", str(BASELINE), "--text-scale", "9", "--screenshot", str(out)])
    assert r.exit_code == 2 and "text-scale" in r.output


@pytest.mark.parametrize("size", [(640, 400), (700, 450)])
def test_a_small_window_keeps_every_control_reachable(scenario, tmp_path, size):
    app = make_app(scenario, tmp_path)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=size[0], h=size[1], size=size))
    pump(app, 2)
    assert app.screen.get_size() == size and app.layout.size == size
    assert_nothing_clipped(app)
    names = {"end", "instructor", "save", "load", "replay", "help", "category", "log_filter", "log"}
    assert names <= {k for k, e in app.w.items() if e is not None and e in visible_widgets(app)}
    # every region is inside the window and they do not overlap
    L = app.layout
    regions = [pygame.Rect(r) for r in (L.top, L.map, L.menu, L.log, L.selected, L.issues)]
    for i, r in enumerate(regions):
        assert pygame.Rect(0, 0, *size).contains(r)
        assert r.collidelist(regions[i + 1 :]) < 0
    # the controls answer clicks
    act = next(a for a in app.ctrl.legal() if a.kind == "set_posture")
    choose_category(app, "set_posture")
    click_action(app, act)
    assert act in app.ctrl.chosen["RUS"]
    click(app, app.w["end"].rect.center)
    assert app.ctrl.model.turn == 1
    key(app, pygame.K_SPACE)
    click(app, app.w["help"].rect.center)
    assert app.help_window is not None


def test_every_state_label_is_visible_and_none_overlaps(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    m = app.map
    area = pygame.Rect(app.layout.map)
    labels = dict(m.label_rects)
    assert set(labels) == set(app.ctrl.static.capitals)  # every state with a capital, Ukraine too
    assert "UKR" in labels
    rects = list(labels.values()) + list(m.seat_label_rects.values())
    for i, r in enumerate(rects):
        assert area.contains(r)
        assert r.collidelist(rects[i + 1 :]) < 0, r
        assert r.collidelist(list(m.theatre_label_rects.values())) < 0
        if m.legend_rect is not None:
            assert not r.colliderect(m.legend_rect)
    names = list(m.theatre_label_rects.values())
    for i, r in enumerate(names):
        assert area.contains(r) and r.collidelist(names[i + 1 :]) < 0
    # and they are drawn: the label's box colour shows in the frame, the map answers a click on it
    move(app, (area.right - 2, area.bottom - 2))
    r = labels["UKR"]
    assert tuple(app.screen.get_at((r.x + 1, r.centery)))[:3] == (16, 20, 28)
    click(app, (r.right - 2, r.centery))
    assert app.ctrl.selection == ("actor", "UKR")


# --------------------------------------------------------------------------- seminar screens
def sheet_text(app):
    return " ".join(t for r in app.sheet_view.rows for _r, t, _s in r.texts)


def test_briefing_at_start_and_hand_over_and_b_reopens_it(scenario, tmp_path):
    ctrl = GameController(scenario, str(BASELINE), seed=7, humans=["RUS", "USA"], anim_seconds=0.2)
    app = App(ctrl, size=(1280, 800), save_dir=str(tmp_path))
    pump(app, 2)
    assert ctrl.phase == "handover" and app.current_sheet() is None  # nothing shown before the team is ready
    click(app, app.w["ready"].rect.center)
    assert app.current_sheet() == "briefing" and "Briefing for Russia" in sheet_text(app)
    assert "Your objectives" in sheet_text(app) and app.sheet_view.drawn_texts
    key(app, pygame.K_RETURN)
    assert app.current_sheet() is None
    key(app, pygame.K_b, unicode="b")  # reopen
    assert app.current_sheet() == "briefing" and "Russia" in sheet_text(app)
    key(app, pygame.K_ESCAPE)
    app.ctrl.choose(next(a for a in app.ctrl.legal() if a.kind == "set_posture"))
    key(app, pygame.K_RETURN)  # Russia done: hand over
    assert ctrl.phase == "handover" and app.current_sheet() is None
    key(app, pygame.K_RETURN)
    assert app.current_sheet() == "briefing" and "Briefing for the United States" in sheet_text(app).replace("Briefing for United States", "Briefing for the United States")


def test_month_results_stay_and_scores_update_after_a_turn(scenario, tmp_path):
    from sim.score import scoreboard

    app = make_app(scenario, tmp_path)
    before = app.status_text
    assert "Scores: RUS" in before
    act = next(a for a in app.ctrl.legal() if a.kind == "close_channel")
    app.ctrl.choose(act)
    key(app, pygame.K_RETURN)
    key(app, pygame.K_SPACE)
    pump(app, round(5 / DT))  # five seconds later the results are still there
    assert app.ctrl.phase == "results" and app.current_sheet() == "results"
    text = sheet_text(app)
    assert "The month's results" in text and "What changed" in text
    assert "Russia closed" in text  # the month's changes in words
    rec = app.ctrl.record()
    total = scoreboard(rec, ["RUS"], 1)[0].total
    assert f"RUS {total:+.1f}" in app.status_text
    assert f"{total:+.1f} points" in text
    click(app, app.w["sheet_ok"].rect.center)
    assert app.ctrl.phase == "plan" and app.current_sheet() is None


def test_end_screen_ranks_the_teams_and_debrief_from_the_replay(tmp_path):
    path = REPO / "scenarios" / "tutorial.yaml"
    sc = load_scenario(str(path))
    ctrl = GameController(sc, str(path), seed=3, humans=[], turns=3, anim_seconds=0.1)
    app = App(ctrl, size=(1280, 800), save_dir=str(tmp_path))
    pump(app, 2)
    for _ in range(3):
        key(app, pygame.K_RETURN)
        key(app, pygame.K_SPACE)
        key(app, pygame.K_RETURN)
    assert ctrl.phase == "over" and app.current_sheet() == "end"
    ranks = [t for r in app.sheet_view.rows for _r, t, _s in r.texts if t[:2] in ("1.", "2.", "3.")]
    totals = [total for _t, total, _d in ctrl.scores()]
    assert len(ranks) == len(ctrl.teams) and totals == sorted(totals, reverse=True)
    assert all(f"({team})" in line for line, (team, _t, _d) in zip(ranks, ctrl.scores(), strict=True))
    click(app, app.w["sheet_debrief"].rect.center)
    assert app.current_sheet() == "debrief"
    for q in sc.debrief_questions:
        assert q.split()[0] in sheet_text(app)
    key(app, pygame.K_ESCAPE)
    key(app, pygame.K_r, unicode="r")
    assert ctrl.phase == "replay"
    key(app, pygame.K_LEFT)
    key(app, pygame.K_d, unicode="d")
    assert app.current_sheet() == "debrief" and "turn 2 of 3" in sheet_text(app)


def test_actions_and_proposals_in_plain_words(scenario, tmp_path):
    app = make_app(scenario, tmp_path)
    choose_category(app, "propose")
    shown = " ".join(t for r in app.views["available"].rows for _r, t, _s in r.texts)
    assert "Ask " in shown and "through" in shown and "propose " not in shown
    # grouped by issue: one heading per issue says what its proposals ask; each row whom and how
    from sim.describe import actor_name, proposal_heading, proposal_row

    c = app.ctrl
    props = [a for a in c.menu()["propose"]]
    rows = app.views["available"].rows
    row_text: dict[str, str] = {}  # an item wrapped over several rows: its rows' words joined
    for r in rows:
        if r.payload and r.payload[0] == "pick":
            row_text[str(r.payload[1])] = " ".join([row_text.get(str(r.payload[1]), ""), *(t for _r, t, _s in r.texts)]).strip()
    snap = c.history[-1]
    for a in props:
        assert row_text[str(a)] == proposal_row(scenario, snap, a)
        assert row_text[str(a)].startswith(f"Ask {actor_name(scenario, a.target)} (at ")
    headings = " ".join(" ".join(t for _r, t, _s in r.texts) for r in rows if not r.payload)
    for x in dict.fromkeys(a.issue for a in props):
        assert headings.count(proposal_heading(scenario, snap, "RUS", x)) == 1
    # the chosen list keeps the whole sentence
    assert c.choose(props[0])
    pump(app, 2)
    chosen = " ".join(" ".join(t for _r, t, _s in r.texts) for r in app.views["available"].rows if r.payload and r.payload[0] == "drop")
    assert chosen == app.action_text(props[0]) and "stands at" in chosen
    # an incoming proposal: the answers say what it asks
    c = app.ctrl
    for _ in range(6):
        if c.shown_snapshot().get("pending", {}).get("RUS"):
            break
        end_turn_and_wait(app)
    pend = c.shown_snapshot()["pending"].get("RUS")
    assert pend, "no proposal reached Russia in six months"
    choose_category(app, "answer")
    text = " ".join(t for r in app.views["available"].rows for _r, t, _s in r.texts)
    assert text.count("asks you to accept") == len(pend)  # each proposal says what it asks
    assert "Accept " in text and "Reject " in text


def test_names_in_other_scripts_fall_back_to_a_font_or_the_id(scenario, tmp_path):
    names = {"CHN": "中华人民共和国", "TUR": "تركيا", "USA": "ארצות הברית", "GEO": "საქართველო", "UKR": "ประเทศไทย"}
    actors = {a: (s.model_copy(update={"name": names[a]}) if a in names else s) for a, s in scenario.actors.items()}
    sc = scenario.model_copy(update={"actors": actors})
    ctrl = GameController(sc, str(BASELINE), seed=7, humans=["CHN"])
    app = App(ctrl, size=(1280, 800), save_dir=str(tmp_path))
    pump(app, 2)
    F = app.fonts
    for a in ("CHN", "TUR", "USA", "GEO"):
        assert F.face_for(names[a]) > 0  # a bundled Noto face has the script
        assert app.panels.name(a) == names[a] and app.ui_name(a) == a  # widgets show the id
    assert not F.coverable(names["UKR"]) and app.panels.name("UKR") == "UKR"  # no Thai face
    # drawn, not as empty boxes: the fallback face differs from the main face's missing glyphs
    real = F.text(names["CHN"], 20, (255, 255, 255))
    boxes = F.font(20).render(names["CHN"], True, (255, 255, 255))
    assert pygame.image.tobytes(real, "RGBA") != pygame.image.tobytes(boxes, "RGBA")
    key(app, pygame.K_ESCAPE)
    for a in ("UKR", "CHN", "TUR"):
        app.ctrl.select("actor", a)
        pump(app)
        texts = [t for _r, t, _s in app.panel_views["selected"].drawn_texts]
        shown = app.panels.name(a)
        assert any(t.startswith(shown) for t in texts)
        assert [t for t in texts if not F.coverable(t)] == []


# --------------------------------------------------------------------------- names, not codes
def raw_codes(scenario, text):
    """The channel codes (``RUS-USA-EMB``, ``caucus:NATO``) found in a text."""
    import re

    codes = list(scenario.channels) + [f"caucus:{b}" for b in scenario.blocs]
    return sorted({c for c in codes if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)})


def instructor_texts(app):
    """Every text the instructor window shows: labels, drop-down choices and buttons."""
    out = []
    for e in app.instructor.get_container().elements:
        name = type(e).__name__
        if name in ("UILabel", "UIButton"):
            out.append(e.text)
        elif name == "UIDropDownMenu":
            out += [o[0] if isinstance(o, tuple) else o for o in e.options_list]
    return out


def test_players_and_the_instructor_read_channel_names_not_codes(scenario, tmp_path):
    """The instructor window, its queue, the channel panel and the turn log (a team's own
    orders, the AI's decisions and their alternatives, talks, staff and channel changes) name
    every channel ("US embassy in Moscow"), never by its code."""
    app = make_app(scenario, tmp_path)
    assert not raw_codes(scenario, "the US embassy in Moscow")
    assert raw_codes(scenario, "via USA-RUS-EMB.") == ["USA-RUS-EMB"]
    key(app, pygame.K_i, unicode="i")
    seen = []
    for kind in ("Summit", "Expulsion of staff", "Channel status"):
        pick_dropdown(app, app.inst_widgets["kind"], kind)
        seen += instructor_texts(app)
        click(app, app.inst_widgets["inject"].rect.center)  # queued: listed in the window
    seen += instructor_texts(app)
    text = "\n".join(seen)
    assert "US embassy in Moscow" in text and "Russian embassy in Washington" in text
    assert len(app.ctrl.model.injected) == 3
    assert "Expulsion of staff: " in text and " staff" in text
    assert raw_codes(scenario, text) == []
    key(app, pygame.K_ESCAPE)
    # the team's own order: close Russia's embassy in Tokyo; then the month's log, all events
    choose_category(app, "channel")
    click_action(app, "close RUS-JPN-EMB")
    end_turn_and_wait(app)
    pick_dropdown(app, app.w["log_filter"], "All events")
    pump(app, 2)
    html = app.w["log"].html_text
    assert "Russian embassy in Tokyo" in html and "(team)" in html and "talks" in html
    assert "over: " in html  # the AI's alternatives are listed, in names too
    assert raw_codes(scenario, html) == [], raw_codes(scenario, html)
    # a channel selected on the map: its panel
    app.ctrl.select("channel", "USA-RUS-EMB")
    pump(app, 2)
    drawn = " ".join(t for _r, t, _s in app.panel_views["selected"].drawn_texts)
    assert "US embassy in Moscow" in drawn and "Russia" in drawn
    assert raw_codes(scenario, drawn) == []
    # a state selected: its channels are listed by name
    app.ctrl.select("actor", "RUS")
    pump(app, 2)
    rows = " ".join(t for r in app.panel_views["selected"].rows for _r, t, _s in r.texts)
    assert "Russian embassy in Washington" in rows
    assert raw_codes(scenario, rows) == []


def test_top_bar_and_hand_over_name_the_same_turn(scenario, tmp_path):
    """Both name the turn about to be played (turn 1 before any is played); the month's
    results name the turn just played."""
    import re

    app = make_app(scenario, tmp_path, humans=("RUS", "USA"))

    def bar_turn():
        return int(re.search(r"turn (\d+)/", app.status_text).group(1))

    for played in (0, 1):
        for team in ("RUS", "USA"):
            assert app.ctrl.phase == "handover" and app.ctrl.current_team == team
            pump(app)
            assert app.handover_lines[0] == f"Turn {played + 1}: hand over to"
            click(app, app.w["ready"].rect.center)
            key(app, pygame.K_ESCAPE)  # the briefing
            assert app.ctrl.phase == "plan"
            assert bar_turn() == played + 1
            assert app.status_text.startswith(app.ctrl.model.date(played + 1))
            key(app, pygame.K_RETURN)
            if app.confirm_dialog is not None:  # no action chosen: yes, end it
                key(app, pygame.K_RETURN)
        key(app, pygame.K_SPACE)  # skip the animation: the month's results of the turn played
        assert app.ctrl.phase == "results" and bar_turn() == played + 1
        assert app.ctrl.model.log[-1]["turn"] == played + 1
        assert app.status_text.startswith(app.ctrl.model.log[-1]["date"])
        key(app, pygame.K_RETURN)


def test_at_2x_the_instructor_window_scrolls_and_the_start_text_clears_the_list(scenario, tmp_path):
    """At 2x on 1280x800 a form with queued events is taller than the window: its content
    scrolls and every Remove button can be reached; the start screen's wrapped instructions
    end above the list of states; the replay button shows its whole text."""
    app = make_app(scenario, tmp_path)
    for _ in range(4):
        key(app, pygame.K_EQUALS, mod=pygame.KMOD_CTRL)
    assert app.text_scale == 2.0
    key(app, pygame.K_i, unicode="i")
    for kind in ("Expulsion of staff", "Summit", "Incident in a theatre"):
        pick_dropdown(app, app.inst_widgets["kind"], kind)
        click(app, app.inst_widgets["inject"].rect.center)
    assert len(app.ctrl.model.injected) == 3, app.messages
    win = app.instructor.rect
    W, H = app.screen.get_size()
    assert pygame.Rect(0, 0, W, H).contains(win) and app.inst_scroll is not None
    bar = app.inst_scroll.vert_scroll_bar
    assert bar is not None
    bar.set_scroll_from_start_percentage(1.0)
    pump(app, 3)
    last = app.inst_remove[-1]
    assert app.inst_scroll.get_container().get_rect().contains(last.rect) or win.contains(last.rect)
    click(app, last.rect.center)
    assert len(app.ctrl.model.injected) == 2
    key(app, pygame.K_ESCAPE)
    key(app, pygame.K_r, unicode="r")
    assert app.ctrl.phase == "replay"
    b = app.w["replay"]
    assert b.text == "Exit replay" and app.fonts.width(b.text, app.fs, bold=True) <= b.rect.w
    key(app, pygame.K_ESCAPE)
    # the start screen at 2x: the instructions end above the list
    from sim.ui.render import screen_message_height

    ctrl = GameController(scenario, str(BASELINE), seed=7, humans=None, anim_seconds=1.0)
    app2 = App(ctrl, size=(1280, 800), save_dir=str(tmp_path / "s2"), text_scale=2.0)
    pump(app2)
    assert app2.ctrl.phase == "start"
    text_h = screen_message_height(app2.fonts, app2._start_lines(), app2.fs, 1280)
    assert app2.fs // 2 + text_h <= app2.w["start_list"].rect.top


def test_proposals_awaiting_a_team_name_the_states_not_their_codes(scenario, tmp_path):
    """The selected state's panel says whose proposals await the human team's answer by name
    ("await the answer of Russia (from France, ...)"), as every other text a player reads does."""
    app = make_app(scenario, tmp_path)
    for _ in range(6):
        if app.ctrl.model.pending.get("RUS"):
            break
        end_turn_and_wait(app)
    pending = app.ctrl.model.pending.get("RUS")
    assert pending, "no proposal to Russia in six turns of seed 7"
    app.ctrl.select("actor", "RUS")
    pump(app, 2)
    rows = [t for r in app.panel_views["selected"].rows for _r, t, _s in r.texts]
    text = " ".join(rows)  # the sentence wraps over rows
    start = text.index("proposal")
    line = text[start : text.index(").", start) + 2]
    assert "await the answer of Russia" in line or "1 proposal awaits the answer of Russia" in line, line
    sender = scenario.actors[pending[0]["from"]].name
    assert sender.split()[0] in line
    assert raw_codes(scenario, line) == [], line


def test_an_ai_alternative_reads_as_what_the_state_would_have_done(scenario):
    """The "over:" part of an AI decision's reason names each alternative in words, for every
    kind of action the AI logs as an alternative, and a code of an unknown form keeps its names."""
    from sim.actions import Action
    from sim.ui.logtext import Words, reason_lines

    w = Words(scenario)
    cases = {
        Action("propose", "DEU", issue="nato_ukraine", target="POL", channel="caucus:NATO"): "asking Poland to accept NATO membership for Ukraine",
        Action("close_channel", "RUS", channel="RUS-EU"): "closing Russia's mission to the EU",
        Action("open_channel", "USA", channel="USA-RUS-EMB"): "reopening the US embassy in Moscow",
        Action("expel", "CHN", target="CHN", channel="CHN-VNM-EMB", staff=10.0): "expelling 10 staff from the Chinese embassy in Hanoi",
        Action("restore_staff", "RUS", target="RUS", channel="RUS-KOR-EMB", staff=10.0): "letting 10 staff return to the Russian embassy in Seoul",
        Action("set_posture", "CHN", theatre="south_china_sea", level=0.3): "setting its military posture in the South China Sea to 0.30",
        Action("joint_patrol", "GBR", target="USA", theatre="baltic"): "patrolling the Baltic Sea with the United States",
        Action("apply_membership", "GEO", bloc="NATO"): "applying to join NATO",
        Action("use_force", "RUS", target="UKR", theatre="black_sea"): "using force against Ukraine in the Black Sea",
        Action("pass", "FRA"): "doing nothing this month",
    }
    for act, words in cases.items():
        code = str(act).split(" via ")[0]  # alternatives are logged without a proposal's channel
        assert w.alternative(code) == words, code
        assert raw_codes(scenario, w.alternative(code)) == []
    assert w.alternative("something new RUS-EU") == "something new Russia's mission to the EU"
    assert Words().alternative("close RUS-EU") == "close RUS-EU"  # without a scenario: the code
    ev = {"type": "decision", "actor": "DEU", "alternatives": [["propose nato_ukraine to POL", 0.1611], ["pass", 0.0]]}
    assert reason_lines(ev, words=w) == ["over: asking Poland to accept NATO membership for Ukraine (+0.161), doing nothing this month (+0.000)"]


def test_every_log_line_is_a_sentence_not_a_code(scenario):
    """Each event of a whole game reads as words: it starts with a capital, names no channel
    code, and uses no ">" arrow for a change (a change reads "from a to b")."""
    import re

    from sim.model import GreatPowerModel
    from sim.ui import logtext

    kinds = set()
    for seed in (0, 4):
        m = GreatPowerModel(scenario, seed=seed, turns=36, reasons=True)
        snaps = [m.snapshot()]
        while m.running:
            m.step()
            snaps.append(m.snapshot())
        for t, entry in enumerate(m.log):
            w = logtext.Words(scenario, snaps[t])
            for ev in entry["events"]:
                html = logtext.event_html(ev, {"RUS"}, w)
                if html is None:
                    continue
                kinds.add(ev["type"])
                text = re.sub(r"<[^>]+>", "", html)
                assert "&gt;" not in text and ">" not in text, text
                assert text[:1].isupper(), text
                assert raw_codes(scenario, text) == [], text
    assert {"decision", "proposal", "issue", "vote", "channel", "end"} <= kinds, kinds
